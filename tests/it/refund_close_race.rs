//! Issue item 1, a refund paid twice through `refund-close`: a refund being sent by one process cannot be closed by
//! another, a sending process never sends a refund closed meanwhile, and a refund closed after its sender's claim
//! ran out that the platform carries out late is recorded as refunded (a correction), never as declined.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use std::path::Path;
use std::time::Duration;

use cadodesk::domain::RefundState;
use cadodesk::ledger::{Claim, Ledger};
use cadodesk::till::{RefundCommand, TillError};
use serde_json::{Value, json};

use crate::support::binary::{Cli, json_of, stderr_of};
use crate::support::till::*;

/// Who holds the send claim of each refund, read straight from the file as another process would.
fn claims(dir: &Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(dir.join(cadodesk::ledger::LEDGER_FILE)).unwrap();
    let mut stmt = conn
        .prepare("SELECT idempotence_key, holder FROM refund_sends")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// What the ledger holds as refunded or on its way, and what the platform holds, on one tender (cents).
async fn totals(ledger: &Ledger, base: &str, payment: &str) -> (i64, i64) {
    let in_ledger: i64 = ledger
        .refunds_between(None, None)
        .unwrap()
        .iter()
        .filter(|r| r.payment_id.as_str() == payment && r.state != RefundState::Declined)
        .map(|r| r.amount.cents())
        .sum();
    let on_platform: i64 = platform_refunds(base, payment)
        .await
        .iter()
        .filter(|(_, _, status)| status != "REJECTED")
        .map(|(_, cents, _)| cents)
        .sum();
    (in_ledger, on_platform)
}

async fn paid_tender_in(dir: &Path, base: &str) -> String {
    let t = till(dir, base, "ana");
    let id = paid_sale(&t, 5000, &[CADO_50], None).await;
    t.checkout(&id).unwrap().unwrap().tenders[0]
        .payment_id
        .to_string()
}

/// Refund 10,00 € with `fault` on the platform's refunds from one process while a second one closes it and
/// refunds again; the platform never holds more than the ledger, and the first is never told "declined" for money
/// that left.
async fn two_processes_and_a_close(fault_rule: Value) {
    let sb = sandbox(50).await;
    let base = sb.base_url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let payment = paid_tender_in(d, &base).await;
    fault(&base, fault_rule).await;

    let cli = Cli::sandbox(d, &base);
    let refund_args = [
        "refund",
        "--payment-id",
        payment.as_str(),
        "--amount",
        "10,00",
        "--reason",
        "retour",
        "--json",
    ];
    let a = cli.command(&refund_args).spawn().expect("process A starts");
    // A has written its intent and taken the send claim: its request is leaving or on its way.
    let mut sending = false;
    for _ in 0..500 {
        if !claims(d).is_empty() {
            sending = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(sending, "process A took the send claim");

    // Process B: the close is refused while A may still be carrying the refund out …
    let close = cli
        .run(&["refund-close", "1", "--reason", "pas de réponse"])
        .await;
    let closed = close.status.success();
    if !closed {
        assert_eq!(close.status.code(), Some(1), "{}", stderr_of(&close));
        let line = stderr_of(&close);
        assert!(
            line.contains("being sent") || line.contains("exists on the platform"),
            "{line}"
        );
        assert_eq!(line.trim().lines().count(), 1, "{line}");
    }
    // … and so is a second refund of the same amount while the first has no answer.
    let again = cli.run(&refund_args).await;
    let out_a = a.wait_with_output().await.expect("process A ends");

    let ledger = Ledger::open_in(d).unwrap();
    let (in_ledger, on_platform) = totals(&ledger, &base, &payment).await;
    assert_eq!(
        in_ledger,
        on_platform,
        "the platform holds exactly what the ledger says (close ok: {closed}, second refund ok: {})",
        again.status.success()
    );
    assert!(
        on_platform <= 1000,
        "one refund at most went out: {on_platform}"
    );
    // A's word matches the money: "declined" only when nothing left for its refund.
    if out_a.status.success() {
        let said = json_of(&out_a)["status"].as_str().unwrap().to_string();
        let first = ledger.refund_by_number(1).unwrap().unwrap();
        let left = platform_refunds(&base, &payment)
            .await
            .iter()
            .any(|(id, _, _)| first.refund_id.as_deref() == Some(id.as_str()));
        if left {
            assert_ne!(said, "declined", "money left but A was told declined");
        }
    }
    assert!(ledger.verify().unwrap().is_sound());
    assert!(claims(d).is_empty(), "every claim was given back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refund_paid_twice_through_refund_close_latency() {
    two_processes_and_a_close(json!({"operation": "refund", "latencyMs": 5000, "count": 1})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refund_paid_twice_through_refund_close_5xx() {
    // The first three attempts fail with a 5xx: the client retries with the same key for a few seconds.
    two_processes_and_a_close(
        json!({"operation": "refund", "errorRate": 1.0, "latencyMs": 700, "count": 3}),
    )
    .await;
}

/// The close that does go through is exactly the first case: no live claim and nothing on the platform. The
/// request may still be carried out late (a timed-out request on the real platform): the sender records a
/// correction and says refunded, and the ledger follows the money.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refund_paid_twice_through_refund_close_late_execution_is_corrected() {
    let sb = sandbox(50).await;
    let base = sb.base_url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let payment = paid_tender_in(d, &base).await;
    let clock = test_clock();
    let a = till_on_clock(d, &base, &clock, None);
    let b = till_on_clock(d, &base, &clock, None).with_operator("manager");

    // The platform holds A's request until the test lets it go.
    fault(
        &base,
        json!({"operation": "refund", "hold": true, "count": 1}),
    )
    .await;
    let sending = {
        let a = a.clone();
        let payment = payment.clone();
        tokio::spawn(async move {
            a.refund(RefundCommand {
                payment_id: payment,
                amount: eur(1000),
                reason: "retour".into(),
            })
            .await
        })
    };
    let key = loop {
        let st = state(&base).await;
        if let Some(k) = st["inProgress"].as_array().and_then(|a| a.first()) {
            break k.as_str().unwrap().to_string();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    // While A holds its claim, B cannot close.
    let e = b.close_refund("1", "pas de réponse").await.unwrap_err();
    assert!(
        matches!(e, TillError::RefundBeingSent { number: 1, .. }),
        "{e:?}"
    );
    // A hangs past its claim (as a stopped process would): B may close, and the platform shows nothing yet.
    clock.advance(chrono::Duration::minutes(6));
    let closed = b.close_refund("1", "pas de réponse").await.expect("closed");
    assert_eq!(closed.state, RefundState::Declined);
    // The platform carries A's request out after all.
    clear_faults(&base).await;
    let view = sending.await.unwrap().expect("A's answer");
    assert!(
        matches!(view.state, RefundState::Pending | RefundState::Refunded),
        "money left: A says {:?}",
        view.state
    );
    let ledger = a.ledger();
    let kinds: Vec<String> = ledger
        .entries(1, 10_000)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(
        kinds.ends_with(&["refund_closed".into(), "refund_corrected".into()]),
        "{kinds:?}"
    );
    let (in_ledger, on_platform) = totals(ledger, &base, &payment).await;
    assert_eq!((in_ledger, on_platform), (1000, 1000));
    assert_eq!(
        ledger
            .tender(&payment)
            .unwrap()
            .unwrap()
            .refundable()
            .cents(),
        4000
    );
    assert!(ledger.refund_by_key(&key).unwrap().is_some());
    assert!(ledger.verify().unwrap().is_sound());
}

/// A refund closed by another process after it was read is never sent: the claim says it is settled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refund_paid_twice_through_refund_close_no_send_after_close() {
    let sb = sandbox(50).await;
    let base = sb.base_url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let payment = paid_tender_in(d, &base).await;
    let t = till(d, &base, "ana");
    let intent = t
        .ledger()
        .request_refund("ana", &payment, eur(1000), "retour")
        .unwrap();
    // Another process closes it (nothing was sent) …
    let out = Cli::sandbox(d, &base)
        .run(&["refund-close", "1", "--reason", "caisse arrêtée"])
        .await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    // … while this one still holds the record it read before: resuming from it sends nothing.
    assert_eq!(
        t.ledger()
            .claim_send(
                intent.idempotence_key.as_str(),
                "elsewhere",
                chrono::Utc::now() + chrono::Duration::minutes(5),
                &|_| false
            )
            .unwrap(),
        Claim::Settled(RefundState::Declined)
    );
    t.resume().await.unwrap();
    assert!(platform_refunds(&base, &payment).await.is_empty());
}
