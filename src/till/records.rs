//! The read-only use cases and the ones that need only the ledger: a checkout, the lists, the export, the
//! journal's check. They need no platform client, so the command line opens them without one.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;

use crate::domain::HostedCheckoutId;
use crate::ledger::export::{self, CsvFormat, ExportSummary};
use crate::ledger::{CheckoutListFilter, Event, Ledger, VerifyReport};

use super::views::{self, CheckoutFilter, CheckoutRow, CheckoutView, RefundFilter, RefundRow};
use super::{Result, TillError, logic};

/// The ledger's side of the till: what needs no platform. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Records {
    ledger: Ledger,
    operator: String,
}

impl Records {
    /// The records of a ledger, with `operator` written on the entries they make (exports).
    pub fn new(ledger: Ledger, operator: &str) -> Records {
        Records {
            ledger,
            operator: operator.to_string(),
        }
    }

    /// The same records with another person at the till.
    pub fn with_operator(&self, operator: &str) -> Records {
        Records::new(self.ledger.clone(), operator)
    }

    /// Who is at the till.
    pub fn operator(&self) -> &str {
        &self.operator
    }

    /// The ledger, for settings and the screens' direct reads.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Now, by the ledger's clock (the system's, or a test's).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.ledger.clock().now()
    }

    /// The checkout as the ledger knows it (no network).
    pub fn checkout(&self, hosted_checkout_id: &str) -> Result<Option<CheckoutView>> {
        let ledger = self.ledger();
        let Some(record) = ledger
            .checkout(hosted_checkout_id)
            .map_err(TillError::from_ledger)?
        else {
            return Ok(None);
        };
        let tenders = ledger
            .tenders(hosted_checkout_id)
            .map_err(TillError::from_ledger)?;
        let refunds = ledger
            .refunds_of_checkout(hosted_checkout_id)
            .map_err(TillError::from_ledger)?;
        let timeline = ledger
            .timeline(&record.merchant_reference)
            .map_err(TillError::from_ledger)?;
        Ok(Some(views::checkout_view(
            record, &tenders, &refunds, &timeline,
        )))
    }

    /// Checkouts, newest first.
    pub fn list_checkouts(&self, filter: &CheckoutFilter) -> Result<Vec<CheckoutRow>> {
        check_range(filter.from, filter.to)?;
        let (from, to) = views::range(filter.from, filter.to);
        let rows = self
            .ledger()
            .list_checkouts(&CheckoutListFilter {
                from,
                to,
                state: None,
                text: filter.text.clone(),
                limit: None,
            })
            .map_err(TillError::from_ledger)?;
        Ok(rows
            .into_iter()
            .map(views::checkout_row)
            .filter(|r| filter.status.is_none_or(|s| s == r.state))
            .collect())
    }

    /// The day so far: the daily closing as it would be now, and the `last` latest sales since it began.
    pub fn today(&self, last: usize) -> Result<views::TodayView> {
        let day = self.preview_day()?;
        let rows = self
            .ledger()
            .list_checkouts(&CheckoutListFilter {
                from: Some(day.from),
                to: None,
                state: None,
                text: None,
                limit: Some(i64::try_from(last).unwrap_or(i64::MAX)),
            })
            .map_err(TillError::from_ledger)?;
        Ok(views::TodayView {
            day,
            last_sales: rows.into_iter().map(views::checkout_row).collect(),
        })
    }

    /// Refunds asked between two local days (inclusive), by number.
    pub fn refunds(&self, filter: &RefundFilter) -> Result<Vec<RefundRow>> {
        check_range(filter.from, filter.to)?;
        let (from, to) = views::range(filter.from, filter.to);
        let rows = self
            .ledger()
            .refunds_between(from, to)
            .map_err(TillError::from_ledger)?;
        let mut references: HashMap<HostedCheckoutId, String> = HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let reference = match references.get(&r.hosted_checkout_id) {
                Some(s) => s.clone(),
                None => {
                    let s = self
                        .ledger()
                        .checkout(&r.hosted_checkout_id)
                        .map_err(TillError::from_ledger)?
                        .map(|c| c.merchant_reference)
                        .unwrap_or_default();
                    references.insert(r.hosted_checkout_id.clone(), s.clone());
                    s
                }
            };
            out.push(views::refund_row(&r, reference));
        }
        Ok(out)
    }

    /// Writes the refunds asked between two local days (inclusive) to `path`, and journals the export.
    pub fn export_refunds(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        format: CsvFormat,
        path: &Path,
    ) -> Result<ExportSummary> {
        check_range(Some(from), Some(to))?;
        let (f, t) = logic::local_days_to_utc(from, to);
        let summary = export::write_refunds_to_path(self.ledger(), f, t, format, path)?;
        self.ledger()
            .append(
                self.operator(),
                &Event::ExportMade {
                    from: from.to_string(),
                    to: to.to_string(),
                    format: format.name().to_string(),
                    rows: summary.rows,
                    what: None,
                },
            )
            .map_err(TillError::from_ledger)?;
        Ok(summary)
    }

    /// Writes the sales export (one line per tender of the sales made between two local days, inclusive) to
    /// `path`, and journals it.
    pub fn export_sales(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        format: CsvFormat,
        path: &Path,
    ) -> Result<crate::ledger::export_sales::SalesSummary> {
        check_range(Some(from), Some(to))?;
        let (f, t) = logic::local_days_to_utc(from, to);
        let summary =
            crate::ledger::export_sales::write_sales_to_path(self.ledger(), f, t, format, path)?;
        self.ledger()
            .append(
                self.operator(),
                &Event::ExportMade {
                    from: from.to_string(),
                    to: to.to_string(),
                    format: format.name().to_string(),
                    rows: summary.rows,
                    what: Some("sales".into()),
                },
            )
            .map_err(TillError::from_ledger)?;
        Ok(summary)
    }

    /// Walks the journal's hash chain and checks its recorded head; replays it and compares the derived tables.
    /// Names the first entry edited, removed or reordered, a cut tail, or the first derived value edited.
    pub fn verify_ledger(&self) -> Result<VerifyReport> {
        self.ledger().verify().map_err(TillError::from_ledger)
    }

    /// [`Records::verify_ledger`], then the check and its result journaled (a technical event). A check whose
    /// result cannot be journaled still reports what it found.
    pub fn check_integrity(&self) -> Result<VerifyReport> {
        let report = self.verify_ledger()?;
        let journaled = self.ledger().append(
            self.operator(),
            &Event::IntegrityChecked {
                entries: report.entries_checked,
                ok: report.is_sound(),
                problem: report.first_break.as_ref().map(|b| b.describe_en()),
            },
        );
        if let Err(e) = journaled {
            tracing::warn!(error = %e, "the integrity check could not be journaled");
        }
        Ok(report)
    }
}

/// A period whose first day comes after its last is refused before anything is read or written.
pub(super) fn check_range(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<()> {
    match (from, to) {
        (Some(f), Some(t)) if logic::ordered_days(f, t).is_none() => {
            Err(TillError::RangeReversed { from: f, to: t })
        }
        _ => Ok(()),
    }
}
