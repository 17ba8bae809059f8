//! Signed archives (French till law): one self-contained file holding the closings of a period, the journal
//! entries they cover with their seals, the technical events, and a signed manifest, checkable without cadodesk
//! (`ARCHIVE.md` documents the format; `scripts/archive/verify.py` is an independent verifier).

mod check;
mod closings;
pub mod format;
mod seals;
mod write;

pub use check::{ArchiveReport, verify_archive};
pub use write::ArchiveSummary;

use crate::i18n::{Lang, Localize};
use crate::ledger::ChainBreak;

/// What went wrong making an archive, or the first thing that differs in one.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// No closing falls in the period.
    #[error(
        "period {from} to {to}: no closing falls in it; close the days first (`cadodesk close`), or choose days already closed"
    )]
    NothingClosed {
        /// First day.
        from: String,
        /// Last day.
        to: String,
    },
    /// The output file exists.
    #[error(
        "output {0}: the file exists; choose another name (an archive never overwrites a file)"
    )]
    Exists(String),
    /// The ledger holds no key to sign the manifest.
    #[error(
        "the journal has no sealing key: open the till once so that it seals its journal, then archive"
    )]
    NoKey,
    /// Reading or writing a file failed.
    #[error("{path}: {detail}")]
    Io {
        /// The file.
        path: String,
        /// What the system said.
        detail: String,
    },
    /// The file is not a readable archive: not a tar file, a member missing, unexpected or out of order.
    #[error("archive: {0}")]
    Layout(String),
    /// A member cannot be read as its format says.
    #[error("{member}: {detail}")]
    Unreadable {
        /// The member (and line).
        member: String,
        /// What is wrong.
        detail: String,
    },
    /// The manifest's signature does not hold.
    #[error(
        "manifest.sig: the signature does not match manifest.json under the public key it names"
    )]
    ManifestSignature,
    /// A member's bytes are not those the manifest lists.
    #[error("{member}: its size or SHA-256 differs from the manifest (it was changed)")]
    MemberChanged {
        /// The member.
        member: String,
    },
    /// Two parts of the archive that must agree do not.
    #[error("{member}: {detail}")]
    Disagrees {
        /// Where.
        member: String,
        /// What differs.
        detail: String,
    },
    /// The chain or a seal breaks in `entries.jsonl`.
    #[error("entries.jsonl: {}", .0.describe_en())]
    Chain(Box<ChainBreak>),
    /// A closing's figure is not what its entries give.
    #[error(
        "closing {kind} n°{number} ({label}): {field} is {recorded} in the closing but {recomputed} from the entries"
    )]
    ClosingDiffers {
        /// `day`, `month` or `year`.
        kind: &'static str,
        /// Its number.
        number: i64,
        /// What it closes.
        label: String,
        /// The field.
        field: &'static str,
        /// The closing's value.
        recorded: String,
        /// The value recomputed.
        recomputed: String,
    },
}

impl ArchiveError {
    pub(crate) fn io(path: &std::path::Path, e: &std::io::Error) -> ArchiveError {
        ArchiveError::Io {
            path: path.display().to_string(),
            detail: e.to_string(),
        }
    }
}

impl Localize for ArchiveError {
    fn localize(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            ArchiveError::NothingClosed { from, to } => format!(
                "Période du {from} au {to} : aucune clôture n'y tombe ; clôturez d'abord les journées, ou choisissez des jours déjà clôturés"
            ),
            ArchiveError::Exists(p) => format!(
                "Fichier {p} : il existe déjà ; choisissez un autre nom (une archive n'écrase jamais un fichier)"
            ),
            ArchiveError::NoKey => "Le journal n'a pas de clé de scellement : ouvrez la caisse une fois pour qu'elle scelle son journal, puis archivez".into(),
            ArchiveError::Io { path, detail } => format!("{path} : {detail}"),
            ArchiveError::Layout(d) => format!("Archive : {d}"),
            ArchiveError::Unreadable { member, detail }
            | ArchiveError::Disagrees { member, detail } => format!("{member} : {detail}"),
            ArchiveError::ManifestSignature => "manifest.sig : la signature ne correspond pas à manifest.json sous la clé publique qu'il nomme".into(),
            ArchiveError::MemberChanged { member } => format!(
                "{member} : sa taille ou son SHA-256 diffère du manifeste (il a été modifié)"
            ),
            ArchiveError::Chain(b) => format!("entries.jsonl : {}", b.describe_fr()),
            ArchiveError::ClosingDiffers {
                kind,
                number,
                label,
                field,
                recorded,
                recomputed,
            } => {
                let kind = match *kind {
                    "day" => "journalière",
                    "month" => "mensuelle",
                    _ => "annuelle",
                };
                format!(
                    "Clôture {kind} n°{number} ({label}) : {field} vaut {recorded} dans la clôture mais {recomputed} d'après les écritures"
                )
            }
        }
    }
}
