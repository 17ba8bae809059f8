//! The sales export: one line per tender (each gift card, the card for the remainder) of the sales made in a
//! period, with its sale, what it paid, what was refunded on it and what is left: the accountant's takings per card.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Paris;
use rusqlite::params;

use super::export::{CsvFormat, ExportError, ExportFile, card_type, neutralise, utc_iso};
use super::journal::format_time;
use super::queries::{amount, time};
use super::{Ledger, LedgerError, refund_states_where};
use crate::domain::{Amount, CheckoutState, PRODUCT_CADO, RefundState};
use crate::i18n::Lang;

/// One line: a tender and its sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleExportRow {
    /// The sale's reference.
    pub merchant_reference: String,
    /// When the sale was made.
    pub created_at: DateTime<Utc>,
    /// The sale's amount.
    pub sale_amount: Amount,
    /// Where the sale stands.
    pub sale_state: CheckoutState,
    /// Who made it.
    pub operator: String,
    /// The tender.
    pub payment_id: String,
    /// Its product.
    pub product_id: i32,
    /// Its rank among the sale's gift cards (product 3103).
    pub gift_card_rank: i64,
    /// The masked number.
    pub masked_number: Option<String>,
    /// What the tender was for.
    pub tender_amount: Amount,
    /// What it paid (captured).
    pub captured: Amount,
    /// Refunded on it (money that left: refunded or pending).
    pub refunded: Amount,
    /// Left to refund on it (captured − refunded − refunds awaiting their answer).
    pub refundable: Amount,
    /// The platform's status of the tender.
    pub status: String,
}

/// The header line.
pub fn sales_header(format: CsvFormat) -> [&'static str; SALES_COLUMNS] {
    match format {
        CsvFormat::ExcelFr => [
            "reference_commande",
            "date_heure_locale",
            "date_utc",
            "vente_montant",
            "vente_statut",
            "operateur",
            "payment_id",
            "carte_type",
            "carte_rang",
            "carte_numero",
            "carte_montant",
            "carte_montant_paye",
            "carte_rembourse",
            "carte_reste_remboursable",
            "carte_statut",
        ],
        CsvFormat::Rfc4180 => [
            "order_reference",
            "local_time",
            "utc_time",
            "sale_amount",
            "sale_status",
            "operator",
            "payment_id",
            "card_type",
            "card_rank",
            "card_number",
            "card_amount",
            "card_paid",
            "card_refunded",
            "card_still_refundable",
            "card_status",
        ],
    }
}

/// Number of columns of the sales export.
pub const SALES_COLUMNS: usize = 15;

/// One line of the sales export: a pure function of the row and the profile.
pub fn sale_cells(row: &SaleExportRow, format: CsvFormat) -> [String; SALES_COLUMNS] {
    let lang = match format {
        CsvFormat::ExcelFr => Lang::Fr,
        CsvFormat::Rfc4180 => Lang::En,
    };
    let d = format.decimal();
    let local = row.created_at.with_timezone(&Paris);
    [
        neutralise(&row.merchant_reference),
        match format {
            CsvFormat::ExcelFr => local.format("%d/%m/%Y %H:%M:%S").to_string(),
            CsvFormat::Rfc4180 => local.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        },
        utc_iso(row.created_at),
        row.sale_amount.plain(d),
        row.sale_state.label(lang).to_string(),
        neutralise(&row.operator),
        neutralise(&row.payment_id),
        card_type(row.product_id, lang),
        if row.product_id == PRODUCT_CADO {
            row.gift_card_rank.to_string()
        } else {
            String::new()
        },
        neutralise(row.masked_number.as_deref().unwrap_or("")),
        row.tender_amount.plain(d),
        row.captured.plain(d),
        row.refunded.plain(d),
        row.refundable.plain(d),
        neutralise(&row.status),
    ]
}

/// What a sales export wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesSummary {
    /// Lines (tenders) written.
    pub rows: u64,
    /// Paid over them (captured).
    pub paid: Amount,
    /// Refunded over them.
    pub refunded: Amount,
}

