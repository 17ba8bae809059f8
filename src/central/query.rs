//! The back office over every till, read from the centre: sales, refunds, the refund export (each row with its till
//! and shop), and the closings consolidated per shop and for the company. Any role may read (a till's, or a
//! reader's made by `central add-reader`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures_util::{StreamExt, pin_mut};
use serde::Serialize;

use crate::domain::closing::{Closing, ClosingKind};
use crate::domain::{Amount, RefundState};
use crate::ledger::export::{CsvFormat, CsvSink, ExportError, ExportFile, ExportSummary};
use crate::ledger::{RefundExportRow, RefundRecord};

use super::CentralError;

/// Which tills a query covers: all of them, one till, or one shop's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Only this till (`T02`).
    pub till: Option<String>,
    /// Only this shop's tills.
    pub shop: Option<String>,
}

/// A refund export line read at the centre: the till's line, and which till and shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentralRefundRow {
    /// The till that made the refund.
    pub till: String,
    /// Its shop.
    pub shop: Option<String>,
    /// The line, as the till's own export has it.
    pub row: RefundExportRow,
}

/// A sale at the centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CentralCheckout {
    /// The till that made it.
    pub till: String,
    /// Its shop.
    pub shop: Option<String>,
    /// The order reference.
    pub merchant_reference: String,
    /// The platform's id.
    pub hosted_checkout_id: Option<String>,
    /// The sale's amount, in cents.
    pub amount_cents: i64,
    /// Where it stands (`paid`, `in_progress`, …).
    pub state: String,
    /// When it was made (UTC, as the till wrote it).
    pub created_at: String,
    /// Who made it.
    pub operator: String,
    /// Captured over its tenders, in cents.
    pub captured_cents: i64,
    /// Refunded (money left) by any till, in cents.
    pub refunded_cents: i64,
    /// What is left to refund over every till (reservations counted), in cents.
    pub refundable_cents: i64,
}

/// A tender the centre holds, as a till needs it to refund a sale made elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentralTender {
    /// The till that sold it.
    pub till: String,
    /// The payment id.
    pub payment_id: String,
    /// The checkout.
    pub hosted_checkout_id: String,
    /// The sale's reference.
    pub merchant_reference: String,
    /// The sale's amount.
    pub sale_amount_cents: i64,
    /// The product (3103, 1, 3).
    pub product_id: i32,
    /// The masked number.
    pub masked_number: Option<String>,
    /// The tender's amount.
    pub amount_cents: i64,
    /// What was captured.
    pub captured_cents: i64,
    /// The platform's status.
    pub status: String,
    /// What is left to refund over every till.
    pub left_cents: i64,
}

fn time(s: &str) -> Result<DateTime<Utc>, CentralError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| CentralError::Sql(format!("a time the centre holds is not one: {s}")))
}

fn amount(cents: i64) -> Result<Amount, CentralError> {
    Amount::from_cents(cents)
        .ok_or_else(|| CentralError::Sql(format!("an amount the centre holds is not one: {cents}")))
}

fn id<T: std::str::FromStr>(s: String) -> Result<T, CentralError> {
    s.parse::<T>()
        .map_err(|_| CentralError::Sql(format!("an id the centre holds is not one: {s}")))
}

