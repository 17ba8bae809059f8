//! What can go wrong with the ledger, told apart so that the person at the till knows what to do.

use std::path::Path;

use rusqlite::ErrorCode;
use thiserror::Error;

use crate::domain::Amount;
use crate::i18n::{Lang, Localize, capitalise};

/// What went wrong with the ledger. Storage failures are told apart so that the person at the till knows what to
/// do; refusals of the refund guard are typed so the use case can explain them.
#[derive(Debug, Error)]
pub enum LedgerError {
    /// The disk is full.
    #[error("the disk holding the ledger is full: free some space, then try again")]
    DiskFull,
    /// A write failed at the system level: most often a full disk that SQLite reports as an I/O error.
    #[error(
        "the ledger {path} could not be written (disk I/O error): check that its disk is not full or failing, free some space, then try again"
    )]
    Io {
        /// The database file.
        path: String,
    },
    /// The file or its folder is read-only.
    #[error("the ledger {path} is read-only: check the folder's permissions")]
    ReadOnly {
        /// The database file.
        path: String,
    },
    /// The file is damaged or not a cadodesk ledger.
    #[error("the ledger {path} is damaged or is not a cadodesk ledger: restore it from a backup")]
    Corrupt {
        /// The database file.
        path: String,
    },
    /// Another program holds the ledger for too long.
    #[error("the ledger is busy in another cadodesk window or process: try again in a moment")]
    Locked,
    /// The file cannot be opened or created.
    #[error(
        "the ledger {path} cannot be opened ({detail}): check that the folder exists and is writable"
    )]
    CannotOpen {
        /// The database file.
        path: String,
        /// The system's reason.
        detail: String,
    },
    /// Written by a newer cadodesk.
    #[error(
        "the ledger was written by a newer cadodesk (schema {found}, this one knows {supported}): update cadodesk"
    )]
    TooNew {
        /// The file's schema version.
        found: i64,
        /// The newest this build knows.
        supported: i64,
    },
    /// The tender is not in the ledger.
    #[error("payment {0} is not in the ledger: refresh its checkout first")]
    UnknownTender(String),
    /// The checkout is not in the ledger.
    #[error("checkout {0} is not in the ledger")]
    UnknownCheckout(String),
    /// The refund would go beyond what is left on the tender.
    #[error("only {left} is left to refund on payment {payment_id}")]
    NotEnoughLeft {
        /// The tender.
        payment_id: String,
        /// What is left.
        left: Amount,
    },
    /// Another refund on this tender has no answer yet.
    #[error(
        "refund n°{number} on payment {payment_id} is still waiting for the platform's answer: wait for it first"
    )]
    RefundInFlight {
        /// The tender.
        payment_id: String,
        /// The refund waiting.
        number: i64,
    },
    /// A rule of the schema refused a row (a bug, or a hand-edited database).
    #[error("the ledger refused the record: {0}")]
    Constraint(String),
    /// Anything else SQLite reported.
    #[error("ledger error: {0}")]
    Sqlite(String),
    /// A stored payload no longer decodes (hand-edited database).
    #[error("a journal entry cannot be read: {0}")]
    Decode(String),
    /// Another refund of the sale came first: this one would pass what the manager's rule (or approval) allowed.
    #[error("the sale's refunds would pass {} with this one: another refund of the sale came first", .limit.en())]
    SaleLimit {
        /// What was allowed for the sale.
        limit: Amount,
    },
    /// A closing's journal entry was changed in the file.
    #[error(
        "the closing in journal entry {seq} was changed outside cadodesk: no closing is made from it. Run `cadodesk ledger verify` and restore the ledger from a backup"
    )]
    ClosingAltered {
        /// The entry.
        seq: i64,
    },
    /// A receipt's print entry was changed in the file: copies cannot be counted from it.
    #[error(
        "the receipt print in journal entry {seq} was changed outside cadodesk: no copy is counted from it. Run `cadodesk ledger verify` and restore the ledger from a backup"
    )]
    ReceiptAltered {
        /// The entry.
        seq: i64,
    },
    /// The journal's last seal does not hold under this till's key: it was rewritten without the key.
    #[error(
        "the journal's last entry is not sealed by this till's key: the journal was rewritten outside cadodesk; nothing was written. Run `cadodesk ledger verify` to find the first rewritten entry, and restore the ledger from a backup"
    )]
    SealBroken,
    /// A setting's stored value is not the one the journal gave it: it was changed in the file, behind the till.
    #[error(
        "setting '{key}' is not what the journal says (entry {seq}): it was changed outside cadodesk; nothing was done. Run `cadodesk ledger verify` and set it again through cadodesk"
    )]
    SettingAltered {
        /// The setting.
        key: String,
        /// The journal entry that last set it (0 when none did).
        seq: i64,
    },
}

