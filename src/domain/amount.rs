//! Money as integer cents, end to end. A cashier's typing ("17,50", "17.50", "17,50 €", "1 234,50") becomes an
//! [`Amount`] by decimal-string parsing, never through a float.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::i18n::{Lang, Localize, capitalise};

/// The platform's largest amount, in minor units (the OpenAPI contract's `amount` maximum).
pub const PLATFORM_MAX_CENTS: i64 = 999_999_999_999;

/// A non-negative amount of euros in cents. Arithmetic is checked; nothing here is ever a float.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(try_from = "i64", into = "i64")]
pub struct Amount(i64);

impl TryFrom<i64> for Amount {
    type Error = String;

    /// Cents read from a file or the wire: a negative number is an error naming it, never an amount.
    fn try_from(cents: i64) -> Result<Amount, String> {
        Amount::from_cents(cents)
            .ok_or_else(|| format!("{cents} cents is not an amount (negative)"))
    }
}

impl From<Amount> for i64 {
    fn from(a: Amount) -> i64 {
        a.0
    }
}

/// Why typed text is not an amount. Each variant names the fix.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AmountError {
    /// Nothing was typed.
    #[error("the amount is empty: type an amount such as 17.50")]
    Empty,
    /// Characters that are not digits, one decimal separator, spaces or a euro sign.
    #[error("'{0}' is not an amount: use digits and a decimal point, such as 17.50")]
    NotANumber(String),
    /// A space that does not separate thousands ("1 5", "5 00").
    #[error("'{0}': spaces may only separate thousands, such as 1 234.50")]
    MisplacedSpace(String),
    /// A minus sign: refunds and sales are both typed as positive amounts.
    #[error("the amount cannot be negative: type it without the minus sign")]
    Negative,
    /// More than two digits after the separator ("12,345").
    #[error("'{0}' has more than two decimals: euros have cents only, such as 12.35")]
    TooManyDecimals(String),
    /// Zero where at least one cent is needed.
    #[error("the amount must be at least €0.01")]
    Zero,
    /// Above what the platform accepts, or what fits in cents.
    #[error("the amount is too large: at most {}", .max.en())]
    TooLarge {
        /// The limit that was crossed.
        max: Amount,
    },
}

impl Localize for AmountError {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (AmountError::Empty, Lang::Fr) => {
                "Montant vide : saisissez un montant, par exemple 17,50".into()
            }
            (AmountError::NotANumber(s), Lang::Fr) => {
                format!(
                    "« {s} » n'est pas un montant : utilisez des chiffres et une virgule, par exemple 17,50"
                )
            }
            (AmountError::MisplacedSpace(s), Lang::Fr) => format!(
                "« {s} » : les espaces ne peuvent séparer que les milliers, par exemple 1 234,50"
            ),
            (AmountError::Negative, Lang::Fr) => {
                "Le montant ne peut pas être négatif : saisissez-le sans le signe moins".into()
            }
            (AmountError::TooManyDecimals(s), Lang::Fr) => {
                format!(
                    "« {s} » a plus de deux décimales : un montant en euros s'arrête aux centimes, par exemple 12,35"
                )
            }
            (AmountError::Zero, Lang::Fr) => "Le montant doit être d'au moins 0,01 €".into(),
            (AmountError::TooLarge { max }, Lang::Fr) => {
                format!("Montant trop élevé : au plus {}", max.fr())
            }
            (e, Lang::En) => capitalise(e.to_string()),
        }
    }
}

impl Amount {
    /// Zero euros.
    pub const ZERO: Amount = Amount(0);

    /// The platform's largest amount ([`PLATFORM_MAX_CENTS`]).
    pub const MAX: Amount = Amount(PLATFORM_MAX_CENTS);

    /// An amount from cents; `None` if negative.
    pub const fn from_cents(cents: i64) -> Option<Amount> {
        if cents >= 0 {
            Some(Amount(cents))
        } else {
            None
        }
    }

