//! The reads the screens, the command line and the export need.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::journal::{Entry, format_time};
use super::refund_states_where;
use super::{Ledger, LedgerError};
use crate::domain::{
    Amount, CheckoutState, HostedCheckoutId, IdempotenceKey, InvalidId, PaymentId, RefundId,
    RefundState, refundable,
};

type Result<T, E = LedgerError> = std::result::Result<T, E>;

/// A checkout as the ledger knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckoutRecord {
    /// Our order reference.
    pub merchant_reference: String,
    /// The platform's id, once created.
    pub hosted_checkout_id: Option<HostedCheckoutId>,
    /// The amount asked.
    pub amount: Amount,
    /// The customer's e-mail.
    pub email: Option<String>,
    /// The hosted page's locale.
    pub locale: String,
    /// Where the customer returns.
    pub return_url: Option<String>,
    /// The page the customer pays on.
    pub redirect_url: Option<String>,
    /// Where it stands (a checkout asked and not answered reads as in progress, one whose creation failed as
    /// rejected, with its `failure`).
    pub state: CheckoutState,
    /// The platform's last hosted-checkout status.
    pub platform_status: Option<String>,
    /// Why creation failed.
    pub failure: Option<String>,
    /// Who created it.
    pub operator: String,
    /// When it was asked.
    pub created_at: DateTime<Utc>,
    /// When its record last changed.
    pub updated_at: DateTime<Utc>,
}

/// A checkout line for lists, with its sums.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckoutSummary {
    /// The checkout.
    pub checkout: CheckoutRecord,
    /// Captured over all tenders.
    pub captured: Amount,
    /// Refunded (final) over all tenders.
    pub refunded: Amount,
    /// Asked back and not final yet (requested, pending or unknown) over all tenders: held, not refundable.
    pub held: Amount,
    /// Number of tenders.
    pub tenders: i64,
}

/// A tender (one gift card, or the card for the remainder) with its refund sums.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenderRecord {
    /// The platform's payment id.
    pub payment_id: PaymentId,
    /// Its checkout.
    pub hosted_checkout_id: HostedCheckoutId,
    /// 1 for the first tender seen in the checkout, and so on.
    pub position: i64,
    /// 3103, 1, 3, …
    pub product_id: i32,
    /// Masked card number.
    pub masked_number: Option<String>,
    /// The tender's amount.
    pub amount: Amount,
    /// What was captured.
    pub captured: Amount,
    /// The platform's status.
    pub status: String,
    /// The platform's status code.
    pub status_code: Option<i32>,
    /// Refunds the platform confirmed.
    pub refunded: Amount,
    /// Refunds asked and not yet final (requested, pending or unknown).
    pub pending: Amount,
    /// A refund on this tender has no answer yet.
    pub in_flight: bool,
}

impl TenderRecord {
    /// What is left to refund ([`crate::domain::refundable`]).
    pub fn refundable(&self) -> Amount {
        refundable(self.captured, self.refunded, self.pending)
    }
}

/// A refund as the ledger knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundRecord {
    /// The idempotence key (for imported refunds, `ext-<refund id>`).
    pub idempotence_key: IdempotenceKey,
    /// The sequential refund number.
    pub number: i64,
    /// The tender.
    pub payment_id: PaymentId,
    /// The checkout.
    pub hosted_checkout_id: HostedCheckoutId,
    /// The platform's refund id, once known.
    pub refund_id: Option<RefundId>,
    /// The amount.
    pub amount: Amount,
    /// Why.
    pub reason: String,
    /// Where it stands.
    pub state: RefundState,
    /// The platform's status.
    pub platform_status: Option<String>,
    /// Why declined or unknown.
    pub failure: Option<String>,
    /// Made outside this till.
    pub external: bool,
    /// Who asked.
    pub operator: String,
    /// When it was asked.
    pub created_at: DateTime<Utc>,
    /// When its record last changed.
    pub updated_at: DateTime<Utc>,
    /// When it reached a final state.
    pub final_at: Option<DateTime<Utc>>,
}

/// Filters for [`Ledger::list_checkouts`].
#[derive(Debug, Clone, Default)]
pub struct CheckoutListFilter {
    /// Created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Created before.
    pub to: Option<DateTime<Utc>>,
    /// Only this state.
    pub state: Option<CheckoutState>,
    /// Text found in the reference, the hosted checkout id, the e-mail or a payment id.
    pub text: Option<String>,
    /// At most this many rows (newest first).
    pub limit: Option<i64>,
}

