//! One integration-test binary: it links once and shares its helpers.

// Test helpers outside `#[test]` functions fail loudly on broken fixtures, as the tests themselves do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod architecture;
mod archive;
mod backup;
mod bad_input;
mod central;
mod central_app;
mod central_guard;
mod chaos;
mod chaos_concurrency;
mod cli_process;
mod cli_refund_close;
mod closings;
mod counter;
mod counter_screen;
mod direct_client;
mod direct_wire;
mod export_levels;
mod forged_journal;
mod ledger_export;
mod ledger_integrity;
mod manager_pin;
mod one_vocabulary;
mod openapi;
mod receipts;
mod refund_close_race;
mod refund_id_taken;
mod sale_cancel;
mod sandbox_auth;
mod sandbox_checkout;
mod sandbox_more;
mod sandbox_owner;
mod sandbox_persist;
mod sandbox_port;
mod sandbox_refund;
mod support;
mod technical_events;
mod till_corrections;
mod till_flow;
mod till_uncertain;
mod till_watch;
mod ui;
mod vault_real;
mod z_report;
