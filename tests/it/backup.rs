//! Backups and restore through the binary, as a shop runs them: a backup taken while another process sells and
//! refunds verifies and restores on a "new machine" (another data directory, the key carried over under a
//! passphrase) with the same totals; an older copy is never put over a newer ledger without --force, and then the
//! ledger is kept aside; a backup never replaces a file.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::binary::{Cli, json_of, stderr_of};
use crate::support::till::*;

const PASSPHRASE: &str = "une phrase de passe assez longue\n";

fn ok(out: &Output) {
    assert!(out.status.success(), "{}", stderr_of(out));
}

/// The ledger's totals as the command line shows them: every checkout's amount, paid and refunded, and every
/// refund with its state.
async fn totals(cli: &Cli) -> (Value, Value) {
    let out = cli.run(&["checkout", "list", "--json"]).await;
    ok(&out);
    let sales: Vec<Value> = json_of(&out)
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| {
            serde_json::json!([
                c["merchantReference"],
                c["amount"],
                c["captured"],
                c["refunded"]
            ])
        })
        .collect();
    let out = cli
        .run(&[
            "refunds",
            "--from",
            "2020-01-01",
            "--to",
            "2099-12-31",
            "--json",
        ])
        .await;
    ok(&out);
    let refunds: Vec<Value> = json_of(&out)
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| serde_json::json!([r["merchantReference"], r["amount"], r["status"]]))
        .collect();
    (Value::from(sales), Value::from(refunds))
}

