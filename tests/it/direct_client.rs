//! The client over loopback against a minimal recording server: what it sends (signature, Date, metadata,
//! idempotence key, bodies valid under the contract), how it retries, and how it maps errors. The server
//! checks the signature itself, as the platform would, from the raw headers it received.

#![allow(clippy::unwrap_used, clippy::expect_used)] // reason: test set-up and helpers panic on failure, as tests do

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cadodesk::direct::client::{ClientOptions, DirectClient, IdempotenceKey};
use cadodesk::direct::error::DirectError;
use cadodesk::direct::signing;
use cadodesk::direct::status::{HostedCheckoutStatus, RefundStatus};
use cadodesk::direct::wire::*;
use cadodesk::direct::{Credentials, Replayed};
use cadodesk::domain::Amount;
use cadodesk::i18n::{Lang, Localize};
use reqwest::Url;
use serde_json::{Value, json};

use crate::openapi;

const MERCHANT: &str = "cadodesk-test";
const KEY_ID: &str = "test-key-id";
const SECRET: &str = "t0p-s3cret-v4lue";

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
    /// Whether the Authorization header recomputes from the other headers.
    signature_ok: bool,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// The next answer: status, JSON body, extra headers, and a delay before answering.
#[derive(Debug, Clone)]
struct Reply {
    status: u16,
    body: Value,
    headers: Vec<(&'static str, String)>,
    delay: Duration,
}

fn reply(status: u16, body: Value) -> Reply {
    Reply {
        status,
        body,
        headers: vec![],
        delay: Duration::ZERO,
    }
}

#[derive(Default)]
struct Fake {
    seen: Mutex<Vec<Seen>>,
    replies: Mutex<VecDeque<Reply>>,
}

/// The platform's check: the string to sign rebuilt from the raw received headers (empty content type for GET).
fn signature_matches(method: &Method, uri: &Uri, headers: &HeaderMap) -> bool {
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let (Some(auth), Some(date)) = (get("authorization"), get("date")) else {
        return false;
    };
    let content_type = if method == Method::GET {
        None
    } else {
        get("content-type")
    };
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
        .collect();
    let sts = signing::string_to_sign(
        method.as_str(),
        content_type,
        date,
        pairs,
        &signing::canonical_resource(uri.path(), uri.query()),
    );
    auth == signing::authorization_header(KEY_ID, &signing::signature(SECRET, &sts))
}

async fn handle(
    State(fake): State<Arc<Fake>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signature_ok = signature_matches(&method, &uri, &headers);
    fake.seen.lock().unwrap().push(Seen {
        method,
        path: uri.path().to_owned(),
        headers,
        body,
        signature_ok,
    });
    let next = fake.replies.lock().unwrap().pop_front();
    let Some(r) = next else {
        return (axum::http::StatusCode::IM_A_TEAPOT, "no reply queued").into_response();
    };
    tokio::time::sleep(r.delay).await;
    let mut response = (
        axum::http::StatusCode::from_u16(r.status).unwrap(),
        [("content-type", "application/json")],
        r.body.to_string(),
    )
        .into_response();
    for (name, value) in r.headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

struct Server {
    fake: Arc<Fake>,
    url: Url,
}

impl Server {
    async fn start(replies: Vec<Reply>) -> Server {
        let fake = Arc::new(Fake::default());
        fake.replies.lock().unwrap().extend(replies);
        let app = Router::new().fallback(handle).with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Server { fake, url }
    }

    fn client(&self) -> DirectClient {
        client_for(self.url.clone(), SECRET)
    }

    /// A client that gives up on an answer after a short while, for the tests where the answer never comes.
    fn impatient_client(&self) -> DirectClient {
        let options = ClientOptions {
            request_timeout: Duration::from_millis(1500),
            ..options()
        };
        DirectClient::new(
            self.url.clone(),
            Credentials::new(MERCHANT, KEY_ID, SECRET),
            options,
        )
        .unwrap()
    }

    fn seen(&self) -> Vec<Seen> {
        self.fake.seen.lock().unwrap().clone()
    }
}

fn options() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(2),
        // Generous: a loaded machine must not turn a normal answer into a timeout.
        request_timeout: Duration::from_secs(10),
        max_retries: 2,
        retry_base_delay: Duration::from_millis(10),
        retry_max_delay: Duration::from_millis(20),
        integrator: "Boutique Test".into(),
    }
}

