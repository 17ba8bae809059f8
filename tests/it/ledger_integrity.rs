//! The ledger's own rules, on a real SQLite file: refund states only move forward whatever snapshot a writer held,
//! and `verify` notices a cut tail and derived tables that no longer match the journal.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use cadodesk::domain::RefundState;
use cadodesk::ledger::{ChainBreak, Event, Ledger};

use crate::support::till::eur;

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
                hosted_checkout_id: "111".parse().expect("an id"),
                redirect_url: "http://x".into(),
            },
            Event::TenderSeen {
                hosted_checkout_id: "111".parse().expect("an id"),
                payment_id: TENDER.parse().expect("an id"),
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
        idempotence_key: key.parse().expect("an id"),
        refund_id: None,
        state: state.parse().expect("a refund state"),
        platform_status: None,
        failure: None,
    }
}

fn state_of(l: &Ledger, key: &str) -> String {
    l.refund_by_key(key).unwrap().unwrap().state.to_string()
}

#[test]
fn ledger_a_stale_answer_never_moves_a_refund_backwards() {
    let dir = tempfile::tempdir().unwrap();
    let l = ledger_with_tender(dir.path());
    let a = l.request_refund("t", TENDER, eur(1000), "r").unwrap();
    l.append("t", &answer(&a.idempotence_key, "refunded"))
        .unwrap();
    // A second writer that read the refund before it was answered records "unknown" afterwards.
    l.append("t", &answer(&a.idempotence_key, "unknown"))
        .unwrap();
    assert_eq!(state_of(&l, &a.idempotence_key), "refunded");
    l.append("t", &answer(&a.idempotence_key, "requested"))
        .unwrap();
    assert_eq!(state_of(&l, &a.idempotence_key), "refunded");
    l.append("t", &answer(&a.idempotence_key, "declined"))
        .unwrap();
    assert_eq!(state_of(&l, &a.idempotence_key), "refunded");

    let b = l.request_refund("t", TENDER, eur(1000), "r").unwrap();
    l.append("t", &answer(&b.idempotence_key, "pending"))
        .unwrap();
    l.append("t", &answer(&b.idempotence_key, "unknown"))
        .unwrap();
    l.append("t", &answer(&b.idempotence_key, "requested"))
        .unwrap();
    assert_eq!(state_of(&l, &b.idempotence_key), "pending");
    // The tender is not blocked by a stale "unknown".
    assert!(!l.tender(TENDER).unwrap().unwrap().in_flight);
    l.append("t", &answer(&b.idempotence_key, "refunded"))
        .unwrap();
    assert_eq!(state_of(&l, &b.idempotence_key), "refunded");

    let c = l.request_refund("t", TENDER, eur(1000), "r").unwrap();
    l.append("t", &answer(&c.idempotence_key, "unknown"))
        .unwrap();
    l.append("t", &answer(&c.idempotence_key, "requested"))
        .unwrap();
    assert_eq!(state_of(&l, &c.idempotence_key), "unknown");
    l.append("t", &answer(&c.idempotence_key, "declined"))
        .unwrap();
    // Declined is final: only an explicit correction takes it out.
    l.append("t", &answer(&c.idempotence_key, "pending"))
        .unwrap();
    assert_eq!(state_of(&l, &c.idempotence_key), "declined");
    l.append(
        "t",
        &Event::RefundCorrected {
            idempotence_key: c.idempotence_key.clone(),
            refund_id: Some("1234567890_3".parse().expect("an id")),
            previous_state: RefundState::Declined,
            state: RefundState::Refunded,
            platform_status: Some("REFUNDED".into()),
            note: "seen on the platform".into(),
        },
    )
    .unwrap();
    assert_eq!(state_of(&l, &c.idempotence_key), "refunded");
    assert!(l.verify().unwrap().is_sound());
}

fn tamper(dir: &std::path::Path, sql: &str) {
    let c = rusqlite::Connection::open(dir.join(cadodesk::ledger::LEDGER_FILE)).unwrap();
    c.execute_batch(sql).unwrap();
}