/// The journal's last entry, read from the file.
fn head(dir: &Path) -> (i64, String) {
    let c = rusqlite::Connection::open(dir.join("ledger.sqlite3")).expect("open");
    c.query_row(
        "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .expect("an entry")
}

/// Restores `copy` into the new data directory of `new`, the journal key carried from `old`'s.
async fn restore_on_a_new_machine(old: &Cli, new: &Cli, copy: &Path, key_file: &Path) {
    if !key_file.exists() {
        ok(&old
            .run_input(
                &["key", "export", "-o", key_file.to_str().unwrap()],
                PASSPHRASE,
            )
            .await);
    }
    ok(&new
        .run_input(&["key", "import", key_file.to_str().unwrap()], PASSPHRASE)
        .await);
    ok(&new.run(&["restore", copy.to_str().unwrap()]).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_another_process_sells_and_refunds_verifies_and_restores_elsewhere_with_the_same_totals()
 {
    let sb = sandbox(0).await;
    let base = sb.base_url();
    let root = tempfile::tempdir().expect("tempdir");
    let shop = Cli::sandbox(&root.path().join("shop"), &base);
    ok(&shop.run(&["till", "show"]).await);

    // The other process: sales paid on the hosted page, read back, then partly refunded, one command at a time.
    let seller = {
        let shop = shop.clone();
        async move {
            for _ in 0..3 {
                let out = shop
                    .run(&["checkout", "create", "--amount", "20,00", "--json"])
                    .await;
                ok(&out);
                let created = json_of(&out);
                pay(created["redirectUrl"].as_str().unwrap(), &[CADO_250], None).await;
                let id = created["hostedCheckoutId"].as_str().unwrap().to_string();
                let out = shop.run(&["checkout", "status", &id, "--json"]).await;
                ok(&out);
                let status = json_of(&out);
                let payment = status["tenders"][0]["paymentId"]
                    .as_str()
                    .unwrap_or_else(|| panic!("a paid sale: {status}"))
                    .to_string();
                let out = shop
                    .run(&[
                        "refund",
                        "--payment-id",
                        &payment,
                        "--amount",
                        "5,00",
                        "--reason",
                        "retour",
                    ])
                    .await;
                ok(&out);
            }
        }
    };
    // Backups meanwhile, from another process each, until the seller is done.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let backups = {
        let shop = shop.clone();
        let done = done.clone();
        let root = root.path().to_path_buf();
        async move {
            let mut made = Vec::new();
            while !done.load(std::sync::atomic::Ordering::SeqCst) || made.is_empty() {
                let file = root.join(format!("during-{}.sqlite3", made.len()));
                let out = shop
                    .run(&["backup", "-o", file.to_str().unwrap(), "--json"])
                    .await;
                ok(&out);
                made.push((file, json_of(&out)["lastSeq"].as_i64().unwrap()));
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            made
        }
    };
    let seller = async {
        seller.await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let ((), during) = tokio::join!(seller, backups);
    let final_seq = head(&shop.data_dir).0;
    assert!(
        during.len() >= 2 && during.iter().any(|(_, seq)| *seq < final_seq),
        "backups were taken while the sales ran: {during:?}"
    );
    let (shop_sales, shop_refunds) = totals(&shop).await;
    assert_eq!(shop_sales.as_array().unwrap().len(), 3, "{shop_sales}");
    assert_eq!(shop_refunds.as_array().unwrap().len(), 3, "{shop_refunds}");

    // Each copy taken during the sales verifies and restores into a new data directory, where `ledger verify`
    // passes; what it holds is what the shop held at its last entry (a prefix of the shop's sales and refunds).
    let key = root.path().join("till.key");
    for (i, (copy, last_seq)) in during.iter().enumerate() {
        let new = Cli::sandbox(&root.path().join(format!("new-{i}")), &base);
        restore_on_a_new_machine(&shop, &new, copy, &key).await;
        assert_eq!(head(&new.data_dir).0, *last_seq);
        ok(&new.run(&["ledger", "verify"]).await);
        let (sales, refunds) = totals(&new).await;
        for (part, whole) in [(&sales, &shop_sales), (&refunds, &shop_refunds)] {
            for row in part.as_array().unwrap() {
                // A sale copied before its payment was read shows less paid; its reference and amount are there.
                assert!(
                    whole
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|w| w[0] == row[0] && w[1] == row[1]),
                    "{row} is not in the shop's ledger {whole}"
                );
            }
        }
    }

    // A backup once the sales are done restores with exactly the shop's totals.
    let last = root.path().join("after.sqlite3");
    ok(&shop.run(&["backup", "-o", last.to_str().unwrap()]).await);
    let new = Cli::sandbox(&root.path().join("new-last"), &base);
    restore_on_a_new_machine(&shop, &new, &last, &key).await;
    let out = new.run(&["ledger", "verify", "--json"]).await;
    ok(&out);
    let verified = json_of(&out);
    assert_eq!(verified["sound"], true);
    let out = shop.run(&["ledger", "verify", "--json"]).await;
    assert_eq!(
        verified["sealedBy"],
        json_of(&out)["sealedBy"],
        "the restored till seals with the same key"
    );
    assert_eq!(totals(&new).await, (shop_sales, shop_refunds));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_is_journaled_and_an_older_copy_is_refused_over_a_newer_ledger_and_while_the_app_runs_and_when_forced_the_ledger_is_kept_aside()
 {
    let root = tempfile::tempdir().expect("tempdir");
    // Ledger-only commands: no platform is asked.
    let shop = Cli::sandbox(&root.path().join("shop"), "http://127.0.0.1:9");
    ok(&shop.run(&["till", "show"]).await);
    let due = || {
        let ledger = cadodesk::ledger::Ledger::open_in(&shop.data_dir).unwrap();
        cadodesk::app::backup::backup_due_for(&ledger).unwrap()
    };
    assert!(due(), "no backup yet: the till reminds the shop");
    let old = root.path().join("old.sqlite3");
    ok(&shop.run(&["backup", "-o", old.to_str().unwrap()]).await);
    assert!(!due(), "a backup just journaled");
    ok(&shop.run(&["close"]).await);
    let before = head(&shop.data_dir);

    let out = shop.run(&["restore", old.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("would lose"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(head(&shop.data_dir), before, "the ledger is untouched");

    // Not even forced while the app runs on this data directory (its sandbox's owner says so).
    let app = cadodesk::app::EmbeddedSandbox::start(&shop.data_dir, Some(3_600_000))
        .await
        .unwrap();
    let out = shop
        .run(&["restore", old.to_str().unwrap(), "--force"])
        .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("the desktop app"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(head(&shop.data_dir), before, "the ledger is untouched");
    app.stop().await;

    let out = shop
        .run(&["restore", old.to_str().unwrap(), "--force"])
        .await;
    ok(&out);
    let aside: Vec<_> = std::fs::read_dir(&shop.data_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.to_string_lossy()
                .contains("ledger.sqlite3.before-restore-")
        })
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    let kept = root.path().join("kept");
    std::fs::create_dir(&kept).unwrap();
    std::fs::copy(&aside[0], kept.join("ledger.sqlite3")).unwrap();
    assert_eq!(head(&kept), before, "the newer ledger is kept whole");
    assert!(head(&shop.data_dir).0 < before.0);
    ok(&shop.run(&["ledger", "verify"]).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_never_replaces_a_file_nor_the_ledger_and_what_does_not_verify_is_neither_kept_nor_restored()
 {
    let root = tempfile::tempdir().expect("tempdir");
    let shop = Cli::sandbox(&root.path().join("shop"), "http://127.0.0.1:9");
    ok(&shop.run(&["till", "show"]).await);
    let taken = root.path().join("taken.txt");
    std::fs::write(&taken, "the shop's notes").unwrap();
    let out = shop.run(&["backup", "-o", taken.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert_eq!(std::fs::read_to_string(&taken).unwrap(), "the shop's notes");
    let ledger = shop.data_dir.join("ledger.sqlite3");
    let out = shop.run(&["backup", "-o", ledger.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let leftovers: Vec<_> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A copy edited by hand (its trigger dropped first, as the sqlite3 shell would) is refused.
    let copy = root.path().join("copy.sqlite3");
    ok(&shop.run(&["backup", "-o", copy.to_str().unwrap()]).await);
    {
        let c = rusqlite::Connection::open(&copy).unwrap();
        c.execute_batch(
            "DROP TRIGGER journal_no_update; UPDATE journal SET operator = 'mallory' WHERE seq = 1",
        )
        .unwrap();
    }
    let new = Cli::sandbox(&root.path().join("new"), "http://127.0.0.1:9");
    let out = new
        .run(&["restore", copy.to_str().unwrap(), "--new-key"])
        .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("does not verify"),
        "{}",
        stderr_of(&out)
    );
    assert!(!new.data_dir.join("ledger.sqlite3").exists());

    // A ledger edited the same way is not copied as if sound: the backup checks its copy before keeping it.
    {
        let c = rusqlite::Connection::open(&ledger).unwrap();
        c.execute_batch(
            "DROP TRIGGER journal_no_update; \
             UPDATE journal SET payload = replace(payload, 'copy.sqlite3', 'other.sqlite3') \
             WHERE kind = 'backup_made'",
        )
        .unwrap();
    }
    let refused = root.path().join("refused.sqlite3");
    let out = shop.run(&["backup", "-o", refused.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("does not verify"),
        "{}",
        stderr_of(&out)
    );
    assert!(!refused.exists());
}

/// The app offers the backup in Réglages and reminds the shop while none was made (or the last is older than a
/// week): the reminder in the top bar leads there, and goes once the copy is written and checked.
#[test]
fn the_app_reminds_a_backup_and_makes_it_from_reglages() {
    use egui_kittest::kittest::Queryable;
    let dir = tempfile::tempdir().unwrap();
    let mut h = crate::ui::harness(dir.path());
    crate::ui::wait_ready(&mut h);
    crate::ui::wait_for(&mut h, "the reminder", |h| {
        h.query_by_label("Sauvegarde à faire").is_some()
    });
    crate::ui::click(&mut h, "Sauvegarde à faire");
    assert_eq!(h.state().tab(), cadodesk::ui::app::Tab::Settings);
    let out = tempfile::tempdir().unwrap();
    let copy = out.path().join("copie.sqlite3");
    h.state_mut().settings_panel.backup.path = copy.display().to_string();
    crate::ui::click(&mut h, "Sauvegarder maintenant");
    crate::ui::wait_for(&mut h, "the backup written and checked", |h| {
        h.state().settings_panel.backup.done().is_some()
    });
    assert!(copy.exists());
    h.run_steps(3);
    assert!(
        h.query_by_label("Sauvegarde à faire").is_none(),
        "no reminder once it is made"
    );
    let ledger = cadodesk::ledger::Ledger::open(&dir.path().join("ledger.sqlite3")).unwrap();
    assert!(
        ledger
            .entries(1, 10_000)
            .unwrap()
            .iter()
            .any(|e| e.kind == "backup_made"),
        "journaled"
    );
}
