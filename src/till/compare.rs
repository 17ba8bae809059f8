//! What the ledger and the platform still disagree on after a reading: each refund's amount and state by its
//! number, and each tender's refunded total. Pure: `reconcile` reports these lines.

use crate::domain::{PaymentId, RefundState};
use crate::ledger::{RefundRecord, TenderRecord};

use super::gateway::RefundReading;

/// The platform's refund matching one of the ledger's: by its id, or by our operation reference.
fn platform_refund<'a>(
    r: &RefundRecord,
    platform: &'a [RefundReading],
) -> Option<&'a RefundReading> {
    platform.iter().find(|p| {
        (r.refund_id.is_some() && p.id == r.refund_id)
            || p.merchant_reference.as_deref() == Some(r.idempotence_key.as_str())
    })
}

/// One line per difference, by refund number and by payment.
pub(super) fn differences(
    refunds: &[RefundRecord],
    tenders: &[TenderRecord],
    platform: &[RefundReading],
) -> Vec<String> {
    let mut out = Vec::new();
    for r in refunds {
        match platform_refund(r, platform) {
            Some(p) => {
                if let Some(a) = p.amount
                    && a != r.amount
                {
                    out.push(format!(
                        "refund n°{}: {} in the ledger, {} on the platform ({})",
                        r.number,
                        r.amount.fr(),
                        a.fr(),
                        p.id.as_deref().unwrap_or("")
                    ));
                }
                let state = p.state();
                if state != r.state && !(r.state.awaits_answer() && state == RefundState::Pending) {
                    out.push(format!(
                        "refund n°{} is {} in the ledger, {} on the platform ({})",
                        r.number,
                        r.state,
                        p.status_word(),
                        p.id.as_deref().unwrap_or("")
                    ));
                }
            }
            None if r.state == RefundState::Refunded => out.push(format!(
                "refund n°{} is refunded in the ledger ({}), but the platform does not list it",
                r.number,
                r.refund_id.as_deref().unwrap_or("no platform id")
            )),
            None => {}
        }
    }
    for t in tenders {
        let on_platform = platform
            .iter()
            .filter(|p| p.state() == RefundState::Refunded)
            .filter(|p| {
                p.id.as_deref()
                    .and_then(|id| PaymentId::tender_of_operation(id).ok())
                    .is_some_and(|tender| tender == t.payment_id)
            })
            .filter_map(|p| p.amount)
            .sum::<crate::domain::Amount>();
        if on_platform != t.refunded {
            out.push(format!(
                "payment {}: {} refunded in the ledger, {} on the platform",
                t.payment_id,
                t.refunded.fr(),
                on_platform.fr()
            ));
        }
    }
    out
}
