//! One integration-test binary: it links once and shares its helpers.
mod openapi;
mod ui;