    /// An amount written in the program itself (a test card's balance, a demo sale). Checked when the program is
    /// compiled when used in a `const`; a negative literal is a bug, and panics.
    pub const fn literal(cents: i64) -> Amount {
        assert!(cents >= 0, "a negative amount literal");
        Amount(cents)
    }

    /// The amount in cents, as the platform and the ledger store it.
    pub fn cents(self) -> i64 {
        self.0
    }

    /// Parses what a person typed. Accepts "17,50", "17.50", "17,5", "17", "17,50 €", "€17.50", "1 234,50",
    /// "17,50 EUR". Refuses negatives, more than two decimals, exponents and anything that is not a number.
    /// Zero is accepted here; use [`Amount::parse_positive`] where at least one cent is needed.
    pub fn parse(input: &str) -> Result<Amount, AmountError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(AmountError::Empty);
        }
        // The currency, before or after, with or without a space.
        let mut rest = trimmed;
        for currency in ["€", "EUR", "eur", "Eur"] {
            if let Some(r) = rest.strip_suffix(currency) {
                rest = r.trim_end_matches(is_space);
                break;
            }
            if let Some(r) = rest.strip_prefix(currency) {
                rest = r.trim_start_matches(is_space);
                break;
            }
        }
        // Spaces only as thousands separators: groups of three digits before the decimal separator.
        let mut s = without_thousands_spaces(rest)
            .ok_or_else(|| AmountError::MisplacedSpace(trimmed.to_string()))?;
        if s.starts_with('-') || s.ends_with('-') {
            return Err(AmountError::Negative);
        }
        if let Some(rest) = s.strip_prefix('+') {
            s = rest.to_string();
        }
        if s.is_empty() {
            return Err(AmountError::NotANumber(trimmed.to_string()));
        }
        let separators = s.chars().filter(|c| *c == ',' || *c == '.').count();
        if separators > 1
            || !s
                .chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
        {
            return Err(AmountError::NotANumber(trimmed.to_string()));
        }
        let (whole, frac) = match s.find([',', '.']) {
            Some(i) => (&s[..i], &s[i + 1..]),
            None => (s.as_str(), ""),
        };
        if whole.is_empty() && frac.is_empty() {
            return Err(AmountError::NotANumber(trimmed.to_string()));
        }
        if frac.len() > 2 {
            return Err(AmountError::TooManyDecimals(trimmed.to_string()));
        }
        let too_large = AmountError::TooLarge { max: Amount::MAX };
        let whole_value: i64 = if whole.is_empty() {
            0
        } else if whole.len() > 12 {
            return Err(too_large);
        } else {
            whole
                .parse()
                .map_err(|_| AmountError::NotANumber(trimmed.to_string()))?
        };
        let frac_value: i64 = match frac.len() {
            0 => 0,
            1 => i64::from(frac.as_bytes()[0] - b'0') * 10,
            _ => frac
                .parse()
                .map_err(|_| AmountError::NotANumber(trimmed.to_string()))?,
        };
        let cents = whole_value
            .checked_mul(100)
            .and_then(|c| c.checked_add(frac_value))
            .ok_or(too_large.clone())?;
        if cents > PLATFORM_MAX_CENTS {
            return Err(too_large);
        }
        Ok(Amount(cents))
    }

    /// Like [`Amount::parse`], and refuses zero: a sale or a refund is at least 0,01 €.
    pub fn parse_positive(input: &str) -> Result<Amount, AmountError> {
        let a = Amount::parse(input)?;
        if a.0 == 0 {
            return Err(AmountError::Zero);
        }
        Ok(a)
    }

    /// Sum, `None` on overflow.
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    /// Sum, held at the largest amount rather than overflowing (a total of this size cannot happen in a shop).
    pub fn saturating_add(self, other: Amount) -> Amount {
        Amount(self.0.saturating_add(other.0))
    }

    /// Difference, `None` if it would go below zero.
    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).and_then(Amount::from_cents)
    }

    /// Difference, floored at zero.
    pub fn saturating_sub(self, other: Amount) -> Amount {
        Amount(self.0.saturating_sub(other.0).max(0))
    }

    /// French display: "1 234,50 €" (narrow no-break space between thousands, no-break space before €).
    pub fn fr(self) -> String {
        format!("{}\u{a0}€", group_thousands(self.0, '\u{202f}', ','))
    }

    /// English display: "€1,234.50".
    pub fn en(self) -> String {
        format!("€{}", group_thousands(self.0, ',', '.'))
    }

    /// As a person types it in the given language, without grouping or currency: "1234,50", "1234.50". What an
    /// amount field is filled with.
    pub fn typed(self, lang: Lang) -> String {
        self.plain(lang.decimal_separator())
    }

    /// Display in the given language.
    pub fn display(self, lang: Lang) -> String {
        match lang {
            Lang::Fr => self.fr(),
            Lang::En => self.en(),
        }
    }

    /// A plain decimal number with the given separator and no grouping ("1234,50"), for CSV cells.
    pub fn plain(self, decimal_separator: char) -> String {
        format!("{}{}{:02}", self.0 / 100, decimal_separator, self.0 % 100)
    }
}

