//! Closings (French till law): what money moved in a span of the journal, as pure functions of its entries.
//!
//! A payment counts when a tender's captured amount grows (a later reading that lowers it counts the difference as
//! negative); a refund counts when money left (it reaches pending or refunded, as the projection applies it), and is
//! taken back in the period where a pending refund turns out declined. So each movement belongs to the period of the
//! entry that made it, and a closed period never changes: a refund answered after a closing belongs to the next one.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::domain::closing::Movement;
use crate::domain::{RefundState, TenderKind};
use crate::ledger::Event;

#[derive(Debug, Clone)]
struct RefundSeen {
    kind: TenderKind,
    product: i32,
    amount: i64,
    state: RefundState,
}

/// Follows the journal entry by entry and says what money each one moved. Feed it every entry from the first.
#[derive(Debug, Default)]
pub struct MoneyFlow {
    captured: HashMap<String, i64>,
    products: HashMap<String, i32>,
    refunds: HashMap<String, RefundSeen>,
    checkouts_paid: std::collections::HashSet<String>,
}

/// What [`MoneyFlow`] knows after some entries, in a stable written form: an archive's opening state, from which
/// the closings it holds are recomputed without the entries before it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FlowState {
    /// Each payment seen: its product and what was last read as captured.
    pub payments: BTreeMap<String, PaymentSeen>,
    /// Each refund asked: its tender's kind, its amount and its state.
    pub refunds: BTreeMap<String, RefundSeenState>,
    /// The hosted checkouts already counted as a sale.
    pub paid_checkouts: BTreeSet<String>,
}

/// A payment in a [`FlowState`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentSeen {
    /// The payment product.
    pub product_id: i32,
    /// The captured amount last read.
    pub captured_cents: i64,
}

/// A refund in a [`FlowState`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundSeenState {
    /// The payment product of its tender.
    pub product_id: i32,
    /// Its amount.
    pub amount_cents: i64,
    /// Where it stands.
    pub state: RefundState,
}

impl MoneyFlow {
    /// What it knows, written down.
    pub fn state(&self) -> FlowState {
        FlowState {
            payments: self
                .captured
                .iter()
                .map(|(id, cents)| {
                    (
                        id.clone(),
                        PaymentSeen {
                            product_id: self.products.get(id).copied().unwrap_or(0),
                            captured_cents: *cents,
                        },
                    )
                })
                .collect(),
            refunds: self
                .refunds
                .iter()
                .map(|(key, r)| {
                    (
                        key.clone(),
                        RefundSeenState {
                            product_id: r.product,
                            amount_cents: r.amount,
                            state: r.state,
                        },
                    )
                })
                .collect(),
            paid_checkouts: self.checkouts_paid.iter().cloned().collect(),
        }
    }

    /// Goes on from a written state.
    pub fn from_state(state: &FlowState) -> MoneyFlow {
        MoneyFlow {
            captured: state
                .payments
                .iter()
                .map(|(id, p)| (id.clone(), p.captured_cents))
                .collect(),
            products: state
                .payments
                .iter()
                .map(|(id, p)| (id.clone(), p.product_id))
                .collect(),
            refunds: state
                .refunds
                .iter()
                .map(|(key, r)| {
                    (
                        key.clone(),
                        RefundSeen {
                            kind: TenderKind::from_product(r.product_id),
                            product: r.product_id,
                            amount: r.amount_cents,
                            state: r.state,
                        },
                    )
                })
                .collect(),
            checkouts_paid: state.paid_checkouts.iter().cloned().collect(),
        }
    }

    /// A refund asked or imported, with its tender's product as the journal knew it then: its tender's kind.
    fn record_refund(
        &mut self,
        key: &str,
        payment_id: &str,
        amount: i64,
        state: RefundState,
    ) -> TenderKind {
        let product = self.products.get(payment_id).copied().unwrap_or(0);
        let kind = TenderKind::from_product(product);
        self.refunds.insert(
            key.to_string(),
            RefundSeen {
                kind,
                product,
                amount,
                state,
            },
        );
        kind
    }

    /// The money entry `seq` moved, if any.
    pub fn step(&mut self, seq: i64, event: &Event) -> Option<Movement> {
        let movement = |kind, payment_cents, refund_cents, sales, refunds| Movement {
            seq,
            kind,
            payment_cents,
            refund_cents,
            sales,
            refunds,
        };
        match event {
            Event::TenderSeen {
                hosted_checkout_id,
                payment_id,
                product_id,
                captured_cents,
                ..
            } => {
                self.products.insert(payment_id.to_string(), *product_id);
                let before = self
                    .captured
                    .insert(payment_id.to_string(), *captured_cents)
                    .unwrap_or(0);
                let delta = captured_cents - before;
                if delta == 0 {
                    return None;
                }
                // A sale counts once, at the first capture of any of its tenders.
                let sale = i64::from(
                    delta > 0 && self.checkouts_paid.insert(hosted_checkout_id.to_string()),
                );
                Some(movement(
                    TenderKind::from_product(*product_id),
                    delta,
                    0,
                    sale,
                    0,
                ))
            }
            Event::ForeignTenderSeen {
                payment_id,
                product_id,
                ..
            } => {
                // Sold at another till: its product names a refund's kind here; no money moved here.
                self.products.insert(payment_id.to_string(), *product_id);
                self.captured.entry(payment_id.to_string()).or_insert(0);
                None
            }
            Event::RefundRequested {
                idempotence_key,
                payment_id,
                amount_cents,
                ..
            } => {
                self.record_refund(
                    idempotence_key.as_str(),
                    payment_id.as_str(),
                    *amount_cents,
                    RefundState::Requested,
                );
                None
            }
            Event::RefundImported {
                idempotence_key,
                payment_id,
                amount_cents,
                state,
                ..
            } => {
                let kind = self.record_refund(
                    idempotence_key.as_str(),
                    payment_id.as_str(),
                    *amount_cents,
                    *state,
                );
                state
                    .left_money()
                    .then(|| movement(kind, 0, *amount_cents, 0, 1))
            }
            Event::RefundAnswered {
                idempotence_key,
                state,
                ..
            } => self.move_refund(seq, idempotence_key.as_str(), *state, false),
            Event::RefundCorrected {
                idempotence_key,
                state,
                ..
            } => self.move_refund(seq, idempotence_key.as_str(), *state, true),
            Event::RefundClosed {
                idempotence_key, ..
            } => {
                if let Some(r) = self.refunds.get_mut(idempotence_key.as_str())
                    && r.state.awaits_answer()
                {
                    r.state = RefundState::Declined;
                }
                None
            }
            _ => None,
        }
    }

