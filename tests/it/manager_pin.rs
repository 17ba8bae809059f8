//! Issue item 3, the manager PIN protects nothing: the till enforces it for both faces, it changes only with the
//! current PIN, it is stored as Argon2id, every attempt is journaled, and the rule cannot be changed in the file.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use std::path::Path;
use std::process::Output;

use cadodesk::ledger::{Ledger, LedgerError, keys};
use cadodesk::till::manager::Pin;
use cadodesk::till::{RefundCommand, Till, TillError};
use serde_json::Value;

use crate::support::binary::{Cli, json_of, stderr_of};
use crate::support::till::*;

/// The outcome of each manager PIN asked, in journal order.
fn pin_outcomes(ledger: &Ledger) -> Vec<String> {
    ledger
        .entries(1, 10_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "manager_pin")
        .map(|e| {
            let v: Value = serde_json::from_str(&e.payload).unwrap();
            v["outcome"].as_str().unwrap().to_string()
        })
        .collect()
}

fn tamper(dir: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(dir.join(cadodesk::ledger::LEDGER_FILE)).unwrap();
    conn.execute_batch(sql).unwrap();
}

fn one_line_refusal(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(out));
    let err = stderr_of(out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains(needle), "{err}");
}

/// A till whose shop has set a PIN (2468) with the given rule, from the command line.
async fn shop_with_pin(dir: &Path, base: &str, rule: &[&str]) -> (Till, Cli) {
    let cli = Cli::sandbox(dir, base);
    let mut args = vec!["pin", "set"];
    args.extend_from_slice(rule);
    let out = cli.run_input(&args, "2468\n").await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    (till(dir, base, "ana"), cli)
}

