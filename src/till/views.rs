//! What the use cases hand to the screens and the command line: plain data, serialisable, amounts in cents.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::logic;
use crate::domain::{
    Amount, CheckoutState, HostedCheckoutId, PaymentId, RefundId, RefundState, TenderKind,
    refundable,
};
use crate::i18n::Lang;
use crate::ledger::{CheckoutRecord, CheckoutSummary, Entry, Event, RefundRecord, TenderRecord};

/// A sale to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCheckout {
    /// At least 0,01 €.
    pub amount: Amount,
    /// 1–40 letters, digits, - _ or .; generated (`CD-20261126-0001`) when absent.
    pub merchant_reference: Option<String>,
    /// The customer's e-mail, optional.
    pub email: Option<String>,
    /// The hosted page's locale, such as `fr_FR` (empty = `fr_FR`).
    pub locale: String,
    /// An absolute return URL; the till's default when absent.
    pub return_url: Option<String>,
}

/// One tender (one gift card, or the card for the remainder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenderView {
    /// The platform's payment id.
    pub payment_id: PaymentId,
    /// 3103, 1, 3, …
    pub product_id: i32,
    /// Gift card, Visa, Mastercard, other.
    pub kind: TenderKind,
    /// Masked card number.
    pub masked_number: Option<String>,
    /// The tender's amount.
    pub amount: Amount,
    /// Captured.
    pub captured: Amount,
    /// Refunded (confirmed).
    pub refunded: Amount,
    /// Refunds asked, not final.
    pub pending: Amount,
    /// captured − refunded − pending.
    pub refundable: Amount,
    /// The platform's status.
    pub status: String,
    /// 1 for the first tender paid.
    pub position: i64,
    /// A refund on it has no answer yet.
    pub refund_in_flight: bool,
}

/// One refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundView {
    /// The sequential refund number (n° de pièce).
    pub number: i64,
    /// The platform's refund id, once known.
    pub refund_id: Option<RefundId>,
    /// The tender.
    pub payment_id: PaymentId,
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
    /// Who asked.
    pub operator: String,
    /// When asked.
    pub created_at: DateTime<Utc>,
    /// Made outside cadodesk (imported by reconciliation).
    pub external: bool,
}

/// One line of a checkout's story.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    /// Journal entry number.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// The event's kind.
    pub kind: String,
    /// Who.
    pub operator: String,
    /// What happened, in French.
    pub summary_fr: String,
    /// What happened, in English.
    pub summary_en: String,
}

impl TimelineEntry {
    /// The summary in the given language.
    pub fn summary(&self, lang: Lang) -> &str {
        lang.pick(&self.summary_fr, &self.summary_en)
    }
}

/// A checkout with its tenders, refunds and story.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutView {
    /// The platform's id (empty if creation failed before an answer).
    pub hosted_checkout_id: String,
    /// Our order reference.
    pub merchant_reference: String,
    /// The sale's amount.
    pub amount: Amount,
    /// Where it stands.
    pub state: CheckoutState,
    /// The page the customer pays on.
    pub redirect_url: Option<String>,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// The customer's e-mail.
    pub email: Option<String>,
    /// Who created it.
    pub operator: String,
    /// Why creation failed, if it did.
    pub failure: Option<String>,
    /// The tenders, in the order paid.
    pub tenders: Vec<TenderView>,
    /// The refunds, by number.
    pub refunds: Vec<RefundView>,
    /// The story, from the journal.
    pub timeline: Vec<TimelineEntry>,
    /// Abandoned at the till: its page is no longer offered (`redirect_url` is then `None`).
    pub abandoned: Option<Abandonment>,
}

/// An open sale abandoned at the till ([`super::Till::abandon_sale`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Abandonment {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub operator: String,
    /// Why.
    pub reason: String,
}

impl CheckoutView {
    /// Captured over all tenders.
    pub fn captured(&self) -> Amount {
        self.tenders.iter().map(|t| t.captured).sum()
    }

    /// What can still be refunded over all tenders.
    pub fn refundable(&self) -> Amount {
        self.tenders.iter().map(|t| t.refundable).sum()
    }

    /// Abandoned, and yet money was captured that is still to be refunded: the customer paid anyway.
    pub fn paid_after_abandon(&self) -> bool {
        self.abandoned.is_some() && self.refundable() > Amount::ZERO
    }
}

/// A line of the checkout list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutRow {
    /// The platform's id (`None` if creation failed).
    pub hosted_checkout_id: Option<HostedCheckoutId>,
    /// Our order reference.
    pub merchant_reference: String,
    /// The sale's amount.
    pub amount: Amount,
    /// Where it stands.
    pub state: CheckoutState,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// Who created it.
    pub operator: String,
    /// Captured over all tenders.
    pub captured: Amount,
    /// Refunded (confirmed).
    pub refunded: Amount,
    /// Asked back and not final yet (requested, pending or unknown): held, not refundable.
    pub held: Amount,
    /// What can still be refunded ([`crate::domain::refundable`]: captured − refunded − held).
    pub refundable: Amount,
    /// Number of tenders.
    pub tenders: i64,
}

