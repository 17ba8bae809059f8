//! The sandbox's data file: a change is answered only once it is saved, so a refund answered 201 never vanishes
//! after a restart, even one without a clean shutdown.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use cadodesk::direct::wire::RefundRequest;
use cadodesk::direct::{ClientOptions, Credentials, DirectClient, IdempotenceKey};
use cadodesk::sandbox::SandboxConfig;

use crate::support::till::*;

fn client(base_url: &str) -> DirectClient {
    DirectClient::new(
        reqwest::Url::parse(base_url).unwrap(),
        Credentials::new("cadodesk-sandbox", "sandbox-key-id", "sandbox-secret"),
        ClientOptions::default(),
    )
    .unwrap()
}

#[tokio::test]
async fn sandbox_a_refund_whose_save_fails_is_answered_500_and_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox.json");
    let config = SandboxConfig {
        data_file: Some(data.clone()),
        refund_delay_ms: 50,
        ..SandboxConfig::default()
    };
    let sb = cadodesk::sandbox::start(config.clone()).await.unwrap();
    let till = till(&dir.path().join("till"), &sb.base_url(), "ana");
    let id = paid_sale(&till, 5000, &[CADO_50], None).await;
    let tender = till.checkout(&id).unwrap().unwrap().tenders[0]
        .payment_id
        .clone();

    // Every write of a refund to the data file fails halfway, as on a full disk (the client retries a 500).
    let rule = reqwest::Client::new()
        .post(format!("{}/sandbox/faults", sb.base_url()))
        .json(&serde_json::json!({"operation": "refund", "storeError": 1.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(rule.status().as_u16(), 200);
    let key = IdempotenceKey::generate();
    let request = RefundRequest::eur(eur(1000), Some("r1".into()), None);
    let err = client(&sb.base_url())
        .refund_payment(&tender, &request, &key)
        .await
        .expect_err("an unsaved refund is not confirmed");
    assert_eq!(err.status(), Some(500), "{err:?}");
    assert!(platform_refunds(&sb.base_url(), &tender).await.is_empty());

    // After a restart, the same key carries the refund out once.
    sb.shutdown().await;
    let sb = cadodesk::sandbox::start(config).await.unwrap();
    assert!(platform_refunds(&sb.base_url(), &tender).await.is_empty());
    let ok = client(&sb.base_url())
        .refund_payment(&tender, &request, &key)
        .await
        .expect("saved and answered");
    assert_eq!(ok.body.id, format!("{}_1", &tender[..10]));
    assert_eq!(platform_refunds(&sb.base_url(), &tender).await.len(), 1);
}

/// `cadodesk sandbox --data FILE` as a process; its base URL.
async fn sandbox_process(data: &std::path::Path) -> (tokio::process::Child, String) {
    use tokio::io::AsyncBufReadExt as _;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_cadodesk"))
        .args([
            "sandbox",
            "--listen",
            "127.0.0.1:0",
            "--refund-delay-ms",
            "3600000",
            "--data",
        ])
        .arg(data)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("cadodesk runs");
    let stdout = child.stdout.take().expect("stdout");
    let first = tokio::io::BufReader::new(stdout)
        .lines()
        .next_line()
        .await
        .expect("read")
        .expect("a first line");
    let base = first
        .strip_prefix("listening on ")
        .expect("listening on …")
        .to_string();
    (child, base)
}

fn sbx(base: &str) -> crate::support::sandbox::Sbx {
    crate::support::sandbox::Sbx {
        sandbox: None,
        base: base.to_string(),
        http: crate::support::sandbox::client(),
    }
}

/// The dump without what a restart may change (nothing here should).
async fn dump(s: &crate::support::sandbox::Sbx) -> serde_json::Value {
    s.state().await
}

#[tokio::test]
async fn sandbox_everything_answered_survives_a_kill_and_idempotent_replays_still_work() {
    use crate::support::sandbox::{form, gift, refs, visa};
    use serde_json::json;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox.json");
    let (mut child, base) = sandbox_process(&data).await;
    let s = sbx(&base);

    // Checkouts, a payment on the hosted page, refunds (one declined), a capture, each answered.
    let fields = form(&[gift(1, 1), visa()]);
    let (_, paid) = s.paid_checkout(30_000, &refs(&fields)).await;
    let tenders = s.tender_ids(&paid).await;
    let open = s.create_checkout(1_000, true).await;
    let refund = json!({"amountOfMoney": {"amount": 1_500, "currencyCode": "EUR"}});
    let path = format!("/payments/{}/refund", tenders[0].0);
    let first = s.post_idem(&path, &refund, "persist-key-1").await;
    assert_eq!(first.status, 201, "{}", first.text);
    let plain = s
        .post(&format!("/payments/{}/refund", tenders[1].0), &refund)
        .await;
    assert_eq!(plain.status, 201, "{}", plain.text);
    let (_, declined) = s.paid_checkout(3_000, &refs(&form(&[gift(1, 6)]))).await;
    let declined_id = declined["createdPaymentOutput"]["payment"]["id"]
        .as_str()
        .unwrap();
    let refused = s
        .post_idem(
            &format!("/payments/{declined_id}/refund"),
            &refund,
            "persist-key-2",
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    let before = dump(&s).await;
    assert_eq!(before["refunds"].as_array().unwrap().len(), 3);

    // Killed: no clean shutdown, so nothing is compacted; the answered changes are in the change log.
    child.kill().await.unwrap();
    child.wait().await.unwrap();
    let log = std::fs::read_to_string(dir.path().join("sandbox.json.log")).unwrap();
    assert!(log.lines().count() >= 5, "{log}");
    let snapshot: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&data).unwrap()).unwrap();
    assert!(
        snapshot["refunds"].as_object().unwrap().is_empty(),
        "{snapshot}"
    );

    // Restarted on the same file: everything answered is there.
    let (mut child, base) = sandbox_process(&data).await;
    let s = sbx(&base);
    assert_eq!(dump(&s).await, before);
    let id = open["hostedCheckoutId"].as_str().unwrap();
    assert_eq!(s.get(&format!("/hostedcheckouts/{id}")).await.status, 200);
    // The idempotent answers replay, with the first request's timestamp, and nothing is done twice.
    let again = s.post_idem(&path, &refund, "persist-key-1").await;
    assert_eq!(again.status, 201);
    assert_eq!(again.json(), first.json());
    assert!(
        again
            .header("x-gcs-idempotence-request-timestamp")
            .is_some()
    );
    let again = s
        .post_idem(
            &format!("/payments/{declined_id}/refund"),
            &refund,
            "persist-key-2",
        )
        .await;
    assert_eq!(again.status, 400);
    assert_eq!(again.json(), refused.json());
    assert_eq!(dump(&s).await["refunds"].as_array().unwrap().len(), 3);

    // A change after the restart is kept too, through a second kill.
    let second = s.post_idem(&path, &refund, "persist-key-3").await;
    assert_eq!(second.status, 201, "{}", second.text);
    let before = dump(&s).await;
    child.kill().await.unwrap();
    child.wait().await.unwrap();
    let (mut child, base) = sandbox_process(&data).await;
    assert_eq!(dump(&sbx(&base)).await, before);
    child.kill().await.unwrap();
}

#[tokio::test]
async fn sandbox_a_clean_shutdown_folds_the_change_log_into_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox.json");
    let config = SandboxConfig {
        data_file: Some(data.clone()),
        ..SandboxConfig::default()
    };
    let sb = cadodesk::sandbox::start(config.clone()).await.unwrap();
    let s = sbx(&sb.base_url());
    let created = s.create_checkout(1_000, true).await;
    let log = dir.path().join("sandbox.json.log");
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 1);
    sb.shutdown().await;
    assert_eq!(std::fs::read(&log).unwrap().len(), 0);
    let snapshot: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&data).unwrap()).unwrap();
    let id = created["hostedCheckoutId"].as_str().unwrap();
    assert_eq!(snapshot["checkouts"][id]["amount"], 1_000);
}
