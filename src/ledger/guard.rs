//! The refund guard: what is left on a tender and whether a refund is in flight, checked in the same IMMEDIATE
//! transaction that writes the intent, so two windows or two processes cannot refund more than what is left.

use rusqlite::{OptionalExtension, TransactionBehavior};

use super::append::{append_tx, next_refund_number};
use super::refund_states_where;
use super::{Event, Ledger, LedgerError, Result};
use crate::domain::{
    Amount, HostedCheckoutId, IdempotenceKey, PaymentId, RefundId, RefundState, refundable,
};

/// The result of [`Ledger::request_refund`]: the refund intent, committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundIntent {
    /// The idempotence key to send.
    pub idempotence_key: IdempotenceKey,
    /// The sequential refund number.
    pub number: i64,
    /// The checkout.
    pub hosted_checkout_id: HostedCheckoutId,
}

impl Ledger {
    /// The refund guard. In one IMMEDIATE transaction (so two processes are serialised by SQLite's write lock):
    /// checks that no other refund on the tender is waiting for an answer and that `amount` does not exceed
    /// captured − refunded − pending, then writes the intent with a fresh idempotence key and the next refund
    /// number. Only after this commits may the request be sent.
    pub fn request_refund(
        &self,
        operator: &str,
        payment_id: &str,
        amount: Amount,
        reason: &str,
    ) -> Result<RefundIntent> {
        self.request_refund_within(operator, payment_id, amount, reason, None)
    }

    /// [`Ledger::request_refund`], refused with [`LedgerError::SaleLimit`] when the sale's refunds (all but the
    /// declined ones) and this one would add up to more than `sale_limit`: the total the manager's rule (or a
    /// manager's approval) allowed, checked again in the guard's transaction so that two processes refunding two
    /// cards of one sale at once cannot pass the manager's threshold together.
    pub fn request_refund_within(
        &self,
        operator: &str,
        payment_id: &str,
        amount: Amount,
        reason: &str,
        sale_limit: Option<Amount>,
    ) -> Result<RefundIntent> {
        let mut conn = self.lock();
        let err = self.err();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let tender: Option<(String, i64)> = tx
            .query_row(
                "SELECT hosted_checkout_id, captured_cents FROM tenders WHERE payment_id = ?1",
                [payment_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(&err)?;
        let Some((hosted_checkout_id, captured)) = tender else {
            return Err(LedgerError::UnknownTender(payment_id.to_string()));
        };
        let in_flight: Option<i64> = tx
            .query_row(
                &format!(
                    "SELECT number FROM refunds WHERE payment_id = ?1 AND state IN ({})
                     ORDER BY number LIMIT 1",
                    refund_states_where(RefundState::awaits_answer)
                ),
                [payment_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(&err)?;
        if let Some(number) = in_flight {
            return Err(LedgerError::RefundInFlight {
                payment_id: payment_id.to_string(),
                number,
            });
        }
        let (refunded, held): (i64, i64) = tx
            .query_row(
                &format!(
                    "SELECT COALESCE(SUM(amount_cents) FILTER (WHERE state = 'refunded'), 0),
                            COALESCE(SUM(amount_cents) FILTER (WHERE state IN ({})), 0)
                     FROM refunds WHERE payment_id = ?1",
                    refund_states_where(RefundState::holds_amount)
                ),
                [payment_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(&err)?;
        let cents = |column: &str, v: i64| {
            Amount::from_cents(v).ok_or_else(|| {
                LedgerError::Decode(format!("payment {payment_id}: {column} is {v} cents"))
            })
        };
        let left = refundable(
            cents("captured", captured)?,
            cents("refunded", refunded)?,
            cents("held", held)?,
        );
        if amount > left {
            return Err(LedgerError::NotEnoughLeft {
                payment_id: payment_id.to_string(),
                left,
            });
        }
        if let Some(limit) = sale_limit {
            let sale: i64 = tx
                .query_row(
                    "SELECT COALESCE(SUM(amount_cents), 0) FROM refunds
                     WHERE hosted_checkout_id = ?1 AND state != 'declined'",
                    [&hosted_checkout_id],
                    |r| r.get(0),
                )
                .map_err(&err)?;
            if sale + amount.cents() > limit.cents() {
                return Err(LedgerError::SaleLimit { limit });
            }
        }
        let number = next_refund_number(&tx).map_err(&err)?;
        let idempotence_key = IdempotenceKey::fresh();
        let hosted_checkout_id = HostedCheckoutId::parse(&hosted_checkout_id)
            .map_err(|e| LedgerError::Decode(format!("tender {payment_id}: {e}")))?;
        let payment = PaymentId::parse(payment_id)
            .map_err(|e| LedgerError::Decode(format!("tender {payment_id}: {e}")))?;
        let event = Event::RefundRequested {
            idempotence_key: idempotence_key.clone(),
            number,
            payment_id: payment,
            hosted_checkout_id: hosted_checkout_id.clone(),
            amount_cents: amount.cents(),
            reason: reason.to_string(),
        };
        append_tx(&tx, self.clock.now(), operator, &event, self.key.as_deref()).map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(RefundIntent {
            idempotence_key,
            number,
            hosted_checkout_id,
        })
    }

    /// Imports a refund found on the platform that the ledger does not know (made elsewhere). Does nothing and
    /// returns `false` if a refund with that platform id is already recorded.
    pub fn import_external_refund(
        &self,
        operator: &str,
        payment_id: &PaymentId,
        refund_id: &RefundId,
        amount: Amount,
        state: RefundState,
        platform_status: &str,
    ) -> Result<bool> {
        let mut conn = self.lock();
        let err = self.err();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let known: bool = tx
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM refunds WHERE refund_id = ?1)",
                [refund_id],
                |r| r.get(0),
            )
            .map_err(&err)?;
        if known {
            return Ok(false);
        }
        let hosted_checkout_id: Option<String> = tx
            .query_row(
                "SELECT hosted_checkout_id FROM tenders WHERE payment_id = ?1",
                [payment_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(&err)?;
        let Some(hosted_checkout_id) = hosted_checkout_id else {
            return Err(LedgerError::UnknownTender(payment_id.to_string()));
        };
        let hosted_checkout_id = HostedCheckoutId::parse(&hosted_checkout_id)
            .map_err(|e| LedgerError::Decode(format!("tender {payment_id}: {e}")))?;
        let number = next_refund_number(&tx).map_err(&err)?;
        let event = Event::RefundImported {
            idempotence_key: IdempotenceKey::external(refund_id),
            number,
            payment_id: payment_id.clone(),
            hosted_checkout_id,
            refund_id: refund_id.clone(),
            amount_cents: amount.cents(),
            state,
            platform_status: platform_status.to_string(),
        };
        append_tx(&tx, self.clock.now(), operator, &event, self.key.as_deref()).map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(true)
    }
}
