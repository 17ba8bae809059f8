//! `ledger verify`: the chain walked, the head compared, and the journal replayed into a scratch database whose
//! derived tables are compared row by row with the live ones.

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use super::projection::apply;
use super::{ChainBreak, Event, Ledger, LedgerError, Result, journal, schema, seal};

/// The result of [`Ledger::verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    /// Entries whose hash and place were checked before the first problem (all of them when sound).
    pub entries_checked: u64,
    /// The last entry's number.
    pub last_seq: i64,
    /// The last good entry's hash: write it down to prove later that nothing before it changed.
    pub last_hash: String,
    /// The first problem, if any.
    pub first_break: Option<ChainBreak>,
    /// The key that seals the journal's last entry (its id: the first 16 hex digits of the public key's SHA-256),
    /// `None` when the journal is not sealed. Compare it with the one printed on the shop's closings.
    pub sealed_by: Option<String>,
    /// Where the till said it keeps that key (`keychain`, or `file:<path>`, which protects less).
    pub key_home: Option<String>,
    /// Facts to report that do not break the chain: a key that changed without the previous key's endorsement
    /// (a lost keychain, or someone re-sealing from that entry on), a journal not sealed at all.
    pub notes: Vec<String>,
}

impl VerifyReport {
    /// True when the chain is whole.
    pub fn is_sound(&self) -> bool {
        self.first_break.is_none()
    }
}

impl Ledger {
    /// Walks the whole chain in order and names the first entry that was edited, removed or reordered; checks the
    /// recorded head (so that entries cut from the end are noticed); and replays every entry into a private
    /// temporary database with the same rules as [`Ledger::append`], then compares the derived tables
    /// (`checkouts`, `tenders`, `refunds`, `timeline`) row by row and names the first value that differs. The walk
    /// holds one entry at a time; the replay lives in a temporary file that SQLite removes on close.
    pub fn verify(&self) -> Result<VerifyReport> {
        let conn = self.lock();
        let err = self.err();
        // An empty file name is a private, temporary on-disk database: large replays do not fill memory.
        let mut replay = Connection::open("").map_err(&err)?;
        // The replay holds no journal rows for the derived rows' `seq` to point at.
        replay
            .pragma_update(None, "foreign_keys", "OFF")
            .map_err(&err)?;
        replay.set_prepared_statement_cache_capacity(64);
        for sql in schema::MIGRATIONS {
            replay.execute_batch(sql).map_err(&err)?;
        }
        let rtx = replay.transaction().map_err(&err)?;
        let mut walker = journal::ChainWalker::default();
        let mut first_break = None;
        let mut keys: Vec<seal::KeyEntry> = Vec::new();
        let mut key_home = None;
        {
            let mut stmt = conn
                .prepare(
                    "SELECT seq, at, kind, operator, payload, prev_hash, hash FROM journal ORDER BY rowid",
                )
                .map_err(&err)?;
            let mut rows = stmt.query([]).map_err(&err)?;
            while let Some(r) = rows.next().map_err(&err)? {
                let seq: i64 = r.get(0).map_err(&err)?;
                let at: String = r.get(1).map_err(&err)?;
                let kind: String = r.get(2).map_err(&err)?;
                let operator: String = r.get(3).map_err(&err)?;
                let payload: String = r.get(4).map_err(&err)?;
                let prev_hash: String = r.get(5).map_err(&err)?;
                let hash: String = r.get(6).map_err(&err)?;
                if let Err(b) = walker.step(seq, &at, &kind, &operator, &payload, &prev_hash, &hash)
                {
                    first_break = Some(b);
                    break;
                }
                let event: Event = serde_json::from_str(&payload)
                    .map_err(|e| LedgerError::Decode(format!("entry {seq}: {e}")))?;
                if let Some(k) = seal::key_entry(seq, &event, keys.last()) {
                    if let Event::JournalKey { home, .. } | Event::JournalKeyRotated { home, .. } =
                        &event
                    {
                        key_home = Some(home.clone());
                    }
                    keys.push(k);
                }
                if let Err(e) = apply(&rtx, seq, &at, &operator, &event) {
                    first_break = Some(ChainBreak::DerivedMismatch {
                        table: "journal",
                        key: seq.to_string(),
                        column: "replay".into(),
                        seq,
                        found: e.to_string(),
                        expected: "an entry that applies".into(),
                    });
                    break;
                }
            }
        }
        if first_break.is_none() {
            // Entries cut from the end leave the chain whole; the head and the derived tables still point at them.
            let head: Option<(i64, String)> = conn
                .query_row("SELECT seq, hash FROM journal_head WHERE id = 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .map_err(&err)?;
            let referenced: i64 = conn
                .query_row(
                    "SELECT MAX(m) FROM (SELECT COALESCE(MAX(seq), 0) AS m FROM checkouts
                     UNION ALL SELECT COALESCE(MAX(seq), 0) FROM tenders
                     UNION ALL SELECT COALESCE(MAX(seq), 0) FROM refunds
                     UNION ALL SELECT COALESCE(MAX(seq), 0) FROM timeline)",
                    [],
                    |r| r.get(0),
                )
                .map_err(&err)?;
            let head_seq = head.as_ref().map_or(0, |h| h.0);
            let last = walker.last_seq();
            if referenced.max(head_seq) > last {
                first_break = Some(ChainBreak::Truncated {
                    last_seq: last,
                    referenced_seq: referenced.max(head_seq),
                });
            } else if head_seq != last || head.as_ref().is_some_and(|h| h.1 != walker.last_hash()) {
                first_break = Some(ChainBreak::HeadMismatch {
                    last_seq: last,
                    head_seq,
                });
            }
        }
        if first_break.is_none() {
            for (table, key) in [
                ("checkouts", "merchant_reference"),
                ("tenders", "payment_id"),
                ("refunds", "idempotence_key"),
                ("timeline", "seq"),
            ] {
                if let Some(b) = compare_table(&conn, &rtx, table, key).map_err(&err)? {
                    first_break = Some(b);
                    break;
                }
            }
        }
        if first_break.is_none() {
            // The settings the till enforces (the manager PIN's rule among them) are what the journal says.
            first_break = super::settings::checked(&conn).map_err(&err)?.err();
        }
        if first_break.is_none() {
            // Last, the schema's guards: a journal whose append-only triggers were dropped, altered or joined by
            // others may have been rewritten; the replay's schema is the reference.
            first_break = compare_triggers(&conn, &rtx).map_err(&err)?;
        }
        let mut notes = Vec::new();
        if first_break.is_none() {
            first_break = check_seals(
                &conn,
                &keys,
                walker.last_seq(),
                walker.last_hash(),
                &mut notes,
            )
            .map_err(&err)?;
        }
        let sealed_by = keys.last().map(|k| k.key_id.clone());
        if first_break.is_none()
            && let Some(held) = self.sealing_key_id()
            && sealed_by.as_deref() != Some(held.as_str())
        {
            first_break = Some(ChainBreak::KeyNotHeld {
                journal_key: sealed_by.clone().unwrap_or_default(),
                held_key: held,
            });
        }
        Ok(VerifyReport {
            entries_checked: walker.checked(),
            last_seq: walker.last_seq(),
            last_hash: walker.last_hash().to_string(),
            first_break,
            sealed_by,
            key_home,
            notes,
        })
    }
}

