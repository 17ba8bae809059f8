//! The `/v2/{merchantId}/...` API: authentication, body handling, idempotence, faults, and the operations.

use std::io::Read as _;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::auth::{self, AuthError, SignedParts};
use super::faults::Plan;
use super::model::{
    Checkout, CheckoutStatus, Event, PayStatus, Refund, RefundStatus, State, now_ms, test_card,
};
use super::server::{App, Conn};
use super::wire;

/// Largest accepted request body, before and after gunzip.
const MAX_BODY: usize = 1024 * 1024;
/// Longest accepted idempotence key (the platform's limit).
const MAX_IDEMPOTENCE_KEY: usize = 40;

/// An answer: status and JSON body (none for 204).
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Option<Value>,
}

impl Reply {
    fn ok(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
        }
    }

    fn error(status: u16, code: &str, id: &str, message: &str, property: Option<&str>) -> Reply {
        let category = if status >= 500 {
            "DIRECT_PLATFORM_ERROR"
        } else {
            "PAYMENT_PLATFORM_ERROR"
        };
        Reply::ok(
            status,
            wire::error_body(wire::api_error(
                status,
                code,
                id,
                category,
                message,
                property,
                status >= 500,
            )),
        )
    }
}

/// 400 INVALID_VALUE on one property.
fn invalid(property: &str, message: &str) -> Reply {
    Reply::error(400, "21000020", "INVALID_VALUE", message, Some(property))
}

/// 400 PARAMETER_NOT_FOUND_IN_REQUEST.
fn missing(property: &str) -> Reply {
    Reply::error(
        400,
        "21000010",
        "PARAMETER_NOT_FOUND_IN_REQUEST",
        "The parameter shown above was not found in the request",
        Some(property),
    )
}

/// 400 ACTION_NOT_ALLOWED_ON_TRANSACTION, as the platform answers refunds beyond what is left.
fn not_allowed(detail: &str) -> Reply {
    let mut r = Reply::error(
        400,
        "30041001",
        "ACTION_NOT_ALLOWED_ON_TRANSACTION",
        "ACTION_NOT_ALLOWED_ON_TRANSACTION",
        None,
    );
    tracing::debug!(detail, "action not allowed");
    if let Some(e) = r
        .body
        .as_mut()
        .and_then(|b| b.get_mut("errors"))
        .and_then(|e| e.get_mut(0))
        .and_then(Value::as_object_mut)
    {
        e.remove("propertyName");
    }
    r
}

fn unknown_payment(id: &str) -> Reply {
    Reply::error(
        404,
        "30041002",
        "UNKNOWN_PAYMENT_ID",
        &format!("Payment {id} not found"),
        None,
    )
}

/// A JSON response with `Content-Type: application/json`.
pub(crate) fn json_response(status: u16, body: &Value) -> Response {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// An ErrorResponse with one error of the given status and id.
pub(crate) fn simple_error(status: u16, id: &str, message: &str) -> Response {
    let code = match status {
        403 => "9007",
        404 => "1002",
        405 => "1005",
        413 => "1013",
        _ => "1000",
    };
    to_response(Reply::error(status, code, id, message, None))
}

fn to_response(reply: Reply) -> Response {
    match reply.body {
        Some(body) => json_response(reply.status, &body),
        None => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::NO_CONTENT);
            r
        }
    }
}

/// Unknown routes: 404 with an ErrorResponse, so SDKs raise a ReferenceException rather than a communication error.
pub(crate) async fn not_found(req: Request) -> Response {
    simple_error(
        404,
        "RESOURCE_NOT_FOUND",
        &format!("No resource at {}", req.uri().path()),
    )
}

/// The operations.
#[derive(Debug)]
enum Route {
    CreateCheckout,
    GetCheckout(String),
    GetPayment(String),
    GetDetails(String),
    Refund(String),
    GetRefunds(String),
    Capture(String),
    GetCaptures(String),
    Cancel(String),
    TestConnection,
    ValidateCredentials,
    SendTest,
}

