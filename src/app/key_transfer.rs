//! The till's journal key carried to another machine: sealed under a passphrase, so that a restored ledger goes on
//! sealing its chain with the same key.
//!
//! The file is text, one field a line:
//!
//! ```text
//! cadodesk journal key v1
//! key-id: 0123456789abcdef
//! kdf: argon2id m=65536 t=3 p=1
//! salt: <32 hex digits>
//! nonce: <24 hex digits>
//! sealed: <hex: the 32-byte seed encrypted with ChaCha20-Poly1305, then its 16-byte tag>
//! ```
//!
//! The encryption key is Argon2id of the passphrase and the salt; the first two lines are authenticated with the
//! seed, so a key id swapped in the file is refused. Nothing here logs or prints the passphrase or the seed.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use thiserror::Error;

use crate::ledger::journal::{hex, unhex};
use crate::ledger::{JournalKey, KeyHome};

const MAGIC: &str = "cadodesk journal key v1";
const KDF: &str = "argon2id m=65536 t=3 p=1";
/// The shortest passphrase accepted for an export.
pub const MIN_PASSPHRASE_CHARS: usize = 10;

/// Why a key could not be sealed or opened. No variant holds the passphrase or the key.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum KeyTransferError {
    /// The passphrase given for an export is too short.
    #[error(
        "the passphrase is too short: give at least {MIN_PASSPHRASE_CHARS} characters on the first line of standard input"
    )]
    PassphraseTooShort,
    /// The file is not a key export, or it was cut or altered.
    #[error(
        "the key file is not a cadodesk key export ({0}): give the file `cadodesk key export` wrote"
    )]
    NotAnExport(String),
    /// The passphrase does not open the file (or the file was altered).
    #[error(
        "the passphrase does not open this key file (or the file was altered): give the passphrase chosen at `cadodesk key export`"
    )]
    WrongPassphrase,
    /// The key derivation failed.
    #[error("the passphrase could not be turned into a key ({0})")]
    Kdf(String),
}

fn cipher(passphrase: &str, salt: &[u8]) -> Result<ChaCha20Poly1305, KeyTransferError> {
    let params =
        Params::new(65536, 3, 1, Some(32)).map_err(|e| KeyTransferError::Kdf(e.to_string()))?;
    let mut key = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, &mut key)
        .map_err(|e| KeyTransferError::Kdf(e.to_string()))?;
    let cipher = ChaCha20Poly1305::new(&Key::from(key));
    key.fill(0);
    Ok(cipher)
}

fn header(key_id: &str) -> String {
    format!("{MAGIC}\nkey-id: {key_id}\n")
}

/// The key sealed under `passphrase`, as the file's text.
pub fn seal(key: &JournalKey, passphrase: &str) -> Result<String, KeyTransferError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(KeyTransferError::PassphraseTooShort);
    }
    let salt: [u8; 16] = rand::random();
    let nonce: [u8; 12] = rand::random();
    let head = header(&key.key_id());
    let mut seed = key.seed();
    let sealed = cipher(passphrase, &salt)?
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &seed,
                aad: head.as_bytes(),
            },
        )
        .map_err(|_| KeyTransferError::Kdf("the encryption failed".into()));
    seed.fill(0);
    Ok(format!(
        "{head}kdf: {KDF}\nsalt: {}\nnonce: {}\nsealed: {}\n",
        hex(&salt),
        hex(&nonce),
        hex(&sealed?)
    ))
}

/// The key in the file's `text`, opened with `passphrase`; its home is `home`.
pub fn open(text: &str, passphrase: &str, home: KeyHome) -> Result<JournalKey, KeyTransferError> {
    let bad = |what: &str| KeyTransferError::NotAnExport(what.into());
    let mut lines = text.lines();
    if lines.next().map(str::trim_end) != Some(MAGIC) {
        return Err(bad("its first line is not \"cadodesk journal key v1\""));
    }
    let mut field = |name: &str| -> Result<String, KeyTransferError> {
        lines
            .next()
            .and_then(|l| l.trim_end().strip_prefix(&format!("{name}: ")))
            .map(str::to_string)
            .ok_or_else(|| bad(&format!("the line \"{name}: …\" is missing")))
    };
    let key_id = field("key-id")?;
    if field("kdf")? != KDF {
        return Err(bad("its key derivation is not the one this cadodesk knows"));
    }
    let salt = unhex(&field("salt")?).ok_or_else(|| bad("its salt is not hex"))?;
    let nonce = unhex(&field("nonce")?)
        .and_then(|n| <[u8; 12]>::try_from(n).ok())
        .ok_or_else(|| bad("its nonce is not 24 hex digits"))?;
    let sealed = unhex(&field("sealed")?).ok_or_else(|| bad("its sealed key is not hex"))?;
    let head = header(&key_id);
    let mut opened = cipher(passphrase, &salt)?
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &sealed,
                aad: head.as_bytes(),
            },
        )
        .map_err(|_| KeyTransferError::WrongPassphrase)?;
    let seed = <[u8; 32]>::try_from(opened.as_slice()).map_err(|_| bad("its key is not 32 bytes"));
    opened.fill(0);
    let key = JournalKey::from_seed(seed?, home);
    if key.key_id() != key_id {
        return Err(bad("its key does not match the key id it names"));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_with_its_passphrase_and_unaltered() {
        let key = JournalKey::from_seed([7; 32], KeyHome::Keychain);
        let text = seal(&key, "correct horse battery").unwrap_or_default();
        assert!(!text.contains(&hex(&[7; 32])), "the seed is not in clear");
        let back = open(&text, "correct horse battery", KeyHome::Keychain);
        assert_eq!(back.map(|k| k.seed()), Ok([7; 32]));
        assert_eq!(
            open(&text, "wrong horse battery", KeyHome::Keychain).map(|k| k.key_id()),
            Err(KeyTransferError::WrongPassphrase)
        );
        // Another key id written in the file: authenticated with the key, so refused.
        let other = JournalKey::from_seed([8; 32], KeyHome::Keychain).key_id();
        let swapped = text.replace(&key.key_id(), &other);
        assert_eq!(
            open(&swapped, "correct horse battery", KeyHome::Keychain).map(|k| k.key_id()),
            Err(KeyTransferError::WrongPassphrase)
        );
        assert_eq!(
            seal(&key, "short").map(|_| ()),
            Err(KeyTransferError::PassphraseTooShort)
        );
        assert!(matches!(
            open("hello", "correct horse battery", KeyHome::Keychain),
            Err(KeyTransferError::NotAnExport(_))
        ));
    }
}
