//! Which platform the till talks to and with which credentials, and the till wired from them: the embedded sandbox
//! (its own thread and runtime, so it answers even when the caller's threads are busy), Worldline's test and
//! production environments, or any base URL; credentials from the environment, the keychain, or the sandbox's
//! public defaults.

use std::path::Path;
use std::sync::Arc;

use crate::ledger::Ledger;
use crate::sandbox::SandboxConfig;
use crate::till::{DirectGateway, Till, TillError, endpoints, logic};
use crate::vault::{self, ApiCredentials, Backend, Secret, Vault, VaultError};

use super::settings::{DEFAULT_OPERATOR, Environment, Settings};

/// The file the embedded sandbox keeps its state in, inside the data directory.
pub const SANDBOX_FILE: &str = "sandbox.json";

/// The embedded sandbox on a thread and runtime of its own. Dropping it stops the server.
#[derive(Debug)]
pub struct EmbeddedSandbox {
    url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl EmbeddedSandbox {
    /// Starts the sandbox on `<data_dir>/sandbox.json` and waits until it listens. `refund_delay_ms` overrides the
    /// time between REFUND_REQUESTED and REFUNDED.
    pub async fn start(
        data_dir: &Path,
        refund_delay_ms: Option<u64>,
    ) -> Result<EmbeddedSandbox, String> {
        let mut config = SandboxConfig {
            data_file: Some(data_dir.join(SANDBOX_FILE)),
            ..SandboxConfig::default()
        };
        if let Some(ms) = refund_delay_ms {
            config.refund_delay_ms = ms;
        }
        let (url_tx, url_rx) = tokio::sync::oneshot::channel::<Result<String, String>>();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("cadodesk-sandbox-rt")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        std::thread::Builder::new()
            .name("cadodesk-sandbox".into())
            .spawn(move || {
                runtime.block_on(async move {
                    match crate::sandbox::start(config).await {
                        Ok(running) => {
                            let _ = url_tx.send(Ok(running.base_url()));
                            // Serves until the handle is dropped.
                            let _ = stop_rx.await;
                            running.shutdown().await;
                        }
                        Err(e) => {
                            let _ = url_tx.send(Err(format!("{e:#}")));
                        }
                    }
                });
            })
            .map_err(|e| e.to_string())?;
        let url = url_rx
            .await
            .map_err(|_| "the sandbox thread ended".to_string())??;
        tracing::info!(%url, "embedded sandbox listening");
        Ok(EmbeddedSandbox {
            url,
            _stop: stop_tx,
        })
    }

    /// Its base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// The base URL of a named environment; the embedded sandbox's is only known once it runs.
pub fn base_url(environment: &Environment, sandbox_url: Option<&str>) -> Option<String> {
    match environment {
        Environment::Sandbox => sandbox_url.map(str::to_string),
        Environment::Preprod => Some(endpoints::PREPROD.to_string()),
        Environment::Prod => Some(endpoints::PROD.to_string()),
        Environment::Custom(url) => Some(url.clone()),
    }
}

/// The credentials for `settings`: a secret just typed (to test it before saving), else the environment
/// (`CADODESK_API_KEY_ID`, `CADODESK_API_SECRET`), else the keychain. The embedded sandbox always takes its own
/// public defaults, the only ones it knows.
pub fn credentials(
    settings: &Settings,
    typed: Option<&Secret>,
    env: &dyn Fn(&str) -> Option<String>,
    keychain: &dyn Fn() -> Result<Vault, VaultError>,
) -> Result<ApiCredentials, VaultError> {
    if settings.environment == Environment::Sandbox {
        return vault::resolve_credentials(None, None, &|_| None, true, &|| {
            Err(VaultError::NoKeychain(
                "the embedded sandbox needs none".into(),
            ))
        });
    }
    if let Some(secret) = typed {
        return Ok(ApiCredentials {
            merchant_id: settings.merchant_id.clone(),
            api_key_id: settings.api_key_id.clone(),
            api_secret: secret.clone(),
            source: "settings",
        });
    }
    vault::resolve_credentials(
        Some(&settings.merchant_id)
            .filter(|m| !m.is_empty())
            .map(String::as_str),
        Some(&settings.api_key_id)
            .filter(|k| !k.is_empty())
            .map(String::as_str),
        env,
        false,
        keychain,
    )
}

/// The platform a till talks to: its base URL and, for the embedded sandbox, the running server.
#[derive(Debug)]
pub struct Platform {
    /// The base URL.
    pub base_url: String,
    /// The embedded sandbox, when the environment is the sandbox; dropping it stops the server.
    pub sandbox: Option<EmbeddedSandbox>,
}

impl Platform {
    /// The platform for `environment`, starting the embedded sandbox on `data_dir` when that is the one.
    pub async fn open(environment: &Environment, data_dir: &Path) -> Result<Platform, String> {
        let sandbox = match environment {
            Environment::Sandbox => Some(EmbeddedSandbox::start(data_dir, None).await?),
            _ => None,
        };
        let base_url = base_url(environment, sandbox.as_ref().map(EmbeddedSandbox::url))
            .ok_or_else(|| "the embedded sandbox gave no address".to_string())?;
        Ok(Platform { base_url, sandbox })
    }
}

/// The till over `ledger`, talking to `base_url` with `credentials`, as `settings` say (operator, return URL).
pub fn till(
    ledger: Ledger,
    settings: &Settings,
    base_url: &str,
    credentials: &ApiCredentials,
    central: Option<&Secret>,
) -> Result<Till, TillError> {
    let gateway = DirectGateway::new(base_url, credentials).map_err(TillError::Config)?;
    let return_url = (!settings.return_url.is_empty()).then(|| settings.return_url.clone());
    let operator = if settings.operator.trim().is_empty() {
        DEFAULT_OPERATOR
    } else {
        settings.operator.as_str()
    };
    // One rule for both faces, whatever the ledger's settings hold (they can be edited behind the app's back).
    if !crate::till::manager::valid_operator(operator) {
        return Err(TillError::OperatorInvalid(
            operator.chars().take(60).collect(),
        ));
    }
    let till = Till::with_gateway(
        ledger.clone(),
        Arc::new(gateway),
        operator,
        logic::DEFAULT_SESSION_TIMEOUT_MINUTES,
        return_url,
    );
    Ok(match central {
        Some(url) => till.with_central(Arc::new(crate::central::PgGuard::new(
            url.expose(),
            ledger,
            operator,
        ))),
        None => till,
    })
}

/// The till's connection URL to the central ledger, when it has one: `CADODESK_CENTRAL_URL`, else the keychain
/// `central connect` put it in (under the till's UUID). A keychain that cannot be read is said in the log and counts as none.
pub fn central_url(
    ledger: &Ledger,
    env: &dyn Fn(&str) -> Option<String>,
    vault: &dyn Fn(Backend) -> Result<Vault, crate::vault::VaultError>,
) -> Option<crate::vault::Secret> {
    if let Some(u) = env("CADODESK_CENTRAL_URL").filter(|u| !u.trim().is_empty()) {
        return Some(crate::vault::Secret::new(u));
    }
    // The keychain is asked only when the till put the URL there: a till without a centre never touches it.
    let home = ledger
        .setting(crate::ledger::keys::CENTRAL_URL_HOME)
        .ok()
        .flatten();
    let backend = match home.as_deref() {
        Some("keychain") => Backend::Platform,
        Some("keyutils") => Backend::KernelKeyutils,
        _ => return None,
    };
    let uuid = ledger.till_identity().ok().flatten()?.uuid;
    match vault(backend).and_then(|v| v.load_central_url(&uuid)) {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "the keychain could not be read for the central URL");
            None
        }
    }
}
