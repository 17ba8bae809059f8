//! Checking an archive with nothing but the file: the members against the signed manifest, the chain and every
//! seal, the technical events and closings against the entries, and every closing's totals recomputed from the
//! entries (from the opening state). The first thing that differs is named.

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::domain::closing::{ClosingKind, Movement, PeriodTotals, totals};
use crate::ledger::journal::{ChainWalker, TECHNICAL_KINDS, hex};
use crate::ledger::verifies;
use crate::ledger::{ChainBreak, Event, document_message, endorsement_message, key_id_of_hex};

use super::super::closing::MoneyFlow;
use super::ArchiveError;
use super::format::{
    ClosingLine, EntryLine, FORMAT, HASHED_MEMBERS, MANIFEST_LABEL, MEMBERS, Manifest, Opening,
    VERSION,
};
use super::seals::SealChecker;

/// What a good archive holds, as `archive verify --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveReport {
    /// The till's code.
    pub till: String,
    /// The manifest's signing key id.
    pub key_id: String,
    /// First day asked for.
    pub from: String,
    /// Last day.
    pub to: String,
    /// Entries checked.
    pub entries: u64,
    /// Seals checked.
    pub seals: u64,
    /// Entries written before the journal had a key (no seal to check).
    pub unsealed: u64,
    /// Closings recomputed.
    pub closings: u64,
    /// Technical events.
    pub events: u64,
}

type Check<T> = Result<T, ArchiveError>;

/// The largest member read whole (the manifest, the opening state, the closings and the events of a year).
const MAX_MEMBER: u64 = 512 << 20;
/// The longest entry line.
const MAX_LINE: u64 = 16 << 20;

fn unreadable(member: &str, detail: impl ToString) -> ArchiveError {
    ArchiveError::Unreadable {
        member: member.into(),
        detail: detail.to_string(),
    }
}

fn disagrees(member: &str, detail: impl Into<String>) -> ArchiveError {
    ArchiveError::Disagrees {
        member: member.into(),
        detail: detail.into(),
    }
}

/// The sealing key in force while walking: its public key (hex) and id.
struct Key {
    public: std::sync::Arc<str>,
    id: String,
}

impl Key {
    fn of(public: &str) -> Key {
        Key {
            public: public.into(),
            id: key_id_of_hex(public),
        }
    }
}

/// Checks the archive at `path`.
pub fn verify_archive(path: &Path) -> Check<ArchiveReport> {
    let file = std::fs::File::open(path).map_err(|e| ArchiveError::io(path, &e))?;
    let mut archive = tar::Archive::new(BufReader::with_capacity(1 << 20, file));
    let mut members = archive
        .entries()
        .map_err(|e| ArchiveError::Layout(format!("not a tar file ({e})")))?;
    let mut small: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
    let mut report = None;
    for expected in MEMBERS {
        let entry = members
            .next()
            .ok_or_else(|| ArchiveError::Layout(format!("member {expected} is missing")))?
            .map_err(|e| ArchiveError::Layout(format!("not a tar file ({e})")))?;
        let name = entry
            .path()
            .map(|p| p.display().to_string())
            .map_err(|e| ArchiveError::Layout(e.to_string()))?;
        if name != expected {
            return Err(ArchiveError::Layout(if MEMBERS.contains(&name.as_str()) {
                format!(
                    "member {name} found where {expected} was expected (members out of order, or {expected} removed)"
                )
            } else {
                format!("unexpected member {name} where {expected} was expected")
            }));
        }
        if expected == "entries.jsonl" {
            let manifest = read_manifest(&small)?;
            report = Some(check_entries(&manifest, &small, entry)?);
        } else {
            // A hostile file cannot make the check read a member of any size into memory.
            let mut bytes = Vec::new();
            entry
                .take(MAX_MEMBER + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| unreadable(expected, e))?;
            if bytes.len() as u64 > MAX_MEMBER {
                return Err(unreadable(
                    expected,
                    format!(
                        "larger than {} MiB: not an archive a till writes",
                        MAX_MEMBER >> 20
                    ),
                ));
            }
            small.insert(expected, bytes);
            if expected == "events.jsonl" {
                // Everything the manifest hashes except the entries is here: checked before the long part.
                let manifest = read_manifest(&small)?;
                for name in HASHED_MEMBERS.iter().filter(|n| **n != "entries.jsonl") {
                    check_member(&manifest, name, &small[name])?;
                }
            }
        }
    }
    if let Some(extra) = members.next() {
        let name = extra
            .ok()
            .and_then(|e| e.path().ok().map(|p| p.display().to_string()))
            .unwrap_or_default();
        return Err(ArchiveError::Layout(format!(
            "unexpected member {name} after entries.jsonl"
        )));
    }
    report.ok_or_else(|| ArchiveError::Layout("member entries.jsonl is missing".into()))
}

