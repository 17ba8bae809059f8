//! Ringing up a sale: the checkout's intent, the hosted checkout on the platform, and its answer.

use crate::domain::{Amount, AmountError};
use crate::ledger::{Event, LedgerError};

use super::gateway::CheckoutRequest;
use super::views::{CheckoutView, NewCheckout};
use super::{Result, Till, TillError, logic};

impl Till {
    /// Validates, records the intent, creates the hosted checkout, records the answer, and returns the view with
    /// the redirect URL.
    pub async fn create_checkout(&self, new: NewCheckout) -> Result<CheckoutView> {
        if new.amount.cents() == 0 {
            return Err(TillError::Amount(AmountError::Zero));
        }
        if new.amount > Amount::MAX {
            return Err(TillError::Amount(AmountError::TooLarge {
                max: Amount::MAX,
            }));
        }
        let email = new
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_string);
        if let Some(e) = &email
            && !logic::valid_email(e)
        {
            return Err(TillError::EmailInvalid(e.clone()));
        }
        let return_url = new
            .return_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_string)
            .or_else(|| self.core.return_url.clone());
        if let Some(u) = &return_url
            && !logic::valid_return_url(u)
        {
            return Err(TillError::ReturnUrlInvalid(u.clone()));
        }
        let locale = if new.locale.trim().is_empty() {
            "fr_FR".to_string()
        } else {
            new.locale.trim().to_string()
        };
        if locale.len() > 6 || !locale.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
            return Err(TillError::LocaleInvalid(locale));
        }
        let ledger = self.ledger();
        let typed_reference = new
            .merchant_reference
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string);
        if let Some(r) = &typed_reference {
            if !logic::valid_reference(r) {
                return Err(TillError::ReferenceInvalid(r.clone()));
            }
            if ledger
                .checkout_by_reference(r)
                .map_err(TillError::from_ledger)?
                .is_some()
            {
                return Err(TillError::ReferenceTaken(r.clone()));
            }
        }
        // The intent first. A generated reference may be taken by another process between reading the counter and
        // writing; the UNIQUE key refuses it and the next number is tried.
        let mut attempt = 0;
        let till_code = match &typed_reference {
            Some(_) => String::new(),
            None => self.till_identity()?.code,
        };
        let merchant_reference = loop {
            let reference = match &typed_reference {
                Some(r) => r.clone(),
                None => ledger
                    .next_merchant_reference(&logic::reference_prefix(&till_code, self.now()))
                    .map_err(TillError::from_ledger)?,
            };
            let event = Event::CheckoutRequested {
                merchant_reference: reference.clone(),
                amount_cents: new.amount.cents(),
                currency: "EUR".to_string(),
                email: email.clone(),
                locale: locale.clone(),
                return_url: return_url.clone(),
            };
            match ledger.append(self.operator(), &event) {
                Ok(_) => break reference,
                Err(LedgerError::Constraint(_)) if typed_reference.is_none() && attempt < 5 => {
                    attempt += 1;
                }
                Err(LedgerError::Constraint(_)) => {
                    return Err(TillError::ReferenceTaken(reference));
                }
                Err(e) => return Err(TillError::from_ledger(e)),
            }
        };
        let request = CheckoutRequest {
            amount: new.amount,
            merchant_reference: merchant_reference.clone(),
            email,
            locale,
            return_url,
            session_timeout_minutes: self.core.session_timeout.num_minutes(),
        };
        match self.core.gateway.create_checkout(&request).await {
            Ok(created) => {
                ledger
                    .append(
                        self.operator(),
                        &Event::CheckoutCreated {
                            merchant_reference: merchant_reference.clone(),
                            hosted_checkout_id: created.hosted_checkout_id.clone(),
                            redirect_url: created.redirect_url,
                        },
                    )
                    .map_err(TillError::from_ledger)?;
                tracing::info!(hosted_checkout_id = %created.hosted_checkout_id, %merchant_reference, "checkout created");
                self.checkout(&created.hosted_checkout_id)?
                    .ok_or(TillError::UnknownCheckout(
                        created.hosted_checkout_id.to_string(),
                    ))
            }
            Err(e) => {
                ledger
                    .append(
                        self.operator(),
                        &Event::CheckoutFailed {
                            merchant_reference,
                            failure: e.message(),
                        },
                    )
                    .map_err(TillError::from_ledger)?;
                Err(TillError::from_gateway(e))
            }
        }
    }
}