/// The export's query: the refunds of the period, each with what its card had refunded before it (over every till,
/// in time order) and the card's rank among its sale's gift cards, computed once per card with window functions over
/// the cards the period touches (never a query per line).
const EXPORT: &str = "WITH hist AS (
         SELECT r.*, COALESCE(sum(r.amount_cents) FILTER (WHERE r.state IN ('pending', 'refunded'))
             OVER (PARTITION BY r.payment_id ORDER BY r.created_at, r.till, r.number
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::bigint AS before
         FROM cadodesk.refunds r
         WHERE EXISTS (SELECT 1 FROM cadodesk.refunds p
                       WHERE p.payment_id = r.payment_id AND p.created_at >= $1 AND p.created_at < $2)
     ), cards AS (
         SELECT t.*, count(*) FILTER (WHERE t.product_id = 3103)
             OVER (PARTITION BY t.hosted_checkout_id ORDER BY t.position
                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS rank
         FROM cadodesk.tenders t
         WHERE EXISTS (SELECT 1 FROM cadodesk.tenders t1 JOIN cadodesk.refunds p ON p.payment_id = t1.payment_id
                       WHERE t1.hosted_checkout_id = t.hosted_checkout_id
                         AND p.created_at >= $1 AND p.created_at < $2)
     )
     SELECT r.idempotence_key, r.number, r.payment_id, r.hosted_checkout_id, r.refund_id,
       r.amount_cents, r.reason, r.state, r.platform_status, r.failure, r.external, r.operator, r.created_at,
       r.updated_at, r.final_at,
       c.merchant_reference, c.amount_cents, t.product_id, t.position, t.rank,
       t.masked_number, t.captured_cents, r.before, r.till, tl.shop
     FROM hist r
     JOIN cards t ON t.payment_id = r.payment_id
     JOIN cadodesk.checkouts c ON c.till = t.till AND c.hosted_checkout_id = t.hosted_checkout_id
     JOIN cadodesk.tills tl ON tl.code = r.till
     WHERE r.created_at >= $1 AND r.created_at < $2
       AND ($3::text IS NULL OR r.till = $3) AND ($4::text IS NULL OR tl.shop = $4)
     ORDER BY r.till, r.number";

fn export_row(r: &tokio_postgres::Row) -> Result<CentralRefundRow, CentralError> {
    let state: String = r.get(7);
    let final_at: Option<String> = r.get(14);
    let refund = RefundRecord {
        idempotence_key: id(r.get(0))?,
        number: r.get(1),
        payment_id: id(r.get(2))?,
        hosted_checkout_id: id(r.get(3))?,
        refund_id: r.get::<_, Option<String>>(4).map(id).transpose()?,
        amount: amount(r.get(5))?,
        reason: r.get(6),
        state: state.parse::<RefundState>().map_err(|_| {
            CentralError::Sql(format!(
                "a refund state the centre holds is not one: {state}"
            ))
        })?,
        platform_status: r.get(8),
        failure: r.get(9),
        external: r.get(10),
        operator: r.get(11),
        created_at: time(r.get(12))?,
        updated_at: time(r.get(13))?,
        final_at: final_at.as_deref().map(time).transpose()?,
    };
    Ok(CentralRefundRow {
        till: r.get(23),
        shop: r.get(24),
        row: RefundExportRow {
            refund,
            merchant_reference: r.get(15),
            sale_amount: amount(r.get(16))?,
            product_id: r.get(17),
            tender_position: i64::from(r.get::<_, i32>(18)),
            gift_card_rank: r.get(19),
            masked_number: r.get(20),
            tender_captured: amount(r.get(21))?,
            refunded_before: amount(r.get(22))?,
        },
    })
}

/// An error while streaming the export's lines: from the centre, or from the caller's sink.
#[derive(Debug)]
pub enum ExportReadError<E> {
    /// Reading the centre failed.
    Centre(CentralError),
    /// The sink refused a line (a full disk).
    Sink(E),
}

/// Streams the refund export lines of every till in scope for refunds asked in `[from, to)`, by till then number,
/// one at a time (memory does not grow with the rows).
pub async fn for_each_refund_export_row<E>(
    client: &tokio_postgres::Client,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    scope: &Scope,
    mut each: impl FnMut(&CentralRefundRow) -> Result<(), E>,
) -> Result<u64, ExportReadError<E>> {
    let pg = |e: tokio_postgres::Error| ExportReadError::Centre(CentralError::from_pg(&e));
    let from_s = crate::ledger::journal::format_time(from);
    let to_s = crate::ledger::journal::format_time(to);
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
        [&from_s, &to_s, &scope.till, &scope.shop];
    let rows = client
        .query_raw(EXPORT, params.iter().copied())
        .await
        .map_err(pg)?;
    pin_mut!(rows);
    let mut n = 0u64;
    while let Some(row) = rows.next().await {
        let row = export_row(&row.map_err(pg)?).map_err(ExportReadError::Centre)?;
        each(&row).map_err(ExportReadError::Sink)?;
        n += 1;
    }
    Ok(n)
}

/// Writes the refund export of every till in scope for refunds asked in `[from, to)` to `path`, each line with its
/// till and shop first, as safely as a till's own export ([`ExportFile`]: never over one of `own`, never a half
/// file).
pub async fn export_refunds(
    client: &tokio_postgres::Client,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    scope: &Scope,
    format: CsvFormat,
    path: &std::path::Path,
    own: Vec<std::path::PathBuf>,
) -> Result<ExportSummary, CentralError> {
    let mut file = ExportFile::create(path, own)?;
    let werr = |e: &dyn std::fmt::Display| {
        CentralError::Export(ExportError::Write {
            path: path.display().to_string(),
            detail: e.to_string(),
        })
    };
    let mut sink = CsvSink::with_till_columns(format, file.writer()).map_err(|e| werr(&e))?;
    for_each_refund_export_row(client, from, to, scope, |r| {
        sink.write_row_of(&r.till, r.shop.as_deref(), &r.row)
    })
    .await
    .map_err(|e| match e {
        ExportReadError::Centre(c) => c,
        ExportReadError::Sink(s) => werr(&s),
    })?;
    let summary = sink.finish().map_err(|e| werr(&e))?;
    let written = file.commit()?;
    Ok(ExportSummary {
        path: Some(written),
        ..summary
    })
}

/// The sales of every till in scope made in `[from, to)`, newest first, at most `limit`.
pub async fn checkouts(
    client: &tokio_postgres::Client,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    scope: &Scope,
    limit: i64,
) -> Result<Vec<CentralCheckout>, CentralError> {
    let from_s = from.map(crate::ledger::journal::format_time);
    let to_s = to.map(crate::ledger::journal::format_time);
    let rows = client
        .query(
            "SELECT c.till, tl.shop, c.merchant_reference, c.hosted_checkout_id, c.amount_cents, c.state,
                    c.created_at, c.operator,
                    COALESCE((SELECT sum(t.captured_cents) FROM cadodesk.tenders t
                              WHERE t.till = c.till AND t.hosted_checkout_id = c.hosted_checkout_id), 0)::bigint,
                    COALESCE((SELECT sum(r.amount_cents) FROM cadodesk.refunds r
                              JOIN cadodesk.tenders t ON t.payment_id = r.payment_id
                              WHERE t.till = c.till AND t.hosted_checkout_id = c.hosted_checkout_id
                                AND r.state IN ('pending', 'refunded')), 0)::bigint,
                    COALESCE((SELECT sum(cadodesk.left_to_refund(t.payment_id)) FROM cadodesk.tenders t
                              WHERE t.till = c.till AND t.hosted_checkout_id = c.hosted_checkout_id), 0)::bigint
             FROM cadodesk.checkouts c JOIN cadodesk.tills tl ON tl.code = c.till
             WHERE ($1::text IS NULL OR c.created_at >= $1) AND ($2::text IS NULL OR c.created_at < $2)
               AND ($3::text IS NULL OR c.till = $3) AND ($4::text IS NULL OR tl.shop = $4)
             ORDER BY c.created_at DESC, c.till LIMIT $5",
            &[&from_s, &to_s, &scope.till, &scope.shop, &limit],
        )
        .await
        .map_err(|e| CentralError::from_pg(&e))?;
    Ok(rows
        .iter()
        .map(|r| CentralCheckout {
            till: r.get(0),
            shop: r.get(1),
            merchant_reference: r.get(2),
            hosted_checkout_id: r.get(3),
            amount_cents: r.get(4),
            state: r.get(5),
            created_at: r.get(6),
            operator: r.get(7),
            captured_cents: r.get(8),
            refunded_cents: r.get(9),
            refundable_cents: r.get(10),
        })
        .collect())
}

/// A tender as the centre holds it, with what is left to refund over every till; `None` when no till has sent it.
pub async fn tender(
    client: &tokio_postgres::Client,
    payment_id: &str,
) -> Result<Option<CentralTender>, CentralError> {
    let row = client
        .query_opt(
            "SELECT t.till, t.payment_id, t.hosted_checkout_id, c.merchant_reference, c.amount_cents, t.product_id,
                    t.masked_number, t.amount_cents, t.captured_cents, t.status,
                    cadodesk.left_to_refund(t.payment_id)
             FROM cadodesk.tenders t
             JOIN cadodesk.checkouts c ON c.till = t.till AND c.hosted_checkout_id = t.hosted_checkout_id
             WHERE t.payment_id = $1",
            &[&payment_id],
        )
        .await
        .map_err(|e| CentralError::from_pg(&e))?;
    Ok(row.map(|r| CentralTender {
        till: r.get(0),
        payment_id: r.get(1),
        hosted_checkout_id: r.get(2),
        merchant_reference: r.get(3),
        sale_amount_cents: r.get(4),
        product_id: r.get(5),
        masked_number: r.get(6),
        amount_cents: r.get(7),
        captured_cents: r.get(8),
        status: r.get(9),
        left_cents: r.get(10),
    }))
}

/// The tenders of a sale the centre holds, by its reference or its hosted checkout id, in their order.
pub async fn sale_tenders(
    client: &tokio_postgres::Client,
    sale: &str,
) -> Result<Vec<CentralTender>, CentralError> {
    let rows = client
        .query(
            "SELECT t.payment_id FROM cadodesk.checkouts c
             JOIN cadodesk.tenders t ON t.till = c.till AND t.hosted_checkout_id = c.hosted_checkout_id
             WHERE c.merchant_reference = $1 OR c.hosted_checkout_id = $1 ORDER BY t.position",
            &[&sale],
        )
        .await
        .map_err(|e| CentralError::from_pg(&e))?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let payment: String = r.get(0);
        if let Some(t) = tender(client, &payment).await? {
            out.push(t);
        }
    }
    Ok(out)
}

/// One till's closing, as the centre holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TillClosing {
    /// The till.
    pub till: String,
    /// Its shop.
    pub shop: Option<String>,
    /// The closing, as the till froze it.
    pub closing: Closing,
}

