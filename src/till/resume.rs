//! After a restart: refunds without an answer settled with their own key, unfinished checkouts read again.

use chrono::Duration;

use crate::domain::HostedCheckoutId;
use crate::ledger::Event;

use super::{Result, Till, TillError};

impl Till {
    /// After a restart: settles refunds without an answer (same key), re-reads pending refunds and unfinished
    /// checkouts. Checkouts asked but never answered (the till stopped during the call) are marked failed: the
    /// platform's session, if any, expires unpaid. Returns how many items were handled.
    pub async fn resume(&self) -> Result<usize> {
        let ledger = self.ledger();
        let mut handled = 0usize;
        let mut checkouts: Vec<HostedCheckoutId> = Vec::new();
        for r in ledger
            .unfinished_refunds()
            .map_err(TillError::from_ledger)?
        {
            if r.state.awaits_answer() {
                self.settle_refund(&r, false).await?;
                handled += 1;
            }
            if !checkouts.contains(&r.hosted_checkout_id) {
                checkouts.push(r.hosted_checkout_id.clone());
            }
        }
        // Refunds closed lately are read again: a request that timed out may have been carried out late.
        for r in ledger
            .closed_refunds_since(self.now() - super::watch::CLOSED_WATCH)
            .map_err(TillError::from_ledger)?
        {
            if !checkouts.contains(&r.hosted_checkout_id) {
                checkouts.push(r.hosted_checkout_id.clone());
            }
        }
        for c in ledger
            .unfinished_checkouts()
            .map_err(TillError::from_ledger)?
        {
            match c.hosted_checkout_id {
                Some(id) if !checkouts.contains(&id) => checkouts.push(id),
                Some(_) => {}
                None if self.now() - c.created_at > Duration::minutes(1) => {
                    ledger
                        .append(
                            self.operator(),
                            &Event::CheckoutFailed {
                                merchant_reference: c.merchant_reference,
                                failure: "the till stopped before the platform answered".into(),
                            },
                        )
                        .map_err(TillError::from_ledger)?;
                    handled += 1;
                }
                None => {}
            }
        }
        for id in checkouts {
            match self.refresh(&id).await {
                Ok(_) => handled += 1,
                Err(TillError::Unreachable(m) | TillError::Unreadable(m)) => {
                    tracing::warn!(hosted_checkout_id = %id, error = %m, "not reachable; will be read again");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(handled)
    }
}
