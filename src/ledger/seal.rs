//! The journal's seals: every entry written by a till that holds a journal key is signed (Ed25519) over its number
//! and chain hash, in the same transaction, in `journal_seals`. The key's public half is itself a journal entry
//! (`journal_key`), so anyone can check the journal with the file alone; a new key is a `journal_key_rotated` entry
//! endorsed by the previous key's signature when the till still holds it, and named by `verify` when not.
//!
//! Someone holding the SQLite file but not the key can still recompute the SHA-256 chain after an edit, but not the
//! seals: `verify` checks the last seal, and when it fails, finds the first entry whose seal fails (by bisection,
//! since every seal after a rewritten entry fails and every one before it holds).

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use rusqlite::{OptionalExtension, Transaction, params};
use sha2::{Digest, Sha256};

use super::append::append_tx;
use super::journal::{hex, unhex};
use super::{Event, Ledger, LedgerError, Result};

/// Where a till's journal key is kept: said by `verify`, since a key in a file next to the ledger protects less.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyHome {
    /// The OS keychain.
    Keychain,
    /// A file (the path), when no keychain is usable: whoever can read it can re-sign the journal.
    File(String),
}

impl KeyHome {
    /// `keychain`, or `file:<path>`.
    pub fn code(&self) -> String {
        match self {
            KeyHome::Keychain => "keychain".into(),
            KeyHome::File(p) => format!("file:{p}"),
        }
    }
}

/// A till's journal key: the Ed25519 signing key and where it is kept.
pub struct JournalKey {
    signing: SigningKey,
    home: KeyHome,
}

impl std::fmt::Debug for JournalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JournalKey")
            .field("key_id", &self.key_id())
            .field("home", &self.home)
            .finish()
    }
}

/// A public key's id: the first 16 hex digits of its SHA-256.
pub fn key_id_of(public: &[u8; 32]) -> String {
    hex(&Sha256::digest(public)[..8])
}

/// The id of a public key written in hex; empty when it is not 32 bytes of hex (no key has that id).
pub fn key_id_of_hex(public_hex: &str) -> String {
    unhex(public_hex)
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .map(|b| key_id_of(&b))
        .unwrap_or_default()
}

impl JournalKey {
    /// The key from its 32-byte secret seed.
    pub fn from_seed(seed: [u8; 32], home: KeyHome) -> JournalKey {
        JournalKey {
            signing: SigningKey::from_bytes(&seed),
            home,
        }
    }

    /// A new random key.
    pub fn generate(home: KeyHome) -> JournalKey {
        JournalKey::from_seed(rand::random(), home)
    }

    /// The secret seed, for the keychain or the key file only.
    pub fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// The public half.
    pub fn public(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// The public key's id.
    pub fn key_id(&self) -> String {
        key_id_of(&self.public())
    }

    /// Where it is kept.
    pub fn home(&self) -> &KeyHome {
        &self.home
    }

    /// Signs `message` (hex signature): seals, endorsements and documents each sign their own framed message.
    pub fn sign(&self, message: &[u8]) -> String {
        hex(&self.signing.sign(message).to_bytes())
    }
}

/// What a seal signs: a fixed label, the entry's number and its chain hash.
pub fn seal_message(seq: i64, hash: &str) -> Vec<u8> {
    let mut m = b"cadodesk-seal-v1\0".to_vec();
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(hash.as_bytes());
    m
}

/// What a rotation's endorsement signs: the new public key, by the previous key.
pub fn endorsement_message(new_public_hex: &str) -> Vec<u8> {
    let mut m = b"cadodesk-key-rotation-v1\0".to_vec();
    m.extend_from_slice(new_public_hex.as_bytes());
    m
}

/// Does `signature` (hex) verify `message` under `public` (hex)?
pub fn verifies(public_hex: &str, message: &[u8], signature_hex: &str) -> bool {
    let Some(public) = unhex(public_hex).and_then(|p| <[u8; 32]>::try_from(p).ok()) else {
        return false;
    };
    let Some(sig) = unhex(signature_hex).and_then(|s| <[u8; 64]>::try_from(s).ok()) else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(&public) else {
        return false;
    };
    key.verify(message, &Signature::from_bytes(&sig)).is_ok()
}

/// Seals one entry just written, in its transaction.
pub(super) fn seal_tx(
    tx: &Transaction<'_>,
    key: &JournalKey,
    seq: i64,
    hash: &str,
) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT INTO journal_seals(seq, key_id, signature) VALUES (?1, ?2, ?3)")?
        .execute(params![
            seq,
            key.key_id(),
            key.sign(&seal_message(seq, hash))
        ])?;
    Ok(())
}