fn client_for(url: Url, secret: &str) -> DirectClient {
    DirectClient::new(url, Credentials::new(MERCHANT, KEY_ID, secret), options()).unwrap()
}

fn refund_body(id: &str) -> Value {
    json!({"id":id,"status":"REFUND_REQUESTED","statusOutput":{"isCancellable":false,"statusCategory":"PENDING_CONNECT_OR_3RD_PARTY","statusCode":81},"refundOutput":{"amountOfMoney":{"amount":1000,"currencyCode":"EUR"},"paymentMethod":"redirect"}})
}

fn refund_request() -> RefundRequest {
    RefundRequest::eur(
        Amount::from_cents(1000).unwrap(),
        Some("R-1".into()),
        Some("Article rendu".into()),
    )
}

#[tokio::test]
async fn get_is_signed_dated_and_names_the_client() {
    let server = Server::start(vec![reply(200, json!({"result":"OK"}))]).await;
    let result = server.client().test_connection().await.unwrap();
    assert_eq!(result.result.as_deref(), Some("OK"));

    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let s = &seen[0];
    assert_eq!(s.method, Method::GET);
    assert_eq!(s.path, format!("/v2/{MERCHANT}/services/testconnection"));
    assert!(s.signature_ok, "signature does not recompute");
    assert!(
        s.header("authorization")
            .unwrap()
            .starts_with("GCS v1HMAC:test-key-id:")
    );
    assert!(httpdate::parse_http_date(s.header("date").unwrap()).is_ok());
    assert!(
        s.header("content-type").is_none(),
        "no body, no content type"
    );
    assert!(s.header("x-gcs-idempotence-key").is_none());
    let meta = STANDARD
        .decode(s.header("x-gcs-servermetainfo").unwrap())
        .unwrap();
    let meta: Value = serde_json::from_slice(&meta).unwrap();
    assert_eq!(meta["sdkCreator"], "cadodesk");
    assert_eq!(meta["integrator"], "Boutique Test");
    assert!(
        meta["sdkIdentifier"]
            .as_str()
            .unwrap()
            .starts_with("cadodesk/")
    );
    assert!(meta["platformIdentifier"].is_string());
}

#[tokio::test]
async fn hosted_checkout_body_matches_the_contract() {
    let server = Server::start(vec![
        reply(
            200,
            json!({"RETURNMAC":"fecab85c-9b0e-42ee-a9d9-ebb69b0c2eb0","hostedCheckoutId":"3066019730","redirectUrl":"http://127.0.0.1/pay/3066019730"}),
        ),
        reply(200, json!({"status":"IN_PROGRESS"})),
    ])
    .await;
    let client = server.client();
    let request = CreateHostedCheckoutRequest::bimpli_cado(CadoCheckout {
        amount: Amount::parse("42,50").unwrap(),
        merchant_reference: Some("T1-0001".into()),
        customer_email: Some("client@example.fr".into()),
        locale: "fr_FR".into(),
        return_url: "http://127.0.0.1:1/return".into(),
        session_timeout_minutes: Some(20),
        allowed_number_of_payment_attempts: None,
        complete_remaining_payment_amount: true,
        card_authorization_mode: None,
        webhooks_urls: vec![],
    });
    let created = client.create_hosted_checkout(&request).await.unwrap();
    assert_eq!(created.hosted_checkout_id, "3066019730");
    let status = client
        .get_hosted_checkout(&created.hosted_checkout_id)
        .await
        .unwrap();
    assert_eq!(status.status, HostedCheckoutStatus::InProgress);

    let seen = server.seen();
    let post = &seen[0];
    assert_eq!(post.path, format!("/v2/{MERCHANT}/hostedcheckouts"));
    assert!(post.signature_ok);
    assert_eq!(post.header("content-type"), Some("application/json"));
    assert!(post.header("x-gcs-idempotence-key").is_none());
    openapi::assert_valid("createHostedCheckoutRequest", &post.json());
    assert_eq!(post.json()["order"]["amountOfMoney"]["amount"], 4250);
    assert_eq!(
        seen[1].path,
        format!("/v2/{MERCHANT}/hostedcheckouts/3066019730")
    );
    assert!(seen[1].signature_ok);
}

