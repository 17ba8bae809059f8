//! Abandoning an open sale (a mistyped amount, a customer gone): the till stops offering its page, and a card
//! authorisation still waiting for its capture is cancelled on the platform. A payment that arrives anyway is
//! still read and recorded; the sale then shows it as paid after its cancellation, to be refunded.

use crate::direct::status::PaymentStatus;
use crate::domain::{CheckoutState, HostedCheckoutId};
use crate::ledger::Event;

use super::views::CheckoutView;
use super::{Result, Till, TillError, logic};

/// How many times the cancellation is checked and written again when other entries keep arriving in between.
const ABANDON_ATTEMPTS: usize = 20;

/// The idempotence key of the cancellation of one tender: one per payment, so that asking again (after a lost
/// answer, from another window, after a restart) is the same request to the platform.
fn cancel_key(payment_id: &str) -> String {
    format!("cancel-{payment_id}")
}

impl Till {
    /// Cancels an open sale at the till, for `reason`: reads the platform first (a sale paid meanwhile is refunded,
    /// not cancelled), journals the cancellation, then cancels every tender authorised and waiting for its capture
    /// (CancelPayment) and records what the platform then shows. Refused for a paid sale (refund it), one that is
    /// over (cancelled by the customer, expired, rejected) or one already cancelled.
    pub async fn abandon_sale(
        &self,
        hosted_checkout_id: &str,
        reason: &str,
    ) -> Result<CheckoutView> {
        let reason = reason.trim().to_string();
        if reason.is_empty() {
            return Err(TillError::AbandonReasonMissing);
        }
        let len = reason.chars().count();
        if len > logic::MAX_REASON_LEN {
            return Err(TillError::ReasonTooLong(len));
        }
        let id = HostedCheckoutId::parse(hosted_checkout_id).map_err(TillError::InvalidId)?;
        let known = self
            .checkout(&id)?
            .ok_or_else(|| TillError::UnknownCheckout(id.to_string()))?;
        if known.abandoned.is_some() {
            return Err(TillError::SaleAbandoned(known.merchant_reference));
        }
        // The platform's word first; out of reach, the ledger's (cancelling is the till's own decision, and a
        // payment that arrives later is read by the watcher all the same).
        let view = match self.refresh(&id).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(hosted_checkout_id = %id, error = %e, "sale cancelled without a fresh reading");
                known
            }
        };
        if view.state == CheckoutState::Paid {
            return Err(TillError::SalePaid(view.merchant_reference));
        }
        if view.state.is_final() {
            return Err(TillError::SaleClosed {
                reference: view.merchant_reference,
                state: view.state,
            });
        }
        self.journal_abandon(&id, reason)?;
        tracing::info!(hosted_checkout_id = %id, merchant_reference = %view.merchant_reference, "sale cancelled at the till");
        let pending = PaymentStatus::PendingCapture;
        let authorised: Vec<_> = view
            .tenders
            .iter()
            .filter(|t| t.status == pending.as_str())
            .collect();
        for t in &authorised {
            let key = cancel_key(t.payment_id.as_str());
            match self.core.gateway.cancel_payment(&t.payment_id, &key).await {
                Ok(reading) => {
                    tracing::info!(payment_id = %t.payment_id, status = %reading.status.as_str(), "authorisation cancelled");
                }
                // Unclear or refused: the reading below records what the platform shows; the watcher reads it again.
                Err(e) => {
                    tracing::warn!(payment_id = %t.payment_id, error = %e, "authorisation not cancelled");
                }
            }
        }
        if !authorised.is_empty()
            && let Err(e) = self.refresh(&id).await
        {
            tracing::warn!(hosted_checkout_id = %id, error = %e, "reading after the cancellation failed");
        }
        self.checkout(&id)?
            .ok_or_else(|| TillError::UnknownCheckout(id.to_string()))
    }

    /// Journals the cancellation only if no other window or process cancelled the sale first: the check and the
    /// entry are made at the same journal head (another entry in between means checking again).
    fn journal_abandon(&self, id: &HostedCheckoutId, reason: String) -> Result<()> {
        let ledger = self.ledger();
        let event = Event::CheckoutAbandoned {
            hosted_checkout_id: id.clone(),
            reason,
        };
        for _ in 0..ABANDON_ATTEMPTS {
            let head = ledger
                .head()
                .map_err(TillError::from_ledger)?
                .map_or(0, |(seq, _)| seq);
            let view = self
                .checkout(id)?
                .ok_or_else(|| TillError::UnknownCheckout(id.to_string()))?;
            if view.abandoned.is_some() {
                return Err(TillError::SaleAbandoned(view.merchant_reference));
            }
            if ledger
                .append_at_head(self.operator(), &event, head)
                .map_err(TillError::from_ledger)?
                .is_some()
            {
                return Ok(());
            }
        }
        // The journal kept moving under the check (a very busy till): the plain append is still right, since a
        // second cancellation entry changes nothing but the story.
        ledger
            .append(self.operator(), &event)
            .map_err(TillError::from_ledger)?;
        Ok(())
    }
}
