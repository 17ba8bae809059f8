//! What the screens show, as plain data. The worker turns the till's answers into these types, so the panels
//! depend on nothing but this file and can be drawn (and tested, and benchmarked) without a till.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{Amount, CheckoutState, RefundState, SaleStatus};
use crate::i18n::Lang;
use crate::ui::text::Tx;

/// One way the customer paid part of a checkout: a gift card, or the bank card for the remainder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tender {
    /// Worldline payment id (`<10 digits>_0`).
    pub payment_id: String,
    /// Worldline payment product (3103 Bimpli CADO, 1 Visa, 3 Mastercard).
    pub product_id: i32,
    /// Human name of the product ("Bimpli CADO", "Visa").
    pub kind: String,
    /// Masked card number.
    pub masked_number: String,
    /// Amount paid with it.
    pub amount: Amount,
    /// Already given back.
    pub refunded: Amount,
    /// Asked back, not settled.
    pub pending: Amount,
    /// What can still be refunded.
    pub refundable: Amount,
    /// The platform's status word.
    pub status: String,
}

impl Tender {
    /// "Bimpli CADO •••• 0002".
    pub fn label(&self) -> String {
        format!("{} {}", self.kind, self.masked_number)
    }
}

/// One refund of a checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundLine {
    /// The refund's number (n° de pièce): its note is printed by it.
    pub number: i64,
    /// Worldline refund id, once known.
    pub refund_id: Option<String>,
    /// The tender refunded.
    pub payment_id: String,
    /// Amount.
    pub amount: Amount,
    /// Why.
    pub reason: String,
    /// Where it stands.
    pub status: RefundState,
    /// Who asked.
    pub operator: String,
    /// When it was asked.
    pub created_at: DateTime<Utc>,
    /// Made outside the app (Merchant Portal), found by reconciliation.
    pub external: bool,
}

/// One line of a checkout's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// What happened, in French.
    pub what_fr: String,
    /// What happened, in English.
    pub what_en: String,
}

impl TimelineEntry {
    /// What happened, in the given language.
    pub fn what(&self, lang: Lang) -> &str {
        lang.pick(&self.what_fr, &self.what_en)
    }
}

/// Everything about one checkout, for the cashier screen and the detail panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    /// Worldline hosted checkout id.
    pub id: String,
    /// The shop's order reference.
    pub reference: String,
    /// The sale amount.
    pub amount: Amount,
    /// Where it stands.
    pub status: CheckoutState,
    /// The hosted payment page.
    pub redirect_url: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Customer e-mail, if given.
    pub email: Option<String>,
    /// Who created it.
    pub operator: String,
    /// How it was paid.
    pub tenders: Vec<Tender>,
    /// Its refunds.
    pub refunds: Vec<RefundLine>,
    /// Its history.
    pub timeline: Vec<TimelineEntry>,
    /// Why it was cancelled at the till, once it was ("Annuler la vente").
    pub abandoned: Option<String>,
}

impl Checkout {
    /// Still open and not cancelled: "Annuler la vente" is offered.
    pub fn can_be_abandoned(&self) -> bool {
        self.abandoned.is_none() && !self.status.is_final()
    }

    /// Cancelled at the till, and yet money was taken that is still to be refunded.
    pub fn paid_after_abandon(&self) -> bool {
        self.abandoned.is_some() && self.refundable() > Amount::ZERO
    }

    /// Sum of the tenders' amounts.
    pub fn paid(&self) -> Amount {
        self.tenders.iter().map(|t| t.amount).sum()
    }

    /// What the customer still has to pay.
    pub fn left_to_pay(&self) -> Amount {
        self.amount.saturating_sub(self.paid())
    }

    /// What can still be refunded over all tenders.
    pub fn refundable(&self) -> Amount {
        self.tenders.iter().map(|t| t.refundable).sum()
    }

    /// What its refunds gave back (completed refunds).
    pub fn refunded(&self) -> Amount {
        self.tenders.iter().map(|t| t.refunded).sum()
    }

