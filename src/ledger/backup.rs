//! Copies of the ledger taken while it is in use, and a verified copy put back: SQLite's online backup, page by
//! page, inside one read (or write) transaction, so the copy is the ledger as it stood at one moment.

use std::path::Path;

use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};

use super::{Ledger, LedgerError, Result};

impl Ledger {
    /// Writes a copy of the whole database, as it stands at one moment, to the new file `to` (created here: it
    /// must not exist), while this and other processes go on writing. The copy is made in one step of SQLite's
    /// online backup (one read transaction, so a writer elsewhere never makes it start over) and is left as one
    /// self-contained file (rollback-journal mode, nothing beside it), synced to disk.
    pub fn backup_into(&self, to: &Path) -> Result<()> {
        let to_err = |e| LedgerError::from_sqlite(e, to);
        if to.exists() {
            return Err(LedgerError::CannotOpen {
                path: to.display().to_string(),
                detail: "a file is already there; a copy never replaces one".into(),
            });
        }
        let mut dst = Connection::open(to).map_err(to_err)?;
        {
            let src = self.lock();
            let backup = Backup::new(&src, &mut dst).map_err(self.err())?;
            all_at_once(&backup).map_err(self.err())?;
        }
        dst.pragma_update(None, "journal_mode", "DELETE")
            .map_err(to_err)?;
        dst.close().map_err(|(_, e)| to_err(e))?;
        std::fs::File::open(to)
            .and_then(|f| f.sync_all())
            .map_err(|e| LedgerError::CannotOpen {
                path: to.display().to_string(),
                detail: format!("the copy could not be synced to disk ({e})"),
            })
    }

    /// Replaces the whole database with the copy at `from`, in one write transaction (atomic and durable like any
    /// entry: the other connections see the ledger before or after, never half of it). The caller checks the copy
    /// and keeps the current ledger aside first ([`Ledger::backup_into`]).
    pub fn replace_with_copy(&self, from: &Path) -> Result<()> {
        let src = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| LedgerError::from_sqlite(e, from))?;
        let mut dst = self.lock();
        let backup = Backup::new(&src, &mut dst).map_err(self.err())?;
        all_at_once(&backup).map_err(self.err())
    }
}

/// Copies every page in one step (one transaction on each side); waits while another connection holds a lock
/// that stops it, as long as the busy timeout.
fn all_at_once(backup: &Backup<'_, '_>) -> rusqlite::Result<()> {
    use rusqlite::backup::StepResult;
    let give_up = std::time::Instant::now() + super::BUSY_TIMEOUT;
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More | StepResult::Busy | StepResult::Locked
                if std::time::Instant::now() < give_up =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            _ => {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    Some("the ledger stayed busy during the copy".into()),
                ));
            }
        }
    }
}

impl Ledger {
    /// When the last backup was journaled (`backup_made`), if ever.
    pub fn last_backup_at(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
        use rusqlite::OptionalExtension;
        let conn = self.lock();
        let at: Option<String> = conn
            .prepare_cached(
                "SELECT at FROM journal WHERE kind = 'backup_made' ORDER BY seq DESC LIMIT 1",
            )
            .and_then(|mut st| st.query_row([], |r| r.get(0)).optional())
            .map_err(self.err())?;
        at.map(|s| super::queries::time(&s))
            .transpose()
            .map_err(self.err())
    }
}

/// What a copy of a ledger holds, checked: [`Ledger::verify`]'s report, its last entry, the key its journal names.
#[derive(Debug)]
pub struct CheckedCopy {
    /// The check.
    pub report: super::VerifyReport,
    /// The last entry: its number and chain hash (`None`: an empty journal).
    pub head: Option<(i64, String)>,
    /// The id of the key that seals the journal, when it is sealed.
    pub key_id: Option<String>,
}

impl Ledger {
    /// Opens the copy at `path` (a file this process owns), checks it as `ledger verify` does, and leaves it one
    /// self-contained file again (rollback-journal mode). A copy from a newer cadodesk is refused (`TooNew`).
    pub fn check_copy(path: &Path) -> Result<CheckedCopy> {
        let copy = Ledger::open(path)?;
        let report = copy.verify()?;
        let head = copy.head()?;
        let key_id = copy.current_key()?.map(|(id, _)| id);
        copy.lock()
            .pragma_update(None, "journal_mode", "DELETE")
            .map_err(copy.err())?;
        Ok(CheckedCopy {
            report,
            head,
            key_id,
        })
    }
}
