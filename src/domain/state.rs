//! Where a checkout and a refund stand, how they move, and how the platform's statuses map onto them. One
//! definition each, used by the ledger, the till, the command line and the screens alike.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::amount::Amount;
use crate::i18n::Lang;

/// A stored or typed state word that names no state.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("'{value}' is not a {what} state: expected one of {expected}")]
pub struct UnknownState {
    /// Which kind of state was read.
    pub what: &'static str,
    /// What was read.
    pub value: String,
    /// The words that are states.
    pub expected: String,
}

/// The state among `all` whose code is `s`, or an error that names it and lists the codes.
fn from_code<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    s: &str,
    what: &'static str,
) -> Result<T, UnknownState> {
    all.iter()
        .copied()
        .find(|c| code(*c) == s)
        .ok_or_else(|| UnknownState {
            what,
            value: s.to_string(),
            expected: all.iter().map(|c| code(*c)).collect::<Vec<_>>().join(", "),
        })
}

/// Where a checkout stands, as the till judges it from the platform's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum CheckoutState {
    /// The customer has not finished (or the platform has not answered yet).
    InProgress,
    /// Captured tenders sum to the amount.
    Paid,
    /// Some tenders captured, less than the amount, and the session is over.
    PartiallyPaid,
    /// Cancelled on the hosted page.
    Cancelled,
    /// The session timed out with nothing paid.
    Expired,
    /// The payment was declined (or the platform refused to create the checkout).
    Rejected,
}

impl CheckoutState {
    /// Every state, in the order of the screens' filter list.
    pub const ALL: [CheckoutState; 6] = [
        CheckoutState::InProgress,
        CheckoutState::Paid,
        CheckoutState::PartiallyPaid,
        CheckoutState::Cancelled,
        CheckoutState::Expired,
        CheckoutState::Rejected,
    ];

    /// The stored and printed name (`in_progress`, `paid`, …).
    pub fn code(self) -> &'static str {
        match self {
            CheckoutState::InProgress => "in_progress",
            CheckoutState::Paid => "paid",
            CheckoutState::PartiallyPaid => "partially_paid",
            CheckoutState::Cancelled => "cancelled",
            CheckoutState::Expired => "expired",
            CheckoutState::Rejected => "rejected",
        }
    }

    /// Reads a stored state. The ledger also stores `requested` (asked, no answer yet), read as in progress, and
    /// `failed` (creation refused), read as rejected. Anything else is an error, never a guess.
    pub fn from_stored(code: &str) -> Result<CheckoutState, UnknownState> {
        match code {
            "requested" => Ok(CheckoutState::InProgress),
            "failed" => Ok(CheckoutState::Rejected),
            other => other.parse(),
        }
    }

    /// Nothing more will happen to it, so it is no longer watched. A partially paid checkout is not final: it is
    /// still watched, in case it is completed or refunded.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CheckoutState::Paid
                | CheckoutState::Cancelled
                | CheckoutState::Expired
                | CheckoutState::Rejected
        )
    }

    /// The words for it.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            CheckoutState::InProgress => lang.pick("En cours", "In progress"),
            CheckoutState::Paid => lang.pick("Payé", "Paid"),
            CheckoutState::PartiallyPaid => lang.pick("Payé en partie", "Partially paid"),
            CheckoutState::Cancelled => lang.pick("Annulé", "Cancelled"),
            CheckoutState::Expired => lang.pick("Expiré", "Expired"),
            CheckoutState::Rejected => lang.pick("Refusé", "Declined"),
        }
    }
}

impl FromStr for CheckoutState {
    type Err = UnknownState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        from_code(&CheckoutState::ALL, CheckoutState::code, s, "checkout")
    }
}

