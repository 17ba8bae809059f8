//! Time, passed in. Every rule that depends on the time asks a [`Clock`]; the program runs on [`SystemClock`], tests
//! on a [`TestClock`] they move by hand, so nothing in a test depends on how fast the machine is.

use std::fmt;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// Where the time comes from.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// A clock that can be shared between the till, the ledger and the watcher.
pub type SharedClock = Arc<dyn Clock>;

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

impl SystemClock {
    /// The machine's clock, shared.
    pub fn shared() -> SharedClock {
        Arc::new(SystemClock)
    }
}

/// A clock that only moves when told to. Clones share the same time.
#[derive(Debug, Clone)]
pub struct TestClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl TestClock {
    /// A clock stopped at `at`.
    pub fn at(at: DateTime<Utc>) -> TestClock {
        TestClock {
            now: Arc::new(Mutex::new(at)),
        }
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }

    /// Sets the clock.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }

    /// The same clock, as the till and the ledger take it.
    pub fn shared(&self) -> SharedClock {
        Arc::new(self.clone())
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_clock_moves_only_when_told_and_clones_share_it() {
        let start = DateTime::parse_from_rfc3339("2026-11-26T10:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let clock = TestClock::at(start);
        let shared = clock.shared();
        assert_eq!(shared.now(), start);
        clock.advance(Duration::seconds(90));
        assert_eq!(shared.now(), start + Duration::seconds(90));
        clock.set(start);
        assert_eq!(shared.now(), start);
    }
}