impl Ledger {
    /// Streams the tenders of the sales made in `[from, to)`, by sale then tender, one at a time.
    pub fn for_each_sale_export_row<E>(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        mut each: impl FnMut(&SaleExportRow) -> Result<(), E>,
    ) -> Result<u64, super::ExportReadError<E>> {
        let err = |e| super::ExportReadError::Ledger(LedgerError::from_sqlite(e, &self.path));
        let conn = rusqlite::Connection::open_with_flags(
            self.path.as_path(),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(err)?;
        conn.busy_timeout(super::BUSY_TIMEOUT).map_err(err)?;
        let sql = format!(
            "SELECT c.merchant_reference, c.created_at, c.amount_cents, c.state, c.operator, t.payment_id,
               t.product_id,
               (SELECT COUNT(*) FROM tenders t2 WHERE t2.hosted_checkout_id = t.hosted_checkout_id
                  AND t2.product_id = {PRODUCT_CADO} AND t2.position <= t.position),
               t.masked_number, t.amount_cents, t.captured_cents,
               (SELECT COALESCE(SUM(r.amount_cents), 0) FROM refunds r WHERE r.payment_id = t.payment_id
                  AND r.state IN ({left})),
               (SELECT COALESCE(SUM(r.amount_cents), 0) FROM refunds r WHERE r.payment_id = t.payment_id
                  AND r.state IN ({held})),
               t.status
             FROM tenders t JOIN checkouts c ON c.hosted_checkout_id = t.hosted_checkout_id
             WHERE c.created_at >= ?1 AND c.created_at < ?2 AND c.sold_at_till IS NULL
             ORDER BY c.created_at, c.merchant_reference, t.position",
            left = refund_states_where(RefundState::left_money),
            held = refund_states_where(RefundState::awaits_answer),
        );
        let mut stmt = conn.prepare(&sql).map_err(err)?;
        let mut rows = stmt
            .query(params![format_time(from), format_time(to)])
            .map_err(err)?;
        let mut n = 0u64;
        while let Some(r) = rows.next().map_err(err)? {
            let row = (|| -> rusqlite::Result<SaleExportRow> {
                let created: String = r.get(1)?;
                let state: String = r.get(3)?;
                let captured = amount(r, 10)?;
                let refunded = amount(r, 11)?;
                let held = amount(r, 12)?;
                Ok(SaleExportRow {
                    merchant_reference: r.get(0)?,
                    created_at: time(&created)?,
                    sale_amount: amount(r, 2)?,
                    sale_state: CheckoutState::from_stored(&state).map_err(|_| {
                        rusqlite::Error::InvalidColumnType(
                            3,
                            "state".into(),
                            rusqlite::types::Type::Text,
                        )
                    })?,
                    operator: r.get(4)?,
                    payment_id: r.get(5)?,
                    product_id: r.get(6)?,
                    gift_card_rank: r.get(7)?,
                    masked_number: r.get(8)?,
                    tender_amount: amount(r, 9)?,
                    captured,
                    refunded,
                    refundable: captured.saturating_sub(refunded).saturating_sub(held),
                    status: r.get(13)?,
                })
            })()
            .map_err(err)?;
            each(&row).map_err(super::ExportReadError::Sink)?;
            n += 1;
        }
        Ok(n)
    }
}

/// Writes the sales export of `[from, to)` to `path`, as safely as the refund export ([`ExportFile`]).
pub fn write_sales_to_path(
    ledger: &Ledger,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    format: CsvFormat,
    path: &Path,
) -> Result<SalesSummary, ExportError> {
    let mut file = ExportFile::create(path, ledger.own_files())?;
    let werr = |e: &dyn std::fmt::Display| ExportError::Write {
        path: path.display().to_string(),
        detail: e.to_string(),
    };
    let mut summary = SalesSummary {
        rows: 0,
        paid: Amount::ZERO,
        refunded: Amount::ZERO,
    };
    {
        let out = file.writer();
        if format == CsvFormat::ExcelFr {
            out.write_all("\u{feff}".as_bytes()).map_err(|e| werr(&e))?;
        }
        let mut w = csv::WriterBuilder::new()
            .delimiter(format.delimiter())
            .terminator(csv::Terminator::CRLF)
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(out);
        w.write_record(sales_header(format)).map_err(|e| werr(&e))?;
        ledger
            .for_each_sale_export_row(from, to, |row| {
                summary.rows += 1;
                summary.paid = summary.paid.saturating_add(row.captured);
                summary.refunded = summary.refunded.saturating_add(row.refunded);
                w.write_record(sale_cells(row, format))
            })
            .map_err(|e| match e {
                super::ExportReadError::Ledger(l) => ExportError::Ledger(l),
                super::ExportReadError::Sink(s) => werr(&s),
            })?;
        w.flush().map_err(|e| werr(&e))?;
    }
    file.commit()?;
    Ok(summary)
}
