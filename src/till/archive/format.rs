//! The archive's format, version 1 (documented in `ARCHIVE.md`): the members, their order, and each one's JSON.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::closing::Closing;
use crate::ledger::StoredEntry;

use super::super::closing::FlowState;

/// The manifest's `format`.
pub const FORMAT: &str = "cadodesk-archive";
/// The manifest's `version`.
pub const VERSION: u32 = 1;
/// What the manifest's signature signs before the manifest's bytes (then a zero byte).
pub const MANIFEST_LABEL: &str = "cadodesk-archive-manifest-v1";

/// The members, in the order they are written and read.
pub const MEMBERS: [&str; 6] = [
    "manifest.json",
    "manifest.sig",
    "opening.json",
    "closings.jsonl",
    "events.jsonl",
    "entries.jsonl",
];

/// The members the manifest lists with their SHA-256 (all but the manifest and its signature).
pub const HASHED_MEMBERS: [&str; 4] = [
    "opening.json",
    "closings.jsonl",
    "events.jsonl",
    "entries.jsonl",
];

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// The till.
    pub till: TillPart,
    /// The Ed25519 public key (hex) that signed the manifest.
    pub public_key: String,
    /// Its id: the first 16 hex digits of its SHA-256.
    pub key_id: String,
    /// The days asked for.
    pub period: Period,
    /// When it was made (RFC 3339, UTC).
    pub created_at: String,
    /// The first entry in `entries.jsonl`.
    pub first_seq: i64,
    /// The last entry in `entries.jsonl`.
    pub last_seq: i64,
    /// The closings it holds, in journal order.
    pub closings: Vec<ClosingRef>,
    /// How many lines each list holds.
    pub counts: Counts,
    /// Each hashed member.
    pub members: Vec<Member>,
}

/// Who the till is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TillPart {
    /// `T01`.
    pub code: String,
    /// Its UUID.
    pub uuid: String,
    /// The shop's name.
    pub shop: Option<String>,
    /// The shop's address.
    pub address: Option<String>,
}

/// The days asked for (Europe/Paris), inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Period {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
}

/// A closing named in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClosingRef {
    /// `day`, `month` or `year`.
    pub kind: String,
    /// Its number among its kind.
    pub number: i64,
    /// What it closes.
    pub label: String,
    /// Its journal entry.
    pub seq: i64,
}

/// Line counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Counts {
    /// `entries.jsonl`.
    pub entries: u64,
    /// `closings.jsonl`.
    pub closings: u64,
    /// `events.jsonl`.
    pub events: u64,
}

/// A member's size and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Member {
    /// Its name.
    pub name: String,
    /// Its size.
    pub bytes: u64,
    /// Its SHA-256, hex.
    pub sha256: String,
}

/// `opening.json`: what the entries before the archive leave behind, so that its closings can be recomputed from
/// its entries alone. It equals what the previous archive's entries lead to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Opening {
    /// The entry just before the first one held (0 when the archive starts at entry 1).
    pub before_seq: i64,
    /// That entry's hash: the first entry's `prevHash`.
    pub prev_hash: String,
    /// The sealing key in force at `before_seq`, if any.
    pub key: Option<OpeningKey>,
    /// The last closing of each kind before the first one held, with its entry.
    pub previous_closings: Vec<ClosingLine>,
    /// The money state after `before_seq`.
    pub money: FlowState,
}

/// The key in force where the archive starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpeningKey {
    /// The entry that named it.
    pub seq: i64,
    /// The Ed25519 public key, hex.
    pub public_key: String,
}

/// One line of `closings.jsonl` (and an entry of `previousClosings`): the closing's entry number and the closing as
/// its entry's payload holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClosingLine {
    /// Its journal entry.
    pub seq: i64,
    /// The closing.
    pub closing: Closing,
}

/// One line of `entries.jsonl` (and of `events.jsonl`): the entry's stored columns and its seal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntryLine {
    /// Its number.
    pub seq: i64,
    /// Its time as stored.
    pub at: String,
    /// Its kind.
    pub kind: String,
    /// Its operator.
    pub operator: String,
    /// Its payload, the stored JSON text as a string.
    pub payload: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// Its hash.
    pub hash: String,
    /// The sealing key's id, or `null` for an entry written before the journal had a key.
    pub key_id: Option<String>,
    /// The seal (hex), or `null`.
    pub signature: Option<String>,
}

impl From<StoredEntry> for EntryLine {
    fn from(e: StoredEntry) -> EntryLine {
        let (key_id, signature) = e.seal.unzip();
        EntryLine {
            seq: e.seq,
            at: e.at,
            kind: e.kind,
            operator: e.operator,
            payload: e.payload,
            prev_hash: e.prev_hash,
            hash: e.hash,
            key_id,
            signature,
        }
    }
}

/// A JSON line: the value, then `\n`.
pub fn line<T: Serialize>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = serde_json::to_vec(value)?;
    out.push(b'\n');
    Ok(out)
}
