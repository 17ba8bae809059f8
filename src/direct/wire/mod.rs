//! The JSON bodies of the operations the till uses, named exactly as in the OpenAPI contract (camelCase,
//! `RETURNMAC`, the capitalised `Operations`). Amounts stay integer minor units (`i64`).
//!
//! Responses tolerate what the platform may add or leave out: unknown properties are ignored, optional ones are
//! `Option` or an empty list (a JSON `null` list reads as empty). Only the identifier that makes a response useful
//! (a payment's `id`, a checkout's `hostedCheckoutId`) is required. Requests leave out every `None`.

use serde::{Deserialize, Deserializer, Serialize};

use crate::domain::Amount;

mod capture;
mod checkout;
mod error;
mod payment;
mod refund;

pub use capture::*;
pub use checkout::*;
pub use error::*;
pub use payment::*;
pub use refund::*;

/// Reads a JSON `null` as the type's default (an empty list), as the platform sometimes sends `"errors": null`.
pub(super) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// The payment product id of Bimpli CADO (the contract's "CadoCarte").
pub const PAYMENT_PRODUCT_BIMPLI_CADO: i32 = crate::domain::PRODUCT_CADO;

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
