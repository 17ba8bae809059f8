//! Backups of the ledger and a backup put back.
//!
//! A backup ([`backup`]) is SQLite's online copy of the ledger, taken while the till may be selling, written to a
//! private folder beside the target, checked as `ledger verify` checks the ledger, and only then linked to the name
//! asked for (never over an existing file, never over one of the till's own files); it is journaled
//! (`backup_made`). A restore ([`restore`]) checks the copy the same way, refuses one that would lose entries the
//! ledger holds (unless forced), keeps the current ledger aside as a file of its own, and replaces the ledger's
//! content in one transaction.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::ledger::journal::hex;
use crate::ledger::{CheckedCopy, Event, LEDGER_FILE, Ledger, LedgerError};

/// Why a backup or a restore did not happen.
#[derive(Debug, Error)]
pub enum BackupError {
    /// The target may not receive a backup.
    #[error("{path} may not receive a backup: {why}")]
    Refused {
        /// The target.
        path: String,
        /// Why, and what to do.
        why: String,
    },
    /// A file could not be written or read.
    #[error("{path} could not be {doing} ({detail}): {fix}")]
    Io {
        /// The file.
        path: String,
        /// "written", "read".
        doing: &'static str,
        /// The system's reason.
        detail: String,
        /// What to check.
        fix: &'static str,
    },
    /// The copy does not pass `ledger verify`.
    #[error(
        "the copy {path} does not verify (entry {seq}: {problem}): it was not kept; take the backup again, or restore an older one"
    )]
    NotSound {
        /// The copy.
        path: String,
        /// The first broken entry.
        seq: i64,
        /// What is wrong there.
        problem: String,
    },
    /// The copy holds no entry.
    #[error("the copy {path} holds no journal entry: give a file `cadodesk backup` wrote")]
    Empty {
        /// The copy.
        path: String,
    },
    /// The copy would lose entries the current ledger holds.
    #[error(
        "the copy {path} holds entries up to no. {copy_seq}, the ledger here up to no. {current_seq}: restoring it would lose {lost} entries; give a newer copy, or pass --force to restore it anyway (the current ledger is kept aside)"
    )]
    Older {
        /// The copy.
        path: String,
        /// Its last entry.
        copy_seq: i64,
        /// The current ledger's last entry.
        current_seq: i64,
        /// Entries the restore would drop.
        lost: i64,
    },
    /// The copy and the current ledger tell two different stories.
    #[error(
        "the copy {path} and the ledger here part at entry no. {seq}: it is not a copy of this ledger; check the data directory, or pass --force to restore it anyway (the current ledger is kept aside)"
    )]
    Diverges {
        /// The copy.
        path: String,
        /// The first entry that differs (or that one of them lacks).
        seq: i64,
    },
    /// The copy is the current ledger already.
    #[error(
        "the ledger here already holds the copy {path} (up to entry no. {seq}): nothing to restore"
    )]
    Same {
        /// The copy.
        path: String,
        /// Its last entry.
        seq: i64,
    },
    /// The till here does not hold the key the copy's journal is sealed with.
    #[error(
        "this data directory does not hold the key {key} that seals the copy's journal: import it first (`cadodesk key import FILE`, from `cadodesk key export` on the old machine), or pass --new-key to go on under a new key, which `ledger verify` will name"
    )]
    KeyMissing {
        /// The journal's key id.
        key: String,
    },
    /// cadodesk runs on this data directory (its sandbox's owner says so).
    #[error(
        "cadodesk is running on this data directory ({what}, process {pid}): close it, then restore"
    )]
    InUse {
        /// What runs: the app, a command, the sandbox.
        what: String,
        /// Its process id.
        pid: u32,
    },
    /// The ledger could not be read or written.
    #[error(transparent)]
    Ledger(#[from] Box<LedgerError>),
}

impl From<LedgerError> for BackupError {
    fn from(e: LedgerError) -> Self {
        BackupError::Ledger(Box::new(e))
    }
}

/// A backup written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupMade {
    /// The file.
    pub path: PathBuf,
    /// Its SHA-256 (hex).
    pub sha256: String,
    /// The last entry it holds.
    pub last_seq: i64,
    /// Its chain hash.
    pub last_hash: String,
}

/// A restore done.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Restored {
    /// The ledger's last entry now.
    pub last_seq: i64,
    /// Where the ledger that was there is kept (`None`: there was none).
    pub kept_aside: Option<PathBuf>,
    /// Entries of that ledger the copy does not hold (restored with `--force`).
    pub entries_not_in_copy: i64,
}

/// How a restore may go.
#[derive(Debug, Clone, Copy, Default)]
pub struct RestoreOptions {
    /// Restore a copy that would lose entries or that is not a copy of this ledger.
    pub force: bool,
    /// Restore without the key the copy's journal is sealed with (the till goes on under a new key).
    pub new_key: bool,
}

/// A private working folder, removed with what it holds when dropped.
struct WorkDir(PathBuf);

