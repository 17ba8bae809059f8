//! [`Gateway`] over the Worldline Direct client: builds the requests the use cases need and reads the answers
//! into the till's terms.

use std::str::FromStr;
use std::sync::Arc;

use crate::direct::client::{ClientOptions, DirectClient, Environment, IdempotenceKey};
use crate::direct::status::AuthorizationMode;
use crate::direct::wire::{
    CadoCheckout, CancelPaymentRequest, CreateHostedCheckoutRequest, PaymentResponse,
    RefundRequest, RefundResponse,
};
use crate::direct::{Credentials, DirectError};
use crate::domain::{Amount, InvalidId, RefundId};
use crate::vault::ApiCredentials;

use super::gateway::{
    BoxFuture, CheckoutRequest, CreatedCheckout, Gateway, GatewayError, HostedCheckoutReading,
    OperationReading, PaymentReading, RefundReading,
};

/// The platform over HTTP, through [`DirectClient`].
#[derive(Debug, Clone)]
pub struct DirectGateway {
    client: DirectClient,
}

impl DirectGateway {
    /// A gateway to `base_url` (`preprod`, `prod` or an http(s) URL) with the given credentials.
    pub fn new(base_url: &str, credentials: &ApiCredentials) -> Result<DirectGateway, String> {
        let env = Environment::from_str(base_url).map_err(|e| e.to_string())?;
        let creds = Credentials::new(
            credentials.merchant_id.clone(),
            credentials.api_key_id.clone(),
            credentials.api_secret.expose().to_string(),
        );
        let client = DirectClient::for_environment(&env, creds, ClientOptions::default())
            .map_err(|e| e.to_string())?;
        Ok(DirectGateway { client })
    }

    /// A gateway over an existing client.
    pub fn from_client(client: DirectClient) -> DirectGateway {
        DirectGateway { client }
    }
}

fn gateway_error(e: DirectError) -> GatewayError {
    let message = e.to_string();
    if matches!(e, DirectError::IdempotenceInProgress { .. }) {
        return GatewayError::InProgress;
    }
    let http_status = e.status().unwrap_or(0);
    let declined = match &e {
        DirectError::DeclinedRefund { body, .. } => Some(
            body.refund_result
                .as_ref()
                .and_then(|r| refund_reading(r).ok())
                .map(Box::new),
        ),
        DirectError::DeclinedPayment { .. } => Some(None),
        _ => None,
    };
    let unknown = e.is_outcome_unknown()
        || matches!(
            e,
            DirectError::Platform { .. }
                | DirectError::Timeout { .. }
                | DirectError::Transport { .. }
        );
    let authorization = matches!(e, DirectError::Authorization { .. });
    let cause = Some(Arc::new(e));
    if unknown {
        GatewayError::Unreachable { message, cause }
    } else if let Some(refund) = declined {
        GatewayError::Declined {
            refund,
            message,
            cause,
        }
    } else if authorization {
        GatewayError::Unauthorized { message, cause }
    } else {
        GatewayError::Refused {
            http_status,
            message,
            cause,
        }
    }
}

/// An id of the platform's answer, checked: one that is not an id of its kind cannot be read.
fn platform_id<T: std::str::FromStr<Err = InvalidId>>(text: &str) -> Result<T, GatewayError> {
    text.parse()
        .map_err(|e: InvalidId| GatewayError::Unreadable {
            message: e.to_string(),
        })
}

/// An amount of the platform's answer: absent is `None`; a negative number cannot be read and is an error naming it.
fn amount_of(cents: Option<i64>, what: &str, id: &str) -> Result<Option<Amount>, GatewayError> {
    match cents {
        None => Ok(None),
        Some(c) => Amount::from_cents(c)
            .map(Some)
            .ok_or_else(|| GatewayError::Unreadable {
                message: format!("{what} of {id} is {c} cents, not an amount"),
            }),
    }
}