    /// What the sale is now: its state, or refunded in part or in full.
    pub fn sale_status(&self) -> SaleStatus {
        SaleStatus::of(self.status, self.paid(), self.refunded())
    }

    /// The tender with this payment id.
    pub fn tender(&self, payment_id: &str) -> Option<&Tender> {
        self.tenders.iter().find(|t| t.payment_id == payment_id)
    }
}

/// One row of the Transactions table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRow {
    /// Worldline hosted checkout id.
    pub id: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Order reference.
    pub reference: String,
    /// Sale amount.
    pub amount: Amount,
    /// Where it stands.
    pub status: CheckoutState,
    /// Captured.
    pub paid: Amount,
    /// Given back.
    pub refunded: Amount,
    /// Still refundable.
    pub refundable: Amount,
    /// Who created it.
    pub operator: String,
}

/// The day so far at the counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Today {
    /// Since when (the last daily closing's end, or the till's first entry).
    pub since: DateTime<Utc>,
    /// What the daily closing would hold now: sales, refunds, per tender kind.
    pub totals: crate::domain::closing::PeriodTotals,
    /// The latest sales of the period, newest first.
    pub last_sales: Vec<CheckoutRow>,
}

impl CheckoutRow {
    /// What the sale is now: its state, or refunded in part or in full.
    pub fn sale_status(&self) -> SaleStatus {
        SaleStatus::of(self.status, self.paid, self.refunded)
    }
}

/// One row of the refund ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRow {
    /// When it was asked.
    pub created_at: DateTime<Utc>,
    /// The sale's reference.
    pub reference: String,
    /// The tender.
    pub payment_id: String,
    /// "Bimpli CADO •••• 0002".
    pub tender: String,
    /// Worldline refund id, once known.
    pub refund_id: Option<String>,
    /// Amount.
    pub amount: Amount,
    /// Where it stands.
    pub status: RefundState,
    /// Why.
    pub reason: String,
    /// Who.
    pub operator: String,
}

/// The filters of the Transactions screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckoutQuery {
    /// First day included (local date).
    pub from: Option<NaiveDate>,
    /// Last day included (local date).
    pub to: Option<NaiveDate>,
    /// Only this status.
    pub status: Option<CheckoutState>,
    /// Text found in the reference, e-mail or a payment id.
    pub text: Option<String>,
}

/// The two CSV profiles of the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvProfile {
    /// UTF-8 BOM, `;`, decimal comma, CRLF: opens right in a French Excel.
    #[default]
    ExcelFr,
    /// Plain RFC 4180: `,`, decimal point.
    Rfc4180,
}

/// The keychain's state as the settings screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeychainState {
    /// Not checked yet.
    Unknown,
    /// Usable; `has_secret` tells whether a secret is stored for the current key id.
    Usable {
        /// A secret is stored.
        has_secret: bool,
    },
    /// No keychain can be used; the text says why.
    Unusable(String),
}

/// An error ready for a person: a sentence in each language, and the technical detail behind a click.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiError {
    /// French sentence.
    pub fr: String,
    /// English sentence.
    pub en: String,
    /// Technical detail (error chain, status codes); never a secret.
    pub detail: String,
}

impl UiError {
    /// An error from a fixed text and a detail.
    pub fn new(t: Tx, detail: impl Into<String>) -> UiError {
        UiError {
            fr: t.fr.to_string(),
            en: t.en.to_string(),
            detail: detail.into(),
        }
    }

    /// An error from anything that can localize itself.
    pub fn localized(e: &dyn crate::i18n::Localize, detail: impl Into<String>) -> UiError {
        UiError {
            fr: e.localize(Lang::Fr),
            en: e.localize(Lang::En),
            detail: detail.into(),
        }
    }

    /// The sentence in the given language.
    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Fr => &self.fr,
            Lang::En => &self.en,
        }
    }
}

/// Formats a UTC time as the shop's local time (Europe/Paris), "26/11/2026 14:05".
pub fn local_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}
