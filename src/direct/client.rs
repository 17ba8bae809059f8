//! The HTTP client: builds the URL, signs, sends, retries as [`crate::direct::retry`] decides, and maps
//! answers to wire types or a [`DirectError`]. It is given a base URL and never knows what runs behind it.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::direct::credentials::Credentials;
use crate::direct::error::DirectError;
use crate::direct::retry::{self, Decision, Outcome, RequestKind, RetryPolicy};
use crate::direct::signing;
use crate::direct::wire::{
    CancelPaymentRequest, CancelPaymentResponse, CapturePaymentRequest, CaptureResponse,
    CreateHostedCheckoutRequest, CreateHostedCheckoutResponse, GetHostedCheckoutResponse,
    PaymentDetailsResponse, PaymentResponse, RefundRequest, RefundResponse, RefundsResponse,
    TestConnection,
};

/// `X-GCS-ServerMetaInfo`: who calls (Base64 JSON).
pub const SERVER_META_INFO_HEADER: &str = "X-GCS-ServerMetaInfo";
/// `X-GCS-Idempotence-Key`.
pub const IDEMPOTENCE_KEY_HEADER: &str = "X-GCS-Idempotence-Key";
/// `X-GCS-Idempotence-Request-Timestamp`: on a replayed answer, when the first request arrived (ms).
pub const IDEMPOTENCE_TIMESTAMP_HEADER: &str = "X-GCS-Idempotence-Request-Timestamp";

/// The longest idempotence key the platform accepts.
pub const IDEMPOTENCE_KEY_MAX_LEN: usize = crate::domain::ids::IDEMPOTENCE_KEY_MAX_LEN;

/// Where the platform is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Environment {
    /// Worldline's pre-production (test) platform.
    Preprod,
    /// Worldline's production platform.
    Production,
    /// Any other base URL (scheme, host, port).
    Custom(Url),
}

impl Environment {
    /// Pre-production base URL.
    pub const PREPROD_URL: &'static str = "https://payment.preprod.direct.worldline-solutions.com";
    /// Production base URL.
    pub const PRODUCTION_URL: &'static str = "https://payment.direct.worldline-solutions.com";

    /// The base URL requests go to.
    pub fn base_url(&self) -> Url {
        match self {
            Environment::Preprod => fixed_url(Self::PREPROD_URL),
            Environment::Production => fixed_url(Self::PRODUCTION_URL),
            Environment::Custom(url) => url.clone(),
        }
    }
}

/// Parses one of the URL constants above.
fn fixed_url(url: &'static str) -> Url {
    match Url::parse(url) {
        Ok(u) => u,
        Err(_) => unreachable!("the environment URL constants are valid"),
    }
}

impl fmt::Display for Environment {
    /// `preprod`, `prod`, or the URL: the form [`Environment::from_str`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Environment::Preprod => f.write_str("preprod"),
            Environment::Production => f.write_str("prod"),
            Environment::Custom(url) => f.write_str(url.as_str()),
        }
    }
}

impl FromStr for Environment {
    type Err = DirectError;

    /// `preprod`, `prod` / `production`, or an `http(s)://` URL.
    fn from_str(s: &str) -> Result<Environment, DirectError> {
        match s.trim() {
            "preprod" | "test" => Ok(Environment::Preprod),
            "prod" | "production" => Ok(Environment::Production),
            other => {
                let url = Url::parse(other).map_err(|e| {
                    DirectError::InvalidRequest(format!("'{other}' is not a URL ({e})"))
                })?;
                if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
                    return Err(DirectError::InvalidRequest(format!(
                        "'{other}' is not an http(s) address"
                    )));
                }
                Ok(Environment::Custom(url))
            }
        }
    }
}

/// An `X-GCS-Idempotence-Key`: the domain's validated key, sent with every attempt of one operation.
pub use crate::domain::IdempotenceKey;

/// Marks an answer the platform replayed for a repeated idempotence key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replayed {
    /// When the first request with this key arrived, ms since 1970 (`X-GCS-Idempotence-Request-Timestamp`).
    pub timestamp_ms: i64,
}

/// The answer to a keyed operation, and whether the platform replayed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Idempotent<T> {
    /// The body.
    pub body: T,
    /// `Some` when this answer repeats an earlier request with the same key.
    pub replayed: Option<Replayed>,
}

