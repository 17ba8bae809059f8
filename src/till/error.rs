//! Why a use case refused or failed, in the cashier's words.

use thiserror::Error;

use super::gateway::GatewayError;
use super::manager::PinRule;
use crate::domain::{Amount, AmountError, CheckoutState, InvalidId, RefundState};
use crate::i18n::{Lang, Localize, capitalise};
use crate::ledger::LedgerError;
use crate::ledger::export::ExportError;
use crate::vault::VaultError;

/// Why a use case refused or failed. Each variant names the field or the cause, and the fix.
#[derive(Debug, Error)]
pub enum TillError {
    /// The amount typed is not usable.
    #[error("amount: {0}")]
    Amount(#[from] AmountError),
    /// An id typed or read is not an id of its kind.
    #[error(transparent)]
    InvalidId(#[from] InvalidId),
    /// The operator's name is not a name.
    #[error(
        "operator '{0}': use 1 to 40 letters, digits, spaces or - _ . ' starting with a letter or a digit"
    )]
    OperatorInvalid(String),
    /// A period's first day comes after its last.
    #[error("period: the first day ({from}) comes after the last ({to}): give --from before --to")]
    RangeReversed {
        /// The first day given.
        from: chrono::NaiveDate,
        /// The last day given.
        to: chrono::NaiveDate,
    },
    /// The order reference is not 1–40 letters, digits, - _ or . characters.
    #[error("order reference '{0}': use 1 to 40 letters, digits or - _ . (no accents)")]
    ReferenceInvalid(String),
    /// The order reference is already used.
    #[error("order reference '{0}' is already used: choose another or leave it empty to get one")]
    ReferenceTaken(String),
    /// The e-mail does not look like one.
    #[error("e-mail '{0}': type an address such as name@example.fr, or leave it empty")]
    EmailInvalid(String),
    /// The return URL is not absolute.
    #[error("return URL '{0}': use a full address starting with https:// (at most 200 characters)")]
    ReturnUrlInvalid(String),
    /// The locale is not like `fr_FR`.
    #[error("locale '{0}': use a code such as fr_FR or en_GB")]
    LocaleInvalid(String),
    /// No reason given for a refund.
    #[error("reason: a refund needs a reason (for example \"article returned\")")]
    ReasonMissing,
    /// The reason is too long for the platform.
    #[error("reason: {0} characters, at most 100: shorten it")]
    ReasonTooLong(usize),
    /// No reason given to cancel a sale.
    #[error("reason: cancelling a sale needs a reason (for example \"wrong amount\")")]
    AbandonReasonMissing,
    /// A paid sale is refunded, never cancelled.
    #[error("sale {0} is paid: it cannot be cancelled; refund it instead (refund all)")]
    SalePaid(String),
    /// The sale is over already (cancelled by the customer, expired, rejected): nothing is left to cancel.
    #[error("sale {reference} is {state}: it is over, there is nothing to cancel")]
    SaleClosed {
        /// The sale's reference.
        reference: String,
        /// Where it stands.
        state: CheckoutState,
    },
    /// The sale was cancelled already.
    #[error("sale {0} was already cancelled at the till: there is nothing more to cancel")]
    SaleAbandoned(String),
    /// No such checkout in the ledger.
    #[error("checkout {0} is not in this till's ledger: check the id, or run reconcile")]
    UnknownCheckout(String),
    /// No such payment in the ledger.
    #[error(
        "payment {0} is not in this till's ledger: check the id, or refresh its checkout first"
    )]
    UnknownPayment(String),
    /// Neither this till nor the centre holds the tender.
    #[error(
        "payment {0} is neither in this till's ledger nor at the centre: check the id; a sale made at another till can be refunded here once that till has sent it to the centre (`cadodesk sync` there)"
    )]
    NotAtCentre(String),
    /// A sale the centre does not hold yet, whose reference names the till that made it.
    #[error(
        "sale {sale} was made at till {till}, which has not sent it to the centre yet: run `cadodesk sync` there (or wait for its next sync), then try again"
    )]
    NotSentYet {
        /// The sale's reference.
        sale: String,
        /// The till that holds it.
        till: String,
    },
    /// The centre, needed for a refund, cannot be reached.
    #[error(
        "refund refused: the central ledger cannot be reached ({0}), and a refund needs it to count every till's refunds; nothing was sent, try again once the network is back"
    )]
    CentralUnreachable(String),
    /// The tender was not captured.
    #[error("payment {payment_id} was not captured (status {status}): there is nothing to refund")]
    NotRefundable {
        /// The tender.
        payment_id: String,
        /// Its status.
        status: String,
    },
    /// Not enough left on the tender.
    #[error("amount: only {} is left to refund on payment {payment_id}", .left.fr())]
    NotEnoughLeft {
        /// The tender.
        payment_id: String,
        /// What is left.
        left: Amount,
    },
    /// Another refund on this tender has no answer yet.
    #[error(
        "refund n°{number} on payment {payment_id} is still waiting for the platform's answer: wait, or run `cadodesk resume`"
    )]
    RefundInFlight {
        /// The tender.
        payment_id: String,
        /// The refund waiting.
        number: i64,
    },
    /// No refund with that number or key in the ledger.
    #[error(
        "refund '{0}' is not in this till's ledger: give its number (n°) as `refunds` lists it"
    )]
    UnknownRefund(String),
    /// Only a refund without an answer can be closed.
    #[error("refund n°{number} is {state}, not waiting for an answer: there is nothing to close")]
    RefundNotOpen {
        /// The refund.
        number: i64,
        /// Its state.
        state: RefundState,
    },
    /// The platform shows the refund: it was carried out and cannot be closed.
    #[error(
        "refund n°{number} exists on the platform ({refund_id}, {status}): it was recorded and cannot be closed"
    )]
    RefundOnPlatform {
        /// The refund.
        number: i64,
        /// The platform's id.
        refund_id: String,
        /// The platform's status.
        status: String,
    },
    /// Another process is sending (or retrying) the refund: it cannot be closed now.
    #[error(
        "refund n°{number} is being sent to the platform by another cadodesk process: it cannot be closed while it may still be carried out; wait for its answer, or try again after {}",
        .until.with_timezone(&chrono_tz::Europe::Paris).format("%H:%M:%S")
    )]
    RefundBeingSent {
        /// The refund.
        number: i64,
        /// When the sender's claim ends at the latest.
        until: chrono::DateTime<chrono::Utc>,
    },
    /// The rule asks for the manager PIN and none was given.
    #[error(
        "manager PIN: {} need the manager's PIN; give it (on the command line: --manager-pin-stdin, one line on standard input)",
        rule_en(.rule)
    )]
    PinRequired {
        /// The rule in force.
        rule: PinRule,
    },
    /// The rule asks for the manager PIN and no PIN is set yet.
    #[error(
        "manager PIN: {} need the manager's PIN and none is set: set one first (`cadodesk pin set`, or Settings)",
        rule_en(.rule)
    )]
    PinNotSet {
        /// The rule in force.
        rule: PinRule,
    },
    /// The PIN given is not the manager's.
    #[error("manager PIN: wrong PIN; {tries_left} more wrong PIN(s) lock it for 15 minutes")]
    PinWrong {
        /// Wrong PINs left before the lock.
        tries_left: usize,
    },
    /// Too many wrong PINs in a row.
    #[error(
        "manager PIN: locked after too many wrong PINs; try again after {}",
        .until.with_timezone(&chrono_tz::Europe::Paris).format("%H:%M")
    )]
    PinLocked {
        /// When the lock ends.
        until: chrono::DateTime<chrono::Utc>,
    },
    /// Changing the PIN or its rule without the current PIN.
    #[error(
        "current PIN: changing the manager PIN or its rule needs the current PIN (first line on standard input, or the Settings field)"
    )]
    PinCurrentNeeded,
    /// The till code is not 1 to 8 capital letters or digits.
    #[error("till code '{0}': use 1 to 8 capital letters or digits, such as T01")]
    TillCodeInvalid(String),
    /// The shop's name or address holds a line break or another control character, or is too long.
    #[error("{field}: one line of at most {max} characters, without control characters")]
    TillTextInvalid {
        /// `shop` or `address`.
        field: &'static str,
        /// Its longest length.
        max: usize,
    },
    /// The till code is on closings already.
    #[error(
        "till code: this till is {0} on its closings already; its code cannot change (the shop and address can)"
    )]
    TillCodeFixed(String),
    /// The PIN threshold typed is not an amount.
    #[error("threshold: {}", .0.localize(Lang::En))]
    ThresholdInvalid(AmountError),
    /// The new PIN is not 4 to 12 digits.
    #[error("new PIN: use 4 to 12 digits")]
    PinUnacceptable,
    /// An order-level amount cannot be split across tenders.
    #[error("amount: {0}")]
    Allocation(String),
    /// The platform refused the request.
    #[error("the platform refused: {}", .0.detail())]
    Refused(#[source] Box<GatewayError>),
    /// The platform refused the credentials.
    #[error(
        "the platform refused the credentials ({}): check the merchant id, API key id and secret",
        .0.detail()
    )]
    Unauthorized(#[source] Box<GatewayError>),
    /// The platform did not answer.
    #[error(
        "the platform did not answer ({}): check the connection; nothing is lost, it will be read again",
        .0.detail()
    )]
    Unreachable(#[source] Box<GatewayError>),
    /// The platform answered with a value that cannot be read.
    #[error(
        "the platform's answer could not be read ({}): nothing was recorded from it; it will be read again",
        .0.detail()
    )]
    Unreadable(#[source] Box<GatewayError>),
    /// A refund was sent, but what came back could not be written (a full disk): it is settled later, with its
    /// own key.
    #[error(
        "refund n°{number} was sent to the platform but its answer could not be written ({}): free some space, then run `cadodesk resume`, which settles it with the same key (never refund it again)",
        in_brief(.cause)
    )]
    AnswerNotRecorded {
        /// The refund.
        number: i64,
        /// What the ledger said.
        #[source]
        cause: LedgerError,
    },
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The export failed.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// The keychain failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// A document would overwrite a file.
    #[error(
        "output {0}: the file exists; choose another name (nothing is ever written over a file)"
    )]
    OutputExists(String),
    /// No closing of that kind and number.
    #[error("closing: no {kind} closing{} yet; see `cadodesk closings`", .number.map(|n| format!(" n°{n}")).unwrap_or_default())]
    NoSuchClosing {
        /// `day`, `month` or `year`.
        kind: &'static str,
        /// The number asked for.
        number: Option<i64>,
    },
    /// An archive could not be made.
    #[error(transparent)]
    Archive(#[from] super::archive::ArchiveError),
    /// The configuration is not usable.
    #[error("configuration: {0}")]
    Config(String),
}

