//! The one error type of the client. It keeps the HTTP status and the typed error body, and tells apart what a
//! caller handles differently: fix the input (validation), fix the settings (authorization), look again
//! (reference), wait (idempotence in progress), tell the customer (declined), try later (platform), and — for
//! a keyed request that got no answer — ask the platform again with the same key (outcome unknown).
//!
//! No variant holds a secret or a request header: only statuses, the platform's error bodies and short texts.

use serde_json::Value;
use thiserror::Error;

use crate::direct::wire::{ApiError, ErrorResponse, PaymentErrorResponse, RefundErrorResponse};
use crate::i18n::{Lang, Localize};

/// The error id the platform gives a request refused because the payment does not allow it (over-refund,
/// refund of an unpaid or fully refunded payment).
pub const ACTION_NOT_ALLOWED_ON_TRANSACTION: &str = "ACTION_NOT_ALLOWED_ON_TRANSACTION";

/// Everything that can go wrong talking to the platform.
#[derive(Debug, Error)]
pub enum DirectError {
    /// HTTP 400: the request is invalid or not allowed on this payment. Do not resend it unchanged.
    #[error("request refused by Worldline as invalid (HTTP {status}){}", describe(&body.errors))]
    Validation {
        /// HTTP status.
        status: u16,
        /// The error body.
        body: Box<ErrorResponse>,
    },
    /// HTTP 403: the merchant id, API key id or secret is wrong, or the key may not do this.
    #[error("credentials refused by Worldline (HTTP {status}){}", describe(&body.errors))]
    Authorization {
        /// HTTP status.
        status: u16,
        /// The error body.
        body: Box<ErrorResponse>,
    },
    /// HTTP 404, 410, or a 409 that is not an idempotence conflict: unknown, expired or closed object.
    #[error("unknown or closed object at Worldline (HTTP {status}){}", describe(&body.errors))]
    Reference {
        /// HTTP status.
        status: u16,
        /// The error body.
        body: Box<ErrorResponse>,
    },
    /// HTTP 409 on a keyed request: the first request with this idempotence key is still being processed.
    #[error(
        "a request with the same idempotence key is still in progress at Worldline (first sent at {} ms)",
        request_timestamp_ms.map_or_else(|| "an unknown time".to_owned(), |t| t.to_string())
    )]
    IdempotenceInProgress {
        /// HTTP status (409).
        status: u16,
        /// The error body.
        body: Box<ErrorResponse>,
        /// `X-GCS-Idempotence-Request-Timestamp`: when the first request arrived, ms since 1970.
        request_timestamp_ms: Option<i64>,
    },
    /// The payment was declined by a third party: the body carries the refused payment.
    #[error("payment declined (HTTP {status}){}", describe(&body.errors))]
    DeclinedPayment {
        /// HTTP status.
        status: u16,
        /// The error body with `paymentResult`.
        body: Box<PaymentErrorResponse>,
    },
    /// The refund was declined: the body carries the refused refund.
    #[error("refund declined (HTTP {status}){}", describe(&body.errors))]
    DeclinedRefund {
        /// HTTP status.
        status: u16,
        /// The error body with `refundResult`.
        body: Box<RefundErrorResponse>,
    },
    /// HTTP 5xx: the platform failed. A GET may be sent again; a keyed POST with the same key.
    #[error(
        "Worldline platform error (HTTP {status}){}{}",
        describe(&body.errors),
        unknown_suffix(*outcome_unknown)
    )]
    Platform {
        /// HTTP status.
        status: u16,
        /// The error body (empty if the body was not JSON).
        body: Box<ErrorResponse>,
        /// The request was keyed: the platform may have carried it out before failing, so re-send it with the
        /// same key, or read the payment, to learn what happened.
        outcome_unknown: bool,
    },
    /// Any other HTTP error status (401, 402 without a payment, 422, 429…).
    #[error("unexpected answer from Worldline (HTTP {status}){}", describe(&body.errors))]
    Api {
        /// HTTP status.
        status: u16,
        /// The error body.
        body: Box<ErrorResponse>,
    },
    /// No answer in time. With `outcome_unknown` the request may have been carried out.
    #[error("no answer from Worldline in time{}", unknown_suffix(*outcome_unknown))]
    Timeout {
        /// The request changes money and was keyed: re-send it with the same idempotence key, or read the
        /// payment, to learn what happened. Never send it with a new key.
        outcome_unknown: bool,
    },
    /// The connection failed (DNS, refused, reset, TLS).
    #[error("cannot reach Worldline: {message}{}", unknown_suffix(*outcome_unknown))]
    Transport {
        /// What failed, without any header.
        message: String,
        /// As for [`DirectError::Timeout`].
        outcome_unknown: bool,
    },
    /// The answer could not be read as the expected JSON.
    #[error("unreadable answer from Worldline (HTTP {status}): {message}")]
    Undecodable {
        /// HTTP status.
        status: u16,
        /// What did not match.
        message: String,
    },
    /// The request was not sent: an argument is invalid (idempotence key, URL).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A keyed request that may have reached the platform got no clear answer: an unreadable body (even with a
    /// 2xx status), a 429 or another unexpected status, a 409 that is not the "in progress" form, or a refusal
    /// that came only after an earlier attempt may have landed. The platform may have carried it out: settle it
    /// with the same idempotence key, or by reading the payment, never with a new key.
    #[error("{cause}; the outcome is unknown: ask again with the same idempotence key")]
    Uncertain {
        /// The last answer or failure.
        cause: Box<DirectError>,
    },
}

