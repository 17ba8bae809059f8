//! Webhook verification: `X-GCS-Signature` is Base64(HMAC-SHA256(webhook secret, raw body)). The check runs over
//! the exact bytes received, in constant time, before anything is parsed; then the event must say `apiVersion` v1.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::Mac;
use reqwest::header::HeaderMap;
use thiserror::Error;

use crate::direct::credentials::Secret;
use crate::direct::signing::{hmac_sha256, new_mac};
use crate::direct::wire::WebhookEvent;
use crate::i18n::{Lang, Localize};

/// The header that carries the body's signature.
pub const SIGNATURE_HEADER: &str = "X-GCS-Signature";
/// The header that names the webhook key.
pub const KEY_ID_HEADER: &str = "X-GCS-KeyId";
/// The only event version this client reads.
pub const API_VERSION: &str = "v1";

/// Why a webhook was refused. No variant holds the secret or the signature received.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WebhookError {
    /// A signing header is missing or sent twice.
    #[error("webhook header {0} is missing or repeated")]
    Header(&'static str),
    /// The key id is not the configured one.
    #[error("webhook key id {0:?} is not the configured key")]
    UnknownKey(String),
    /// The signature does not match the body.
    #[error("webhook signature does not match the body")]
    BadSignature,
    /// The body is not a webhook event.
    #[error("webhook body is not a valid event: {0}")]
    Undecodable(String),
    /// The event has another `apiVersion` than v1.
    #[error("webhook apiVersion {0:?} is not v1")]
    ApiVersion(String),
}

impl Localize for WebhookError {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (WebhookError::Header(h), Lang::Fr) => {
                format!("Notification Worldline refusée : en-tête {h} absent ou répété")
            }
            (WebhookError::UnknownKey(k), Lang::Fr) => format!(
                "Notification Worldline refusée : clé « {k} » inconnue ; vérifiez l'identifiant de clé webhook dans Réglages"
            ),
            (WebhookError::BadSignature, Lang::Fr) => {
                "Notification Worldline refusée : signature invalide ; vérifiez le secret webhook dans Réglages"
                    .into()
            }
            (WebhookError::Undecodable(_), Lang::Fr) => {
                "Notification Worldline illisible".into()
            }
            (WebhookError::ApiVersion(v), Lang::Fr) => {
                format!("Notification Worldline d'une version non prise en charge ({v})")
            }
            (e, Lang::En) => e.to_string(),
        }
    }
}

/// `Base64(HMAC-SHA256(secret, body))`: the `X-GCS-Signature` of a body.
pub fn signature(secret: &str, body: &[u8]) -> String {
    STANDARD.encode(hmac_sha256(secret.as_bytes(), body))
}

