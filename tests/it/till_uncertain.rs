//! Refund answers that leave the outcome in doubt: the till must never record them as declined, because a
//! declined refund frees its amount for a second refund with a new key. Each test runs a small scripted platform on
//! loopback that carries out the refund and then answers badly.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cadodesk::domain::RefundState;
use cadodesk::ledger::{Event, Ledger};
use cadodesk::till::{RefundCommand, Till, TillConfig, TillError};
use serde_json::{Value, json};

use crate::support::till::{credentials, eur, no_pin_needed};

const TENDER: &str = "1234567890_0";

/// How the scripted platform answers a refund POST, after carrying out the first one.
#[derive(Clone, Copy)]
enum Script {
    /// Every answer is `201` with an HTML body.
    Html201,
    /// The first answer is a 503; later ones a 409 whose error is not the "in progress" form.
    FailThenOdd409,
    /// The first answer is a 503; later ones a 400 ACTION_NOT_ALLOWED (the refund already took the money).
    FailThen400,
    /// The first answer is a 503; later ones a 429.
    FailThen429,
}

#[derive(Default)]
struct Platform {
    /// Refund POSTs received: (idempotence key, body).
    posts: Vec<(String, Value)>,
    /// Refunds carried out: (merchant reference, amount).
    done: Vec<(Option<String>, i64)>,
    /// Whether GetRefunds answers.
    refunds_readable: bool,
}

type Shared = (Arc<Mutex<Platform>>, Script);

async fn refund_post(
    State((p, script)): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let key = headers
        .get("x-gcs-idempotence-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let mut p = p.lock().unwrap();
    let first_for_key = !p.posts.iter().any(|(k, _)| *k == key);
    p.posts.push((key, body.clone()));
    // The platform carries out each new key's refund, whatever it answers afterwards.
    if first_for_key {
        p.done.push((
            body["operationReferences"]["merchantReference"]
                .as_str()
                .map(str::to_string),
            body["amountOfMoney"]["amount"].as_i64().unwrap_or(0),
        ));
    }
    let err = |status: u16, id: &str, code: &str| {
        (
            StatusCode::from_u16(status).unwrap(),
            [(header::CONTENT_TYPE, "application/json")],
            json!({"errorId": "e", "errors": [{"errorCode": code, "id": id, "httpStatusCode": status}]})
                .to_string(),
        )
            .into_response()
    };
    match (script, first_for_key) {
        (Script::Html201, _) => (
            StatusCode::CREATED,
            [(header::CONTENT_TYPE, "text/html")],
            "<html>ok</html>",
        )
            .into_response(),
        (_, true) => err(503, "SERVICE_UNAVAILABLE", "9999"),
        (Script::FailThenOdd409, false) => err(409, "DUPLICATE_OPERATION", "30001999"),
        (Script::FailThen400, false) => err(400, "ACTION_NOT_ALLOWED_ON_TRANSACTION", "30001001"),
        (Script::FailThen429, false) => err(429, "TOO_MANY_REQUESTS", "9429"),
    }
}

async fn refunds_get(State((p, _)): State<Shared>) -> Response {
    let p = p.lock().unwrap();
    if !p.refunds_readable {
        return (StatusCode::BAD_GATEWAY, "<html>down</html>").into_response();
    }
    let refunds: Vec<Value> = p
        .done
        .iter()
        .enumerate()
        .map(|(i, (reference, amount))| {
            let mut out = json!({"amountOfMoney": {"amount": amount, "currencyCode": "EUR"}});
            if let Some(r) = reference {
                out["operationReferences"] = json!({"merchantReference": r});
            }
            json!({
                "id": format!("1234567890_{}", i + 1),
                "status": "REFUND_REQUESTED",
                "statusOutput": {"statusCode": 81},
                "refundOutput": out,
            })
        })
        .collect();
    axum::Json(json!({ "refunds": refunds })).into_response()
}

async fn start(script: Script, refunds_readable: bool) -> (String, Arc<Mutex<Platform>>) {
    let platform = Arc::new(Mutex::new(Platform {
        refunds_readable,
        ..Platform::default()
    }));
    let app = Router::new()
        .route(
            "/v2/{merchant}/payments/{payment}/refund",
            post(refund_post),
        )
        .route(
            "/v2/{merchant}/payments/{payment}/refunds",
            get(refunds_get),
        )
        .with_state((platform.clone(), script));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), platform)
}