#[tokio::test]
async fn keyed_posts_send_the_key_and_tell_a_replay() {
    let mut replayed = reply(201, refund_body("3254564310_1"));
    replayed.headers.push((
        "X-GCS-Idempotence-Request-Timestamp",
        "1714557600123".into(),
    ));
    let server = Server::start(vec![
        reply(201, refund_body("3254564310_1")),
        replayed,
        reply(
            201,
            json!({"id":"3254564310_2","status":"CAPTURED","statusOutput":{"statusCode":9}}),
        ),
        reply(
            200,
            json!({"payment":{"id":"3254564310_0","status":"CANCELLED"}}),
        ),
    ])
    .await;
    let client = server.client();
    let key = IdempotenceKey::generate();

    let first = client
        .refund_payment("3254564310_0", &refund_request(), &key)
        .await
        .unwrap();
    assert_eq!(first.replayed, None);
    assert_eq!(first.body.status, Some(RefundStatus::RefundRequested));
    let again = client
        .refund_payment("3254564310_0", &refund_request(), &key)
        .await
        .unwrap();
    assert_eq!(
        again.replayed,
        Some(Replayed {
            timestamp_ms: 1_714_557_600_123
        })
    );

    let capture_key = IdempotenceKey::new("capture-3254564310-1").unwrap();
    let captured = client
        .capture_payment(
            "3254564310_0",
            &CapturePaymentRequest {
                amount: Some(1000),
                ..CapturePaymentRequest::default()
            },
            &capture_key,
        )
        .await
        .unwrap();
    assert_eq!(captured.body.id, "3254564310_2");
    let cancel_key = IdempotenceKey::generate();
    client
        .cancel_payment(
            "3254564310_0",
            &CancelPaymentRequest::default(),
            &cancel_key,
        )
        .await
        .unwrap();

    let seen = server.seen();
    assert_eq!(seen.len(), 4);
    for s in &seen {
        assert!(s.signature_ok, "{}", s.path);
        assert_eq!(s.header("content-type"), Some("application/json"));
    }
    assert_eq!(
        seen[0].path,
        format!("/v2/{MERCHANT}/payments/3254564310_0/refund")
    );
    assert_eq!(seen[0].header("x-gcs-idempotence-key"), Some(key.as_str()));
    assert_eq!(seen[1].header("x-gcs-idempotence-key"), Some(key.as_str()));
    openapi::assert_valid("refundRequest", &seen[0].json());
    assert_eq!(
        seen[2].path,
        format!("/v2/{MERCHANT}/payments/3254564310_0/capture")
    );
    assert_eq!(
        seen[2].header("x-gcs-idempotence-key"),
        Some("capture-3254564310-1")
    );
    openapi::assert_valid("capturePaymentRequest", &seen[2].json());
    assert_eq!(
        seen[3].path,
        format!("/v2/{MERCHANT}/payments/3254564310_0/cancel")
    );
    assert_eq!(
        seen[3].header("x-gcs-idempotence-key"),
        Some(cancel_key.as_str())
    );
    openapi::assert_valid("cancelPaymentRequest", &seen[3].json());
}

#[tokio::test]
async fn lost_answer_is_retried_with_the_same_key() {
    // The first answer comes after the client's timeout: the client cannot know whether the refund happened,
    // so it asks again with the same key.
    let mut late = reply(201, refund_body("3254564310_1"));
    // Far beyond the client's patience: the client hangs up and the answer is never sent.
    late.delay = Duration::from_secs(120);
    let mut replayed = reply(201, refund_body("3254564310_1"));
    replayed.headers.push((
        "X-GCS-Idempotence-Request-Timestamp",
        "1714557600000".into(),
    ));
    let server = Server::start(vec![late, replayed]).await;
    let key = IdempotenceKey::generate();
    let result = server
        .impatient_client()
        .refund_payment("3254564310_0", &refund_request(), &key)
        .await
        .unwrap();
    assert_eq!(result.body.id, "3254564310_1");
    assert!(result.replayed.is_some());

    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| s.signature_ok));
    assert!(
        seen.iter()
            .all(|s| s.header("x-gcs-idempotence-key") == Some(key.as_str()))
    );
    assert_eq!(seen[0].body, seen[1].body);
}

