//! A refund id the ledger already gives another refund (two platforms numbered refunds of one sale: two sandboxes
//! on one data file, issue 14, defect 3) settles the refund with the platform's state and a note naming both,
//! never leaves it requested (a failed write of the id would fail on every try).

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use cadodesk::domain::RefundState;
use cadodesk::sandbox::SandboxConfig;
use cadodesk::till::RefundCommand;

use crate::support::till::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refund_id_already_in_the_ledger_is_resolved_never_left_requested() {
    let dir = tempfile::tempdir().unwrap();
    let ledger_dir = dir.path().join("till");
    let config = |name: &str| {
        let folder = dir.path().join(name);
        std::fs::create_dir_all(&folder).unwrap();
        SandboxConfig {
            data_file: Some(folder.join("sandbox.json")),
            refund_delay_ms: 3_600_000,
            ..SandboxConfig::default()
        }
    };
    let a = cadodesk::sandbox::start(config("a")).await.unwrap();
    let id = paid_sale(
        &till(&ledger_dir, &a.base_url(), "ana"),
        5000,
        &[CADO_50],
        None,
    )
    .await;
    a.shutdown().await;
    // Two sandboxes hold the same sale, as two on one data file do.
    std::fs::copy(
        dir.path().join("a/sandbox.json"),
        config("b").data_file.unwrap(),
    )
    .unwrap();
    let a = cadodesk::sandbox::start(config("a")).await.unwrap();
    let b = cadodesk::sandbox::start(config("b")).await.unwrap();
    let till_a = till(&ledger_dir, &a.base_url(), "ana");
    let till_b = till(&ledger_dir, &b.base_url(), "ana");
    let tender = till_a.checkout(&id).unwrap().unwrap().tenders[0]
        .payment_id
        .to_string();
    let refund = |amount: i64| RefundCommand {
        payment_id: tender.clone(),
        amount: eur(amount),
        reason: "retour".into(),
    };

    let first = till_b.refund(refund(1000)).await.unwrap();
    assert_eq!(first.state, RefundState::Pending);
    // The other sandbox numbers its first refund of the tender the same.
    let second = till_a
        .refund(refund(500))
        .await
        .expect("an id the ledger already holds still settles the refund");
    assert_eq!(second.state, RefundState::Pending, "{second:?}");
    assert_eq!(second.refund_id, None);
    let failure = second.failure.clone().unwrap_or_default();
    assert!(
        failure.contains(first.refund_id.as_deref().unwrap()) && failure.contains("n°1"),
        "{failure}"
    );
    let record = till_a
        .ledger()
        .refund_by_number(second.number)
        .unwrap()
        .unwrap();
    assert!(!record.state.awaits_answer(), "{record:?}");

    // Reading the platform again names the difference and writes nothing more about it.
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    let report = till_a.reconcile(today, today).await.unwrap();
    assert!(
        report.differences.iter().any(|d| d.contains("n°1")),
        "{:?}",
        report.differences
    );
    let after = till_a
        .ledger()
        .refund_by_number(second.number)
        .unwrap()
        .unwrap();
    assert_eq!(after.state, RefundState::Pending);
    till_a
        .resume()
        .await
        .expect("resume reads it without failing");
    let after = till_a
        .ledger()
        .refund_by_number(second.number)
        .unwrap()
        .unwrap();
    assert_eq!(after.state, RefundState::Pending);
    let report = till_a.reconcile(today, today).await.unwrap();
    assert_eq!(report.refunds_updated, 0, "{report:?}");
    a.shutdown().await;
    b.shutdown().await;
}
