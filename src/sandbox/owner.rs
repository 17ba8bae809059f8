//! One process owns a data file: `FILE.lock` is locked (an OS file lock, which the system releases however the
//! process ends) for as long as the sandbox serves, before the data file is read, and released only after it is
//! compacted. `FILE.owner` says who holds it, once it listens: `{"pid", "url", "pageUrl", "role"}`, written
//! whole (temporary file, fsync, rename, fsync of the folder). The owner file stays after the sandbox stops: it is
//! trusted to name a running owner only while the lock is held, and its port is the one the next owner asks for
//! first, so that links already handed out keep working across restarts.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Who runs the sandbox of a data file, as `FILE.owner` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Owner {
    /// The owner's process id.
    pub pid: u32,
    /// The base URL a process of this machine reaches it at (`http://127.0.0.1:PORT` when it listens on every
    /// address).
    pub url: String,
    /// The base URL the hosted page's links carry (the QR code's address).
    pub page_url: String,
    /// What runs it: `app` (the desktop app), `command` (one command of the command line), `sandbox` (`cadodesk
    /// sandbox`).
    pub role: String,
}

impl Owner {
    /// The port of its URL.
    pub fn port(&self) -> Option<u16> {
        let rest = self.url.strip_prefix("http://")?;
        let host_port = rest.split('/').next()?;
        host_port.rsplit_once(':')?.1.parse().ok()
    }
}

/// Why the data file could not be owned.
#[derive(Debug, thiserror::Error)]
pub enum OwnerError {
    /// Another process holds the lock.
    #[error(
        "the sandbox's data file {} is in use by {}: stop that one, or give this one another data file",
        file.display(), describe(owner.as_ref())
    )]
    Held {
        /// The data file.
        file: PathBuf,
        /// What its owner file says (it may still name the previous owner for a moment after a start).
        owner: Option<Owner>,
    },
    /// The lock file could not be opened or locked.
    #[error("cannot lock {}: {source}; check that the folder can be written", path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

fn describe(owner: Option<&Owner>) -> String {
    match owner {
        Some(o) => format!("process {} ({}, at {})", o.pid, o.role, o.url),
        None => "another process".into(),
    }
}

/// `FILE.lock` for `FILE`.
pub fn lock_path(file: &Path) -> PathBuf {
    suffixed(file, ".lock")
}

/// `FILE.owner` for `FILE`.
pub fn owner_path(file: &Path) -> PathBuf {
    suffixed(file, ".owner")
}

fn suffixed(file: &Path, suffix: &str) -> PathBuf {
    let mut p = file.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// The held lock on a data file; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub(crate) struct Lock {
    _file: File,
}

/// Takes the lock on `file`'s lock file without waiting; `Held` (with what the owner file says) when another
/// process, or another sandbox of this process, holds it.
pub(crate) fn acquire(file: &Path) -> Result<Lock, OwnerError> {
    let path = lock_path(file);
    let io = |source| OwnerError::Io {
        path: path.clone(),
        source,
    };
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io)?;
    match lock.try_lock() {
        Ok(()) => Ok(Lock { _file: lock }),
        Err(TryLockError::WouldBlock) => Err(OwnerError::Held {
            file: file.to_path_buf(),
            owner: read(file),
        }),
        Err(TryLockError::Error(e)) => Err(io(e)),
    }
}

/// What `FILE.owner` says, if it can be read: the running owner while the lock is held, else the last one.
pub fn read(file: &Path) -> Option<Owner> {
    let bytes = std::fs::read(owner_path(file)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Writes `FILE.owner` whole: a temporary file, fsync, rename, fsync of the folder.
pub(crate) fn write(file: &Path, owner: &Owner) -> std::io::Result<()> {
    let path = owner_path(file);
    let tmp = suffixed(&path, ".tmp");
    {
        let mut f = File::create(&tmp)?;
        f.write_all(&serde_json::to_vec_pretty(owner).map_err(std::io::Error::other)?)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // reason: a failed expectation is the test failing

    use super::*;

    #[test]
    fn one_holder_at_a_time_and_the_owner_file_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sandbox.json");
        let held = acquire(&file).unwrap();
        let owner = Owner {
            pid: 7,
            url: "http://127.0.0.1:43371".into(),
            page_url: "http://192.168.1.20:43371".into(),
            role: "app".into(),
        };
        write(&file, &owner).unwrap();
        match acquire(&file) {
            Err(OwnerError::Held { owner: Some(o), .. }) => assert_eq!(o, owner),
            other => panic!("{other:?}"),
        }
        assert_eq!(read(&file).unwrap().port(), Some(43371));
        drop(held);
        let _again = acquire(&file).unwrap();
    }
}
