//! One integration-test binary: it links once and shares its helpers.
mod cli_process;
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
