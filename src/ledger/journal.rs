//! The journal's facts and its hash chain. Hashing and chain checking are pure functions, so the rules that make
//! the journal tamper-evident can be read and tested without a database.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::{
    CheckoutState, HostedCheckoutId, IdempotenceKey, PaymentId, RefundId, RefundState,
};

pub use super::breaks::ChainBreak;

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One fact, as written in the journal. Every change to the derived tables comes from one of these, so the tables
/// can always be rebuilt by replaying the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A checkout is about to be asked of the platform (written before the call).
    CheckoutRequested {
        /// Our order reference (≤ 40 characters), also sent to the platform.
        merchant_reference: String,
        /// The amount in cents.
        amount_cents: i64,
        /// Always `EUR`.
        currency: String,
        /// The customer's e-mail, if given.
        email: Option<String>,
        /// The hosted page's locale, such as `fr_FR`.
        locale: String,
        /// Where the customer's browser goes afterwards.
        return_url: Option<String>,
    },
    /// The platform created the hosted checkout.
    CheckoutCreated {
        /// Our order reference.
        merchant_reference: String,
        /// The platform's id for the hosted checkout.
        hosted_checkout_id: HostedCheckoutId,
        /// The page the customer pays on.
        redirect_url: String,
    },
    /// The platform refused to create the checkout, or could not be reached.
    CheckoutFailed {
        /// Our order reference.
        merchant_reference: String,
        /// Why, in one line.
        failure: String,
    },
    /// An open sale abandoned at the till (a wrong amount, the customer gone): its page is no longer offered, and
    /// a card authorisation still waiting for its capture is cancelled on the platform. A payment that arrives
    /// anyway is still read and recorded, to be refunded.
    CheckoutAbandoned {
        /// The hosted checkout.
        hosted_checkout_id: HostedCheckoutId,
        /// Why, as the operator said it.
        reason: String,
    },
    /// The checkout's derived state changed.
    CheckoutStatusSeen {
        /// The hosted checkout.
        hosted_checkout_id: HostedCheckoutId,
        /// `in_progress`, `paid`, `partially_paid`, `cancelled`, `expired` or `rejected`.
        state: CheckoutState,
        /// The platform's hosted checkout status, such as `PAYMENT_CREATED`.
        platform_status: String,
    },
    /// A tender (one gift card, or the card for the remainder) was seen or changed.
    TenderSeen {
        /// The hosted checkout it belongs to.
        hosted_checkout_id: HostedCheckoutId,
        /// The platform's payment id, `<10 digits>_0`.
        payment_id: PaymentId,
        /// 3103 for a Bimpli CADO card, 1 Visa, 3 Mastercard.
        product_id: i32,
        /// The masked card number, as the platform shows it.
        masked_number: Option<String>,
        /// The tender's amount in cents.
        amount_cents: i64,
        /// What was captured, in cents.
        captured_cents: i64,
        /// The platform's status, such as `CAPTURED`.
        status: String,
        /// The platform's numeric status code.
        status_code: Option<i32>,
    },
    /// A tender of a sale made at another till, read from the central ledger to refund it here. It moves no money at
    /// this till (the selling till's own entries count the payment); a refund of it here is this till's refund.
    ForeignTenderSeen {
        /// The till that sold it.
        till: String,
        /// The sale's order reference.
        merchant_reference: String,
        /// The sale's hosted checkout.
        hosted_checkout_id: HostedCheckoutId,
        /// The sale's amount in cents.
        sale_amount_cents: i64,
        /// The platform's payment id.
        payment_id: PaymentId,
        /// 3103 for a Bimpli CADO card, 1 Visa, 3 Mastercard.
        product_id: i32,
        /// The masked card number.
        masked_number: Option<String>,
        /// The tender's amount in cents.
        amount_cents: i64,
        /// What was captured, in cents.
        captured_cents: i64,
        /// The platform's status, as the centre held it.
        status: String,
    },
    /// A refund is about to be asked of the platform (written, with its idempotence key, before the call).
    RefundRequested {
        /// The `X-GCS-Idempotence-Key`, also the refund's operation reference.
        idempotence_key: IdempotenceKey,
        /// The sequential refund number (n° de pièce).
        number: i64,
        /// The tender refunded.
        payment_id: PaymentId,
        /// The checkout it belongs to.
        hosted_checkout_id: HostedCheckoutId,
        /// The amount in cents.
        amount_cents: i64,
        /// Why the customer is refunded.
        reason: String,
    },
    /// What the platform said about a refund (its answer, or a later reading).
    RefundAnswered {
        /// Which refund.
        idempotence_key: IdempotenceKey,
        /// The platform's refund id, `<paymentid>_<n>`, once known.
        refund_id: Option<RefundId>,
        /// `requested`, `pending`, `refunded`, `declined` or `unknown`.
        state: RefundState,
        /// The platform's status, such as `REFUND_REQUESTED`.
        platform_status: Option<String>,
        /// Why it was declined or is unknown, in one line.
        failure: Option<String>,
    },
    /// One of our refunds recorded as declined (or closed) turned out to exist on the platform: the platform's
    /// word replaces the earlier local conclusion. Only this event may take a refund out of `declined`.
    RefundCorrected {
        /// Which refund.
        idempotence_key: IdempotenceKey,
        /// The platform's refund id, when known.
        refund_id: Option<RefundId>,
        /// The state recorded before (`declined`, `unknown`, …), for the record.
        previous_state: RefundState,
        /// `pending` or `refunded`.
        state: RefundState,
        /// The platform's status, such as `REFUNDED`.
        platform_status: Option<String>,
        /// Why, in one line.
        note: String,
    },
    /// An operator closed a refund intent that never got an answer (the platform was asked first and does not
    /// show it). It then counts as declined: its amount is free again and the tender is no longer blocked.
    RefundClosed {
        /// Which refund.
        idempotence_key: IdempotenceKey,
        /// Why the operator closed it.
        reason: String,
    },
    /// A refund found on the platform that this till did not make (for example in the Merchant Portal).
    RefundImported {
        /// A local key, `ext-<refund id>`.
        idempotence_key: IdempotenceKey,
        /// The sequential refund number.
        number: i64,
        /// The tender refunded.
        payment_id: PaymentId,
        /// The checkout it belongs to.
        hosted_checkout_id: HostedCheckoutId,
        /// The platform's refund id.
        refund_id: RefundId,
        /// The amount in cents.
        amount_cents: i64,
        /// `pending`, `refunded` or `declined`.
        state: RefundState,
        /// The platform's status.
        platform_status: String,
    },
    /// A CSV export was written.
    ExportMade {
        /// First day (local), inclusive.
        from: String,
        /// Last day (local), inclusive.
        to: String,
        /// `excel-fr` or `rfc4180`.
        format: String,
        /// Rows written.
        rows: u64,
        /// What was exported: `sales`; absent for refunds (the first export there was).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        what: Option<String>,
    },
    /// A reconciliation ran.
    ReconcileDone {
        /// First day (local), inclusive.
        from: String,
        /// Last day (local), inclusive.
        to: String,
        /// Payments re-read.
        payments_checked: u64,
        /// External refunds imported.
        refunds_imported: u64,
        /// Differences found, one line each.
        differences: Vec<String>,
    },
    /// A non-secret setting changed. Values of sensitive settings (the manager PIN hash) are not copied here.
    SettingChanged {
        /// The setting.
        key: String,
        /// Its new value, or `None` when hidden or removed.
        value: Option<String>,
        /// For a hidden setting, the SHA-256 (hex) of its new value: the till and `ledger verify` check the stored
        /// value against it, without the journal holding the value.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fingerprint: Option<String>,
    },
    /// Who this till is: its short code (on closings and documents), its UUID (never changes), and the shop's name
    /// and address for documents. The last one holds.
    TillIdentified {
        /// `T01`: 1 to 8 capital letters or digits.
        code: String,
        /// The till's UUID.
        uuid: String,
        /// The shop's name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shop: Option<String>,
        /// The shop's address.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        address: Option<String>,
    },
    /// A closing (day, month or fiscal year): its period and totals, frozen (see [`crate::domain::closing`]).
    ClosingMade {
        /// The closing.
        closing: crate::domain::closing::Closing,
    },
    /// The public key that seals the journal's entries from here on (see [`super::seal`]).
    JournalKey {
        /// The Ed25519 public key, hex.
        public_key: String,
        /// Where the till keeps the secret half: `keychain` or `file:<path>`.
        home: String,
    },
    /// A new sealing key, from here on.
    JournalKeyRotated {
        /// The new Ed25519 public key, hex.
        public_key: String,
        /// Where the till keeps the secret half.
        home: String,
        /// The key it replaces.
        previous_key_id: String,
        /// The previous key's signature of the new public key, when the till still held it (hex).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endorsement: Option<String>,
    },
    /// The manager PIN was asked for an action: given right, given wrong, not given, or locked (never the PIN).
    ManagerPin {
        /// What it was asked for: `refund`, `refund_close` or `pin_change`.
        action: String,
        /// The amount at stake, when there is one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        amount_cents: Option<i64>,
        /// What came of it.
        outcome: PinOutcome,
    },
    /// The till program started (the desktop app).
    AppStarted {
        /// The program's version.
        version: String,
        /// Whether the previous start ended with [`Event::AppStopped`] (`false`: it was killed or crashed).
        previous_stop_clean: bool,
    },
    /// The till program stopped cleanly.
    AppStopped {
        /// The program's version.
        version: String,
    },
    /// The journal's integrity was checked (`ledger verify`, or the app's check).
    IntegrityChecked {
        /// Entries checked.
        entries: u64,
        /// Whether everything held.
        ok: bool,
        /// The first problem found, in one line, when not.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        problem: Option<String>,
    },
    /// The central ledger acknowledged this till's entries up to `seq` (`cadodesk sync`).
    CentralAcknowledged {
        /// The last entry the centre holds.
        seq: i64,
        /// Its hash, as the centre holds it.
        hash: String,
    },
    /// A signed archive was written (see `ARCHIVE.md`).
    ArchiveMade {
        /// First day (Europe/Paris), inclusive.
        from: String,
        /// Last day (Europe/Paris), inclusive.
        to: String,
        /// The first entry it holds.
        first_seq: i64,
        /// The last entry it holds.
        last_seq: i64,
        /// Closings it holds.
        closings: u64,
        /// The archive file's SHA-256 (hex).
        sha256: String,
        /// The file's name (without its folder).
        file: String,
    },
    /// A receipt or a refund note was handed out (printed, or written as a PDF): the first print and each copy.
    ReceiptPrinted {
        /// The document's number (`T01-V000042` for a sale's receipt, `T01-R000007` for a refund note).
        document: String,
        /// `sale` or `refund`.
        receipt_kind: String,
        /// The sale's order reference.
        merchant_reference: String,
        /// A refund note's refunds, by number.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        refunds: Vec<i64>,
        /// The ticket a refund note modifies (the sale's receipt number).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        modifies: Option<String>,
        /// 0 for the first print, n for "DUPLICATA n".
        copy: u32,
        /// For a copy, the journal entry of the first print.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        original_seq: Option<i64>,
        /// `pdf` (80 mm ticket), `pdf-a4` or `escpos`.
        format: String,
        /// Where it went: `file` or the printer's address (`tcp://HOST:PORT`, a device path).
        to: String,
    },
    /// A copy of the ledger was written and checked (`cadodesk backup`, or the app's Réglages).
    BackupMade {
        /// The copy's name (without its folder).
        file: String,
        /// The copy's SHA-256 (hex).
        sha256: String,
        /// The last entry the copy holds.
        last_seq: i64,
    },
}

