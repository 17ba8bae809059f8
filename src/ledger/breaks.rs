//! What `verify` found wrong, at the first broken point, in one English and one French sentence.

use serde::Serialize;

/// What is wrong with the chain at its first broken point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum ChainBreak {
    /// The entry's content no longer matches its hash: it was edited.
    Edited {
        /// The entry.
        seq: i64,
    },
    /// Entries are missing before this one (a gap in the numbers, or a first entry that is not number 1).
    Removed {
        /// The first entry after the gap.
        seq: i64,
        /// The number that was expected there.
        expected_seq: i64,
    },
    /// The entry does not follow the one before it: entries were reordered or swapped.
    Reordered {
        /// The entry.
        seq: i64,
    },
    /// A table derived from the journal, or the recorded head, points at an entry that is no longer there: the
    /// end was cut off.
    Truncated {
        /// The last entry left.
        last_seq: i64,
        /// The highest entry the derived tables or the head refer to.
        referenced_seq: i64,
    },
    /// The recorded head (last entry number and hash, written with each entry) does not match the journal's last
    /// entry: the end was replaced, or entries were written around the ledger.
    HeadMismatch {
        /// The journal's last entry.
        last_seq: i64,
        /// The entry the head names (0 when the head is missing).
        head_seq: i64,
    },
    /// A trigger that guards the journal (append-only) is missing, altered, or joined by one cadodesk does not
    /// create: the journal could have been rewritten while it was down.
    GuardChanged {
        /// The trigger.
        trigger: String,
        /// `removed`, `altered` or `added`.
        change: &'static str,
    },
    /// A table derived from the journal does not hold what replaying the journal gives: it was edited.
    DerivedMismatch {
        /// The table.
        table: &'static str,
        /// The row's key.
        key: String,
        /// The first column that differs (or `row` when the row is missing or extra).
        column: String,
        /// The journal entry that last wrote the row, as replayed (0 when the replay has no such row).
        seq: i64,
        /// The value found, as text.
        found: String,
        /// The value the journal gives, as text.
        expected: String,
    },
    /// The entry's seal no longer holds: it (or the chain up to it) was rewritten by someone without the key.
    SealBroken {
        /// The first entry whose seal fails.
        seq: i64,
    },
    /// An entry written after the journal was sealed has no seal.
    SealMissing {
        /// The first entry without a seal.
        seq: i64,
    },
    /// The sealing key changed without the previous key's endorsement: entries from here on may have been re-sealed
    /// by someone else (or the till lost its keychain).
    KeyChanged {
        /// The entry naming the new key.
        seq: i64,
        /// The new key's id.
        key_id: String,
    },
    /// Entries were written before the journal named its first key: they could have been rewritten before it.
    SealedLate {
        /// The entry naming the first key.
        first_key_seq: i64,
    },
    /// The journal is sealed by another key than the one this till holds (or by none).
    KeyNotHeld {
        /// The key the journal names last (empty when none).
        journal_key: String,
        /// The key this till holds.
        held_key: String,
    },
}

impl ChainBreak {
    /// The entry to look at.
    pub fn seq(&self) -> i64 {
        match self {
            ChainBreak::Edited { seq }
            | ChainBreak::Removed { seq, .. }
            | ChainBreak::Reordered { seq } => *seq,
            ChainBreak::Truncated { last_seq, .. } | ChainBreak::HeadMismatch { last_seq, .. } => {
                *last_seq
            }
            ChainBreak::DerivedMismatch { seq, .. }
            | ChainBreak::SealBroken { seq }
            | ChainBreak::SealMissing { seq }
            | ChainBreak::KeyChanged { seq, .. } => *seq,
            ChainBreak::SealedLate { first_key_seq } => *first_key_seq,
            ChainBreak::GuardChanged { .. } | ChainBreak::KeyNotHeld { .. } => 0,
        }
    }

