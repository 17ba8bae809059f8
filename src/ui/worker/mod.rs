//! The bridge between the UI thread and everything slow. A named thread owns a tokio runtime, the embedded
//! sandbox and the till. The UI sends [`Command`]s over a bounded channel without ever waiting, and drains
//! [`Event`]s at the start of each frame; the worker wakes the UI with `request_repaint` after each event.
//!
//! The worker is a bridge only: [`messages`] are the words both ends speak, [`engine`] holds the till and builds it
//! from the settings, [`handlers`] carry each command out. Commands that change something (a sale, a refund, an
//! export, the settings) run one after another in the order they were sent; reads run alongside.

mod counter;
mod engine;
mod handlers;
mod messages;
mod shop;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::mpsc;

use crate::app::settings::Overrides;
use crate::till::watcher::Watcher;
use crate::ui::convert;
use crate::ui::model::{Checkout, UiError};
use crate::ui::text;
pub use crate::vault::Secret;
use crate::vault::Vault;

pub use messages::{COMMAND_QUEUE, Command, Event, Origin, PinChange};

use engine::{Engine, Shared, open_engine};
use handlers::{handle_inner, origin_of};

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
    /// Whether the system's save dialog can open; `None` asks the machine ([`crate::ui::file_dialog::available`]),
    /// tests say.
    pub file_dialog: Option<bool>,
    /// Whether a document written (a Z report) is opened in the system's viewer; tests say no.
    pub open_documents: bool,
}

impl WorkerConfig {
    /// What the command line overrides over the stored settings.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            endpoint: self.endpoint.clone(),
            merchant_id: self.merchant_id.clone(),
            operator: self.operator.clone(),
        }
    }

    /// The defaults for a data directory: stored settings, the platform keychain.
    pub fn new(data_dir: impl Into<PathBuf>) -> WorkerConfig {
        WorkerConfig {
            data_dir: data_dir.into(),
            endpoint: None,
            merchant_id: None,
            operator: None,
            vault: None,
            sandbox_refund_delay_ms: None,
            file_dialog: None,
            open_documents: true,
        }
    }
}

/// The UI's end of the worker: a command sender, an event receiver, and the context to wake.
pub struct WorkerHandle {
    commands: mpsc::Sender<Command>,
    events: std_mpsc::Receiver<Event>,
    ctx: Arc<OnceLock<egui::Context>>,
    stopped: std_mpsc::Receiver<()>,
}

