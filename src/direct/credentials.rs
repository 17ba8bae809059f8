//! Credentials and the one type that holds a secret. A [`Secret`] prints `***` in Debug and has no Display, so
//! neither logs nor error messages can carry it by accident.

use std::fmt;

/// A secret (API secret, webhook secret). Its Debug form is `***`; the value is read only through
/// [`Secret::expose`], at the one place that signs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for signing. Never format it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether nothing was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// What the platform needs to know who calls: the merchant (PSPID), and the API key's id and secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The PSPID, used in every path (`/v2/{merchantId}/…`).
    pub merchant_id: String,
    /// The API key id, sent in the Authorization header.
    pub api_key_id: String,
    /// The API secret, used only to sign.
    pub api_secret: Secret,
}

impl Credentials {
    /// Credentials from their three parts.
    pub fn new(
        merchant_id: impl Into<String>,
        api_key_id: impl Into<String>,
        api_secret: impl Into<String>,
    ) -> Credentials {
        Credentials {
            merchant_id: merchant_id.into(),
            api_key_id: api_key_id.into(),
            api_secret: Secret::new(api_secret),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret() {
        let c = Credentials::new("PSPID", "key-id", "very-secret-value");
        let shown = format!("{c:?} {c:#?}");
        assert!(!shown.contains("very-secret-value"), "{shown}");
        assert!(shown.contains("***"));
        assert!(shown.contains("key-id"));
    }
}
