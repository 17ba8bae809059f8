//! The words every other module speaks, pure and at the bottom: no IO, no other module of cadodesk but [`crate::i18n`].
//!
//! - [`amount`]: [`Amount`] in integer cents; parsing what a cashier types; French and English formatting.
//! - [`ids`]: the platform's ids and the idempotence key as validated newtypes.
//! - [`state`]: where a checkout and a refund stand, how they move, and the platform's statuses mapped onto them.
//! - [`tender`]: the tender kinds and the one definition of what is left to refund.
//! - [`closing`]: a closing's record and a period's totals (French till law).
//! - [`clock`]: time, passed in ([`SystemClock`] for the program, [`TestClock`] for tests).

pub mod amount;
pub mod clock;
pub mod closing;
pub mod ids;
pub mod state;
pub mod tender;

pub use amount::{Amount, AmountError, PLATFORM_MAX_CENTS};
pub use clock::{Clock, SharedClock, SystemClock, TestClock};
pub use ids::{HostedCheckoutId, IdempotenceKey, InvalidId, PaymentId, RefundId};
pub use state::{CheckoutState, RefundState, SaleStatus, UnknownState};
pub use tender::{PRODUCT_CADO, TenderKind, refundable};
