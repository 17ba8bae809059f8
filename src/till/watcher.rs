//! The status watcher: reads every unfinished checkout when its next reading is due on the schedule
//! ([`super::logic::poll_delay`]), never two readings of one checkout at once, and says when to look again.
//!
//! Time is the till's clock ([`crate::domain::Clock`]), so a test moves it by hand. The app's worker and the
//! benchmark run the same loop: `let wait = watcher.step(&till, …).await; tokio::time::sleep(wait).await;`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{CheckoutView, Till, TillError};
use crate::domain::HostedCheckoutId;

/// The watcher looks for new work at least this often; otherwise it sleeps until the next reading is due.
pub const IDLE: Duration = Duration::from_millis(500);

/// The watcher's memory between steps: which checkouts are being read right now.
#[derive(Debug, Default, Clone)]
pub struct Watcher {
    in_flight: Arc<Mutex<HashSet<HostedCheckoutId>>>,
}

impl Watcher {
    /// A watcher with nothing in flight.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a reading of every checkout that is due and not already being read; each reading runs as its own
    /// task and hands its outcome to `on_reading`. A reading is recorded as started on the till before its task is
    /// spawned, so a checkout is never due again while it is being read, whatever the order in which tasks run.
    /// Returns how long to wait before the next step: until the next reading is due, at most [`IDLE`].
    pub async fn step<F>(&self, till: &Till, on_reading: F) -> Duration
    where
        F: Fn(&str, Result<CheckoutView, TillError>) + Clone + Send + 'static,
    {
        let now = till.now();
        let due = {
            let till = till.clone();
            match tokio::task::spawn_blocking(move || till.pending_work()).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::error!(error = %e, "the watcher's look at pending work failed");
                    return IDLE;
                }
            }
        };
        let mut wait = IDLE;
        for (id, at) in due {
            if at > now {
                if let Ok(left) = (at - now).to_std() {
                    wait = wait.min(left);
                }
                continue;
            }
            if !self.lock().insert(id.clone()) {
                continue;
            }
            till.note_reading_started(&id, now);
            let till = till.clone();
            let this = self.clone();
            let on_reading = on_reading.clone();
            tokio::spawn(async move {
                let result = till.refresh(&id).await;
                on_reading(&id, result);
                this.lock().remove(&id);
            });
        }
        wait
    }

    /// How many readings are running now.
    pub fn in_flight(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<HostedCheckoutId>> {
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner())
    }
}