/// The day so far, for the counter: what the daily closing would hold now, and the latest sales of the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TodayView {
    /// The daily closing as it would be made now (not made).
    pub day: crate::domain::closing::Closing,
    /// The latest sales rung up since the period began, newest first.
    pub last_sales: Vec<CheckoutRow>,
}

/// Filters for [`super::Till::list_checkouts`]. Days are local (Europe/Paris), inclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckoutFilter {
    /// First day.
    pub from: Option<NaiveDate>,
    /// Last day.
    pub to: Option<NaiveDate>,
    /// Only this state.
    pub status: Option<CheckoutState>,
    /// Text in the reference, id, e-mail or a payment id.
    pub text: Option<String>,
}

/// A refund to make on one tender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundCommand {
    /// The tender.
    pub payment_id: String,
    /// At least 0,01 €, at most what is left.
    pub amount: Amount,
    /// Required, at most 100 characters.
    pub reason: String,
}

/// Filters for [`super::Till::refunds`]. Days are local (Europe/Paris), inclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefundFilter {
    /// First day.
    pub from: Option<NaiveDate>,
    /// Last day.
    pub to: Option<NaiveDate>,
}

/// A line of the refund list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundRow {
    /// The refund.
    #[serde(flatten)]
    pub refund: RefundView,
    /// Its checkout.
    pub hosted_checkout_id: HostedCheckoutId,
    /// Its order reference.
    pub merchant_reference: String,
}

/// What a reconciliation found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileReport {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Checkouts re-read.
    pub checkouts_checked: u64,
    /// Payments re-read.
    pub payments_checked: u64,
    /// Refunds made elsewhere, imported as external.
    pub refunds_imported: u64,
    /// Refunds whose state changed.
    pub refunds_updated: u64,
    /// One line per difference.
    pub differences: Vec<String>,
}

pub(super) fn range(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let f = from.map(|d| logic::local_days_to_utc(d, d).0);
    let t = to.map(|d| logic::local_days_to_utc(d, d).1);
    (f, t)
}

pub(super) fn tender_view(t: &TenderRecord) -> TenderView {
    TenderView {
        payment_id: t.payment_id.clone(),
        product_id: t.product_id,
        kind: TenderKind::from_product(t.product_id),
        masked_number: t.masked_number.clone(),
        amount: t.amount,
        captured: t.captured,
        refunded: t.refunded,
        pending: t.pending,
        refundable: t.refundable(),
        status: t.status.clone(),
        position: t.position,
        refund_in_flight: t.in_flight,
    }
}

pub(super) fn refund_view(r: &RefundRecord) -> RefundView {
    RefundView {
        number: r.number,
        refund_id: r.refund_id.clone(),
        payment_id: r.payment_id.clone(),
        amount: r.amount,
        reason: r.reason.clone(),
        state: r.state,
        platform_status: r.platform_status.clone(),
        failure: r.failure.clone(),
        operator: r.operator.clone(),
        created_at: r.created_at,
        external: r.external,
    }
}

pub(super) fn refund_row(r: &RefundRecord, merchant_reference: String) -> RefundRow {
    RefundRow {
        refund: refund_view(r),
        hosted_checkout_id: r.hosted_checkout_id.clone(),
        merchant_reference,
    }
}

pub(super) fn checkout_row(s: CheckoutSummary) -> CheckoutRow {
    CheckoutRow {
        hosted_checkout_id: s.checkout.hosted_checkout_id,
        merchant_reference: s.checkout.merchant_reference,
        amount: s.checkout.amount,
        state: s.checkout.state,
        created_at: s.checkout.created_at,
        operator: s.checkout.operator,
        captured: s.captured,
        refunded: s.refunded,
        held: s.held,
        refundable: refundable(s.captured, s.refunded, s.held),
        tenders: s.tenders,
    }
}

pub(super) fn checkout_view(
    c: CheckoutRecord,
    tenders: &[TenderRecord],
    refunds: &[RefundRecord],
    timeline: &[Entry],
) -> CheckoutView {
    let abandoned = timeline.iter().rev().find_map(|e| match e.event() {
        Some(Event::CheckoutAbandoned { reason, .. }) => Some(Abandonment {
            at: e.at,
            operator: e.operator.clone(),
            reason,
        }),
        _ => None,
    });
    CheckoutView {
        hosted_checkout_id: c.hosted_checkout_id.map(String::from).unwrap_or_default(),
        merchant_reference: c.merchant_reference,
        amount: c.amount,
        state: c.state,
        redirect_url: c.redirect_url.filter(|_| abandoned.is_none()),
        created_at: c.created_at,
        email: c.email,
        operator: c.operator,
        failure: c.failure,
        tenders: tenders.iter().map(tender_view).collect(),
        refunds: refunds.iter().map(refund_view).collect(),
        timeline: timeline.iter().map(timeline_entry).collect(),
        abandoned,
    }
}

fn timeline_entry(e: &Entry) -> TimelineEntry {
    let (fr, en) = match e.event() {
        Some(ev) => super::event_words::describe(&ev),
        None => (
            "Écriture illisible".to_string(),
            "Unreadable entry".to_string(),
        ),
    };
    TimelineEntry {
        seq: e.seq,
        at: e.at,
        kind: e.kind.clone(),
        operator: e.operator.clone(),
        summary_fr: fr,
        summary_en: en,
    }
}
