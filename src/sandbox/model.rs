//! The sandbox's state: checkouts, payments (one per tender), refunds, gift-card balances and idempotence records,
//! with the time-driven transitions. Everything here is a function of its inputs and `now_ms`.
//!
//! The records are reached through methods that remember what they change: each `*_mut`, `add_*` and `set_*` keeps
//! the touched record's previous value (once per record), so that [`State::pending_change`] can list the new values
//! of exactly the records a request changed, and [`State::rollback`] can put the previous ones back. Neither costs
//! more when the sandbox holds more. [`State::accept`] forgets the previous values once the change is stored.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::cards::{CardKind, TestCard, test_card};

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
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

/// The new values of the records one request changed: what the change log stores, one line per change (see
/// [`super::store`]). Records are never deleted, so a change only ever sets values.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(crate) struct Change {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checkouts: BTreeMap<String, Checkout>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub payments: BTreeMap<String, Payment>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub refunds: BTreeMap<String, Refund>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub balances: BTreeMap<String, i64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub idempotence: BTreeMap<String, StoredResponse>,
}

/// The previous values of the records changed since the last [`State::accept`] or [`State::rollback`]; `None` for
/// a record that did not exist.
#[derive(Debug, Default, Clone)]
struct Undo {
    checkouts: BTreeMap<String, Option<Checkout>>,
    payments: BTreeMap<String, Option<Payment>>,
    refunds: BTreeMap<String, Option<Refund>>,
    balances: BTreeMap<String, Option<i64>>,
    idempotence: BTreeMap<String, Option<StoredResponse>>,
}

impl Undo {
    fn is_empty(&self) -> bool {
        self.checkouts.is_empty()
            && self.payments.is_empty()
            && self.refunds.is_empty()
            && self.balances.is_empty()
            && self.idempotence.is_empty()
    }
}

/// Something that falls due at a time: a refund's completion or a session's end.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    Refund(String),
    Session(String),
}

/// Keeps the previous value of `map[key]` in `undo` the first time the key is touched.
fn remember<V: Clone>(
    undo: &mut BTreeMap<String, Option<V>>,
    map: &BTreeMap<String, V>,
    key: &str,
) {
    if !undo.contains_key(key) {
        undo.insert(key.to_string(), map.get(key).cloned());
    }
}

/// Puts back the remembered values.
fn restore<V>(undo: BTreeMap<String, Option<V>>, map: &mut BTreeMap<String, V>) {
    for (k, v) in undo {
        match v {
            Some(v) => {
                map.insert(k, v);
            }
            None => {
                map.remove(&k);
            }
        }
    }
}

/// The whole state; its JSON form is the data file's snapshot.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(crate) struct State {
    checkouts: BTreeMap<String, Checkout>,
    payments: BTreeMap<String, Payment>,
    refunds: BTreeMap<String, Refund>,
    /// Gift-card balances that differ from the starting ones.
    balances: BTreeMap<String, i64>,
    idempotence: BTreeMap<String, StoredResponse>,
    /// Idempotence keys whose first request is still running, with its start time; never saved.
    #[serde(skip)]
    pub in_progress: HashMap<String, i64>,
    /// What falls due when, earliest first, so that `settle` and [`State::has_due`] never scan every record. An
    /// entry whose record has moved on (or was rolled back) is dropped when it comes up.
    #[serde(skip)]
    due: BTreeSet<(i64, Due)>,
    #[serde(skip)]
    undo: Undo,
}

impl State {
    /// A state read from a snapshot: builds the index of what falls due (once, at start).
    pub(crate) fn indexed(mut self) -> State {
        self.due.clear();
        let refunds: Vec<(i64, Due)> = self
            .refunds
            .values()
            .filter(|r| r.status == RefundStatus::Requested)
            .map(|r| (r.due_ms, Due::Refund(r.id.clone())))
            .collect();
        let sessions: Vec<(i64, Due)> = self
            .checkouts
            .values()
            .filter(|c| c.status == CheckoutStatus::InProgress)
            .map(|c| (c.expires_ms(), Due::Session(c.id.clone())))
            .collect();
        self.due.extend(refunds);
        self.due.extend(sessions);
        self
    }

    /// Sets the values of a stored change (replaying the change log), without remembering previous values.
    pub(crate) fn apply(&mut self, change: Change) {
        self.checkouts.extend(change.checkouts);
        self.payments.extend(change.payments);
        self.refunds.extend(change.refunds);
        self.balances.extend(change.balances);
        self.idempotence.extend(change.idempotence);
    }