impl Route {
    /// The operation's name on the fault switchboard.
    fn name(&self) -> &'static str {
        match self {
            Route::CreateCheckout => "create_checkout",
            Route::GetCheckout(_) => "get_checkout",
            Route::GetPayment(_) => "get_payment",
            Route::GetDetails(_) => "get_details",
            Route::Refund(_) => "refund",
            Route::GetRefunds(_) => "get_refunds",
            Route::Capture(_) => "capture",
            Route::GetCaptures(_) => "get_captures",
            Route::Cancel(_) => "cancel",
            Route::TestConnection => "test_connection",
            Route::ValidateCredentials => "validate_credentials",
            Route::SendTest => "send_test_webhook",
        }
    }

    /// Whether `X-GCS-Idempotence-Key` is honoured.
    fn idempotent(&self) -> bool {
        matches!(
            self,
            Route::CreateCheckout | Route::Refund(_) | Route::Capture(_) | Route::Cancel(_)
        )
    }
}

/// Matches the path after `/v2/{merchantId}/`; `Err(status)` is 404 or 405.
fn route(method: &str, rest: &[String]) -> Result<Route, u16> {
    let r: Vec<&str> = rest.iter().map(String::as_str).collect();
    let (want, route) = match r.as_slice() {
        ["hostedcheckouts"] => ("POST", Route::CreateCheckout),
        ["hostedcheckouts", id] => ("GET", Route::GetCheckout(id.to_string())),
        ["payments", id] => ("GET", Route::GetPayment(id.to_string())),
        ["payments", id, "details"] => ("GET", Route::GetDetails(id.to_string())),
        ["payments", id, "refund"] => ("POST", Route::Refund(id.to_string())),
        ["payments", id, "refunds"] => ("GET", Route::GetRefunds(id.to_string())),
        ["payments", id, "capture"] => ("POST", Route::Capture(id.to_string())),
        ["payments", id, "captures"] => ("GET", Route::GetCaptures(id.to_string())),
        ["payments", id, "cancel"] => ("POST", Route::Cancel(id.to_string())),
        ["services", "testconnection"] => ("GET", Route::TestConnection),
        ["webhooks", "validateCredentials"] => ("POST", Route::ValidateCredentials),
        ["webhooks", "sendtest"] => ("POST", Route::SendTest),
        _ => return Err(404),
    };
    if method == want { Ok(route) } else { Err(405) }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Removes the in-progress mark of an idempotence key if the request is abandoned before it finishes (the client
/// hung up during added latency), so a retry with the same key is not refused forever.
struct InProgress {
    app: Arc<App>,
    key: Option<String>,
}

impl Drop for InProgress {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.app.lock().in_progress.remove(&key);
        }
    }
}

/// 409 for a repeat while the first request with the key still runs. `errorCode` 30001002 ("duplicate request")
/// is what the current official SDKs turn into an IdempotenceException; the older SDKs looked for 1409, which
/// stays in the deprecated `code`.
fn conflict(first_ms: i64) -> Response {
    let mut reply = Reply::error(
        409,
        "30001002",
        "DUPLICATE_REQUEST_IN_PROGRESS",
        "A request with this idempotence key is still in progress",
        None,
    );
    if let Some(e) = reply
        .body
        .as_mut()
        .and_then(|b| b.get_mut("errors"))
        .and_then(|e| e.get_mut(0))
        .and_then(Value::as_object_mut)
    {
        e.insert("code".into(), json!("1409"));
    }
    let mut r = to_response(reply);
    if let Ok(v) = HeaderValue::from_str(&first_ms.to_string()) {
        r.headers_mut()
            .insert("X-GCS-Idempotence-Request-Timestamp", v);
    }
    r
}

