//! The sandbox's state: checkouts, payments (one per tender), refunds, gift-card balances and idempotence records,
//! with the test cards and the time-driven transitions. Everything here is a function of its inputs and `now_ms`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// What kind of card a test card is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CardKind {
    /// A Bimpli CADO gift card (product 3103).
    GiftCard,
    /// Visa (product 1).
    Visa,
    /// Mastercard (product 3).
    Mastercard,
}

impl CardKind {
    /// The Worldline payment product id.
    pub(crate) fn product_id(self) -> u32 {
        match self {
            CardKind::GiftCard => 3103,
            CardKind::Visa => 1,
            CardKind::Mastercard => 3,
        }
    }
}

/// One test card of the README's table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TestCard {
    pub number: &'static str,
    pub kind: CardKind,
    /// Starting balance in cents (gift cards only).
    pub balance: i64,
    /// Expiry as MMYY.
    pub expiry: &'static str,
    pub cvv: &'static str,
    /// The issuer declines every payment with this card.
    pub declined: bool,
    /// The issuer declines every refund to this card.
    pub refunds_declined: bool,
}

/// The test cards. Any other number is unknown and declined.
pub(crate) const TEST_CARDS: &[TestCard] = &[
    gift("6299000000000001", 25_000, "1230", false),
    gift("6299000000000002", 5_000, "1230", false),
    gift("6299000000000003", 2_000, "1230", false),
    gift("6299000000000004", 0, "1230", false),
    gift("6299000000000005", 10_000, "0124", false),
    gift("6299000000000006", 10_000, "1230", true),
    bank("4012000033330026", CardKind::Visa, false),
    bank("5555555555554444", CardKind::Mastercard, false),
    bank("4321456998744563", CardKind::Visa, true),
];

const fn gift(
    number: &'static str,
    balance: i64,
    expiry: &'static str,
    refunds_declined: bool,
) -> TestCard {
    TestCard {
        number,
        kind: CardKind::GiftCard,
        balance,
        expiry,
        cvv: "123",
        declined: false,
        refunds_declined,
    }
}

const fn bank(number: &'static str, kind: CardKind, declined: bool) -> TestCard {
    TestCard {
        number,
        kind,
        balance: 0,
        expiry: "0530",
        cvv: "123",
        declined,
        refunds_declined: false,
    }
}

/// The test card with this number (spaces ignored).
pub(crate) fn test_card(number: &str) -> Option<&'static TestCard> {
    let digits: String = number.chars().filter(|c| !c.is_whitespace()).collect();
    TEST_CARDS.iter().find(|c| c.number == digits)
}

/// `************0026`: only the last four digits stay.
pub(crate) fn mask(number: &str) -> String {
    let n = number.len();
    let keep = n.saturating_sub(4);
    format!("{}{}", "*".repeat(keep), &number[keep..])
}

/// Where a hosted checkout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum CheckoutStatus {
    InProgress,
    PaymentCreated,
    CancelledByConsumer,
}

/// A hosted checkout session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Checkout {
    pub id: String,
    pub returnmac: String,
    pub amount: i64,
    pub currency: String,
    pub merchant_reference: String,
    pub merchant_parameters: Option<String>,
    pub return_url: Option<String>,
    pub locale: Option<String>,
    pub session_timeout_min: i64,
    pub allowed_attempts: i64,
    pub complete_remaining: bool,
    /// The card remainder waits for a capture (FINAL_AUTHORIZATION or PRE_AUTHORIZATION).
    pub card_needs_capture: bool,
    pub webhook_urls: Vec<String>,
    pub created_ms: i64,
    pub status: CheckoutStatus,
    pub failed_attempts: i64,
    /// Payment bases of the accepted tenders, in order.
    pub tenders: Vec<String>,
    /// Payment bases of declined tenders.
    pub rejected: Vec<String>,
}

impl Checkout {
    /// When the session ends on its own.
    pub(crate) fn expires_ms(&self) -> i64 {
        self.created_ms + self.session_timeout_min * 60_000
    }
}

/// Where one payment (tender) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum PayStatus {
    PendingCapture,
    Captured,
    Cancelled,
    Rejected,
}

