//! `cadodesk refund-close`: an intent that never got an answer is closed from the command line, after the
//! platform was asked; the tender can then be refunded again.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::binary::Cli;
use crate::support::till::*;

async fn run(dir: &Path, base_url: &str, args: &[&str]) -> Output {
    Cli::sandbox(dir, base_url).run(args).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_refund_close_frees_a_tender_and_refuses_a_missing_reason() {
    let sb = sandbox(50).await;
    let base = sb.base_url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tender = {
        let till = till(d, &base, "ana");
        let id = paid_sale(&till, 5000, &[CADO_50], None).await;
        let tender = till.checkout(&id).unwrap().unwrap().tenders[0]
            .payment_id
            .clone();
        // Written, never sent: the till stopped right after the intent.
        till.ledger()
            .request_refund("ana", &tender, eur(1000), "retour")
            .unwrap();
        tender
    };
    let out = run(d, &base, &["refund-close", "1", "--reason", " "]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("reason"));

    let out = run(
        d,
        &base,
        &["refund-close", "1", "--reason", "caisse arrêtée", "--json"],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "declined", "{v}");

    let out = run(
        d,
        &base,
        &[
            "refund",
            "--payment-id",
            &tender,
            "--amount",
            "10,00",
            "--reason",
            "retour",
            "--json",
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(platform_refunds(&base, &tender).await.len(), 1);
}