/// The entry kinds that are technical events (the JET): an archive lists them apart.
pub const TECHNICAL_KINDS: [&str; 14] = [
    "app_started",
    "app_stopped",
    "setting_changed",
    "manager_pin",
    "journal_key",
    "journal_key_rotated",
    "till_identified",
    "integrity_checked",
    "export_made",
    "reconcile_done",
    "archive_made",
    "closing_made",
    "receipt_printed",
    "backup_made",
];

/// What came of asking for the manager PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PinOutcome {
    /// The manager's PIN was given: the action went on.
    Accepted,
    /// A wrong PIN was given (these, in a row, lock the PIN).
    Wrong,
    /// The rule asked for the PIN and none was given, or none is set.
    Missing,
    /// The PIN was locked after too many wrong ones: not even checked.
    Locked,
}

impl Event {
    /// The `kind` column: the event's tag.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::CheckoutRequested { .. } => "checkout_requested",
            Event::CheckoutCreated { .. } => "checkout_created",
            Event::CheckoutFailed { .. } => "checkout_failed",
            Event::CheckoutAbandoned { .. } => "checkout_abandoned",
            Event::CheckoutStatusSeen { .. } => "checkout_status_seen",
            Event::TenderSeen { .. } => "tender_seen",
            Event::ForeignTenderSeen { .. } => "foreign_tender_seen",
            Event::RefundRequested { .. } => "refund_requested",
            Event::RefundAnswered { .. } => "refund_answered",
            Event::RefundImported { .. } => "refund_imported",
            Event::RefundCorrected { .. } => "refund_corrected",
            Event::RefundClosed { .. } => "refund_closed",
            Event::ExportMade { .. } => "export_made",
            Event::ReconcileDone { .. } => "reconcile_done",
            Event::SettingChanged { .. } => "setting_changed",
            Event::ManagerPin { .. } => "manager_pin",
            Event::JournalKey { .. } => "journal_key",
            Event::ClosingMade { .. } => "closing_made",
            Event::TillIdentified { .. } => "till_identified",
            Event::JournalKeyRotated { .. } => "journal_key_rotated",
            Event::AppStarted { .. } => "app_started",
            Event::AppStopped { .. } => "app_stopped",
            Event::IntegrityChecked { .. } => "integrity_checked",
            Event::ArchiveMade { .. } => "archive_made",
            Event::CentralAcknowledged { .. } => "central_acknowledged",
            Event::ReceiptPrinted { .. } => "receipt_printed",
            Event::BackupMade { .. } => "backup_made",
        }
    }
}

