//! Creating and reading a hosted checkout.

use serde::{Deserialize, Serialize};

use super::PAYMENT_PRODUCT_BIMPLI_CADO;
use super::payment::PaymentResponse;
use super::{AmountOfMoney, null_as_default};
use crate::direct::status::{AuthorizationMode, HostedCheckoutStatus, PaymentStatusCategory};
use crate::domain::Amount;

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
