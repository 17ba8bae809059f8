//! What the use cases need from the platform, in the till's own terms. [`DirectGateway`] implements it over the
//! Worldline Direct client; the use cases see only this trait, so their rules do not depend on wire details.

use std::future::Future;
use std::pin::Pin;

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::direct::DirectError;
use crate::direct::status::{HostedCheckoutStatus, PaymentStatus, RefundStatus};
use crate::domain::state::{captured_of, is_refund_operation, refund_state_of};
use crate::domain::{HostedCheckoutId, PaymentId, RefundId, RefundState};

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
    pub hosted_checkout_id: HostedCheckoutId,
    /// The page to open.
    pub redirect_url: String,
}

/// A reading of GetHostedCheckout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedCheckoutReading {
    /// `IN_PROGRESS`, `PAYMENT_CREATED`, `CANCELLED_BY_CONSUMER`.
    pub status: HostedCheckoutStatus,
    /// The first payment created, if any.
    pub payment: Option<PaymentReading>,
}

/// A reading of one payment (one tender).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentReading {
    /// `<10 digits>_0`.
    pub id: PaymentId,
    /// Such as `CAPTURED`.
    pub status: PaymentStatus,
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
    /// Its status, when the platform gives one.
    pub status: Option<PaymentStatus>,
    /// Its code.
    pub status_code: Option<i32>,
    /// Its amount, when the platform gives one.
    pub amount: Option<Amount>,
    /// The operation's merchant reference (our idempotence key for our refunds), when the platform returns it.
    pub merchant_reference: Option<String>,
}

/// A refund as the platform reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RefundReading {
    /// `<paymentid>_<n>`, when the platform gives one.
    pub id: Option<RefundId>,
    /// `REFUND_REQUESTED`, `REFUNDED`, `REJECTED`, … when the platform gives one.
    pub status: Option<RefundStatus>,
    /// Its code.
    pub status_code: Option<i32>,
    /// Its amount, when the platform gives one.
    pub amount: Option<Amount>,
    /// Our operation reference, when the platform returns it.
    pub merchant_reference: Option<String>,
}

impl PaymentReading {
    /// What the tender captured ([`crate::domain::state::captured_of`]).
    pub fn captured(&self) -> Amount {
        captured_of(self.status.as_str(), self.status_code, self.acquired)
    }
}

impl OperationReading {
    /// The status word (empty when the platform gave none; the code then decides).
    pub fn status_word(&self) -> &str {
        self.status.as_ref().map_or("", PaymentStatus::as_str)
    }

    /// Whether it is a refund (by status or code).
    pub fn is_refund(&self) -> bool {
        is_refund_operation(self.status_word(), self.status_code)
    }

    /// The operation read as a refund.
    pub fn as_refund(&self) -> RefundReading {
        RefundReading {
            id: RefundId::parse(&self.id).ok(),
            status: self
                .status
                .as_ref()
                .map(|s| RefundStatus::from_wire(s.as_str())),
            status_code: self.status_code,
            amount: self.amount,
            merchant_reference: self.merchant_reference.clone(),
        }
    }
}

impl RefundReading {
    /// The status word (empty when the platform gave none; the code then decides).
    pub fn status_word(&self) -> &str {
        self.status.as_ref().map_or("", RefundStatus::as_str)
    }

    /// Where the refund stands ([`crate::domain::state::refund_state_of`]).
    pub fn state(&self) -> RefundState {
        refund_state_of(self.status_word(), self.status_code)
    }
}

/// The client's error behind a [`GatewayError`], kept whole for its chain of causes (status, error id, body).
pub type Cause = Option<Arc<DirectError>>;

/// How a call failed, as far as the use cases care. Each variant keeps the client's typed error as its cause.
#[derive(Debug, Clone)]
pub enum GatewayError {
    /// The platform declined (a refund body with `refundResult`, or a payment decline).
    Declined {
        /// The refund as declined, when given.
        refund: Option<Box<RefundReading>>,
        /// The platform's message.
        message: String,
        /// The client's error.
        cause: Cause,
    },
    /// The platform refused the request (400, 404, 410): nothing was done.
    Refused {
        /// HTTP status.
        http_status: u16,
        /// The platform's error id or message.
        message: String,
        /// The client's error.
        cause: Cause,
    },
    /// The credentials were refused (401/403).
    Unauthorized {
        /// The platform's message.
        message: String,
        /// The client's error.
        cause: Cause,
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
        /// The client's error.
        cause: Cause,
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

    /// What the platform or the connection said, without the kind of failure.
    pub fn detail(&self) -> String {
        match self {
            GatewayError::Declined { message, .. }
            | GatewayError::Refused { message, .. }
            | GatewayError::Unauthorized { message, .. }
            | GatewayError::Unreadable { message }
            | GatewayError::Unreachable { message, .. } => message.clone(),
            GatewayError::InProgress => "the same request is still being processed".into(),
        }
    }

    /// One line.
    pub fn message(&self) -> String {
        match self {
            GatewayError::Declined { message, .. } => format!("declined: {message}"),
            GatewayError::Refused {
                http_status,
                message,
                ..
            } => format!("refused ({http_status}): {message}"),
            GatewayError::Unauthorized { message, .. } => {
                format!("credentials refused: {message}")
            }
            GatewayError::InProgress => "the same request is still being processed".into(),
            GatewayError::Unreachable { message, .. } => format!("no answer: {message}"),
            GatewayError::Unreadable { message } => format!("unreadable answer: {message}"),
        }
    }
}

impl fmt::Display for GatewayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for GatewayError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            GatewayError::Declined { cause, .. }
            | GatewayError::Refused { cause, .. }
            | GatewayError::Unauthorized { cause, .. }
            | GatewayError::Unreachable { cause, .. } => cause
                .as_deref()
                .map(|e| e as &(dyn std::error::Error + 'static)),
            GatewayError::InProgress | GatewayError::Unreadable { .. } => None,
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
    /// CancelPayment of a whole payment (an authorisation waiting for its capture), with
    /// `X-GCS-Idempotence-Key: idempotence_key`; the payment as the platform shows it afterwards.
    fn cancel_payment<'a>(
        &'a self,
        payment_id: &'a str,
        idempotence_key: &'a str,
    ) -> BoxFuture<'a, Result<PaymentReading, GatewayError>>;
    /// GetRefunds.
    fn refunds<'a>(
        &'a self,
        payment_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<RefundReading>, GatewayError>>;
    /// TestConnection.
    fn test_connection(&self) -> BoxFuture<'_, Result<(), GatewayError>>;
}
