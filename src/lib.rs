//! cadodesk: a till and back office for Bimpli CADO gift-card payments (Worldline Direct product 3103)
//! through the Hosted Checkout Page.
//!
//! Layout, one job per module (see `ARCHITECTURE.md` for the invariants):
//! - [`i18n`]: French (default) and English texts for people.
//! - [`domain`]: pure, at the bottom: amounts in integer cents (parsing what a cashier types, "17,50 €"), ids,
//!   states, tender kinds, closings' records, the clock.
//! - [`direct`]: the Worldline Direct client: v1HMAC signing (pure), wire types, operations, errors, retry
//!   decisions, webhook verification. It knows base URLs, never whether the other end is the sandbox.
//! - [`sandbox`]: the embedded emulator of Worldline Direct: API routes, the Bimpli CADO hosted page, test cards,
//!   persistence, faults. It speaks to the rest of the program only over HTTP.
//! - [`central`]: the central ledger in PostgreSQL for several tills: schema, roles, each till's upload.
//! - [`ledger`]: all SQLite: migrations, the append-only hash-chained journal, queries for the screens, CSV export.
//! - [`till`]: the use cases: create a checkout, watch it, refund, reconcile, resume after a crash, closings,
//!   signed archives.
//! - [`paper`]: the documents the till hands out (the Z report), laid out and rendered to PDF; pure.
//! - [`vault`]: the only module that touches the OS keychain.
//! - [`ui`]: the egui desktop app: one struct per panel, and the bridge to the background worker.
//! - [`cli`]: the command line, the edge where errors become exit codes.

pub mod app;
pub mod central;
pub mod cli;
pub mod direct;
pub mod domain;
pub mod i18n;
pub mod ledger;
pub mod paper;
pub mod sandbox;
pub mod till;
pub mod ui;
pub mod vault;
