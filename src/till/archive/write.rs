//! Writing an archive: the closings of a period, the entries they cover, the opening state, a signed manifest, in
//! one tar file written beside its target and moved into place only when whole; then an `archive_made` entry.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use sha2::{Digest, Sha256};

use crate::domain::closing::{Closing, ClosingKind};
use crate::ledger::journal::{ChainWalker, GENESIS_HASH, TECHNICAL_KINDS, format_time, hex};
use crate::ledger::{Event, key_id_of};

use super::super::closing::MoneyFlow;
use super::super::{Records, Result, TillError};
use super::ArchiveError;
use super::format::{
    ClosingLine, ClosingRef, Counts, EntryLine, FORMAT, MANIFEST_LABEL, Manifest, Member, Opening,
    OpeningKey, Period, TillPart, VERSION, line,
};

/// What an archive holds, as `archive --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveSummary {
    /// The file written.
    pub file: String,
    /// Its SHA-256.
    pub sha256: String,
    /// The first entry.
    pub first_seq: i64,
    /// The last entry.
    pub last_seq: i64,
    /// Entries held.
    pub entries: u64,
    /// Closings held.
    pub closings: u64,
    /// Technical events held.
    pub events: u64,
    /// The signing key's id.
    pub key_id: String,
}

/// The days a closing covers (Europe/Paris), from its label: `2026-11-29`, `2026-11`, `2026` or `2025-04` (a
/// fiscal year starting in April).
pub(super) fn closing_days(c: &Closing) -> Option<(NaiveDate, NaiveDate)> {
    let first_of = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1);
    match c.kind {
        ClosingKind::Day => {
            let d = NaiveDate::parse_from_str(&c.label, "%Y-%m-%d").ok()?;
            Some((d, d))
        }
        ClosingKind::Month => {
            let start = NaiveDate::parse_from_str(&format!("{}-01", c.label), "%Y-%m-%d").ok()?;
            let next = start.checked_add_months(chrono::Months::new(1))?;
            Some((start, next.pred_opt()?))
        }
        ClosingKind::Year => {
            let start = match c.label.split_once('-') {
                None => first_of(c.label.parse().ok()?, 1)?,
                Some((y, m)) => first_of(y.parse().ok()?, m.parse().ok()?)?,
            };
            let next = start.checked_add_months(chrono::Months::new(12))?;
            debug_assert!(next.year() > start.year());
            Some((start, next.pred_opt()?))
        }
    }
}

/// A file beside `target` that is removed unless it was moved into place.
struct Partial(PathBuf);

