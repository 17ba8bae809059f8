//! A till's sync: what the centre holds of this till's chain is compared with the ledger, then the entries after it
//! are sent in order, in batches of one transaction each (the centre checks each entry as it arrives and the last
//! seal at commit), and the centre's acknowledgement is journaled.

use serde::Serialize;

use crate::ledger::{Event, Ledger, StoredEntry};

use super::{CentralError, connect};

/// Entries per transaction.
const BATCH: i64 = 2000;

/// What a sync did, as `sync --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    /// The till.
    pub till: String,
    /// Entries sent and accepted now.
    pub uploaded: u64,
    /// The last entry the centre holds.
    pub acknowledged_seq: i64,
    /// Entries of this ledger the centre does not hold yet.
    pub pending: i64,
}

const INSERT: &str = "INSERT INTO cadodesk.entries
    (till, seq, at, kind, operator, payload, prev_hash, hash, key_id, signature)
    SELECT $1, seq, at, kind, operator, payload, prev_hash, hash, key_id, signature
    FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                $9::text[], $10::text[])
        AS b (seq, at, kind, operator, payload, prev_hash, hash, key_id, signature)
    ORDER BY seq";

/// The centre's refusal of entry `seq`, in its words.
fn refused(seq: i64, e: &tokio_postgres::Error) -> CentralError {
    match e.as_db_error() {
        Some(db) if db.code().code().starts_with("P000") => {
            let reason = db.message();
            // The centre names the entry itself ("entry 12: …"): the reason is what follows.
            let (at, reason) = reason
                .strip_prefix("entry ")
                .and_then(|r| r.split_once(": "))
                .and_then(|(n, r)| n.parse::<i64>().ok().map(|n| (n, r.to_string())))
                .unwrap_or((seq, reason.to_string()));
            CentralError::Refused { seq: at, reason }
        }
        Some(db) if db.code().code() == "42501" => CentralError::WrongTill(format!(
            "the centre refused this till's entries ({}): is this the URL made for this till?",
            db.message()
        )),
        _ => CentralError::from_pg(e),
    }
}

/// Checks that `url` is this ledger's till's own connection to the centre: the till's code.
pub async fn check_till_url(ledger: &Ledger, url: &str) -> Result<String, CentralError> {
    let till = ledger.till_identity()?.ok_or(CentralError::NoTill)?.code;
    let client = connect(url).await?;
    is_mine(&client, &till).await?;
    Ok(till)
}

async fn is_mine(client: &tokio_postgres::Client, till: &str) -> Result<(), CentralError> {
    let pg = |e: tokio_postgres::Error| CentralError::from_pg(&e);
    let me: Option<String> = client
        .query_one("SELECT cadodesk.my_till()", &[])
        .await
        .map_err(pg)?
        .get(0);
    match me.as_deref() {
        Some(m) if m == till => {}
        Some(m) => {
            return Err(CentralError::WrongTill(format!(
                "it is till {m}'s connection, and this ledger is till {till}'s"
            )));
        }
        None => {
            return Err(CentralError::WrongTill(
                "it is not a till's connection (made by `cadodesk central add-till`)".into(),
            ));
        }
    }
    Ok(())
}

/// Sends this ledger's entries the centre does not hold yet, over `url` (the till's own connection URL).
pub async fn sync(ledger: &Ledger, operator: &str, url: &str) -> Result<SyncReport, CentralError> {
    let till = ledger.till_identity()?.ok_or(CentralError::NoTill)?.code;
    let mut client = connect(url).await?;
    let pg = |e: tokio_postgres::Error| CentralError::from_pg(&e);
    is_mine(&client, &till).await?;
    let row = client
        .query_one(
            "SELECT seq, hash FROM cadodesk.heads WHERE till = $1",
            &[&till],
        )
        .await
        .map_err(pg)?;
    let (mut held_seq, held_hash): (i64, String) = (row.get(0), row.get(1));
    let local_head = ledger.head()?.map_or(0, |h| h.0);
    if held_seq > local_head {
        return Err(CentralError::Diverged {
            seq: local_head + 1,
            why: format!(
                "the centre holds entries up to {held_seq} and this ledger only up to {local_head}: was it restored from an older copy?"
            ),
        });
    }
    if held_seq > 0 && ledger.hash_of(held_seq)?.as_deref() != Some(held_hash.as_str()) {
        return Err(CentralError::Diverged {
            seq: held_seq,
            why: "this ledger's entry differs from it: was it restored from an older copy?".into(),
        });
    }
    let mut uploaded = 0u64;
    let mut moved_something = false;
    while held_seq < local_head {
        let to = (held_seq + BATCH).min(local_head);
        let mut batch: Vec<StoredEntry> = Vec::with_capacity((to - held_seq) as usize);
        ledger.for_each_stored(held_seq + 1, to, |e| {
            batch.push(e);
            Ok::<(), crate::ledger::LedgerError>(())
        })?;
        let tx = client.transaction().await.map_err(pg)?;
        // One statement for the batch (the centre still checks entry by entry, in order).
        let column = |f: &dyn Fn(&StoredEntry) -> String| batch.iter().map(f).collect::<Vec<_>>();
        let seqs: Vec<i64> = batch.iter().map(|e| e.seq).collect();
        let key_ids: Vec<Option<String>> =
            batch.iter().map(|e| e.seal.clone().map(|s| s.0)).collect();
        let signatures: Vec<Option<String>> =
            batch.iter().map(|e| e.seal.clone().map(|s| s.1)).collect();
        tx.execute(
            INSERT,
            &[
                &till,
                &seqs,
                &column(&|e| e.at.clone()),
                &column(&|e| e.kind.clone()),
                &column(&|e| e.operator.clone()),
                &column(&|e| e.payload.clone()),
                &column(&|e| e.prev_hash.clone()),
                &column(&|e| e.hash.clone()),
                &key_ids,
                &signatures,
            ],
        )
        .await
        .map_err(|err| refused(held_seq + 1, &err))?;
        // The seal of the batch's last entry is checked at commit.
        tx.commit().await.map_err(|err| refused(to, &err))?;
        moved_something |= batch.iter().any(|e| e.kind != "central_acknowledged");
        uploaded += batch.len() as u64;
        held_seq = to;
    }
    // The acknowledgement, journaled when it says something new (not for its own entries, or every sync would
    // leave one more to send).
    if moved_something && let Some(hash) = ledger.hash_of(held_seq)? {
        ledger.append(
            operator,
            &Event::CentralAcknowledged {
                seq: held_seq,
                hash,
            },
        )?;
    }
    let head = ledger.head()?.map_or(0, |h| h.0);
    tracing::info!(till = %till, uploaded, acknowledged = held_seq, "synced with the centre");
    Ok(SyncReport {
        till,
        uploaded,
        acknowledged_seq: held_seq,
        pending: head - held_seq,
    })
}