/// The PIN rule in the English sentence of an error: "refunds above 50,00 € on one sale" or "all refunds".
fn rule_en(rule: &PinRule) -> String {
    match (rule.always, rule.threshold) {
        (true, _) | (false, None) => "all refunds".into(),
        (false, Some(t)) => format!("refunds above {} on one sale", t.en()),
    }
}

fn rule_fr(rule: &PinRule) -> String {
    match (rule.always, rule.threshold) {
        (true, _) | (false, None) => "tous les remboursements".into(),
        (false, Some(t)) => format!("les remboursements de plus de {} sur une vente", t.fr()),
    }
}

/// A ledger failure in a few words, without its own advice (the caller gives the right one).
fn in_brief(e: &LedgerError) -> String {
    match e {
        LedgerError::DiskFull => "the disk is full".into(),
        LedgerError::Io { .. } => "disk I/O error".into(),
        other => other.to_string(),
    }
}

impl TillError {
    /// The manager PIN was refused, missing or locked: nothing was done, the PIN can be typed again.
    pub fn is_pin_refusal(&self) -> bool {
        matches!(
            self,
            TillError::PinRequired { .. }
                | TillError::PinNotSet { .. }
                | TillError::PinWrong { .. }
                | TillError::PinLocked { .. }
                | TillError::PinCurrentNeeded
        )
    }

