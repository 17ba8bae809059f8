//! Where a till's journal sealing key lives, and the ledger opened with it.
//!
//! The key's home, in order: the OS keychain (user `journal/<ledger id>`, the id being a hash of the ledger's path),
//! else a key file already next to the ledger (`journal.key`: a till that started without a keychain keeps it),
//! else a new key in the keychain, else a new key file, written once, readable by its owner only. A key in a file
//! protects less: whoever can read the data directory can re-seal the journal. `ledger verify` says which home the
//! journal names.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::ledger::journal::{hex, unhex};
use crate::ledger::{JournalKey, KeyHome, Ledger, LedgerError};
use crate::vault::{Backend, Secret, Vault};

/// The key file's name in the data directory, when no keychain is usable.
pub const KEY_FILE: &str = "journal.key";

/// A key file's or keychain entry's 64 hex digits as a seed; anything else is refused (never sliced inside a
/// character).
fn seed_of(hex_seed: &str) -> Option<[u8; 32]> {
    unhex(hex_seed.trim()).and_then(|b| <[u8; 32]>::try_from(b).ok())
}

/// The keychain's name for the ledger in `dir`: a hash of its absolute path.
fn ledger_id(dir: &Path) -> String {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    hex(&Sha256::digest(abs.to_string_lossy().as_bytes())[..8])
}

fn key_file(dir: &Path) -> PathBuf {
    dir.join(KEY_FILE)
}

fn unreadable(path: &Path, why: &str) -> LedgerError {
    LedgerError::CannotOpen {
        path: path.display().to_string(),
        detail: format!("the journal key {why}"),
    }
}

/// The till's key for the ledger in `dir`, if it has one (nothing is created).
pub fn existing(
    dir: &Path,
    vault: &dyn Fn() -> Option<Vault>,
) -> Result<Option<JournalKey>, LedgerError> {
    // The keychain first: a key file planted in the data directory does not replace a key the keychain holds.
    if let Some(v) = vault()
        && let Ok(Some(secret)) = v.load_journal_key(&ledger_id(dir))
        && let Some(seed) = seed_of(secret.expose())
    {
        return Ok(Some(JournalKey::from_seed(seed, KeyHome::Keychain)));
    }
    let file = key_file(dir);
    if file.exists() {
        let text = std::fs::read_to_string(&file).map_err(|e| unreadable(&file, &e.to_string()))?;
        let seed = seed_of(&text).ok_or_else(|| unreadable(&file, "is not 64 hex digits"))?;
        return Ok(Some(JournalKey::from_seed(
            seed,
            KeyHome::File(file.display().to_string()),
        )));
    }
    Ok(None)
}

/// The till's key for the ledger in `dir`, made (in the keychain, else in a key file) when there is none yet.
/// Returns the key and whether it existed before.
pub fn load_or_create(
    dir: &Path,
    vault: &dyn Fn() -> Option<Vault>,
) -> Result<(JournalKey, bool), LedgerError> {
    if let Some(k) = existing(dir, vault)? {
        return Ok((k, true));
    }
    if let Some(v) = vault() {
        let key = JournalKey::generate(KeyHome::Keychain);
        if v.store_journal_key(&ledger_id(dir), &Secret::new(hex(&key.seed())))
            .is_ok()
        {
            return Ok((key, false));
        }
    }
    let file = key_file(dir);
    let key = JournalKey::generate(KeyHome::File(file.display().to_string()));
    match write_key_file(dir, &key)? {
        true => Ok((key, false)),
        // A second process got there first: its key is used.
        false => match existing(dir, vault)? {
            Some(k) => Ok((k, true)),
            None => Err(unreadable(&file, "vanished while it was read")),
        },
    }
}

/// Writes `key` to the key file of `dir`, whole, readable by its owner only: `false` when a key file is already
/// there (it is never replaced).
fn write_key_file(dir: &Path, key: &JournalKey) -> Result<bool, LedgerError> {
    let file = key_file(dir);
    // Written whole to a private temporary file, then linked to its name: the name appears with its content, and
    // only once (a second process that gets there first wins, and its key is used).
    let tmp = dir.join(format!(".{KEY_FILE}.{}", uuid::Uuid::new_v4().simple()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options.open(&tmp).and_then(|mut f| {
        f.write_all(hex(&key.seed()).as_bytes())?;
        f.sync_all()
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(unreadable(&file, &format!("cannot be written ({e})")));
    }
    let linked = std::fs::hard_link(&tmp, &file);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(unreadable(&file, &format!("cannot be created ({e})"))),
    }
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(true)
}

/// Keeps `key`, brought from another machine (`cadodesk key import`), as the till's key for the ledger in `dir`:
/// in the keychain, else in a key file. A key already held for `dir` is never replaced: the same key again is
/// `Ok(false)`; another one is refused.
pub fn import(
    dir: &Path,
    key: &JournalKey,
    vault: &dyn Fn() -> Option<Vault>,
) -> Result<(KeyHome, bool), ImportError> {
    if let Some(held) = existing(dir, vault)? {
        return if held.key_id() == key.key_id() {
            Ok((held.home().clone(), false))
        } else {
            Err(ImportError::AnotherKeyHeld {
                dir: dir.display().to_string(),
                held: held.key_id(),
            })
        };
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| unreadable(dir, &format!("folder cannot be made ({e})")))?;
    if let Some(v) = vault()
        && v.store_journal_key(&ledger_id(dir), &Secret::new(hex(&key.seed())))
            .is_ok()
    {
        return Ok((KeyHome::Keychain, true));
    }
    let file = key_file(dir);
    if write_key_file(dir, key)? {
        Ok((KeyHome::File(file.display().to_string()), true))
    } else {
        Err(ImportError::AnotherKeyHeld {
            dir: dir.display().to_string(),
            held: "in journal.key".into(),
        })
    }
}

/// Why a key was not imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The data directory's till already seals with another key.
    #[error(
        "the data directory {dir} already has a journal key ({held}), which is never replaced: import into a new data directory (--data-dir), then restore the ledger there"
    )]
    AnotherKeyHeld {
        /// The data directory.
        dir: String,
        /// The key held there.
        held: String,
    },
    /// The key could not be kept.
    #[error(transparent)]
    Ledger(#[from] Box<LedgerError>),
}

impl From<LedgerError> for ImportError {
    fn from(e: LedgerError) -> Self {
        ImportError::Ledger(Box::new(e))
    }
}

/// The platform keychain, when usable.
pub fn platform_vault() -> Option<Vault> {
    Vault::open(Backend::Platform).ok()
}

/// The ledger in `dir` sealing with the till's key (made on first use): see [`Ledger::with_journal_key`].
pub fn seal(
    ledger: Ledger,
    dir: &Path,
    vault: &dyn Fn() -> Option<Vault>,
) -> Result<Ledger, LedgerError> {
    let (key, _) = load_or_create(dir, vault)?;
    ledger.with_journal_key(key, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_holds_64_hex_digits_and_nothing_else_is_read_as_a_key() {
        assert_eq!(seed_of(&"07".repeat(32)), Some([7; 32]));
        assert_eq!(
            seed_of(&format!(" {}\n", "ab".repeat(32))),
            Some([0xab; 32])
        );
        assert_eq!(seed_of(&"zz".repeat(32)), None);
        assert_eq!(seed_of("0102"), None);
        // 64 bytes, but not 64 ASCII characters: refused, not sliced inside a character.
        assert_eq!(seed_of(&format!("é{}", "0".repeat(62))), None);
    }
}
