//! The manager's rules: which refunds need the manager PIN, and the PIN itself, kept as a salted hash so the
//! settings never hold the PIN. Both faces ask the till, so the rule is the same wherever a refund is made.

use sha2::{Digest, Sha256};

use crate::domain::Amount;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn digest(salt_hex: &str, pin: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt_hex.as_bytes());
    h.update(b":");
    h.update(pin.as_bytes());
    hex(&h.finalize())
}

/// Hashes a new PIN with a fresh random salt: `salt:sha256(salt:pin)`, hex.
pub fn hash(pin: &str) -> String {
    let salt: [u8; 16] = rand::random();
    let salt_hex = hex(&salt);
    let d = digest(&salt_hex, pin);
    format!("{salt_hex}:{d}")
}

/// Checks a typed PIN against a stored hash. A malformed hash matches nothing.
pub fn verify(pin: &str, stored: &str) -> bool {
    let Some((salt_hex, expected)) = stored.split_once(':') else {
        return false;
    };
    let actual = digest(salt_hex, pin);
    // Compare every byte so the time taken does not tell how much matched.
    actual.len() == expected.len()
        && actual
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// When the manager PIN is needed for a refund: above a threshold, or for every refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinRule {
    /// Refunds above this amount need the PIN.
    pub threshold: Option<Amount>,
    /// Every refund needs the PIN.
    pub always: bool,
}

impl PinRule {
    /// Does a refund of `amount` need the manager PIN?
    pub fn needs_pin(&self, amount: Amount) -> bool {
        self.always || self.threshold.is_some_and(|t| amount > t)
    }
}

/// Longest operator name.
pub const MAX_OPERATOR_LEN: usize = 40;

/// An operator name written on every journal entry and in the accountant's export: 1–40 letters (accents
/// included), digits, spaces, `-`, `_`, `.` or `'`, starting with a letter or a digit. No control characters, and
/// nothing a spreadsheet would take for a formula (`=`, `+`, `-`, `@` first).
pub fn valid_operator(name: &str) -> bool {
    let n = name.chars().count();
    (1..=MAX_OPERATOR_LEN).contains(&n)
        && name.chars().next().is_some_and(char::is_alphanumeric)
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '\''))
}

/// A PIN is 4 to 12 digits.
pub fn is_acceptable(pin: &str) -> bool {
    (4..=12).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_verifies_against_its_own_hash_only() {
        let stored = hash("4321");
        assert!(verify("4321", &stored));
        assert!(!verify("1234", &stored));
        assert!(!verify("4321", "nonsense"));
        assert!(!stored.contains("4321"));
        assert_ne!(hash("4321"), stored, "each hash has its own salt");
    }

    #[test]
    fn a_refund_needs_the_pin_above_the_threshold_or_always() {
        let a = |c| Amount::from_cents(c).expect("amount");
        let rule = PinRule {
            threshold: Some(a(5000)),
            always: false,
        };
        assert!(!rule.needs_pin(a(5000)));
        assert!(rule.needs_pin(a(5001)));
        assert!(
            PinRule {
                threshold: None,
                always: true
            }
            .needs_pin(a(1))
        );
        assert!(
            !PinRule {
                threshold: None,
                always: false
            }
            .needs_pin(a(1_000_000))
        );
    }

    #[test]
    fn operator_names_are_validated_like_references() {
        for good in [
            "caisse",
            "Zoé",
            "Jean-Marc",
            "M. Dupont",
            "O'Neil",
            "caisse_2",
        ] {
            assert!(valid_operator(good), "{good:?}");
        }
        for bad in [
            "",
            " ana",
            "=1+1",
            "+33",
            "-x",
            "@cmd",
            "a\u{7}b",
            "line\nbreak",
            "tab\there",
            &"x".repeat(41),
        ] {
            assert!(!valid_operator(bad), "{bad:?}");
        }
    }

    #[test]
    fn pins_are_four_to_twelve_digits() {
        assert!(is_acceptable("0000"));
        assert!(!is_acceptable("123"));
        assert!(!is_acceptable("12a4"));
    }
}
