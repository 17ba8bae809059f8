//! The only module that touches the OS keychain. The API secret and the webhook secret live there (service
//! `cadodesk`, user `<merchant id>/<api key id>`, or `<merchant id>/webhook/<webhook key id>`), never in a file, the
//! ledger, a log or an error message; so does the journal's sealing key (user `journal/<ledger id>`).
//!
//! On Linux the default store is the Secret Service (GNOME Keyring, KWallet); the kernel keyutils store is used only
//! when chosen explicitly, because it forgets everything at reboot. When no keychain is usable the error says so
//! and points at the `CADODESK_API_SECRET` environment variable: there is no plain-file fallback.

use std::fmt;
use std::sync::Arc;

use keyring_core::{CredentialStore, Entry};
use thiserror::Error;

use crate::i18n::{Lang, Localize, capitalise};

/// The keychain service name.
pub const SERVICE: &str = "cadodesk";

/// Environment variable for the API key id (scripts, CI).
pub const ENV_API_KEY_ID: &str = "CADODESK_API_KEY_ID";
/// Environment variable for the API secret (scripts, CI).
pub const ENV_API_SECRET: &str = "CADODESK_API_SECRET";

/// The embedded sandbox's credentials (documented in the README).
pub mod sandbox_defaults {
    /// Merchant id.
    pub const MERCHANT_ID: &str = "cadodesk-sandbox";
    /// API key id.
    pub const API_KEY_ID: &str = "sandbox-key-id";
    /// API secret.
    pub const API_SECRET: &str = "sandbox-secret";
    /// Webhook key id.
    pub const WEBHOOK_KEY_ID: &str = "sandbox-webhook-key-id";
    /// Webhook secret.
    pub const WEBHOOK_SECRET: &str = "sandbox-webhook-secret";
}

/// Which keychain to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// The platform's keychain: Secret Service on Linux, Keychain on macOS, Credential Manager on Windows.
    #[default]
    Platform,
    /// Linux kernel keyutils (session keyring). Only when chosen explicitly: it does not survive a reboot.
    KernelKeyutils,
}

/// A secret string that never shows itself in `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself, for the signer only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Why the keychain could not help. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VaultError {
    /// No keychain is running or reachable.
    #[error(
        "no keychain: install/unlock gnome-keyring (or another Secret Service) or use CADODESK_API_SECRET ({0})"
    )]
    NoKeychain(String),
    /// The keychain is locked or refused access.
    #[error(
        "the keychain is locked or refused access: unlock it, or use CADODESK_API_SECRET ({0})"
    )]
    Locked(String),
    /// Nothing stored for this merchant and key id.
    #[error(
        "no API secret stored for merchant {merchant_id} and key {api_key_id}: enter it in Settings, or use CADODESK_API_SECRET"
    )]
    NotFound {
        /// The merchant id.
        merchant_id: String,
        /// The key id.
        api_key_id: String,
    },
    /// The merchant id or key id is empty or too long for the keychain.
    #[error("the {0} is not usable as a keychain name: check it in Settings")]
    BadName(&'static str),
    /// The merchant id or API key id is not known at all.
    #[error(
        "no {0} given: pass --merchant-id / set CADODESK_MERCHANT_ID and CADODESK_API_KEY_ID, or fill it in Settings"
    )]
    Missing(&'static str),
    /// Any other keychain failure.
    #[error("the keychain failed: {0}")]
    Failed(String),
}

impl Localize for VaultError {
    fn localize(&self, lang: Lang) -> String {
        match lang {
            Lang::En => capitalise(self.to_string()),
            Lang::Fr => match self {
                VaultError::NoKeychain(d) => format!(
                    "Aucun trousseau : installez ou déverrouillez gnome-keyring (ou un autre Secret Service), ou utilisez CADODESK_API_SECRET ({d})"
                ),
                VaultError::Locked(d) => format!(
                    "Le trousseau est verrouillé ou refuse l'accès : déverrouillez-le, ou utilisez CADODESK_API_SECRET ({d})"
                ),
                VaultError::NotFound {
                    merchant_id,
                    api_key_id,
                } => format!(
                    "Aucun secret d'API enregistré pour le marchand {merchant_id} et la clé {api_key_id} : saisissez-le dans Réglages, ou utilisez CADODESK_API_SECRET"
                ),
                VaultError::BadName(what) => format!(
                    "Le champ « {what} » ne peut pas servir de nom dans le trousseau : vérifiez-le dans Réglages"
                ),
                VaultError::Missing(what) => format!(
                    "Aucun « {what} » : passez --merchant-id / CADODESK_MERCHANT_ID et CADODESK_API_KEY_ID, ou renseignez-le dans Réglages"
                ),
                VaultError::Failed(d) => format!("Le trousseau a échoué : {d}"),
            },
        }
    }
}