pub(super) fn time(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
}

/// A stored value that does not read as what its column holds: an error naming the column, never a default.
#[derive(Debug)]
struct Unreadable {
    column: String,
    detail: String,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "column {}: {}", self.column, self.detail)
    }
}

impl std::error::Error for Unreadable {}

fn unreadable(r: &Row<'_>, i: usize, detail: String) -> rusqlite::Error {
    let column = r
        .as_ref()
        .column_name(i)
        .map_or_else(|_| format!("#{i}"), str::to_string);
    rusqlite::Error::FromSqlConversionFailure(
        i,
        rusqlite::types::Type::Integer,
        Box::new(Unreadable { column, detail }),
    )
}

/// An amount column: cents that are not an amount (negative) are an error naming the column.
pub(super) fn amount(r: &Row<'_>, i: usize) -> rusqlite::Result<Amount> {
    let cents: i64 = r.get(i)?;
    Amount::from_cents(cents)
        .ok_or_else(|| unreadable(r, i, format!("{cents} cents is not an amount")))
}

/// An id column: text that is not an id of its kind is an error naming the column.
fn id<T: std::str::FromStr<Err = InvalidId>>(r: &Row<'_>, i: usize) -> rusqlite::Result<T> {
    let text: String = r.get(i)?;
    text.parse()
        .map_err(|e: InvalidId| unreadable(r, i, e.to_string()))
}

/// An optional id column.
fn id_opt<T: std::str::FromStr<Err = InvalidId>>(
    r: &Row<'_>,
    i: usize,
) -> rusqlite::Result<Option<T>> {
    let text: Option<String> = r.get(i)?;
    text.map(|t| {
        t.parse()
            .map_err(|e: InvalidId| unreadable(r, i, e.to_string()))
    })
    .transpose()
}

pub(super) fn refund_state(r: &Row<'_>, i: usize) -> rusqlite::Result<RefundState> {
    let code: String = r.get(i)?;
    code.parse()
        .map_err(|e: crate::domain::UnknownState| unreadable(r, i, e.to_string()))
}

fn checkout_state(r: &Row<'_>, i: usize) -> rusqlite::Result<CheckoutState> {
    let code: String = r.get(i)?;
    CheckoutState::from_stored(&code).map_err(|e| unreadable(r, i, e.to_string()))
}

pub(super) fn entry_from_row(r: &Row<'_>) -> rusqlite::Result<Entry> {
    let at: String = r.get(1)?;
    Ok(Entry {
        seq: r.get(0)?,
        at: time(&at)?,
        kind: r.get(2)?,
        operator: r.get(3)?,
        payload: r.get(4)?,
        prev_hash: r.get(5)?,
        hash: r.get(6)?,
    })
}

const CHECKOUT_COLUMNS: &str = "c.merchant_reference, c.hosted_checkout_id, c.amount_cents, c.email, c.locale, \
     c.return_url, c.redirect_url, c.state, c.platform_status, c.failure, c.operator, c.created_at, c.updated_at";

fn checkout_from_row(r: &Row<'_>) -> rusqlite::Result<CheckoutRecord> {
    let created: String = r.get(11)?;
    let updated: String = r.get(12)?;
    Ok(CheckoutRecord {
        merchant_reference: r.get(0)?,
        hosted_checkout_id: id_opt(r, 1)?,
        amount: amount(r, 2)?,
        email: r.get(3)?,
        locale: r.get(4)?,
        return_url: r.get(5)?,
        redirect_url: r.get(6)?,
        state: checkout_state(r, 7)?,
        platform_status: r.get(8)?,
        failure: r.get(9)?,
        operator: r.get(10)?,
        created_at: time(&created)?,
        updated_at: time(&updated)?,
    })
}

/// The tenders with their refund sums; the state lists come from the domain's rules.
fn tender_query() -> &'static str {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "SELECT t.payment_id, t.hosted_checkout_id, t.position, t.product_id, t.masked_number, \
             t.amount_cents, t.captured_cents, t.status, t.status_code, \
             (SELECT COALESCE(SUM(amount_cents), 0) FROM refunds r WHERE r.payment_id = t.payment_id \
                AND r.state = 'refunded'), \
             (SELECT COALESCE(SUM(amount_cents), 0) FROM refunds r WHERE r.payment_id = t.payment_id \
                AND r.state IN ({held})), \
             EXISTS(SELECT 1 FROM refunds r WHERE r.payment_id = t.payment_id AND r.state IN ({in_flight})) \
             FROM tenders t",
            held = refund_states_where(RefundState::holds_amount),
            in_flight = refund_states_where(RefundState::awaits_answer),
        )
    });
    &SQL
}

