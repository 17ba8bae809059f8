//! The manager's rules: which refunds need the manager PIN, the PIN itself (kept as an Argon2id hash, a slow salted
//! hash made for passwords, so the settings never hold the PIN and a stolen file does not give it in seconds), and
//! how many wrong PINs lock it for a while. Pure functions; [`super::pin`] applies them for both faces.

use std::fmt;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::domain::Amount;
use crate::ledger::journal::hex;
use crate::ledger::keys;

/// A PIN as typed. Never printed: its `Debug` form hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

impl Pin {
    /// Wraps a typed PIN (surrounding spaces and a line end removed).
    pub fn new(typed: &str) -> Pin {
        Pin(typed.trim().to_string())
    }

    /// The PIN, for hashing only.
    fn expose(&self) -> &str {
        &self.0
    }

    /// 4 to 12 digits (see [`is_acceptable`]).
    pub fn is_acceptable(&self) -> bool {
        is_acceptable(&self.0)
    }

    /// True when nothing was typed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(…)")
    }
}

/// Argon2id with OWASP's first recommended setting: 19 MiB of memory, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a new PIN with a fresh random salt, as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`).
pub fn hash(pin: &Pin) -> String {
    let salt: [u8; 16] = rand::random();
    // A 16-byte salt always encodes; the fallback keeps this total without a panic path.
    let Ok(salt) = SaltString::encode_b64(&salt) else {
        return String::new();
    };
    argon2()
        .hash_password(pin.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
}

/// Checks a typed PIN against a stored hash: an Argon2id PHC string, or the older `salt:sha256(salt:pin)` form
/// (still read so that a PIN set before can be changed, never written). A malformed hash matches nothing.
pub fn verify(pin: &Pin, stored: &str) -> bool {
    if stored.starts_with("$argon2") {
        return PasswordHash::new(stored).is_ok_and(|h| {
            argon2()
                .verify_password(pin.expose().as_bytes(), &h)
                .is_ok()
        });
    }
    let Some((salt_hex, expected)) = stored.split_once(':') else {
        return false;
    };
    let mut h = Sha256::new();
    h.update(salt_hex.as_bytes());
    h.update(b":");
    h.update(pin.expose().as_bytes());
    let actual = hex(&h.finalize());
    // Compare every byte so the time taken does not tell how much matched.
    actual.len() == expected.len()
        && actual
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Wrong PINs in a row that lock the PIN.
pub const MAX_WRONG: usize = 5;

/// How long the PIN stays locked after [`MAX_WRONG`] wrong ones.
pub const LOCK: Duration = Duration::minutes(15);

/// Until when the PIN is locked, given the PIN attempts (time, right or wrong) in journal order: [`MAX_WRONG`]
/// wrong ones in a row, the last less than [`LOCK`] ago. A right PIN starts the count again.
pub fn locked_until(
    attempts: &[(DateTime<Utc>, bool)],
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let wrong: Vec<DateTime<Utc>> = attempts
        .iter()
        .rev()
        .take_while(|(_, ok)| !ok)
        .map(|(at, _)| *at)
        .collect();
    if wrong.len() < MAX_WRONG {
        return None;
    }
    let until = wrong[0] + LOCK;
    (until > now).then_some(until)
}

/// Wrong PINs left before the lock, after these attempts.
pub fn tries_left(attempts: &[(DateTime<Utc>, bool)]) -> usize {
    let wrong = attempts.iter().rev().take_while(|(_, ok)| !ok).count();
    MAX_WRONG.saturating_sub(wrong)
}

/// When the manager PIN is needed for a refund: when what the sale's refunds add up to (this one included) is above a
/// threshold, or for every refund. Counting the sale's refunds together means a refund split into small ones, or
/// over several cards, needs the PIN as soon as the whole does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinRule {
    /// Refunds above this amount need the PIN.
    pub threshold: Option<Amount>,
    /// Every refund needs the PIN.
    pub always: bool,
}

impl PinRule {
    /// The rule when nothing is stored: refunds above 50,00 € on one sale need the PIN.
    pub fn default_rule() -> PinRule {
        PinRule {
            threshold: Amount::from_cents(5000),
            always: false,
        }
    }

    /// The rule the stored settings give (the threshold in cents, or [`keys::NO_THRESHOLD`]; "always" as `true` or
    /// `false`), the default for what is not stored. The one reading of these settings, for the till and the screens.
    pub fn from_stored(threshold: Option<&str>, always: Option<&str>) -> Result<PinRule, String> {
        let mut rule = PinRule::default_rule();
        if let Some(v) = threshold {
            rule.threshold = if v == keys::NO_THRESHOLD {
                None
            } else {
                Some(
                    v.parse::<i64>()
                        .ok()
                        .and_then(Amount::from_cents)
                        .ok_or_else(|| {
                            format!(
                                "setting {}: '{v}' is not an amount in cents",
                                keys::PIN_THRESHOLD_CENTS
                            )
                        })?,
                )
            };
        }
        if let Some(v) = always {
            rule.always = v == "true";
        }
        Ok(rule)
    }

    /// Does a refund that brings the sale's refunds to `amount` need the manager PIN?
    pub fn needs_pin(&self, amount: Amount) -> bool {
        self.always || self.threshold.is_some_and(|t| amount > t)
    }
}

/// The highest PIN threshold: above it the PIN would protect no refund a shop makes. A shop that wants no PIN says
/// so (no threshold, not always), never with a threshold no refund reaches.
pub const MAX_PIN_THRESHOLD: Amount = match Amount::from_cents(1_000_000) {
    Some(a) => a,
    None => Amount::ZERO,
};

/// A PIN threshold that makes sense: from 0,01 € to [`MAX_PIN_THRESHOLD`].
pub fn check_threshold(threshold: Amount) -> Result<(), crate::domain::AmountError> {
    if threshold == Amount::ZERO {
        return Err(crate::domain::AmountError::Zero);
    }
    if threshold > MAX_PIN_THRESHOLD {
        return Err(crate::domain::AmountError::TooLarge {
            max: MAX_PIN_THRESHOLD,
        });
    }
    Ok(())
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
    fn a_pin_verifies_against_its_own_argon2id_hash_only() {
        let pin = Pin::new("4321");
        let stored = hash(&pin);
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify(&pin, &stored));
        assert!(!verify(&Pin::new("1234"), &stored));
        assert!(!verify(&pin, "nonsense"));
        assert!(!verify(&pin, "$argon2id$nonsense"));
        assert!(!stored.contains("4321"));
        assert_ne!(hash(&pin), stored, "each hash has its own salt");
        assert_eq!(format!("{pin:?}"), "Pin(…)");
        // The older form is still read, so a PIN set before can be changed.
        let legacy = "00112233445566778899aabbccddeeff:".to_string()
            + &hex(&Sha256::digest(b"00112233445566778899aabbccddeeff:4321"));
        assert!(verify(&pin, &legacy));
        assert!(!verify(&Pin::new("4322"), &legacy));
    }

    #[test]
    fn five_wrong_pins_in_a_row_lock_it_for_fifteen_minutes() {
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).expect("time");
        let at = |m: i64| t0 + Duration::minutes(m);
        let mut attempts = vec![(at(0), false), (at(1), false), (at(2), true)];
        assert_eq!(locked_until(&attempts, at(3)), None);
        assert_eq!(tries_left(&attempts), MAX_WRONG);
        for m in 3..7 {
            attempts.push((at(m), false));
        }
        assert_eq!(tries_left(&attempts), 1);
        assert_eq!(locked_until(&attempts, at(7)), None);
        attempts.push((at(7), false));
        assert_eq!(locked_until(&attempts, at(8)), Some(at(22)));
        assert_eq!(locked_until(&attempts, at(22)), None, "the lock ends");
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
        assert!(is_acceptable("123456789012"));
        assert!(!is_acceptable("1234567890123"));
        assert!(!is_acceptable("123"));
        assert!(!is_acceptable("12a4"));
    }
}