fn map_err(e: keyring_core::Error) -> VaultError {
    use keyring_core::Error as E;
    match e {
        E::NoDefaultStore => VaultError::NoKeychain("no credential store".into()),
        E::NoStorageAccess(p) => VaultError::Locked(p.to_string()),
        E::PlatformFailure(p) => VaultError::NoKeychain(p.to_string()),
        // The other variants may carry secret bytes (BadEncoding, BadDataFormat): never format them.
        E::BadEncoding(_) | E::BadDataFormat(..) => {
            VaultError::Failed("the stored secret is not readable text".into())
        }
        E::TooLong(name, _) | E::Invalid(name, _) => VaultError::Failed(format!("invalid {name}")),
        E::Ambiguous(_) => VaultError::Failed("several entries match".into()),
        E::NotSupportedByStore(m) | E::BadStoreFormat(m) => VaultError::Failed(m),
        E::NoEntry => VaultError::Failed("no entry".into()),
        _ => VaultError::Failed("unexpected keychain error".into()),
    }
}

/// The keychain, for one store. Cheap to clone.
#[derive(Clone)]
pub struct Vault {
    store: Arc<CredentialStore>,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("store", &self.store.vendor())
            .finish()
    }
}

impl Vault {
    /// Opens the chosen keychain. Fails with [`VaultError::NoKeychain`] when it is not usable.
    pub fn open(backend: Backend) -> Result<Vault, VaultError> {
        match backend {
            Backend::Platform => Vault::platform(),
            Backend::KernelKeyutils => Vault::keyutils(),
        }
    }

    #[cfg(target_os = "linux")]
    fn platform() -> Result<Vault, VaultError> {
        let store = zbus_secret_service_keyring_store::Store::new().map_err(map_err)?;
        Ok(Vault { store })
    }

    #[cfg(not(target_os = "linux"))]
    fn platform() -> Result<Vault, VaultError> {
        // The keyring crate picks the platform's native store and installs it as the default.
        keyring::Entry::store_status()
            .as_ref()
            .map_err(|e| VaultError::NoKeychain(e.to_string()))?;
        Vault::default_store()
    }

    #[cfg(target_os = "linux")]
    fn keyutils() -> Result<Vault, VaultError> {
        let store = linux_keyutils_keyring_store::Store::new().map_err(map_err)?;
        Ok(Vault { store })
    }

    #[cfg(not(target_os = "linux"))]
    fn keyutils() -> Result<Vault, VaultError> {
        Err(VaultError::NoKeychain(
            "kernel keyutils exist only on Linux".into(),
        ))
    }

    /// Uses the process's default store (set with `keyring_core::set_default_store`), as tests do with
    /// `keyring_core::mock::Store`.
    pub fn default_store() -> Result<Vault, VaultError> {
        keyring_core::get_default_store()
            .map(|store| Vault { store })
            .ok_or_else(|| VaultError::NoKeychain("no default credential store".into()))
    }

    /// Uses the given store.
    pub fn with_store(store: Arc<CredentialStore>) -> Vault {
        Vault { store }
    }

    fn entry(&self, user: &str) -> Result<Entry, VaultError> {
        Entry::new_in_store(&self.store, SERVICE, user).map_err(map_err)
    }

    fn api_user(merchant_id: &str, api_key_id: &str) -> Result<String, VaultError> {
        check_name(merchant_id, "merchant id")?;
        check_name(api_key_id, "API key id")?;
        Ok(format!("{merchant_id}/{api_key_id}"))
    }

    fn webhook_user(merchant_id: &str, webhook_key_id: &str) -> Result<String, VaultError> {
        check_name(merchant_id, "merchant id")?;
        check_name(webhook_key_id, "webhook key id")?;
        Ok(format!("{merchant_id}/webhook/{webhook_key_id}"))
    }

    /// Stores (or replaces) the API secret.
    pub fn store_api_secret(
        &self,
        merchant_id: &str,
        api_key_id: &str,
        secret: &Secret,
    ) -> Result<(), VaultError> {
        self.entry(&Vault::api_user(merchant_id, api_key_id)?)?
            .set_password(secret.expose())
            .map_err(map_err)
    }

    /// Loads the API secret.
    pub fn load_api_secret(
        &self,
        merchant_id: &str,
        api_key_id: &str,
    ) -> Result<Secret, VaultError> {
        match self
            .entry(&Vault::api_user(merchant_id, api_key_id)?)?
            .get_password()
        {
            Ok(s) => Ok(Secret(s)),
            Err(keyring_core::Error::NoEntry) => Err(VaultError::NotFound {
                merchant_id: merchant_id.to_string(),
                api_key_id: api_key_id.to_string(),
            }),
            Err(e) => Err(map_err(e)),
        }
    }