/// The manifest, once its signature holds.
fn read_manifest(small: &BTreeMap<&str, Vec<u8>>) -> Check<Manifest> {
    let bytes = &small["manifest.json"];
    let manifest: Manifest =
        serde_json::from_slice(bytes).map_err(|e| unreadable("manifest.json", e))?;
    if manifest.format != FORMAT || manifest.version != VERSION {
        return Err(unreadable(
            "manifest.json",
            format!(
                "format {} version {} (this verifier reads {FORMAT} version {VERSION})",
                manifest.format, manifest.version
            ),
        ));
    }
    let sig = String::from_utf8_lossy(&small["manifest.sig"])
        .trim()
        .to_string();
    if !verifies(
        &manifest.public_key,
        &document_message(MANIFEST_LABEL, bytes),
        &sig,
    ) {
        return Err(ArchiveError::ManifestSignature);
    }
    if Key::of(&manifest.public_key).id != manifest.key_id {
        return Err(disagrees(
            "manifest.json",
            "keyId is not the public key's id",
        ));
    }
    let names: Vec<&str> = manifest.members.iter().map(|m| m.name.as_str()).collect();
    if names != HASHED_MEMBERS {
        return Err(disagrees(
            "manifest.json",
            format!("members {names:?}, expected {HASHED_MEMBERS:?}"),
        ));
    }
    Ok(manifest)
}

fn check_member(manifest: &Manifest, name: &str, bytes: &[u8]) -> Check<()> {
    let m = manifest.members.iter().find(|m| m.name == name);
    match m {
        Some(m) if m.bytes == bytes.len() as u64 && m.sha256 == hex(&Sha256::digest(bytes)) => {
            Ok(())
        }
        _ => Err(ArchiveError::MemberChanged {
            member: name.into(),
        }),
    }
}

fn json_lines<T: serde::de::DeserializeOwned>(member: &str, bytes: &[u8]) -> Check<Vec<T>> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_slice(l)
                .map_err(|e| unreadable(&format!("{member} line {}", i + 1), e))
        })
        .collect()
}

/// The entry kinds whose payload this verifier must read: what moves money, keys and closings (ARCHIVE.md). Any
/// other kind is carried as it is.
const READ_KINDS: [&str; 9] = [
    "tender_seen",
    "refund_requested",
    "refund_imported",
    "refund_answered",
    "refund_corrected",
    "refund_closed",
    "journal_key",
    "journal_key_rotated",
    "closing_made",
];

/// A day closing being recomputed: its movements summed as they come, a batch at a time (constant memory).
struct DayWindow {
    index: usize,
    first_seq: i64,
    last_seq: i64,
    sum: PeriodTotals,
    moves: Vec<Movement>,
}

impl DayWindow {
    fn add(&mut self, m: Movement) {
        self.moves.push(m);
        if self.moves.len() >= 4096 {
            self.fold();
        }
    }

    fn fold(&mut self) {
        let batch = totals(&self.moves);
        self.sum = PeriodTotals::sum([&self.sum, &batch]);
        self.moves.clear();
    }

    fn totals(mut self) -> PeriodTotals {
        self.fold();
        self.sum
    }
}

fn check_entries(
    manifest: &Manifest,
    small: &BTreeMap<&str, Vec<u8>>,
    entries: impl Read,
) -> Check<ArchiveReport> {
    let mut seals = SealChecker::new();
    let walked = walk_entries(manifest, small, entries, &mut seals);
    // The first failing seal was handed over before whatever stopped the walk: it comes first, unless the walk
    // stopped at an earlier entry's chain.
    match (walked, seals.finish()) {
        (walked, None) => walked,
        (Err(ArchiveError::Chain(b)), Some(bad)) if b.seq() < bad => Err(ArchiveError::Chain(b)),
        (_, Some(bad)) => Err(ArchiveError::Chain(Box::new(ChainBreak::SealBroken {
            seq: bad,
        }))),
    }
}

