//! The identifiers of the platform and of the till, as validated newtypes: a value of one of these types has been
//! checked once, where it entered the program, and cannot be mixed up with another kind of id.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Text that is not a valid id of its kind.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{what} '{value}': {rule}")]
pub struct InvalidId {
    /// Which kind of id.
    pub what: &'static str,
    /// What was given (cut to 80 characters).
    pub value: String,
    /// What such an id looks like.
    pub rule: &'static str,
}

/// Longest platform id accepted (the platform's ids are far shorter; this only bounds hostile input).
const MAX_ID_LEN: usize = 64;

fn platform_id_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ID_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $rule:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks `s` (surrounding spaces removed) and wraps it.
            pub fn parse(s: &str) -> Result<$name, InvalidId> {
                let t = s.trim();
                let check: fn(&str) -> bool = $check;
                if check(t) {
                    Ok($name(t.to_string()))
                } else {
                    Err(InvalidId {
                        what: $what,
                        value: s.chars().take(80).collect(),
                        rule: $rule,
                    })
                }
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                $name::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
    };
}

id_type!(
    /// The platform's hosted checkout id (the sale on the hosted page).
    HostedCheckoutId,
    "hosted checkout id",
    "use the id the platform gave, such as 4497463501 (letters, digits, - or _)",
    platform_id_ok
);

id_type!(
    /// The platform's payment id of one tender, such as `3000000001_0`.
    PaymentId,
    "payment id",
    "use the id of one card's payment, such as 3000000001_0 (letters, digits, - or _)",
    platform_id_ok
);

id_type!(
    /// The platform's refund id, such as `3000000001_1`.
    RefundId,
    "refund id",
    "use the platform's refund id, such as 3000000001_1 (letters, digits, - or _)",
    platform_id_ok
);

/// The platform's longest idempotence key.
pub const IDEMPOTENCE_KEY_MAX_LEN: usize = 40;

fn idempotence_key_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= IDEMPOTENCE_KEY_MAX_LEN && s.bytes().all(|b| b.is_ascii_graphic())
}

id_type!(
    /// The idempotence key of one operation (`X-GCS-Idempotence-Key`): for a refund, written to the ledger with its
    /// intent before the request and sent with every attempt; imported refunds have `ext-<refund id>`.
    IdempotenceKey,
    "idempotence key",
    "use 1 to 40 printable ASCII characters without spaces",
    idempotence_key_ok
);

impl IdempotenceKey {
    /// A fresh key for a new intent: 32 hex characters, within the platform's 40-character ASCII limit for
    /// idempotence keys and operation references.
    pub fn fresh() -> IdempotenceKey {
        IdempotenceKey(uuid::Uuid::new_v4().simple().to_string())
    }

    /// A fresh key (see [`IdempotenceKey::fresh`]).
    pub fn generate() -> IdempotenceKey {
        IdempotenceKey::fresh()
    }

    /// Checks a stored or typed key.
    pub fn new(key: impl Into<String>) -> Result<IdempotenceKey, InvalidId> {
        IdempotenceKey::parse(&key.into())
    }

    /// The key recorded for a refund made outside this till.
    pub fn external(refund_id: &str) -> IdempotenceKey {
        IdempotenceKey(
            format!("ext-{refund_id}")
                .chars()
                .take(IDEMPOTENCE_KEY_MAX_LEN)
                .collect(),
        )
    }
}

impl PaymentId {
    /// The tender an operation belongs to: `1234567890_3` → `1234567890_0`.
    pub fn tender_of_operation(operation_id: &str) -> Result<PaymentId, InvalidId> {
        match operation_id.rsplit_once('_') {
            Some((base, _)) => PaymentId::parse(&format!("{base}_0")),
            None => PaymentId::parse(operation_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_take_the_platform_shapes_and_refuse_the_rest() {
        assert_eq!(
            PaymentId::parse(" 3000000001_0 ").expect("id").as_str(),
            "3000000001_0"
        );
        assert!(HostedCheckoutId::parse("4497463501").is_ok());
        assert!(IdempotenceKey::parse(&IdempotenceKey::fresh()).is_ok());
        for bad in [
            "",
            "  ",
            "a b",
            "../etc",
            "3000000001_0;DROP",
            &"9".repeat(65),
        ] {
            let e = PaymentId::parse(bad).expect_err(bad);
            assert!(e.to_string().starts_with("payment id"), "{e}");
        }
        assert_eq!(
            PaymentId::tender_of_operation("1234567890_3").expect("id"),
            "1234567890_0"
        );
        let json = serde_json::to_string(&RefundId::parse("1_1").expect("id")).expect("json");
        assert_eq!(json, "\"1_1\"");
        assert!(serde_json::from_str::<RefundId>("\"a b\"").is_err());
    }
}
