//! One integration-test binary: it links once and shares its helpers.
mod direct_client;
mod direct_wire;
mod openapi;
