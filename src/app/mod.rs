//! The composition root: where the data lives ([`paths`]), what the stored settings say and what the command line
//! or the environment overrides ([`settings`]), which platform and credentials ([`platform`]: the embedded sandbox,
//! Worldline's environments, the keychain), and the till wired from them. Both faces, the command line and the
//! desktop app, start here; this module uses neither.

pub mod centre;
pub mod journal_key;
pub mod paths;
pub mod platform;
pub mod receipt_phone;
pub mod settings;

pub use paths::data_dir;

use std::path::{Path, PathBuf};

use crate::ledger::{Event, Ledger, LedgerError};

/// Opens (creating if needed) the ledger of the data directory `dir`, sealing every entry with the till's journal
/// key ([`journal_key`]), and keeping the till's other files there (the embedded sandbox's state, the key file)
/// from ever being overwritten by an export.
pub fn open_ledger(dir: &Path) -> Result<Ledger, LedgerError> {
    let ledger = Ledger::open_in(dir)?.protecting(own_files(dir));
    journal_key::seal(ledger, dir, &journal_key::platform_vault)
}

/// The program's version, as the technical events journal it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Journals the desktop app's start (a technical event): returns whether the previous start ended with a clean
/// stop (`false` after a kill, a crash or a power cut).
pub fn journal_start(ledger: &Ledger, operator: &str) -> Result<bool, LedgerError> {
    let previous_stop_clean = ledger
        .last_kind_among(&["app_started", "app_stopped"])?
        .is_none_or(|k| k == "app_stopped");
    ledger.append(
        operator,
        &Event::AppStarted {
            version: VERSION.into(),
            previous_stop_clean,
        },
    )?;
    Ok(previous_stop_clean)
}

/// Journals the desktop app's clean stop.
pub fn journal_stop(ledger: &Ledger, operator: &str) -> Result<(), LedgerError> {
    ledger
        .append(
            operator,
            &Event::AppStopped {
                version: VERSION.into(),
            },
        )
        .map(|_| ())
}

/// Journals an integrity check of the ledger in `dir` and its result, when the ledger there can be written and its
/// key is held (a copy an inspector checks is never written to). `Err` says why it was not journaled.
pub fn journal_integrity_check(
    dir: &Path,
    operator: &str,
    entries: u64,
    problem: Option<String>,
) -> Result<(), LedgerError> {
    // Only the till's own ledger, sealed by the key this machine holds: never a key made or rotated for a check.
    let key = journal_key::existing(dir, &journal_key::platform_vault)?;
    let ledger = Ledger::open_in(dir)?.protecting(own_files(dir));
    let named = ledger.current_key()?.map(|(id, _)| id);
    let Some(key) = key.filter(|k| named.as_deref() == Some(k.key_id().as_str())) else {
        return Err(LedgerError::CannotOpen {
            path: dir.display().to_string(),
            detail: "this machine does not hold the key that seals this journal".into(),
        });
    };
    let ledger = ledger.with_journal_key(key, None)?;
    ledger
        .append(
            operator,
            &Event::IntegrityChecked {
                entries,
                ok: problem.is_none(),
                problem,
            },
        )
        .map(|_| ())
}

/// The till's files in data directory `dir` that nothing it writes (an export) may ever replace: the ledger and its
/// WAL, the sandbox's state and log, the journal key file.
pub fn own_files(dir: &Path) -> Vec<PathBuf> {
    let sandbox = dir.join(platform::SANDBOX_FILE);
    let mut log = sandbox.as_os_str().to_owned();
    log.push(".log");
    let mut files: Vec<PathBuf> = ["", "-wal", "-shm", "-journal"]
        .iter()
        .map(|suffix| {
            let mut p = dir.join(crate::ledger::LEDGER_FILE).into_os_string();
            p.push(suffix);
            PathBuf::from(p)
        })
        .collect();
    files.extend([
        crate::sandbox::owner::lock_path(&sandbox),
        crate::sandbox::owner::owner_path(&sandbox),
        sandbox,
        log.into(),
        dir.join(journal_key::KEY_FILE),
    ]);
    files
}

