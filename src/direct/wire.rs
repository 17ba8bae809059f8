//! The JSON bodies of the operations the till uses, named exactly as in the OpenAPI contract (camelCase,
//! `RETURNMAC`, the capitalised `Operations`). Amounts stay integer minor units (`i64`).
//!
//! Responses tolerate what the platform may add or leave out: unknown properties are ignored, optional ones are
//! `Option` or an empty list (a JSON `null` list reads as empty). Only the identifier that makes a response useful
//! (a payment's `id`, a checkout's `hostedCheckoutId`) is required. Requests leave out every `None`.

use serde::{Deserialize, Deserializer, Serialize};

use crate::direct::status::{
    AuthorizationMode, HostedCheckoutStatus, PaymentStatus, PaymentStatusCategory, RefundStatus,
    StatusCategory, StatusCode,
};
use crate::money::Amount;

/// Reads a JSON `null` as the type's default (an empty list), as the platform sometimes sends `"errors": null`.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// The payment product id of Bimpli CADO (the contract's "CadoCarte").
pub const PAYMENT_PRODUCT_BIMPLI_CADO: i32 = 3103;

/// The only currency Bimpli CADO accepts.
pub const CURRENCY_EUR: &str = "EUR";

/// `amountOfMoney`: an amount in the currency's smallest unit (cents for EUR) and its ISO 4217 code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmountOfMoney {
    /// Minor units: 1750 is 17,50 €.
    pub amount: i64,
    /// ISO 4217 alpha-3, e.g. `EUR`.
    pub currency_code: String,
}

impl AmountOfMoney {
    /// An amount in euros.
    pub fn eur(amount: Amount) -> AmountOfMoney {
        AmountOfMoney {
            amount: amount.cents(),
            currency_code: CURRENCY_EUR.to_owned(),
        }
    }

    /// The amount as an [`Amount`] if it is in euros and not negative.
    pub fn as_eur(&self) -> Option<Amount> {
        (self.currency_code == CURRENCY_EUR)
            .then(|| Amount::from_cents(self.amount))
            .flatten()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// CreateHostedCheckout
// ---------------------------------------------------------------------------------------------------------------

/// `createHostedCheckoutRequest`: opens a Hosted Checkout Page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateHostedCheckoutRequest {
    /// What is bought and by whom.
    pub order: Order,
    /// Locale, return URL, session timeout, attempts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hosted_checkout_specific_input: Option<HostedCheckoutSpecificInput>,
    /// The redirect product (3103) and its options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_payment_method_specific_input: Option<RedirectPaymentMethodSpecificInput>,
    /// How a card paying the remainder is authorised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_payment_method_specific_input: Option<CardPaymentMethodSpecificInput>,
    /// Webhook URLs for this checkout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feedbacks: Option<Feedbacks>,
}

/// The fields of a Bimpli CADO checkout, turned into a request by [`CreateHostedCheckoutRequest::bimpli_cado`].
#[derive(Debug, Clone, PartialEq)]
pub struct CadoCheckout {
    /// The total to pay, in euros.
    pub amount: Amount,
    /// The shop's reference for the sale (at most 40 characters).
    pub merchant_reference: Option<String>,
    /// The customer's e-mail address, if given.
    pub customer_email: Option<String>,
    /// `fr_FR` or `en_GB`.
    pub locale: String,
    /// Where the customer's browser goes after paying (absolute URL, at most 200 characters).
    pub return_url: String,
    /// Minutes before the page expires (1–1440).
    pub session_timeout_minutes: Option<u32>,
    /// How many payment attempts the customer gets (1–10).
    pub allowed_number_of_payment_attempts: Option<u32>,
    /// Whether the customer may pay what the gift cards do not cover with a bank card.
    pub complete_remaining_payment_amount: bool,
    /// How that card is authorised.
    pub card_authorization_mode: Option<AuthorizationMode>,
    /// Webhook URLs for this checkout (at most 5).
    pub webhooks_urls: Vec<String>,
}

impl CreateHostedCheckoutRequest {
    /// A hosted checkout that sends the customer straight to the Bimpli CADO page (product 3103), in euros.
    pub fn bimpli_cado(c: CadoCheckout) -> CreateHostedCheckoutRequest {
        let customer = c.customer_email.map(|email| Customer {
            contact_details: Some(ContactDetails {
                email_address: Some(email),
            }),
            ..Customer::default()
        });
        let references = c.merchant_reference.map(|r| OrderReferences {
            merchant_reference: Some(r),
            ..OrderReferences::default()
        });
        CreateHostedCheckoutRequest {
            order: Order {
                amount_of_money: AmountOfMoney::eur(c.amount),
                customer,
                references,
            },
            hosted_checkout_specific_input: Some(HostedCheckoutSpecificInput {
                locale: Some(c.locale),
                return_url: Some(c.return_url),
                session_timeout: c.session_timeout_minutes,
                allowed_number_of_payment_attempts: c.allowed_number_of_payment_attempts,
                ..HostedCheckoutSpecificInput::default()
            }),
            redirect_payment_method_specific_input: Some(RedirectPaymentMethodSpecificInput {
                payment_product_id: Some(PAYMENT_PRODUCT_BIMPLI_CADO),
                payment_product3103_specific_input: Some(PaymentProduct3103SpecificInput {
                    complete_remaining_payment_amount: Some(c.complete_remaining_payment_amount),
                }),
                ..RedirectPaymentMethodSpecificInput::default()
            }),
            card_payment_method_specific_input: c.card_authorization_mode.map(|mode| {
                CardPaymentMethodSpecificInput {
                    authorization_mode: Some(mode),
                }
            }),
            feedbacks: (!c.webhooks_urls.is_empty()).then_some(Feedbacks {
                webhooks_urls: c.webhooks_urls,
            }),
        }
    }
}

/// `order`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// The amount to pay.
    pub amount_of_money: AmountOfMoney,
    /// The customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// The shop's references.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub references: Option<OrderReferences>,
}

