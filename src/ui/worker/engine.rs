//! What the worker holds: the ledger, the till built from the settings, the embedded sandbox when it runs.

use std::sync::Arc;

use crate::i18n::Localize;
use crate::vault::Secret;

use crate::app::platform::{self, EmbeddedSandbox};
use crate::app::settings::{self, Environment, Settings};
use crate::ledger::Ledger;
use crate::till::{Till, TillError};
use crate::ui::model::{KeychainState, UiError};
use crate::ui::text;
use crate::vault::{Backend, Vault, VaultError};

use super::{Event, Outbox, WorkerConfig};

/// What the worker holds: the ledger, the till built from the settings, the sandbox when it runs.
pub(super) struct Engine {
    pub(super) config: WorkerConfig,
    pub(super) ledger: Ledger,
    pub(super) vault: Result<Vault, VaultError>,
    pub(super) sandbox: tokio::sync::Mutex<Option<EmbeddedSandbox>>,
    /// Wakes the background sync with the centre (after a command changed something).
    pub(super) sync_wanted: tokio::sync::Notify,
    state: std::sync::Mutex<State>,
}

pub(super) struct State {
    settings: Settings,
    till: Option<Till>,
}

pub(super) type Shared = Arc<Engine>;

fn detail_of(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

pub(super) fn till_error(e: &TillError) -> UiError {
    UiError::localized(e, detail_of(e))
}

pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, TillError> + Send + 'static,
) -> Result<T, UiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(till_error(&e)),
        Err(e) => Err(UiError::new(text::WORKER_GONE, e.to_string())),
    }
}

impl Engine {
    pub(super) fn settings(&self) -> Settings {
        match self.state.lock() {
            Ok(s) => s.settings.clone(),
            Err(p) => p.into_inner().settings.clone(),
        }
    }

    pub(super) fn till(&self) -> Result<Till, UiError> {
        let state = match self.state.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        state
            .till
            .clone()
            .ok_or_else(|| UiError::new(text::NOT_READY, "the till is not open"))
    }

    /// The theme and text size in force, once stored.
    pub(super) fn set_display(
        &self,
        theme: crate::app::settings::Theme,
        text_size: crate::app::settings::TextSize,
    ) {
        let mut state = match self.state.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        state.settings.theme = theme;
        state.settings.text_size = text_size;
    }

    pub(super) fn set_till(&self, settings: Settings, till: Option<Till>) {
        let mut state = match self.state.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        state.settings = settings;
        state.till = till;
    }

    pub(super) fn keychain_state(&self, settings: &Settings) -> KeychainState {
        match &self.vault {
            Err(e) => KeychainState::Unusable(e.to_string()),
            Ok(v) => KeychainState::Usable {
                has_secret: !settings.merchant_id.is_empty()
                    && !settings.api_key_id.is_empty()
                    && v.load_api_secret(&settings.merchant_id, &settings.api_key_id)
                        .is_ok(),
            },
        }
    }

    /// The embedded sandbox's address, starting it if needed.
    pub(super) async fn sandbox_url(&self) -> Result<String, UiError> {
        let mut guard = self.sandbox.lock().await;
        if let Some(s) = guard.as_ref() {
            return Ok(s.url().to_string());
        }
        let running =
            EmbeddedSandbox::start(&self.config.data_dir, self.config.sandbox_refund_delay_ms)
                .await
                .map_err(|e| UiError::new(text::SANDBOX_FAILED, e))?;
        let url = running.url().to_string();
        *guard = Some(running);
        Ok(url)
    }

    pub(super) async fn build_till(
        &self,
        settings: &Settings,
        typed: Option<&Secret>,
    ) -> Result<Till, UiError> {
        let sandbox_url = match settings.environment {
            Environment::Sandbox => Some(self.sandbox_url().await?),
            _ => None,
        };
        let base_url = platform::base_url(&settings.environment, sandbox_url.as_deref())
            .ok_or_else(|| UiError::new(text::SANDBOX_FAILED, "no sandbox address"))?;
        let vault = self.vault.clone();
        let credentials =
            platform::credentials(settings, typed, &|k| std::env::var(k).ok(), &move || {
                vault.clone()
            })
            .map_err(|e| UiError::localized(&VaultText(&e), e.to_string()))?;
        let central = self.central_url();
        platform::till(
            self.ledger.clone(),
            settings,
            &base_url,
            &credentials,
            central.as_ref(),
        )
        .map_err(|e| UiError::new(text::BAD_ADDRESS, e.to_string()))
    }

    /// The till's central URL, when it has one (`CADODESK_CENTRAL_URL`, else the keychain `central connect` or the
    /// settings put it in).
    pub(super) fn central_url(&self) -> Option<crate::vault::Secret> {
        let vault = self.vault.clone();
        platform::central_url(&self.ledger, &|k| std::env::var(k).ok(), &move |_| {
            vault.clone()
        })
    }
}

