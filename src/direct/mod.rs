//! The Worldline Direct client: v1HMAC signing (pure), wire types, typed operations, errors, retry decisions,
//! webhook verification. It takes a base URL and credentials and knows nothing else about the other end.
//!
//! - [`client`]: [`DirectClient`] and its typed operations, [`Environment`], [`IdempotenceKey`].
//! - [`signing`]: the string to sign, the signature, the HTTP date; pure functions.
//! - [`webhook`]: `X-GCS-Signature` verification over raw bytes and event parsing.
//! - [`wire`]: request and response bodies with the contract's names.
//! - [`status`]: one enum per status field, and what each `statusCode` means to the till.
//! - [`error`]: [`DirectError`], the one error type, and its words for the cashier.
//! - [`retry`]: the pure retry decision.
//! - [`credentials`]: merchant id, API key id and a [`credentials::Secret`] that never prints.

pub mod client;
pub mod credentials;
pub mod error;
pub mod retry;
pub mod signing;
pub mod status;
pub mod webhook;
pub mod wire;

pub use client::{ClientOptions, DirectClient, Environment, IdempotenceKey, Idempotent, Replayed};
pub use credentials::{Credentials, Secret};
pub use error::DirectError;