impl WorkDir {
    fn new(beside: &Path, what: &str) -> Result<WorkDir, BackupError> {
        let dir = beside.join(format!(
            ".cadodesk-{what}-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir(&dir).map_err(|e| io(&dir, "written", &e))?;
        Ok(WorkDir(dir))
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0) {
            tracing::warn!(dir = %self.0.display(), error = %e, "a backup's working folder was not removed");
        }
    }
}

fn io(path: &Path, doing: &'static str, e: &dyn std::fmt::Display) -> BackupError {
    BackupError::Io {
        path: path.display().to_string(),
        doing,
        detail: e.to_string(),
        fix: if doing == "read" {
            "check the file's name and that it can be read"
        } else {
            "check that its folder exists, is writable and has room"
        },
    }
}

/// The folder a path's file lands in, resolved, with the file's name.
fn landing(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Some(std::fs::canonicalize(parent).ok()?.join(name))
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A file's SHA-256, read in pieces.
fn sha256_of(path: &Path) -> Result<String, BackupError> {
    let mut f = std::fs::File::open(path).map_err(|e| io(path, "read", &e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf).map_err(|e| io(path, "read", &e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io(dir, "written", &e))
}

/// Links the finished file `from` to the new name `to` (which must not exist) and syncs the folder.
fn link_new(from: &Path, to: &Path) -> Result<(), BackupError> {
    match std::fs::hard_link(from, to) {
        Ok(()) => sync_dir(&parent_of(to)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(BackupError::Refused {
            path: to.display().to_string(),
            why: "a file is already there (a backup never replaces a file): choose a new name"
                .into(),
        }),
        Err(e) => Err(io(to, "written", &e)),
    }
}

/// The copy at `file` checked: sound, not empty.
fn checked(copy: &Path, shown: &Path) -> Result<(CheckedCopy, (i64, String)), BackupError> {
    let c = Ledger::check_copy(copy)?;
    if let Some(b) = &c.report.first_break {
        return Err(BackupError::NotSound {
            path: shown.display().to_string(),
            seq: b.seq(),
            problem: b.describe_en(),
        });
    }
    let head = c.head.clone().ok_or_else(|| BackupError::Empty {
        path: shown.display().to_string(),
    })?;
    Ok((c, head))
}

/// Writes a checked copy of `ledger` to `out` (a new file) and journals it as `operator`.
pub fn backup(ledger: &Ledger, operator: &str, out: &Path) -> Result<BackupMade, BackupError> {
    let refused = |why: &str| BackupError::Refused {
        path: out.display().to_string(),
        why: why.into(),
    };
    let Some(target) = landing(out) else {
        return Err(refused(
            "its folder does not exist or it names no file: give a file name in an existing folder",
        ));
    };
    if ledger
        .own_files()
        .iter()
        .any(|f| landing(f).as_ref() == Some(&target))
    {
        return Err(refused(
            "it is one of the till's own files: choose a name outside the data directory",
        ));
    }
    if std::fs::symlink_metadata(out).is_ok() {
        return Err(refused(
            "a file is already there (a backup never replaces a file): choose a new name",
        ));
    }
    let work = WorkDir::new(&parent_of(out), "backup")?;
    let copy = work.0.join(LEDGER_FILE);
    ledger.backup_into(&copy)?;
    let (_, (last_seq, last_hash)) = checked(&copy, out)?;
    std::fs::File::open(&copy)
        .and_then(|f| f.sync_all())
        .map_err(|e| io(&copy, "written", &e))?;
    let sha256 = sha256_of(&copy)?;
    link_new(&copy, out)?;
    drop(work);
    let file = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    ledger.append(
        operator,
        &Event::BackupMade {
            file,
            sha256: sha256.clone(),
            last_seq,
        },
    )?;
    tracing::info!(path = %out.display(), last_seq, "backup written and checked");
    Ok(BackupMade {
        path: out.to_path_buf(),
        sha256,
        last_seq,
        last_hash,
    })
}

/// How long a shop may go without a backup before the till reminds it.
pub const REMIND_AFTER: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// Whether the till should remind the shop to back up at `now`: no backup yet, or the last one older than
/// [`REMIND_AFTER`]. Pure: the screens ask it with the ledger's clock.
pub fn backup_due(
    last_backup: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    last_backup.is_none_or(|at| now - at > REMIND_AFTER)
}

/// [`backup_due`] for `ledger`, by its clock.
pub fn backup_due_for(ledger: &Ledger) -> Result<bool, BackupError> {
    Ok(backup_due(ledger.last_backup_at()?, ledger.clock().now()))
}

/// How the copy's chain stands against the current ledger's.
fn compare(
    current: &Ledger,
    path: &Path,
    copy: &Ledger,
    (copy_seq, copy_hash): &(i64, String),
) -> Result<i64, BackupError> {
    let Some((cur_seq, cur_hash)) = current.head()? else {
        return Ok(0);
    };
    let shown = path.display().to_string();
    if cur_seq == *copy_seq && &cur_hash == copy_hash {
        return Err(BackupError::Same {
            path: shown,
            seq: cur_seq,
        });
    }
    if cur_seq > *copy_seq && current.hash_of(*copy_seq)?.as_ref() == Some(copy_hash) {
        return Err(BackupError::Older {
            path: shown,
            copy_seq: *copy_seq,
            current_seq: cur_seq,
            lost: cur_seq - copy_seq,
        });
    }
    if *copy_seq > cur_seq && copy.hash_of(cur_seq)?.as_ref() == Some(&cur_hash) {
        return Ok(0);
    }
    // The first entry that differs: the chain hashes cover everything before, so a bisection finds it.
    let (mut lo, mut hi) = (0, cur_seq.min(*copy_seq));
    while lo < hi {
        let mid = (lo + hi + 1) / 2;
        if current.hash_of(mid)? == copy.hash_of(mid)? {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Err(BackupError::Diverges {
        path: shown,
        seq: lo + 1,
    })
}

/// Puts the copy at `file` in place of the ledger of data directory `dir`, after checking it (see the module).
/// `held_key` is the id of the key the till here seals with (`None`: it holds none).
pub fn restore(
    dir: &Path,
    file: &Path,
    held_key: Option<&str>,
    options: RestoreOptions,
) -> Result<Restored, BackupError> {
    match std::fs::metadata(file) {
        Ok(m) if m.is_file() => {}
        Ok(_) => {
            return Err(BackupError::Refused {
                path: file.display().to_string(),
                why: "it is not a file: give the file `cadodesk backup` wrote".into(),
            });
        }
        Err(e) => return Err(io(file, "read", &e)),
    }
    std::fs::create_dir_all(dir).map_err(|e| io(dir, "written", &e))?;
    let work = WorkDir::new(dir, "restore")?;
    let copy_path = work.0.join(LEDGER_FILE);
    std::fs::copy(file, &copy_path).map_err(|e| io(file, "read", &e))?;
    let (checked_copy, head) = checked(&copy_path, file)?;
    if let Some(key) = &checked_copy.key_id
        && held_key != Some(key.as_str())
        && !options.new_key
    {
        return Err(BackupError::KeyMissing { key: key.clone() });
    }
    // The app (or a command) running here owns the embedded sandbox's data file: held for the restore, so none
    // starts meanwhile; one running is refused rather than having its ledger replaced under it.
    let _owned = match crate::sandbox::owner::acquire(&dir.join(super::platform::SANDBOX_FILE)) {
        Ok(lock) => Some(lock),
        Err(crate::sandbox::owner::OwnerError::Held { owner, .. }) => {
            return Err(BackupError::InUse {
                what: match owner.as_ref().map(|o| o.role.as_str()) {
                    Some("app") => "the desktop app".into(),
                    Some("command") => "a command".into(),
                    Some(other) => other.to_string(),
                    None => "another process".into(),
                },
                pid: owner.map_or(0, |o| o.pid),
            });
        }
        Err(e) => {
            tracing::warn!(error = %e, "whether cadodesk runs on this data directory is not known");
            None
        }
    };
    let current = Ledger::open_in(dir)?;
    let copy = Ledger::open(&copy_path)?;
    let forced = match compare(&current, file, &copy, &head) {
        Ok(_) => None,
        Err(e @ (BackupError::Older { .. } | BackupError::Diverges { .. })) if options.force => {
            tracing::warn!(error = %e, "restoring anyway (--force)");
            Some(e)
        }
        Err(e) => return Err(e),
    };
    drop(copy);
    let kept_aside = match current.head()? {
        None => None,
        Some((cur_seq, _)) => {
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
            let aside = dir.join(format!("{LEDGER_FILE}.before-restore-{stamp}"));
            let tmp = work.0.join("aside.sqlite3");
            current.backup_into(&tmp)?;
            link_new(&tmp, &aside)?;
            tracing::info!(path = %aside.display(), last_seq = cur_seq, "the ledger was kept aside");
            Some(aside)
        }
    };
    let entries_not_in_copy = match &forced {
        Some(BackupError::Older { lost, .. }) => *lost,
        Some(BackupError::Diverges { seq, .. }) => {
            current.head()?.map_or(0, |(s, _)| (s - seq + 1).max(0))
        }
        Some(_) => 0,
        None => 0,
    };
    current.replace_with_copy(&copy_path)?;
    drop(work);
    Ok(Restored {
        last_seq: head.0,
        kept_aside,
        entries_not_in_copy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backup_is_due_when_none_was_made_or_the_last_is_older_than_a_week() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-29T10:00:00Z")
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_default();
        assert!(backup_due(None, now));
        assert!(!backup_due(Some(now - chrono::TimeDelta::days(6)), now));
        assert!(!backup_due(Some(now - REMIND_AFTER), now));
        assert!(backup_due(
            Some(now - REMIND_AFTER - chrono::TimeDelta::minutes(1)),
            now
        ));
    }
}
