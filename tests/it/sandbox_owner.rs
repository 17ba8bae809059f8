//! One process owns the sandbox's data (issue 14, defect 3): the command line uses the running app's sandbox
//! rather than start a second one on the same `sandbox.json`, and refuses in one line when it cannot reach it.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use cadodesk::app::EmbeddedSandbox;
use cadodesk::domain::RefundState;
use cadodesk::till::RefundCommand;

use crate::support::binary::{Cli, json_of, stderr_of};
use crate::support::till::*;

/// The binary as a script runs it on `dir`, with the default endpoint: the embedded sandbox.
fn cli(dir: &std::path::Path) -> Cli {
    Cli::sandbox(dir, "sandbox")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_uses_the_running_apps_sandbox_rather_than_a_second_one_on_the_same_data() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The app runs its sandbox on the data directory, and a sale is paid there.
    let app = EmbeddedSandbox::start(d, Some(3_600_000)).await.unwrap();
    let url = app.url().to_string();
    let till = till(d, &url, "ana");
    let id = paid_sale(&till, 5000, &[CADO_50], None).await;
    let tender = till.checkout(&id).unwrap().unwrap().tenders[0]
        .payment_id
        .to_string();

    // A refund from the command line, with the app open: the app's sandbox carries it out.
    let out = cli(d)
        .run(&[
            "refund",
            "--payment-id",
            &tender,
            "--amount",
            "10,00",
            "--reason",
            "retour",
            "--json",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    let refund = json_of(&out);
    let on_platform = platform_refunds(&url, &tender).await;
    assert_eq!(on_platform.len(), 1, "{on_platform:?}");
    assert_eq!(refund["refundId"], on_platform[0].0, "{refund}");

    // The next refund in the app gets the next id, and is answered.
    let second = till
        .refund(RefundCommand {
            payment_id: tender.clone(),
            amount: eur(500),
            reason: "retour".into(),
        })
        .await
        .expect("the app's next refund is answered");
    assert_eq!(second.state, RefundState::Pending, "{second:?}");
    assert_eq!(platform_refunds(&url, &tender).await.len(), 2);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_refuses_in_one_line_when_the_apps_sandbox_does_not_answer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let app = EmbeddedSandbox::start(d, None).await.unwrap();
    let till = till(d, app.url(), "ana");
    let id = paid_sale(&till, 5000, &[CADO_50], None).await;
    let tender = till.checkout(&id).unwrap().unwrap().tenders[0]
        .payment_id
        .to_string();
    // The app's sandbox fails every request (as a hung or broken one would).
    fault(
        app.url(),
        serde_json::json!({"operation": "any", "errorRate": 1.0}),
    )
    .await;

    let out = cli(d)
        .run(&[
            "refund",
            "--payment-id",
            &tender,
            "--amount",
            "10,00",
            "--reason",
            "retour",
        ])
        .await;
    assert!(!out.status.success());
    let err = stderr_of(&out);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("cadodesk:")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].contains("does not answer"), "{err}");
    assert!(lines[0].contains(app.url()), "{err}");
    assert!(lines[0].contains("restart the app"), "{err}");
    // Nothing was asked: no refund intent in the ledger, none on the platform.
    assert!(till.ledger().refunds_of_checkout(&id).unwrap().is_empty());
    clear_faults(app.url()).await;
    assert!(platform_refunds(app.url(), &tender).await.is_empty());
    app.stop().await;
}
