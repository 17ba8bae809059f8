//! The export's one query: every refund of a period with its sale, its tender and what was refunded before it,
//! streamed one row at a time.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::journal::format_time;
use super::queries::{REFUND_COLUMNS, RefundRecord, amount, refund_from_row};
use super::{Ledger, LedgerError, refund_states_where};
use crate::domain::{Amount, RefundState};

/// Everything one export line needs, read in one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundExportRow {
    /// The refund.
    pub refund: RefundRecord,
    /// The order reference.
    pub merchant_reference: String,
    /// The sale's amount.
    pub sale_amount: Amount,
    /// The tender's product.
    pub product_id: i32,
    /// The tender's position in its checkout.
    pub tender_position: i64,
    /// The gift card's rank among the checkout's gift cards (1–3), for product 3103.
    pub gift_card_rank: i64,
    /// The masked number.
    pub masked_number: Option<String>,
    /// The tender's captured amount.
    pub tender_captured: Amount,
    /// Refunds on the same tender before this one that left money (refunded or pending).
    pub refunded_before: Amount,
}

impl Ledger {
    /// Streams the export lines for refunds asked in `[from, to)`, by number, one at a time: memory does not grow
    /// with the number of rows. Stops at the first error `each` returns.
    pub fn for_each_refund_export_row<E>(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        mut each: impl FnMut(&RefundExportRow) -> std::result::Result<(), E>,
    ) -> std::result::Result<u64, ExportReadError<E>> {
        let err = |e| ExportReadError::Ledger(LedgerError::from_sqlite(e, &self.path));
        // A connection of its own: a long export reads a WAL snapshot and does not hold up the till's writes.
        let conn = rusqlite::Connection::open_with_flags(
            self.path.as_path(),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(err)?;
        conn.busy_timeout(super::BUSY_TIMEOUT).map_err(err)?;
        let sql = format!(
            "SELECT {REFUND_COLUMNS}, c.merchant_reference, c.amount_cents, t.product_id, t.position,
               (SELECT COUNT(*) FROM tenders t2 WHERE t2.hosted_checkout_id = t.hosted_checkout_id
                  AND t2.product_id = {cado} AND t2.position <= t.position),
               t.masked_number, t.captured_cents,
               (SELECT COALESCE(SUM(r2.amount_cents), 0) FROM refunds r2 WHERE r2.payment_id = r.payment_id
                  AND r2.number < r.number AND r2.state IN ({left}))
             FROM refunds r
             JOIN tenders t ON t.payment_id = r.payment_id
             JOIN checkouts c ON c.hosted_checkout_id = r.hosted_checkout_id
             WHERE r.created_at >= ?1 AND r.created_at < ?2
             ORDER BY r.number",
            left = refund_states_where(RefundState::left_money),
            cado = crate::domain::PRODUCT_CADO
        );
        let mut stmt = conn.prepare(&sql).map_err(err)?;
        let mut rows = stmt
            .query(params![format_time(from), format_time(to)])
            .map_err(err)?;
        let mut n = 0u64;
        while let Some(r) = rows.next().map_err(err)? {
            let row = (|| -> rusqlite::Result<RefundExportRow> {
                Ok(RefundExportRow {
                    refund: refund_from_row(r)?,
                    merchant_reference: r.get(15)?,
                    sale_amount: amount(r, 16)?,
                    product_id: r.get(17)?,
                    tender_position: r.get(18)?,
                    gift_card_rank: r.get(19)?,
                    masked_number: r.get(20)?,
                    tender_captured: amount(r, 21)?,
                    refunded_before: amount(r, 22)?,
                })
            })()
            .map_err(err)?;
            each(&row).map_err(ExportReadError::Sink)?;
            n += 1;
        }
        Ok(n)
    }
}

/// An error while streaming export rows: from the ledger, or from the caller's sink.
#[derive(Debug)]
pub enum ExportReadError<E> {
    /// Reading the ledger failed.
    Ledger(LedgerError),
    /// The sink refused a row (for example, the disk is full).
    Sink(E),
}
