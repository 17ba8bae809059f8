//! The control routes, unsigned and answered to loopback clients only: the fault switchboard (`/sandbox/faults`)
//! and the state dump (`/sandbox/state`). The module documentation of [`crate::sandbox`] describes them.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State as AxState};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use serde_json::{Value, json};

use crate::sandbox::app::App;
use crate::sandbox::conn::Conn;
use crate::sandbox::faults::{Rule, check};
use crate::sandbox::reply::{json_response, simple_error};
use crate::sandbox::{webhooks, wire};

/// The control routes answer only a program on this machine that asks on purpose: a loopback client, a `Host`
/// that names loopback (a DNS-rebound page names its own host), no `Origin` but a loopback one (a web page opened
/// on the till's machine sends its own), and a JSON body for a POST (a page's `text/plain` form needs no
/// preflight).
pub(crate) fn loopback_only(conn: &Conn, headers: &HeaderMap, method: &Method) -> Option<Response> {
    let refuse = |why: &str| Some(simple_error(403, "FORBIDDEN", why));
    if !conn.remote.ip().is_loopback() {
        return refuse("The sandbox control routes answer loopback clients only");
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(host) = header("host")
        && !is_loopback_host(host)
    {
        return refuse("The sandbox control routes answer requests for a loopback host only");
    }
    if let Some(origin) = headers.get("origin").map(|v| v.to_str().unwrap_or("?"))
        && !origin.strip_prefix("http://").is_some_and(is_loopback_host)
    {
        return refuse(
            "The sandbox control routes refuse requests from web pages of other origins",
        );
    }
    if *method == Method::POST
        && !header("content-type").is_some_and(|t| {
            t.split(';')
                .next()
                .is_some_and(|m| m.trim() == "application/json")
        })
    {
        return Some(simple_error(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            "The sandbox control routes take JSON: send Content-Type: application/json",
        ));
    }
    None
}

/// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                host
            }
        })
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `POST|GET|DELETE /sandbox/faults`.
pub(crate) async fn faults_route(
    AxState(app): AxState<Arc<App>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = loopback_only(&conn, &headers, &method) {
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
    headers: HeaderMap,
) -> Response {
    if let Some(r) = loopback_only(&conn, &headers, &method) {
        return r;
    }
    if method != Method::GET {
        return simple_error(405, "METHOD_NOT_ALLOWED", "Use GET");
    }
    let st = webhooks::settled(&app);
    json_response(200, &wire::state_dump(&st))
}