fn tender_from_row(r: &Row<'_>) -> rusqlite::Result<TenderRecord> {
    Ok(TenderRecord {
        payment_id: id(r, 0)?,
        hosted_checkout_id: id(r, 1)?,
        position: r.get(2)?,
        product_id: r.get(3)?,
        masked_number: r.get(4)?,
        amount: amount(r, 5)?,
        captured: amount(r, 6)?,
        status: r.get(7)?,
        status_code: r.get(8)?,
        refunded: amount(r, 9)?,
        pending: amount(r, 10)?,
        in_flight: r.get(11)?,
    })
}

pub(super) const REFUND_COLUMNS: &str = "r.idempotence_key, r.number, r.payment_id, r.hosted_checkout_id, r.refund_id, \
     r.amount_cents, r.reason, r.state, r.platform_status, r.failure, r.external, r.operator, r.created_at, \
     r.updated_at, r.final_at";

pub(super) fn refund_from_row(r: &Row<'_>) -> rusqlite::Result<RefundRecord> {
    let created: String = r.get(12)?;
    let updated: String = r.get(13)?;
    let final_at: Option<String> = r.get(14)?;
    Ok(RefundRecord {
        idempotence_key: id(r, 0)?,
        number: r.get(1)?,
        payment_id: id(r, 2)?,
        hosted_checkout_id: id(r, 3)?,
        refund_id: id_opt(r, 4)?,
        amount: amount(r, 5)?,
        reason: r.get(6)?,
        state: refund_state(r, 7)?,
        platform_status: r.get(8)?,
        failure: r.get(9)?,
        external: r.get(10)?,
        operator: r.get(11)?,
        created_at: time(&created)?,
        updated_at: time(&updated)?,
        final_at: final_at.as_deref().map(time).transpose()?,
    })
}

impl Ledger {
    /// The number of journal entries.
    pub fn journal_len(&self) -> Result<i64> {
        let conn = self.lock();
        conn.query_row("SELECT COUNT(*) FROM journal", [], |r| r.get(0))
            .map_err(self.err())
    }