/// Timeouts, retries and the name the client gives itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// Limit for opening a connection.
    pub connect_timeout: Duration,
    /// Limit for one whole attempt (send and read the answer).
    pub request_timeout: Duration,
    /// Retries after the first attempt, when [`retry::decide`] allows them.
    pub max_retries: u32,
    /// Delay before the first retry, before jitter; it doubles each time.
    pub retry_base_delay: Duration,
    /// Longest delay between attempts.
    pub retry_max_delay: Duration,
    /// `integrator` in `X-GCS-ServerMetaInfo`: the shop or company running the till.
    pub integrator: String,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(20),
            max_retries: 3,
            retry_base_delay: Duration::from_millis(250),
            retry_max_delay: Duration::from_secs(4),
            integrator: "cadodesk".to_owned(),
        }
    }
}

/// The typed Worldline Direct client. Cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct DirectClient {
    http: reqwest::Client,
    base_url: Url,
    credentials: Credentials,
    server_meta_info: String,
    retry: RetryPolicy,
}

/// One request, ready to be signed and sent as many times as retries allow.
struct Call<'a> {
    method: Method,
    segments: &'a [&'a str],
    body: Option<Vec<u8>>,
    key: Option<&'a IdempotenceKey>,
}

/// A 2xx answer.
struct Answer {
    status: u16,
    body: Vec<u8>,
    replayed: Option<Replayed>,
}

