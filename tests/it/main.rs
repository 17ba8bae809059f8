//! One integration-test binary: it links once and shares its helpers.
mod openapi;
mod sandbox_auth;
mod sandbox_checkout;
mod sandbox_common;
mod sandbox_more;
mod sandbox_refund;
mod ui;