fn walk_entries(
    manifest: &Manifest,
    small: &BTreeMap<&str, Vec<u8>>,
    entries: impl Read,
    seals_checker: &mut SealChecker,
) -> Check<ArchiveReport> {
    let opening: Opening = serde_json::from_slice(&small["opening.json"])
        .map_err(|e| unreadable("opening.json", e))?;
    let closings: Vec<ClosingLine> = json_lines("closings.jsonl", &small["closings.jsonl"])?;
    let refs: Vec<(String, i64, String, i64)> = closings
        .iter()
        .map(|l| {
            (
                l.closing.kind.code().to_string(),
                l.closing.number,
                l.closing.label.clone(),
                l.seq,
            )
        })
        .collect();
    let listed: Vec<(String, i64, String, i64)> = manifest
        .closings
        .iter()
        .map(|c| (c.kind.clone(), c.number, c.label.clone(), c.seq))
        .collect();
    if refs != listed {
        return Err(disagrees(
            "closings.jsonl",
            "its closings are not those the manifest lists",
        ));
    }
    let mut events: VecDeque<&[u8]> = small["events.jsonl"]
        .split_inclusive(|b| *b == b'\n')
        .collect();
    if opening.before_seq + 1 != manifest.first_seq {
        return Err(disagrees(
            "opening.json",
            "beforeSeq is not the entry before firstSeq",
        ));
    }

    // The day closings in order, whose totals are recomputed as the entries stream by.
    let days: Vec<usize> = (0..closings.len())
        .filter(|i| closings[*i].closing.kind == ClosingKind::Day)
        .collect();
    let mut day_totals: Vec<Option<PeriodTotals>> = vec![None; closings.len()];
    let mut next_day = 0usize;
    let mut window: Option<DayWindow> = None;
    let mut hashes_wanted: BTreeMap<i64, Option<String>> = closings
        .iter()
        .map(|l| (l.closing.last_seq, None))
        .collect();
    let closing_at: BTreeMap<i64, usize> = closings
        .iter()
        .enumerate()
        .map(|(i, l)| (l.seq, i))
        .collect();

    let mut flow = MoneyFlow::from_state(&opening.money);
    let mut walker = ChainWalker::resume(opening.before_seq, &opening.prev_hash);
    let mut key = opening.key.as_ref().map(|k| Key::of(&k.public_key));
    let (mut seals, mut unsealed, mut count) = (0u64, 0u64, 0u64);
    let mut hash = Sha256::new();
    let mut bytes_read = 0u64;
    let mut reader = BufReader::with_capacity(1 << 20, entries);
    let mut buf = Vec::with_capacity(4096);
    loop {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| unreadable("entries.jsonl", e))?;
        if n == 0 {
            break;
        }
        if n as u64 > MAX_LINE {
            return Err(unreadable(
                &format!("entries.jsonl line {}", count + 1),
                format!(
                    "longer than {} MiB: not an entry a till writes",
                    MAX_LINE >> 20
                ),
            ));
        }
        hash.update(&buf);
        bytes_read += n as u64;
        let e: EntryLine = serde_json::from_slice(&buf)
            .map_err(|err| unreadable(&format!("entries.jsonl line {}", count + 1), err))?;
        count += 1;
        walker
            .step(
                e.seq,
                &e.at,
                &e.kind,
                &e.operator,
                &e.payload,
                &e.prev_hash,
                &e.hash,
            )
            .map_err(|b| ArchiveError::Chain(Box::new(b)))?;
        let event: Option<Event> = serde_json::from_str(&e.payload).ok();
        match &event {
            Some(ev) if ev.kind() != e.kind => {
                return Err(disagrees(
                    &format!("entries.jsonl entry {}", e.seq),
                    format!("its payload is a {}, the entry says {}", ev.kind(), e.kind),
                ));
            }
            // An event a later version writes is carried as it is, unless it is one that moves money or keys.
            None if READ_KINDS.contains(&e.kind.as_str()) => {
                return Err(unreadable(
                    &format!("entries.jsonl entry {}", e.seq),
                    format!("its payload is not a readable {}", e.kind),
                ));
            }
            _ => {}
        }
        // The key named by this entry seals it.
        match &event {
            Some(Event::JournalKey { public_key, .. }) => {
                if let Some(k) = &key {
                    return Err(ArchiveError::Chain(Box::new(ChainBreak::KeyChanged {
                        seq: e.seq,
                        key_id: format!("{} after {}", Key::of(public_key).id, k.id),
                    })));
                }
                key = Some(Key::of(public_key));
            }
            Some(Event::JournalKeyRotated {
                public_key,
                endorsement,
                ..
            }) => {
                let endorsed = key.as_ref().is_some_and(|k| {
                    endorsement.as_deref().is_some_and(|sig| {
                        verifies(&k.public, &endorsement_message(public_key), sig)
                    })
                });
                if !endorsed {
                    return Err(ArchiveError::Chain(Box::new(ChainBreak::KeyChanged {
                        seq: e.seq,
                        key_id: Key::of(public_key).id,
                    })));
                }
                key = Some(Key::of(public_key));
            }
            _ => {}
        }
        match (&key, &e.key_id, &e.signature) {
            (Some(k), Some(id), Some(sig)) => {
                if *id != k.id {
                    return Err(ArchiveError::Chain(Box::new(ChainBreak::SealBroken {
                        seq: e.seq,
                    })));
                }
                seals_checker.check(e.seq, &e.hash, sig, &k.public);
                seals += 1;
            }
            (Some(_), _, _) => {
                return Err(ArchiveError::Chain(Box::new(ChainBreak::SealMissing {
                    seq: e.seq,
                })));
            }
            (None, None, None) => unsealed += 1,
            (None, _, _) => {
                return Err(disagrees(
                    &format!("entries.jsonl entry {}", e.seq),
                    "a seal where no key is in force",
                ));
            }
        }
        if TECHNICAL_KINDS.contains(&e.kind.as_str()) {
            match events.pop_front() {
                Some(l) if l == buf.as_slice() => {}
                _ => {
                    return Err(disagrees(
                        "events.jsonl",
                        format!(
                            "entry {} ({}) is not the next technical event listed",
                            e.seq, e.kind
                        ),
                    ));
                }
            }
        }
        if let Some(h) = hashes_wanted.get_mut(&e.seq) {
            *h = Some(e.hash.clone());
        }
        if let Some(i) = closing_at.get(&e.seq) {
            match &event {
                Some(Event::ClosingMade { closing }) if *closing == closings[*i].closing => {}
                _ => {
                    return Err(disagrees(
                        "closings.jsonl",
                        format!(
                            "the closing at entry {} is not what that entry holds",
                            e.seq
                        ),
                    ));
                }
            }
        }

        // The money this entry moved, into the day closing whose span holds it.
        let moved = event.as_ref().and_then(|ev| flow.step(e.seq, ev));
        if window.is_none() && next_day < days.len() {
            let c = &closings[days[next_day]].closing;
            if e.seq >= c.first_seq {
                window = Some(DayWindow {
                    index: days[next_day],
                    first_seq: c.first_seq,
                    last_seq: c.last_seq,
                    sum: PeriodTotals::default(),
                    moves: Vec::new(),
                });
                next_day += 1;
            }
        }
        if let Some(w) = &mut window {
            if e.seq >= w.first_seq
                && e.seq <= w.last_seq
                && e.kind != "closing_made"
                && let Some(m) = moved
            {
                w.add(m);
            }
            if e.seq >= w.last_seq
                && let Some(w) = window.take()
            {
                let index = w.index;
                day_totals[index] = Some(w.totals());
            }
        }
    }
    if let Some(w) = window.take() {
        let index = w.index;
        day_totals[index] = Some(w.totals());
    }

    let entries_member = manifest.members.iter().find(|m| m.name == "entries.jsonl");
    if entries_member.is_none_or(|m| m.bytes != bytes_read || m.sha256 != hex(&hash.finalize())) {
        return Err(ArchiveError::MemberChanged {
            member: "entries.jsonl".into(),
        });
    }
    if walker.last_seq() != manifest.last_seq || count != manifest.counts.entries {
        return Err(disagrees(
            "entries.jsonl",
            format!(
                "ends at entry {} after {count} entries; the manifest says {} and {}",
                walker.last_seq(),
                manifest.last_seq,
                manifest.counts.entries
            ),
        ));
    }
    if let Some(l) = events.front() {
        return Err(disagrees(
            "events.jsonl",
            format!(
                "{} lists an event that is not among the entries",
                String::from_utf8_lossy(l)
                    .chars()
                    .take(60)
                    .collect::<String>()
            ),
        ));
    }
    let events_count = small["events.jsonl"]
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count() as u64;
    if manifest.counts.closings != closings.len() as u64 || manifest.counts.events != events_count {
        return Err(disagrees(
            "manifest.json",
            "its counts are not those of the members",
        ));
    }
    super::closings::check_closings(manifest, &opening, &closings, &day_totals, &hashes_wanted)?;
    Ok(ArchiveReport {
        till: manifest.till.code.clone(),
        key_id: manifest.key_id.clone(),
        from: manifest.period.from.to_string(),
        to: manifest.period.to.to_string(),
        entries: count,
        seals,
        unsealed,
        closings: closings.len() as u64,
        events: events_count,
    })
}