/// One payment: one tender of a checkout.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Payment {
    /// The 10 digits; the payment id is `{base}_0`.
    pub base: String,
    pub checkout_id: String,
    pub product_id: u32,
    /// The full test card number (test data only; responses mask it).
    pub card_number: String,
    /// MMYY.
    pub expiry: String,
    pub amount: i64,
    pub currency: String,
    pub merchant_reference: String,
    pub merchant_parameters: Option<String>,
    pub created_ms: i64,
    pub status: PayStatus,
    pub status_ms: i64,
    /// Why the tender was declined.
    pub decline: Option<String>,
    /// Capture or cancel operation id, once made.
    pub capture_id: Option<String>,
    pub cancel_id: Option<String>,
    /// The next operation number for `{base}_{n}`.
    pub next_op: u32,
}

impl Payment {
    /// `{base}_0`.
    pub(crate) fn id(&self) -> String {
        format!("{}_0", self.base)
    }

    /// "redirect" for gift cards, "card" for the bank card.
    pub(crate) fn method(&self) -> &'static str {
        if self.product_id == 3103 {
            "redirect"
        } else {
            "card"
        }
    }

    /// Allocates the next operation id.
    pub(crate) fn next_op_id(&mut self) -> String {
        self.next_op += 1;
        format!("{}_{}", self.base, self.next_op)
    }
}

/// Where one refund stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum RefundStatus {
    Requested,
    Refunded,
    Rejected,
}

/// One refund of one payment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Refund {
    pub id: String,
    pub payment_base: String,
    pub amount: i64,
    pub currency: String,
    pub status: RefundStatus,
    pub requested_ms: i64,
    pub due_ms: i64,
    pub status_ms: i64,
    pub merchant_reference: Option<String>,
    pub reason: Option<String>,
}

/// A finished idempotent request: what to replay.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredResponse {
    pub first_ms: i64,
    pub status: u16,
    pub body: String,
}

/// A webhook to send: its type and the object it carries.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    Payment { kind: &'static str, base: String },
    Refund { kind: &'static str, id: String },
}

/// The whole state, saved as one JSON document.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(crate) struct State {
    pub checkouts: BTreeMap<String, Checkout>,
    pub payments: BTreeMap<String, Payment>,
    pub refunds: BTreeMap<String, Refund>,
    /// Gift-card balances that differ from the starting ones.
    pub balances: BTreeMap<String, i64>,
    pub idempotence: BTreeMap<String, StoredResponse>,
    /// Idempotence keys whose first request is still running, with its start time; never saved.
    #[serde(skip)]
    pub in_progress: HashMap<String, i64>,
    /// Nothing is due before this time (see [`State::has_due`]); `None` until the first `settle`. Kept by `settle`,
    /// [`State::add_refund`] and [`State::add_checkout`], so that a request does not scan every refund.
    #[serde(skip)]
    due_hint: Option<i64>,
}

