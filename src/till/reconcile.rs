//! Reconciliation with the platform over a period, and the connection test.

use chrono::NaiveDate;

use crate::ledger::Event;

use super::views::ReconcileReport;
use super::{Result, Till, TillError, logic};

impl Till {
    /// Checks that the platform answers and accepts the credentials.
    pub async fn test_connection(&self) -> Result<()> {
        self.core
            .gateway
            .test_connection()
            .await
            .map_err(TillError::from_gateway)
    }

    /// Re-reads every checkout created between two local days (inclusive) from the platform; refunds made
    /// elsewhere are imported as external; differences are reported and journaled.
    pub async fn reconcile(&self, from: NaiveDate, to: NaiveDate) -> Result<ReconcileReport> {
        super::records::check_range(Some(from), Some(to))?;
        let (f, t) = logic::local_days_to_utc(from, to);
        let ids = self
            .ledger()
            .hosted_checkouts_between(f, t)
            .map_err(TillError::from_ledger)?;
        let mut report = ReconcileReport {
            from,
            to,
            checkouts_checked: 0,
            payments_checked: 0,
            refunds_imported: 0,
            refunds_updated: 0,
            differences: Vec::new(),
        };
        for id in ids {
            match self.refresh_inner(&id, self.now()).await {
                Ok(o) => {
                    report.checkouts_checked += 1;
                    report.payments_checked += o.payments;
                    report.refunds_imported += o.imported;
                    report.refunds_updated += o.updated;
                    report.differences.extend(
                        o.differences
                            .into_iter()
                            .map(|d| format!("checkout {id}: {d}")),
                    );
                }
                Err(e) => report
                    .differences
                    .push(format!("checkout {id}: could not be read: {e}")),
            }
        }
        self.ledger()
            .append(
                self.operator(),
                &Event::ReconcileDone {
                    from: from.to_string(),
                    to: to.to_string(),
                    payments_checked: report.payments_checked,
                    refunds_imported: report.refunds_imported,
                    differences: report.differences.clone(),
                },
            )
            .map_err(TillError::from_ledger)?;
        Ok(report)
    }
}