/// How long the window's closing waits for the worker to finish its last command and journal the stop.
const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl Drop for WorkerHandle {
    /// The window closed: the command queue closes, and the worker finishes what it was doing and journals the
    /// stop before the process ends (at most [`STOP_WAIT`]; past it the next start notes an unclean stop).
    fn drop(&mut self) {
        let (closed, _) = mpsc::channel(1);
        drop(std::mem::replace(&mut self.commands, closed));
        if self.stopped.recv_timeout(STOP_WAIT).is_err() {
            tracing::warn!("the worker did not stop in time; the next start will note it");
        }
    }
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
pub(super) struct Outbox {
    events: std_mpsc::Sender<Event>,
    ctx: Arc<OnceLock<egui::Context>>,
}

impl Outbox {
    pub(super) fn send(&self, event: Event) {
        if self.events.send(event).is_err() {
            tracing::debug!("the window closed; event dropped");
        }
        if let Some(ctx) = self.ctx.get() {
            ctx.request_repaint();
        }
    }

    pub(super) fn fail(&self, origin: Origin, error: UiError) {
        self.send(Event::Failed { origin, error });
    }
}

/// Starts the worker thread. It opens the sandbox and the till in the background and reports with
/// [`Event::Ready`] or [`Event::StartFailed`]; the window can draw meanwhile.
pub fn start(config: WorkerConfig) -> std::io::Result<WorkerHandle> {
    let (command_tx, command_rx) = mpsc::channel(COMMAND_QUEUE);
    let (event_tx, event_rx) = std_mpsc::channel();
    let (stopped_tx, stopped_rx) = std_mpsc::channel();
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
            drop(runtime);
            let _ = stopped_tx.send(());
        })?;
    Ok(WorkerHandle {
        commands: command_tx,
        events: event_rx,
        ctx,
        stopped: stopped_rx,
    })
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
    let closer = tokio::spawn(close_at_midnight(engine.clone(), outbox.clone()));
    let syncer = tokio::spawn(sync_with_centre(engine.clone(), outbox.clone()));
    // The backup reminder: none yet, or the last older than a week.
    {
        let ledger = engine.ledger.clone();
        let outbox = outbox.clone();
        tokio::spawn(async move {
            match tokio::task::spawn_blocking(move || crate::app::backup::backup_due_for(&ledger))
                .await
            {
                Ok(Ok(due)) => outbox.send(Event::BackupDue(due)),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "whether a backup is due could not be read")
                }
                Err(e) => tracing::warn!(error = %e, "whether a backup is due could not be read"),
            }
        });
    }
    // Commands that change something go through one queue, one after another, in the order they were sent (a
    // sale rung up after the settings were saved is rung up with the new settings); reads run alongside.
    let (in_order, mut queue) = mpsc::unbounded_channel::<Command>();
    let serial = {
        let engine = engine.clone();
        let outbox = outbox.clone();
        tokio::spawn(async move {
            while let Some(command) = queue.recv().await {
                handle(&engine, command, &outbox).await;
            }
        })
    };
    while let Some(command) = commands.recv().await {
        if command.changes_state() {
            if let Err(mpsc::error::SendError(command)) = in_order.send(command) {
                outbox.fail(
                    origin_of(&command),
                    UiError::new(text::WORKER_GONE, "the worker's command queue closed"),
                );
            }
        } else {
            let outbox = outbox.clone();
            let engine = engine.clone();
            tokio::spawn(async move { handle(&engine, command, &outbox).await });
        }
    }
    drop(in_order);
    let _ = serial.await;
    watcher.abort();
    closer.abort();
    syncer.abort();
    let operator = engine.settings().operator;
    let ledger = engine.ledger.clone();
    match tokio::task::spawn_blocking(move || crate::app::journal_stop(&ledger, &operator)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "the stop could not be journaled"),
        Err(e) => tracing::warn!(error = %e, "the stop could not be journaled"),
    }
    // Dropping the handle stops the sandbox's thread.
    drop(engine.sandbox.lock().await.take());
    tracing::info!("worker stopping: the window closed");
}

/// Polls unfinished checkouts and refunds on the till's schedule ([`Watcher`]) and sends each new state to the UI.
/// A reading that shows what the screen already has is not sent: each event wakes the window for a frame, and a
/// frame costs a good part of a core under software rendering.
async fn watch(engine: Shared, outbox: Outbox) {
    let watcher = Watcher::new();
    let sent: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
    loop {
        let wake = match engine.till() {
            Ok(till) => {
                let outbox = outbox.clone();
                let sent = sent.clone();
                watcher
                    .step(&till, move |id, reading| match reading {
                        Ok(view) => {
                            let checkout = convert::checkout(&view);
                            if changed(&sent, &checkout) {
                                outbox.send(Event::CheckoutUpdated(Box::new(checkout)))
                            }
                        }
                        Err(e) => {
                            tracing::debug!(checkout = %id, error = %e, "watcher: refresh failed")
                        }
                    })
                    .await
            }
            Err(_) => crate::till::watcher::IDLE,
        };
        tokio::time::sleep(wake).await;
    }
}

/// How often a till with a centre looks whether its journal grew (one read of the journal's head), how often it
/// sends anyway, and how soon it tries again after a failure.
const SYNC_LOOK: std::time::Duration = std::time::Duration::from_secs(5);
const SYNC_EVERY: std::time::Duration = std::time::Duration::from_secs(300);
const SYNC_RETRY: std::time::Duration = std::time::Duration::from_secs(20);