    /// Deletes the API secret; deleting what is not there is not an error.
    pub fn delete_api_secret(&self, merchant_id: &str, api_key_id: &str) -> Result<(), VaultError> {
        match self
            .entry(&Vault::api_user(merchant_id, api_key_id)?)?
            .delete_credential()
        {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_err(e)),
        }
    }

    /// Stores (or replaces) the webhook secret.
    pub fn store_webhook_secret(
        &self,
        merchant_id: &str,
        webhook_key_id: &str,
        secret: &Secret,
    ) -> Result<(), VaultError> {
        self.entry(&Vault::webhook_user(merchant_id, webhook_key_id)?)?
            .set_password(secret.expose())
            .map_err(map_err)
    }

    /// Loads the webhook secret.
    pub fn load_webhook_secret(
        &self,
        merchant_id: &str,
        webhook_key_id: &str,
    ) -> Result<Secret, VaultError> {
        match self
            .entry(&Vault::webhook_user(merchant_id, webhook_key_id)?)?
            .get_password()
        {
            Ok(s) => Ok(Secret(s)),
            Err(keyring_core::Error::NoEntry) => Err(VaultError::NotFound {
                merchant_id: merchant_id.to_string(),
                api_key_id: webhook_key_id.to_string(),
            }),
            Err(e) => Err(map_err(e)),
        }
    }

    /// Deletes the webhook secret; deleting what is not there is not an error.
    pub fn delete_webhook_secret(
        &self,
        merchant_id: &str,
        webhook_key_id: &str,
    ) -> Result<(), VaultError> {
        match self
            .entry(&Vault::webhook_user(merchant_id, webhook_key_id)?)?
            .delete_credential()
        {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_err(e)),
        }
    }
}

impl Vault {
    /// Stores the journal sealing key's secret seed (hex) for the ledger named `ledger` (user `journal/<ledger>`).
    pub fn store_journal_key(&self, ledger: &str, seed_hex: &Secret) -> Result<(), VaultError> {
        check_name(ledger, "ledger")?;
        self.entry(&format!("journal/{ledger}"))?
            .set_password(seed_hex.expose())
            .map_err(map_err)
    }

    /// Loads the journal sealing key's seed for the ledger named `ledger`, if one is stored.
    pub fn load_journal_key(&self, ledger: &str) -> Result<Option<Secret>, VaultError> {
        check_name(ledger, "ledger")?;
        match self.entry(&format!("journal/{ledger}"))?.get_password() {
            Ok(s) => Ok(Some(Secret(s))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_err(e)),
        }
    }
}

impl Vault {
    /// Stores the till's connection URL to the central ledger (it holds the till's password) for the till whose
    /// UUID is `till` (user `central/<till>`).
    pub fn store_central_url(&self, till: &str, url: &Secret) -> Result<(), VaultError> {
        check_name(till, "till")?;
        self.entry(&format!("central/{till}"))?
            .set_password(url.expose())
            .map_err(map_err)
    }

    /// The till's central URL, if one is stored.
    pub fn load_central_url(&self, till: &str) -> Result<Option<Secret>, VaultError> {
        check_name(till, "till")?;
        match self.entry(&format!("central/{till}"))?.get_password() {
            Ok(s) => Ok(Some(Secret(s))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_err(e)),
        }
    }
}

fn check_name(s: &str, what: &'static str) -> Result<(), VaultError> {
    if s.trim().is_empty() || s.len() > 200 || s.contains('/') {
        return Err(VaultError::BadName(what));
    }
    Ok(())
}

/// API credentials, resolved. The secret never shows in `Debug`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCredentials {
    /// The merchant id (PSPID).
    pub merchant_id: String,
    /// The API key id.
    pub api_key_id: String,
    /// The API secret.
    pub api_secret: Secret,
    /// Where they came from, for messages: `environment`, `keychain` or `sandbox defaults`.
    pub source: &'static str,
}

