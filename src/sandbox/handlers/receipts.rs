//! Receipts for the customer's phone, in sandbox mode: the till publishes a receipt (`POST /sandbox/receipts`,
//! loopback only, JSON `{"title", "lines": [...], "pdf": base64}`) and shows its address as a QR code; the phone
//! opens `/receipts/{id}` (the lines, and the PDF at `/receipts/{id}/pdf`). The id is 128 random bits, the only key;
//! receipts are kept in memory, the last 200. A receipt holds nothing secret: the till sends what it prints.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, State as AxState};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use serde_json::{Value, json};

use super::control::loopback_only;
use super::page_html::{escape, html};
use crate::sandbox::app::{App, PublishedReceipt};
use crate::sandbox::conn::Conn;
use crate::sandbox::reply::{json_response, simple_error};

/// Lines of a receipt, and characters of a line or a title, at most.
const MAX_LINES: usize = 300;
const MAX_LINE: usize = 200;
/// A receipt's PDF, at most.
const MAX_PDF: usize = 512 * 1024;

fn bad(field: &str, why: &str) -> Response {
    simple_error(400, "INVALID_VALUE", &format!("{field}: {why}"))
}

/// `POST /sandbox/receipts`: keeps a receipt and answers its id and the address a phone opens.
pub(crate) async fn publish(
    AxState(app): AxState<Arc<App>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = loopback_only(&conn, &headers, &method) {
        return refused;
    }
    if method != Method::POST {
        return simple_error(405, "METHOD_NOT_ALLOWED", "POST a receipt here");
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return bad("body", "a JSON object {title, lines, pdf} is expected");
    };
    let title = match v.get("title").and_then(Value::as_str) {
        Some(t) if !t.is_empty() && t.chars().count() <= MAX_LINE => t.to_string(),
        _ => return bad("title", "1 to 200 characters"),
    };
    let Some(lines) = v.get("lines").and_then(Value::as_array) else {
        return bad("lines", "an array of strings is expected");
    };
    if lines.len() > MAX_LINES {
        return bad("lines", "300 lines at most");
    }
    let mut text = Vec::with_capacity(lines.len());
    for l in lines {
        match l.as_str() {
            Some(s) if s.chars().count() <= MAX_LINE => text.push(s.to_string()),
            _ => return bad("lines", "each line is a string of 200 characters at most"),
        }
    }
    let pdf = match v.get("pdf").and_then(Value::as_str) {
        None => None,
        Some(b) => match base64::engine::general_purpose::STANDARD.decode(b) {
            Ok(bytes) if bytes.len() <= MAX_PDF && bytes.starts_with(b"%PDF-") => Some(bytes),
            _ => return bad("pdf", "a PDF of 512 KiB at most, in base64"),
        },
    };
    let id = format!("{:032x}", rand::random::<u128>());
    // The phone opens the address set for it (a LAN address), else the one the till called.
    let host = app
        .page_host
        .clone()
        .or_else(|| {
            headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_else(|| app.cfg.listen.clone());
    let url = format!("http://{host}/receipts/{id}");
    app.publish_receipt(PublishedReceipt {
        id: id.clone(),
        title,
        lines: text,
        pdf,
    });
    tracing::info!(%url, "receipt published for the phone");
    json_response(201, &json!({ "id": id, "url": url }))
}

fn not_found() -> Response {
    html(
        StatusCode::NOT_FOUND,
        "<!doctype html><meta charset=utf-8><title>Reçu introuvable</title><p>Ce reçu n'existe pas ou plus : demandez-le à nouveau en caisse.</p>".into(),
    )
}

/// `GET /receipts/{id}`: the receipt as a page for a phone.
pub(crate) async fn page(AxState(app): AxState<Arc<App>>, Path(id): Path<String>) -> Response {
    let Some(r) = app.receipt(&id) else {
        return not_found();
    };
    let lines: String = r.lines.iter().map(|l| format!("{}\n", escape(l))).collect();
    let pdf = if r.pdf.is_some() {
        format!(
            "<p><a href=\"/receipts/{}/pdf\" download=\"{}.pdf\">Télécharger le PDF</a></p>",
            escape(&r.id),
            escape(&r.title)
        )
    } else {
        String::new()
    };
    html(
        StatusCode::OK,
        format!(
            "<!doctype html><html lang=fr><meta charset=utf-8><meta name=viewport content=\"width=device-width\"><title>{title}</title><style>body{{font-family:sans-serif;margin:1em;max-width:30em}}pre{{font-size:0.85em;white-space:pre-wrap}}</style><h1>{title}</h1><pre>{lines}</pre>{pdf}</html>",
            title = escape(&r.title),
        ),
    )
}

/// `GET /receipts/{id}/pdf`: its PDF.
pub(crate) async fn pdf(AxState(app): AxState<Arc<App>>, Path(id): Path<String>) -> Response {
    let Some(bytes) = app.receipt(&id).and_then(|r| r.pdf) else {
        return not_found();
    };
    let mut r = Response::new(Body::from(bytes));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