    /// Journal entries from `from_seq` (inclusive), at most `limit`, in order.
    pub fn entries(&self, from_seq: i64, limit: i64) -> Result<Vec<Entry>> {
        let conn = self.lock();
        let err = self.err();
        let mut stmt = conn
            .prepare(
                "SELECT seq, at, kind, operator, payload, prev_hash, hash FROM journal
                 WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map(params![from_seq, limit], entry_from_row)
            .map_err(&err)?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(&err)
    }

    /// The next free order reference for the given prefix (such as `CD-20261126-`): the prefix plus a four-digit
    /// counter, one more than the highest already used.
    pub fn next_merchant_reference(&self, prefix: &str) -> Result<String> {
        let conn = self.lock();
        let err = self.err();
        let mut stmt = conn
            .prepare(
                "SELECT merchant_reference FROM checkouts WHERE merchant_reference LIKE ?1 || '%'",
            )
            .map_err(&err)?;
        let mut rows = stmt.query([prefix]).map_err(&err)?;
        let mut max = 0u64;
        while let Some(r) = rows.next().map_err(&err)? {
            let reference: String = r.get(0).map_err(&err)?;
            if let Some(n) = reference
                .strip_prefix(prefix)
                .and_then(|s| s.parse::<u64>().ok())
            {
                max = max.max(n);
            }
        }
        Ok(format!("{prefix}{:04}", max + 1))
    }
    /// A checkout by the platform's id.
    pub fn checkout(&self, hosted_checkout_id: &str) -> Result<Option<CheckoutRecord>> {
        let conn = self.lock();
        conn.query_row(
            &format!("SELECT {CHECKOUT_COLUMNS} FROM checkouts c WHERE c.hosted_checkout_id = ?1"),
            [hosted_checkout_id],
            checkout_from_row,
        )
        .optional()
        .map_err(self.err())
    }

    /// A checkout by our order reference.
    pub fn checkout_by_reference(
        &self,
        merchant_reference: &str,
    ) -> Result<Option<CheckoutRecord>> {
        let conn = self.lock();
        conn.query_row(
            &format!("SELECT {CHECKOUT_COLUMNS} FROM checkouts c WHERE c.merchant_reference = ?1"),
            [merchant_reference],
            checkout_from_row,
        )
        .optional()
        .map_err(self.err())
    }

    /// Checkouts, newest first.
    pub fn list_checkouts(&self, f: &CheckoutListFilter) -> Result<Vec<CheckoutSummary>> {
        let conn = self.lock();
        let err = self.err();
        let text = f
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| {
                format!(
                    "%{}%",
                    t.replace('\\', "\\\\")
                        .replace('%', "\\%")
                        .replace('_', "\\_")
                )
            });
        let sql = format!(
            "SELECT {CHECKOUT_COLUMNS},
             (SELECT COALESCE(SUM(captured_cents), 0) FROM tenders t WHERE t.hosted_checkout_id = c.hosted_checkout_id),
             (SELECT COALESCE(SUM(amount_cents), 0) FROM refunds r WHERE r.hosted_checkout_id = c.hosted_checkout_id
                AND r.state = 'refunded'),
             (SELECT COALESCE(SUM(amount_cents), 0) FROM refunds r WHERE r.hosted_checkout_id = c.hosted_checkout_id
                AND r.state IN ({held})),
             (SELECT COUNT(*) FROM tenders t WHERE t.hosted_checkout_id = c.hosted_checkout_id)
             FROM checkouts c
             WHERE (?1 IS NULL OR c.created_at >= ?1) AND (?2 IS NULL OR c.created_at < ?2)
               AND (?3 IS NULL OR c.state = ?3)
               AND (?4 IS NULL OR c.merchant_reference LIKE ?4 ESCAPE '\\' OR c.hosted_checkout_id LIKE ?4 ESCAPE '\\'
                    OR c.email LIKE ?4 ESCAPE '\\'
                    OR EXISTS(SELECT 1 FROM tenders t WHERE t.hosted_checkout_id = c.hosted_checkout_id
                              AND t.payment_id LIKE ?4 ESCAPE '\\'))
             ORDER BY c.created_at DESC, c.seq DESC LIMIT ?5",
            held = refund_states_where(RefundState::holds_amount)
        );
        let mut stmt = conn.prepare(&sql).map_err(&err)?;
        let rows = stmt
            .query_map(
                params![
                    f.from.map(format_time),
                    f.to.map(format_time),
                    f.state.map(CheckoutState::code),
                    text,
                    f.limit.unwrap_or(-1)
                ],
                |r| {
                    Ok(CheckoutSummary {
                        checkout: checkout_from_row(r)?,
                        captured: amount(r, 13)?,
                        refunded: amount(r, 14)?,
                        held: amount(r, 15)?,
                        tenders: r.get(16)?,
                    })
                },
            )
            .map_err(&err)?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(&err)
    }

    /// Checkouts that are not final yet (created but not paid, cancelled, expired or rejected; or asked and never
    /// answered), oldest first.
    pub fn unfinished_checkouts(&self) -> Result<Vec<CheckoutRecord>> {
        let conn = self.lock();
        let err = self.err();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {CHECKOUT_COLUMNS} FROM checkouts c WHERE c.state IN ('requested', {watched})
                 ORDER BY c.created_at",
                watched = CheckoutState::ALL
                    .into_iter()
                    .filter(|s| !s.is_final())
                    .map(|s| format!("'{}'", s.code()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .map_err(&err)?;
        let rows = stmt.query_map([], checkout_from_row).map_err(&err)?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(&err)
    }

    /// The tenders of a checkout, in the order they were seen.
    pub fn tenders(&self, hosted_checkout_id: &str) -> Result<Vec<TenderRecord>> {
        let conn = self.lock();
        let err = self.err();
        let mut stmt = conn
            .prepare(&format!(
                "{} WHERE t.hosted_checkout_id = ?1 ORDER BY t.position",
                tender_query()
            ))
            .map_err(&err)?;
        let rows = stmt
            .query_map([hosted_checkout_id], tender_from_row)
            .map_err(&err)?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(&err)
    }

    /// One tender.
    pub fn tender(&self, payment_id: &str) -> Result<Option<TenderRecord>> {
        let conn = self.lock();
        conn.query_row(
            &format!("{} WHERE t.payment_id = ?1", tender_query()),
            [payment_id],
            tender_from_row,
        )
        .optional()
        .map_err(self.err())
    }

    /// The refunds of a checkout, by number.
    pub fn refunds_of_checkout(&self, hosted_checkout_id: &str) -> Result<Vec<RefundRecord>> {
        let conn = self.lock();
        let err = self.err();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {REFUND_COLUMNS} FROM refunds r WHERE r.hosted_checkout_id = ?1 ORDER BY r.number"
            ))
            .map_err(&err)?;
        let rows = stmt
            .query_map([hosted_checkout_id], refund_from_row)
            .map_err(&err)?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(&err)
    }