/// Every `/v2/...` request.
pub(crate) async fn v2(
    AxState(app): AxState<Arc<App>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return simple_error(
            413,
            "REQUEST_TOO_LARGE",
            "The request body is larger than 1 MiB",
        );
    };

    // Authentication first: nothing about the resource is revealed to an unsigned caller.
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let signed = SignedParts {
        method: parts.method.as_str(),
        content_type: header_str(&parts.headers, "content-type"),
        date: header_str(&parts.headers, "date").unwrap_or(""),
        headers,
        target,
    };
    if let Err(e) = auth::verify(
        header_str(&parts.headers, "authorization"),
        &signed,
        &app.cfg.api_key_id,
        &app.cfg.api_secret,
    ) {
        let message = match e {
            AuthError::Malformed => "Missing or malformed Authorization header",
            AuthError::UnknownKey => "Unknown API key",
            AuthError::BadSignature => "The signature does not match",
        };
        return simple_error(403, "AUTHORIZATION_FAILED", message);
    }

    let segments: Vec<String> = parts
        .uri
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(auth::percent_decode)
        .collect();
    let Some(merchant) = segments.get(1) else {
        return simple_error(404, "RESOURCE_NOT_FOUND", "No merchant id in the path");
    };
    if merchant != &app.cfg.merchant_id {
        return simple_error(
            403,
            "AUTHORIZATION_FAILED",
            "The API key does not belong to this merchant",
        );
    }
    let route = match route(parts.method.as_str(), &segments[2..]) {
        Ok(r) => r,
        Err(405) => {
            return simple_error(
                405,
                "METHOD_NOT_ALLOWED",
                "Method not allowed on this resource",
            );
        }
        Err(_) => return simple_error(404, "RESOURCE_NOT_FOUND", "No such resource"),
    };

    let gzip = header_str(&parts.headers, "content-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let body = if gzip {
        let mut out = Vec::new();
        let decoder = flate2::read::GzDecoder::new(&bytes[..]);
        match decoder.take(MAX_BODY as u64 + 1).read_to_end(&mut out) {
            Ok(n) if n > MAX_BODY => {
                return simple_error(
                    413,
                    "REQUEST_TOO_LARGE",
                    "The request body is larger than 1 MiB",
                );
            }
            Ok(_) => out,
            Err(_) => return to_response(invalid("body", "The gzip body cannot be decoded")),
        }
    } else {
        bytes.to_vec()
    };

    let host = header_str(&parts.headers, "host")
        .map(str::to_string)
        .unwrap_or_else(|| app.cfg.listen.clone());

    // Idempotence: a finished request is replayed; one still running gets 409.
    let key = if route.idempotent() {
        header_str(&parts.headers, "x-gcs-idempotence-key").map(str::to_string)
    } else {
        None
    };
    if let Some(k) = &key
        && (k.len() > MAX_IDEMPOTENCE_KEY || !k.is_ascii())
    {
        return to_response(invalid(
            "X-GCS-Idempotence-Key",
            "The idempotence key must be at most 40 ASCII characters",
        ));
    }
    let plan: Plan = app.faults().plan(route.name());
    let mut guard = InProgress {
        app: app.clone(),
        key: None,
    };
    if let Some(k) = &key {
        let mut st = app.lock();
        if let Some(stored) = st.idempotence.get(k) {
            let mut r = to_response(Reply {
                status: stored.status,
                body: serde_json::from_str(&stored.body).ok(),
            });
            if let Ok(v) = HeaderValue::from_str(&stored.first_ms.to_string()) {
                r.headers_mut()
                    .insert("X-GCS-Idempotence-Request-Timestamp", v);
            }
            return r;
        }
        if let Some(first) = st.in_progress.get(k) {
            return conflict(*first);
        }
        if plan.conflict {
            return conflict(now_ms());
        }
        st.in_progress.insert(k.clone(), now_ms());
        guard.key = Some(k.clone());
    } else if plan.conflict {
        return conflict(now_ms());
    }

    if plan.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(plan.latency_ms)).await;
    }
    if plan.error {
        return to_response(Reply::error(
            500,
            "1000",
            "INTERNAL_SERVER_ERROR",
            "Simulated platform error",
            None,
        ));
    }

    let (reply, test_hook) = {
        let mut st = app.settled();
        let now = now_ms();
        // With a data file, a change is only answered once it is saved: on a failed save the state goes back to
        // what the file holds and the caller gets a 500, so no answered refund vanishes after a restart.
        let before = app.cfg.data_file.is_some().then(|| st.clone());
        let (reply, events, changed, hook) = run(&app, &mut st, &route, &body, &host, now);
        let finished_key = guard.key.take();
        let saved = if let Some(k) = finished_key.clone() {
            st.in_progress.remove(&k);
            st.idempotence.insert(
                k,
                super::model::StoredResponse {
                    first_ms: now,
                    status: reply.status,
                    body: reply
                        .body
                        .as_ref()
                        .map(Value::to_string)
                        .unwrap_or_default(),
                },
            );
            app.commit(&st, events)
        } else if changed || !events.is_empty() {
            app.commit(&st, events)
        } else {
            Ok(())
        };
        match (saved, before) {
            (Ok(()), _) => (reply, hook),
            (Err(_), before) => {
                if let Some(b) = before {
                    *st = b;
                }
                // The request is over: a repeat with the same key runs it again rather than waiting.
                if let Some(k) = &finished_key {
                    st.in_progress.remove(k);
                }
                (
                    Reply::error(
                        500,
                        "1000",
                        "INTERNAL_SERVER_ERROR",
                        "The platform could not store the operation; nothing was done",
                        None,
                    ),
                    None,
                )
            }
        }
    };
    if let Some((url, body)) = test_hook {
        app.send_webhook(vec![url], body);
    }
    tracing::debug!(
        operation = route.name(),
        status = reply.status,
        "sandbox API"
    );
    if plan.drop_after_commit {
        tracing::info!(
            operation = route.name(),
            "fault: connection cut after commit"
        );
        conn.cut();
    }
    to_response(reply)
}

