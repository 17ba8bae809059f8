//! The sandbox's data file: a change is answered only once it is saved, so a refund answered 201 never vanishes
//! after a restart.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use cadodesk::direct::wire::RefundRequest;
use cadodesk::direct::{ClientOptions, Credentials, DirectClient, IdempotenceKey};
use cadodesk::sandbox::SandboxConfig;

use crate::till_support::*;

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

    // The state file can no longer be written: its temporary file's name is taken by a folder.
    let blocker = dir.path().join("sandbox.json.tmp");
    std::fs::create_dir(&blocker).unwrap();
    let key = IdempotenceKey::generate();
    let request = RefundRequest::eur(eur(1000), Some("r1".into()), None);
    let err = client(&sb.base_url())
        .refund_payment(&tender, &request, &key)
        .await
        .expect_err("an unsaved refund is not confirmed");
    assert_eq!(err.status(), Some(500), "{err:?}");
    assert!(platform_refunds(&sb.base_url(), &tender).await.is_empty());

    // After a restart, the same key carries the refund out once.
    std::fs::remove_dir(&blocker).unwrap();
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