#[test]
fn ledger_verify_notices_a_cut_tail_that_no_derived_table_points_at() {
    let dir = tempfile::tempdir().unwrap();
    let l = ledger_with_tender(dir.path());
    l.append(
        "t",
        &Event::ExportMade {
            from: "2026-11-26".into(),
            to: "2026-11-26".into(),
            format: "excel-fr".into(),
            rows: 0,
            what: None,
        },
    )
    .unwrap();
    assert!(l.verify().unwrap().is_sound());
    drop(l);
    tamper(
        dir.path(),
        "DROP TRIGGER journal_no_delete; DELETE FROM journal WHERE seq = (SELECT MAX(seq) FROM journal);",
    );
    let l = Ledger::open_in(dir.path()).unwrap();
    let r = l.verify().unwrap();
    assert_eq!(
        r.first_break,
        Some(ChainBreak::Truncated {
            last_seq: 3,
            referenced_seq: 4
        }),
        "{r:?}"
    );
}

#[test]
fn ledger_verify_names_a_derived_row_edited_behind_the_journal() {
    for (sql, table, column, found, expected) in [
        (
            "UPDATE checkouts SET amount_cents = 99999, state = 'paid'",
            "checkouts",
            "amount_cents",
            "99999",
            "5000",
        ),
        (
            "UPDATE tenders SET captured_cents = 9000",
            "tenders",
            "captured_cents",
            "9000",
            "5000",
        ),
        (
            "UPDATE refunds SET amount_cents = 100",
            "refunds",
            "amount_cents",
            "100",
            "1000",
        ),
        (
            "UPDATE refunds SET state = 'declined'",
            "refunds",
            "state",
            "'declined'",
            "'refunded'",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let l = ledger_with_tender(dir.path());
        let a = l.request_refund("t", TENDER, eur(1000), "r").unwrap();
        l.append("t", &answer(&a.idempotence_key, "refunded"))
            .unwrap();
        assert!(l.verify().unwrap().is_sound());
        drop(l);
        tamper(dir.path(), sql);
        let l = Ledger::open_in(dir.path()).unwrap();
        let r = l.verify().unwrap();
        match &r.first_break {
            Some(ChainBreak::DerivedMismatch {
                table: t,
                column: c,
                found: f,
                expected: e,
                seq,
                ..
            }) => {
                assert_eq!(
                    (*t, c.as_str(), f.as_str(), e.as_str()),
                    (table, column, found, expected),
                    "{sql}"
                );
                assert!(*seq >= 1);
            }
            other => panic!("{sql}: {other:?}"),
        }
        assert!(r.first_break.unwrap().describe_en().contains(table));
    }
}

#[test]
fn an_operator_written_behind_the_apps_back_keeps_the_till_closed() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = cadodesk::app::open_ledger(dir.path()).unwrap();
    ledger.set_setting("ana", "operator", Some("ana")).unwrap();
    tamper(
        dir.path(),
        "UPDATE settings SET value = '=HYPERLINK(\"x\")' WHERE key = 'operator'",
    );
    // The settings are read checked against the journal: the altered one is named, and nothing opens.
    match cadodesk::app::settings::load(&ledger, &cadodesk::app::Overrides::default()) {
        Err(cadodesk::ledger::LedgerError::SettingAltered { key, seq }) => {
            // Entry 1 names the journal's sealing key; entry 2 set the operator.
            assert_eq!((key.as_str(), seq), ("operator", 2));
        }
        other => panic!("settings altered in the file were read: {other:?}"),
    }
    let r = ledger.verify().unwrap();
    let b = r.first_break.expect("verify names the altered setting");
    assert!(b.describe_en().contains("settings"), "{}", b.describe_en());
    // Even a valid-looking operator put there by hand opens nothing.
    tamper(
        dir.path(),
        "UPDATE settings SET value = 'bob' WHERE key = 'operator'",
    );
    assert!(matches!(
        cadodesk::app::settings::load(&ledger, &cadodesk::app::Overrides::default()),
        Err(cadodesk::ledger::LedgerError::SettingAltered { .. })
    ));
}