/// What an operation did: the answer, webhooks to send, whether the state changed, and a test webhook to send.
type Outcome = (Reply, Vec<Event>, bool, Option<(String, Vec<u8>)>);

fn run(app: &App, st: &mut State, route: &Route, body: &[u8], host: &str, now: i64) -> Outcome {
    let parsed = if body.iter().all(u8::is_ascii_whitespace) {
        Ok(json!({}))
    } else {
        serde_json::from_slice::<Value>(body)
    };
    let input = match parsed {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => {
            return (
                invalid("body", "The body must be a JSON object"),
                vec![],
                false,
                None,
            );
        }
        Err(e) => {
            return (
                Reply::error(
                    400,
                    "21000030",
                    "INVALID_JSON",
                    &format!("The body is not valid JSON: {e}"),
                    None,
                ),
                vec![],
                false,
                None,
            );
        }
    };
    let read = |r: Reply| (r, vec![], false, None);
    match route {
        Route::TestConnection => read(Reply::ok(200, json!({"result": "OK"}))),
        Route::CreateCheckout => match create_checkout(st, &input, host, now) {
            Ok(r) => (r, vec![], true, None),
            Err(r) => read(r),
        },
        Route::GetCheckout(id) => read(match st.checkouts.get(id) {
            Some(c) => Reply::ok(200, wire::hosted_checkout(st, c)),
            None => Reply::error(
                404,
                "30041003",
                "UNKNOWN_HOSTED_CHECKOUT_ID",
                "Hosted checkout not found",
                None,
            ),
        }),
        Route::GetPayment(id) => read(match find(st, id) {
            Some(base) => match st.payments.get(&base) {
                Some(p) => Reply::ok(200, wire::payment_response(st, p)),
                None => unknown_payment(id),
            },
            None => unknown_payment(id),
        }),
        Route::GetDetails(id) => read(match find(st, id).and_then(|b| st.payments.get(&b)) {
            Some(p) => Reply::ok(200, wire::payment_details(st, p)),
            None => unknown_payment(id),
        }),
        Route::GetRefunds(id) => read(match find(st, id).and_then(|b| st.payments.get(&b)) {
            Some(p) => {
                let refunds: Vec<Value> = st
                    .refunds_of(&p.base)
                    .into_iter()
                    .map(|r| wire::refund_response(st, p, r))
                    .collect();
                Reply::ok(200, json!({"refunds": refunds}))
            }
            None => unknown_payment(id),
        }),
        Route::GetCaptures(id) => read(match find(st, id).and_then(|b| st.payments.get(&b)) {
            Some(p) => {
                let captures: Vec<Value> = match (p.status, &p.capture_id) {
                    (PayStatus::Captured, Some(cid)) => vec![wire::capture_response(p, cid)],
                    (PayStatus::Captured, None) => vec![wire::capture_response(p, &p.id())],
                    _ => vec![],
                };
                Reply::ok(200, json!({"captures": captures}))
            }
            None => unknown_payment(id),
        }),
        Route::Refund(id) => match refund(app, st, id, &input, now) {
            Ok((r, events)) => (r, events, true, None),
            Err(r) => read(r),
        },
        Route::Capture(id) => match capture(st, id, &input, now) {
            Ok((r, events)) => (r, events, true, None),
            Err(r) => read(r),
        },
        Route::Cancel(id) => match cancel(st, id, now) {
            Ok((r, events)) => (r, events, true, None),
            Err(r) => read(r),
        },
        Route::ValidateCredentials => {
            let key = input.get("key").and_then(Value::as_str);
            let secret = input.get("secret").and_then(Value::as_str);
            let (Some(key), Some(secret)) = (key, secret) else {
                return read(missing(if key.is_none() { "key" } else { "secret" }));
            };
            let expected = auth::hmac_base64(app.cfg.webhook_secret.as_bytes(), b"");
            let valid = key == app.cfg.webhook_key_id && secret == expected;
            read(Reply::ok(
                200,
                json!({"result": if valid { "Valid" } else { "Invalid" }}),
            ))
        }
        Route::SendTest => {
            let url = match input.get("url") {
                Some(Value::String(u)) => Some(u.clone()),
                Some(Value::Null) | None => app.cfg.webhook_url.clone(),
                Some(_) => return read(invalid("url", "url must be a string")),
            };
            let Some(url) = url else {
                return read(missing("url"));
            };
            if reqwest::Url::parse(&url).is_err() {
                return read(invalid("url", "url must be an absolute URL"));
            }
            let body = json!({
                "apiVersion": "v1",
                "id": uuid::Uuid::new_v4().to_string(),
                "created": wire::iso_offset(now),
                "merchantId": app.cfg.merchant_id,
                "type": "payment.created",
                "payment": {
                    "id": "0000000000_0",
                    "status": "CREATED",
                    "statusOutput": {"isCancellable": false, "statusCategory": "CREATED", "statusCode": 0,
                                     "statusCodeChangeDateTime": wire::compact(now), "isAuthorized": false,
                                     "isRefundable": false},
                    "paymentOutput": {"amountOfMoney": {"amount": 0, "currencyCode": "EUR"}, "paymentMethod": "redirect"},
                },
            });
            (
                Reply {
                    status: 204,
                    body: None,
                },
                vec![],
                false,
                Some((url, body.to_string().into_bytes())),
            )
        }
    }
}