/// A ledger with one captured 50 € tender, and a till over it.
fn till_with_tender(dir: &std::path::Path, base_url: &str) -> Till {
    let l = Ledger::open_in(dir).unwrap();
    l.append(
        "t",
        &Event::CheckoutRequested {
            merchant_reference: "R1".into(),
            amount_cents: 5000,
            currency: "EUR".into(),
            email: None,
            locale: "fr_FR".into(),
            return_url: None,
        },
    )
    .unwrap();
    l.append(
        "t",
        &Event::CheckoutCreated {
            merchant_reference: "R1".into(),
            hosted_checkout_id: "111".parse().expect("an id"),
            redirect_url: "http://x".into(),
        },
    )
    .unwrap();
    l.append(
        "t",
        &Event::TenderSeen {
            hosted_checkout_id: "111".parse().expect("an id"),
            payment_id: TENDER.parse().expect("an id"),
            product_id: 3103,
            masked_number: None,
            amount_cents: 5000,
            captured_cents: 5000,
            status: "CAPTURED".into(),
            status_code: Some(9),
        },
    )
    .unwrap();
    no_pin_needed(Till::open(TillConfig::new(dir, base_url, credentials())).unwrap())
}

fn full_refund() -> RefundCommand {
    RefundCommand {
        payment_id: TENDER.parse().expect("an id"),
        amount: eur(5000),
        reason: "retour".into(),
    }
}

/// Every POST the platform saw carried one and the same key, and it carried out exactly one refund.
fn assert_one_refund_one_key(p: &Arc<Mutex<Platform>>) {
    let p = p.lock().unwrap();
    assert_eq!(p.done.len(), 1, "refunds carried out");
    let keys: std::collections::HashSet<&String> = p.posts.iter().map(|(k, _)| k).collect();
    assert_eq!(keys.len(), 1, "one idempotence key for one intent");
}

#[tokio::test]
async fn till_an_unreadable_201_is_unknown_and_blocks_a_second_refund() {
    let (url, platform) = start(Script::Html201, false).await;
    let dir = tempfile::tempdir().unwrap();
    let till = till_with_tender(dir.path(), &url);
    let first = till.refund(full_refund()).await.expect("answered");
    assert_eq!(first.state, RefundState::Unknown, "{first:?}");
    let second = till.refund(full_refund()).await;
    assert!(
        matches!(second, Err(TillError::RefundInFlight { .. })),
        "{second:?}"
    );
    assert_one_refund_one_key(&platform);
    let tender = till.ledger().tender(TENDER).unwrap().unwrap();
    assert_eq!(tender.refundable().cents(), 0);
}

#[tokio::test]
async fn till_an_unrecognised_409_after_a_failure_is_settled_from_the_platforms_list() {
    let (url, platform) = start(Script::FailThenOdd409, true).await;
    let dir = tempfile::tempdir().unwrap();
    let till = till_with_tender(dir.path(), &url);
    let r = till.refund(full_refund()).await.expect("answered");
    assert_eq!(r.state, RefundState::Pending, "{r:?}");
    assert_eq!(r.refund_id.as_deref(), Some("1234567890_1"));
    assert!(matches!(
        till.refund(full_refund()).await,
        Err(TillError::NotEnoughLeft { .. })
    ));
    assert_one_refund_one_key(&platform);
}

#[tokio::test]
async fn till_a_refusal_of_a_resent_refund_is_checked_against_the_platform() {
    let (url, platform) = start(Script::FailThen400, true).await;
    let dir = tempfile::tempdir().unwrap();
    let till = till_with_tender(dir.path(), &url);
    let r = till.refund(full_refund()).await.expect("answered");
    assert_eq!(r.state, RefundState::Pending, "{r:?}");
    assert!(matches!(
        till.refund(full_refund()).await,
        Err(TillError::NotEnoughLeft { .. })
    ));
    assert_one_refund_one_key(&platform);
}

#[tokio::test]
async fn till_a_429_after_a_failure_with_an_unreadable_list_stays_unknown() {
    let (url, platform) = start(Script::FailThen429, false).await;
    let dir = tempfile::tempdir().unwrap();
    let till = till_with_tender(dir.path(), &url);
    let r = till.refund(full_refund()).await.expect("answered");
    assert_eq!(r.state, RefundState::Unknown, "{r:?}");
    assert!(matches!(
        till.refund(full_refund()).await,
        Err(TillError::RefundInFlight { .. })
    ));
    assert_one_refund_one_key(&platform);
}
