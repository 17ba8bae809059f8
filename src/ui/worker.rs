//! The bridge between the UI thread and everything slow. A named thread owns a tokio runtime, the embedded
//! sandbox and the till. The UI sends [`Command`]s over a bounded channel without ever waiting, and drains
//! [`Event`]s at the start of each frame; the worker wakes the UI with `request_repaint` after each event.

use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, OnceLock};

use chrono::{NaiveDate, Utc};

use crate::i18n::Localize;
use tokio::sync::mpsc;

use crate::ledger::{Ledger, keys};
use crate::money::Amount;
use crate::sandbox::SandboxConfig;
use crate::till::watcher::Watcher;
use crate::till::{
    CheckoutFilter, CsvFormat, DirectGateway, NewCheckout, RefundCommand, RefundFilter, Till,
    TillError, endpoints,
};
use crate::ui::convert;
use crate::ui::file_dialog;
use crate::ui::model::Environment;
use crate::ui::model::{
    Checkout, CheckoutQuery, CheckoutRow, CsvProfile, KeychainState, RefundLine, RefundRow,
    Settings, UiError,
};
use crate::ui::text;
pub use crate::vault::Secret;
use crate::vault::{ApiCredentials, Backend, Vault, VaultError};

/// How many commands may wait for the worker. The UI keeps extra ones in its own queue rather than block.
pub const COMMAND_QUEUE: usize = 64;

/// What the UI asks of the worker.
#[derive(Debug, Clone)]
pub enum Command {
    /// Create a hosted checkout.
    CreateCheckout {
        /// Sale amount.
        amount: Amount,
        /// Order reference; the till generates one when `None`.
        reference: Option<String>,
        /// Customer e-mail.
        email: Option<String>,
    },
    /// Re-read a checkout from the platform now.
    Refresh {
        /// Hosted checkout id.
        id: String,
    },
    /// Open a URL in the system browser.
    OpenUrl(String),
    /// Load the Transactions table.
    LoadCheckouts(CheckoutQuery),
    /// Load one checkout from the ledger (no network).
    LoadCheckout {
        /// Hosted checkout id.
        id: String,
    },
    /// Split an order-level refund amount over the tenders.
    Allocate {
        /// Hosted checkout id.
        checkout_id: String,
        /// Amount to give back.
        amount: Amount,
    },
    /// Refund part or all of one tender.
    Refund {
        /// The checkout, to send its new state back.
        checkout_id: String,
        /// The tender.
        payment_id: String,
        /// Amount.
        amount: Amount,
        /// Why.
        reason: String,
    },
    /// Load the refund ledger.
    LoadRefunds {
        /// First day included.
        from: Option<NaiveDate>,
        /// Last day included.
        to: Option<NaiveDate>,
    },
    /// Write the refund ledger to a CSV file.
    Export {
        /// First day included.
        from: Option<NaiveDate>,
        /// Last day included.
        to: Option<NaiveDate>,
        /// CSV profile.
        profile: CsvProfile,
        /// Where to write.
        path: PathBuf,
    },
    /// Ask the system's save dialog where to write the export, starting from `current`.
    ChooseExportFile {
        /// The path typed so far: the dialog opens in its folder with its file name.
        current: PathBuf,
    },
    /// Walk the journal's hash chain.
    VerifyLedger,
    /// Store settings (and the secret in the keychain), then reopen the till with them.
    SaveSettings {
        /// New settings.
        settings: Box<Settings>,
        /// New secret, if one was typed.
        secret: Option<Secret>,
    },
    /// Try the given settings against the platform without saving them.
    TestConnection {
        /// Settings to try.
        settings: Box<Settings>,
        /// Secret to try; the stored one when `None`.
        secret: Option<Secret>,
    },
}

/// Which action an error belongs to, so the UI can show it next to what caused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Creating a checkout.
    Create,
    /// Refreshing a checkout.
    Refresh,
    /// Opening the browser.
    Open,
    /// Loading transactions.
    List,
    /// Loading one checkout.
    Detail,
    /// Allocating an order refund.
    Allocate,
    /// Refunding.
    Refund,
    /// Loading the refund ledger.
    Refunds,
    /// Exporting.
    Export,
    /// Choosing the export's file in the system's save dialog.
    ExportFile,
    /// Verifying the journal.
    Verify,
    /// Saving settings.
    Settings,
    /// Testing the connection.
    Connection,
}