/// A wrong PIN typed in the tests: long enough never to appear in the ledger file by chance.
const WRONG_PIN: &str = "731958246017";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manager_pin_protects_nothing_the_same_refund_from_the_app_and_the_binary() {
    let sb = sandbox(50).await;
    let base = sb.base_url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (till, cli) = shop_with_pin(d, &base, &["--threshold", "20,00"]).await;
    let id = paid_sale(&till, 5000, &[CADO_50], None).await;
    let payment = till.checkout(&id).unwrap().unwrap().tenders[0]
        .payment_id
        .to_string();
    let cmd = |cents| RefundCommand {
        payment_id: payment.clone(),
        amount: eur(cents),
        reason: "retour".into(),
    };

    // The app's use case: 30 € is above 20 €.
    assert!(matches!(
        till.refund(cmd(3000)).await,
        Err(TillError::PinRequired { .. })
    ));
    assert!(matches!(
        till.refund_with_pin(cmd(3000), Some(&Pin::new(WRONG_PIN)))
            .await,
        Err(TillError::PinWrong { tries_left: 4 })
    ));
    let done = till
        .refund_with_pin(cmd(3000), Some(&Pin::new("2468")))
        .await
        .expect("the manager's PIN lets it through");
    assert_eq!(done.number, 1);
    // Under the threshold counts the sale's refunds: 30 € + 5 € is still above 20 €.
    assert!(matches!(
        till.refund(cmd(500)).await,
        Err(TillError::PinRequired { .. })
    ));

    // The binary: the same rule, the same refusals, the same journal.
    let args = [
        "refund",
        "--payment-id",
        payment.as_str(),
        "--amount",
        "5,00",
        "--reason",
        "retour",
        "--json",
    ];
    one_line_refusal(&cli.run(&args).await, "Manager PIN");
    let with_stdin: Vec<&str> = args
        .iter()
        .copied()
        .chain(["--manager-pin-stdin"])
        .collect();
    one_line_refusal(
        &cli.run_input(&with_stdin, &format!("{WRONG_PIN}\n")).await,
        "wrong PIN",
    );
    let out = cli.run_input(&with_stdin, "2468\n").await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(json_of(&out)["number"], 2);

    assert_eq!(
        pin_outcomes(till.ledger()),
        [
            "missing", "wrong", "accepted", "missing", "missing", "wrong", "accepted"
        ],
        "each attempt is in the journal"
    );
    let journal = std::fs::read(d.join(cadodesk::ledger::LEDGER_FILE)).unwrap();
    // Twelve digits that no hash, seal or id in the file can be expected to hold by chance (four could: hex
    // strings hold "1111" about once in 65 536 places).
    assert!(
        !journal
            .windows(WRONG_PIN.len())
            .any(|w| w == WRONG_PIN.as_bytes()),
        "a PIN typed is never written"
    );
    assert_eq!(platform_refunds(&base, &payment).await.len(), 2);
    assert!(till.verify_ledger().unwrap().is_sound());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manager_pin_protects_nothing_a_change_needs_the_current_pin() {
    let sb = sandbox(50).await;
    let base = sb.base_url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (till, cli) = shop_with_pin(d, &base, &[]).await;
    let show = json_of(&cli.run(&["pin", "show", "--json"]).await);
    assert_eq!(
        (
            show["set"].as_bool(),
            show["thresholdCents"].as_i64(),
            show["always"].as_bool()
        ),
        (Some(true), Some(5000), Some(false))
    );
    let stored = till
        .ledger()
        .setting(keys::MANAGER_PIN_HASH)
        .unwrap()
        .unwrap();
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );

    // Turning "always" on (or anything else) needs the current PIN.
    one_line_refusal(
        &cli.run_input(&["pin", "set", "--always"], "\n\n").await,
        "current PIN",
    );
    one_line_refusal(
        &cli.run_input(&["pin", "set", "--always"], "1111\n\n").await,
        "wrong PIN",
    );
    one_line_refusal(
        &cli.run_input(&["pin", "set"], "2468\n12\n").await,
        "4 to 12 digits",
    );
    let out = cli.run_input(&["pin", "set", "--always"], "2468\n\n").await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(
        json_of(&cli.run(&["pin", "show", "--json"]).await)["always"],
        true
    );
    // A new PIN, given with the current one: the old one no longer works.
    let out = cli
        .run_input(&["pin", "set", "--always"], "2468\n97531\n")
        .await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(matches!(
        till.set_pin_rules(
            Some(&Pin::new("2468")),
            None,
            till.pin_policy().unwrap().rule
        ),
        Err(TillError::PinWrong { .. })
    ));
    // The same from the app's use case: no current PIN, no change.
    assert!(matches!(
        till.set_pin_rules(None, None, till.pin_policy().unwrap().rule),
        Err(TillError::PinCurrentNeeded)
    ));

    // The journal holds each change, never the PIN nor its hash: only the hash's fingerprint.
    let entries = till.ledger().entries(1, 10_000).unwrap();
    let hash = till
        .ledger()
        .setting(keys::MANAGER_PIN_HASH)
        .unwrap()
        .unwrap();
    for e in &entries {
        assert!(!e.payload.contains("97531") && !e.payload.contains("2468"));
        assert!(!e.payload.contains(&hash), "{}", e.payload);
    }
    let pin_changes = entries
        .iter()
        .filter(|e| e.kind == "setting_changed" && e.payload.contains(keys::MANAGER_PIN_HASH))
        .count();
    assert_eq!(pin_changes, 2, "set, then changed");
    assert!(till.verify_ledger().unwrap().is_sound());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manager_pin_protects_nothing_a_rule_changed_in_the_file_is_refused_and_named() {
    let sb = sandbox(50).await;
    let base = sb.base_url();
    let pristine = tempfile::tempdir().unwrap();
    let payment = {
        let (till, _) = shop_with_pin(pristine.path(), &base, &["--always"]).await;
        let id = paid_sale(&till, 5000, &[CADO_50], None).await;
        till.checkout(&id).unwrap().unwrap().tenders[0]
            .payment_id
            .to_string()
    };
    // Every connection is closed: the file alone holds the ledger.
    tamper(pristine.path(), "PRAGMA wal_checkpoint(TRUNCATE)");
    let attacker_hash = cadodesk::till::manager::hash(&Pin::new("0000"));
    for (what, sql) in [
        (
            "the hash swapped",
            format!("UPDATE settings SET value = '{attacker_hash}' WHERE key = 'manager_pin_hash'"),
        ),
        (
            "the hash removed",
            "DELETE FROM settings WHERE key = 'manager_pin_hash'".to_string(),
        ),
        (
            "always turned off",
            "UPDATE settings SET value = 'false' WHERE key = 'require_pin_for_all'".to_string(),
        ),
        (
            "always turned off in the journal entry too",
            "CREATE TEMP TABLE t AS SELECT sql FROM sqlite_master WHERE name = 'journal_no_update';
             DROP TRIGGER journal_no_update;
             UPDATE journal SET payload = replace(payload, '\"value\":\"true\"', '\"value\":\"false\"')
              WHERE seq = (SELECT MAX(seq) FROM journal WHERE kind = 'setting_changed'
                           AND payload LIKE '%require_pin_for_all%');
             UPDATE settings SET value = 'false' WHERE key = 'require_pin_for_all';"
                .to_string(),
        ),
        (
            "a threshold added",
            "INSERT INTO settings(key, value) VALUES ('pin_threshold_cents', '100000')
             ON CONFLICT(key) DO UPDATE SET value = excluded.value"
                .to_string(),
        ),
    ] {
        let copy = tempfile::tempdir().unwrap();
        let d = copy.path();
        std::fs::copy(
            pristine.path().join(cadodesk::ledger::LEDGER_FILE),
            d.join(cadodesk::ledger::LEDGER_FILE),
        )
        .unwrap();
        tamper(d, &sql);
        let till = Till::with_gateway(
            cadodesk::app::open_ledger(d).unwrap(),
            std::sync::Arc::new(cadodesk::till::DirectGateway::new(&base, &credentials()).unwrap()),
            "ana",
            180,
            None,
        );
        let e = till
            .refund_with_pin(
                RefundCommand {
                    payment_id: payment.clone(),
                    amount: eur(100),
                    reason: "retour".into(),
                },
                Some(&Pin::new("0000")),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(e, TillError::Ledger(LedgerError::SettingAltered { .. })),
            "{what}: {e:?}"
        );
        let out = Cli::sandbox(d, &base).run(&["ledger", "verify"]).await;
        assert_eq!(out.status.code(), Some(1), "{what}: {}", stderr_of(&out));
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            stderr_of(&out)
        );
        assert!(
            said.contains("settings") || said.contains("was edited") || said.contains("guard"),
            "{what}: {said}"
        );
    }
    assert!(
        platform_refunds(&base, &payment).await.is_empty(),
        "nothing was refunded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manager_pin_protects_nothing_five_wrong_pins_lock_it() {
    let sb = sandbox(50).await;
    let base = sb.base_url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clock = test_clock();
    let till = till_on_clock(d, &base, &clock, None);
    till.set_pin_rules(
        None,
        Some(&Pin::new("2468")),
        cadodesk::till::manager::PinRule {
            threshold: None,
            always: true,
        },
    )
    .unwrap();
    let id = paid_sale(&till, 5000, &[CADO_50], None).await;
    let payment = till.checkout(&id).unwrap().unwrap().tenders[0]
        .payment_id
        .to_string();
    let cmd = RefundCommand {
        payment_id: payment.clone(),
        amount: eur(100),
        reason: "retour".into(),
    };
    for left in (1..=4).rev() {
        let e = till
            .refund_with_pin(cmd.clone(), Some(&Pin::new("0000")))
            .await
            .unwrap_err();
        assert!(
            matches!(e, TillError::PinWrong { tries_left } if tries_left == left),
            "{e:?}"
        );
    }
    assert!(matches!(
        till.refund_with_pin(cmd.clone(), Some(&Pin::new("0000")))
            .await,
        Err(TillError::PinLocked { .. })
    ));
    // Locked: even the right PIN waits.
    assert!(matches!(
        till.refund_with_pin(cmd.clone(), Some(&Pin::new("2468")))
            .await,
        Err(TillError::PinLocked { .. })
    ));
    clock.advance(chrono::Duration::minutes(15));
    till.refund_with_pin(cmd, Some(&Pin::new("2468")))
        .await
        .expect("the lock is over");
    assert_eq!(
        pin_outcomes(till.ledger()),
        [
            "wrong", "wrong", "wrong", "wrong", "wrong", "locked", "accepted"
        ]
    );
}