impl Drop for Partial {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Counts and hashes what goes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn member(name: &str, bytes: &[u8]) -> Member {
    Member {
        name: name.into(),
        bytes: bytes.len() as u64,
        sha256: hex(&Sha256::digest(bytes)),
    }
}

fn tar_header(size: u64, mtime: u64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(mtime);
    h.set_uid(0);
    h.set_gid(0);
    h.set_entry_type(tar::EntryType::Regular);
    h
}

impl Records {
    /// Writes the archive of the closings that fall between `from` and `to` (Europe/Paris days, inclusive) to
    /// `out`, a file that must not exist, then journals it.
    pub fn archive(&self, from: NaiveDate, to: NaiveDate, out: &Path) -> Result<ArchiveSummary> {
        super::super::records::check_range(Some(from), Some(to))?;
        let ledger = self.ledger();
        let io = |e: std::io::Error| TillError::Archive(ArchiveError::io(out, &e));
        if out.exists() {
            return Err(ArchiveError::Exists(out.display().to_string()).into());
        }
        let public_key = ledger.sealing_public_key().ok_or(ArchiveError::NoKey)?;
        let identity = self.till_identity()?;
        let all = ledger.closings().map_err(TillError::from_ledger)?;
        let covered: Vec<&(i64, Closing)> = all
            .iter()
            .filter(|(_, c)| closing_days(c).is_some_and(|(f, t)| f >= from && t <= to))
            .collect();
        let nothing = || ArchiveError::NothingClosed {
            from: from.to_string(),
            to: to.to_string(),
        };
        let first_day = covered
            .iter()
            .find(|(_, c)| c.kind == ClosingKind::Day)
            .ok_or_else(nothing)?;
        let first_seq = first_day.1.first_seq;
        let last_seq = covered.iter().map(|(s, _)| *s).max().ok_or_else(nothing)?;
        let before_seq = first_seq - 1;

        // The opening state: the chain's link, the key in force, the closings just before, the money state.
        let previous_closings: Vec<ClosingLine> =
            [ClosingKind::Day, ClosingKind::Month, ClosingKind::Year]
                .into_iter()
                .filter_map(|kind| {
                    let first_held = covered.iter().find(|(_, c)| c.kind == kind)?.0;
                    all.iter()
                        .rev()
                        .find(|(s, c)| c.kind == kind && *s < first_held)
                        .map(|(seq, c)| ClosingLine {
                            seq: *seq,
                            closing: c.clone(),
                        })
                })
                .collect();
        let mut flow = MoneyFlow::default();
        ledger
            .for_each_entry(before_seq, |seq, _, event| {
                flow.step(seq, event);
            })
            .map_err(TillError::from_ledger)?;
        let opening = Opening {
            before_seq,
            prev_hash: match before_seq {
                0 => GENESIS_HASH.to_string(),
                s => ledger
                    .hash_of(s)
                    .map_err(TillError::from_ledger)?
                    .unwrap_or_default(),
            },
            key: ledger
                .key_as_of(before_seq)
                .map_err(TillError::from_ledger)?
                .map(|(seq, public_key)| OpeningKey { seq, public_key }),
            previous_closings,
            money: flow.state(),
        };

        // The closings and the entries (to a scratch file: a tar member's size comes before its bytes).
        let closings_bytes: Vec<u8> = covered
            .iter()
            .map(|(seq, c)| {
                line(&ClosingLine {
                    seq: *seq,
                    closing: c.clone(),
                })
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| ArchiveError::Layout(e.to_string()))?
            .concat();
        let dir = out
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "archive".into());
        let tag = uuid::Uuid::new_v4().simple();
        let scratch = Partial(dir.join(format!(".{name}.{tag}.entries")));
        let mut events_bytes = Vec::new();
        let (mut entries, mut events) = (0u64, 0u64);
        let entries_member = {
            let file = File::options()
                .write(true)
                .create_new(true)
                .read(true)
                .open(&scratch.0)
                .map_err(io)?;
            let mut w = Hashing {
                inner: BufWriter::new(file),
                hash: Sha256::new(),
                bytes: 0,
            };
            // A journal edited behind the till's back is refused here, naming the entry, rather than handed out.
            let mut walker = ChainWalker::resume(before_seq, &opening.prev_hash);
            ledger.for_each_stored(first_seq, last_seq, |stored| {
                walker
                    .step(
                        stored.seq,
                        &stored.at,
                        &stored.kind,
                        &stored.operator,
                        &stored.payload,
                        &stored.prev_hash,
                        &stored.hash,
                    )
                    .map_err(|b| TillError::Archive(ArchiveError::Chain(Box::new(b))))?;
                let technical = TECHNICAL_KINDS.contains(&stored.kind.as_str());
                let bytes = line(&EntryLine::from(stored))
                    .map_err(|e| TillError::Archive(ArchiveError::Layout(e.to_string())))?;
                w.write_all(&bytes).map_err(io)?;
                entries += 1;
                if technical {
                    events_bytes.extend_from_slice(&bytes);
                    events += 1;
                }
                Ok::<(), TillError>(())
            })?;
            w.flush().map_err(io)?;
            Member {
                name: "entries.jsonl".into(),
                bytes: w.bytes,
                sha256: hex(&w.hash.finalize()),
            }
        };

        let public_bytes: [u8; 32] = crate::ledger::journal::unhex(&public_key)
            .and_then(|b| b.try_into().ok())
            .ok_or(ArchiveError::NoKey)?;
        let opening_bytes = line(&opening).map_err(|e| ArchiveError::Layout(e.to_string()))?;
        let now = self.now();
        let manifest = Manifest {
            format: FORMAT.into(),
            version: VERSION,
            till: TillPart {
                code: identity.code.clone(),
                uuid: identity.uuid.clone(),
                shop: identity.shop.clone(),
                address: identity.address.clone(),
            },
            key_id: key_id_of(&public_bytes),
            public_key,
            period: Period { from, to },
            created_at: format_time(now),
            first_seq,
            last_seq,
            closings: covered
                .iter()
                .map(|(seq, c)| ClosingRef {
                    kind: c.kind.code().into(),
                    number: c.number,
                    label: c.label.clone(),
                    seq: *seq,
                })
                .collect(),
            counts: Counts {
                entries,
                closings: covered.len() as u64,
                events,
            },
            members: vec![
                member("opening.json", &opening_bytes),
                member("closings.jsonl", &closings_bytes),
                member("events.jsonl", &events_bytes),
                entries_member,
            ],
        };
        let manifest_bytes = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| ArchiveError::Layout(e.to_string()))?;
        let (_, signature) = ledger
            .sign_document(MANIFEST_LABEL, &manifest_bytes)
            .ok_or(ArchiveError::NoKey)?;