/// What the worker tells the UI.
#[derive(Debug, Clone)]
pub enum Event {
    /// The till is open.
    Ready {
        /// Stored settings.
        settings: Box<Settings>,
        /// Whether the keychain works.
        keychain: KeychainState,
        /// The embedded sandbox's address, when it runs.
        sandbox_url: Option<String>,
    },
    /// The till could not open.
    StartFailed(UiError),
    /// A checkout was created.
    CheckoutCreated(Box<Checkout>),
    /// A checkout's state is known anew (refresh, watcher, refund, detail load).
    CheckoutUpdated(Box<Checkout>),
    /// The Transactions rows.
    Checkouts(Vec<CheckoutRow>),
    /// How an order-level refund splits.
    Allocation {
        /// The checkout.
        checkout_id: String,
        /// Payment id and amount, in refund order.
        parts: Vec<(String, Amount)>,
    },
    /// A refund was recorded and sent (its state may still be pending).
    RefundRecorded(Box<RefundLine>),
    /// The refund ledger rows.
    Refunds(Vec<RefundRow>),
    /// The export is written.
    Exported {
        /// Where.
        path: PathBuf,
        /// How many refunds.
        rows: u64,
    },
    /// The save dialog closed: the file chosen for the export, or `None` when it was cancelled.
    ExportFileChosen(Option<PathBuf>),
    /// The journal check finished.
    Verified {
        /// No entry was edited, removed or reordered.
        ok: bool,
        /// Entries checked.
        entries: u64,
        /// The first broken entry, in words, when not ok.
        detail: String,
    },
    /// Settings were saved and applied.
    SettingsSaved {
        /// As stored.
        settings: Box<Settings>,
        /// Keychain state after saving.
        keychain: KeychainState,
        /// The embedded sandbox's address, when it runs.
        sandbox_url: Option<String>,
    },
    /// The connection test passed.
    ConnectionOk,
    /// Something failed.
    Failed {
        /// Which action.
        origin: Origin,
        /// For whom.
        error: UiError,
    },
}

/// How the worker starts.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Where the ledger and the sandbox's state live.
    pub data_dir: PathBuf,
    /// `--endpoint`, overriding the stored environment.
    pub endpoint: Option<String>,
    /// `--merchant-id`, overriding the stored one.
    pub merchant_id: Option<String>,
    /// `--operator`, overriding the stored one.
    pub operator: Option<String>,
    /// The keychain to use; `None` opens the platform's (tests give `keyring_core`'s mock store).
    pub vault: Option<Vault>,
    /// Refund settle delay of the embedded sandbox, in milliseconds (`None`: the sandbox's default).
    pub sandbox_refund_delay_ms: Option<u64>,
}

impl WorkerConfig {
    /// The defaults for a data directory: stored settings, the platform keychain.
    pub fn new(data_dir: impl Into<PathBuf>) -> WorkerConfig {
        WorkerConfig {
            data_dir: data_dir.into(),
            endpoint: None,
            merchant_id: None,
            operator: None,
            vault: None,
            sandbox_refund_delay_ms: None,
        }
    }
}

/// The UI's end of the worker: a command sender, an event receiver, and the context to wake.
pub struct WorkerHandle {
    commands: mpsc::Sender<Command>,
    events: std_mpsc::Receiver<Event>,
    ctx: Arc<OnceLock<egui::Context>>,
}

impl WorkerHandle {
    /// Gives the worker the context to wake after each event. Called by the app on its first frame.
    pub fn attach(&self, ctx: &egui::Context) {
        let _ = self.ctx.set(ctx.clone());
    }

    /// Queues a command without waiting. Gives it back if the queue is full, or an error if the worker is gone.
    pub fn try_send(&self, command: Command) -> Result<(), SendError> {
        match self.commands.try_send(command) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(c)) => Err(SendError::Full(c)),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(SendError::Gone),
        }
    }

    /// The next event, if one is waiting.
    pub fn try_recv(&self) -> Option<Event> {
        self.events.try_recv().ok()
    }
}

/// Why a command could not be queued.
#[derive(Debug)]
pub enum SendError {
    /// The queue is full: try again next frame.
    Full(Command),
    /// The worker thread ended.
    Gone,
}