impl DirectClient {
    /// A client for `base_url` (scheme, host, port; a path prefix is kept).
    pub fn new(
        base_url: Url,
        credentials: Credentials,
        options: ClientOptions,
    ) -> Result<DirectClient, DirectError> {
        if !matches!(base_url.scheme(), "http" | "https") || !base_url.has_host() {
            return Err(DirectError::InvalidRequest(format!(
                "'{base_url}' is not an http(s) address"
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .user_agent(concat!("cadodesk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| DirectError::InvalidRequest(format!("HTTP client: {e}")))?;
        Ok(DirectClient {
            http,
            base_url,
            credentials,
            server_meta_info: server_meta_info(&options.integrator),
            retry: RetryPolicy {
                max_retries: options.max_retries,
                base_delay: options.retry_base_delay,
                max_delay: options.retry_max_delay,
                ..RetryPolicy::default()
            },
        })
    }

    /// A client for a named environment.
    pub fn for_environment(
        environment: &Environment,
        credentials: Credentials,
        options: ClientOptions,
    ) -> Result<DirectClient, DirectError> {
        DirectClient::new(environment.base_url(), credentials, options)
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The merchant (PSPID) in every path.
    pub fn merchant_id(&self) -> &str {
        &self.credentials.merchant_id
    }

    /// CreateHostedCheckout: opens a hosted payment page. Not keyed (the platform lists no idempotence for
    /// it), so it is never retried once sent; an unpaid page simply expires.
    pub async fn create_hosted_checkout(
        &self,
        request: &CreateHostedCheckoutRequest,
    ) -> Result<CreateHostedCheckoutResponse, DirectError> {
        let answer = self
            .send(Call {
                method: Method::POST,
                segments: &["hostedcheckouts"],
                body: Some(to_json(request)?),
                key: None,
            })
            .await?;
        decode(&answer)
    }

    /// GetHostedCheckout: where the customer is, and the payment once created.
    pub async fn get_hosted_checkout(
        &self,
        hosted_checkout_id: &str,
    ) -> Result<GetHostedCheckoutResponse, DirectError> {
        self.get(&["hostedcheckouts", hosted_checkout_id]).await
    }

    /// GetPayment.
    pub async fn get_payment(&self, payment_id: &str) -> Result<PaymentResponse, DirectError> {
        self.get(&["payments", payment_id]).await
    }

    /// GetPaymentDetails: the payment and every operation (`Operations`) of its order.
    pub async fn get_payment_details(
        &self,
        payment_id: &str,
    ) -> Result<PaymentDetailsResponse, DirectError> {
        self.get(&["payments", payment_id, "details"]).await
    }

    /// RefundPayment, keyed. On a timeout or lost answer the error says the outcome is unknown: call again with
    /// the same key (the platform replays the first answer) or read the payment.
    pub async fn refund_payment(
        &self,
        payment_id: &str,
        request: &RefundRequest,
        key: &IdempotenceKey,
    ) -> Result<Idempotent<RefundResponse>, DirectError> {
        self.keyed_post(&["payments", payment_id, "refund"], request, key)
            .await
    }

    /// GetRefunds: every refund of a payment.
    pub async fn get_refunds(&self, payment_id: &str) -> Result<RefundsResponse, DirectError> {
        self.get(&["payments", payment_id, "refunds"]).await
    }

    /// CapturePayment, keyed.
    pub async fn capture_payment(
        &self,
        payment_id: &str,
        request: &CapturePaymentRequest,
        key: &IdempotenceKey,
    ) -> Result<Idempotent<CaptureResponse>, DirectError> {
        self.keyed_post(&["payments", payment_id, "capture"], request, key)
            .await
    }

    /// CancelPayment, keyed.
    pub async fn cancel_payment(
        &self,
        payment_id: &str,
        request: &CancelPaymentRequest,
        key: &IdempotenceKey,
    ) -> Result<Idempotent<CancelPaymentResponse>, DirectError> {
        self.keyed_post(&["payments", payment_id, "cancel"], request, key)
            .await
    }

    /// TestConnection: checks the merchant id, key id and secret (403 when wrong).
    pub async fn test_connection(&self) -> Result<TestConnection, DirectError> {
        self.get(&["services", "testconnection"]).await
    }

    async fn get<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T, DirectError> {
        let answer = self
            .send(Call {
                method: Method::GET,
                segments,
                body: None,
                key: None,
            })
            .await?;
        decode(&answer)
    }

    async fn keyed_post<B: Serialize, T: DeserializeOwned>(
        &self,
        segments: &[&str],
        body: &B,
        key: &IdempotenceKey,
    ) -> Result<Idempotent<T>, DirectError> {
        let answer = self
            .send(Call {
                method: Method::POST,
                segments,
                body: Some(to_json(body)?),
                key: Some(key),
            })
            .await?;
        // A 2xx whose body cannot be read means the platform most likely did it: never a definite failure.
        let body = decode(&answer).map_err(|e| DirectError::Uncertain { cause: Box::new(e) })?;
        Ok(Idempotent {
            body,
            replayed: answer.replayed,
        })
    }

    /// `{base}/v2/{merchantId}/{segments…}`, each segment percent-encoded (a `/` in an id cannot change the path).
    fn url(&self, segments: &[&str]) -> Result<Url, DirectError> {
        if segments.iter().any(|s| s.is_empty()) || self.credentials.merchant_id.is_empty() {
            return Err(DirectError::InvalidRequest(
                "an identifier in the path is empty".to_owned(),
            ));
        }
        let mut url = self.base_url.clone();
        url.set_query(None);
        url.set_fragment(None);
        {
            let mut path = url.path_segments_mut().map_err(|()| {
                DirectError::InvalidRequest("the base URL cannot take a path".to_owned())
            })?;
            path.pop_if_empty()
                .push("v2")
                .push(&self.credentials.merchant_id)
                .extend(segments);
        }
        Ok(url)
    }

    /// Sends with retries. Each attempt gets a fresh Date and signature and the same idempotence key.
    async fn send(&self, call: Call<'_>) -> Result<Answer, DirectError> {
        let url = self.url(call.segments)?;
        let kind = match (&call.method, call.key) {
            (&Method::GET, _) => RequestKind::Get,
            (_, Some(_)) => RequestKind::KeyedPost,
            (_, None) => RequestKind::UnkeyedPost,
        };
        let mut attempt: u32 = 0;
        // Whether any attempt may have reached the platform: only then is a keyed outcome in doubt.
        let mut maybe_sent = false;
        loop {
            attempt += 1;
            let earlier_maybe_sent = maybe_sent;
            let (outcome, result) = self.attempt(&call, &url).await;
            maybe_sent |= outcome != Outcome::ConnectFailed;
            let result = match result {
                Ok(answer) => return Ok(answer),
                Err(e) => e,
            };
            match retry::decide(&self.retry, attempt, kind, outcome, rand::random::<f64>()) {
                Decision::RetryAfter(delay) => {
                    tracing::info!(
                        method = %call.method,
                        path = url.path(),
                        attempt,
                        ?outcome,
                        delay_ms = delay.as_millis() as u64,
                        "retrying Worldline request"
                    );
                    tokio::time::sleep(delay).await;
                }
                Decision::GiveUp => {
                    let keyed_maybe_sent = kind == RequestKind::KeyedPost && maybe_sent;
                    return Err(if keyed_maybe_sent && earlier_maybe_sent {
                        // A refusal of a re-sent request says nothing certain about the earlier attempt, which
                        // may have landed: the caller must read the platform before concluding.
                        match result.with_outcome_unknown() {
                            e if e.is_outcome_unknown() => e,
                            e => DirectError::Uncertain { cause: Box::new(e) },
                        }
                    } else if keyed_maybe_sent {
                        result.with_outcome_unknown()
                    } else {
                        result
                    });
                }
            }
        }
    }

    /// One attempt: what happened (for the retry decision) and its result.
    async fn attempt(&self, call: &Call<'_>, url: &Url) -> (Outcome, Result<Answer, DirectError>) {
        let headers = match self.signed_headers(call, url) {
            Ok(h) => h,
            Err(e) => return (Outcome::Status(0), Err(e)),
        };
        let mut request = self
            .http
            .request(call.method.clone(), url.clone())
            .headers(headers);
        if let Some(body) = &call.body {
            request = request.body(body.clone());
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return transport_failure(&e),
        };
        let status = response.status().as_u16();
        let request_timestamp_ms = response
            .headers()
            .get(IDEMPOTENCE_TIMESTAMP_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<i64>().ok());
        let body = match response.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) => return transport_failure(&e),
        };
        tracing::debug!(method = %call.method, path = url.path(), status, "Worldline answered");
        if (200..300).contains(&status) {
            let replayed = request_timestamp_ms.map(|timestamp_ms| Replayed { timestamp_ms });
            return (
                Outcome::Status(status),
                Ok(Answer {
                    status,
                    body,
                    replayed,
                }),
            );
        }
        let error =
            DirectError::from_response(status, &body, call.key.is_some(), request_timestamp_ms);
        let outcome = if matches!(error, DirectError::IdempotenceInProgress { .. }) {
            Outcome::InProgress
        } else {
            Outcome::Status(status)
        };
        (outcome, Err(error))
    }

    /// Date, ServerMetaInfo, the idempotence key, Content-Type (only with a body) and the signed Authorization.
    fn signed_headers(&self, call: &Call<'_>, url: &Url) -> Result<HeaderMap, DirectError> {
        let date = signing::http_date(SystemTime::now());
        let content_type = call.body.as_ref().map(|_| "application/json");
        let mut gcs: Vec<(&str, &str)> = vec![(SERVER_META_INFO_HEADER, &self.server_meta_info)];
        if let Some(key) = call.key {
            gcs.push((IDEMPOTENCE_KEY_HEADER, key.as_str()));
        }
        let string_to_sign = signing::string_to_sign(
            call.method.as_str(),
            content_type,
            &date,
            gcs.iter().copied(),
            &signing::canonical_resource(url.path(), url.query()),
        );
        let authorization = signing::authorization_header(
            &self.credentials.api_key_id,
            &signing::signature(self.credentials.api_secret.expose(), &string_to_sign),
        );

        let mut headers = HeaderMap::new();
        let mut put = |name: &str, value: &str| -> Result<(), DirectError> {
            let name = HeaderName::from_str(name)
                .map_err(|_| DirectError::InvalidRequest(format!("bad header name {name}")))?;
            // The message names the header only: the Authorization value must never reach an error.
            let value = HeaderValue::from_str(value).map_err(|_| {
                DirectError::InvalidRequest(format!(
                    "the value of {name} is not valid in an HTTP header (check the API key id)"
                ))
            })?;
            headers.insert(name, value);
            Ok(())
        };
        put("Date", &date)?;
        for (name, value) in &gcs {
            put(name, value)?;
        }
        if let Some(ct) = content_type {
            put("Content-Type", ct)?;
        }
        put("Authorization", &authorization)?;
        if let Some(v) = headers.get_mut("authorization") {
            v.set_sensitive(true);
        }
        Ok(headers)
    }
}

/// The retry outcome and the error of a failed send.
fn transport_failure(e: &reqwest::Error) -> (Outcome, Result<Answer, DirectError>) {
    // reqwest's text names the URL and the cause, never a header.
    let message = e.to_string();
    if e.is_connect() {
        (
            Outcome::ConnectFailed,
            Err(DirectError::Transport {
                message,
                outcome_unknown: false,
            }),
        )
    } else if e.is_timeout() {
        (
            Outcome::Timeout,
            Err(DirectError::Timeout {
                outcome_unknown: false,
            }),
        )
    } else {
        (
            Outcome::Transport,
            Err(DirectError::Transport {
                message,
                outcome_unknown: false,
            }),
        )
    }
}

fn to_json<B: Serialize>(body: &B) -> Result<Vec<u8>, DirectError> {
    serde_json::to_vec(body).map_err(|e| DirectError::InvalidRequest(format!("request body: {e}")))
}

fn decode<T: DeserializeOwned>(answer: &Answer) -> Result<T, DirectError> {
    serde_json::from_slice(&answer.body).map_err(|e| DirectError::Undecodable {
        status: answer.status,
        message: e.to_string(),
    })
}

/// Base64 of `{platformIdentifier, sdkIdentifier, sdkCreator, integrator}`.
pub fn server_meta_info(integrator: &str) -> String {
    let json = serde_json::json!({
        "platformIdentifier": format!("{}/{} Rust", std::env::consts::OS, std::env::consts::ARCH),
        "sdkIdentifier": concat!("cadodesk/", env!("CARGO_PKG_VERSION")),
        "sdkCreator": "cadodesk",
        "integrator": integrator,
    });
    STANDARD.encode(json.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotence_keys_are_checked() {
        let k = IdempotenceKey::generate();
        assert_eq!(k.as_str().len(), 32);
        assert_ne!(k, IdempotenceKey::generate());
        assert!(IdempotenceKey::new("a".repeat(40)).is_ok());
        assert_eq!(IdempotenceKey::generate().to_string().len(), 32);
        assert!(IdempotenceKey::new("a".repeat(41)).is_err());
        assert!(IdempotenceKey::new("").is_err());
        assert!(IdempotenceKey::new("clé").is_err());
        assert!(IdempotenceKey::new("a b").is_err());
        assert_eq!("abc".parse::<IdempotenceKey>().unwrap().as_str(), "abc");
    }

    #[test]
    fn environments() {
        assert_eq!(
            Environment::Preprod.base_url().as_str(),
            "https://payment.preprod.direct.worldline-solutions.com/"
        );
        assert_eq!(
            Environment::Production.base_url().as_str(),
            "https://payment.direct.worldline-solutions.com/"
        );
        assert_eq!(
            "prod".parse::<Environment>().unwrap(),
            Environment::Production
        );
        let custom: Environment = "http://127.0.0.1:8080".parse().unwrap();
        assert_eq!(custom.base_url().as_str(), "http://127.0.0.1:8080/");
        assert!("ftp://x".parse::<Environment>().is_err());
        for env in [Environment::Preprod, Environment::Production, custom] {
            assert_eq!(env.to_string().parse::<Environment>().unwrap(), env);
        }
        assert!("nonsense".parse::<Environment>().is_err());
    }

    #[test]
    fn paths_are_built_and_ids_cannot_escape() {
        let client = DirectClient::new(
            Url::parse("http://127.0.0.1:9/prefix/").unwrap(),
            Credentials::new("PSPID", "k", "s"),
            ClientOptions::default(),
        )
        .unwrap();
        assert_eq!(
            client.url(&["payments", "123_0", "refund"]).unwrap().path(),
            "/prefix/v2/PSPID/payments/123_0/refund"
        );
        assert_eq!(
            client.url(&["payments", "../x?y"]).unwrap().path(),
            "/prefix/v2/PSPID/payments/..%2Fx%3Fy"
        );
        assert!(client.url(&["payments", ""]).is_err());
    }

    #[test]
    fn server_meta_info_names_cadodesk() {
        let decoded = STANDARD.decode(server_meta_info("Shop")).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&decoded).unwrap();
        assert_eq!(v["sdkCreator"], "cadodesk");
        assert_eq!(v["integrator"], "Shop");
        assert!(
            v["sdkIdentifier"]
                .as_str()
                .unwrap()
                .starts_with("cadodesk/")
        );
    }
}