/// Resolves credentials for the command line and the app: the environment (`CADODESK_API_KEY_ID` and
/// `CADODESK_API_SECRET`) first, then the keychain. `use_sandbox_defaults` supplies the embedded sandbox's
/// credentials when nothing else is given. `env` is passed in so that tests do not touch the process environment.
pub fn resolve_credentials(
    merchant_id: Option<&str>,
    api_key_id: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    use_sandbox_defaults: bool,
    keychain: &dyn Fn() -> Result<Vault, VaultError>,
) -> Result<ApiCredentials, VaultError> {
    let env_key = env(ENV_API_KEY_ID).filter(|s| !s.is_empty());
    let env_secret = env(ENV_API_SECRET).filter(|s| !s.is_empty());
    let merchant = merchant_id
        .map(str::to_string)
        .or_else(|| use_sandbox_defaults.then(|| sandbox_defaults::MERCHANT_ID.to_string()));
    let key_id = env_key
        .or_else(|| api_key_id.map(str::to_string))
        .or_else(|| use_sandbox_defaults.then(|| sandbox_defaults::API_KEY_ID.to_string()));
    let Some(merchant) = merchant.filter(|m| !m.trim().is_empty()) else {
        return Err(VaultError::Missing("merchant id"));
    };
    let Some(key_id) = key_id.filter(|k| !k.trim().is_empty()) else {
        return Err(VaultError::Missing("API key id"));
    };
    if let Some(secret) = env_secret {
        return Ok(ApiCredentials {
            merchant_id: merchant,
            api_key_id: key_id,
            api_secret: Secret(secret),
            source: "environment",
        });
    }
    if use_sandbox_defaults
        && merchant == sandbox_defaults::MERCHANT_ID
        && key_id == sandbox_defaults::API_KEY_ID
    {
        return Ok(ApiCredentials {
            merchant_id: merchant,
            api_key_id: key_id,
            api_secret: Secret(sandbox_defaults::API_SECRET.to_string()),
            source: "sandbox defaults",
        });
    }
    let secret = keychain()?.load_api_secret(&merchant, &key_id)?;
    Ok(ApiCredentials {
        merchant_id: merchant,
        api_key_id: key_id,
        api_secret: secret,
        source: "keychain",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mock() -> Vault {
        Vault::with_store(keyring_core::mock::Store::new().expect("mock store"))
    }

    #[test]
    fn stores_loads_and_deletes() {
        let v = mock();
        let s = Secret::new("s3cr3t");
        assert!(matches!(
            v.load_api_secret("m", "k"),
            Err(VaultError::NotFound { .. })
        ));
        v.store_api_secret("m", "k", &s).expect("store");
        assert_eq!(v.load_api_secret("m", "k").expect("load"), s);
        v.store_webhook_secret("m", "wk", &Secret::new("w"))
            .expect("store");
        assert_eq!(
            v.load_webhook_secret("m", "wk").expect("load").expose(),
            "w"
        );
        // The API secret and the webhook secret are apart.
        assert_eq!(v.load_api_secret("m", "k").expect("load"), s);
        v.delete_api_secret("m", "k").expect("delete");
        v.delete_api_secret("m", "k").expect("delete twice");
        assert!(v.load_api_secret("m", "k").is_err());
    }

    #[test]
    fn the_default_store_is_the_one_set() {
        keyring_core::set_default_store(keyring_core::mock::Store::new().expect("mock"));
        let v = Vault::default_store().expect("default");
        v.store_api_secret("m2", "k2", &Secret::new("x"))
            .expect("store");
        assert_eq!(
            Vault::default_store()
                .expect("default")
                .load_api_secret("m2", "k2")
                .expect("load")
                .expose(),
            "x"
        );
    }

    #[test]
    fn secrets_never_show() {
        let c = ApiCredentials {
            merchant_id: "m".into(),
            api_key_id: "k".into(),
            api_secret: Secret::new("hunter2"),
            source: "keychain",
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        let e = map_err(keyring_core::Error::BadEncoding(b"hunter2".to_vec()));
        assert!(!e.to_string().contains("hunter2"));
    }

    #[test]
    fn resolves_env_then_keychain_then_sandbox_defaults() {
        let v = mock();
        v.store_api_secret("m", "k", &Secret::new("from-keychain"))
            .expect("store");
        let kc = || Ok(v.clone());
        let no_env = |_: &str| None;
        let c = resolve_credentials(Some("m"), Some("k"), &no_env, false, &kc).expect("keychain");
        assert_eq!(
            (c.api_secret.expose(), c.source),
            ("from-keychain", "keychain")
        );
        let env = |k: &str| match k {
            ENV_API_KEY_ID => Some("k-env".to_string()),
            ENV_API_SECRET => Some("from-env".to_string()),
            _ => None,
        };
        let c = resolve_credentials(Some("m"), Some("k"), &env, false, &kc).expect("env");
        assert_eq!(
            (c.api_key_id.as_str(), c.api_secret.expose()),
            ("k-env", "from-env")
        );
        let c = resolve_credentials(None, None, &no_env, true, &kc).expect("sandbox");
        assert_eq!(c.api_secret.expose(), sandbox_defaults::API_SECRET);
        let none = || Err(VaultError::NoKeychain("test".into()));
        let e = resolve_credentials(Some("m"), Some("k"), &no_env, false, &none).expect_err("none");
        assert!(e.to_string().contains("CADODESK_API_SECRET"), "{e}");
        assert!(e.localize(Lang::Fr).contains("trousseau"));
    }
}
