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
//!
//! A refund, keyed so that a lost answer is settled by asking again with the same key:
//!
//! ```no_run
//! # async fn refund() -> Result<(), cadodesk::direct::DirectError> {
//! use cadodesk::direct::wire::RefundRequest;
//! use cadodesk::direct::{ClientOptions, Credentials, DirectClient, Environment, IdempotenceKey};
//! use cadodesk::domain::Amount;
//!
//! let env: Environment = "http://127.0.0.1:8080".parse()?;
//! let credentials = Credentials::new("cadodesk-sandbox", "sandbox-key-id", "sandbox-secret");
//! let client = DirectClient::for_environment(&env, credentials, ClientOptions::default())?;
//! let key = IdempotenceKey::generate(); // stored with the refund intent before sending
//! let request = RefundRequest::eur(Amount::from_cents(1000).unwrap_or_default(), Some("R-1".into()), None);
//! match client.refund_payment("3254564310_0", &request, &key).await {
//!     Ok(answer) => println!("{:?} replayed: {:?}", answer.body.status, answer.replayed),
//!     Err(e) if e.is_outcome_unknown() => { /* keep the key; ask again later with it */ }
//!     Err(e) => return Err(e),
//! }
//! # Ok(())
//! # }
//! ```

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