    pub(crate) fn checkouts(&self) -> &BTreeMap<String, Checkout> {
        &self.checkouts
    }

    pub(crate) fn payments(&self) -> &BTreeMap<String, Payment> {
        &self.payments
    }

    pub(crate) fn refunds(&self) -> &BTreeMap<String, Refund> {
        &self.refunds
    }

    #[cfg(test)]
    pub(crate) fn balances(&self) -> &BTreeMap<String, i64> {
        &self.balances
    }

    pub(crate) fn idempotence(&self) -> &BTreeMap<String, StoredResponse> {
        &self.idempotence
    }

    /// A checkout to change.
    pub(crate) fn checkout_mut(&mut self, id: &str) -> Option<&mut Checkout> {
        remember(&mut self.undo.checkouts, &self.checkouts, id);
        self.checkouts.get_mut(id)
    }

    /// A payment to change.
    pub(crate) fn payment_mut(&mut self, base: &str) -> Option<&mut Payment> {
        remember(&mut self.undo.payments, &self.payments, base);
        self.payments.get_mut(base)
    }

    /// A refund to change.
    pub(crate) fn refund_mut(&mut self, id: &str) -> Option<&mut Refund> {
        remember(&mut self.undo.refunds, &self.refunds, id);
        self.refunds.get_mut(id)
    }

    /// Records a new checkout.
    pub(crate) fn add_checkout(&mut self, checkout: Checkout) {
        if checkout.status == CheckoutStatus::InProgress {
            self.due
                .insert((checkout.expires_ms(), Due::Session(checkout.id.clone())));
        }
        remember(&mut self.undo.checkouts, &self.checkouts, &checkout.id);
        self.checkouts.insert(checkout.id.clone(), checkout);
    }

    /// Records a new payment.
    pub(crate) fn add_payment(&mut self, payment: Payment) {
        remember(&mut self.undo.payments, &self.payments, &payment.base);
        self.payments.insert(payment.base.clone(), payment);
    }

    /// Records a new refund.
    pub(crate) fn add_refund(&mut self, refund: Refund) {
        if refund.status == RefundStatus::Requested {
            self.due
                .insert((refund.due_ms, Due::Refund(refund.id.clone())));
        }
        remember(&mut self.undo.refunds, &self.refunds, &refund.id);
        self.refunds.insert(refund.id.clone(), refund);
    }

    /// Sets a gift card's balance.
    pub(crate) fn set_balance(&mut self, card: &TestCard, balance: i64) {
        remember(&mut self.undo.balances, &self.balances, card.number);
        self.balances.insert(card.number.to_string(), balance);
    }

    /// Records the answer to replay for an idempotence key.
    pub(crate) fn store_response(&mut self, key: &str, response: StoredResponse) {
        remember(&mut self.undo.idempotence, &self.idempotence, key);
        self.idempotence.insert(key.to_string(), response);
    }

    /// Whether anything changed since the last `accept` or `rollback`.
    pub(crate) fn has_changes(&self) -> bool {
        !self.undo.is_empty()
    }

    /// The current values of every record changed since the last `accept` or `rollback`.
    pub(crate) fn pending_change(&self) -> Change {
        fn current<V: Clone>(
            undo: &BTreeMap<String, Option<V>>,
            map: &BTreeMap<String, V>,
        ) -> BTreeMap<String, V> {
            undo.keys()
                .filter_map(|k| map.get(k).map(|v| (k.clone(), v.clone())))
                .collect()
        }
        Change {
            checkouts: current(&self.undo.checkouts, &self.checkouts),
            payments: current(&self.undo.payments, &self.payments),
            refunds: current(&self.undo.refunds, &self.refunds),
            balances: current(&self.undo.balances, &self.balances),
            idempotence: current(&self.undo.idempotence, &self.idempotence),
        }
    }

    /// The change is stored: forget the previous values.
    pub(crate) fn accept(&mut self) {
        self.undo = Undo::default();
    }

