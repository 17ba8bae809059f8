//! Entries exactly as stored, with their seals, streamed in order: what an archive copies.

use super::Ledger;

/// One journal entry as its columns hold it, with its seal when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// Its number.
    pub seq: i64,
    /// The stored time (RFC 3339, UTC, milliseconds).
    pub at: String,
    /// The event's tag.
    pub kind: String,
    /// Who was at the till.
    pub operator: String,
    /// The event as stored (JSON text).
    pub payload: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
    /// The seal: the key's id and the signature (hex).
    pub seal: Option<(String, String)>,
}

impl Ledger {
    /// Calls `f` with every entry from `from_seq` to `to_seq`, in order, one at a time (constant memory); stops at the
    /// first error `f` returns.
    pub fn for_each_stored<E: From<super::LedgerError>>(
        &self,
        from_seq: i64,
        to_seq: i64,
        mut f: impl FnMut(StoredEntry) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let conn = self.lock();
        let err = self.err();
        let mut stmt = conn
            .prepare(
                "SELECT j.seq, j.at, j.kind, j.operator, j.payload, j.prev_hash, j.hash, s.key_id, s.signature
                 FROM journal j LEFT JOIN journal_seals s ON s.seq = j.seq
                 WHERE j.seq BETWEEN ?1 AND ?2 ORDER BY j.seq",
            )
            .map_err(&err)?;
        let mut rows = stmt.query([from_seq, to_seq]).map_err(&err)?;
        while let Some(r) = rows.next().map_err(&err)? {
            let get = |i| r.get::<_, String>(i).map_err(&err);
            let key_id: Option<String> = r.get(7).map_err(&err)?;
            let signature: Option<String> = r.get(8).map_err(&err)?;
            f(StoredEntry {
                seq: r.get(0).map_err(&err)?,
                at: get(1)?,
                kind: get(2)?,
                operator: get(3)?,
                payload: get(4)?,
                prev_hash: get(5)?,
                hash: get(6)?,
                seal: key_id.zip(signature),
            })?;
        }
        Ok(())
    }
}

impl Ledger {
    /// The kind of the last entry whose kind is one of `kinds`, if any.
    pub fn last_kind_among(&self, kinds: &[&str]) -> super::Result<Option<String>> {
        let conn = self.lock();
        let err = self.err();
        let mut last: Option<(i64, String)> = None;
        for kind in kinds {
            let seq: Option<i64> = conn
                .prepare_cached("SELECT MAX(seq) FROM journal WHERE kind = ?1")
                .and_then(|mut st| st.query_row([kind], |r| r.get(0)))
                .map_err(&err)?;
            if let Some(seq) = seq
                && last.as_ref().is_none_or(|(s, _)| seq > *s)
            {
                last = Some((seq, (*kind).to_string()));
            }
        }
        Ok(last.map(|(_, k)| k))
    }

    /// The payload (JSON) of the last entry of `kind`, if any.
    pub fn last_payload_of(&self, kind: &str) -> super::Result<Option<String>> {
        use rusqlite::OptionalExtension;
        let conn = self.lock();
        conn.prepare_cached("SELECT payload FROM journal WHERE kind = ?1 ORDER BY seq DESC LIMIT 1")
            .and_then(|mut st| st.query_row([kind], |r| r.get(0)).optional())
            .map_err(self.err())
    }
}
