//! Payments and their operations.

use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::{AmountOfMoney, null_as_default};
use crate::direct::status::{PaymentStatus, StatusCategory, StatusCode};

/// `paymentResponse` (GetPayment; also inside hosted checkout output, cancel responses and webhooks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentResponse {
    /// `<10 digits>_<operation>`, e.g. `3254564310_0`.
    pub id: String,
    /// The payment's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<PaymentStatus>,
    /// Status code, category, flags and errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_output: Option<PaymentStatusOutput>,
    /// Amounts, references, product.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_output: Option<PaymentOutput>,
    /// The hosted checkout that created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hosted_checkout_specific_output: Option<HostedCheckoutSpecificOutput>,
}

/// `paymentStatusOutput`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentStatusOutput {
    /// Why a payment was rejected.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub errors: Vec<ApiError>,
    /// Whether CancelPayment is possible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_cancellable: Option<bool>,
    /// The coarse status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_category: Option<StatusCategory>,
    /// The numeric status code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<StatusCode>,
    /// `YYYYMMDDHHmmss`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code_change_date_time: Option<String>,
    /// Whether the payment is authorised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_authorized: Option<bool>,
    /// Whether RefundPayment is possible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_refundable: Option<bool>,
}

/// `paymentOutput`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentOutput {
    /// The amount asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_of_money: Option<AmountOfMoney>,
    /// The amount actually obtained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acquired_amount: Option<AmountOfMoney>,
    /// Deprecated: use `acquired_amount`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_paid: Option<i64>,
    /// The shop's references.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub references: Option<PaymentReferences>,
    /// Free text echoed back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_parameters: Option<String>,
    /// `card`, `redirect`…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<String>,
    /// Set when a card paid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_payment_method_specific_output: Option<CardPaymentMethodSpecificOutput>,
    /// Set when a redirect product (a gift card) paid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_payment_method_specific_output: Option<RedirectPaymentMethodSpecificOutput>,
    /// ISO 8601.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_date: Option<String>,
}

impl PaymentOutput {
    /// The product that paid (3103 for a gift card, 1 Visa, 3 Mastercard…), whichever output names it.
    pub fn payment_product_id(&self) -> Option<i32> {
        self.redirect_payment_method_specific_output
            .as_ref()
            .and_then(|r| r.payment_product_id)
            .or_else(|| {
                self.card_payment_method_specific_output
                    .as_ref()
                    .and_then(|c| c.payment_product_id)
            })
    }
}

/// `paymentReferences`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentReferences {
    /// The shop's reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_reference: Option<String>,
    /// Free text echoed back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_parameters: Option<String>,
    /// Groups operations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_group_reference: Option<String>,
}

/// `cardPaymentMethodSpecificOutput` (the part the till reads).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardPaymentMethodSpecificOutput {
    /// 1 Visa, 3 Mastercard…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_product_id: Option<i32>,
    /// The issuer's authorisation code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorisation_code: Option<String>,
    /// The masked card.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<CardEssentials>,
}

/// `cardEssentials` (the part the till reads).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardEssentials {
    /// Masked number, e.g. `************0026`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_number: Option<String>,
    /// `MMYY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry_date: Option<String>,
    /// First digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bin: Option<String>,
    /// Issuing country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
}

/// `redirectPaymentMethodSpecificOutput` (the part the till reads).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedirectPaymentMethodSpecificOutput {
    /// 3103 for Bimpli CADO.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_product_id: Option<i32>,
    /// Product option.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_option: Option<String>,
    /// The issuer's authorisation code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorisation_code: Option<String>,
}

/// `hostedCheckoutSpecificOutput`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostedCheckoutSpecificOutput {
    /// The checkout that created the payment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hosted_checkout_id: Option<String>,
    /// Template used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// `paymentDetailsResponse`: a payment and every operation of its order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentDetailsResponse {
    /// The payment asked for.
    pub id: String,
    /// Its status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<PaymentStatus>,
    /// Its status details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_output: Option<PaymentStatusOutput>,
    /// Its amounts and product.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_output: Option<PaymentOutput>,
    /// The hosted checkout that created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hosted_checkout_specific_output: Option<HostedCheckoutSpecificOutput>,
    /// Every tender, capture, refund and cancel of the order. The key is capitalised in the contract.
    #[serde(
        rename = "Operations",
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub operations: Vec<OperationOutput>,
}

/// `operationOutput`: one entry of `Operations`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationOutput {
    /// The operation's payment id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Its amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_of_money: Option<AmountOfMoney>,
    /// Its status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<PaymentStatus>,
    /// Its status details (the status code tells a capture, 9, from a refund, 8/81).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_output: Option<PaymentStatusOutput>,
    /// `card`, `redirect`…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<String>,
    /// Deprecated references.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub references: Option<PaymentReferences>,
    /// The operation's own references.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_references: Option<OperationReferences>,
}

/// `operationPaymentReferences`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationReferences {
    /// The shop's reference for this operation (at most 40 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_reference: Option<String>,
    /// Groups operations (at most 50 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_group_reference: Option<String>,
}
