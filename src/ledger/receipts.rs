//! What receipts read: a sale's receipt number (its place among the till's sales) and the prints already made of a
//! document, each checked against the chain before it is counted.

use rusqlite::OptionalExtension;

use super::{Event, Ledger, LedgerError, Result};

/// A print of a receipt, as journaled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptPrint {
    /// Its journal entry.
    pub seq: i64,
    /// 0 for the first print, n for "DUPLICATA n".
    pub copy: u32,
}

impl Ledger {
    /// The sale's receipt number: 1 for the first sale the till ever asked for, and so on without gaps (each
    /// `checkout_requested` entry is a sale, paid or not). `None` for a reference the ledger does not hold.
    pub fn sale_number(&self, merchant_reference: &str) -> Result<Option<i64>> {
        let conn = self.lock();
        let err = self.err();
        let first: Option<i64> = conn
            .prepare_cached("SELECT MIN(seq) FROM timeline WHERE merchant_reference = ?1")
            .and_then(|mut st| st.query_row([merchant_reference], |r| r.get(0)))
            .optional()
            .map_err(&err)?
            .flatten();
        let Some(first) = first else {
            return Ok(None);
        };
        // journal_kind is on (kind, seq): a count over one index range.
        conn.prepare_cached(
            "SELECT COUNT(*) FROM journal WHERE kind = 'checkout_requested' AND seq <= ?1",
        )
        .and_then(|mut st| st.query_row([first], |r| r.get(0)))
        .map(Some)
        .map_err(&err)
    }

    /// The prints already journaled of `document`, in order. An entry edited in the file is refused
    /// ([`LedgerError::ReceiptAltered`]): a copy is never numbered from a forged count.
    pub fn receipt_prints(&self, document: &str) -> Result<Vec<ReceiptPrint>> {
        let conn = self.lock();
        let entries =
            super::journal::entries_of_kind(&conn, "receipt_printed").map_err(self.err())?;
        let entries = entries.map_err(|(seq, _)| LedgerError::ReceiptAltered { seq })?;
        let mut out = Vec::new();
        for (seq, payload) in entries {
            match serde_json::from_str(&payload) {
                Ok(Event::ReceiptPrinted {
                    document: d, copy, ..
                }) => {
                    if d == document {
                        out.push(ReceiptPrint { seq, copy });
                    }
                }
                _ => return Err(LedgerError::ReceiptAltered { seq }),
            }
        }
        Ok(out)
    }
}