fn unknown_suffix(outcome_unknown: bool) -> &'static str {
    if outcome_unknown {
        "; the outcome is unknown: ask again with the same idempotence key"
    } else {
        ""
    }
}

/// ` : ID (propertyName): message; …` for the Display form.
fn describe(errors: &[ApiError]) -> String {
    let parts: Vec<String> = errors
        .iter()
        .map(|e| {
            let mut s =
                e.id.clone()
                    .or_else(|| e.error_code.clone())
                    .unwrap_or_default();
            if let Some(p) = &e.property_name {
                s.push_str(&format!(" ({p})"));
            }
            if let Some(m) = e.message.as_deref().filter(|m| !m.is_empty()) {
                s.push_str(&format!(": {m}"));
            }
            s
        })
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(": {}", parts.join("; "))
    }
}

impl DirectError {
    /// Maps an HTTP error answer to the error, as the SDKs do: a body with `paymentResult` / `refundResult` is
    /// a decline whatever the status; then by status. `keyed` says whether the request carried an idempotence
    /// key (only then is a 409 an idempotence conflict). `request_timestamp_ms` is the
    /// `X-GCS-Idempotence-Request-Timestamp` header of the answer.
    pub fn from_response(
        status: u16,
        body: &[u8],
        keyed: bool,
        request_timestamp_ms: Option<i64>,
    ) -> DirectError {
        let json: Option<Value> = serde_json::from_slice(body).ok();
        let Some(json) = json.filter(Value::is_object) else {
            // Proxies answer 404 and 5xx in HTML: the status alone still says what happened.
            return match status {
                404 | 410 => DirectError::Reference {
                    status,
                    body: Box::default(),
                },
                500..=599 => DirectError::Platform {
                    status,
                    body: Box::default(),
                    outcome_unknown: false,
                },
                _ => DirectError::Undecodable {
                    status,
                    message: "the error body is not a JSON object".to_owned(),
                },
            };
        };

        // Any body that carries the refused refund or payment is a decline, whatever the status.
        if json.get("refundResult").is_some_and(|v| !v.is_null()) {
            return match serde_json::from_value::<RefundErrorResponse>(json) {
                Ok(b) => DirectError::DeclinedRefund {
                    status,
                    body: Box::new(b),
                },
                Err(e) => undecodable(status, &e),
            };
        }
        if json.get("paymentResult").is_some_and(|v| !v.is_null()) {
            return match serde_json::from_value::<PaymentErrorResponse>(json) {
                Ok(b) => DirectError::DeclinedPayment {
                    status,
                    body: Box::new(b),
                },
                Err(e) => undecodable(status, &e),
            };
        }

        let body: ErrorResponse = match serde_json::from_value(json) {
            Ok(b) => b,
            Err(e) => return undecodable(status, &e),
        };
        let body = Box::new(body);
        match status {
            400 => DirectError::Validation { status, body },
            403 => DirectError::Authorization { status, body },
            404 | 410 => DirectError::Reference { status, body },
            409 if keyed && is_in_progress(&body.errors) => DirectError::IdempotenceInProgress {
                status,
                body,
                request_timestamp_ms,
            },
            409 => DirectError::Reference { status, body },
            500..=599 => DirectError::Platform {
                status,
                body,
                outcome_unknown: false,
            },
            _ => DirectError::Api { status, body },
        }
    }

