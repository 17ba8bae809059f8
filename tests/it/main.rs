//! One integration-test binary: it links once and shares its helpers.
mod ledger_export;
mod openapi;