impl fmt::Display for CheckoutState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Where a refund stands. It only moves forward: requested → unknown/pending → refunded/declined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum RefundState {
    /// Written in the ledger; no answer from the platform yet.
    Requested,
    /// Accepted by the platform, not yet paid back (REFUND_REQUESTED).
    Pending,
    /// Paid back (REFUNDED).
    Refunded,
    /// Refused by the platform.
    Declined,
    /// The answer was lost; it will be settled with the same idempotence key.
    Unknown,
}

impl RefundState {
    /// Every state.
    pub const ALL: [RefundState; 5] = [
        RefundState::Requested,
        RefundState::Pending,
        RefundState::Refunded,
        RefundState::Declined,
        RefundState::Unknown,
    ];

    /// The stored and printed name.
    pub fn code(self) -> &'static str {
        match self {
            RefundState::Requested => "requested",
            RefundState::Pending => "pending",
            RefundState::Refunded => "refunded",
            RefundState::Declined => "declined",
            RefundState::Unknown => "unknown",
        }
    }

    /// Refunded or declined: nothing more will happen to it.
    pub fn is_final(self) -> bool {
        matches!(self, RefundState::Refunded | RefundState::Declined)
    }

    /// No answer from the platform yet (requested, or the answer was lost). Such a refund is *in flight*: it may
    /// still be sent or carried out, so it blocks another refund of its tender and can only be settled with its
    /// own idempotence key or by reading the platform.
    pub fn awaits_answer(self) -> bool {
        matches!(self, RefundState::Requested | RefundState::Unknown)
    }

    /// Its amount is held against the tender until it is final: requested, pending or unknown. The refundable
    /// amount of a tender is captured − refunded − the refunds that hold an amount.
    pub fn holds_amount(self) -> bool {
        matches!(
            self,
            RefundState::Requested | RefundState::Pending | RefundState::Unknown
        )
    }

    /// Money left the shop (pending or refunded): what the export's totals count.
    pub fn left_money(self) -> bool {
        matches!(self, RefundState::Pending | RefundState::Refunded)
    }

    /// How far along it is, so that a late or stale reading never moves a refund backwards.
    pub fn rank(self) -> u8 {
        match self {
            RefundState::Requested | RefundState::Unknown => 0,
            RefundState::Pending => 1,
            RefundState::Refunded | RefundState::Declined => 2,
        }
    }

    /// Whether an answer in state `next` may replace this state: never backwards (requested < unknown, pending <
    /// refunded, declined), never from one final state to another (only an explicit correction takes a refund
    /// out of declined). The ledger's projection applies exactly this rule, so that whichever process writes last,
    /// a late answer cannot undo a later one.
    pub fn may_become(self, next: RefundState) -> bool {
        use RefundState::*;
        match self {
            Requested => true,
            Unknown => next != Requested,
            Pending => matches!(next, Pending | Refunded | Declined),
            Refunded | Declined => next == self,
        }
    }

    /// The words for it.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            RefundState::Requested => lang.pick("Demandé", "Requested"),
            RefundState::Pending => lang.pick("En attente", "Pending"),
            RefundState::Refunded => lang.pick("Remboursé", "Refunded"),
            RefundState::Declined => lang.pick("Refusé", "Declined"),
            RefundState::Unknown => lang.pick("Inconnu", "Unknown"),
        }
    }
}

impl FromStr for RefundState {
    type Err = UnknownState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        from_code(&RefundState::ALL, RefundState::code, s, "refund")
    }
}

impl fmt::Display for RefundState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Maps a refund's platform status (and status code) to its state.
pub fn refund_state_of(status: &str, status_code: Option<i32>) -> RefundState {
    match (status, status_code) {
        ("REFUNDED", _) | (_, Some(8 | 85)) => RefundState::Refunded,
        ("REFUND_REQUESTED", _) | (_, Some(81 | 82)) => RefundState::Pending,
        ("REJECTED" | "CANCELLED" | "REJECTED_CAPTURE", _) | (_, Some(83 | 84)) => {
            RefundState::Declined
        }
        _ => RefundState::Pending,
    }
}