    /// The HTTP status, when an answer came.
    pub fn status(&self) -> Option<u16> {
        match self {
            DirectError::Validation { status, .. }
            | DirectError::Authorization { status, .. }
            | DirectError::Reference { status, .. }
            | DirectError::IdempotenceInProgress { status, .. }
            | DirectError::DeclinedPayment { status, .. }
            | DirectError::DeclinedRefund { status, .. }
            | DirectError::Platform { status, .. }
            | DirectError::Api { status, .. }
            | DirectError::Undecodable { status, .. } => Some(*status),
            DirectError::Uncertain { cause } => cause.status(),
            DirectError::Timeout { .. }
            | DirectError::Transport { .. }
            | DirectError::InvalidRequest(_) => None,
        }
    }

    /// The platform's errors, if any.
    pub fn errors(&self) -> &[ApiError] {
        match self {
            DirectError::Validation { body, .. }
            | DirectError::Authorization { body, .. }
            | DirectError::Reference { body, .. }
            | DirectError::IdempotenceInProgress { body, .. }
            | DirectError::Platform { body, .. }
            | DirectError::Api { body, .. } => &body.errors,
            DirectError::DeclinedPayment { body, .. } => &body.errors,
            DirectError::DeclinedRefund { body, .. } => &body.errors,
            DirectError::Uncertain { cause } => cause.errors(),
            DirectError::Timeout { .. }
            | DirectError::Transport { .. }
            | DirectError::Undecodable { .. }
            | DirectError::InvalidRequest(_) => &[],
        }
    }

    /// The platform's `errorId`, to quote to support.
    pub fn error_id(&self) -> Option<&str> {
        match self {
            DirectError::Validation { body, .. }
            | DirectError::Authorization { body, .. }
            | DirectError::Reference { body, .. }
            | DirectError::IdempotenceInProgress { body, .. }
            | DirectError::Platform { body, .. }
            | DirectError::Api { body, .. } => body.error_id.as_deref(),
            DirectError::DeclinedPayment { body, .. } => body.error_id.as_deref(),
            DirectError::DeclinedRefund { body, .. } => body.error_id.as_deref(),
            DirectError::Uncertain { cause } => cause.error_id(),
            _ => None,
        }
    }

    /// Whether a keyed request may or may not have been carried out: settle it by sending it again with the
    /// same idempotence key, or by reading the payment, never with a new key.
    pub fn is_outcome_unknown(&self) -> bool {
        match self {
            DirectError::Timeout { outcome_unknown }
            | DirectError::Transport {
                outcome_unknown, ..
            }
            | DirectError::Platform {
                outcome_unknown, ..
            } => *outcome_unknown,
            // The first request is still running: its outcome is not known yet either.
            DirectError::IdempotenceInProgress { .. } | DirectError::Uncertain { .. } => true,
            _ => false,
        }
    }

    /// Whether the platform refused the action on this payment (`ACTION_NOT_ALLOWED_ON_TRANSACTION`): an
    /// over-refund, a refund after a full refund, or of an unpaid tender.
    pub fn is_action_not_allowed(&self) -> bool {
        self.errors().iter().any(|e| {
            [&e.id, &e.message, &e.error_code]
                .iter()
                .any(|f| f.as_deref() == Some(ACTION_NOT_ALLOWED_ON_TRANSACTION))
        })
    }