impl State {
    /// Loads the state from `path`, or an empty one if the file does not exist.
    pub(crate) fn load(path: &Path) -> anyhow::Result<State> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes the state atomically: a temporary file next to it, then a rename, so a crash leaves the old or the
    /// new state, never half of one.
    pub(crate) fn save(&self, path: &Path) -> anyhow::Result<()> {
        let bytes = serde_json::to_vec_pretty(self)?;
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = std::path::PathBuf::from(tmp);
        {
            use std::io::Write as _;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        Ok(())
    }

    /// The current balance of a gift card.
    pub(crate) fn balance(&self, card: &TestCard) -> i64 {
        self.balances
            .get(card.number)
            .copied()
            .unwrap_or(card.balance)
    }

    /// A fresh 10-digit id that no checkout or payment uses yet.
    pub(crate) fn fresh_base(&self) -> String {
        loop {
            let n: u64 = rand::random_range(1_000_000_000u64..10_000_000_000u64);
            let s = n.to_string();
            if !self.payments.contains_key(&s) && !self.checkouts.contains_key(&s) {
                return s;
            }
        }
    }

    /// Refunds of a payment, oldest first.
    pub(crate) fn refunds_of(&self, base: &str) -> Vec<&Refund> {
        // Refund ids are `<payment base>_<n>` (`Payment::next_op_id`), so a payment's refunds are one key range.
        let prefix = format!("{base}_");
        let mut v: Vec<&Refund> = self
            .refunds
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, r)| r)
            .filter(|r| r.payment_base == base)
            .collect();
        v.sort_by_key(|r| (r.requested_ms, r.id.len(), r.id.clone()));
        v
    }

    /// (refunded, pending) amounts of a payment.
    pub(crate) fn refund_totals(&self, base: &str) -> (i64, i64) {
        let mut done = 0;
        let mut pending = 0;
        for r in self.refunds_of(base) {
            match r.status {
                RefundStatus::Refunded => done += r.amount,
                RefundStatus::Requested => pending += r.amount,
                RefundStatus::Rejected => {}
            }
        }
        (done, pending)
    }

    /// Applies every transition due at `now`: refunds that complete (the gift card's balance rises), sessions that
    /// time out. Returns the webhooks to send.
    pub(crate) fn settle(&mut self, now: i64) -> Vec<Event> {
        let mut events = Vec::new();
        let due: Vec<String> = self
            .refunds
            .values()
            .filter(|r| r.status == RefundStatus::Requested && r.due_ms <= now)
            .map(|r| r.id.clone())
            .collect();
        for id in due {
            let Some(r) = self.refunds.get_mut(&id) else {
                continue;
            };
            r.status = RefundStatus::Refunded;
            r.status_ms = r.due_ms;
            let (base, amount) = (r.payment_base.clone(), r.amount);
            if let Some(p) = self.payments.get(&base)
                && let Some(card) = test_card(&p.card_number)
                && card.kind == CardKind::GiftCard
            {
                let b = self.balance(card) + amount;
                self.balances.insert(card.number.to_string(), b);
            }
            events.push(Event::Refund {
                kind: "refund.refunded",
                id,
            });
            let (refunded, _) = self.refund_totals(&base);
            if self
                .payments
                .get(&base)
                .is_some_and(|p| refunded >= p.amount)
            {
                events.push(Event::Payment {
                    kind: "payment.refunded",
                    base,
                });
            }
        }
        for c in self.checkouts.values_mut() {
            if c.status == CheckoutStatus::InProgress && c.expires_ms() <= now {
                c.status = CheckoutStatus::CancelledByConsumer;
            }
        }
        self.due_hint = Some(self.next_due());
        events
    }

    /// Records a new refund.
    pub(crate) fn add_refund(&mut self, refund: Refund) {
        if refund.status == RefundStatus::Requested {
            self.lower_hint(refund.due_ms);
        }
        self.refunds.insert(refund.id.clone(), refund);
    }

    /// Records a new checkout.
    pub(crate) fn add_checkout(&mut self, id: String, checkout: Checkout) {
        if checkout.status == CheckoutStatus::InProgress {
            self.lower_hint(checkout.expires_ms());
        }
        self.checkouts.insert(id, checkout);
    }

    fn lower_hint(&mut self, at: i64) {
        if let Some(h) = self.due_hint.as_mut() {
            *h = (*h).min(at);
        }
    }

    /// The earliest time a transition falls due (`i64::MAX` when none is waiting).
    fn next_due(&self) -> i64 {
        let refunds = self
            .refunds
            .values()
            .filter(|r| r.status == RefundStatus::Requested)
            .map(|r| r.due_ms);
        let sessions = self
            .checkouts
            .values()
            .filter(|c| c.status == CheckoutStatus::InProgress)
            .map(Checkout::expires_ms);
        refunds.chain(sessions).min().unwrap_or(i64::MAX)
    }

    /// Whether `settle(now)` should run: one comparison once a `settle` has set the hint; true before (the first
    /// `settle` scans once and sets it).
    pub(crate) fn has_due(&self, now: i64) -> bool {
        self.due_hint.is_none_or(|hint| now >= hint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_all_but_the_last_four() {
        assert_eq!(mask("4012000033330026"), "************0026");
        assert_eq!(mask("12"), "12");
    }

    #[test]
    fn finds_test_cards_with_spaces() {
        let c = test_card("6299 0000 0000 0002").map(|c| c.balance);
        assert_eq!(c, Some(5_000));
        assert!(test_card("1111").is_none());
    }
}
