//! `webhooks/validateCredentials` and `webhooks/sendtest` (`services/testconnection` answers `{"result": "OK"}` in
//! the dispatcher).

use serde_json::{Value, json};

use crate::sandbox::app::App;
use crate::sandbox::auth;
use crate::sandbox::reply::{Reply, invalid, missing};
use crate::sandbox::wire;

/// `POST webhooks/validateCredentials`: whether the key id and the secret's signature of an empty body match.
pub(super) fn validate_credentials(app: &App, input: &Value) -> Reply {
    let key = input.get("key").and_then(Value::as_str);
    let secret = input.get("secret").and_then(Value::as_str);
    let (Some(key), Some(secret)) = (key, secret) else {
        return missing(if key.is_none() { "key" } else { "secret" });
    };
    let expected = auth::hmac_base64(app.cfg.webhook_secret.as_bytes(), b"");
    let valid = key == app.cfg.webhook_key_id && secret == expected;
    Reply::ok(
        200,
        json!({"result": if valid { "Valid" } else { "Invalid" }}),
    )
}

/// `POST webhooks/sendtest`: the test webhook to send (URL and body), answered 204.
pub(super) fn send_test(app: &App, input: &Value, now: i64) -> Result<(String, Vec<u8>), Reply> {
    let url = match input.get("url") {
        Some(Value::String(u)) => Some(u.clone()),
        Some(Value::Null) | None => app.cfg.webhook_url.clone(),
        Some(_) => return Err(invalid("url", "url must be a string")),
    };
    let Some(url) = url else {
        return Err(missing("url"));
    };
    if reqwest::Url::parse(&url).is_err() {
        return Err(invalid("url", "url must be an absolute URL"));
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
    Ok((url, body.to_string().into_bytes()))
}