    /// Marks the failure of a keyed request that may have reached the platform as having an unknown outcome.
    /// Only a clear word from the platform stays definite: a 400 validation refusal, a decline with its result,
    /// 403, 404 and 410. Everything else (timeout, transport, 5xx, an unreadable body, 429, 401, 422, a 409 that
    /// is not the "in progress" form) may hide a request the platform carried out.
    pub(crate) fn with_outcome_unknown(self) -> DirectError {
        match self {
            e @ (DirectError::Undecodable { .. }
            | DirectError::Api { .. }
            | DirectError::Reference { status: 409, .. }) => {
                DirectError::Uncertain { cause: Box::new(e) }
            }
            DirectError::Timeout { .. } => DirectError::Timeout {
                outcome_unknown: true,
            },
            DirectError::Transport { message, .. } => DirectError::Transport {
                message,
                outcome_unknown: true,
            },
            DirectError::Platform { status, body, .. } => DirectError::Platform {
                status,
                body,
                outcome_unknown: true,
            },
            other => other,
        }
    }
}

fn undecodable(status: u16, e: &serde_json::Error) -> DirectError {
    DirectError::Undecodable {
        status,
        message: e.to_string(),
    }
}

/// The SDKs' rule (one error, code 1409), widened to the id the live platform uses.
fn is_in_progress(errors: &[ApiError]) -> bool {
    errors.iter().any(|e| {
        e.error_code.as_deref() == Some("1409")
            || e.code.as_deref() == Some("1409")
            || e.id.as_deref() == Some("DUPLICATE_REQUEST_IN_PROGRESS")
    })
}

/// The first property the platform names, for the cashier.
fn first_property(errors: &[ApiError]) -> Option<&str> {
    errors.iter().find_map(|e| e.property_name.as_deref())
}

