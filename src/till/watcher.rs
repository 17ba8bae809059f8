//! The status watcher: reads every unfinished checkout when its next reading is due on the schedule
//! ([`super::logic::poll_delay`]), never two readings of one checkout at once, and says when to look again.
//!
//! The app's worker and the benchmark run the same loop: `let wake = watcher.step(&till, …).await;
//! tokio::time::sleep_until(wake).await;`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use tokio::time::Instant;

use super::{CheckoutView, Till, TillError};

/// The watcher looks for new work at least this often; otherwise it sleeps until the next reading is due.
pub const IDLE: std::time::Duration = std::time::Duration::from_millis(500);

/// The watcher's memory between steps: which checkouts are being read right now.
#[derive(Debug, Default, Clone)]
pub struct Watcher {
    in_flight: Arc<Mutex<HashSet<String>>>,
}

impl Watcher {
    /// A watcher with nothing in flight.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a reading of every checkout that is due and not already being read; each reading runs as its own
    /// task and hands its outcome to `on_reading`. Returns when to call `step` again: the time the next reading is
    /// due, or [`IDLE`] from now, whichever comes first.
    pub async fn step<F>(&self, till: &Till, on_reading: F) -> Instant
    where
        F: Fn(&str, Result<CheckoutView, TillError>) + Clone + Send + 'static,
    {
        let mut wake = Instant::now() + IDLE;
        let now = Utc::now();
        let due = {
            let till = till.clone();
            match tokio::task::spawn_blocking(move || till.pending_work(now)).await {
                Ok(d) => d,
                Err(_) => return wake,
            }
        };
        for (id, at) in due {
            if at > now {
                if let Ok(wait) = (at - now).to_std() {
                    wake = wake.min(Instant::now() + wait);
                }
                continue;
            }
            if !self.lock().insert(id.clone()) {
                continue;
            }
            let till = till.clone();
            let this = self.clone();
            let on_reading = on_reading.clone();
            tokio::spawn(async move {
                let result = till.refresh(&id).await;
                on_reading(&id, result);
                this.lock().remove(&id);
            });
        }
        wake
    }

    /// How many readings are running now.
    pub fn in_flight(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner())
    }
}
