//! The benchmark harness: figures and ratios, never pass/fail.

fn main() {}
