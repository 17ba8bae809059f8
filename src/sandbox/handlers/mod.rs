//! The handlers, one file per group of routes, and the `/v2/{merchantId}/...` entry point here: authentication,
//! body handling, idempotence and faults, then the operation, then storing what it changed before answering.

mod checkouts;
pub(crate) mod control;
pub(crate) mod page;
mod page_html;
mod payments;
pub(crate) mod receipts;
mod services;

use std::io::Read as _;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State as AxState};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use serde_json::{Value, json};

use super::app::App;
use super::auth::{self, AuthError, SignedParts};
use super::conn::Conn;
use super::faults::Plan;
use super::model::{Event, State, StoredResponse, now_ms};
use super::reply::{Reply, conflict, invalid, simple_error, to_response};
use super::webhooks;

/// Largest accepted request body, before and after gunzip.
const MAX_BODY: usize = 1024 * 1024;
/// Longest accepted idempotence key (the platform's limit).
const MAX_IDEMPOTENCE_KEY: usize = 40;

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
    if !auth::date_is_fresh(signed.date, now_ms()) {
        return simple_error(
            403,
            "AUTHORIZATION_FAILED",
            "The Date header is more than 15 minutes away from the platform's clock",
        );
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

    // The hosted page's links carry the address set for them (a LAN address a phone can open), else the one called.
    let host = app
        .page_host
        .clone()
        .or_else(|| header_str(&parts.headers, "host").map(str::to_string))
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
        if let Some(stored) = st.idempotence().get(k) {
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
    if let Some(from) = plan.hold_from {
        let released = app.faults().released_after(from);
        released.await;
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
        let mut st = webhooks::settled(&app);
        let now = now_ms();
        let (reply, events, hook) = run(&app, &mut st, &route, &body, &host, now);
        if let Some(k) = guard.key.take() {
            // The answer to replay is stored with the change it answers: one line of the change log.
            st.in_progress.remove(&k);
            st.store_response(
                &k,
                StoredResponse {
                    first_ms: now,
                    status: reply.status,
                    body: reply
                        .body
                        .as_ref()
                        .map(Value::to_string)
                        .unwrap_or_default(),
                },
            );
        }
        // A change is answered only once it is stored: when that fails it is undone and the caller gets a 500,
        // so no answered refund vanishes after a restart, and a repeat with the same key runs it again.
        match webhooks::commit(&app, &mut st, events, plan.store_error) {
            Ok(()) => (reply, hook),
            Err(_) => (
                Reply::error(
                    500,
                    "1000",
                    "INTERNAL_SERVER_ERROR",
                    "The platform could not store the operation; nothing was done",
                    None,
                ),
                None,
            ),
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

/// What an operation did: the answer, webhooks to send, and a test webhook to send.
type Outcome = (Reply, Vec<Event>, Option<(String, Vec<u8>)>);

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
                None,
            );
        }
    };
    let read = |r: Reply| (r, vec![], None);
    let changed = |r: Result<(Reply, Vec<Event>), Reply>| match r {
        Ok((r, events)) => (r, events, None),
        Err(r) => (r, vec![], None),
    };
    match route {
        Route::TestConnection => read(Reply::ok(200, json!({"result": "OK"}))),
        Route::CreateCheckout => match checkouts::create(st, &input, host, now) {
            Ok(r) | Err(r) => read(r),
        },
        Route::GetCheckout(id) => read(checkouts::get(st, id)),
        Route::GetPayment(id) => read(payments::get(st, id)),
        Route::GetDetails(id) => read(payments::details(st, id)),
        Route::GetRefunds(id) => read(payments::refunds(st, id)),
        Route::GetCaptures(id) => read(payments::captures(st, id)),
        Route::Refund(id) => changed(payments::refund(
            st,
            id,
            &input,
            now,
            app.cfg.refund_delay_ms,
        )),
        Route::Capture(id) => changed(payments::capture(st, id, &input, now)),
        Route::Cancel(id) => changed(payments::cancel(st, id, now)),
        Route::ValidateCredentials => read(services::validate_credentials(app, &input)),
        Route::SendTest => match services::send_test(app, &input, now) {
            Ok(hook) => (
                Reply {
                    status: 204,
                    body: None,
                },
                vec![],
                Some(hook),
            ),
            Err(r) => read(r),
        },
    }
}