/// The seals of a journal whose chain is whole: every entry from the first key entry on has a seal, the last one
/// holds under the key in force, and if it does not, the first entry whose seal fails is found by bisection (every
/// seal after a rewritten entry fails, every one before it holds). Rotations not endorsed by the previous key are
/// noted.
fn check_seals(
    conn: &Connection,
    keys: &[seal::KeyEntry],
    last_seq: i64,
    last_hash: &str,
    notes: &mut Vec<String>,
) -> rusqlite::Result<Option<ChainBreak>> {
    let Some(first) = keys.first() else {
        if last_seq > 0 {
            notes.push("the journal is not sealed: it names no key, so a rewrite that recomputes the chain would go unseen".into());
        }
        return Ok(None);
    };
    if first.seq > 1 {
        return Ok(Some(ChainBreak::SealedLate {
            first_key_seq: first.seq,
        }));
    }
    if let Some(k) = keys.iter().find(|k| k.endorsed == Some(false)) {
        return Ok(Some(ChainBreak::KeyChanged {
            seq: k.seq,
            key_id: k.key_id.clone(),
        }));
    }
    let missing: Option<i64> = conn.query_row(
        "SELECT MIN(j.seq) FROM journal j LEFT JOIN journal_seals s ON s.seq = j.seq
         WHERE j.seq >= ?1 AND s.seq IS NULL",
        [first.seq],
        |r| r.get(0),
    )?;
    if let Some(seq) = missing {
        return Ok(Some(ChainBreak::SealMissing { seq }));
    }
    if seal::seal_holds(conn, keys, last_seq, last_hash)? {
        return Ok(None);
    }
    let hash_of = |seq: i64| -> rusqlite::Result<String> {
        conn.query_row("SELECT hash FROM journal WHERE seq = ?1", [seq], |r| {
            r.get(0)
        })
    };
    let (mut lo, mut hi) = (first.seq, last_seq);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if seal::seal_holds(conn, keys, mid, &hash_of(mid)?)? {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Ok(Some(ChainBreak::SealBroken { seq: lo }))
}

fn show(v: &rusqlite::types::Value) -> String {
    use rusqlite::types::Value;
    match v {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(t) => format!("'{t}'"),
        Value::Blob(b) => format!("<{} bytes>", b.len()),
    }
}

/// The order SQLite's `ORDER BY` gives keys of one type (integers numerically, text bytewise).
fn key_order(a: &rusqlite::types::Value, b: &rusqlite::types::Value) -> std::cmp::Ordering {
    use rusqlite::types::Value;
    match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
        (Value::Text(x), Value::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => show(a).cmp(&show(b)),
    }
}

/// The triggers of `live` against those the migrations create (`reference`): the first one missing, changed or
/// added, by name.
fn compare_triggers(
    live: &Connection,
    reference: &Connection,
) -> rusqlite::Result<Option<ChainBreak>> {
    let read = |c: &Connection| -> rusqlite::Result<Vec<(String, String)>> {
        let mut stmt =
            c.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            let sql: Option<String> = r.get(1)?;
            // Spacing aside, a trigger is its text.
            let sql = sql
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            Ok((r.get(0)?, sql))
        })?;
        rows.collect()
    };
    let (found, expected) = (read(live)?, read(reference)?);
    for (name, sql) in &expected {
        match found.iter().find(|(n, _)| n == name) {
            None => {
                return Ok(Some(ChainBreak::GuardChanged {
                    trigger: name.clone(),
                    change: "removed",
                }));
            }
            Some((_, s)) if s != sql => {
                return Ok(Some(ChainBreak::GuardChanged {
                    trigger: name.clone(),
                    change: "altered",
                }));
            }
            Some(_) => {}
        }
    }
    if let Some((name, _)) = found
        .iter()
        .find(|(n, _)| !expected.iter().any(|(e, _)| e == n))
    {
        return Ok(Some(ChainBreak::GuardChanged {
            trigger: name.clone(),
            change: "added",
        }));
    }
    Ok(None)
}

