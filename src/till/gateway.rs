//! What the use cases need from the platform, in the till's own terms. [`DirectGateway`] implements it over the
//! Worldline Direct client; the use cases see only this trait, so their rules do not depend on wire details.

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;

use crate::domain::Amount;

/// A boxed future, so that the trait can be used as `dyn Gateway`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What to create on the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRequest {
    /// The sale's amount.
    pub amount: Amount,
    /// Our order reference (≤ 40).
    pub merchant_reference: String,
    /// The customer's e-mail.
    pub email: Option<String>,
    /// Such as `fr_FR`.
    pub locale: String,
    /// Where the customer returns.
    pub return_url: Option<String>,
    /// Minutes the hosted page stays open.
    pub session_timeout_minutes: i64,
}

/// The platform's answer to a checkout creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedCheckout {
    /// The hosted checkout id.
    pub hosted_checkout_id: String,
    /// The page to open.
    pub redirect_url: String,
}

/// A reading of GetHostedCheckout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedCheckoutReading {
    /// `IN_PROGRESS`, `PAYMENT_CREATED`, `CANCELLED_BY_CONSUMER`.
    pub status: String,
    /// The first payment created, if any.
    pub payment: Option<PaymentReading>,
}

/// A reading of one payment (one tender).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentReading {
    /// `<10 digits>_0`.
    pub id: String,
    /// Such as `CAPTURED`.
    pub status: String,
    /// The legacy numeric code.
    pub status_code: Option<i32>,
    /// 3103, 1, 3, …
    pub product_id: Option<i32>,
    /// Masked card number.
    pub masked_number: Option<String>,
    /// Amount asked.
    pub amount: Amount,
    /// Amount acquired (the amount asked when the platform does not say).
    pub acquired: Amount,
}

/// One operation of GetPaymentDetails (`Operations`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperationReading {
    /// The operation id: `<paymentid>_0` for a tender, `<paymentid>_<n>` for later operations.
    pub id: String,
    /// Its status.
    pub status: String,
    /// Its code.
    pub status_code: Option<i32>,
    /// Its amount, when the platform gives one.
    pub amount: Option<Amount>,
    /// The operation's merchant reference (our idempotence key for our refunds), when the platform returns it.
    pub merchant_reference: Option<String>,
}

/// A refund as the platform reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundReading {
    /// `<paymentid>_<n>`.
    pub id: String,
    /// `REFUND_REQUESTED`, `REFUNDED`, `REJECTED`, …
    pub status: String,
    /// Its code.
    pub status_code: Option<i32>,
    /// Its amount, when the platform gives one.
    pub amount: Option<Amount>,
    /// Our operation reference, when the platform returns it.
    pub merchant_reference: Option<String>,
}

/// How a call failed, as far as the use cases care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayError {
    /// The platform declined (a refund body with `refundResult`, or a payment decline).
    Declined {
        /// The refund as declined, when given.
        refund: Option<RefundReading>,
        /// The platform's message.
        message: String,
    },
    /// The platform refused the request (400, 404, 410): nothing was done.
    Refused {
        /// HTTP status.
        http_status: u16,
        /// The platform's error id or message.
        message: String,
    },
    /// The credentials were refused (401/403).
    Unauthorized {
        /// The platform's message.
        message: String,
    },
    /// The same idempotence key is still being processed (409): ask again later with the same key.
    InProgress,
    /// The platform answered, but a value the till needs cannot be read (a negative amount, a missing one): the
    /// outcome is unknown, and the value is named, never taken as zero.
    Unreadable {
        /// What could not be read, and where.
        message: String,
    },
    /// The answer did not arrive or the platform failed (timeout, transport, 5xx): the outcome is unknown.
    Unreachable {
        /// What happened.
        message: String,
    },
}

impl GatewayError {
    /// The outcome of the call is unknown and may be settled by asking again.
    pub fn is_uncertain(&self) -> bool {
        matches!(
            self,
            GatewayError::InProgress
                | GatewayError::Unreachable { .. }
                | GatewayError::Unreadable { .. }
        )
    }

    /// One line.
    pub fn message(&self) -> String {
        match self {
            GatewayError::Declined { message, .. } => format!("declined: {message}"),
            GatewayError::Refused {
                http_status,
                message,
            } => format!("refused ({http_status}): {message}"),
            GatewayError::Unauthorized { message } => {
                format!("credentials refused: {message}")
            }
            GatewayError::InProgress => "the same request is still being processed".into(),
            GatewayError::Unreachable { message } => format!("no answer: {message}"),
            GatewayError::Unreadable { message } => format!("unreadable answer: {message}"),
        }
    }
}

/// The platform, as the use cases see it.
pub trait Gateway: Send + Sync + std::fmt::Debug {
    /// CreateHostedCheckout with product 3103 and `completeRemainingPaymentAmount`.
    fn create_checkout<'a>(
        &'a self,
        req: &'a CheckoutRequest,
    ) -> BoxFuture<'a, Result<CreatedCheckout, GatewayError>>;
    /// GetHostedCheckout.
    fn hosted_checkout<'a>(
        &'a self,
        hosted_checkout_id: &'a str,
    ) -> BoxFuture<'a, Result<HostedCheckoutReading, GatewayError>>;
    /// GetPayment.
    fn payment<'a>(
        &'a self,
        payment_id: &'a str,
    ) -> BoxFuture<'a, Result<PaymentReading, GatewayError>>;
    /// GetPaymentDetails' `Operations`.
    fn operations<'a>(
        &'a self,
        payment_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<OperationReading>, GatewayError>>;
    /// RefundPayment with `X-GCS-Idempotence-Key: idempotence_key` (also sent as the operation's merchant reference).
    fn refund<'a>(
        &'a self,
        payment_id: &'a str,
        amount: Amount,
        reason: &'a str,
        idempotence_key: &'a str,
    ) -> BoxFuture<'a, Result<RefundReading, GatewayError>>;
    /// GetRefunds.
    fn refunds<'a>(
        &'a self,
        payment_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<RefundReading>, GatewayError>>;
    /// TestConnection.
    fn test_connection(&self) -> BoxFuture<'_, Result<(), GatewayError>>;
}