impl LedgerError {
    pub(crate) fn from_sqlite(e: rusqlite::Error, path: &Path) -> LedgerError {
        let path_s = path.display().to_string();
        match &e {
            rusqlite::Error::SqliteFailure(f, msg) => match f.code {
                ErrorCode::DiskFull => LedgerError::DiskFull,
                ErrorCode::SystemIoFailure => LedgerError::Io { path: path_s },
                ErrorCode::ReadOnly | ErrorCode::PermissionDenied => {
                    LedgerError::ReadOnly { path: path_s }
                }
                ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
                    LedgerError::Corrupt { path: path_s }
                }
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => LedgerError::Locked,
                ErrorCode::CannotOpen => LedgerError::CannotOpen {
                    path: path_s,
                    detail: msg.clone().unwrap_or_else(|| f.to_string()),
                },
                ErrorCode::ConstraintViolation => {
                    LedgerError::Constraint(msg.clone().unwrap_or_else(|| f.to_string()))
                }
                _ => LedgerError::Sqlite(e.to_string()),
            },
            // A stored value that does not read as its type (a hand-edited database): name it.
            rusqlite::Error::FromSqlConversionFailure(_, _, cause) => {
                LedgerError::Decode(cause.to_string())
            }
            _ => LedgerError::Sqlite(e.to_string()),
        }
    }
}

impl Localize for LedgerError {
    fn localize(&self, lang: Lang) -> String {
        match lang {
            Lang::En => capitalise(self.to_string()),
            Lang::Fr => match self {
                LedgerError::DiskFull => {
                    "Le disque du journal est plein : libérez de la place puis réessayez".into()
                }
                LedgerError::Io { path } => format!(
                    "Le journal {path} n'a pas pu être écrit (erreur d'entrée-sortie) : vérifiez que le disque n'est ni plein ni défaillant, libérez de la place puis réessayez"
                ),
                LedgerError::ReadOnly { path } => format!(
                    "Le journal {path} est en lecture seule : vérifiez les droits du dossier"
                ),
                LedgerError::Corrupt { path } => format!(
                    "Le journal {path} est endommagé ou n'est pas un journal cadodesk : restaurez une sauvegarde"
                ),
                LedgerError::Locked => "Le journal est occupé par une autre fenêtre ou un autre processus cadodesk : réessayez dans un instant".into(),
                LedgerError::CannotOpen { path, detail } => format!(
                    "Impossible d'ouvrir le journal {path} ({detail}) : vérifiez que le dossier existe et est accessible en écriture"
                ),
                LedgerError::TooNew { found, supported } => format!(
                    "Le journal a été écrit par une version plus récente de cadodesk (schéma {found}, celle-ci connaît {supported}) : mettez cadodesk à jour"
                ),
                LedgerError::UnknownTender(p) => format!(
                    "Le paiement {p} n'est pas dans le journal : actualisez d'abord sa commande"
                ),
                LedgerError::UnknownCheckout(c) => {
                    format!("La commande {c} n'est pas dans le journal")
                }
                LedgerError::NotEnoughLeft { payment_id, left } => format!(
                    "Il ne reste que {} à rembourser sur le paiement {payment_id}",
                    left.fr()
                ),
                LedgerError::RefundInFlight { payment_id, number } => format!(
                    "Le remboursement n°{number} du paiement {payment_id} attend encore la réponse de la plateforme : attendez-la d'abord"
                ),
                LedgerError::Constraint(m) => format!("Le journal a refusé l'écriture : {m}"),
                LedgerError::Sqlite(m) => format!("Erreur du journal : {m}"),
                LedgerError::Decode(m) => format!("Une écriture du journal est illisible : {m}"),
                LedgerError::SaleLimit { limit } => format!(
                    "Les remboursements de la vente dépasseraient {} avec celui-ci : un autre remboursement de la vente est passé avant",
                    limit.fr()
                ),
                LedgerError::ClosingAltered { seq } => format!(
                    "La clôture de l'écriture {seq} a été modifiée hors de cadodesk : aucune clôture n'est faite à partir d'elle. Lancez « cadodesk ledger verify » et restaurez le journal depuis une sauvegarde"
                ),
                LedgerError::ReceiptAltered { seq } => format!(
                    "L'impression de ticket de l'écriture {seq} a été modifiée hors de cadodesk : aucun duplicata n'est compté à partir d'elle. Lancez « cadodesk ledger verify » et restaurez le journal depuis une sauvegarde"
                ),
                LedgerError::SealBroken => "La dernière écriture du journal n'est pas scellée par la clé de cette caisse : le journal a été réécrit hors de cadodesk ; rien n'a été écrit. Lancez « cadodesk ledger verify » pour trouver la première écriture réécrite, et restaurez le journal depuis une sauvegarde".into(),
                LedgerError::SettingAltered { key, seq } => format!(
                    "Le réglage « {key} » n'est pas celui que dit le journal (écriture {seq}) : il a été modifié hors de cadodesk ; rien n'a été fait. Lancez « cadodesk ledger verify » et refaites ce réglage dans cadodesk"
                ),
            },
        }
    }
}