impl fmt::Display for Amount {
    /// Neutral form for logs: "1234.50 EUR".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} EUR", self.plain('.'))
    }
}

impl std::iter::Sum for Amount {
    fn sum<I: Iterator<Item = Amount>>(iter: I) -> Amount {
        Amount(iter.map(|a| a.0).fold(0i64, i64::saturating_add))
    }
}

/// The spaces a person or a French formatter puts between thousands: space, no-break and narrow no-break space.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}')
}

/// `text` without its thousands separators, or `None` when a space stands anywhere else: between groups of three
/// digits of the whole part only ("1 234 567,89"), never in the first group of more than three digits, after the
/// decimal separator, or around a sign ("1 5", "5 00", "12,3 4").
fn without_thousands_spaces(text: &str) -> Option<String> {
    if !text.contains(is_space) {
        return Some(text.to_string());
    }
    let (whole, frac) = match text.find([',', '.']) {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    };
    if frac.contains(is_space) {
        return None;
    }
    let groups: Vec<&str> = whole.split(is_space).collect();
    let digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    let first_ok = groups.first().is_some_and(|g| digits(g) && g.len() <= 3);
    let rest_ok = groups.iter().skip(1).all(|g| digits(g) && g.len() == 3);
    (first_ok && rest_ok).then(|| format!("{}{frac}", groups.concat()))
}