/// `customer` (the part the till sends).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    /// E-mail and phone numbers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_details: Option<ContactDetails>,
    /// The customer's locale, at most 6 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// The shop's customer id, at most 50 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_customer_id: Option<String>,
}

/// `contactDetails`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactDetails {
    /// E-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_address: Option<String>,
}

/// `orderReferences`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderReferences {
    /// The shop's reference, at most 40 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_reference: Option<String>,
    /// Free text echoed back in responses and webhooks, at most 1000 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_parameters: Option<String>,
    /// Groups operations, at most 50 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_group_reference: Option<String>,
}

/// `hostedCheckoutSpecificInput`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostedCheckoutSpecificInput {
    /// `fr_FR`, `en_GB`… (at most 6 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Absolute URL the browser returns to (at most 200 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    /// Minutes, 1–1440 (default 180).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_timeout: Option<u32>,
    /// 1–10 (default 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_number_of_payment_attempts: Option<u32>,
    /// Whether the platform shows its own result page (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_result_page: Option<bool>,
    /// Template file name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// `redirectPaymentMethodSpecificInput`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedirectPaymentMethodSpecificInput {
    /// The product: 3103 for Bimpli CADO.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_product_id: Option<i32>,
    /// Whether the payment needs an approval step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires_approval: Option<bool>,
    /// Options of product 3103.
    #[serde(
        rename = "paymentProduct3103SpecificInput",
        skip_serializing_if = "Option::is_none"
    )]
    pub payment_product3103_specific_input: Option<PaymentProduct3103SpecificInput>,
}

/// `redirectPaymentProduct3103SpecificInput`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentProduct3103SpecificInput {
    /// `true`: the customer pays what the gift cards leave with another method on the same page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complete_remaining_payment_amount: Option<bool>,
}

/// `cardPaymentMethodSpecificInputBase` (the part the till sends).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardPaymentMethodSpecificInput {
    /// Final, pre-authorisation or sale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_mode: Option<AuthorizationMode>,
}

/// `feedbacks`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Feedbacks {
    /// At most 5 URLs of at most 325 characters.
    #[serde(default, deserialize_with = "null_as_default")]
    pub webhooks_urls: Vec<String>,
}

/// `createHostedCheckoutResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateHostedCheckoutResponse {
    /// Secret echoed on the return URL, to match the return with this checkout.
    #[serde(rename = "RETURNMAC", skip_serializing_if = "Option::is_none")]
    pub returnmac: Option<String>,
    /// The checkout's id, for GetHostedCheckout.
    pub hosted_checkout_id: String,
    /// The shop's reference, as stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_reference: Option<String>,
    /// The page to open for the customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    /// The same page without scheme and subdomain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial_redirect_url: Option<String>,
    /// Tokens that were refused.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub invalid_tokens: Vec<String>,
}

/// `getHostedCheckoutResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetHostedCheckoutResponse {
    /// Where the customer is.
    pub status: HostedCheckoutStatus,
    /// The payment, once one exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_payment_output: Option<CreatedPaymentOutput>,
}

/// `createdPaymentOutput`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedPaymentOutput {
    /// The payment (for a split payment: the first tender).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment: Option<PaymentResponse>,
    /// Successful, rejected or not known yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_status_category: Option<PaymentStatusCategory>,
}

// ---------------------------------------------------------------------------------------------------------------
// Payments
// ---------------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------------
// Refunds
// ---------------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------------
// Capture, cancel, test connection
// ---------------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------------

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
