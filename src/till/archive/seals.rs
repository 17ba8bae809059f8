//! The seals of an archive's entries, checked on every core while the entries are read: the reader hands over
//! batches, workers verify them (one Ed25519 verification each, exactly as one at a time would), and the first entry
//! whose seal fails is kept.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::ledger::{seal_message, verifies};

/// One seal to check.
struct Job {
    seq: i64,
    hash: String,
    signature: String,
    public: Arc<str>,
}

const BATCH: usize = 1024;

/// Checks seals in the background; [`SealChecker::finish`] says which entry's seal failed first, if any.
pub(super) struct SealChecker {
    sender: Option<SyncSender<Vec<Job>>>,
    batch: Vec<Job>,
    workers: Vec<JoinHandle<()>>,
    first_bad: Arc<AtomicI64>,
}

fn check_all(jobs: &[Job], first_bad: &AtomicI64) {
    for j in jobs {
        if !verifies(&j.public, &seal_message(j.seq, &j.hash), &j.signature) {
            first_bad.fetch_min(j.seq, Ordering::SeqCst);
        }
    }
}

impl SealChecker {
    /// Workers on every core (none if no thread can start: then each batch is checked where it is handed over).
    pub(super) fn new() -> SealChecker {
        let first_bad = Arc::new(AtomicI64::new(i64::MAX));
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (sender, receiver) = sync_channel::<Vec<Job>>(threads * 4);
        let receiver: Arc<Mutex<Receiver<Vec<Job>>>> = Arc::new(Mutex::new(receiver));
        let mut workers = Vec::new();
        for i in 0..threads {
            let receiver = receiver.clone();
            let first_bad = first_bad.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("cadodesk-seals-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only to take the next batch.
                        let next = match receiver.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        match next {
                            Ok(jobs) => check_all(&jobs, &first_bad),
                            Err(_) => return,
                        }
                    }
                });
            if let Ok(handle) = spawned {
                workers.push(handle);
            }
        }
        SealChecker {
            sender: (!workers.is_empty()).then_some(sender),
            batch: Vec::with_capacity(BATCH),
            workers,
            first_bad,
        }
    }

    /// Queues the seal of entry `seq` (chain hash `hash`) under `public`.
    pub(super) fn check(&mut self, seq: i64, hash: &str, signature: &str, public: &Arc<str>) {
        self.batch.push(Job {
            seq,
            hash: hash.to_string(),
            signature: signature.to_string(),
            public: public.clone(),
        });
        if self.batch.len() >= BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let jobs = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        let unsent = match &self.sender {
            Some(s) => s.send(jobs).err().map(|e| e.0),
            None => Some(jobs),
        };
        // No worker (or none left): checked here.
        if let Some(jobs) = unsent {
            check_all(&jobs, &self.first_bad);
        }
    }

    /// Waits for every seal queued; the first entry whose seal fails, if any.
    pub(super) fn finish(mut self) -> Option<i64> {
        self.flush();
        drop(self.sender.take());
        for w in self.workers.drain(..) {
            if w.join().is_err() {
                tracing::warn!("a seal-checking thread stopped");
            }
        }
        let bad = self.first_bad.load(Ordering::SeqCst);
        (bad != i64::MAX).then_some(bad)
    }
}
