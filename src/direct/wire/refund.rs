//! Refunds.

use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::payment::{OperationReferences, PaymentReferences};
use super::{AmountOfMoney, null_as_default};
use crate::direct::status::{RefundStatus, StatusCategory, StatusCode};
use crate::domain::Amount;

/// `refundRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundRequest {
    /// How much to give back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_of_money: Option<AmountOfMoney>,
    /// The shop's reference for this refund.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_references: Option<OperationReferences>,
    /// Why (portal and reports only; at most 100 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Whether this is the last refund of the payment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_final: Option<bool>,
}

impl RefundRequest {
    /// A refund of `amount` euros with the shop's reference and reason.
    pub fn eur(amount: Amount, merchant_reference: Option<String>, reason: Option<String>) -> Self {
        RefundRequest {
            amount_of_money: Some(AmountOfMoney::eur(amount)),
            operation_references: merchant_reference.map(|r| OperationReferences {
                merchant_reference: Some(r),
                operation_group_reference: None,
            }),
            reason,
            is_final: None,
        }
    }
}

/// `refundResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundResponse {
    /// The refund operation's id, e.g. `3254564310_2`.
    pub id: String,
    /// Its status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<RefundStatus>,
    /// Its status details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_output: Option<OrderStatusOutput>,
    /// Amount and totals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_output: Option<RefundOutput>,
}

/// `orderStatusOutput`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderStatusOutput {
    /// Why it failed.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub errors: Vec<ApiError>,
    /// Whether it can be cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_cancellable: Option<bool>,
    /// The coarse status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_category: Option<StatusCategory>,
    /// 81 pending, 8 refunded, 83 refused…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<StatusCode>,
    /// `YYYYMMDDHHmmss`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code_change_date_time: Option<String>,
}

/// `refundOutput`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundOutput {
    /// The amount refunded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_of_money: Option<AmountOfMoney>,
    /// Free text echoed back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_parameters: Option<String>,
    /// Deprecated references.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub references: Option<PaymentReferences>,
    /// The refund's own references.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_references: Option<OperationReferences>,
    /// Deprecated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_paid: Option<i64>,
    /// Totals when a card is refunded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_refund_method_specific_output: Option<RefundMethodTotals>,
    /// Totals when a redirect product (a gift card) is refunded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_refund_method_specific_output: Option<RefundMethodTotals>,
    /// `card`, `redirect`…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<String>,
}

/// `refundCardMethodSpecificOutput` / `refundRedirectMethodSpecificOutput`: the payment's totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundMethodTotals {
    /// What the payment took, minor units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_amount_paid: Option<i64>,
    /// What was refunded so far, minor units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_amount_refunded: Option<i64>,
}

/// `refundsResponse` (GetRefunds).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundsResponse {
    /// Every refund of the payment.
    #[serde(default, deserialize_with = "null_as_default")]
    pub refunds: Vec<RefundResponse>,
}
