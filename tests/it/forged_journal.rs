//! Issue item 4, a forged journal that verifies: someone with the SQLite file but not the till's key rewrites refund
//! n°1 from 4,00 € to 0,40 € and its operator, recomputes every later SHA-256 exactly as the chain's format does, the
//! head and the derived row, and puts the trigger back. The hash chain alone cannot see it; the seals do.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use std::path::Path;

use cadodesk::app;
use cadodesk::ledger::{ChainBreak, JournalKey, KeyHome, Ledger, LedgerError};
use cadodesk::till::{RefundCommand, Till};
use serde_json::Value;

use crate::support::binary::{Cli, stderr_of};
use crate::support::till::*;

/// A sale of 50 € and two refunds (4,00 € then 1,00 €) on the ledger `ledger`, through the till.
async fn sale_and_refunds(ledger: Ledger, base: &str) {
    let gateway = cadodesk::till::DirectGateway::new(base, &credentials()).unwrap();
    let till = Till::with_gateway(
        ledger,
        std::sync::Arc::new(gateway),
        "ana",
        180,
        Some("https://shop.example/back".into()),
    );
    let id = paid_sale(&till, 5000, &[CADO_50], None).await;
    let payment = till.checkout(&id).unwrap().unwrap().tenders[0]
        .payment_id
        .to_string();
    for cents in [400, 100] {
        till.refund(RefundCommand {
            payment_id: payment.clone(),
            amount: eur(cents),
            reason: "retour".into(),
        })
        .await
        .unwrap();
    }
}