/// The payment base for an id `<10 digits>_0` (or the bare 10 digits).
fn find(st: &State, id: &str) -> Option<String> {
    let base = match id.split_once('_') {
        Some((b, "0")) => b,
        Some(_) => return None,
        None => id,
    };
    st.payments.contains_key(base).then(|| base.to_string())
}

fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for p in path.split('.') {
        cur = cur.get(p)?;
        if cur.is_null() {
            return None;
        }
    }
    Some(cur)
}

fn opt_str(v: &Value, path: &str, max: usize) -> Result<Option<String>, Reply> {
    match at(v, path) {
        None => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.clone())),
        Some(Value::String(_)) => Err(invalid(
            path,
            &format!("{path} is longer than {max} characters"),
        )),
        Some(_) => Err(invalid(path, &format!("{path} must be a string"))),
    }
}

fn opt_int(v: &Value, path: &str, min: i64, max: i64) -> Result<Option<i64>, Reply> {
    match at(v, path) {
        None => Ok(None),
        Some(x) => match x.as_i64() {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            Some(_) => Err(invalid(
                path,
                &format!("{path} must be between {min} and {max}"),
            )),
            None => Err(invalid(path, &format!("{path} must be an integer"))),
        },
    }
}

fn opt_bool(v: &Value, path: &str) -> Result<Option<bool>, Reply> {
    match at(v, path) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(invalid(path, &format!("{path} must be true or false"))),
    }
}

