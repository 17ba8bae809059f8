//! The data file (`--data FILE`): a snapshot and a change log next to it, so that storing a change costs the same
//! however much the sandbox holds.
//!
//! # Files
//!
//! - `FILE`, the **snapshot**: the whole state as one pretty-printed JSON object
//!   `{"checkouts": {id: …}, "payments": {base: …}, "refunds": {id: …}, "balances": {card number: cents},
//!   "idempotence": {key: {"first_ms", "status", "body"}}}`. It is the format the sandbox has always written, so a
//!   file written before the change log existed loads as it is. It is rewritten only at start and at a clean
//!   shutdown (temporary file `FILE.tmp`, fsync, rename, fsync of the folder), never while serving.
//! - `FILE.log`, the **change log**: one JSON object per line, one line per stored change, holding the new value of
//!   every record the change touched: `{"at": ms, "checkouts": {…}, "payments": {…}, "refunds": {…},
//!   "balances": {…}, "idempotence": {…}}` (empty groups are left out). A request's state change and its idempotence
//!   record are one line. The line is written and fsynced before the request is answered; when that fails the
//!   line is cut off again and the change is undone in memory, so nothing answered is lost and nothing unanswered
//!   is kept.
//!
//! At start the snapshot is read, the log replayed over it line by line (a last line cut short by a crash was never
//! answered and is dropped), the result written as the new snapshot and the log emptied. Replaying a line sets
//! values, so replaying a log over a snapshot that already holds it (a crash between the two steps) changes
//! nothing.

use std::fs::{File, OpenOptions};
use std::io::{Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Serialize;

use super::model::{Change, State, now_ms};

/// One line of the change log.
#[derive(Serialize)]
struct Line<'a> {
    at: i64,
    #[serde(flatten)]
    change: &'a Change,
}

/// The open data file.
#[derive(Debug)]
pub(crate) struct Store {
    snapshot: PathBuf,
    log_path: PathBuf,
    log: File,
    /// The log's length after the last stored line.
    len: u64,
    /// A failed write may have left part of a line after `len`: cut it off before the next one.
    torn: bool,
}

/// `FILE.log` for `FILE`.
pub(crate) fn log_path(snapshot: &Path) -> PathBuf {
    let mut p = snapshot.as_os_str().to_owned();
    p.push(".log");
    PathBuf::from(p)
}

impl Store {
    /// Reads the snapshot and replays the log (either may be missing), compacts them into a new snapshot, and opens
    /// an empty log.
    pub(crate) fn open(snapshot: &Path) -> anyhow::Result<(Store, State)> {
        let mut state = match std::fs::read(snapshot) {
            Ok(bytes) => serde_json::from_slice::<State>(&bytes)
                .with_context(|| format!("{} is not a sandbox snapshot", snapshot.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
            Err(e) => return Err(e).context(format!("cannot read {}", snapshot.display())),
        };
        let log_path = log_path(snapshot);
        let replayed = replay(&log_path, &mut state)?;
        let state = state.indexed();
        let mut store = Store {
            snapshot: snapshot.to_path_buf(),
            log_path: log_path.clone(),
            log: empty_log(&log_path)?,
            len: 0,
            torn: false,
        };
        store.compact(&state)?;
        if replayed > 0 {
            tracing::info!(lines = replayed, path = %log_path.display(), "sandbox change log replayed");
        }
        Ok((store, state))
    }

    /// Appends one change and waits until it is on disk. `fail_midway` writes half of the line and fails, as a
    /// full disk would (the fault switchboard's `storeError`).
    pub(crate) fn append(&mut self, change: &Change, fail_midway: bool) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(&Line {
            at: now_ms(),
            change,
        })?;
        line.push(b'\n');
        let written = self.write_line(&line, fail_midway);
        if written.is_err() {
            self.torn = true;
            // Cut the partial line off now; if even that fails, before the next write.
            let _ = self.cut();
        }
        written
    }

    fn write_line(&mut self, line: &[u8], fail_midway: bool) -> anyhow::Result<()> {
        self.cut()?;
        if fail_midway {
            self.log.write_all(&line[..line.len() / 2])?;
            anyhow::bail!("simulated storage failure (fault switchboard storeError)");
        }
        self.log.write_all(line)?;
        self.log.sync_data()?;
        self.len += line.len() as u64;
        Ok(())
    }

    /// Removes what a failed write left after the last stored line.
    fn cut(&mut self) -> anyhow::Result<()> {
        if self.torn {
            self.log.set_len(self.len)?;
            self.log.seek(SeekFrom::Start(self.len))?;
            self.log.sync_data()?;
            self.torn = false;
        }
        Ok(())
    }

    /// Writes the whole state as the snapshot, then empties the log. Costs as much as the state is big: run at
    /// start and at a clean shutdown only.
    pub(crate) fn compact(&mut self, state: &State) -> anyhow::Result<()> {
        write_snapshot(&self.snapshot, state)?;
        self.log = empty_log(&self.log_path)?;
        self.len = 0;
        self.torn = false;
        Ok(())
    }
}

/// Applies every complete line of the log to `state`; returns how many.
fn replay(log_path: &Path, state: &mut State) -> anyhow::Result<usize> {
    let bytes = match std::fs::read(log_path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e).context(format!("cannot read {}", log_path.display())),
    };
    let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    // After the last newline: empty, or a line whose write was cut by a crash before it was answered.
    if let Some(tail) = lines.pop()
        && !tail.is_empty()
    {
        tracing::warn!(bytes = tail.len(), path = %log_path.display(), "dropping an unfinished last line of the change log");
    }
    let mut n = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let change: Change = serde_json::from_slice(line)
            .with_context(|| format!("{} line {} is not a change", log_path.display(), i + 1))?;
        state.apply(change);
        n += 1;
    }
    Ok(n)
}