    /// The change could not be stored: put every changed record back as it was.
    pub(crate) fn rollback(&mut self) {
        let undo = std::mem::take(&mut self.undo);
        let refunds: Vec<String> = undo.refunds.keys().cloned().collect();
        let sessions: Vec<String> = undo.checkouts.keys().cloned().collect();
        restore(undo.checkouts, &mut self.checkouts);
        restore(undo.payments, &mut self.payments);
        restore(undo.refunds, &mut self.refunds);
        restore(undo.balances, &mut self.balances);
        restore(undo.idempotence, &mut self.idempotence);
        // A restored refund or session that is waiting again needs its place in the index back.
        for id in refunds {
            if let Some(r) = self.refunds.get(&id)
                && r.status == RefundStatus::Requested
            {
                self.due.insert((r.due_ms, Due::Refund(id)));
            }
        }
        for id in sessions {
            if let Some(c) = self.checkouts.get(&id)
                && c.status == CheckoutStatus::InProgress
            {
                self.due.insert((c.expires_ms(), Due::Session(id)));
            }
        }
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

    /// Whether `settle(now)` has anything to do: one look at the earliest entry of the index.
    pub(crate) fn has_due(&self, now: i64) -> bool {
        self.due.first().is_some_and(|(at, _)| *at <= now)
    }

    /// Applies every transition due at `now`: refunds that complete (the gift card's balance rises), sessions that
    /// time out. Returns the webhooks to send. Only what falls due is looked at.
    pub(crate) fn settle(&mut self, now: i64) -> Vec<Event> {
        let mut events = Vec::new();
        while let Some((at, _)) = self.due.first() {
            if *at > now {
                break;
            }
            let Some((_, due)) = self.due.pop_first() else {
                break;
            };
            match due {
                Due::Refund(id) => self.complete_refund(id, now, &mut events),
                Due::Session(id) => {
                    if self.checkouts.get(&id).is_some_and(|c| {
                        c.status == CheckoutStatus::InProgress && c.expires_ms() <= now
                    }) && let Some(c) = self.checkout_mut(&id)
                    {
                        c.status = CheckoutStatus::CancelledByConsumer;
                    }
                }
            }
        }
        events
    }

    fn complete_refund(&mut self, id: String, now: i64, events: &mut Vec<Event>) {
        if !self
            .refunds
            .get(&id)
            .is_some_and(|r| r.status == RefundStatus::Requested && r.due_ms <= now)
        {
            return;
        }
        let Some(r) = self.refund_mut(&id) else {
            return;
        };
        r.status = RefundStatus::Refunded;
        r.status_ms = r.due_ms;
        let (base, amount) = (r.payment_base.clone(), r.amount);
        if let Some(p) = self.payments.get(&base)
            && let Some(card) = test_card(&p.card_number)
            && card.kind == CardKind::GiftCard
        {
            let b = self.balance(card) + amount;
            self.set_balance(card, b);
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refund(id: &str, due_ms: i64) -> Refund {
        Refund {
            id: id.into(),
            payment_base: id.split('_').next().unwrap_or_default().into(),
            amount: 100,
            currency: "EUR".into(),
            status: RefundStatus::Requested,
            requested_ms: 0,
            due_ms,
            status_ms: 0,
            merchant_reference: None,
            reason: None,
        }
    }

    #[test]
    fn a_change_lists_the_touched_records_and_a_rollback_puts_them_back() {
        let mut st = State::default();
        st.add_refund(refund("1000000000_1", 10));
        assert_eq!(st.pending_change().refunds.len(), 1);
        st.accept();
        assert!(!st.has_changes());

        st.add_refund(refund("1000000000_2", 20));
        if let Some(r) = st.refund_mut("1000000000_1") {
            r.amount = 5;
        }
        let change = st.pending_change();
        assert_eq!(
            change.refunds.keys().collect::<Vec<_>>(),
            ["1000000000_1", "1000000000_2"]
        );
        st.rollback();
        assert_eq!(st.refunds().len(), 1);
        assert_eq!(st.refunds()["1000000000_1"].amount, 100);
        assert!(!st.has_changes());
    }

    #[test]
    fn settle_looks_only_at_what_is_due_and_a_rolled_back_settle_comes_due_again() {
        let mut st = State::default();
        st.add_refund(refund("1000000000_1", 10));
        st.add_refund(refund("1000000000_2", 30));
        st.accept();
        assert!(!st.has_due(9));
        assert!(st.has_due(10));
        assert_eq!(st.settle(20).len(), 1);
        assert_eq!(st.refunds()["1000000000_1"].status, RefundStatus::Refunded);
        assert_eq!(st.refunds()["1000000000_2"].status, RefundStatus::Requested);
        st.rollback();
        assert_eq!(st.refunds()["1000000000_1"].status, RefundStatus::Requested);
        assert!(st.has_due(10));
        assert_eq!(st.settle(40).len(), 2);
        st.accept();
        assert!(!st.has_due(i64::MAX));
    }
}