/// Words for keychain failures, in both languages.
pub(super) struct VaultText<'a>(pub(super) &'a VaultError);

impl Localize for VaultText<'_> {
    fn localize(&self, lang: crate::i18n::Lang) -> String {
        match self.0 {
            VaultError::NotFound { .. } => lang
                .pick(
                    "Aucun secret API enregistré pour ce PSPID et cet identifiant de clé : saisissez-le dans Réglages.",
                    "No API secret is stored for this PSPID and key id: type it in Settings.",
                )
                .to_string(),
            VaultError::NoKeychain(_) | VaultError::Locked(_) => format!(
                "{} {}",
                text::NO_KEYCHAIN.get(lang),
                text::NO_KEYCHAIN_FIX.get(lang)
            ),
            other => other.localize(lang),
        }
    }
}

pub(super) async fn open_engine(config: WorkerConfig, outbox: &Outbox) -> Option<Shared> {
    let data_dir = config.data_dir.clone();
    let ledger =
        match blocking(move || crate::app::open_ledger(&data_dir).map_err(TillError::Ledger)).await
        {
            Ok(l) => l,
            Err(e) => {
                outbox.send(Event::StartFailed(e));
                return None;
            }
        };
    let vault = match config.vault.clone() {
        Some(v) => Ok(v),
        None => tokio::task::spawn_blocking(|| Vault::open(Backend::Platform))
            .await
            .unwrap_or_else(|e| Err(VaultError::Failed(e.to_string()))),
    };
    if let Err(e) = &vault {
        tracing::warn!(error = %e, "no keychain");
    }
    let settings = {
        let ledger = ledger.clone();
        let config = config.clone();
        match blocking(move || {
            settings::load(&ledger, &config.overrides()).map_err(TillError::Ledger)
        })
        .await
        {
            Ok(s) => s,
            Err(e) => {
                outbox.send(Event::StartFailed(e));
                return None;
            }
        }
    };
    {
        let ledger = ledger.clone();
        let operator = settings.operator.clone();
        match tokio::task::spawn_blocking(move || crate::app::journal_start(&ledger, &operator))
            .await
        {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => tracing::warn!("the previous run did not stop cleanly (journaled)"),
            Ok(Err(e)) => tracing::warn!(error = %e, "the start could not be journaled"),
            Err(e) => tracing::warn!(error = %e, "the start could not be journaled"),
        }
    }
    let engine = Arc::new(Engine {
        config,
        ledger,
        vault,
        sandbox: tokio::sync::Mutex::new(None),
        sync_wanted: tokio::sync::Notify::new(),
        state: std::sync::Mutex::new(State {
            settings: settings.clone(),
            till: None,
        }),
    });
    let keychain = engine.keychain_state(&settings);
    match engine.build_till(&settings, None).await {
        Ok(till) => {
            engine.set_till(settings.clone(), Some(till.clone()));
            let sandbox_url = current_sandbox_url(&engine, &settings).await;
            outbox.send(Event::Ready {
                settings: Box::new(settings),
                keychain,
                sandbox_url,
            });
            // Refunds without an answer and unpaid checkouts left by the last run are settled now.
            let outbox = outbox.clone();
            tokio::spawn(async move {
                // The till is named (T01 unless chosen), and a day left open, the months and years that ended,
                // are closed at start.
                let closing = till.clone();
                match tokio::task::spawn_blocking(move || {
                    closing.till_identity()?;
                    closing.close_due()
                })
                .await
                {
                    Ok(Ok(made)) => {
                        for c in made {
                            tracing::info!(kind = c.kind.code(), number = c.number, label = %c.label, "closing made at start");
                        }
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "the closing due could not be made; next start")
                    }
                    Err(e) => tracing::warn!(error = %e, "the closing task stopped"),
                }
                match till.resume().await {
                    Ok(n) if n > 0 => tracing::info!(items = n, "resumed unfinished work"),
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "resume failed; the watcher will retry");
                        outbox.send(Event::ResumeFailed(till_error(&e)));
                    }
                }
            });
        }
        Err(e) => {
            outbox.send(Event::Ready {
                settings: Box::new(settings),
                keychain,
                sandbox_url: None,
            });
            outbox.send(Event::StartFailed(e));
        }
    }
    Some(engine)
}

pub(super) async fn current_sandbox_url(engine: &Engine, settings: &Settings) -> Option<String> {
    if settings.environment == Environment::Sandbox {
        engine
            .sandbox
            .lock()
            .await
            .as_ref()
            .map(|s| s.url().to_string())
    } else {
        None
    }
}