fn absolute_url(path: &str, url: &str) -> Result<(), Reply> {
    match reqwest::Url::parse(url) {
        Ok(u)
            if url.contains("://") && (u.has_host() || !matches!(u.scheme(), "http" | "https")) =>
        {
            Ok(())
        }
        _ => Err(invalid(
            path,
            &format!("{path} must be an absolute URL with a protocol"),
        )),
    }
}

fn create_checkout(st: &mut State, input: &Value, host: &str, now: i64) -> Result<Reply, Reply> {
    if at(input, "order").is_none() {
        return Err(missing("order"));
    }
    if at(input, "order.amountOfMoney").is_none() {
        return Err(missing("order.amountOfMoney"));
    }
    let Some(amount) = opt_int(input, "order.amountOfMoney.amount", 1, 999_999_999_999)? else {
        return Err(missing("order.amountOfMoney.amount"));
    };
    let Some(currency) = opt_str(input, "order.amountOfMoney.currencyCode", 3)? else {
        return Err(missing("order.amountOfMoney.currencyCode"));
    };
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(invalid(
            "order.amountOfMoney.currencyCode",
            "currencyCode must be an ISO 4217 code",
        ));
    }
    let product = opt_int(
        input,
        "redirectPaymentMethodSpecificInput.paymentProductId",
        0,
        99_999,
    )?;
    if let Some(p) = product
        && p != 3103
    {
        return Err(invalid(
            "redirectPaymentMethodSpecificInput.paymentProductId",
            "This platform offers payment product 3103 (Bimpli CADO) only",
        ));
    }
    if currency != "EUR" {
        return Err(invalid(
            "order.amountOfMoney.currencyCode",
            "Payment product 3103 accepts EUR only",
        ));
    }
    let merchant_reference = opt_str(input, "order.references.merchantReference", 40)?;
    let merchant_parameters = opt_str(input, "order.references.merchantParameters", 1000)?;
    opt_str(input, "order.references.operationGroupReference", 50)?;
    opt_str(input, "order.customer.contactDetails.emailAddress", 255)?;
    opt_str(input, "order.customer.locale", 6)?;
    opt_str(input, "order.customer.merchantCustomerId", 50)?;
    let locale = opt_str(input, "hostedCheckoutSpecificInput.locale", 6)?;
    let mut return_url = opt_str(input, "hostedCheckoutSpecificInput.returnUrl", 200)?;
    if let Some(u) = &return_url {
        absolute_url("hostedCheckoutSpecificInput.returnUrl", u)?;
    }
    if return_url.is_none() {
        let path = "redirectPaymentMethodSpecificInput.redirectionData.returnUrl";
        return_url = opt_str(input, path, 200)?;
        if let Some(u) = &return_url {
            absolute_url(path, u)?;
        }
    }
    let session_timeout =
        opt_int(input, "hostedCheckoutSpecificInput.sessionTimeout", 1, 1440)?.unwrap_or(180);
    let attempts = opt_int(
        input,
        "hostedCheckoutSpecificInput.allowedNumberOfPaymentAttempts",
        1,
        10,
    )?
    .unwrap_or(10);
    let complete_remaining = opt_bool(
        input,
        "redirectPaymentMethodSpecificInput.paymentProduct3103SpecificInput.completeRemainingPaymentAmount",
    )?
    .unwrap_or(false);
    let mode = opt_str(
        input,
        "cardPaymentMethodSpecificInput.authorizationMode",
        32,
    )?;
    if let Some(m) = &mode
        && !matches!(
            m.as_str(),
            "FINAL_AUTHORIZATION" | "PRE_AUTHORIZATION" | "SALE"
        )
    {
        return Err(invalid(
            "cardPaymentMethodSpecificInput.authorizationMode",
            "authorizationMode must be FINAL_AUTHORIZATION, PRE_AUTHORIZATION or SALE",
        ));
    }
    let mut webhook_urls = Vec::new();
    match at(input, "feedbacks.webhooksUrls") {
        None => {}
        Some(Value::Array(items)) if items.len() <= 5 => {
            for (i, item) in items.iter().enumerate() {
                let path = format!("feedbacks.webhooksUrls[{i}]");
                match item.as_str() {
                    Some(u) if u.len() <= 325 => {
                        absolute_url(&path, u)?;
                        webhook_urls.push(u.to_string());
                    }
                    _ => {
                        return Err(invalid(
                            &path,
                            "Each webhook URL is a string of at most 325 characters",
                        ));
                    }
                }
            }
        }
        Some(_) => {
            return Err(invalid("feedbacks.webhooksUrls", "At most 5 webhook URLs"));
        }
    }
    if let Some(u) = opt_str(input, "feedbacks.webhookUrl", 325)? {
        absolute_url("feedbacks.webhookUrl", &u)?;
        webhook_urls.push(u);
    }

    let id = st.fresh_base();
    let merchant_reference = merchant_reference.unwrap_or_else(|| format!("SBX{id}"));
    let returnmac = uuid::Uuid::new_v4().to_string();
    let checkout = Checkout {
        id: id.clone(),
        returnmac: returnmac.clone(),
        amount,
        currency,
        merchant_reference: merchant_reference.clone(),
        merchant_parameters,
        return_url,
        locale,
        session_timeout_min: session_timeout,
        allowed_attempts: attempts,
        complete_remaining,
        card_needs_capture: matches!(
            mode.as_deref(),
            Some("FINAL_AUTHORIZATION" | "PRE_AUTHORIZATION")
        ),
        webhook_urls,
        created_ms: now,
        status: CheckoutStatus::InProgress,
        failed_attempts: 0,
        tenders: vec![],
        rejected: vec![],
    };
    st.add_checkout(id.clone(), checkout);
    let partial = format!("{host}/hostedcheckout/{id}");
    Ok(Reply::ok(
        200,
        json!({
            "RETURNMAC": returnmac,
            "hostedCheckoutId": id,
            "merchantReference": merchant_reference,
            "redirectUrl": format!("http://{partial}"),
            "partialRedirectUrl": partial,
        }),
    ))
}

