//! The control routes, unsigned and answered to loopback clients only: the fault switchboard (`/sandbox/faults`)
//! and the state dump (`/sandbox/state`). The module documentation of [`crate::sandbox`] describes them.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State as AxState};
use axum::http::Method;
use axum::response::Response;
use serde_json::{Value, json};

use crate::sandbox::app::App;
use crate::sandbox::conn::Conn;
use crate::sandbox::faults::{Rule, check};
use crate::sandbox::reply::{json_response, simple_error};
use crate::sandbox::{webhooks, wire};

fn loopback_only(conn: &Conn) -> Option<Response> {
    if conn.remote.ip().is_loopback() {
        None
    } else {
        Some(simple_error(
            403,
            "FORBIDDEN",
            "The sandbox control routes answer loopback clients only",
        ))
    }
}

/// `POST|GET|DELETE /sandbox/faults`.
pub(crate) async fn faults_route(
    AxState(app): AxState<Arc<App>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    method: Method,
    body: Bytes,
) -> Response {
    if let Some(r) = loopback_only(&conn) {
        return r;
    }
    match method {
        Method::GET => {}
        Method::DELETE => app.faults().clear(),
        Method::POST => {
            let rules: Vec<Rule> = match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Array(items)) => {
                    match items.into_iter().map(serde_json::from_value).collect() {
                        Ok(v) => v,
                        Err(e) => return simple_error(400, "INVALID_VALUE", &e.to_string()),
                    }
                }
                Ok(v) => match serde_json::from_value(v) {
                    Ok(r) => vec![r],
                    Err(e) => return simple_error(400, "INVALID_VALUE", &e.to_string()),
                },
                Err(e) => return simple_error(400, "INVALID_JSON", &e.to_string()),
            };
            for r in &rules {
                if let Err(e) = check(r) {
                    return simple_error(400, "INVALID_VALUE", &e);
                }
            }
            let mut board = app.faults();
            for r in rules {
                board.add(r);
            }
        }
        _ => return simple_error(405, "METHOD_NOT_ALLOWED", "Use GET, POST or DELETE"),
    }
    let rules = app.faults().rules.clone();
    json_response(200, &json!({"rules": rules}))
}

/// `GET /sandbox/state`.
pub(crate) async fn state_route(
    AxState(app): AxState<Arc<App>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    method: Method,
) -> Response {
    if let Some(r) = loopback_only(&conn) {
        return r;
    }
    if method != Method::GET {
        return simple_error(405, "METHOD_NOT_ALLOWED", "Use GET");
    }
    let st = webhooks::settled(&app);
    json_response(200, &wire::state_dump(&st))
}
