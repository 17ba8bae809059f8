//! What every handler shares: the configuration, the state behind one lock, the data file, the fault switchboard
//! and the queue of outgoing webhooks. This layer knows nothing of HTTP.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use super::SandboxConfig;
use super::faults::Switchboard;
use super::model::State;
use super::store::Store;

/// One webhook body for some endpoints.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub urls: Vec<String>,
    pub body: Vec<u8>,
}

/// A receipt the till published for the customer's phone (`/sandbox/receipts`): kept in memory only.
#[derive(Debug, Clone)]
pub(crate) struct PublishedReceipt {
    /// Its unguessable id, in its URL.
    pub id: String,
    /// The document's title.
    pub title: String,
    /// Its lines, as printed.
    pub lines: Vec<String>,
    /// The PDF, when the till sent one.
    pub pdf: Option<Vec<u8>>,
}

/// How many published receipts are kept (the oldest go first).
pub(crate) const RECEIPTS_KEPT: usize = 200;

/// Everything the handlers share.
pub(crate) struct App {
    pub cfg: SandboxConfig,
    /// `IP:PORT` the hosted page's links carry, when set; else the Host the client called.
    pub page_host: Option<String>,
    state: Mutex<State>,
    /// The data file, when `--data` was given. Only used with the state lock held, so lines are in change order.
    store: Option<Mutex<Store>>,
    faults: Mutex<Switchboard>,
    hooks: tokio::sync::mpsc::UnboundedSender<Outgoing>,
    receipts: Mutex<VecDeque<PublishedReceipt>>,
}

impl App {
    /// Opens the data file (if any: replays its change log and compacts it) and keeps the sending end of the
    /// webhook queue.
    pub(crate) fn new(
        cfg: SandboxConfig,
        page_host: Option<String>,
        hooks: tokio::sync::mpsc::UnboundedSender<Outgoing>,
    ) -> anyhow::Result<App> {
        let (store, state) = match &cfg.data_file {
            Some(path) => {
                let (store, state) = Store::open(path).map_err(|e| {
                    anyhow::anyhow!("cannot read the sandbox state {}: {e:#}", path.display())
                })?;
                (Some(Mutex::new(store)), state)
            }
            None => (None, State::default()),
        };
        Ok(App {
            cfg,
            page_host,
            state: Mutex::new(state),
            store,
            faults: Mutex::new(Switchboard::default()),
            hooks,
            receipts: Mutex::new(VecDeque::new()),
        })
    }

    /// The state, locked. A panic while it was held cannot leave it half-changed (every change is made before the
    /// guard is released), so a poisoned lock is still usable.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The fault switchboard, locked.
    pub(crate) fn faults(&self) -> MutexGuard<'_, Switchboard> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores what changed in `state` since the last store (one line of the change log, fsynced) and forgets the
    /// previous values. When it cannot be stored, every changed record is put back as it was and the error
    /// returned, so that the caller answers with a failure rather than confirm something a restart would forget.
    /// Without a data file it only forgets the previous values. `fail` simulates a failed write (fault switchboard).
    pub(crate) fn store(&self, state: &mut State, fail: bool) -> anyhow::Result<()> {
        if !state.has_changes() {
            return Ok(());
        }
        if let Some(store) = &self.store {
            let change = state.pending_change();
            let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
            if let Err(e) = store.append(&change, fail) {
                tracing::error!(error = %e, "cannot store a sandbox change; it is undone");
                state.rollback();
                return Err(e);
            }
        }
        state.accept();
        Ok(())
    }

    /// Writes the whole state as the snapshot and empties the change log (at a clean shutdown).
    pub(crate) fn compact(&self) {
        let Some(store) = &self.store else { return };
        let state = self.lock();
        let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = store.compact(&state) {
            tracing::error!(error = %e, "cannot compact the sandbox data file; its change log is kept");
        }
    }

    /// Queues one webhook body for the given endpoints.
    pub(crate) fn send_webhook(&self, urls: Vec<String>, body: Vec<u8>) {
        let _ = self.hooks.send(Outgoing { urls, body });
    }

    /// Keeps a published receipt, forgetting the oldest beyond [`RECEIPTS_KEPT`].
    pub(crate) fn publish_receipt(&self, r: PublishedReceipt) {
        let mut all = self.receipts.lock().unwrap_or_else(|e| e.into_inner());
        all.push_back(r);
        while all.len() > RECEIPTS_KEPT {
            all.pop_front();
        }
    }

    /// A published receipt by its id.
    pub(crate) fn receipt(&self, id: &str) -> Option<PublishedReceipt> {
        let all = self.receipts.lock().unwrap_or_else(|e| e.into_inner());
        all.iter().find(|r| r.id == id).cloned()
    }
}
