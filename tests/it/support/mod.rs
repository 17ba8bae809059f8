//! What the integration tests share, in one place: [`sandbox`] (the sandbox on loopback and raw signed requests),
//! [`till`] (a till over a real SQLite file, ringing up and paying a sale, faults and the platform's state),
//! [`binary`] (the `cadodesk` binary driven as a script would), [`chaos`] (repeatable draws, the sandbox as its own
//! process). The test cards and the sandbox's credentials are here.

#![allow(clippy::expect_used, clippy::unwrap_used, dead_code)] // reason: helpers fail loudly; not every suite uses each

pub mod binary;
pub mod chaos;
pub mod sandbox;
pub mod till;

/// The sandbox's default merchant and key id (documented in the README).
pub const MERCHANT: &str = "cadodesk-sandbox";
/// The sandbox's default API key id.
pub const KEY_ID: &str = "sandbox-key-id";
/// The sandbox's default API secret.
pub const SECRET: &str = "sandbox-secret";

/// Gift cards with a balance and the two bank cards that pay (see the README's test cards).
pub const CADO_250: &str = "6299000000000001";
/// 50 € gift card.
pub const CADO_50: &str = "6299000000000002";
/// 20 € gift card.
pub const CADO_20: &str = "6299000000000003";
/// Visa that pays.
pub const VISA: &str = "4012000033330026";
/// Mastercard that pays.
pub const MASTERCARD: &str = "5555555555554444";
/// Visa that is declined.
pub const VISA_DECLINED: &str = "4321456998744563";