fn refund(
    app: &App,
    st: &mut State,
    id: &str,
    input: &Value,
    now: i64,
) -> Result<(Reply, Vec<Event>), Reply> {
    let Some(base) = find(st, id) else {
        return Err(unknown_payment(id));
    };
    let Some(p) = st.payments.get(&base) else {
        return Err(unknown_payment(id));
    };
    let amount = opt_int(input, "amountOfMoney.amount", i64::MIN, i64::MAX)?;
    let currency = opt_str(input, "amountOfMoney.currencyCode", 3)?;
    if at(input, "amountOfMoney").is_some() && (amount.is_none() || currency.is_none()) {
        return Err(missing(if amount.is_none() {
            "amountOfMoney.amount"
        } else {
            "amountOfMoney.currencyCode"
        }));
    }
    if let Some(c) = &currency
        && c != &p.currency
    {
        return Err(invalid(
            "amountOfMoney.currencyCode",
            "The currency differs from the payment's",
        ));
    }
    if let Some(a) = amount
        && !(1..=999_999_999_999).contains(&a)
    {
        return Err(invalid(
            "amountOfMoney.amount",
            "amount must be a positive number of cents",
        ));
    }
    let reason = opt_str(input, "reason", 100)?;
    let reference = match opt_str(input, "operationReferences.merchantReference", 40)? {
        Some(r) => Some(r),
        None => opt_str(input, "references.merchantReference", 40)?,
    };
    if p.status != PayStatus::Captured {
        return Err(not_allowed("the payment is not captured"));
    }
    let (refunded, pending) = st.refund_totals(&base);
    let left = p.amount - refunded - pending;
    let amount = amount.unwrap_or(left);
    if left <= 0 || amount > left {
        return Err(not_allowed("the refund exceeds what is left"));
    }
    let declined = test_card(&p.card_number).is_some_and(|c| c.refunds_declined);
    let currency = p.currency.clone();
    let Some(p) = st.payments.get_mut(&base) else {
        return Err(unknown_payment(id));
    };
    let refund_id = p.next_op_id();
    let delay = i64::try_from(app.cfg.refund_delay_ms).unwrap_or(i64::MAX);
    let refund = Refund {
        id: refund_id.clone(),
        payment_base: base.clone(),
        amount,
        currency,
        status: if declined {
            RefundStatus::Rejected
        } else {
            RefundStatus::Requested
        },
        requested_ms: now,
        due_ms: now.saturating_add(delay),
        status_ms: now,
        merchant_reference: reference,
        reason,
    };
    st.add_refund(refund);
    let (Some(p), Some(r)) = (st.payments.get(&base), st.refunds.get(&refund_id)) else {
        return Err(unknown_payment(id));
    };
    let body = wire::refund_response(st, p, r);
    if declined {
        // RefundPayment's contract answers 201, 400 or 404: a refused refund is a 400 RefundErrorResponse whose
        // `refundResult` carries the REJECTED refund.
        let mut error = wire::error_body(wire::api_error(
            400,
            "30521001",
            "REFUND_DECLINED",
            "PAYMENT_PLATFORM_ERROR",
            "The issuer declined the refund",
            None,
            false,
        ));
        if let Some(obj) = error.as_object_mut() {
            obj.insert("refundResult".into(), body);
        }
        return Ok((
            Reply::ok(400, error),
            vec![Event::Refund {
                kind: "refund.rejected",
                id: refund_id,
            }],
        ));
    }
    Ok((
        Reply::ok(201, body),
        vec![Event::Refund {
            kind: "refund.refund_requested",
            id: refund_id,
        }],
    ))
}

