//! The refund guard across tills, as the till sees it: with a central ledger, a refund's amount is reserved at the
//! centre (one transaction there locks the tender and counts every till's refunds) after the local intent is
//! written and before the platform is asked; a sale made at another till is read from the centre to be refunded
//! here. The till sees only this trait; `crate::central` implements it over PostgreSQL.

use crate::domain::Amount;

use super::gateway::BoxFuture;

/// What the centre said to a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// Reserved; what is left over every till after it.
    Accepted {
        /// Left after this refund.
        left: Amount,
    },
    /// Refused: more than what is left over every till.
    NotEnoughLeft {
        /// What is left.
        left: Amount,
    },
    /// The centre does not hold the tender: its till has not sent it yet.
    NotAtCentre,
}

/// A tender of a sale made at another till, as the centre holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignTender {
    /// The till that sold it.
    pub till: String,
    /// The sale's reference.
    pub merchant_reference: String,
    /// The sale's hosted checkout.
    pub hosted_checkout_id: String,
    /// The sale's amount.
    pub sale_amount_cents: i64,
    /// The payment id.
    pub payment_id: String,
    /// 3103, 1 or 3.
    pub product_id: i32,
    /// The masked number.
    pub masked_number: Option<String>,
    /// The tender's amount.
    pub amount_cents: i64,
    /// What was captured.
    pub captured_cents: i64,
    /// The platform's status.
    pub status: String,
}

/// Why the centre could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CentralUnavailable(pub String);

/// The central ledger as the refund guard needs it.
pub trait CentralGuard: Send + Sync + std::fmt::Debug {
    /// Reserves `amount` on `payment_id` under the refund's idempotence key (the same key again is the same
    /// reservation). A tender of this till that the centre does not hold yet is sent first.
    fn reserve<'a>(
        &'a self,
        payment_id: &'a str,
        idempotence_key: &'a str,
        amount: Amount,
    ) -> BoxFuture<'a, Result<Reservation, CentralUnavailable>>;

    /// A tender the centre holds, sold at another till; `None` when no till has sent it.
    fn foreign_tender<'a>(
        &'a self,
        payment_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<ForeignTender>, CentralUnavailable>>;
}
