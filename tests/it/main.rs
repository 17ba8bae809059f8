//! One integration-test binary: it links once and shares its helpers.

// Test helpers outside `#[test]` functions fail loudly on broken fixtures, as the tests themselves do.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod openapi;
mod architecture;