/// The keys named in the journal, in order: (entry number, public key hex, key id, endorsement state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct KeyEntry {
    pub seq: i64,
    pub public: String,
    pub key_id: String,
    /// `None` for the first key; for a rotation, whether the previous key endorsed it.
    pub endorsed: Option<bool>,
}

/// Reads the key entries from an event seen during the chain walk.
pub(super) fn key_entry(seq: i64, event: &Event, previous: Option<&KeyEntry>) -> Option<KeyEntry> {
    match event {
        Event::JournalKey { public_key, .. } => Some(KeyEntry {
            seq,
            public: public_key.clone(),
            key_id: key_id_of_hex(public_key),
            endorsed: previous.map(|_| false),
        }),
        Event::JournalKeyRotated {
            public_key,
            endorsement,
            ..
        } => Some(KeyEntry {
            seq,
            public: public_key.clone(),
            key_id: key_id_of_hex(public_key),
            endorsed: Some(match (previous, endorsement) {
                (Some(prev), Some(sig)) => {
                    verifies(&prev.public, &endorsement_message(public_key), sig)
                }
                _ => false,
            }),
        }),
        _ => None,
    }
}

/// Whether the seal of entry `seq` (with chain hash `hash`) holds under the key in force at `seq`.
pub(super) fn seal_holds(
    conn: &rusqlite::Connection,
    keys: &[KeyEntry],
    seq: i64,
    hash: &str,
) -> rusqlite::Result<bool> {
    let Some(key) = keys.iter().rev().find(|k| k.seq <= seq) else {
        return Ok(false);
    };
    let seal: Option<(String, String)> = conn
        .prepare_cached("SELECT key_id, signature FROM journal_seals WHERE seq = ?1")?
        .query_row([seq], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(seal.is_some_and(|(key_id, sig)| {
        key_id == key.key_id && verifies(&key.public, &seal_message(seq, hash), &sig)
    }))
}

/// Does the last entry's seal hold under `key`? (One signature check: what opening the ledger costs.)
fn head_seal_holds_in(conn: &rusqlite::Connection, key: &JournalKey) -> rusqlite::Result<bool> {
    let head: Option<(i64, String, Option<String>)> = conn
        .query_row(
            "SELECT j.seq, j.hash, s.signature FROM journal j
             LEFT JOIN journal_seals s ON s.seq = j.seq ORDER BY j.seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(match head {
        None => true,
        Some((seq, hash, sig)) => {
            sig.is_some_and(|sig| verifies(&hex(&key.public()), &seal_message(seq, &hash), &sig))
        }
    })
}

/// The key the journal names last: (key id, public key hex).
fn current_key_in(conn: &rusqlite::Connection) -> rusqlite::Result<Option<(String, String)>> {
    let payload: Option<String> = conn
        .query_row(
            "SELECT payload FROM journal WHERE kind IN ('journal_key', 'journal_key_rotated')
             ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(payload.and_then(|p| match serde_json::from_str(&p) {
        Ok(Event::JournalKey { public_key, .. })
        | Ok(Event::JournalKeyRotated { public_key, .. }) => {
            let id = key_id_of_hex(&public_key);
            Some((id, public_key))
        }
        _ => None,
    }))
}

impl Ledger {
    /// The same ledger, sealing every entry it writes with `key`. The journal must name the key: a ledger with no
    /// key yet gets a `journal_key` entry (its first entry when new; `verify` notes the entries written before
    /// it); a ledger whose key is another gets a `journal_key_rotated` entry, endorsed only if `previous` (the key
    /// the journal names) is given, else left unendorsed and noted by `verify`. A ledger sealed by this very key
    /// whose last entry's seal fails was rewritten without the key: refused.
    pub fn with_journal_key(
        mut self,
        key: JournalKey,
        previous: Option<&JournalKey>,
    ) -> Result<Ledger> {
        let public = hex(&key.public());
        {
            let mut conn = self.lock();
            let err = self.err();
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(&err)?;
            let current = current_key_in(&tx).map_err(&err)?;
            let event = match current {
                Some((_, p)) if p == public => {
                    if !head_seal_holds_in(&tx, &key).map_err(&err)? {
                        // Sealed by this very key, yet the last entry's seal fails: rewritten without the key.
                        return Err(LedgerError::SealBroken);
                    }
                    None
                }
                None => Some(Event::JournalKey {
                    public_key: public.clone(),
                    home: key.home().code(),
                }),
                Some((previous_id, previous_public)) => {
                    tracing::warn!(previous = %previous_id, key = %key.key_id(), "the journal names another sealing key: this till's key takes over from here");
                    Some(Event::JournalKeyRotated {
                        public_key: public.clone(),
                        home: key.home().code(),
                        previous_key_id: previous_id,
                        endorsement: previous
                            .filter(|p| hex(&p.public()) == previous_public)
                            .map(|p| p.sign(&endorsement_message(&public))),
                    })
                }
            };
            if let Some(event) = event {
                append_tx(&tx, self.clock.now(), "cadodesk", &event, Some(&key)).map_err(&err)?;
                tx.commit().map_err(&err)?;
            }
        }
        self.key = Some(std::sync::Arc::new(key));
        Ok(self)
    }

    /// The same ledger holding `key` to compare with the journal's (`verify` names a journal sealed by another
    /// key), without writing anything: what `ledger verify` opens.
    pub fn holding_key(mut self, key: JournalKey) -> Ledger {
        self.key = Some(std::sync::Arc::new(key));
        self
    }

    /// The key the journal names last: (key id, public key hex).
    pub fn current_key(&self) -> Result<Option<(String, String)>> {
        let conn = self.lock();
        current_key_in(&conn).map_err(self.err())
    }

    /// The public key id this ledger seals with, if it holds a key.
    pub fn sealing_key_id(&self) -> Option<String> {
        self.key.as_ref().map(|k| k.key_id())
    }

    /// The public key (hex) this ledger seals with, if it holds a key.
    pub fn sealing_public_key(&self) -> Option<String> {
        self.key.as_ref().map(|k| hex(&k.public()))
    }

    /// Signs a document the till hands out (an archive's manifest) with the journal key: (public key hex,
    /// signature hex) of `document_message(label, bytes)`; `None` when the ledger holds no key.
    pub fn sign_document(&self, label: &str, bytes: &[u8]) -> Option<(String, String)> {
        let key = self.key.as_ref()?;
        Some((
            hex(&key.public()),
            key.sign(&document_message(label, bytes)),
        ))
    }

    /// The key in force at entry `seq` (the last `journal_key` or `journal_key_rotated` at or before it): (entry
    /// number, public key hex).
    pub fn key_as_of(&self, seq: i64) -> Result<Option<(i64, String)>> {
        let conn = self.lock();
        let row: Option<(i64, String)> = conn
            .query_row(
                "SELECT seq, payload FROM journal WHERE kind IN ('journal_key', 'journal_key_rotated')
                 AND seq <= ?1 ORDER BY seq DESC LIMIT 1",
                [seq],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(self.err())?;
        Ok(row.and_then(|(seq, p)| match serde_json::from_str(&p) {
            Ok(Event::JournalKey { public_key, .. })
            | Ok(Event::JournalKeyRotated { public_key, .. }) => Some((seq, public_key)),
            _ => None,
        }))
    }
}

/// What a document signature signs: `label`, a zero byte, then the document's bytes.
pub fn document_message(label: &str, bytes: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(label.len() + 1 + bytes.len());
    m.extend_from_slice(label.as_bytes());
    m.push(0);
    m.extend_from_slice(bytes);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seal_verifies_under_its_key_only_and_for_its_entry_only() {
        let k = JournalKey::from_seed([7; 32], KeyHome::Keychain);
        let other = JournalKey::from_seed([8; 32], KeyHome::Keychain);
        let sig = k.sign(&seal_message(3, "ab"));
        let public = hex(&k.public());
        assert!(verifies(&public, &seal_message(3, "ab"), &sig));
        assert!(!verifies(&public, &seal_message(4, "ab"), &sig));
        assert!(!verifies(&public, &seal_message(3, "ac"), &sig));
        assert!(!verifies(
            &hex(&other.public()),
            &seal_message(3, "ab"),
            &sig
        ));
        assert!(!verifies(&public, &seal_message(3, "ab"), "zz"));
        assert_eq!(k.key_id().len(), 16);
        assert!(!format!("{k:?}").contains(&hex(&k.seed())));
    }
}