/// The worker's end: sends events and wakes the UI.
#[derive(Clone)]
struct Outbox {
    events: std_mpsc::Sender<Event>,
    ctx: Arc<OnceLock<egui::Context>>,
}

impl Outbox {
    fn send(&self, event: Event) {
        if self.events.send(event).is_err() {
            tracing::debug!("the window closed; event dropped");
        }
        if let Some(ctx) = self.ctx.get() {
            ctx.request_repaint();
        }
    }

    fn fail(&self, origin: Origin, error: UiError) {
        self.send(Event::Failed { origin, error });
    }
}

/// Starts the worker thread. It opens the sandbox and the till in the background and reports with
/// [`Event::Ready`] or [`Event::StartFailed`]; the window can draw meanwhile.
pub fn start(config: WorkerConfig) -> std::io::Result<WorkerHandle> {
    let (command_tx, command_rx) = mpsc::channel(COMMAND_QUEUE);
    let (event_tx, event_rx) = std_mpsc::channel();
    let ctx = Arc::new(OnceLock::new());
    let outbox = Outbox {
        events: event_tx,
        ctx: ctx.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .thread_name("cadodesk-worker-rt")
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("cadodesk-worker".into())
        .spawn(move || {
            runtime.block_on(run(config, command_rx, outbox));
            // Dropping the runtime here stops the watcher and the sandbox with the window.
        })?;
    Ok(WorkerHandle {
        commands: command_tx,
        events: event_rx,
        ctx,
    })
}

/// What the worker holds: the ledger, the till built from the settings, the sandbox when it runs.
struct Engine {
    config: WorkerConfig,
    ledger: Ledger,
    vault: Result<Vault, VaultError>,
    sandbox: tokio::sync::Mutex<Option<SandboxThread>>,
    state: std::sync::Mutex<State>,
}

struct State {
    settings: Settings,
    till: Option<Till>,
}

type Shared = Arc<Engine>;

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

fn till_error(e: &TillError) -> UiError {
    UiError::localized(e, detail_of(e))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, TillError> + Send + 'static,
) -> Result<T, UiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(till_error(&e)),
        Err(e) => Err(UiError::new(text::WORKER_GONE, e.to_string())),
    }
}

impl Engine {
    fn settings(&self) -> Settings {
        match self.state.lock() {
            Ok(s) => s.settings.clone(),
            Err(p) => p.into_inner().settings.clone(),
        }
    }

    fn till(&self) -> Result<Till, UiError> {
        let state = match self.state.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        state
            .till
            .clone()
            .ok_or_else(|| UiError::new(text::NOT_READY, "the till is not open"))
    }

    fn set_till(&self, settings: Settings, till: Option<Till>) {
        let mut state = match self.state.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        state.settings = settings;
        state.till = till;
    }