/// The closings of every till in scope, of one kind, by period then till.
pub async fn closings(
    client: &tokio_postgres::Client,
    kind: ClosingKind,
    scope: &Scope,
) -> Result<Vec<TillClosing>, CentralError> {
    let rows = client
        .query(
            "SELECT c.till, tl.shop, c.closing::text FROM cadodesk.closings c
             JOIN cadodesk.tills tl ON tl.code = c.till
             WHERE c.kind = $1 AND ($2::text IS NULL OR c.till = $2) AND ($3::text IS NULL OR tl.shop = $3)
             ORDER BY c.label, c.till, c.number",
            &[&kind.code(), &scope.till, &scope.shop],
        )
        .await
        .map_err(|e| CentralError::from_pg(&e))?;
    rows.iter()
        .map(|r| {
            let text: String = r.get(2);
            Ok(TillClosing {
                till: r.get(0),
                shop: r.get(1),
                closing: serde_json::from_str(&text).map_err(|e| {
                    CentralError::Sql(format!("a closing the centre holds cannot be read: {e}"))
                })?,
            })
        })
        .collect()
}

/// The closings of one period (`2026-11-29`) added up over several tills: a shop's, or the company's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Consolidated {
    /// The period, as the tills' closings name it.
    pub label: String,
    /// Every shop's tills (the company), or one shop's.
    pub company: bool,
    /// The shop, for a shop's.
    pub shop: Option<String>,
    /// The tills whose closing of this period is counted, in order.
    pub tills: Vec<String>,
    /// Sales paid.
    pub sales_count: i64,
    /// Refunds counted.
    pub refunds_count: i64,
    /// Payments captured.
    pub payments_cents: i64,
    /// Refunds whose money left.
    pub refunds_cents: i64,
    /// Payments less refunds.
    pub net_cents: i64,
    /// Per tender kind: payments and refunds.
    pub by_tender: BTreeMap<String, (i64, i64)>,
    /// The sum of the tills' perpetual totals at their closing of this period.
    pub perpetual_total_cents: i64,
}

