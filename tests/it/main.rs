//! One integration-test binary: it links once and shares its helpers.

// Test helpers outside `#[test]` functions fail loudly on broken fixtures, as the tests themselves do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod architecture;
mod cli_process;
mod direct_client;
mod direct_wire;
mod ledger_export;
mod openapi;
mod sandbox_auth;
mod sandbox_checkout;
mod sandbox_common;
mod sandbox_more;
mod sandbox_refund;
mod till_flow;
mod till_support;
mod ui;