    /// One English sentence.
    pub fn describe_en(&self) -> String {
        match self {
            ChainBreak::Edited { seq } => format!("entry {seq} was edited"),
            ChainBreak::Removed { seq, expected_seq } => {
                format!("entries were removed before entry {seq} (expected entry {expected_seq})")
            }
            ChainBreak::Reordered { seq } => {
                format!("entry {seq} does not follow the entry before it (reordered or replaced)")
            }
            ChainBreak::Truncated {
                last_seq,
                referenced_seq,
            } => format!(
                "the journal ends at entry {last_seq} but entry {referenced_seq} is referenced: entries were removed at the end"
            ),
            ChainBreak::HeadMismatch { last_seq, head_seq } => format!(
                "the journal ends at entry {last_seq} but its recorded head is entry {head_seq}: the end was replaced or written around the ledger"
            ),
            ChainBreak::DerivedMismatch {
                table,
                key,
                column,
                seq,
                found,
                expected,
            } => format!(
                "table {table}, row {key}, column {column}: found {found}, the journal gives {expected} (entry {seq}): the table was edited"
            ),
            ChainBreak::GuardChanged { trigger, change } => format!(
                "the journal's guard {trigger} was {change}: the journal could have been rewritten while it was unguarded"
            ),
            ChainBreak::SealBroken { seq } => format!(
                "entry {seq}'s seal does not hold: entry {seq} (or the chain up to it) was rewritten without the journal key; the entries before it are sealed and sound"
            ),
            ChainBreak::SealMissing { seq } => format!(
                "entry {seq} has no seal although the journal is sealed: seals were removed"
            ),
            ChainBreak::KeyChanged { seq, key_id } => format!(
                "entry {seq}: the sealing key changed to {key_id} without the previous key's endorsement: the entries from {seq} on may have been re-sealed by someone else (or the keychain was lost)"
            ),
            ChainBreak::SealedLate { first_key_seq } => format!(
                "entries 1 to {} were written before the journal named its sealing key (entry {first_key_seq}): they may have been rewritten before it",
                first_key_seq - 1
            ),
            ChainBreak::KeyNotHeld {
                journal_key,
                held_key,
            } if journal_key.is_empty() => format!(
                "the journal names no sealing key, but this till seals with key {held_key}: its key entry and seals were removed"
            ),
            ChainBreak::KeyNotHeld {
                journal_key,
                held_key,
            } => format!(
                "the journal is sealed by key {journal_key}, but this till holds key {held_key}: it was re-sealed by someone else"
            ),
        }
    }

    /// One French sentence.
    pub fn describe_fr(&self) -> String {
        match self {
            ChainBreak::Edited { seq } => format!("l'écriture {seq} a été modifiée"),
            ChainBreak::Removed { seq, expected_seq } => format!(
                "des écritures ont été supprimées avant l'écriture {seq} (écriture {expected_seq} attendue)"
            ),
            ChainBreak::Reordered { seq } => format!(
                "l'écriture {seq} ne suit pas l'écriture précédente (ordre modifié ou écriture remplacée)"
            ),
            ChainBreak::Truncated {
                last_seq,
                referenced_seq,
            } => format!(
                "le journal s'arrête à l'écriture {last_seq} alors que l'écriture {referenced_seq} est référencée : des écritures ont été supprimées à la fin"
            ),
            ChainBreak::HeadMismatch { last_seq, head_seq } => format!(
                "le journal s'arrête à l'écriture {last_seq} mais sa tête enregistrée est l'écriture {head_seq} : la fin a été remplacée ou écrite hors de cadodesk"
            ),
            ChainBreak::DerivedMismatch {
                table,
                key,
                column,
                seq,
                found,
                expected,
            } => format!(
                "table {table}, ligne {key}, colonne {column} : {found} trouvé, le journal donne {expected} (écriture {seq}) : la table a été modifiée"
            ),
            ChainBreak::GuardChanged { trigger, change } => format!(
                "la protection {trigger} du journal a été {} : le journal a pu être réécrit pendant qu'il n'était pas protégé",
                match *change {
                    "removed" => "supprimée",
                    "altered" => "modifiée",
                    _ => "ajoutée",
                }
            ),
            ChainBreak::SealBroken { seq } => format!(
                "le sceau de l'écriture {seq} ne tient plus : l'écriture {seq} (ou la chaîne jusqu'à elle) a été réécrite sans la clé du journal ; les écritures précédentes sont scellées et saines"
            ),
            ChainBreak::SealMissing { seq } => format!(
                "l'écriture {seq} n'a pas de sceau alors que le journal est scellé : des sceaux ont été supprimés"
            ),
            ChainBreak::KeyChanged { seq, key_id } => format!(
                "écriture {seq} : la clé de scellement est devenue {key_id} sans l'aval de la précédente : les écritures à partir de {seq} ont pu être rescellées par quelqu'un d'autre (ou le trousseau a été perdu)"
            ),
            ChainBreak::SealedLate { first_key_seq } => format!(
                "les écritures 1 à {} ont été écrites avant que le journal ne nomme sa clé (écriture {first_key_seq}) : elles ont pu être réécrites avant",
                first_key_seq - 1
            ),
            ChainBreak::KeyNotHeld {
                journal_key,
                held_key,
            } if journal_key.is_empty() => format!(
                "le journal ne nomme aucune clé de scellement, mais cette caisse scelle avec la clé {held_key} : sa clé et ses sceaux ont été supprimés"
            ),
            ChainBreak::KeyNotHeld {
                journal_key,
                held_key,
            } => format!(
                "le journal est scellé par la clé {journal_key}, mais cette caisse détient la clé {held_key} : il a été rescellé par quelqu'un d'autre"
            ),
        }
    }
}
