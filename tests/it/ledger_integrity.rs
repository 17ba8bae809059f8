//! The ledger's own rules, on a real SQLite file: refund states only move forward whatever snapshot a writer held,
//! and `verify` notices a cut tail and derived tables that no longer match the journal.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use cadodesk::ledger::{ChainBreak, Event, Ledger};

use crate::till_support::eur;

const TENDER: &str = "1234567890_0";

fn ledger_with_tender(dir: &std::path::Path) -> Ledger {
    let l = Ledger::open_in(dir).unwrap();
    l.append_all(
        "t",
        &[
            Event::CheckoutRequested {
                merchant_reference: "R1".into(),
                amount_cents: 5000,
                currency: "EUR".into(),
                email: None,
                locale: "fr_FR".into(),
                return_url: None,
            },
            Event::CheckoutCreated {
                merchant_reference: "R1".into(),
                hosted_checkout_id: "111".into(),
                redirect_url: "http://x".into(),
            },
            Event::TenderSeen {
                hosted_checkout_id: "111".into(),
                payment_id: TENDER.into(),
                product_id: 3103,
                masked_number: None,
                amount_cents: 5000,
                captured_cents: 5000,
                status: "CAPTURED".into(),
                status_code: Some(9),
            },
        ],
    )
    .unwrap();
    l
}

fn answer(key: &str, state: &str) -> Event {
    Event::RefundAnswered {
        idempotence_key: key.into(),
        refund_id: None,
        state: state.into(),
        platform_status: None,
        failure: None,
    }
}

fn state_of(l: &Ledger, key: &str) -> String {
    l.refund_by_key(key).unwrap().unwrap().state
}

#[test]
fn ledger_a_stale_answer_never_moves_a_refund_backwards() {
    let dir = tempfile::tempdir().unwrap();
    let l = ledger_with_tender(dir.path());
    let a = l.request_refund("t", TENDER, eur(1000), "r").unwrap();
    l.append("t", &answer(&a.idempotence_key, "refunded")).unwrap();
    // A second writer that read the refund before it was answered records "unknown" afterwards.
    l.append("t", &answer(&a.idempotence_key, "unknown")).unwrap();
    assert_eq!(state_of(&l, &a.idempotence_key), "refunded");
    l.append("t", &answer(&a.idempotence_key, "requested"))
        .unwrap();
    assert_eq!(state_of(&l, &a.idempotence_key), "refunded");
    l.append("t", &answer(&a.idempotence_key, "declined")).unwrap();
    assert_eq!(state_of(&l, &a.idempotence_key), "refunded");

    let b = l.request_refund("t", TENDER, eur(1000), "r").unwrap();
    l.append("t", &answer(&b.idempotence_key, "pending")).unwrap();
    l.append("t", &answer(&b.idempotence_key, "unknown")).unwrap();
    l.append("t", &answer(&b.idempotence_key, "requested"))
        .unwrap();
    assert_eq!(state_of(&l, &b.idempotence_key), "pending");
    // The tender is not blocked by a stale "unknown".
    assert!(!l.tender(TENDER).unwrap().unwrap().in_flight);
    l.append("t", &answer(&b.idempotence_key, "refunded")).unwrap();
    assert_eq!(state_of(&l, &b.idempotence_key), "refunded");

    let c = l.request_refund("t", TENDER, eur(1000), "r").unwrap();
    l.append("t", &answer(&c.idempotence_key, "unknown")).unwrap();
    l.append("t", &answer(&c.idempotence_key, "requested"))
        .unwrap();
    assert_eq!(state_of(&l, &c.idempotence_key), "unknown");
    l.append("t", &answer(&c.idempotence_key, "declined")).unwrap();
    // Declined is final: only an explicit correction takes it out.
    l.append("t", &answer(&c.idempotence_key, "pending")).unwrap();
    assert_eq!(state_of(&l, &c.idempotence_key), "declined");
    l.append(
        "t",
        &Event::RefundCorrected {
            idempotence_key: c.idempotence_key.clone(),
            refund_id: Some("1234567890_3".into()),
            previous_state: "declined".into(),
            state: "refunded".into(),
            platform_status: Some("REFUNDED".into()),
            note: "seen on the platform".into(),
        },
    )
    .unwrap();
    assert_eq!(state_of(&l, &c.idempotence_key), "refunded");
    assert!(l.verify().unwrap().is_sound());
}
