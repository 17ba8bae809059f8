//! Refunds whose local record and the platform disagree: a refund recorded as declined that the platform did carry
//! out is corrected by reconciliation, and an intent that never got an answer can be closed by an operator, but
//! only when the platform does not show it.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use cadodesk::direct::wire::RefundRequest;
use cadodesk::direct::{ClientOptions, Credentials, DirectClient, IdempotenceKey};
use cadodesk::domain::RefundState;
use cadodesk::ledger::Event;
use cadodesk::till::{RefundCommand, Till, TillError};

use crate::support::till::*;

fn today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive()
}

/// Sends the refund of an intent straight to the platform, as a till whose answer was lost would have.
async fn send_behind_the_till(base_url: &str, payment_id: &str, cents: i64, key: &str) {
    let client = DirectClient::new(
        reqwest::Url::parse(base_url).unwrap(),
        Credentials::new("cadodesk-sandbox", "sandbox-key-id", "sandbox-secret"),
        ClientOptions::default(),
    )
    .unwrap();
    client
        .refund_payment(
            payment_id,
            &RefundRequest::eur(eur(cents), Some(key.to_string()), Some("retour".into())),
            &IdempotenceKey::new(key).unwrap(),
        )
        .await
        .expect("the platform carries it out");
}

async fn paid_tender(till: &Till, cents: i64, card: &str) -> (String, String) {
    let id = paid_sale(till, cents, &[card], None).await;
    let tender = till.checkout(&id).unwrap().unwrap().tenders[0]
        .payment_id
        .clone();
    (id, tender.to_string())
}

fn kinds(till: &Till) -> Vec<String> {
    till.ledger()
        .entries(1, 10_000)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

#[tokio::test]
async fn till_reconcile_corrects_a_refund_recorded_declined_that_the_platform_shows() {
    let sb = sandbox(50).await;
    let dir = tempfile::tempdir().unwrap();
    let till = till(dir.path(), &sb.base_url(), "ana");
    let (id, tender) = paid_tender(&till, 5000, CADO_50).await;

    // The intent, carried out by the platform, but concluded "declined" locally.
    let intent = till
        .ledger()
        .request_refund("ana", &tender, eur(2000), "retour")
        .unwrap();
    send_behind_the_till(&sb.base_url(), &tender, 2000, &intent.idempotence_key).await;
    till.ledger()
        .append(
            "ana",
            &Event::RefundAnswered {
                idempotence_key: intent.idempotence_key.clone(),
                refund_id: None,
                state: RefundState::Declined,
                platform_status: Some("REJECTED".into()),
                failure: Some("unreadable answer".into()),
            },
        )
        .unwrap();
    assert_eq!(
        till.checkout(&id).unwrap().unwrap().tenders[0]
            .refundable
            .cents(),
        5000
    );

    let report = till.reconcile(today(), today()).await.expect("reconcile");
    let v = till.checkout(&id).unwrap().unwrap();
    assert!(
        matches!(
            v.refunds[0].state,
            RefundState::Pending | RefundState::Refunded
        ),
        "{:?}",
        v.refunds[0]
    );
    assert!(v.refunds[0].refund_id.is_some());
    assert_eq!(v.tenders[0].refundable.cents(), 3000);
    assert!(
        report
            .differences
            .iter()
            .any(|d| d.contains("n°1") && d.contains("declined")),
        "{report:#?}"
    );
    assert_eq!(report.refunds_imported, 0, "our own refund is not external");
    assert!(kinds(&till).contains(&"refund_corrected".to_string()));
    assert!(till.verify_ledger().unwrap().is_sound());
    // 3000 left: 5000 more is refused by the ledger, never sent.
    assert!(matches!(
        till.refund(RefundCommand {
            payment_id: tender.clone(),
            amount: eur(5000),
            reason: "encore".into()
        })
        .await,
        Err(TillError::NotEnoughLeft { .. })
    ));
}

#[tokio::test]
async fn till_close_refund_frees_a_tender_blocked_by_an_intent_never_answered() {
    let sb = sandbox(50).await;
    let dir = tempfile::tempdir().unwrap();
    let till = till(dir.path(), &sb.base_url(), "ana");
    let (_, tender) = paid_tender(&till, 5000, CADO_50).await;
    // The till stopped right after writing the intent: nothing was sent.
    let intent = till
        .ledger()
        .request_refund("ana", &tender, eur(1000), "retour")
        .unwrap();
    let cmd = RefundCommand {
        payment_id: tender.clone(),
        amount: eur(1000),
        reason: "retour".into(),
    };
    assert!(matches!(
        till.refund(cmd.clone()).await,
        Err(TillError::RefundInFlight { .. })
    ));
    assert!(matches!(
        till.close_refund(&intent.number.to_string(), " ").await,
        Err(TillError::ReasonMissing)
    ));
    let closed = till
        .close_refund(&intent.number.to_string(), "caisse arrêtée avant l'envoi")
        .await
        .expect("closed");
    assert_eq!(closed.state, RefundState::Declined);
    assert!(closed.failure.unwrap().contains("caisse arrêtée"));
    assert!(kinds(&till).contains(&"refund_closed".to_string()));
    // Closing twice is refused.
    assert!(matches!(
        till.close_refund(&intent.idempotence_key, "encore").await,
        Err(TillError::RefundNotOpen { .. })
    ));
    let r = till.refund(cmd).await.expect("the tender is free again");
    assert!(matches!(
        r.state,
        RefundState::Pending | RefundState::Refunded
    ));
    assert_eq!(platform_refunds(&sb.base_url(), &tender).await.len(), 1);
}

#[tokio::test]
async fn till_close_refund_is_refused_when_the_platform_shows_the_refund() {
    let sb = sandbox(50).await;
    let dir = tempfile::tempdir().unwrap();
    let till = till(dir.path(), &sb.base_url(), "ana");
    let (id, tender) = paid_tender(&till, 5000, CADO_50).await;
    let intent = till
        .ledger()
        .request_refund("ana", &tender, eur(1000), "retour")
        .unwrap();
    send_behind_the_till(&sb.base_url(), &tender, 1000, &intent.idempotence_key).await;
    let e = till
        .close_refund(&intent.number.to_string(), "pas de réponse")
        .await
        .unwrap_err();
    assert!(matches!(e, TillError::RefundOnPlatform { .. }), "{e:?}");
    let v = till.checkout(&id).unwrap().unwrap();
    assert!(
        matches!(
            v.refunds[0].state,
            RefundState::Pending | RefundState::Refunded
        ),
        "{:?}",
        v.refunds[0]
    );
    assert!(!kinds(&till).contains(&"refund_closed".to_string()));
    assert_eq!(v.tenders[0].refundable.cents(), 4000);
}
