//! All SQL lives here: migrations, the append-only hash-chained journal, the queries the screens need, CSV export.
//!
//! One database file, `<data dir>/ledger.sqlite3`, in WAL mode with foreign keys and a busy timeout. Every fact is a
//! numbered [`journal::Event`] in the `journal` table, hash-chained to the entry before; triggers refuse UPDATE and
//! DELETE there. The other tables (`checkouts`, `tenders`, `refunds`, `timeline`) are derived from the journal in the
//! same transaction as each entry, by [`Ledger::append`], so they can be rebuilt by replaying it. Secrets are never
//! written here.

mod append;
mod breaks;
mod closings;
mod error;
pub mod export;
mod export_rows;
pub mod export_sales;
mod guard;
pub mod journal;
mod projection;
pub(crate) use projection::forward_moves;
mod queries;
mod receipts;
mod schema;
mod seal;
mod sends;
mod settings;
mod stored;
mod verify;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use crate::domain::{RefundState, SharedClock, SystemClock};

pub use closings::TillIdentity;
pub use error::LedgerError;
pub use export_rows::{ExportReadError, RefundExportRow};
pub use guard::RefundIntent;
pub use journal::{ChainBreak, Entry, Event, PinOutcome};
pub use queries::{
    CheckoutListFilter, CheckoutRecord, CheckoutSummary, RefundRecord, TenderRecord,
};
pub use receipts::ReceiptPrint;
pub use seal::{
    JournalKey, KeyHome, document_message, endorsement_message, key_id_of, key_id_of_hex,
    seal_message, verifies,
};
pub use sends::Claim;
pub use settings::keys;
pub use stored::StoredEntry;
pub use verify::VerifyReport;

/// The database file's name inside the data directory.
pub const LEDGER_FILE: &str = "ledger.sqlite3";

/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The domain's ids are stored as their text.
macro_rules! id_to_sql {
    ($($id:ty),*) => {$(
        impl rusqlite::ToSql for $id {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::from(self.as_str()))
            }
        }
    )*};
}

id_to_sql!(
    crate::domain::HostedCheckoutId,
    crate::domain::PaymentId,
    crate::domain::RefundId,
    crate::domain::IdempotenceKey
);

/// The refund states a rule of the domain selects, as the inside of an SQL `IN (…)`: `'requested', 'unknown'`.
/// The ledger's queries take their state lists from here, so SQL and the domain cannot disagree.
pub(crate) fn refund_states_where(rule: fn(RefundState) -> bool) -> String {
    RefundState::ALL
        .into_iter()
        .filter(|s| rule(*s))
        .map(|s| format!("'{}'", s.code()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The ledger: one SQLite connection, shared. Cheap to clone.
#[derive(Clone)]
pub struct Ledger {
    conn: Arc<Mutex<Connection>>,
    path: Arc<PathBuf>,
    clock: SharedClock,
    protected: Arc<Vec<PathBuf>>,
    /// The key that seals each entry written, when the till holds one.
    key: Option<Arc<seal::JournalKey>>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").field("path", &self.path).finish()
    }
}

pub(crate) type Result<T, E = LedgerError> = std::result::Result<T, E>;

impl Ledger {
    /// Opens (creating if needed) `<data_dir>/ledger.sqlite3`, creating the folder too.
    pub fn open_in(data_dir: &Path) -> Result<Ledger> {
        std::fs::create_dir_all(data_dir).map_err(|e| LedgerError::CannotOpen {
            path: data_dir.display().to_string(),
            detail: e.to_string(),
        })?;
        Ledger::open(&data_dir.join(LEDGER_FILE))
    }

    /// Opens (creating if needed) the database file at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Ledger> {
        let err = |e| LedgerError::from_sqlite(e, path);
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        // WAL lets readers (the app's screens) run while a writer appends; FULL sync because each entry is money.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        // Appends prepare each of their statements once per connection (about twenty of them).
        conn.set_prepared_statement_cache_capacity(64);
        let ledger = Ledger {
            conn: Arc::new(Mutex::new(conn)),
            path: Arc::new(path.to_path_buf()),
            clock: SystemClock::shared(),
            protected: Arc::default(),
            key: None,
        };
        ledger.migrate()?;
        Ok(ledger)
    }

    /// The same ledger, writing its entries' times from `clock` (tests drive time by hand; the program uses the
    /// system clock, the default).
    pub fn with_clock(mut self, clock: SharedClock) -> Ledger {
        self.clock = clock;
        self
    }

    /// The clock the ledger dates its entries with.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// The files nothing but the till may write: the database, the files SQLite keeps beside it (write-ahead log,
    /// shared memory, rollback journal), and those given to [`Ledger::protecting`].
    pub fn own_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = ["", "-wal", "-shm", "-journal"]
            .iter()
            .map(|suffix| {
                let mut p = self.path.as_os_str().to_owned();
                p.push(suffix);
                PathBuf::from(p)
            })
            .collect();
        files.extend(self.protected.iter().cloned());
        files
    }

    /// The same ledger, keeping `files` too from ever being overwritten by what it writes (an export): the till's
    /// other files in its data folder, such as the embedded sandbox's state.
    pub fn protecting(mut self, files: Vec<PathBuf>) -> Ledger {
        self.protected = Arc::new(files);
        self
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll back on drop), so
        // the connection is still good.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> LedgerError + '_ {
        move |e| LedgerError::from_sqlite(e, &self.path)
    }

    fn migrate(&self) -> Result<()> {
        let mut conn = self.lock();
        let err = self.err();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(&err)?;
        let supported = schema::MIGRATIONS.len() as i64;
        if version > supported {
            return Err(LedgerError::TooNew {
                found: version,
                supported,
            });
        }
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(&err)?;
            // Another process may have migrated while this one waited for the lock.
            let now: i64 = tx
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .map_err(&err)?;
            if now > i as i64 {
                continue;
            }
            tx.execute_batch(sql).map_err(&err)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)
                .map_err(&err)?;
            tx.commit().map_err(&err)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