/// Whether `signature_b64` is the signature of `body` under `secret`. The comparison of the MACs is constant
/// time; a signature that is not Base64 is simply wrong.
pub fn verify_signature(secret: &str, body: &[u8], signature_b64: &str) -> bool {
    let Ok(expected) = STANDARD.decode(signature_b64.trim()) else {
        return false;
    };
    let mut mac = new_mac(secret.as_bytes());
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// Parses a verified body as an event and checks `apiVersion` is v1.
pub fn parse_event(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let event: WebhookEvent =
        serde_json::from_slice(body).map_err(|e| WebhookError::Undecodable(e.to_string()))?;
    if event.api_version != API_VERSION {
        return Err(WebhookError::ApiVersion(event.api_version));
    }
    Ok(event)
}

/// Verifies webhooks signed with one key (id and secret, as shown in the Merchant Portal).
#[derive(Debug, Clone)]
pub struct WebhookVerifier {
    key_id: String,
    secret: Secret,
}

impl WebhookVerifier {
    /// A verifier for the key `key_id` with its secret.
    pub fn new(key_id: impl Into<String>, secret: Secret) -> WebhookVerifier {
        WebhookVerifier {
            key_id: key_id.into(),
            secret,
        }
    }

    /// Checks the key id and the signature headers against the raw body, then parses the event.
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent, WebhookError> {
        let key_id = single_header(headers, KEY_ID_HEADER)?;
        let signature_b64 = single_header(headers, SIGNATURE_HEADER)?;
        self.verify_parts(key_id, signature_b64, body)
    }

    /// As [`WebhookVerifier::verify`], with the two header values already read.
    pub fn verify_parts(
        &self,
        key_id: &str,
        signature_b64: &str,
        body: &[u8],
    ) -> Result<WebhookEvent, WebhookError> {
        if key_id != self.key_id {
            return Err(WebhookError::UnknownKey(key_id.to_owned()));
        }
        if !verify_signature(self.secret.expose(), body, signature_b64) {
            return Err(WebhookError::BadSignature);
        }
        parse_event(body)
    }
}

/// The one value of a header (any case); missing, repeated or non-text is an error.
fn single_header<'h>(headers: &'h HeaderMap, name: &'static str) -> Result<&'h str, WebhookError> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (Some(v), None) => v.to_str().map_err(|_| WebhookError::Header(name)),
        _ => Err(WebhookError::Header(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use sha2::{Digest, Sha256};

    const W1: &[u8] = include_bytes!("../../tests/data/direct/webhook-w1.json");
    const W2: &[u8] = include_bytes!("../../tests/data/direct/webhook-w2.json");
    const SECRET: &str = "hello+world";

    fn sha256_hex(b: &[u8]) -> String {
        Sha256::digest(b)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect()
    }

    #[test]
    fn fixtures_are_the_exact_sdk_bytes() {
        assert_eq!(W1.len(), 765);
        assert_eq!(
            sha256_hex(W1),
            "2882e2ba85e87c14a16cff1ff9351d79336bb6eaf998608d2e8d95b06ae72189"
        );
        assert_eq!(W2.len(), 168);
        assert_eq!(
            sha256_hex(W2),
            "48996347f02eda0a16cc8468de7b57c062cff8cae51daa61cd0575e558ae20b3"
        );
    }

    #[test]
    fn w1_and_w2_vectors() {
        assert_eq!(
            signature(SECRET, W1),
            "2S7doBj/GnJnacIjSJzr5fxGM5xmfQyFAwxv1I53ZEk="
        );
        assert_eq!(
            signature(SECRET, W2),
            "6sFZob2yfSpd25MiutFRgBdx8dfbgxs+ZFp5kza1QR8="
        );
        assert!(verify_signature(
            SECRET,
            W1,
            "2S7doBj/GnJnacIjSJzr5fxGM5xmfQyFAwxv1I53ZEk="
        ));
        assert!(verify_signature(
            SECRET,
            W2,
            "6sFZob2yfSpd25MiutFRgBdx8dfbgxs+ZFp5kza1QR8="
        ));
        // One byte changed, the wrong secret, or a signature that is not Base64: refused.
        let mut tampered = W1.to_vec();
        tampered[20] ^= 1;
        assert!(!verify_signature(
            SECRET,
            &tampered,
            "2S7doBj/GnJnacIjSJzr5fxGM5xmfQyFAwxv1I53ZEk="
        ));
        assert!(!verify_signature(
            "hello world",
            W1,
            "2S7doBj/GnJnacIjSJzr5fxGM5xmfQyFAwxv1I53ZEk="
        ));
        assert!(!verify_signature(SECRET, W1, "not base64!"));
    }

    #[test]
    fn empty_body_signature_is_the_credential_check_vector() {
        assert_eq!(
            signature(SECRET, b""),
            "FHbwt14Rjkjdn51x5EiyjgVQ7gN6ftgh5Y2l0KpQmLw="
        );
    }

    fn headers(key: &str, sig: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-gcs-keyid", HeaderValue::from_str(key).unwrap());
        h.insert("X-GCS-Signature", HeaderValue::from_str(sig).unwrap());
        h
    }

    #[test]
    fn verifier_checks_headers_key_signature_and_version() {
        let v = WebhookVerifier::new("dummy-key-id", Secret::new(SECRET));
        let event = v
            .verify(
                &headers(
                    "dummy-key-id",
                    "2S7doBj/GnJnacIjSJzr5fxGM5xmfQyFAwxv1I53ZEk=",
                ),
                W1,
            )
            .unwrap();
        assert_eq!(event.event_type, "payment.paid");
        assert_eq!(event.id, "8ee793f6-4553-4749-85dc-f2ef095c5ab0");
        let payment = event.payment.unwrap();
        assert_eq!(payment.id, "00000200000143570012");
        assert_eq!(
            payment.status,
            Some(crate::direct::status::PaymentStatus::Unknown("PAID".into()))
        );

        assert_eq!(
            v.verify(&headers("other", "x"), W1).unwrap_err(),
            WebhookError::UnknownKey("other".into())
        );
        assert_eq!(
            v.verify(
                &headers(
                    "dummy-key-id",
                    "6sFZob2yfSpd25MiutFRgBdx8dfbgxs+ZFp5kza1QR8="
                ),
                W1
            )
            .unwrap_err(),
            WebhookError::BadSignature
        );
        let mut repeated = headers(
            "dummy-key-id",
            "2S7doBj/GnJnacIjSJzr5fxGM5xmfQyFAwxv1I53ZEk=",
        );
        repeated.append("X-GCS-Signature", HeaderValue::from_static("x"));
        assert_eq!(
            v.verify(&repeated, W1).unwrap_err(),
            WebhookError::Header(SIGNATURE_HEADER)
        );
        assert_eq!(
            v.verify(&HeaderMap::new(), W1).unwrap_err(),
            WebhookError::Header(KEY_ID_HEADER)
        );
    }

    #[test]
    fn api_version_must_be_v1() {
        let body = br#"{"apiVersion":"v2","id":"e","type":"payment.captured"}"#;
        let v = WebhookVerifier::new("k", Secret::new("s"));
        let sig = signature("s", body);
        assert_eq!(
            v.verify_parts("k", &sig, body).unwrap_err(),
            WebhookError::ApiVersion("v2".into())
        );
        assert!(matches!(
            parse_event(b"{not json"),
            Err(WebhookError::Undecodable(_))
        ));
        let ok = br#"{"apiVersion":"v1","id":"e","type":"refund.refund_requested","refund":{"id":"3254564310_2","status":"REFUND_REQUESTED","statusOutput":{"statusCode":81}},"extra":1}"#;
        let event = v.verify_parts("k", &signature("s", ok), ok).unwrap();
        assert_eq!(event.refund.unwrap().id, "3254564310_2");
    }
}