/// Compares one derived table with its replay, both read in key order, one row at a time.
fn compare_table(
    live: &Connection,
    replay: &Connection,
    table: &'static str,
    key: &str,
) -> rusqlite::Result<Option<ChainBreak>> {
    let sql = format!("SELECT * FROM {table} ORDER BY {key}");
    let mut a = live.prepare(&sql)?;
    let mut b = replay.prepare(&sql)?;
    let names: Vec<String> = a.column_names().map(|s| s.to_string()).collect();
    let key_i = names.iter().position(|n| n == key).unwrap_or(0);
    let seq_i = names.iter().position(|n| n == "seq");
    let n = names.len();
    let read = |r: &rusqlite::Row<'_>| -> rusqlite::Result<Vec<rusqlite::types::Value>> {
        (0..n)
            .map(|i| r.get::<_, rusqlite::types::Value>(i))
            .collect()
    };
    let seq_of = |row: &[rusqlite::types::Value]| -> i64 {
        match seq_i.map(|i| &row[i]) {
            Some(rusqlite::types::Value::Integer(s)) => *s,
            _ => 0,
        }
    };
    let mut ra = a.query([])?;
    let mut rb = b.query([])?;
    let mut x = ra.next()?.map(read).transpose()?;
    let mut y = rb.next()?.map(read).transpose()?;
    loop {
        let mismatch = |key: &rusqlite::types::Value, found: &str, expected: &str, seq: i64| {
            ChainBreak::DerivedMismatch {
                table,
                key: show(key),
                column: "row".into(),
                seq,
                found: found.into(),
                expected: expected.into(),
            }
        };
        match (&x, &y) {
            (None, None) => return Ok(None),
            (Some(l), None) => return Ok(Some(mismatch(&l[key_i], "a row", "no row", 0))),
            (None, Some(e)) => {
                return Ok(Some(mismatch(&e[key_i], "no row", "a row", seq_of(e))));
            }
            (Some(l), Some(e)) => match key_order(&l[key_i], &e[key_i]) {
                std::cmp::Ordering::Less => {
                    return Ok(Some(mismatch(&l[key_i], "a row", "no row", 0)));
                }
                std::cmp::Ordering::Greater => {
                    return Ok(Some(mismatch(&e[key_i], "no row", "a row", seq_of(e))));
                }
                std::cmp::Ordering::Equal => {
                    if let Some(i) = (0..n).find(|&i| l[i] != e[i]) {
                        return Ok(Some(ChainBreak::DerivedMismatch {
                            table,
                            key: show(&l[key_i]),
                            column: names[i].clone(),
                            seq: seq_of(e),
                            found: show(&l[i]),
                            expected: show(&e[i]),
                        }));
                    }
                }
            },
        }
        x = ra.next()?.map(read).transpose()?;
        y = rb.next()?.map(read).transpose()?;
    }
}
