//! The test cards of the README's table: numbers, balances, expiry, and which ones the issuer declines.

/// What kind of card a test card is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CardKind {
    /// A Bimpli CADO gift card (product 3103).
    GiftCard,
    /// Visa (product 1).
    Visa,
    /// Mastercard (product 3).
    Mastercard,
}

impl CardKind {
    /// The Worldline payment product id.
    pub(crate) fn product_id(self) -> u32 {
        match self {
            CardKind::GiftCard => 3103,
            CardKind::Visa => 1,
            CardKind::Mastercard => 3,
        }
    }
}

/// One test card of the README's table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TestCard {
    pub number: &'static str,
    pub kind: CardKind,
    /// Starting balance in cents (gift cards only).
    pub balance: i64,
    /// Expiry as MMYY.
    pub expiry: &'static str,
    pub cvv: &'static str,
    /// The issuer declines every payment with this card.
    pub declined: bool,
    /// The issuer declines every refund to this card.
    pub refunds_declined: bool,
}

/// The test cards. Any other number is unknown and declined.
pub(crate) const TEST_CARDS: &[TestCard] = &[
    gift("6299000000000001", 25_000, "1230", false),
    gift("6299000000000002", 5_000, "1230", false),
    gift("6299000000000003", 2_000, "1230", false),
    gift("6299000000000004", 0, "1230", false),
    gift("6299000000000005", 10_000, "0124", false),
    gift("6299000000000006", 10_000, "1230", true),
    bank("4012000033330026", CardKind::Visa, false),
    bank("5555555555554444", CardKind::Mastercard, false),
    bank("4321456998744563", CardKind::Visa, true),
];

const fn gift(
    number: &'static str,
    balance: i64,
    expiry: &'static str,
    refunds_declined: bool,
) -> TestCard {
    TestCard {
        number,
        kind: CardKind::GiftCard,
        balance,
        expiry,
        cvv: "123",
        declined: false,
        refunds_declined,
    }
}

const fn bank(number: &'static str, kind: CardKind, declined: bool) -> TestCard {
    TestCard {
        number,
        kind,
        balance: 0,
        expiry: "0530",
        cvv: "123",
        declined,
        refunds_declined: false,
    }
}

/// The test card with this number (spaces ignored).
pub(crate) fn test_card(number: &str) -> Option<&'static TestCard> {
    let digits: String = number.chars().filter(|c| !c.is_whitespace()).collect();
    TEST_CARDS.iter().find(|c| c.number == digits)
}

/// `************0026`: only the last four digits stay.
pub(crate) fn mask(number: &str) -> String {
    let n = number.len();
    let keep = n.saturating_sub(4);
    format!("{}{}", "*".repeat(keep), &number[keep..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_all_but_the_last_four() {
        assert_eq!(mask("4012000033330026"), "************0026");
        assert_eq!(mask("12"), "12");
    }

    #[test]
    fn finds_test_cards_with_spaces() {
        let c = test_card("6299 0000 0000 0002").map(|c| c.balance);
        assert_eq!(c, Some(5_000));
        assert!(test_card("1111").is_none());
    }
}