#[tokio::test]
async fn keyed_post_without_answer_reports_an_unknown_outcome() {
    let mut late = reply(201, refund_body("x_1"));
    // Far beyond the client's patience: the client hangs up and the answer is never sent.
    late.delay = Duration::from_secs(120);
    let server = Server::start(vec![late.clone(), late.clone(), late]).await;
    let key = IdempotenceKey::generate();
    let err = server
        .impatient_client()
        .refund_payment("3254564310_0", &refund_request(), &key)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DirectError::Timeout {
                outcome_unknown: true
            }
        ),
        "{err:?}"
    );
    assert!(err.is_outcome_unknown());
    assert!(err.to_string().contains("same idempotence key"));
    // First attempt and the two retries, all with the one key.
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter()
            .all(|s| s.header("x-gcs-idempotence-key") == Some(key.as_str()))
    );
}

#[tokio::test]
async fn gets_retry_on_5xx_unkeyed_posts_do_not() {
    let server = Server::start(vec![
        reply(
            503,
            json!({"errorId":"a","errors":[{"errorCode":"9999","httpStatusCode":503}]}),
        ),
        reply(
            502,
            json!({"errorId":"b","errors":[{"errorCode":"9999","httpStatusCode":502}]}),
        ),
        reply(
            200,
            json!({"id":"3254564310_0","status":"CAPTURED","statusOutput":{"statusCode":9}}),
        ),
        reply(
            500,
            json!({"errorId":"c","errors":[{"errorCode":"9999","httpStatusCode":500}]}),
        ),
    ])
    .await;
    let client = server.client();
    let payment = client.get_payment("3254564310_0").await.unwrap();
    assert_eq!(payment.id, "3254564310_0");
    assert_eq!(server.seen().len(), 3);

    let err = client
        .create_hosted_checkout(&CreateHostedCheckoutRequest::bimpli_cado(CadoCheckout {
            amount: Amount::from_cents(2000).unwrap(),
            merchant_reference: None,
            customer_email: None,
            locale: "fr_FR".into(),
            return_url: "http://127.0.0.1:1/r".into(),
            session_timeout_minutes: None,
            allowed_number_of_payment_attempts: None,
            complete_remaining_payment_amount: true,
            card_authorization_mode: None,
            webhooks_urls: vec![],
        }))
        .await
        .unwrap_err();
    assert!(
        matches!(err, DirectError::Platform { status: 500, .. }),
        "{err:?}"
    );
    assert_eq!(server.seen().len(), 4, "an unkeyed POST is sent once");
}

#[tokio::test]
async fn errors_are_mapped_over_the_wire() {
    let server = Server::start(vec![
        reply(403, json!({"errorId":"e1","errors":[{"errorCode":"9002","id":"AUTHENTICATION_FAILURE","httpStatusCode":403}]})),
        reply(404, json!({"errorId":"e2","errors":[{"errorCode":"1002","id":"UNKNOWN_PAYMENT_ID","httpStatusCode":404}]})),
        reply(400, json!({"errorId":"e3","errors":[{"errorCode":"30001001","id":"ACTION_NOT_ALLOWED_ON_TRANSACTION","message":"ACTION_NOT_ALLOWED_ON_TRANSACTION","httpStatusCode":400}]})),
    ])
    .await;
    let client = server.client();
    let e = client.test_connection().await.unwrap_err();
    assert!(
        matches!(e, DirectError::Authorization { status: 403, .. }),
        "{e:?}"
    );
    assert!(
        e.localize(Lang::Fr)
            .starts_with("Identifiants refusés par Worldline")
    );
    let e = client
        .get_payment_details("9999999999_0")
        .await
        .unwrap_err();
    assert!(
        matches!(e, DirectError::Reference { status: 404, .. }),
        "{e:?}"
    );
    let e = client
        .refund_payment(
            "3254564310_0",
            &refund_request(),
            &IdempotenceKey::generate(),
        )
        .await
        .unwrap_err();
    assert!(
        e.is_action_not_allowed() && !e.is_outcome_unknown(),
        "{e:?}"
    );
    assert_eq!(server.seen().len(), 3, "4xx answers are not retried");
}