fn group_thousands(cents: i64, group: char, decimal: char) -> String {
    let whole = (cents / 100).to_string();
    let mut out = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(group);
        }
        out.push(ch);
    }
    format!("{out}{decimal}{:02}", cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<i64, AmountError>) {
        assert_eq!(
            Amount::parse(input).map(Amount::cents),
            expected,
            "input {input:?}"
        );
    }

    #[test]
    fn parses_what_cashiers_type() {
        check("17,50", Ok(1750));
        check("17.50", Ok(1750));
        check("17,50 €", Ok(1750));
        check("17,50€", Ok(1750));
        check("€17.50", Ok(1750));
        check("17,5", Ok(1750));
        check("17", Ok(1700));
        check(" 17,50 EUR ", Ok(1750));
        check("1 234,56", Ok(123_456));
        check("1\u{202f}234,56\u{a0}€", Ok(123_456));
        check("0,01", Ok(1));
        check(",5", Ok(50));
        check("19,99", Ok(1999));
        check("0,29", Ok(29));
        check("4,35", Ok(435));
        check("1,15", Ok(115));
        check("9999999999,99", Ok(999_999_999_999));
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        check("", Err(AmountError::Empty));
        check("   ", Err(AmountError::Empty));
        check("abc", Err(AmountError::NotANumber("abc".into())));
        check("1e9", Err(AmountError::NotANumber("1e9".into())));
        check("-5", Err(AmountError::Negative));
        check("12,345", Err(AmountError::TooManyDecimals("12,345".into())));
        check("1.234,50", Err(AmountError::NotANumber("1.234,50".into())));
        check("€", Err(AmountError::NotANumber("€".into())));
        check(",", Err(AmountError::NotANumber(",".into())));
        check("NaN", Err(AmountError::NotANumber("NaN".into())));
        assert!(matches!(
            Amount::parse("10000000000000"),
            Err(AmountError::TooLarge { .. })
        ));
        assert!(matches!(
            Amount::parse("99999999999999999999999"),
            Err(AmountError::TooLarge { .. })
        ));
        assert_eq!(Amount::parse_positive("0"), Err(AmountError::Zero));
        assert_eq!(Amount::parse_positive("0,00 €"), Err(AmountError::Zero));
    }

    #[test]
    fn the_amount_parser_refuses_spaces_and_apostrophes_that_do_not_separate_thousands() {
        for bad in [
            "1 5", "5 00", "1'5", "12 3", "1234 567", "12,3 4", "1 234 56", " 1 5 €",
        ] {
            let got = Amount::parse(bad);
            assert!(
                matches!(
                    got,
                    Err(AmountError::MisplacedSpace(_) | AmountError::NotANumber(_))
                ),
                "{bad:?} -> {got:?}"
            );
        }
        check("1 5", Err(AmountError::MisplacedSpace("1 5".into())));
        check("1 234,50", Ok(123_450));
        check("1 234 567,89", Ok(123_456_789));
        check("12 345", Ok(1_234_500));
        check("1\u{a0}234,50 €", Ok(123_450));
        check("€ 17.50", Ok(1750));
        check("17,50 EUR", Ok(1750));
        assert!(
            AmountError::MisplacedSpace("1 5".into())
                .localize(Lang::Fr)
                .contains("milliers")
        );
    }

    #[test]
    fn formats_in_french_and_english() {
        assert_eq!(Amount(1750).fr(), "17,50\u{a0}€");
        assert_eq!(Amount(123_456).fr(), "1\u{202f}234,56\u{a0}€");
        assert_eq!(Amount(5).en(), "€0.05");
        assert_eq!(Amount(123_456_789).en(), "€1,234,567.89");
        assert_eq!(Amount(123_456).plain(','), "1234,56");
        assert_eq!(Amount(7).to_string(), "0.07 EUR");
    }

    #[test]
    fn round_trips_every_cent_below_a_thousand_euros() {
        for cents in 0..100_000 {
            let a = Amount(cents);
            assert_eq!(Amount::parse(&a.fr()), Ok(a));
            assert_eq!(Amount::parse(&a.plain('.')), Ok(a));
        }
    }

    #[test]
    fn an_amount_read_from_json_is_checked() {
        assert_eq!(
            serde_json::from_str::<Amount>("1750").expect("json"),
            Amount(1750)
        );
        assert!(serde_json::from_str::<Amount>("-1").is_err());
        assert_eq!(serde_json::to_string(&Amount(5)).expect("json"), "5");
    }

    #[test]
    fn errors_speak_french_and_name_the_fix() {
        let msg = AmountError::TooManyDecimals("12,345".into()).localize(Lang::Fr);
        assert!(msg.contains("deux décimales"), "{msg}");
        assert!(
            AmountError::Empty
                .localize(Lang::En)
                .starts_with("The amount is empty")
        );
        // English is written the English way: a decimal point, the euro sign first, grouped thousands.
        let en = AmountError::TooLarge {
            max: Amount(1_000_000),
        }
        .localize(Lang::En);
        assert!(en.ends_with("at most €10,000.00"), "{en}");
        for e in [
            AmountError::Empty,
            AmountError::NotANumber("x".into()),
            AmountError::TooManyDecimals("1,234".into()),
            AmountError::Zero,
        ] {
            let en = e.localize(Lang::En);
            assert!(!en.contains(",5") && !en.contains("0,01"), "{en}");
        }
        assert_eq!(Amount(123_450).typed(Lang::En), "1234.50");
        assert_eq!(Amount(123_450).typed(Lang::Fr), "1234,50");
    }
}