    pub(crate) fn from_gateway(e: GatewayError) -> TillError {
        match e {
            GatewayError::Declined { .. } | GatewayError::Refused { .. } => {
                TillError::Refused(Box::new(e))
            }
            GatewayError::Unauthorized { .. } => TillError::Unauthorized(Box::new(e)),
            GatewayError::InProgress | GatewayError::Unreachable { .. } => {
                TillError::Unreachable(Box::new(e))
            }
            GatewayError::Unreadable { .. } => TillError::Unreadable(Box::new(e)),
        }
    }

    pub(crate) fn from_ledger(e: LedgerError) -> TillError {
        match e {
            LedgerError::NotEnoughLeft { payment_id, left } => {
                TillError::NotEnoughLeft { payment_id, left }
            }
            LedgerError::RefundInFlight { payment_id, number } => {
                TillError::RefundInFlight { payment_id, number }
            }
            LedgerError::UnknownTender(p) => TillError::UnknownPayment(p),
            LedgerError::UnknownCheckout(c) => TillError::UnknownCheckout(c),
            other => TillError::Ledger(other),
        }
    }
}

impl Localize for TillError {
    fn localize(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return match self {
                TillError::Amount(e) => format!("Amount: {}", e.localize(Lang::En)),
                TillError::Ledger(e) => e.localize(lang),
                TillError::Export(e) => e.localize(lang),
                TillError::Archive(e) => e.localize(lang),
                TillError::Vault(e) => e.localize(lang),
                other => capitalise(other.to_string()),
            };
        }
        match self {
            TillError::Amount(e) => format!("Montant : {}", e.localize(Lang::Fr)),
            TillError::OperatorInvalid(o) => format!(
                "Opérateur « {o} » : utilisez 1 à 40 lettres, chiffres, espaces ou - _ . ' en commençant par une lettre ou un chiffre"
            ),
            TillError::RangeReversed { from, to } => format!(
                "Période : le premier jour ({}) est après le dernier ({}) : mettez le premier jour en premier",
                from.format("%d/%m/%Y"),
                to.format("%d/%m/%Y")
            ),
            TillError::InvalidId(e) => format!(
                "« {} » n'est pas un identifiant valide ({}) : utilisez l'identifiant que donne la plateforme, fait de lettres, de chiffres, - ou _",
                e.value, e.what
            ),
            TillError::ReferenceInvalid(r) => format!(
                "Référence de commande « {r} » : utilisez 1 à 40 lettres, chiffres ou - _ . (sans accents)"
            ),
            TillError::ReferenceTaken(r) => format!(
                "La référence de commande « {r} » est déjà utilisée : choisissez-en une autre ou laissez vide pour en obtenir une"
            ),
            TillError::EmailInvalid(e) => format!(
                "E-mail « {e} » : saisissez une adresse comme nom@exemple.fr, ou laissez vide"
            ),
            TillError::ReturnUrlInvalid(u) => format!(
                "URL de retour « {u} » : utilisez une adresse complète commençant par https:// (200 caractères au plus)"
            ),
            TillError::LocaleInvalid(l) => {
                format!("Langue de la page « {l} » : utilisez un code comme fr_FR ou en_GB")
            }
            TillError::ReasonMissing => {
                "Motif : un remboursement demande un motif (par exemple « article rendu »)".into()
            }
            TillError::ReasonTooLong(n) => {
                format!("Motif : {n} caractères, 100 au plus : raccourcissez-le")
            }
            TillError::AbandonReasonMissing => {
                "Motif : annuler une vente demande un motif (par exemple « montant erroné »)".into()
            }
            TillError::SalePaid(c) => format!(
                "La vente {c} est payée : elle ne s'annule pas, remboursez-la (« Rembourser tout »)"
            ),
            TillError::SaleClosed { reference, state } => format!(
                "La vente {reference} est terminée ({}) : il n'y a rien à annuler",
                state.label(Lang::Fr)
            ),
            TillError::SaleAbandoned(c) => {
                format!("La vente {c} est déjà annulée à la caisse : il n'y a plus rien à annuler")
            }
            TillError::UnknownCheckout(c) => format!(
                "La commande {c} n'est pas dans le journal de cette caisse : vérifiez l'identifiant ou lancez un rapprochement"
            ),
            TillError::UnknownPayment(p) => format!(
                "Le paiement {p} n'est pas dans le journal de cette caisse : vérifiez l'identifiant ou actualisez d'abord sa commande"
            ),
            TillError::NotAtCentre(p) => format!(
                "Le paiement {p} n'est ni dans le journal de cette caisse ni au serveur central : vérifiez l'identifiant ; une vente d'une autre caisse se rembourse ici une fois que cette caisse l'a envoyée au serveur central (« cadodesk sync » sur celle-ci)"
            ),
            TillError::NotSentYet { sale, till } => format!(
                "La vente {sale} a été faite à la caisse {till}, qui ne l'a pas encore envoyée au serveur central : lancez « cadodesk sync » sur celle-ci (ou attendez son prochain envoi), puis réessayez"
            ),
            TillError::CentralUnreachable(d) => format!(
                "Remboursement refusé : le serveur central est injoignable ({d}), or un remboursement en a besoin pour compter ceux de toutes les caisses ; rien n'a été envoyé, réessayez quand le réseau est revenu"
            ),
            TillError::NotRefundable { payment_id, status } => format!(
                "Le paiement {payment_id} n'a pas été encaissé (statut {status}) : il n'y a rien à rembourser"
            ),
            TillError::NotEnoughLeft { payment_id, left } => format!(
                "Montant : il ne reste que {} à rembourser sur le paiement {payment_id}",
                left.fr()
            ),
            TillError::RefundInFlight { payment_id, number } => format!(
                "Le remboursement n°{number} du paiement {payment_id} attend encore la réponse de la plateforme : patientez, ou lancez « cadodesk resume »"
            ),
            TillError::UnknownRefund(r) => format!(
                "Le remboursement « {r} » n'est pas dans le journal de cette caisse : indiquez son numéro (n°) tel que la liste des remboursements l'affiche"
            ),
            TillError::RefundNotOpen { number, state } => format!(
                "Le remboursement n°{number} est « {} », il n'attend pas de réponse : il n'y a rien à clore",
                state.label(Lang::Fr)
            ),
            TillError::RefundOnPlatform {
                number,
                refund_id,
                status,
            } => format!(
                "Le remboursement n°{number} existe chez la plateforme ({refund_id}, {status}) : il a été enregistré et ne peut pas être clos"
            ),
            TillError::RefundBeingSent { number, until } => format!(
                "Le remboursement n°{number} est en cours d'envoi à la plateforme par un autre processus cadodesk : il ne peut pas être clos tant qu'il peut encore aboutir ; attendez sa réponse, ou réessayez après {}",
                until
                    .with_timezone(&chrono_tz::Europe::Paris)
                    .format("%H:%M:%S")
            ),
            TillError::PinRequired { rule } => format!(
                "Code responsable : {} demandent le code du responsable ; saisissez-le",
                rule_fr(rule)
            ),
            TillError::PinNotSet { rule } => format!(
                "Code responsable : {} demandent le code du responsable et aucun n'est défini : définissez-le d'abord dans Réglages",
                rule_fr(rule)
            ),
            TillError::PinWrong { tries_left } => format!(
                "Code responsable incorrect : encore {tries_left} erreur(s) et il sera bloqué 15 minutes"
            ),
            TillError::PinLocked { until } => format!(
                "Code responsable bloqué après trop d'erreurs : réessayez après {}",
                until
                    .with_timezone(&chrono_tz::Europe::Paris)
                    .format("%H:%M")
            ),
            TillError::PinCurrentNeeded => {
                "Code actuel : changer le code responsable ou sa règle demande le code actuel"
                    .into()
            }
            TillError::PinUnacceptable => "Nouveau code : utilisez 4 à 12 chiffres".into(),
            TillError::TillCodeInvalid(c) => format!(
                "Code de caisse « {c} » : utilisez 1 à 8 lettres majuscules ou chiffres, comme T01"
            ),
            TillError::TillTextInvalid { field, max } => format!(
                "{} : une seule ligne de {max} caractères au plus, sans caractère de contrôle",
                if *field == "shop" {
                    "Nom du magasin"
                } else {
                    "Adresse"
                }
            ),
            TillError::TillCodeFixed(c) => format!(
                "Code de caisse : cette caisse est {c} sur ses clôtures ; son code ne peut plus changer (le nom et l'adresse du magasin, si)"
            ),
            TillError::ThresholdInvalid(e) => format!("Seuil : {}", e.localize(Lang::Fr)),
            TillError::Allocation(m) => format!("Montant : {m}"),
            TillError::Refused(e) => format!("La plateforme a refusé : {}", e.detail()),
            TillError::Unauthorized(e) => format!(
                "La plateforme a refusé les identifiants ({}) : vérifiez l'identifiant marchand, la clé d'API et son secret",
                e.detail()
            ),
            TillError::Unreachable(e) => format!(
                "La plateforme n'a pas répondu ({}) : vérifiez la connexion ; rien n'est perdu, ce sera relu",
                e.detail()
            ),
            TillError::Unreadable(e) => format!(
                "La réponse de la plateforme est illisible ({}) : rien n'en a été enregistré ; elle sera relue",
                e.detail()
            ),
            TillError::AnswerNotRecorded { number, cause } => format!(
                "Le remboursement n°{number} a été envoyé à la plateforme mais sa réponse n'a pas pu être écrite ({}) : libérez de la place puis lancez « cadodesk resume », qui le règle avec la même clé (ne le refaites jamais)",
                match cause {
                    LedgerError::DiskFull => "disque plein".to_string(),
                    LedgerError::Io { .. } => "erreur d'écriture du disque".to_string(),
                    other => other.localize(Lang::Fr),
                }
            ),
            TillError::Ledger(e) => e.localize(lang),
            TillError::Export(e) => e.localize(lang),
            TillError::Archive(e) => e.localize(lang),
            TillError::OutputExists(p) => format!(
                "Fichier {p} : il existe déjà ; choisissez un autre nom (rien n'est jamais écrit par-dessus un fichier)"
            ),
            TillError::NoSuchClosing { kind, number } => format!(
                "Clôture : aucune clôture {}{} pour l'instant ; voyez la liste des clôtures",
                match *kind {
                    "day" => "journalière",
                    "month" => "mensuelle",
                    _ => "annuelle",
                },
                number.map(|n| format!(" n°{n}")).unwrap_or_default()
            ),
            TillError::Vault(e) => e.localize(lang),
            TillError::Config(m) => format!("Configuration : {m}"),
        }
    }
}