/// The forgery, as the file's holder would do it. Returns the rewritten entry's number.
fn forge(dir: &Path) -> i64 {
    let conn = rusqlite::Connection::open(dir.join(cadodesk::ledger::LEDGER_FILE)).unwrap();
    let trigger: String = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'journal_no_update'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute_batch("DROP TRIGGER journal_no_update")
        .unwrap();
    let rows: Vec<(i64, String, String, String, String)> = conn
        .prepare("SELECT seq, at, kind, operator, payload FROM journal ORDER BY seq")
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let forged_seq = rows
        .iter()
        .find(|(_, _, kind, _, payload)| {
            kind == "refund_requested" && payload.contains("\"amount_cents\":400")
        })
        .expect("refund n°1's intent")
        .0;
    let mut prev: Option<String> = None;
    for (seq, at, kind, mut operator, mut payload) in rows {
        if seq < forged_seq {
            prev = Some(
                conn.query_row("SELECT hash FROM journal WHERE seq = ?1", [seq], |r| {
                    r.get(0)
                })
                .unwrap(),
            );
            continue;
        }
        if seq == forged_seq {
            let mut v: Value = serde_json::from_str(&payload).unwrap();
            v["amount_cents"] = 40.into();
            payload = serde_json::to_string(&v).unwrap();
            operator = "mallory".into();
        }
        let prev_hash = prev
            .clone()
            .unwrap_or_else(|| cadodesk::ledger::journal::GENESIS_HASH.to_string());
        let hash =
            cadodesk::ledger::journal::entry_hash(seq, &at, &kind, &operator, &payload, &prev_hash);
        conn.execute(
            "UPDATE journal SET operator = ?2, payload = ?3, prev_hash = ?4, hash = ?5 WHERE seq = ?1",
            rusqlite::params![seq, operator, payload, prev_hash, hash],
        )
        .unwrap();
        prev = Some(hash);
    }
    conn.execute(
        "UPDATE journal_head SET hash = ?1",
        [prev.expect("entries")],
    )
    .unwrap();
    conn.execute_batch(
        "UPDATE refunds SET amount_cents = 40, operator = 'mallory' WHERE number = 1",
    )
    .unwrap();
    conn.execute_batch(&trigger).unwrap();
    forged_seq
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_journal_that_verifies_is_named_by_its_seal() {
    let sb = sandbox(50).await;
    let base = sb.base_url();

    // The forgery is exact: on a journal without seals, nothing tells it apart.
    let plain = tempfile::tempdir().unwrap();
    sale_and_refunds(Ledger::open_in(plain.path()).unwrap(), &base).await;
    forge(plain.path());
    let r = Ledger::open_in(plain.path()).unwrap().verify().unwrap();
    assert!(r.is_sound(), "{:?}", r.first_break);
    assert!(r.sealed_by.is_none());
    assert!(
        r.notes.iter().any(|n| n.contains("not sealed")),
        "{:?}",
        r.notes
    );

    // The till's own ledger is sealed: the same forgery is named, entry by entry. (A sandbox of its own: the
    // first one spent the gift card.)
    let sb = sandbox(50).await;
    let base = sb.base_url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sale_and_refunds(app::open_ledger(d).unwrap(), &base).await;
    let before = app::open_ledger(d).unwrap().verify().unwrap();
    assert!(before.is_sound(), "{:?}", before.first_break);
    let key = before.sealed_by.clone().expect("sealed");
    let forged_seq = forge(d);

    let cli = Cli::sandbox(d, &base);
    let out = cli.run(&["ledger", "verify"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let said = stderr_of(&out);
    assert!(
        said.contains(&format!("entry {forged_seq}'s seal does not hold")),
        "{said}"
    );
    let (ledger, _copy) = app::open_ledger_to_verify(d).unwrap();
    let r = ledger.verify().unwrap();
    assert_eq!(
        r.first_break,
        Some(ChainBreak::SealBroken { seq: forged_seq })
    );
    assert_eq!(r.sealed_by.as_deref(), Some(key.as_str()));

    // The till refuses to work on it, so no screen or command shows the forged amounts.
    assert!(matches!(app::open_ledger(d), Err(LedgerError::SealBroken)));
    let out = cli
        .run(&["refunds", "--from", "2026-01-01", "--to", "2099-12-31"])
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("ledger verify"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn a_key_change_without_the_previous_key_and_entries_before_the_first_key_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key_a = || JournalKey::from_seed([1; 32], KeyHome::File("a".into()));
    let key_b = || JournalKey::from_seed([2; 32], KeyHome::File("b".into()));
    let l = Ledger::open_in(d)
        .unwrap()
        .with_journal_key(key_a(), None)
        .unwrap();
    l.set_setting("ana", "language", Some("fr")).unwrap();
    // An endorsed rotation (the till still holds A): no note.
    let l = Ledger::open_in(d)
        .unwrap()
        .with_journal_key(key_b(), Some(&key_a()))
        .unwrap();
    l.set_setting("ana", "language", Some("en")).unwrap();
    let r = l.verify().unwrap();
    assert!(r.is_sound() && r.notes.is_empty(), "{r:?}");
    // A key that appears without B's endorsement (a lost keychain, or someone re-sealing): verify names the entry.
    let key_c = JournalKey::from_seed([3; 32], KeyHome::Keychain);
    let c_id = key_c.key_id();
    let l = Ledger::open_in(d)
        .unwrap()
        .with_journal_key(key_c, None)
        .unwrap();
    let r = l.verify().unwrap();
    assert_eq!(r.sealed_by.as_deref(), Some(c_id.as_str()));
    match r.first_break {
        Some(ChainBreak::KeyChanged { key_id, .. }) => assert_eq!(key_id, c_id),
        other => panic!("an unendorsed key change must be named: {other:?}"),
    }
    // Held by another key than the journal's: named.
    let third = tempfile::tempdir().unwrap();
    Ledger::open_in(third.path())
        .unwrap()
        .with_journal_key(key_b(), None)
        .unwrap();
    let held = Ledger::open_in(third.path()).unwrap().holding_key(key_a());
    assert!(matches!(
        held.verify().unwrap().first_break,
        Some(ChainBreak::KeyNotHeld { .. })
    ));
    // A journal that names no key (an older cadodesk, or one put in place outside cadodesk, its key entry and
    // seals stripped): sealed from the next open on, and verify names the entries written before the key.
    let other = tempfile::tempdir().unwrap();
    Ledger::open_in(other.path())
        .unwrap()
        .set_setting("ana", "language", Some("fr"))
        .unwrap();
    let l = Ledger::open_in(other.path())
        .unwrap()
        .with_journal_key(key_a(), None)
        .unwrap();
    assert_eq!(
        l.verify().unwrap().first_break,
        Some(ChainBreak::SealedLate { first_key_seq: 2 })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_verify_works_on_a_read_only_copy_of_a_data_directory() {
    let sb = sandbox(50).await;
    let base = sb.base_url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sale_and_refunds(app::open_ledger(d).unwrap(), &base).await;
    // The archive: a copy, read-only, without the -shm file SQLite would want to write.
    let archive = tempfile::tempdir().unwrap();
    let a = archive.path().join("archive");
    std::fs::create_dir(&a).unwrap();
    for name in std::fs::read_dir(d).unwrap() {
        let name = name.unwrap().file_name();
        let name = name.to_string_lossy().to_string();
        if name.ends_with("-shm") {
            continue;
        }
        std::fs::copy(d.join(&name), a.join(&name)).unwrap();
    }
    let listing = |p: &Path| {
        let mut v: Vec<(String, u64)> = std::fs::read_dir(p)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().to_string(),
                    e.metadata().unwrap().len(),
                )
            })
            .collect();
        v.sort();
        v
    };
    set_read_only(&a, true);
    let before = listing(&a);
    let out = Cli::sandbox(&a, &base)
        .run(&["ledger", "verify", "--json"])
        .await;
    let after = listing(&a);
    set_read_only(&a, false);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sound"], true, "{v}");
    assert!(v["sealedBy"].is_string(), "{v}");
    assert_eq!(before, after, "nothing written in the archive");
}

fn set_read_only(dir: &Path, ro: bool) {
    let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.push(dir.to_path_buf());
    for p in paths {
        let mut perms = std::fs::metadata(&p).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        // reason: the test gives its own folder back
        perms.set_readonly(ro);
        std::fs::set_permissions(&p, perms).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_compares_each_refund_amount_and_each_tenders_refunded_total_with_the_platform() {
    let sb = sandbox(0).await;
    let base = sb.base_url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let till = till(d, &base, "ana");
    let id = paid_sale(&till, 5000, &[CADO_50], None).await;
    let payment = till.checkout(&id).unwrap().unwrap().tenders[0]
        .payment_id
        .to_string();
    till.refund(RefundCommand {
        payment_id: payment.clone(),
        amount: eur(400),
        reason: "retour".into(),
    })
    .await
    .unwrap();
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    let clean = till.reconcile(today, today).await.unwrap();
    assert!(
        !clean
            .differences
            .iter()
            .any(|d| d.contains("in the ledger")),
        "{:#?}",
        clean.differences
    );
    // The derived row changed behind the till (the journal keeps its seals): reconcile names it by number.
    let conn = rusqlite::Connection::open(d.join(cadodesk::ledger::LEDGER_FILE)).unwrap();
    conn.execute_batch("UPDATE refunds SET amount_cents = 40 WHERE number = 1")
        .unwrap();
    drop(conn);
    let report = till.reconcile(today, today).await.unwrap();
    let said = report.differences.join("\n");
    assert!(
        said.contains("refund n°1: 0,40\u{a0}€ in the ledger, 4,00\u{a0}€ on the platform"),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "payment {payment}: 0,40\u{a0}€ refunded in the ledger, 4,00\u{a0}€ on the platform"
        )),
        "{said}"
    );
}