        // The tar, written whole beside the target, synced, then linked into place (never over a file).
        let partial = Partial(dir.join(format!(".{name}.{tag}.partial")));
        let mtime = u64::try_from(now.timestamp()).unwrap_or(0);
        let sha256 = {
            let file = File::options()
                .write(true)
                .create_new(true)
                .open(&partial.0)
                .map_err(io)?;
            let mut tar = tar::Builder::new(Hashing {
                inner: BufWriter::new(file),
                hash: Sha256::new(),
                bytes: 0,
            });
            let sig_line = format!("{signature}\n");
            for (name, bytes) in [
                ("manifest.json", manifest_bytes.as_slice()),
                ("manifest.sig", sig_line.as_bytes()),
                ("opening.json", &opening_bytes),
                ("closings.jsonl", &closings_bytes),
                ("events.jsonl", &events_bytes),
            ] {
                let mut h = tar_header(bytes.len() as u64, mtime);
                tar.append_data(&mut h, name, bytes).map_err(io)?;
            }
            let mut entries_file = File::open(&scratch.0).map_err(io)?;
            entries_file.seek(SeekFrom::Start(0)).map_err(io)?;
            let mut h = tar_header(manifest.members[3].bytes, mtime);
            tar.append_data(&mut h, "entries.jsonl", (&mut entries_file).take(u64::MAX))
                .map_err(io)?;
            let mut w = tar.into_inner().map_err(io)?;
            w.flush().map_err(io)?;
            let hash = hex(&w.hash.finalize());
            let file = w.inner.into_inner().map_err(|e| io(e.into_error()))?;
            file.sync_all().map_err(io)?;
            hash
        };
        std::fs::hard_link(&partial.0, out).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                TillError::Archive(ArchiveError::Exists(out.display().to_string()))
            } else {
                io(e)
            }
        })?;
        drop(partial);
        if let Ok(d) = File::open(dir) {
            d.sync_all().map_err(io)?;
        }
        let journaled = ledger.append(
            self.operator(),
            &Event::ArchiveMade {
                from: from.to_string(),
                to: to.to_string(),
                first_seq,
                last_seq,
                closings: covered.len() as u64,
                sha256: sha256.clone(),
                file: name,
            },
        );
        if let Err(e) = journaled {
            // An archive the journal does not know of is not handed out.
            let _ = std::fs::remove_file(out);
            return Err(TillError::from_ledger(e));
        }
        Ok(ArchiveSummary {
            file: out.display().to_string(),
            sha256,
            first_seq,
            last_seq,
            entries,
            closings: covered.len() as u64,
            events,
            key_id: manifest.key_id,
        })
    }
}