/// A till with a central ledger sends its entries in the background (at start, after each command that changed
/// something, when its journal grew, and now and then) and tells the screen how far behind the centre is; sales go
/// on whatever the centre says.
async fn sync_with_centre(engine: Shared, outbox: Outbox) {
    // The last entry the centre acknowledged (`None`: not synced yet), and when the last sync failed.
    let mut acknowledged: Option<i64> = None;
    let mut failed_at: Option<tokio::time::Instant> = None;
    let mut last = tokio::time::Instant::now();
    let mut woken = true;
    loop {
        let head = engine.ledger.head().ok().flatten().map_or(0, |h| h.0);
        // The acknowledgement a sync journals (the entry after the one acknowledged) is no reason to sync again.
        let behind = acknowledged.is_none_or(|a| head > a + 1);
        let due = match failed_at {
            Some(at) => woken || at.elapsed() >= SYNC_RETRY,
            None => behind || woken || last.elapsed() >= SYNC_EVERY,
        };
        if due && let Some(url) = engine.central_url() {
            let operator = engine.settings().operator;
            let state = crate::app::centre::sync_now(&engine.ledger, &operator, &url).await;
            last = tokio::time::Instant::now();
            if state.problem.is_some() {
                failed_at = Some(last);
            } else {
                failed_at = None;
                acknowledged = Some(state.acknowledged_seq);
            }
            outbox.send(Event::Central(Box::new(state)));
        }
        woken = tokio::select! {
            () = tokio::time::sleep(SYNC_LOOK) => false,
            () = engine.sync_wanted.notified() => true,
        };
    }
}

/// Whether `checkout` differs from what the watcher last sent of it (and remembers it if so, by a 64-bit digest of
/// everything the screen shows of it: a few bytes per sale however long the till runs).
fn changed(sent: &Mutex<HashMap<String, u64>>, checkout: &Checkout) -> bool {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    format!("{checkout:?}").hash(&mut hasher);
    let digest = hasher.finish();
    let mut sent = sent
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    sent.insert(checkout.id.clone(), digest) != Some(digest)
}

/// A till left running closes the day that ended at each midnight (Europe/Paris), as a start on a later day would:
/// the day, then the month and the fiscal year when they ended.
async fn close_at_midnight(engine: Shared, outbox: Outbox) {
    loop {
        let now = chrono::Utc::now();
        let midnight = crate::till::logic::next_paris_midnight(now);
        // A little after midnight, so that the day's last entries are all before it.
        let wait = (midnight - now + chrono::Duration::seconds(5))
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(60));
        tokio::time::sleep(wait).await;
        let Ok(till) = engine.till() else {
            continue;
        };
        let lister = till.clone();
        match tokio::task::spawn_blocking(move || till.close_due()).await {
            Ok(Ok(made)) if !made.is_empty() => {
                tracing::info!(
                    closings = made.len(),
                    "the day that ended was closed at midnight"
                );
                outbox.send(Event::DayClosed(made));
                if let Ok(Ok(rows)) =
                    tokio::task::spawn_blocking(move || lister.closing_list(None)).await
                {
                    outbox.send(Event::Closings(rows));
                }
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "the closing due at midnight failed; it is made at the next start or closing")
            }
            Err(e) => tracing::warn!(error = %e, "the midnight closing task stopped"),
        }
    }
}

async fn handle(engine: &Engine, command: Command, outbox: &Outbox) {
    let origin = origin_of(&command);
    let changes = command.changes_state();
    if let Err(error) = handle_inner(engine, command, outbox).await {
        outbox.fail(origin, error);
    }
    if changes {
        engine.sync_wanted.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::changed;
    use crate::domain::{Amount, CheckoutState};
    use crate::ui::model::Checkout;

    #[test]
    fn a_reading_that_changes_nothing_is_not_sent_again() {
        let sent = std::sync::Mutex::default();
        let mut sale = Checkout {
            id: "4497463501".into(),
            reference: "VENTE-1".into(),
            amount: Amount::literal(8750),
            status: CheckoutState::InProgress,
            redirect_url: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
            email: None,
            operator: "ana".into(),
            tenders: Vec::new(),
            refunds: Vec::new(),
            timeline: Vec::new(),
            abandoned: None,
        };
        assert!(changed(&sent, &sale), "the first reading is news");
        assert!(!changed(&sent, &sale), "the same again is not");
        sale.status = CheckoutState::Paid;
        assert!(changed(&sent, &sale), "a new state is");
        assert!(!changed(&sent, &sale));
    }
}