    fn keychain_state(&self, settings: &Settings) -> KeychainState {
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
    async fn sandbox_url(&self) -> Result<String, UiError> {
        let mut guard = self.sandbox.lock().await;
        if let Some(s) = guard.as_ref() {
            return Ok(s.url.clone());
        }
        let mut cfg = SandboxConfig {
            data_file: Some(self.config.data_dir.join("sandbox.json")),
            ..SandboxConfig::default()
        };
        if let Some(ms) = self.config.sandbox_refund_delay_ms {
            cfg.refund_delay_ms = ms;
        }
        let running = SandboxThread::start(cfg)
            .await
            .map_err(|e| UiError::new(text::SANDBOX_FAILED, e))?;
        let url = running.url.clone();
        tracing::info!(%url, "embedded sandbox listening");
        *guard = Some(running);
        Ok(url)
    }

    async fn base_url(&self, environment: &Environment) -> Result<String, UiError> {
        match environment {
            Environment::Sandbox => self.sandbox_url().await,
            Environment::Preprod => Ok(endpoints::PREPROD.to_string()),
            Environment::Prod => Ok(endpoints::PROD.to_string()),
            Environment::Custom(url) => Ok(url.clone()),
        }
    }

    fn credentials(
        &self,
        settings: &Settings,
        typed: Option<&Secret>,
    ) -> Result<ApiCredentials, UiError> {
        if let Some(secret) = typed {
            return Ok(ApiCredentials {
                merchant_id: settings.merchant_id.clone(),
                api_key_id: settings.api_key_id.clone(),
                api_secret: secret.clone(),
                source: "settings",
            });
        }
        let vault = self.vault.clone();
        crate::vault::resolve_credentials(
            Some(&settings.merchant_id),
            Some(&settings.api_key_id),
            &|k| std::env::var(k).ok(),
            settings.environment == Environment::Sandbox,
            &move || vault.clone(),
        )
        .map_err(|e| UiError::localized(&VaultText(&e), e.to_string()))
    }

    async fn build_till(
        &self,
        settings: &Settings,
        typed: Option<&Secret>,
    ) -> Result<Till, UiError> {
        let base_url = self.base_url(&settings.environment).await?;
        let credentials = self.credentials(settings, typed)?;
        let gateway = DirectGateway::new(&base_url, &credentials)
            .map_err(|e| UiError::new(text::BAD_ADDRESS, e))?;
        let return_url = (!settings.return_url.is_empty()).then(|| settings.return_url.clone());
        Ok(Till::with_gateway(
            self.ledger.clone(),
            Arc::new(gateway),
            if settings.operator.is_empty() {
                "caisse"
            } else {
                &settings.operator
            },
            crate::till::logic::DEFAULT_SESSION_TIMEOUT_MINUTES,
            return_url,
        ))
    }
}

/// The embedded sandbox on a thread and runtime of its own, so that it answers even when every worker thread is
/// busy with the ledger: the till waits on the sandbox, never the other way round.
struct SandboxThread {
    url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl SandboxThread {
    async fn start(config: SandboxConfig) -> Result<SandboxThread, String> {
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
                            // Serves until the worker drops its handle.
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
        Ok(SandboxThread {
            url,
            _stop: stop_tx,
        })
    }
}

/// Words for keychain failures, in both languages.
struct VaultText<'a>(&'a VaultError);

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

fn load_settings(ledger: &Ledger, config: &WorkerConfig) -> Result<Settings, TillError> {
    let get = |k: &str| -> Result<Option<String>, TillError> {
        ledger.setting(k).map_err(TillError::Ledger)
    };
    let mut s = Settings::default();
    if let Some(v) = get(keys::ENVIRONMENT)? {
        s.environment = Environment::from_code(&v);
    }
    if let Some(v) = get(keys::MERCHANT_ID)? {
        s.merchant_id = v;
    }
    if let Some(v) = get(keys::API_KEY_ID)? {
        s.api_key_id = v;
    }
    if let Some(v) = get(keys::RETURN_URL)? {
        s.return_url = v;
    }
    if let Some(v) = get(keys::OPERATOR)? {
        s.operator = v;
    }
    if let Some(v) = get(keys::LANGUAGE)? {
        s.lang = crate::i18n::Lang::from_code(&v);
    }
    s.pin_hash = get(keys::MANAGER_PIN_HASH)?;
    if let Some(v) = get(keys::PIN_THRESHOLD_CENTS)? {
        s.pin_threshold = v.parse().ok().and_then(crate::money::Amount::from_cents);
    }
    if let Some(v) = get(keys::REQUIRE_PIN_FOR_ALL)? {
        s.pin_always = v == "true";
    }
    // The command line wins over what is stored, for this run only.
    if let Some(e) = &config.endpoint {
        s.environment = Environment::from_code(e);
    }
    if let Some(m) = &config.merchant_id {
        s.merchant_id = m.clone();
    }
    if let Some(o) = &config.operator {
        s.operator = o.clone();
    }
    Ok(s)
}

fn store_settings(ledger: &Ledger, s: &Settings) -> Result<(), TillError> {
    let threshold = s.pin_threshold.map(|a| a.cents().to_string());
    let pairs: [(&str, Option<String>); 9] = [
        (keys::ENVIRONMENT, Some(s.environment.code())),
        (keys::MERCHANT_ID, Some(s.merchant_id.clone())),
        (keys::API_KEY_ID, Some(s.api_key_id.clone())),
        (
            keys::RETURN_URL,
            (!s.return_url.is_empty()).then(|| s.return_url.clone()),
        ),
        (keys::OPERATOR, Some(s.operator.clone())),
        (keys::LANGUAGE, Some(s.lang.code().to_string())),
        (keys::MANAGER_PIN_HASH, s.pin_hash.clone()),
        (keys::PIN_THRESHOLD_CENTS, threshold),
        (
            keys::REQUIRE_PIN_FOR_ALL,
            Some(if s.pin_always { "true" } else { "false" }.to_string()),
        ),
    ];
    for (key, value) in pairs {
        if ledger.setting(key).map_err(TillError::Ledger)? != value {
            ledger
                .set_setting(&s.operator, key, value.as_deref())
                .map_err(TillError::Ledger)?;
        }
    }
    Ok(())
}

async fn run(config: WorkerConfig, mut commands: mpsc::Receiver<Command>, outbox: Outbox) {
    tracing::info!(data_dir = %config.data_dir.display(), "worker starting");
    let Some(engine) = open_engine(config, &outbox).await else {
        // Keep answering so the UI shows its errors instead of a dead channel.
        while let Some(command) = commands.recv().await {
            outbox.fail(
                origin_of(&command),
                UiError::new(text::NOT_READY, "the ledger could not be opened"),
            );
        }
        return;
    };
    let watcher = tokio::spawn(watch(engine.clone(), outbox.clone()));
    while let Some(command) = commands.recv().await {
        let outbox = outbox.clone();
        let engine = engine.clone();
        tokio::spawn(async move { handle(&engine, command, &outbox).await });
    }
    watcher.abort();
    // Dropping the handle stops the sandbox's thread.
    drop(engine.sandbox.lock().await.take());
    tracing::info!("worker stopping: the window closed");
}

async fn open_engine(config: WorkerConfig, outbox: &Outbox) -> Option<Shared> {
    let data_dir = config.data_dir.clone();
    let ledger = match blocking(move || Ledger::open_in(&data_dir).map_err(TillError::Ledger)).await
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
        match blocking(move || load_settings(&ledger, &config)).await {
            Ok(s) => s,
            Err(e) => {
                outbox.send(Event::StartFailed(e));
                return None;
            }
        }
    };
    let engine = Arc::new(Engine {
        config,
        ledger,
        vault,
        sandbox: tokio::sync::Mutex::new(None),
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
                match till.resume().await {
                    Ok(n) if n > 0 => tracing::info!(items = n, "resumed unfinished work"),
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "resume failed; the watcher will retry");
                        let _ = outbox;
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

async fn current_sandbox_url(engine: &Engine, settings: &Settings) -> Option<String> {
    if settings.environment == Environment::Sandbox {
        engine.sandbox.lock().await.as_ref().map(|s| s.url.clone())
    } else {
        None
    }
}

/// Polls unfinished checkouts and refunds on the till's schedule ([`Watcher`]) and sends each new state to the UI.
async fn watch(engine: Shared, outbox: Outbox) {
    let watcher = Watcher::new();
    loop {
        let wake = match engine.till() {
            Ok(till) => {
                let outbox = outbox.clone();
                watcher
                    .step(&till, move |id, reading| match reading {
                        Ok(view) => {
                            outbox.send(Event::CheckoutUpdated(Box::new(convert::checkout(&view))))
                        }
                        Err(e) => {
                            tracing::debug!(checkout = %id, error = %e, "watcher: refresh failed")
                        }
                    })
                    .await
            }
            Err(_) => tokio::time::Instant::now() + crate::till::watcher::IDLE,
        };
        tokio::time::sleep_until(wake).await;
    }
}

async fn handle(engine: &Engine, command: Command, outbox: &Outbox) {
    let origin = origin_of(&command);
    if let Err(error) = handle_inner(engine, command, outbox).await {
        outbox.fail(origin, error);
    }
}

async fn handle_inner(engine: &Engine, command: Command, outbox: &Outbox) -> Result<(), UiError> {
    match command {
        Command::OpenUrl(url) => {
            let result = tokio::task::spawn_blocking(move || open::that(&url)).await;
            match result {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(UiError::new(text::BROWSER_FAILED, e.to_string())),
                Err(e) => Err(UiError::new(text::BROWSER_FAILED, e.to_string())),
            }
        }
        Command::CreateCheckout {
            amount,
            reference,
            email,
        } => {
            let till = engine.till()?;
            let locale = engine.settings().lang.pick("fr_FR", "en_GB").to_string();
            let view = till
                .create_checkout(NewCheckout {
                    amount,
                    merchant_reference: reference,
                    email,
                    locale,
                    return_url: None,
                })
                .await
                .map_err(|e| till_error(&e))?;
            outbox.send(Event::CheckoutCreated(Box::new(convert::checkout(&view))));
            Ok(())
        }
        Command::Refresh { id } => {
            let till = engine.till()?;
            let view = till.refresh(&id).await.map_err(|e| till_error(&e))?;
            outbox.send(Event::CheckoutUpdated(Box::new(convert::checkout(&view))));
            Ok(())
        }
        Command::LoadCheckouts(query) => {
            let till = engine.till()?;
            let filter = CheckoutFilter {
                from: query.from,
                to: query.to,
                status: query.status.map(convert::state_back),
                text: query.text,
            };
            let rows = blocking(move || till.list_checkouts(&filter)).await?;
            outbox.send(Event::Checkouts(
                rows.iter().filter_map(convert::checkout_row).collect(),
            ));
            Ok(())
        }
        Command::LoadCheckout { id } => {
            let till = engine.till()?;
            let missing = id.clone();
            let view = blocking(move || till.checkout(&id)).await?;
            match view {
                Some(v) => {
                    outbox.send(Event::CheckoutUpdated(Box::new(convert::checkout(&v))));
                    Ok(())
                }
                None => Err(till_error(&TillError::UnknownCheckout(missing))),
            }
        }
        Command::Allocate {
            checkout_id,
            amount,
        } => {
            let till = engine.till()?;
            let id = checkout_id.clone();
            let parts = blocking(move || till.allocate(&id, amount)).await?;
            outbox.send(Event::Allocation { checkout_id, parts });
            Ok(())
        }
        Command::Refund {
            checkout_id,
            payment_id,
            amount,
            reason,
        } => {
            let till = engine.till()?;
            let result = till
                .refund(RefundCommand {
                    payment_id,
                    amount,
                    reason,
                })
                .await;
            // Whatever happened, the checkout's state changed in the ledger: show it.
            let reread = till.clone();
            if let Ok(Some(view)) = blocking(move || reread.checkout(&checkout_id)).await {
                outbox.send(Event::CheckoutUpdated(Box::new(convert::checkout(&view))));
            }
            let refund = result.map_err(|e| till_error(&e))?;
            outbox.send(Event::RefundRecorded(Box::new(convert::refund(&refund))));
            Ok(())
        }
        Command::LoadRefunds { from, to } => {
            let till = engine.till()?;
            let rows = blocking(move || till.refunds(&RefundFilter { from, to })).await?;
            let tills = engine.till()?;
            // Tender labels come from each refund's checkout; the ledger is local, so this stays quick.
            let out = blocking(move || {
                let mut cache = std::collections::HashMap::new();
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    let label = match cache.get(&r.hosted_checkout_id) {
                        Some(v) => v,
                        None => {
                            let v = tills.checkout(&r.hosted_checkout_id)?;
                            cache.entry(r.hosted_checkout_id.clone()).or_insert(v)
                        }
                    };
                    out.push(convert::refund_row(r, label.as_ref()));
                }
                Ok(out)
            })
            .await?;
            outbox.send(Event::Refunds(out));
            Ok(())
        }
        Command::Export {
            from,
            to,
            profile,
            path,
        } => {
            let till = engine.till()?;
            let from = from.unwrap_or(NaiveDate::MIN);
            let to = to.unwrap_or_else(|| {
                Utc::now()
                    .with_timezone(&chrono_tz::Europe::Paris)
                    .date_naive()
                    .succ_opt()
                    .unwrap_or(NaiveDate::MAX)
            });
            let format = match profile {
                CsvProfile::ExcelFr => CsvFormat::ExcelFr,
                CsvProfile::Rfc4180 => CsvFormat::Rfc4180,
            };
            let target = path.clone();
            let summary = blocking(move || till.export_refunds(from, to, format, &target)).await?;
            outbox.send(Event::Exported {
                path,
                rows: summary.rows,
            });
            Ok(())
        }
        Command::ChooseExportFile { current } => {
            if !file_dialog::available() {
                return Err(UiError::new(
                    text::NO_FILE_DIALOG,
                    "no desktop portal session bus and no zenity on this machine",
                ));
            }
            let (dir, name) = file_dialog::start_from(&current);
            let mut dialog = rfd::AsyncFileDialog::new()
                .set_title(
                    engine
                        .settings()
                        .lang
                        .pick("Exporter les remboursements", "Export refunds"),
                )
                .add_filter("CSV", &["csv"])
                .set_file_name(file_dialog::file_name_for(
                    dir.as_deref(),
                    &name,
                    file_dialog::zenity_likely(),
                ));
            if let Some(dir) = dir {
                dialog = dialog.set_directory(dir);
            }
            let chosen = dialog
                .save_file()
                .await
                .map(|file| file_dialog::with_csv_extension(file.path().to_path_buf()));
            outbox.send(Event::ExportFileChosen(chosen));
            Ok(())
        }
        Command::VerifyLedger => {
            let till = engine.till()?;
            let report = blocking(move || till.verify_ledger()).await?;
            let lang = engine.settings().lang;
            outbox.send(Event::Verified {
                ok: report.is_sound(),
                entries: report.entries_checked,
                detail: report
                    .first_break
                    .map(|b| match lang {
                        crate::i18n::Lang::Fr => b.describe_fr(),
                        crate::i18n::Lang::En => b.describe_en(),
                    })
                    .unwrap_or_default(),
            });
            Ok(())
        }
        Command::TestConnection { settings, secret } => {
            let till = engine.build_till(&settings, secret.as_ref()).await?;
            till.test_connection().await.map_err(|e| till_error(&e))?;
            outbox.send(Event::ConnectionOk);
            Ok(())
        }
        Command::SaveSettings { settings, secret } => {
            let settings = *settings;
            if let Some(secret) = &secret {
                let vault = engine
                    .vault
                    .clone()
                    .map_err(|e| UiError::localized(&VaultText(&e), e.to_string()))?;
                let (m, k, s) = (
                    settings.merchant_id.clone(),
                    settings.api_key_id.clone(),
                    secret.clone(),
                );
                tokio::task::spawn_blocking(move || vault.store_api_secret(&m, &k, &s))
                    .await
                    .map_err(|e| UiError::new(text::WORKER_GONE, e.to_string()))?
                    .map_err(|e| UiError::localized(&VaultText(&e), e.to_string()))?;
            }
            let ledger = engine.ledger.clone();
            let to_store = settings.clone();
            blocking(move || store_settings(&ledger, &to_store)).await?;
            let keychain = engine.keychain_state(&settings);
            // The settings are stored even when the till cannot be rebuilt (say, no secret yet): the error says
            // what is missing, and the next save or start picks them up.
            let till = engine.build_till(&settings, secret.as_ref()).await;
            let sandbox_url = current_sandbox_url(engine, &settings).await;
            match till {
                Ok(t) => {
                    engine.set_till(settings.clone(), Some(t));
                    outbox.send(Event::SettingsSaved {
                        settings: Box::new(settings),
                        keychain,
                        sandbox_url,
                    });
                    Ok(())
                }
                Err(e) => {
                    engine.set_till(settings.clone(), None);
                    outbox.send(Event::SettingsSaved {
                        settings: Box::new(settings),
                        keychain,
                        sandbox_url,
                    });
                    outbox.send(Event::StartFailed(e.clone()));
                    Err(e)
                }
            }
        }
    }
}

fn origin_of(command: &Command) -> Origin {
    match command {
        Command::CreateCheckout { .. } => Origin::Create,
        Command::Refresh { .. } => Origin::Refresh,
        Command::OpenUrl(_) => Origin::Open,
        Command::LoadCheckouts(_) => Origin::List,
        Command::LoadCheckout { .. } => Origin::Detail,
        Command::Allocate { .. } => Origin::Allocate,
        Command::Refund { .. } => Origin::Refund,
        Command::LoadRefunds { .. } => Origin::Refunds,
        Command::Export { .. } => Origin::Export,
        Command::ChooseExportFile { .. } => Origin::ExportFile,
        Command::VerifyLedger => Origin::Verify,
        Command::SaveSettings { .. } => Origin::Settings,
        Command::TestConnection { .. } => Origin::Connection,
    }
}
