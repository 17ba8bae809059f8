//! Capture, cancel and the connection test.

use serde::{Deserialize, Serialize};

use super::AmountOfMoney;
use super::payment::{OperationReferences, PaymentReferences, PaymentResponse};
use crate::direct::status::{PaymentStatus, StatusCode};

/// `capturePaymentRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapturePaymentRequest {
    /// Minor units, no currency; `None` captures everything and makes the capture final.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// Whether this is the last capture.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_final: Option<bool>,
    /// The shop's reference for this capture.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_references: Option<OperationReferences>,
}

/// `captureResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureResponse {
    /// The capture operation's id.
    pub id: String,
    /// Its status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<PaymentStatus>,
    /// Its status code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_output: Option<CaptureStatusOutput>,
    /// Amounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture_output: Option<CaptureOutput>,
}

/// `captureStatusOutput`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureStatusOutput {
    /// The numeric status code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<StatusCode>,
}

/// `captureOutput` (the part the till reads).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureOutput {
    /// The amount captured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_of_money: Option<AmountOfMoney>,
    /// The amount obtained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acquired_amount: Option<AmountOfMoney>,
    /// `card`, `redirect`…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<String>,
    /// The capture's own references.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_references: Option<OperationReferences>,
    /// Deprecated references.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub references: Option<PaymentReferences>,
}

/// `cancelPaymentRequest`. The default (empty body) cancels the whole payment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelPaymentRequest {
    /// A partial cancel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_of_money: Option<AmountOfMoney>,
    /// Whether this is the last cancel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_final: Option<bool>,
    /// The shop's reference for this cancel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_references: Option<OperationReferences>,
}

/// `cancelPaymentResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelPaymentResponse {
    /// The payment after the cancel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment: Option<PaymentResponse>,
}

/// `testConnection`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestConnection {
    /// `OK` when the credentials work.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
}