#[tokio::test]
async fn in_progress_conflict_is_retried_then_reported_with_its_timestamp() {
    let conflict = || {
        let mut r = reply(
            409,
            json!({"errorId":"e","errors":[{"errorCode":"1409","code":"1409","id":"DUPLICATE_REQUEST_IN_PROGRESS","httpStatusCode":409}]}),
        );
        r.headers.push((
            "X-GCS-Idempotence-Request-Timestamp",
            "1714557600000".into(),
        ));
        r
    };
    let server = Server::start(vec![conflict(), conflict(), conflict()]).await;
    let client = server.client();
    let key = IdempotenceKey::generate();
    let err = client
        .refund_payment("3254564310_0", &refund_request(), &key)
        .await
        .unwrap_err();
    match &err {
        DirectError::IdempotenceInProgress {
            request_timestamp_ms,
            ..
        } => assert_eq!(*request_timestamp_ms, Some(1_714_557_600_000)),
        other => panic!("{other:?}"),
    }
    assert!(err.is_outcome_unknown());
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter()
            .all(|s| s.header("x-gcs-idempotence-key") == Some(key.as_str()))
    );
}

/// A listener that accepts connections, reads a little and closes them without answering.
async fn hang_up_server() -> (Url, Arc<Mutex<usize>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    let count = Arc::new(Mutex::new(0usize));
    let c = count.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            *c.lock().unwrap() += 1;
            let mut buf = [0u8; 4096];
            let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut buf).await;
            drop(socket);
        }
    });
    (url, count)
}

#[tokio::test]
async fn dropped_connections() {
    let (url, count) = hang_up_server().await;
    let client = client_for(url, SECRET);
    let err = client
        .refund_payment(
            "3254564310_0",
            &refund_request(),
            &IdempotenceKey::generate(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DirectError::Transport {
                outcome_unknown: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        *count.lock().unwrap(),
        3,
        "keyed: first attempt and two retries"
    );

    *count.lock().unwrap() = 0;
    let err = client
        .create_hosted_checkout(&CreateHostedCheckoutRequest::bimpli_cado(CadoCheckout {
            amount: Amount::from_cents(2000).unwrap(),
            merchant_reference: None,
            customer_email: None,
            locale: "fr_FR".into(),
            return_url: "http://127.0.0.1:1/r".into(),
            session_timeout_minutes: None,
            allowed_number_of_payment_attempts: None,
            complete_remaining_payment_amount: true,
            card_authorization_mode: None,
            webhooks_urls: vec![],
        }))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DirectError::Transport {
                outcome_unknown: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(*count.lock().unwrap(), 1, "unkeyed: sent once");
}

#[tokio::test]
async fn no_error_text_holds_the_secret_or_the_authorization() {
    let server = Server::start(vec![reply(
        403,
        json!({"errorId":"e1","errors":[{"errorCode":"9002","id":"AUTHENTICATION_FAILURE","httpStatusCode":403}]}),
    )])
    .await;
    let (hang_up, _) = hang_up_server().await;
    // A port nothing listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = Url::parse(&format!("http://{}", l.local_addr().unwrap())).unwrap();
        drop(l);
        url
    };
    let mut errors = vec![
        server.client().test_connection().await.unwrap_err(),
        client_for(hang_up, SECRET)
            .get_payment("1_0")
            .await
            .unwrap_err(),
        client_for(closed, SECRET)
            .refund_payment("1_0", &refund_request(), &IdempotenceKey::generate())
            .await
            .unwrap_err(),
    ];
    // A key id that cannot be a header value fails before sending, still without echoing the header.
    let bad = DirectClient::new(
        server.url.clone(),
        Credentials::new(MERCHANT, "bad\nkey", SECRET),
        options(),
    )
    .unwrap();
    errors.push(bad.test_connection().await.unwrap_err());

    let client_debug = format!("{:?}", server.client());
    assert!(!client_debug.contains(SECRET), "{client_debug}");
    // Nothing reached the closed port: the outcome of that keyed refund is known (not done).
    assert!(
        matches!(
            errors[2],
            DirectError::Transport {
                outcome_unknown: false,
                ..
            }
        ),
        "{:?}",
        errors[2]
    );
    for e in &errors {
        for text in [
            e.to_string(),
            format!("{e:?}"),
            e.localize(Lang::Fr),
            e.localize(Lang::En),
        ] {
            assert!(!text.contains(SECRET), "{text}");
            assert!(!text.contains("v1HMAC"), "{text}");
            assert!(
                !text.to_ascii_lowercase().contains("authorization:"),
                "{text}"
            );
        }
    }
}
