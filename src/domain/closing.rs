//! Closings (French till law): the totals of a period and the closing record, as plain values. What moved at which
//! journal entry is decided in `till::closing`; here are the sums, by tender kind, and the record a closing writes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::tender::TenderKind;

/// Day, month or (fiscal) year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ClosingKind {
    /// The daily closing (the "Z").
    Day,
    /// The monthly closing: the days whose end falls in the month.
    Month,
    /// The fiscal year's closing: its months.
    Year,
}

impl ClosingKind {
    /// `day`, `month`, `year`.
    pub fn code(self) -> &'static str {
        match self {
            ClosingKind::Day => "day",
            ClosingKind::Month => "month",
            ClosingKind::Year => "year",
        }
    }

    /// From its code.
    pub fn from_code(s: &str) -> Option<ClosingKind> {
        match s.trim() {
            "day" => Some(ClosingKind::Day),
            "month" => Some(ClosingKind::Month),
            "year" => Some(ClosingKind::Year),
            _ => None,
        }
    }
}

/// A closing, as its journal entry holds it: what it covers, its totals, and the totals since the till began. It
/// never changes once written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closing {
    /// Day, month or year.
    pub kind: ClosingKind,
    /// Its number among the closings of its kind, from 1.
    pub number: i64,
    /// The till's code.
    pub till: String,
    /// The till's UUID.
    #[serde(default)]
    pub till_uuid: String,
    /// What it closes, in words: `2026-11-29`, `2026-11`, `2026` (Europe/Paris).
    pub label: String,
    /// Start of the period (the previous closing's end, or the first entry).
    pub from: DateTime<Utc>,
    /// End of the period.
    pub to: DateTime<Utc>,
    /// The first journal entry it covers.
    pub first_seq: i64,
    /// The last journal entry it covers.
    pub last_seq: i64,
    /// The period's totals.
    pub totals: PeriodTotals,
    /// Payments less refunds in the period.
    pub period_total_cents: i64,
    /// Payments less refunds since the till began (never reset).
    pub perpetual_total_cents: i64,
    /// Payments plus refunds since the till began (never reset).
    pub perpetual_absolute_total_cents: i64,
    /// The chain's hash at `last_seq`.
    pub head_hash: String,
    /// The number of the previous closing of this kind.
    pub previous: Option<i64>,
}

/// Money that moved at one journal entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Movement {
    /// The entry.
    pub seq: i64,
    /// The tender's kind.
    pub kind: TenderKind,
    /// A payment captured (cents; negative when a capture was taken back).
    pub payment_cents: i64,
    /// A refund whose money left (cents; negative when a pending refund ended declined).
    pub refund_cents: i64,
    /// +1 for a sale paid, +1/−1 for a refund counted or taken back.
    pub sales: i64,
    /// Refunds counted (or taken back).
    pub refunds: i64,
}

/// One tender kind's lines of a closing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderTotals {
    /// `gift_card`, `visa`, `mastercard` or `other`.
    pub kind: String,
    /// Payments captured in the period.
    pub payments_cents: i64,
    /// Refunds whose money left in the period.
    pub refunds_cents: i64,
}

/// What a period's movements add up to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodTotals {
    /// Sales paid.
    pub sales_count: i64,
    /// Refunds counted.
    pub refunds_count: i64,
    /// Payments captured.
    pub payments_cents: i64,
    /// Refunds whose money left.
    pub refunds_cents: i64,
    /// Every movement's amount without its sign (a capture taken back or a refund declined after being pending
    /// counts too): what the perpetual absolute total adds.
    #[serde(default)]
    pub absolute_cents: i64,
    /// Per tender kind, in a fixed order: Bimpli CADO, Visa, Mastercard, other.
    pub by_tender: Vec<TenderTotals>,
}

impl Closing {
    /// Its document number, unique among every till of a shop: `T01-Z-0002` for the till's second daily closing,
    /// `T01-M-…` for a month, `T01-Y-…` for a fiscal year.
    pub fn document_number(&self) -> String {
        let letter = match self.kind {
            ClosingKind::Day => 'Z',
            ClosingKind::Month => 'M',
            ClosingKind::Year => 'Y',
        };
        format!("{}-{letter}-{:04}", self.till, self.number)
    }
}

impl PeriodTotals {
    /// Payments less refunds.
    pub fn net_cents(&self) -> i64 {
        self.payments_cents - self.refunds_cents
    }

    /// Every movement without its sign: what the perpetual absolute total adds.
    pub fn absolute_cents(&self) -> i64 {
        self.absolute_cents
    }

    /// The sum of several periods (a month of days, a year of months).
    pub fn sum<'a>(parts: impl IntoIterator<Item = &'a PeriodTotals>) -> PeriodTotals {
        let mut out = PeriodTotals::default();
        for p in parts {
            out.sales_count += p.sales_count;
            out.refunds_count += p.refunds_count;
            out.payments_cents += p.payments_cents;
            out.refunds_cents += p.refunds_cents;
            out.absolute_cents += p.absolute_cents;
            for t in &p.by_tender {
                out.line(&t.kind).payments_cents += t.payments_cents;
                out.line(&t.kind).refunds_cents += t.refunds_cents;
            }
        }
        out.by_tender.sort_by_key(|t| kind_rank(&t.kind));
        out
    }

    fn line(&mut self, kind: &str) -> &mut TenderTotals {
        if let Some(i) = self.by_tender.iter().position(|t| t.kind == kind) {
            return &mut self.by_tender[i];
        }
        self.by_tender.push(TenderTotals {
            kind: kind.to_string(),
            payments_cents: 0,
            refunds_cents: 0,
        });
        let last = self.by_tender.len() - 1;
        &mut self.by_tender[last]
    }
}

/// The word a closing uses for a tender kind.
pub fn kind_code(kind: TenderKind) -> &'static str {
    match kind {
        TenderKind::GiftCard => "gift_card",
        TenderKind::Visa => "visa",
        TenderKind::Mastercard => "mastercard",
        TenderKind::Other(_) => "other",
    }
}

/// A tender kind's name for people (the code of [`kind_code`]).
pub fn kind_label(code: &str, lang: crate::i18n::Lang) -> String {
    match code {
        "gift_card" => "Bimpli CADO".into(),
        "visa" => "Visa".into(),
        "mastercard" => "Mastercard".into(),
        _ => lang.pick("Autres", "Other").into(),
    }
}

fn kind_rank(code: &str) -> u8 {
    match code {
        "gift_card" => 0,
        "visa" => 1,
        "mastercard" => 2,
        _ => 3,
    }
}

/// The totals of the movements `moves`.
pub fn totals<'a>(moves: impl IntoIterator<Item = &'a Movement>) -> PeriodTotals {
    let mut out = PeriodTotals::default();
    for m in moves {
        out.sales_count += m.sales;
        out.refunds_count += m.refunds;
        out.payments_cents += m.payment_cents;
        out.refunds_cents += m.refund_cents;
        out.absolute_cents += m.payment_cents.abs() + m.refund_cents.abs();
        let line = out.line(kind_code(m.kind));
        line.payments_cents += m.payment_cents;
        line.refunds_cents += m.refund_cents;
    }
    out.by_tender.sort_by_key(|t| kind_rank(&t.kind));
    out
}