/// True when a platform operation is a refund (by status or code).
pub fn is_refund_operation(status: &str, status_code: Option<i32>) -> bool {
    matches!(status, "REFUNDED" | "REFUND_REQUESTED")
        || matches!(status_code, Some(8 | 81 | 82 | 83 | 84 | 85))
}

/// What a tender captured: its acquired amount once the platform says captured (or later: refund statuses keep the
/// capture), zero otherwise.
pub fn captured_of(status: &str, status_code: Option<i32>, acquired: Amount) -> Amount {
    let captured = matches!(status, "CAPTURED" | "REFUND_REQUESTED" | "REFUNDED")
        || matches!(status_code, Some(9 | 8 | 81 | 82 | 85 | 95));
    if captured { acquired } else { Amount::ZERO }
}

/// One tender as the state derivation needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenderFacts {
    /// The platform's status.
    pub status: String,
    /// What it captured.
    pub captured: Amount,
}

/// Derives a checkout's state from the platform's hosted-checkout status, its tenders and the time.
/// *Paid* only when captured tenders sum to the amount (a gift card can leave a remainder unpaid).
pub fn derive_checkout_state(
    hosted_status: Option<&str>,
    tenders: &[TenderFacts],
    amount: Amount,
    created_at: DateTime<Utc>,
    session_timeout: Duration,
    now: DateTime<Utc>,
) -> CheckoutState {
    let captured: Amount = tenders.iter().map(|t| t.captured).sum();
    if captured >= amount && amount > Amount::ZERO {
        return CheckoutState::Paid;
    }
    let session_over = now >= created_at + session_timeout;
    let rejected = tenders
        .iter()
        .any(|t| matches!(t.status.as_str(), "REJECTED" | "REJECTED_CAPTURE"));
    let pending = tenders.iter().any(|t| {
        !matches!(
            t.status.as_str(),
            "REJECTED"
                | "REJECTED_CAPTURE"
                | "CANCELLED"
                | "CAPTURED"
                | "REFUNDED"
                | "REFUND_REQUESTED"
        )
    });
    match hosted_status {
        Some("CANCELLED_BY_CONSUMER") => {
            if captured > Amount::ZERO {
                CheckoutState::PartiallyPaid
            } else if rejected {
                CheckoutState::Rejected
            } else if session_over {
                CheckoutState::Expired
            } else {
                CheckoutState::Cancelled
            }
        }
        Some("PAYMENT_CREATED") => {
            if pending && !session_over {
                CheckoutState::InProgress
            } else if captured > Amount::ZERO {
                CheckoutState::PartiallyPaid
            } else if rejected {
                CheckoutState::Rejected
            } else if session_over {
                CheckoutState::Expired
            } else {
                CheckoutState::InProgress
            }
        }
        _ => {
            if !session_over {
                CheckoutState::InProgress
            } else if captured > Amount::ZERO {
                CheckoutState::PartiallyPaid
            } else {
                CheckoutState::Expired
            }
        }
    }
}

/// What a sale is now, as staff see it: its checkout's state until money went back, then refunded in part or in
/// full. A paid sale of 87,50 € of which 75 € were refunded is no longer "paid".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SaleStatus {
    /// Nothing refunded: the checkout's state.
    Checkout(CheckoutState),
    /// Some of what was paid was refunded.
    PartlyRefunded,
    /// Everything paid was refunded.
    Refunded,
}

impl SaleStatus {
    /// Every status, in the order of the screens' filter list.
    pub const ALL: [SaleStatus; 8] = [
        SaleStatus::Checkout(CheckoutState::InProgress),
        SaleStatus::Checkout(CheckoutState::Paid),
        SaleStatus::PartlyRefunded,
        SaleStatus::Refunded,
        SaleStatus::Checkout(CheckoutState::PartiallyPaid),
        SaleStatus::Checkout(CheckoutState::Cancelled),
        SaleStatus::Checkout(CheckoutState::Expired),
        SaleStatus::Checkout(CheckoutState::Rejected),
    ];