fn payment_reading(p: &PaymentResponse) -> Result<PaymentReading, GatewayError> {
    let out = p.payment_output.as_ref();
    let amount = amount_of(
        out.and_then(|o| o.amount_of_money.as_ref())
            .map(|a| a.amount),
        "the amount",
        &p.id,
    )?
    .ok_or_else(|| GatewayError::Unreadable {
        message: format!("payment {} has no amountOfMoney", p.id),
    })?;
    let acquired = amount_of(
        out.and_then(|o| o.acquired_amount.as_ref())
            .map(|a| a.amount)
            .or_else(|| out.and_then(|o| o.amount_paid)),
        "the acquired amount",
        &p.id,
    )?
    .unwrap_or(amount);
    Ok(PaymentReading {
        id: platform_id(&p.id)?,
        status: p.status.clone().ok_or_else(|| GatewayError::Unreadable {
            message: format!("payment {} has no status", p.id),
        })?,
        status_code: p
            .status_output
            .as_ref()
            .and_then(|s| s.status_code)
            .map(|c| c.0),
        product_id: out.and_then(|o| o.payment_product_id()),
        masked_number: out
            .and_then(|o| o.card_payment_method_specific_output.as_ref())
            .and_then(|c| c.card.as_ref())
            .and_then(|c| c.card_number.clone()),
        amount,
        acquired,
    })
}

fn refund_reading(r: &RefundResponse) -> Result<RefundReading, GatewayError> {
    let out = r.refund_output.as_ref();
    Ok(RefundReading {
        id: RefundId::parse(&r.id).ok(),
        status: r.status.clone(),
        status_code: r
            .status_output
            .as_ref()
            .and_then(|s| s.status_code)
            .map(|c| c.0),
        amount: amount_of(
            out.and_then(|o| o.amount_of_money.as_ref())
                .map(|a| a.amount),
            "the amount of refund",
            &r.id,
        )?,
        merchant_reference: out
            .and_then(|o| o.operation_references.as_ref())
            .and_then(|o| o.merchant_reference.clone()),
    })
}