/// Creates (or empties) the log and makes its entry durable.
fn empty_log(log_path: &Path) -> anyhow::Result<File> {
    let f = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(log_path)
        .with_context(|| format!("cannot open {}", log_path.display()))?;
    f.sync_all()?;
    sync_dir(log_path)?;
    Ok(f)
}

/// Temporary file, fsync, rename, fsync of the folder: a crash leaves the old or the new snapshot, never half.
fn write_snapshot(path: &Path, state: &State) -> anyhow::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let f = File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
        let mut w = std::io::BufWriter::new(f);
        serde_json::to_writer_pretty(&mut w, state)?;
        w.flush()?;
        w.get_ref().sync_all()?;
    }
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))?;
    sync_dir(path)
}

fn sync_dir(path: &Path) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::model::{Refund, RefundStatus, StoredResponse};

    /// A data file as the sandbox wrote it before the change log: the whole state, pretty-printed.
    const OLD_SNAPSHOT: &str = r#"{
  "checkouts": {},
  "payments": {},
  "refunds": {
    "1234567890_1": {
      "id": "1234567890_1",
      "payment_base": "1234567890",
      "amount": 1000,
      "currency": "EUR",
      "status": "Requested",
      "requested_ms": 1700000000000,
      "due_ms": 1700000002000,
      "status_ms": 1700000000000,
      "merchant_reference": "R-1",
      "reason": null
    }
  },
  "balances": {"6299000000000001": 24000},
  "idempotence": {"k1": {"first_ms": 1700000000000, "status": 201, "body": "{}"}}
}"#;

    fn refund(id: &str) -> Refund {
        Refund {
            id: id.into(),
            payment_base: "1234567890".into(),
            amount: 500,
            currency: "EUR".into(),
            status: RefundStatus::Rejected,
            requested_ms: 1,
            due_ms: 1,
            status_ms: 1,
            merchant_reference: None,
            reason: None,
        }
    }

    fn stored(st: &mut State, id: &str, key: &str) -> Change {
        st.add_refund(refund(id));
        st.store_response(
            key,
            StoredResponse {
                first_ms: 1,
                status: 201,
                body: "{}".into(),
            },
        );
        let change = st.pending_change();
        st.accept();
        change
    }

    #[test]
    fn an_old_snapshot_loads_and_is_rewritten_in_the_same_format() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("sandbox.json");
        std::fs::write(&path, OLD_SNAPSHOT).unwrap_or_else(|e| panic!("{e}"));
        let (_store, st) = Store::open(&path).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(st.refunds()["1234567890_1"].amount, 1000);
        assert_eq!(st.balances()["6299000000000001"], 24_000);
        assert_eq!(st.idempotence()["k1"].status, 201);
        // Still due: the index was built from the snapshot.
        assert!(st.has_due(1_700_000_002_000));
        let again: State = serde_json::from_slice(&std::fs::read(&path).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.refunds().len(), 1);
        assert_eq!(
            std::fs::read(log_path(&path)).map(|b| b.len()).ok(),
            Some(0)
        );
    }

    #[test]
    fn answered_changes_survive_a_crash_and_a_failed_or_cut_line_does_not() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("sandbox.json");
        let (mut store, mut st) = Store::open(&path).unwrap_or_else(|e| panic!("{e:#}"));
        let first = stored(&mut st, "1234567890_1", "k1");
        store
            .append(&first, false)
            .unwrap_or_else(|e| panic!("{e:#}"));
        let failed = stored(&mut st, "1234567890_2", "k2");
        assert!(store.append(&failed, true).is_err());
        let third = stored(&mut st, "1234567890_3", "k3");
        store
            .append(&third, false)
            .unwrap_or_else(|e| panic!("{e:#}"));
        // A crash in the middle of a fourth write.
        drop(store);
        let mut f = OpenOptions::new()
            .append(true)
            .open(log_path(&path))
            .unwrap_or_else(|e| panic!("{e}"));
        f.write_all(br#"{"at":1,"refunds":{"1234567890_4":"#)
            .unwrap_or_else(|e| panic!("{e}"));
        drop(f);

        let (_store, st) = Store::open(&path).unwrap_or_else(|e| panic!("{e:#}"));
        let ids: Vec<&String> = st.refunds().keys().collect();
        assert_eq!(ids, ["1234567890_1", "1234567890_3"]);
        let keys: Vec<&String> = st.idempotence().keys().collect();
        assert_eq!(keys, ["k1", "k3"]);
    }
}