    /// A refund's new state, as the projection applies it: forward only, except a correction, which only moves
    /// towards pending or refunded and never out of refunded.
    fn move_refund(
        &mut self,
        seq: i64,
        key: &str,
        next: RefundState,
        correction: bool,
    ) -> Option<Movement> {
        let r = self.refunds.get_mut(key)?;
        let applies = if correction {
            next.left_money() && r.state != RefundState::Refunded
        } else {
            r.state.may_become(next)
        };
        if !applies || r.state == next {
            return None;
        }
        let before = r.state.left_money();
        r.state = next;
        let after = next.left_money();
        let (kind, amount) = (r.kind, r.amount);
        match (before, after) {
            (false, true) => Some(Movement {
                seq,
                kind,
                payment_cents: 0,
                refund_cents: amount,
                sales: 0,
                refunds: 1,
            }),
            (true, false) => Some(Movement {
                seq,
                kind,
                payment_cents: 0,
                refund_cents: -amount,
                sales: 0,
                refunds: -1,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RefundState;
    use crate::domain::closing::{PeriodTotals, TenderTotals, totals};

    fn tender(checkout: &str, payment: &str, product: i32, captured: i64) -> Event {
        Event::TenderSeen {
            hosted_checkout_id: checkout.parse().expect("id"),
            payment_id: payment.parse().expect("id"),
            product_id: product,
            masked_number: None,
            amount_cents: captured,
            captured_cents: captured,
            status: "CAPTURED".into(),
            status_code: Some(9),
        }
    }

    fn asked(key: &str, payment: &str, cents: i64) -> Event {
        Event::RefundRequested {
            idempotence_key: key.parse().expect("key"),
            number: 1,
            payment_id: payment.parse().expect("id"),
            hosted_checkout_id: "1000000001".parse().expect("id"),
            amount_cents: cents,
            reason: "retour".into(),
        }
    }

    fn answered(key: &str, state: RefundState) -> Event {
        Event::RefundAnswered {
            idempotence_key: key.parse().expect("key"),
            refund_id: None,
            state,
            platform_status: None,
            failure: None,
        }
    }

    #[test]
    fn payments_count_at_capture_and_refunds_when_money_leaves_or_comes_back() {
        let mut f = MoneyFlow::default();
        let events = [
            tender("1000000001", "1000000001_0", 3103, 0),
            tender("1000000001", "1000000001_0", 3103, 5000),
            tender("1000000001", "1000000002_0", 1, 3750),
            asked("k1", "1000000001_0", 1000),
            answered("k1", RefundState::Unknown),
            answered("k1", RefundState::Pending),
            answered("k1", RefundState::Refunded),
            // A stale answer never moves it back.
            answered("k1", RefundState::Pending),
            asked("k2", "1000000002_0", 500),
            answered("k2", RefundState::Pending),
            answered("k2", RefundState::Declined),
        ];
        let moves: Vec<Movement> = events
            .iter()
            .enumerate()
            .filter_map(|(i, e)| f.step(i as i64 + 1, e))
            .collect();
        let t = totals(&moves);
        assert_eq!((t.payments_cents, t.refunds_cents), (8750, 1000));
        assert_eq!((t.sales_count, t.refunds_count), (1, 1));
        assert_eq!(t.net_cents(), 7750);
        assert_eq!(
            t.by_tender,
            [
                TenderTotals {
                    kind: "gift_card".into(),
                    payments_cents: 5000,
                    refunds_cents: 1000
                },
                TenderTotals {
                    kind: "visa".into(),
                    payments_cents: 3750,
                    refunds_cents: 0
                },
            ]
        );
        // The refund counts at the entry that made it pending (6), the decline of the other takes it back at 11.
        assert_eq!(
            moves.iter().find(|m| m.refunds == 1).map(|m| m.seq),
            Some(6)
        );
        assert_eq!(
            moves.last().map(|m| (m.seq, m.refund_cents)),
            Some((11, -500))
        );
        // Sums of periods are the period of the sums.
        let (a, b) = moves.split_at(3);
        assert_eq!(PeriodTotals::sum([&totals(a), &totals(b)]), t);
    }
}