impl Localize for DirectError {
    fn localize(&self, lang: Lang) -> String {
        let text = match self {
            DirectError::Validation { .. } if self.is_action_not_allowed() => lang
                .pick(
                    "Opération refusée par Worldline : ce paiement ne le permet pas (montant supérieur à ce qui reste à rembourser, paiement déjà remboursé en totalité ou jamais encaissé). Actualisez le paiement pour voir ce qui reste.",
                    "Refused by Worldline: this payment does not allow it (more than what is left to refund, already fully refunded, or never captured). Refresh the payment to see what is left.",
                )
                .to_owned(),
            DirectError::Validation { body, .. } => match first_property(&body.errors) {
                Some(p) => match lang {
                    Lang::Fr => format!(
                        "Demande refusée par Worldline : le champ « {p} » n'est pas valide. Corrigez-le puis recommencez."
                    ),
                    Lang::En => format!(
                        "Request refused by Worldline: the field \"{p}\" is not valid. Correct it and try again."
                    ),
                },
                None => lang
                    .pick(
                        "Demande refusée par Worldline comme invalide. Vérifiez le montant et les références puis recommencez.",
                        "Request refused by Worldline as invalid. Check the amount and references and try again.",
                    )
                    .to_owned(),
            },
            DirectError::Authorization { .. } => lang
                .pick(
                    "Identifiants refusés par Worldline : vérifiez l'identifiant marchand (PSPID), l'identifiant de clé et le secret API dans Réglages.",
                    "Credentials refused by Worldline: check the merchant id (PSPID), the API key id and the API secret in Settings.",
                )
                .to_owned(),
            DirectError::Reference { .. } => lang
                .pick(
                    "Worldline ne trouve pas ce paiement ou cette session (identifiant inconnu, expiré ou clôturé). Vérifiez l'identifiant ou actualisez la liste.",
                    "Worldline cannot find this payment or session (unknown, expired or closed id). Check the id or refresh the list.",
                )
                .to_owned(),
            DirectError::IdempotenceInProgress { .. } => lang
                .pick(
                    "Worldline traite encore la même demande. Patientez quelques secondes : l'application revérifie d'elle-même, ne la refaites pas.",
                    "Worldline is still processing the same request. Wait a few seconds: the app checks again by itself, do not repeat it.",
                )
                .to_owned(),
            DirectError::DeclinedPayment { .. } => lang
                .pick(
                    "Paiement refusé par la banque ou l'émetteur de la carte. Proposez un autre moyen de paiement.",
                    "Payment declined by the bank or card issuer. Offer another means of payment.",
                )
                .to_owned(),
            DirectError::DeclinedRefund { .. } => lang
                .pick(
                    "Remboursement refusé par l'émetteur de la carte. Aucun argent n'a été rendu ; contactez le support Worldline avec la référence de l'erreur.",
                    "Refund declined by the card issuer. No money was returned; contact Worldline support with the error reference.",
                )
                .to_owned(),
            DirectError::Platform {
                status,
                outcome_unknown: true,
                ..
            } => match lang {
                Lang::Fr => format!(
                    "Worldline a rencontré un problème technique (erreur {status}) : on ne sait pas encore si l'opération a été faite. Ne la refaites pas : l'application va revérifier auprès de Worldline."
                ),
                Lang::En => format!(
                    "Worldline had a technical problem (error {status}): it is not known yet whether the operation was done. Do not repeat it: the app will check again with Worldline."
                ),
            },
            DirectError::Platform { status, .. } => match lang {
                Lang::Fr => format!(
                    "Worldline rencontre un problème technique (erreur {status}). Réessayez dans quelques minutes."
                ),
                Lang::En => format!(
                    "Worldline has a technical problem (error {status}). Try again in a few minutes."
                ),
            },
            DirectError::Api { status, .. } => match lang {
                Lang::Fr => format!("Réponse inattendue de Worldline (erreur {status})."),
                Lang::En => format!("Unexpected answer from Worldline (error {status})."),
            },
            DirectError::Timeout {
                outcome_unknown: true,
            }
            | DirectError::Transport {
                outcome_unknown: true,
                ..
            } => lang
                .pick(
                    "Pas de réponse de Worldline : on ne sait pas encore si l'opération a été faite. Ne la refaites pas : l'application va revérifier auprès de Worldline.",
                    "No answer from Worldline: it is not known yet whether the operation was done. Do not repeat it: the app will check again with Worldline.",
                )
                .to_owned(),
            DirectError::Timeout { .. } => lang
                .pick(
                    "Worldline ne répond pas à temps. Vérifiez la connexion Internet puis réessayez.",
                    "Worldline does not answer in time. Check the Internet connection and try again.",
                )
                .to_owned(),
            DirectError::Transport { .. } => lang
                .pick(
                    "Impossible de joindre Worldline. Vérifiez la connexion Internet et l'environnement choisi dans Réglages.",
                    "Cannot reach Worldline. Check the Internet connection and the environment chosen in Settings.",
                )
                .to_owned(),
            DirectError::Undecodable { status, .. } => match lang {
                Lang::Fr => format!(
                    "Réponse illisible de Worldline (HTTP {status}). Vérifiez l'adresse du serveur dans Réglages."
                ),
                Lang::En => format!(
                    "Unreadable answer from Worldline (HTTP {status}). Check the server address in Settings."
                ),
            },
            DirectError::InvalidRequest(what) => match lang {
                Lang::Fr => format!("Demande non envoyée : {what}."),
                Lang::En => format!("Request not sent: {what}."),
            },
            DirectError::Uncertain { cause } => match lang {
                Lang::Fr => format!(
                    "Réponse incertaine de Worldline (HTTP {}) : on ne sait pas si l'opération a été faite. Ne la refaites pas : l'application va revérifier auprès de Worldline.",
                    cause.status().map_or_else(|| "-".to_owned(), |s| s.to_string())
                ),
                Lang::En => format!(
                    "Unclear answer from Worldline (HTTP {}): it is not known whether the operation was done. Do not repeat it: the app will check again with Worldline.",
                    cause.status().map_or_else(|| "-".to_owned(), |s| s.to_string())
                ),
            },
        };
        match (self.error_id(), lang) {
            (Some(id), Lang::Fr) => format!("{text} (référence de l'erreur : {id})"),
            (Some(id), Lang::En) => format!("{text} (error reference: {id})"),
            (None, _) => text,
        }
    }
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