impl Gateway for DirectGateway {
    fn create_checkout<'a>(
        &'a self,
        req: &'a CheckoutRequest,
    ) -> BoxFuture<'a, Result<CreatedCheckout, GatewayError>> {
        Box::pin(async move {
            let mut body = CreateHostedCheckoutRequest::bimpli_cado(CadoCheckout {
                amount: req.amount,
                merchant_reference: Some(req.merchant_reference.clone()),
                customer_email: req.email.clone(),
                locale: req.locale.clone(),
                return_url: req.return_url.clone().unwrap_or_default(),
                session_timeout_minutes: u32::try_from(req.session_timeout_minutes).ok(),
                allowed_number_of_payment_attempts: None,
                complete_remaining_payment_amount: true,
                // The card paying the remainder is captured at once, like the gift cards.
                card_authorization_mode: Some(AuthorizationMode::Sale),
                webhooks_urls: Vec::new(),
            });
            if req.return_url.is_none()
                && let Some(h) = body.hosted_checkout_specific_input.as_mut()
            {
                h.return_url = None;
            }
            let created = self
                .client
                .create_hosted_checkout(&body)
                .await
                .map_err(gateway_error)?;
            let redirect_url = created
                .redirect_url
                .clone()
                .or_else(|| {
                    created
                        .partial_redirect_url
                        .as_ref()
                        .map(|p| format!("https://payment.{p}"))
                })
                .unwrap_or_default();
            Ok(CreatedCheckout {
                hosted_checkout_id: platform_id(&created.hosted_checkout_id)?,
                redirect_url,
            })
        })
    }

    fn hosted_checkout<'a>(
        &'a self,
        hosted_checkout_id: &'a str,
    ) -> BoxFuture<'a, Result<HostedCheckoutReading, GatewayError>> {
        Box::pin(async move {
            let h = self
                .client
                .get_hosted_checkout(hosted_checkout_id)
                .await
                .map_err(gateway_error)?;
            Ok(HostedCheckoutReading {
                status: h.status.clone(),
                payment: h
                    .created_payment_output
                    .as_ref()
                    .and_then(|c| c.payment.as_ref())
                    .map(payment_reading)
                    .transpose()?,
            })
        })
    }

    fn payment<'a>(
        &'a self,
        payment_id: &'a str,
    ) -> BoxFuture<'a, Result<PaymentReading, GatewayError>> {
        Box::pin(async move {
            let p = self
                .client
                .get_payment(payment_id)
                .await
                .map_err(gateway_error)?;
            payment_reading(&p)
        })
    }

    fn operations<'a>(
        &'a self,
        payment_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<OperationReading>, GatewayError>> {
        Box::pin(async move {
            let d = self
                .client
                .get_payment_details(payment_id)
                .await
                .map_err(gateway_error)?;
            d.operations
                .iter()
                .filter_map(|op| {
                    let id = op.id.clone()?;
                    let amount = match amount_of(
                        op.amount_of_money.as_ref().map(|a| a.amount),
                        "the amount of operation",
                        &id,
                    ) {
                        Ok(a) => a,
                        Err(e) => return Some(Err(e)),
                    };
                    Some(Ok(OperationReading {
                        id,
                        status: op.status.clone(),
                        status_code: op
                            .status_output
                            .as_ref()
                            .and_then(|s| s.status_code)
                            .map(|c| c.0),
                        amount,
                        merchant_reference: op
                            .operation_references
                            .as_ref()
                            .and_then(|r| r.merchant_reference.clone()),
                    }))
                })
                .collect()
        })
    }

    fn refund<'a>(
        &'a self,
        payment_id: &'a str,
        amount: Amount,
        reason: &'a str,
        idempotence_key: &'a str,
    ) -> BoxFuture<'a, Result<RefundReading, GatewayError>> {
        Box::pin(async move {
            let key = IdempotenceKey::new(idempotence_key).map_err(|e| GatewayError::Refused {
                http_status: 0,
                message: e.to_string(),
                cause: None,
            })?;
            let body = RefundRequest::eur(
                amount,
                Some(idempotence_key.to_string()),
                Some(reason.to_string()),
            );
            let answer = self
                .client
                .refund_payment(payment_id, &body, &key)
                .await
                .map_err(gateway_error)?;
            let mut reading = refund_reading(&answer.body)?;
            if reading.merchant_reference.is_none() {
                reading.merchant_reference = Some(idempotence_key.to_string());
            }
            if reading.amount.is_none() {
                reading.amount = Some(amount);
            }
            Ok(reading)
        })
    }

    fn cancel_payment<'a>(
        &'a self,
        payment_id: &'a str,
        idempotence_key: &'a str,
    ) -> BoxFuture<'a, Result<PaymentReading, GatewayError>> {
        Box::pin(async move {
            let key = IdempotenceKey::new(idempotence_key).map_err(|e| GatewayError::Refused {
                http_status: 0,
                message: e.to_string(),
                cause: None,
            })?;
            let answer = self
                .client
                .cancel_payment(payment_id, &CancelPaymentRequest::default(), &key)
                .await
                .map_err(gateway_error)?;
            match &answer.body.payment {
                Some(p) => payment_reading(p),
                // No payment in the answer: the platform's word is read, never guessed.
                None => self.payment(payment_id).await,
            }
        })
    }

    fn refunds<'a>(
        &'a self,
        payment_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<RefundReading>, GatewayError>> {
        Box::pin(async move {
            let r = self
                .client
                .get_refunds(payment_id)
                .await
                .map_err(gateway_error)?;
            r.refunds.iter().map(refund_reading).collect()
        })
    }

    fn test_connection(&self) -> BoxFuture<'_, Result<(), GatewayError>> {
        Box::pin(async move {
            self.client
                .test_connection()
                .await
                .map(|_| ())
                .map_err(gateway_error)
        })
    }
}
