//! Answers: the `Reply` an operation makes, the platform's error bodies, JSON responses, and reading the fields
//! of a request body with the platform's validation errors.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::wire;

/// An answer: status and JSON body (none for 204).
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Option<Value>,
}

impl Reply {
    pub(crate) fn ok(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
        }
    }

    pub(crate) fn error(
        status: u16,
        code: &str,
        id: &str,
        message: &str,
        property: Option<&str>,
    ) -> Reply {
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
pub(crate) fn invalid(property: &str, message: &str) -> Reply {
    Reply::error(400, "21000020", "INVALID_VALUE", message, Some(property))
}

/// 400 PARAMETER_NOT_FOUND_IN_REQUEST.
pub(crate) fn missing(property: &str) -> Reply {
    Reply::error(
        400,
        "21000010",
        "PARAMETER_NOT_FOUND_IN_REQUEST",
        "The parameter shown above was not found in the request",
        Some(property),
    )
}

/// 400 ACTION_NOT_ALLOWED_ON_TRANSACTION, as the platform answers refunds beyond what is left.
pub(crate) fn not_allowed(detail: &str) -> Reply {
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

pub(crate) fn unknown_payment(id: &str) -> Reply {
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

pub(crate) fn to_response(reply: Reply) -> Response {
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

/// 409 for a repeat while the first request with the key still runs. `errorCode` 30001002 ("duplicate request")
/// is what the current official SDKs turn into an IdempotenceException; the older SDKs looked for 1409, which
/// stays in the deprecated `code`.
pub(crate) fn conflict(first_ms: i64) -> Response {
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

pub(crate) fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for p in path.split('.') {
        cur = cur.get(p)?;
        if cur.is_null() {
            return None;
        }
    }
    Some(cur)
}

pub(crate) fn opt_str(v: &Value, path: &str, max: usize) -> Result<Option<String>, Reply> {
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

pub(crate) fn opt_int(v: &Value, path: &str, min: i64, max: i64) -> Result<Option<i64>, Reply> {
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

pub(crate) fn opt_bool(v: &Value, path: &str) -> Result<Option<bool>, Reply> {
    match at(v, path) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(invalid(path, &format!("{path} must be true or false"))),
    }
}

pub(crate) fn absolute_url(path: &str, url: &str) -> Result<(), Reply> {
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