/// A ledger opened only to be checked (`ledger verify`): nothing is written to `dir`. When the directory cannot be
/// written (an archive on read-only media, a copy without permissions), the ledger and its WAL are copied to a
/// private temporary folder first, removed when the returned guard drops. The till's key, if it has one for this
/// ledger, is held to compare with the journal's; none is made.
pub fn open_ledger_to_verify(dir: &Path) -> Result<(Ledger, ScratchCopy), LedgerError> {
    let file = dir.join(crate::ledger::LEDGER_FILE);
    if !file.exists() {
        return Err(LedgerError::CannotOpen {
            path: file.display().to_string(),
            detail: "no ledger there".into(),
        });
    }
    // Read-only by its mode bits (an archive copied from read-only media keeps them, even for root), or by the
    // system's refusal to write there.
    let read_only_mode = |p: &Path| std::fs::metadata(p).is_ok_and(|m| m.permissions().readonly());
    let writable = !read_only_mode(&file)
        && !read_only_mode(dir)
        && std::fs::OpenOptions::new().append(true).open(&file).is_ok()
        && tempfile_probe(dir);
    let (at, scratch) = if writable {
        (dir.to_path_buf(), ScratchCopy(None))
    } else {
        let tmp =
            std::env::temp_dir().join(format!("cadodesk-verify-{}", uuid::Uuid::new_v4().simple()));
        let copy_err = |e: std::io::Error| LedgerError::CannotOpen {
            path: tmp.display().to_string(),
            detail: format!("a private copy to check could not be made ({e})"),
        };
        std::fs::create_dir_all(&tmp).map_err(copy_err)?;
        let scratch = ScratchCopy(Some(tmp.clone()));
        for suffix in ["", "-wal"] {
            let from = dir.join(format!("{}{suffix}", crate::ledger::LEDGER_FILE));
            if from.exists() {
                let to = tmp.join(format!("{}{suffix}", crate::ledger::LEDGER_FILE));
                std::fs::copy(&from, &to).map_err(copy_err)?;
                // The copy keeps the archive's read-only bits: it must be writable for SQLite to open it.
                let mut perms = std::fs::metadata(&to).map_err(copy_err)?.permissions();
                #[allow(clippy::permissions_set_readonly_false)]
                // reason: a private copy, owned by this process
                perms.set_readonly(false);
                std::fs::set_permissions(&to, perms).map_err(copy_err)?;
            }
        }
        (tmp, scratch)
    };
    let ledger = Ledger::open_in(&at)?;
    let ledger = match journal_key::existing(dir, &journal_key::platform_vault)? {
        Some(k) => ledger.holding_key(k),
        None => ledger,
    };
    Ok((ledger, scratch))
}

/// Can a file be created in `dir` (SQLite needs that for its shared-memory file)?
fn tempfile_probe(dir: &Path) -> bool {
    let probe = dir.join(format!(".cadodesk-probe-{}", uuid::Uuid::new_v4().simple()));
    let ok = std::fs::File::create(&probe).is_ok();
    let _ = std::fs::remove_file(&probe);
    ok
}

/// The private copy a check was made on, removed when dropped.
#[derive(Debug)]
pub struct ScratchCopy(Option<PathBuf>);

impl ScratchCopy {
    /// Whether the check runs on a private copy (the ledger itself could not be written).
    pub fn is_copy(&self) -> bool {
        self.0.is_some()
    }
}

impl Drop for ScratchCopy {
    fn drop(&mut self) {
        if let Some(dir) = &self.0
            && let Err(e) = std::fs::remove_dir_all(dir)
        {
            tracing::warn!(dir = %dir.display(), error = %e, "the private copy made to check the ledger was not removed");
        }
    }
}
pub use platform::{EmbeddedSandbox, Platform, Role, SandboxError, SandboxOptions};
pub use settings::{Environment, Overrides, Settings};
