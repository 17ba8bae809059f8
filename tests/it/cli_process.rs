//! The `cadodesk` binary as scripts use it: JSON output, refusals on standard error with a non-zero exit, a process
//! killed between the refund intent and the answer, two processes refunding at once, and a tampered journal.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use cadodesk::domain::RefundState;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Output;

use cadodesk::ledger::Ledger;
use serde_json::json;

use crate::support::binary::{Cli, json_of, stderr_of};
use crate::support::till::*;

fn cli(dir: &Path, base_url: &str) -> tokio::process::Command {
    Cli::sandbox(dir, base_url).command(&[])
}

async fn run(dir: &Path, base_url: &str, args: &[&str]) -> Output {
    Cli::sandbox(dir, base_url).run(args).await
}

fn stderr(out: &Output) -> String {
    stderr_of(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_status_and_refund_speak_json_and_refusals_exit_non_zero() {
    let sb = sandbox(50).await;
    let base = sb.base_url();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();

    let out = run(
        d,
        &base,
        &[
            "checkout", "create", "--amount", "42,50", "--email", "a@b.fr", "--json",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let created = json_of(&out);
    let id = created["hostedCheckoutId"]
        .as_str()
        .expect("id")
        .to_string();
    assert!(
        created["merchantReference"]
            .as_str()
            .expect("ref")
            .starts_with("CD-")
    );
    assert_eq!(created["status"], "in_progress");
    pay(
        created["redirectUrl"].as_str().expect("url"),
        &[CADO_20],
        Some(VISA),
    )
    .await;

    let status = json_of(&run(d, &base, &["checkout", "status", &id, "--json"]).await);
    assert_eq!(status["status"], "paid");
    let tenders = status["tenders"].as_array().expect("tenders");
    assert_eq!(tenders.len(), 2);
    assert_eq!(tenders[0]["productId"], 3103);
    assert_eq!(tenders[0]["amount"], 2000);
    assert_eq!(tenders[1]["productId"], 1);
    assert_eq!(tenders[1]["refundable"], 2250);
    let visa = tenders[1]["paymentId"]
        .as_str()
        .expect("payment id")
        .to_string();

    let out = run(
        d,
        &base,
        &[
            "refund",
            "--payment-id",
            &visa,
            "--amount",
            "10,00",
            "--reason",
            "article rendu",
            "--json",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let r = json_of(&out);
    assert!(
        r["refundId"]
            .as_str()
            .is_some_and(|s| s.starts_with(&visa[..10])),
        "{r}"
    );
    assert!(r["status"] == "pending" || r["status"] == "refunded", "{r}");

    // Refusals: one line on standard error, exit 1, nothing on the platform.
    let out = run(
        d,
        &base,
        &[
            "refund",
            "--payment-id",
            &visa,
            "--amount",
            "12,51",
            "--reason",
            "trop",
            "--json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let line = stderr(&out);
    assert_eq!(line.trim_end().lines().count(), 1, "{line}");
    assert!(line.contains("12,50"), "names what is left: {line}");
    let out = run(
        d,
        &base,
        &[
            "refund",
            "--payment-id",
            &visa,
            "--amount",
            "1,00",
            "--reason",
            " ",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("reason"), "{}", stderr(&out));
    let out = run(d, &base, &["checkout", "create", "--amount", "abc"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("abc"), "{}", stderr(&out));
    assert_eq!(platform_refunds(&base, &visa).await.len(), 1);

    let list = json_of(&run(d, &base, &["checkout", "list", "--json"]).await);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["status"], "paid");

    let out = run(d, &base, &["test-connection", "--json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));

    let out = run(d, &base, &["ledger", "verify", "--json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_of(&out)["sound"], true);

    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive()
        .to_string();
    let file = d.join("r.csv");
    let out = run(
        d,
        &base,
        &[
            "export",
            "refunds",
            "--from",
            &today,
            "--to",
            &today,
            "-o",
            file.to_str().expect("path"),
            "--json",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_of(&out)["rows"], 1);
    assert_eq!(json_of(&out)["total"], 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_between_intent_and_answer_leaves_exactly_one_refund() {
    let sb = sandbox(50).await;
    let base = sb.base_url();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let payment = {
        let t = till(d, &base, "ana");
        let id = paid_sale(&t, 5000, &[CADO_50], None).await;
        t.checkout(&id).expect("read").expect("known").tenders[0]
            .payment_id
            .clone()
    };

    // The platform holds the request until the test lets it go: the process dies waiting for its answer.
    fault(
        &base,
        json!({"operation": "refund", "hold": true, "count": 1}),
    )
    .await;
    let mut child = cli(d, &base)
        .args([
            "refund",
            "--payment-id",
            &payment,
            "--amount",
            "12,34",
            "--reason",
            "retour",
            "--json",
        ])
        .spawn()
        .expect("spawn");
    let ledger = Ledger::open_in(d).expect("ledger");
    let mut intent_seen = false;
    for _ in 0..200 {
        if ledger
            .unfinished_refunds()
            .expect("read")
            .iter()
            .any(|r| r.state == RefundState::Requested)
        {
            intent_seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(intent_seen, "the intent is written before the request");
    // Once the platform is carrying the request out, kill -9.
    let key = ledger.unfinished_refunds().expect("read")[0]
        .idempotence_key
        .clone();
    let in_progress = |st: &serde_json::Value, key: &str| {
        st["inProgress"]
            .as_array()
            .is_some_and(|keys| keys.iter().any(|k| k == key))
    };
    let mut reached = false;
    for _ in 0..600 {
        if in_progress(&state(&base).await, &key) {
            reached = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(reached, "the refund reached the platform");
    child.start_kill().expect("kill");
    let status = child.wait().await.expect("wait");
    assert_eq!(status.signal(), Some(9), "killed, not finished: {status:?}");
    // The platform carries it out after its client died (as a timed-out request can be), then resume settles it.
    clear_faults(&base).await;
    for _ in 0..600 {
        if !in_progress(&state(&base).await, &key) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        !in_progress(&state(&base).await, &key),
        "the held refund finished"
    );
    let r = ledger.unfinished_refunds().expect("read");
    assert_eq!((r.len(), r[0].state.code()), (1, "requested"));

    // Restart: resume settles it with the same key.
    let out = run(d, &base, &["resume", "--json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let on_platform = platform_refunds(&base, &payment).await;
    assert_eq!(on_platform.len(), 1, "exactly one refund: {on_platform:?}");
    assert_eq!(on_platform[0].1, 1234);
    let refunds = ledger.refunds_between(None, None).expect("read");
    assert_eq!(refunds.len(), 1);
    assert_eq!(
        refunds[0].refund_id.as_deref(),
        Some(on_platform[0].0.as_str())
    );
    assert!(
        matches!(refunds[0].state.code(), "pending" | "refunded"),
        "{:?}",
        refunds[0]
    );
    let t = ledger.tender(&payment).expect("read").expect("tender");
    assert_eq!(t.refundable().cents(), 5000 - 1234);
    assert!(ledger.verify().expect("verify").is_sound());

    // Resuming again changes nothing.
    let out = run(d, &base, &["resume"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(platform_refunds(&base, &payment).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_refund_processes_on_one_tender_never_exceed_what_is_left() {
    let sb = sandbox(50).await;
    let base = sb.base_url();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let payment = {
        let t = till(d, &base, "ana");
        let id = paid_sale(&t, 2000, &[CADO_20], None).await;
        t.checkout(&id).expect("read").expect("known").tenders[0]
            .payment_id
            .clone()
    };
    fault(
        &base,
        json!({"operation": "refund", "latencyMs": 500, "count": 1}),
    )
    .await;
    let args = [
        "refund",
        "--payment-id",
        payment.as_str(),
        "--amount",
        "15,00",
        "--reason",
        "retour",
    ];
    let (a, b) = tokio::join!(run(d, &base, &args), run(d, &base, &args));
    let codes = [a.status.code(), b.status.code()];
    assert!(
        codes.contains(&Some(0)) && codes.contains(&Some(1)),
        "{codes:?} {} {}",
        stderr(&a),
        stderr(&b)
    );
    let total: i64 = platform_refunds(&base, &payment)
        .await
        .iter()
        .map(|r| r.1)
        .sum();
    assert_eq!(total, 1500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_verify_names_the_edited_entry() {
    let sb = sandbox(50).await;
    let base = sb.base_url();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    {
        let t = till(d, &base, "ana");
        let id = paid_sale(&t, 5000, &[CADO_50], None).await;
        let p = t.checkout(&id).expect("read").expect("known").tenders[0]
            .payment_id
            .clone();
        t.refund(cadodesk::till::RefundCommand {
            payment_id: p.to_string(),
            amount: eur(1000),
            reason: "retour".into(),
        })
        .await
        .expect("refund");
    }
    // The refund intent, edited by hand the way the sqlite3 shell would (the trigger has to go first).
    let seq: i64 = {
        let c = rusqlite::Connection::open(d.join("ledger.sqlite3")).expect("open");
        let seq: i64 = c
            .query_row(
                "SELECT seq FROM journal WHERE kind = 'refund_requested'",
                [],
                |r| r.get(0),
            )
            .expect("intent entry");
        let refused = c.execute(
            "UPDATE journal SET operator = 'mallory' WHERE seq = ?1",
            [seq],
        );
        assert!(refused.is_err(), "the trigger refuses edits");
        c.execute_batch("DROP TRIGGER journal_no_update")
            .expect("drop trigger");
        c.execute(
            "UPDATE journal SET payload = replace(payload, '\"amount_cents\":1000', '\"amount_cents\":100') WHERE seq = ?1",
            [seq],
        )
        .expect("edit");
        seq
    };
    let out = run(d, &base, &["ledger", "verify"]).await;
    assert_eq!(out.status.code(), Some(1));
    let line = stderr(&out);
    assert!(line.contains(&format!("entry {seq} was edited")), "{line}");
    let out = run(d, &base, &["ledger", "verify", "--json"]).await;
    let v = json_of(&out);
    assert_eq!(v["sound"], false);
    assert_eq!(v["firstBreak"]["seq"], seq);
    assert_eq!(v["entriesChecked"], seq - 1);
}