    /// The status of a sale in `state` that took `paid` and gave back `refunded` (refunds completed).
    pub fn of(state: CheckoutState, paid: Amount, refunded: Amount) -> SaleStatus {
        if refunded == Amount::ZERO || paid == Amount::ZERO {
            SaleStatus::Checkout(state)
        } else if refunded >= paid {
            SaleStatus::Refunded
        } else {
            SaleStatus::PartlyRefunded
        }
    }

    /// The checkout state a list can be narrowed to before the refunds are looked at; `None` for a refunded
    /// status (a sale paid in full or in part may have been refunded).
    pub fn checkout_state(self) -> Option<CheckoutState> {
        match self {
            SaleStatus::Checkout(s) => Some(s),
            SaleStatus::PartlyRefunded | SaleStatus::Refunded => None,
        }
    }

    /// The words for it.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            SaleStatus::Checkout(s) => s.label(lang),
            SaleStatus::PartlyRefunded => lang.pick("Remboursé en partie", "Partly refunded"),
            SaleStatus::Refunded => lang.pick("Remboursé", "Refunded"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sale_refunded_in_part_or_in_full_says_so() {
        let paid = Amount::literal(8750);
        let of = |cents| SaleStatus::of(CheckoutState::Paid, paid, Amount::literal(cents));
        assert_eq!(of(0), SaleStatus::Checkout(CheckoutState::Paid));
        assert_eq!(of(7500), SaleStatus::PartlyRefunded);
        assert_eq!(of(8750), SaleStatus::Refunded);
        assert_eq!(of(7500).label(Lang::Fr), "Remboursé en partie");
        assert_eq!(of(8750).label(Lang::En), "Refunded");
        for s in SaleStatus::ALL {
            assert_eq!(SaleStatus::ALL.iter().filter(|t| **t == s).count(), 1);
        }
    }

    fn t(status: &str, captured: i64) -> TenderFacts {
        TenderFacts {
            status: status.into(),
            captured: Amount::from_cents(captured).expect("amount"),
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn check_state(
        hosted: Option<&str>,
        tenders: &[TenderFacts],
        minutes: i64,
        expected: CheckoutState,
    ) {
        let created = at("2026-11-26T10:00:00Z");
        let got = derive_checkout_state(
            hosted,
            tenders,
            Amount::from_cents(10_000).expect("amount"),
            created,
            Duration::minutes(180),
            created + Duration::minutes(minutes),
        );
        assert_eq!(got, expected, "{hosted:?} {tenders:?} after {minutes} min");
    }

    #[test]
    fn checkout_states() {
        use CheckoutState::*;
        check_state(Some("IN_PROGRESS"), &[], 1, InProgress);
        check_state(Some("IN_PROGRESS"), &[], 181, Expired);
        check_state(
            Some("PAYMENT_CREATED"),
            &[
                t("CAPTURED", 5000),
                t("CAPTURED", 2000),
                t("CAPTURED", 3000),
            ],
            2,
            Paid,
        );
        // Gift cards captured but the remainder not paid: not paid.
        check_state(
            Some("PAYMENT_CREATED"),
            &[t("CAPTURED", 5000), t("REJECTED", 0)],
            2,
            PartiallyPaid,
        );
        check_state(
            Some("CANCELLED_BY_CONSUMER"),
            &[t("CAPTURED", 5000)],
            2,
            PartiallyPaid,
        );
        check_state(Some("CANCELLED_BY_CONSUMER"), &[], 2, Cancelled);
        check_state(Some("CANCELLED_BY_CONSUMER"), &[], 200, Expired);
        check_state(Some("PAYMENT_CREATED"), &[t("REJECTED", 0)], 2, Rejected);
        check_state(
            Some("CANCELLED_BY_CONSUMER"),
            &[t("REJECTED", 0)],
            2,
            Rejected,
        );
        check_state(
            Some("PAYMENT_CREATED"),
            &[t("PENDING_CAPTURE", 0)],
            2,
            InProgress,
        );
        // A refunded tender keeps its capture: the sale stays paid.
        check_state(Some("PAYMENT_CREATED"), &[t("REFUNDED", 10_000)], 2, Paid);
    }

    #[test]
    fn refund_states() {
        assert_eq!(
            refund_state_of("REFUND_REQUESTED", Some(81)),
            RefundState::Pending
        );
        assert_eq!(refund_state_of("REFUNDED", Some(8)), RefundState::Refunded);
        assert_eq!(refund_state_of("REJECTED", Some(83)), RefundState::Declined);
        assert_eq!(refund_state_of("", Some(85)), RefundState::Refunded);
        assert!(is_refund_operation("REFUNDED", None));
        assert!(!is_refund_operation("CAPTURED", Some(9)));
        let a = Amount::from_cents(2500).expect("amount");
        assert_eq!(captured_of("CAPTURED", Some(9), a), a);
        assert_eq!(captured_of("PENDING_CAPTURE", Some(5), a), Amount::ZERO);
    }

    #[test]
    fn a_partially_paid_checkout_is_still_watched() {
        assert!(!CheckoutState::PartiallyPaid.is_final());
        assert!(!CheckoutState::InProgress.is_final());
        for s in [
            CheckoutState::Paid,
            CheckoutState::Cancelled,
            CheckoutState::Expired,
            CheckoutState::Rejected,
        ] {
            assert!(s.is_final(), "{s}");
        }
    }

    #[test]
    fn in_flight_means_no_answer_yet_and_held_means_not_final() {
        use RefundState::*;
        let in_flight: Vec<_> = RefundState::ALL
            .into_iter()
            .filter(|s| s.awaits_answer())
            .collect();
        assert_eq!(in_flight, vec![Requested, Unknown]);
        let held: Vec<_> = RefundState::ALL
            .into_iter()
            .filter(|s| s.holds_amount())
            .collect();
        assert_eq!(held, vec![Requested, Pending, Unknown]);
        let left: Vec<_> = RefundState::ALL
            .into_iter()
            .filter(|s| s.left_money())
            .collect();
        assert_eq!(left, vec![Pending, Refunded]);
    }

    #[test]
    fn refunds_only_move_forward() {
        use RefundState::*;
        assert!(Requested.may_become(Pending));
        assert!(Unknown.may_become(Refunded));
        assert!(Pending.may_become(Refunded));
        assert!(!Pending.may_become(Unknown));
        assert!(!Refunded.may_become(Declined));
        assert!(!Declined.may_become(Refunded));
        assert!(Refunded.may_become(Refunded));
        assert!(!Unknown.may_become(Requested));
        assert!(Requested.may_become(Unknown));
    }

    #[test]
    fn stored_words_round_trip_and_unknown_words_are_errors() {
        for s in CheckoutState::ALL {
            assert_eq!(CheckoutState::from_stored(s.code()), Ok(s));
        }
        for s in RefundState::ALL {
            assert_eq!(s.code().parse::<RefundState>(), Ok(s));
            assert_eq!(
                serde_json::to_string(&s).expect("json"),
                format!("\"{}\"", s.code())
            );
        }
        assert_eq!(
            CheckoutState::from_stored("requested"),
            Ok(CheckoutState::InProgress)
        );
        assert_eq!(
            CheckoutState::from_stored("failed"),
            Ok(CheckoutState::Rejected)
        );
        assert!(CheckoutState::from_stored("payed").is_err());
        let e = "refundd".parse::<RefundState>().expect_err("not a state");
        assert!(e.to_string().contains("refundd"), "{e}");
    }
}