    /// A refund by its idempotence key.
    pub fn refund_by_key(&self, idempotence_key: &str) -> Result<Option<RefundRecord>> {
        let conn = self.lock();
        conn.query_row(
            &format!("SELECT {REFUND_COLUMNS} FROM refunds r WHERE r.idempotence_key = ?1"),
            [idempotence_key],
            refund_from_row,
        )
        .optional()
        .map_err(self.err())
    }

    /// A refund by its sequential number.
    pub fn refund_by_number(&self, number: i64) -> Result<Option<RefundRecord>> {
        let conn = self.lock();
        conn.query_row(
            &format!("SELECT {REFUND_COLUMNS} FROM refunds r WHERE r.number = ?1"),
            [number],
            refund_from_row,
        )
        .optional()
        .map_err(self.err())
    }

    /// Refunds asked in `[from, to)`, by number.
    pub fn refunds_between(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<RefundRecord>> {
        let conn = self.lock();
        let err = self.err();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {REFUND_COLUMNS} FROM refunds r WHERE (?1 IS NULL OR r.created_at >= ?1)
                 AND (?2 IS NULL OR r.created_at < ?2) ORDER BY r.number"
            ))
            .map_err(&err)?;
        let rows = stmt
            .query_map(
                params![from.map(format_time), to.map(format_time)],
                refund_from_row,
            )
            .map_err(&err)?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(&err)
    }

    /// Refunds not final yet (requested, pending or unknown), oldest first.
    pub fn unfinished_refunds(&self) -> Result<Vec<RefundRecord>> {
        let conn = self.lock();
        let err = self.err();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {REFUND_COLUMNS} FROM refunds r WHERE r.state IN ({held})
                 ORDER BY r.number",
                held = refund_states_where(RefundState::holds_amount)
            ))
            .map_err(&err)?;
        let rows = stmt.query_map([], refund_from_row).map_err(&err)?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(&err)
    }

    /// Hosted checkouts created in `[from, to)` (for reconciliation).
    /// The till that sold checkout `hosted_checkout_id`, when it is another till's sale taken in from the centre
    /// (its platform readings are that till's to journal, never this one's).
    pub fn sold_at_till(&self, hosted_checkout_id: &str) -> Result<Option<String>> {
        let conn = self.lock();
        conn.query_row(
            "SELECT sold_at_till FROM checkouts WHERE hosted_checkout_id = ?1",
            [hosted_checkout_id],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()
        .map(Option::flatten)
        .map_err(self.err())
    }

    /// The hosted checkouts this till made in `[from, to)` (not the sales of other tills it took in).
    pub fn hosted_checkouts_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<HostedCheckoutId>> {
        let conn = self.lock();
        let err = self.err();
        let mut stmt = conn
            .prepare(
                "SELECT hosted_checkout_id FROM checkouts WHERE hosted_checkout_id IS NOT NULL
                 AND created_at >= ?1 AND created_at < ?2 AND sold_at_till IS NULL ORDER BY created_at",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map(params![format_time(from), format_time(to)], |r| id(r, 0))
            .map_err(&err)?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(&err)
    }

    /// The journal entries that tell a checkout's story, in order.
    pub fn timeline(&self, merchant_reference: &str) -> Result<Vec<Entry>> {
        let conn = self.lock();
        let err = self.err();
        let mut stmt = conn
            .prepare(
                "SELECT j.seq, j.at, j.kind, j.operator, j.payload, j.prev_hash, j.hash FROM timeline t
                 JOIN journal j ON j.seq = t.seq WHERE t.merchant_reference = ?1 ORDER BY j.seq",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([merchant_reference], entry_from_row)
            .map_err(&err)?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(&err)
    }
}
