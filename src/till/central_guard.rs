//! The refund guard across tills, as the till sees it: with a central ledger, a refund's amount is reserved at the
//! centre (one transaction there locks the tender and counts every till's refunds) after the local intent is
//! written and before the platform is asked; a sale made at another till is read from the centre to be refunded
//! here. The till sees only this trait; `crate::central` implements it over PostgreSQL.

use crate::domain::{Amount, RefundState};
use crate::ledger::{Event, RefundRecord};

use super::gateway::BoxFuture;
use super::{Result, Till, TillError};

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

    /// The tenders of a sale the centre holds, by its reference or hosted checkout id (empty when no till sent it).
    fn foreign_sale<'a>(
        &'a self,
        sale: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ForeignTender>, CentralUnavailable>>;
}

/// The till code a sale reference names (`CD-T02-20261129-0004` → `T02`), if it has one.
pub fn till_of_reference(reference: &str) -> Option<&str> {
    let mut parts = reference.split('-');
    let (Some("CD"), Some(code), Some(day)) = (parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    (day.len() == 8 && day.bytes().all(|b| b.is_ascii_digit()) && super::valid_till_code(code))
        .then_some(code)
}

impl Till {
    /// The tender from this till's ledger; with a centre, a tender sold at another till is read there and taken
    /// in (journaled) first. `None` when this till has no centre and does not hold it.
    pub(super) async fn tender_here_or_at_centre(
        &self,
        payment_id: &str,
    ) -> Result<Option<crate::ledger::TenderRecord>> {
        let ledger = self.ledger();
        if let Some(t) = ledger.tender(payment_id).map_err(TillError::from_ledger)? {
            return Ok(Some(t));
        }
        let Some(central) = &self.core.central else {
            return Ok(None);
        };
        let found = central
            .foreign_tender(payment_id)
            .await
            .map_err(|e| TillError::CentralUnreachable(e.0))?;
        let Some(f) = found else {
            return Err(TillError::NotAtCentre(payment_id.to_string()));
        };
        self.take_in(f)?;
        ledger.tender(payment_id).map_err(TillError::from_ledger)
    }

    /// A sale made at another till, taken in from the centre (each of its tenders journaled) so that it can be
    /// refunded here: its hosted checkout id. A sale the centre does not hold is refused, naming the till its
    /// reference names when it names one.
    pub async fn take_in_sale(&self, sale: &str) -> Result<String> {
        let Some(central) = &self.core.central else {
            return Err(TillError::UnknownCheckout(sale.to_string()));
        };
        let tenders = central
            .foreign_sale(sale)
            .await
            .map_err(|e| TillError::CentralUnreachable(e.0))?;
        let Some(first) = tenders.first() else {
            return Err(match till_of_reference(sale) {
                Some(code) => TillError::NotSentYet {
                    sale: sale.to_string(),
                    till: code.to_string(),
                },
                None => TillError::NotAtCentre(sale.to_string()),
            });
        };
        let hosted = first.hosted_checkout_id.clone();
        for t in tenders {
            if self
                .ledger()
                .tender(&t.payment_id)
                .map_err(TillError::from_ledger)?
                .is_none()
            {
                self.take_in(t)?;
            }
        }
        Ok(hosted)
    }

    /// Journals a tender sold at another till.
    fn take_in(&self, f: ForeignTender) -> Result<()> {
        let payment_id = f.payment_id.clone();
        let bad =
            |what: &str| TillError::Config(format!("the centre sent a tender with a bad {what}"));
        self.ledger()
            .append(
                self.operator(),
                &Event::ForeignTenderSeen {
                    till: f.till,
                    merchant_reference: f.merchant_reference,
                    hosted_checkout_id: f
                        .hosted_checkout_id
                        .parse()
                        .map_err(|_| bad("hosted checkout id"))?,
                    sale_amount_cents: f.sale_amount_cents,
                    payment_id: f.payment_id.parse().map_err(|_| bad("payment id"))?,
                    product_id: f.product_id,
                    masked_number: f.masked_number,
                    amount_cents: f.amount_cents,
                    captured_cents: f.captured_cents,
                    status: f.status,
                },
            )
            .map_err(TillError::from_ledger)?;
        tracing::info!(
            payment_id,
            "tender sold at another till taken in from the centre"
        );
        Ok(())
    }

    /// Whether a refund may be sent again: always without a centre; with one, once the centre holds its amount
    /// (reserved now, or already under the same key). A refusal or a centre out of reach says no, and is logged.
    pub(super) async fn reserved_for_resend(&self, r: &RefundRecord) -> bool {
        let Some(central) = &self.core.central else {
            return true;
        };
        match central
            .reserve(&r.payment_id, r.idempotence_key.as_str(), r.amount)
            .await
        {
            Ok(Reservation::Accepted { .. }) => true,
            Ok(other) => {
                tracing::warn!(number = r.number, answer = ?other, "the centre does not hold this refund's amount: not sent again");
                false
            }
            Err(e) => {
                tracing::warn!(number = r.number, error = %e, "the centre cannot be reached: the refund is not sent again now");
                false
            }
        }
    }

    /// With a centre, the refund's amount is reserved there (every till's refunds counted) before the platform is
    /// asked. A refusal, or a centre that cannot be reached, closes the intent as declined (nothing was sent) and
    /// says why.
    pub(super) async fn reserve_at_centre(&self, r: &RefundRecord) -> Result<()> {
        let Some(central) = &self.core.central else {
            return Ok(());
        };
        let answer = central
            .reserve(&r.payment_id, r.idempotence_key.as_str(), r.amount)
            .await;
        let (failure, error) = match answer {
            Ok(Reservation::Accepted { left }) => {
                tracing::info!(number = r.number, left = %left, "refund reserved at the centre");
                return Ok(());
            }
            Ok(Reservation::NotEnoughLeft { left }) => (
                format!(
                    "refused by the central ledger: only {} left to refund over every till",
                    left.fr()
                ),
                TillError::NotEnoughLeft {
                    payment_id: r.payment_id.to_string(),
                    left,
                },
            ),
            Ok(Reservation::NotAtCentre) => (
                "refused by the central ledger: it does not hold this tender yet".to_string(),
                TillError::NotAtCentre(r.payment_id.to_string()),
            ),
            Err(e) => (
                format!("the central ledger could not be reached: {}", e.0),
                TillError::CentralUnreachable(e.0),
            ),
        };
        self.ledger()
            .append(
                self.operator(),
                &Event::RefundAnswered {
                    idempotence_key: r.idempotence_key.clone(),
                    refund_id: None,
                    state: RefundState::Declined,
                    platform_status: None,
                    failure: Some(failure),
                },
            )
            .map_err(TillError::from_ledger)?;
        Err(error)
    }
}