fn capture(
    st: &mut State,
    id: &str,
    input: &Value,
    now: i64,
) -> Result<(Reply, Vec<Event>), Reply> {
    let Some(base) = find(st, id) else {
        return Err(unknown_payment(id));
    };
    let amount = opt_int(input, "amount", 1, 999_999_999_999)?;
    let Some(p) = st.payments.get_mut(&base) else {
        return Err(unknown_payment(id));
    };
    if p.status != PayStatus::PendingCapture {
        return Err(not_allowed("only an authorised payment can be captured"));
    }
    if let Some(a) = amount
        && a != p.amount
    {
        return Err(invalid(
            "amount",
            "The sandbox captures the whole authorised amount only",
        ));
    }
    let capture_id = p.next_op_id();
    p.status = PayStatus::Captured;
    p.status_ms = now;
    p.capture_id = Some(capture_id.clone());
    let body = wire::capture_response(p, &capture_id);
    Ok((
        Reply::ok(201, body),
        vec![Event::Payment {
            kind: "payment.captured",
            base,
        }],
    ))
}

fn cancel(st: &mut State, id: &str, now: i64) -> Result<(Reply, Vec<Event>), Reply> {
    let Some(base) = find(st, id) else {
        return Err(unknown_payment(id));
    };
    let Some(p) = st.payments.get_mut(&base) else {
        return Err(unknown_payment(id));
    };
    if p.status != PayStatus::PendingCapture {
        return Err(Reply::error(
            409,
            "30041004",
            "PAYMENT_CLOSED",
            "Cancellation is not allowed because payment is closed",
            None,
        ));
    }
    let cancel_id = p.next_op_id();
    p.status = PayStatus::Cancelled;
    p.status_ms = now;
    p.cancel_id = Some(cancel_id);
    let Some(p) = st.payments.get(&base) else {
        return Err(unknown_payment(id));
    };
    let body = json!({"payment": wire::payment_response(st, p)});
    Ok((
        Reply::ok(200, body),
        vec![Event::Payment {
            kind: "payment.cancelled",
            base,
        }],
    ))
}
