//! Error bodies.

use serde::{Deserialize, Serialize};

use super::payment::PaymentResponse;
use super::refund::RefundResponse;

use super::null_as_default;

/// `aPIError`: one error of an error body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    /// 4–8 digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `DIRECT_PLATFORM_ERROR`, `PAYMENT_PLATFORM_ERROR`, `IO_ERROR`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Deprecated copy of `error_code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The HTTP status the error goes with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status_code: Option<i32>,
    /// Short readable id, e.g. `INVALID_VALUE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Text for developers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The request property at fault, e.g. `order.amountOfMoney.amount`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property_name: Option<String>,
    /// Whether the same request may be sent again (with a new idempotence key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retriable: Option<bool>,
}

/// `errorResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorResponse {
    /// Unique id of this error, for support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
    /// The errors.
    #[serde(default, deserialize_with = "null_as_default")]
    pub errors: Vec<ApiError>,
}

/// `refundErrorResponse`: a refund error, with the refused refund when it was declined.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundErrorResponse {
    /// Unique id of this error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
    /// The errors.
    #[serde(default, deserialize_with = "null_as_default")]
    pub errors: Vec<ApiError>,
    /// The declined refund.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_result: Option<RefundResponse>,
}

/// `paymentErrorResponse`: a payment error, with the refused payment when it was declined.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentErrorResponse {
    /// Unique id of this error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
    /// The errors.
    #[serde(default, deserialize_with = "null_as_default")]
    pub errors: Vec<ApiError>,
    /// The declined payment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_result: Option<CreatePaymentResponse>,
}

/// `createPaymentResponse` (the part the till reads, inside a declined payment's error body).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePaymentResponse {
    /// The refused payment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment: Option<PaymentResponse>,
}

// ---------------------------------------------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------------------------------------------

/// A webhook event: `{apiVersion, id, created, merchantId, type, payment | refund}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEvent {
    /// Always `v1` (checked by [`crate::direct::webhook`]).
    pub api_version: String,
    /// Unique per event: the key to drop duplicates.
    pub id: String,
    /// ISO 8601 with offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The PSPID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_id: Option<String>,
    /// `payment.captured`, `refund.refund_requested`…
    #[serde(rename = "type")]
    pub event_type: String,
    /// Set for `payment.*` events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment: Option<PaymentResponse>,
    /// Set for `refund.*` events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund: Option<RefundResponse>,
}