/// One journal entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Its number, from 1, without gaps.
    pub seq: i64,
    /// When it was written (UTC).
    pub at: DateTime<Utc>,
    /// The event's tag.
    pub kind: String,
    /// Who was at the till.
    pub operator: String,
    /// The event as JSON.
    pub payload: String,
    /// The hash of the entry before ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl Entry {
    /// The event this entry holds, if its payload still decodes.
    pub fn event(&self) -> Option<Event> {
        serde_json::from_str(&self.payload).ok()
    }
}

/// The stored form of a time: RFC 3339, UTC, milliseconds, `Z`. Text order is time order.
pub fn format_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The entry hash: SHA-256 over every field, each length-prefixed so that no two different entries can be
/// written with the same bytes. Returned as lower-case hex.
pub fn entry_hash(
    seq: i64,
    at: &str,
    kind: &str,
    operator: &str,
    payload: &str,
    prev_hash: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(b"cadodesk-journal-v1");
    for field in [
        seq.to_string().as_str(),
        at,
        kind,
        operator,
        payload,
        prev_hash,
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex(&h.finalize())
}

/// Bytes as lower-case hex: the form of every hash, key and signature the ledger stores.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// An entry's number and its payload.
pub(crate) type NumberedPayload = (i64, String);

/// The entries of one kind, in order, each checked against its own hash and the next entry's link to it before its
/// payload is trusted: `Err((seq, payload))` names the first one edited in the file. (Rewriting it and the chain after
/// it breaks the last entry's seal, which the till checks when it opens the ledger.) For what the till reads back to
/// decide (settings, closings), without a whole `verify`.
pub(crate) fn entries_of_kind(
    conn: &rusqlite::Connection,
    kind: &str,
) -> rusqlite::Result<Result<Vec<NumberedPayload>, NumberedPayload>> {
    let mut stmt = conn.prepare_cached(
        "SELECT j.seq, j.at, j.operator, j.payload, j.prev_hash, j.hash, n.prev_hash
         FROM journal j LEFT JOIN journal n ON n.seq = j.seq + 1
         WHERE j.kind = ?1 ORDER BY j.seq",
    )?;
    let mut rows = stmt.query([kind])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let (at, operator, payload, prev_hash, hash): (String, String, String, String, String) =
            (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
        let next_link: Option<String> = r.get(6)?;
        let whole = entry_hash(seq, &at, kind, &operator, &payload, &prev_hash) == hash
            && next_link.as_ref().is_none_or(|l| *l == hash);
        if !whole {
            return Ok(Err((seq, payload)));
        }
        out.push((seq, payload));
    }
    Ok(Ok(out))
}

/// Lower-case or upper-case hex back to bytes; `None` for anything else (an odd length, a non-hex character).
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Walks entries in stored order, keeping only what the next step needs, so a chain of any length is checked in
/// constant memory.
#[derive(Debug, Clone)]
pub struct ChainWalker {
    expected_seq: i64,
    prev_hash: String,
    checked: u64,
}

impl Default for ChainWalker {
    fn default() -> Self {
        ChainWalker {
            expected_seq: 1,
            prev_hash: GENESIS_HASH.to_string(),
            checked: 0,
        }
    }
}

impl ChainWalker {
    /// A walk that starts after entry `before_seq`, whose hash is `prev_hash` (an archive's opening link).
    pub fn resume(before_seq: i64, prev_hash: &str) -> ChainWalker {
        ChainWalker {
            expected_seq: before_seq + 1,
            prev_hash: prev_hash.to_string(),
            checked: 0,
        }
    }

    /// Checks the next entry. The first problem found is returned; the caller stops there.
    pub fn step(
        &mut self,
        seq: i64,
        at: &str,
        kind: &str,
        operator: &str,
        payload: &str,
        prev_hash: &str,
        hash: &str,
    ) -> Result<(), ChainBreak> {
        if entry_hash(seq, at, kind, operator, payload, prev_hash) != hash {
            return Err(ChainBreak::Edited { seq });
        }
        if seq != self.expected_seq {
            if seq > self.expected_seq {
                return Err(ChainBreak::Removed {
                    seq,
                    expected_seq: self.expected_seq,
                });
            }
            return Err(ChainBreak::Reordered { seq });
        }
        if prev_hash != self.prev_hash {
            return Err(ChainBreak::Reordered { seq });
        }
        self.expected_seq = seq + 1;
        self.prev_hash = hash.to_string();
        self.checked += 1;
        Ok(())
    }

    /// Entries checked so far.
    pub fn checked(&self) -> u64 {
        self.checked
    }

    /// The number of the last good entry (0 before any).
    pub fn last_seq(&self) -> i64 {
        self.expected_seq - 1
    }

    /// The hash of the last good entry.
    pub fn last_hash(&self) -> &str {
        &self.prev_hash
    }
}

#[cfg(test)]
#[path = "journal_tests.rs"]
mod tests;
