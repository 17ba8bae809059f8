//! Tenders: each gift card of a sale, and the bank card that paid the remainder.

use serde::{Deserialize, Serialize};

use super::amount::Amount;
use crate::i18n::Lang;

/// The Bimpli CADO payment product.
pub const PRODUCT_CADO: i32 = 3103;
/// Visa.
pub const PRODUCT_VISA: i32 = 1;
/// Mastercard.
pub const PRODUCT_MASTERCARD: i32 = 3;

/// The kind of a tender, from its payment product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TenderKind {
    /// Bimpli CADO (3103).
    GiftCard,
    /// Visa (1).
    Visa,
    /// Mastercard (3).
    Mastercard,
    /// Any other product.
    Other(i32),
}

impl TenderKind {
    /// From the payment product id.
    pub fn from_product(product_id: i32) -> TenderKind {
        match product_id {
            PRODUCT_CADO => TenderKind::GiftCard,
            PRODUCT_VISA => TenderKind::Visa,
            PRODUCT_MASTERCARD => TenderKind::Mastercard,
            other => TenderKind::Other(other),
        }
    }

    /// Its name for people: "Bimpli CADO", "Visa", "Mastercard", "Produit 5402".
    pub fn label(self, lang: Lang) -> String {
        match self {
            TenderKind::GiftCard => "Bimpli CADO".into(),
            TenderKind::Visa => "Visa".into(),
            TenderKind::Mastercard => "Mastercard".into(),
            TenderKind::Other(id) => format!("{} {id}", lang.pick("Produit", "Product")),
        }
    }
}

/// What can still be refunded on a tender: captured − refunded − the refunds that still hold an amount (requested,
/// pending or unknown), never below zero. The one definition the guard, the till and every screen use.
pub fn refundable(captured: Amount, refunded: Amount, held: Amount) -> Amount {
    captured.saturating_sub(refunded).saturating_sub(held)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refundable_subtracts_what_is_refunded_and_what_is_held() {
        let a = |c| Amount::from_cents(c).expect("amount");
        assert_eq!(refundable(a(8750), a(5000), a(2500)), a(1250));
        assert_eq!(refundable(a(1000), a(600), a(600)), Amount::ZERO);
        assert_eq!(TenderKind::from_product(3103), TenderKind::GiftCard);
        assert_eq!(TenderKind::Other(5402).label(Lang::En), "Product 5402");
    }
}