/// Adds the tills' closings up per period, for each shop and for the company: a pure function of the closings.
/// A till that made no closing of a period (closed, or not sent yet) is simply not among its `tills`.
pub fn consolidate(closings: &[TillClosing]) -> Vec<Consolidated> {
    let mut by: BTreeMap<(String, Option<Option<String>>), Consolidated> = BTreeMap::new();
    for c in closings {
        // Once for the shop, once for the company (the `None` key).
        for key in [Some(c.shop.clone()), None] {
            let e = by
                .entry((c.closing.label.clone(), key.clone()))
                .or_insert_with(|| Consolidated {
                    label: c.closing.label.clone(),
                    company: key.is_none(),
                    shop: key.clone().flatten(),
                    ..Consolidated::default()
                });
            let t = &c.closing.totals;
            e.tills.push(c.till.clone());
            e.sales_count += t.sales_count;
            e.refunds_count += t.refunds_count;
            e.payments_cents += t.payments_cents;
            e.refunds_cents += t.refunds_cents;
            e.net_cents += t.net_cents();
            e.perpetual_total_cents += c.closing.perpetual_total_cents;
            for k in &t.by_tender {
                let slot = e.by_tender.entry(k.kind.clone()).or_default();
                slot.0 += k.payments_cents;
                slot.1 += k.refunds_cents;
            }
        }
    }
    by.into_values()
        .map(|mut c| {
            c.tills.sort();
            c
        })
        .collect()
}
