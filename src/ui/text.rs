//! Every word the app shows, in French and English, in one table. Panels never write a sentence inline: they
//! pick from here, so a translation is one edit and nothing is half-translated.

use crate::i18n::Lang;

/// One text in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tx {
    /// French.
    pub fr: &'static str,
    /// English.
    pub en: &'static str,
}

impl Tx {
    /// The text in the given language.
    pub fn get(self, lang: Lang) -> &'static str {
        lang.pick(self.fr, self.en)
    }
}

const fn tx(fr: &'static str, en: &'static str) -> Tx {
    Tx { fr, en }
}

// Top bar and tabs.
/// App name in the top bar.
pub const APP_NAME: Tx = tx("cadodesk", "cadodesk");
/// Badge shown while the embedded sandbox is in use.
pub const SANDBOX_BADGE: Tx = tx("SANDBOX", "SANDBOX");
/// Tooltip of the badge.
pub const SANDBOX_BADGE_HINT: Tx = tx(
    "Bac à sable intégré : aucun argent réel n'est encaissé.",
    "Embedded sandbox: no real money is taken.",
);
/// Badge shown on Worldline's test platform.
pub const PREPROD_BADGE: Tx = tx("TEST WORLDLINE", "WORLDLINE TEST");
/// Badge shown in production.
pub const PROD_BADGE: Tx = tx("PRODUCTION", "PRODUCTION");
/// Tab: cashier.
pub const TAB_CASHIER: Tx = tx("Caisse", "Counter");
/// Tab: transactions.
pub const TAB_TRANSACTIONS: Tx = tx("Transactions", "Transactions");
/// Tab: refund ledger.
pub const TAB_REFUNDS: Tx = tx("Remboursements", "Refunds");
/// Tab: settings.
pub const TAB_SETTINGS: Tx = tx("Réglages", "Settings");
/// Tab: journal.
pub const TAB_JOURNAL: Tx = tx("Journal", "Journal");
/// Tab.
pub const TAB_CLOSINGS: Tx = tx("Clôtures", "Closings");
/// No page for the phone outside the sandbox.
pub const NO_PHONE_PAGE: Tx = tx(
    "Le reçu sur téléphone passe par le bac à sable intégré ; avec Worldline, utilisez « Reçu » dans le détail de la vente (un PDF)",
    "The phone receipt goes through the embedded sandbox; with Worldline, use \"Receipt\" in the sale's detail (a PDF)",
);
/// A phone receipt that was not published.
pub const RECEIPT_FAILED_PHONE: Tx = tx(
    "Le reçu n'a pas pu être préparé pour le téléphone (détail ci-dessous)",
    "The receipt could not be prepared for the phone (details below)",
);
/// A test page without a printer.
pub const NO_PRINTER: Tx = tx(
    "Aucune imprimante des reçus n'est choisie : tapez son adresse et choisissez-la d'abord",
    "No receipt printer is chosen: type its address and use it first",
);
/// A backup that was not made.
pub const BACKUP_FAILED: Tx = tx(
    "La sauvegarde n'a pas été faite (détail ci-dessous) : choisissez un autre fichier ou un autre disque",
    "The backup was not made (details below): choose another file or another disk",
);
/// Tab title: every till, read from the central ledger.
pub const TAB_ALL_TILLS: Tx = tx("Toutes les caisses", "All tills");
/// A till without a central ledger.
pub const NO_CENTRE: Tx = tx(
    "Cette caisse n'a pas de serveur central : lancez « cadodesk central connect »",
    "This till has no central ledger: run `cadodesk central connect`",
);
/// Heading.
pub const CLOSINGS_HEADING: Tx = tx("Clôtures", "Closings");
/// Explanation.
pub const CLOSINGS_EXPLAIN: Tx = tx(
    "Chaque clôture fige les totaux de sa période et le total perpétuel, scellés dans le journal. Une journée restée ouverte est clôturée au démarrage suivant ; les mois et les exercices le sont quand ils sont finis.",
    "Each closing freezes its period's totals and the perpetual total, sealed in the journal. A day left open is closed at the next start; months and fiscal years are closed once they have ended.",
);
/// Button.
pub const CLOSE_DAY: Tx = tx("Clôturer la journée", "Close the day");
/// Confirmation title.
pub const CLOSE_DAY_CONFIRM: Tx = tx(
    "Clôturer la journée avec ces totaux ?",
    "Close the day with these totals?",
);
/// Confirm.
pub const CLOSE_DAY_YES: Tx = tx("Confirmer la clôture", "Confirm the closing");
/// Done.
pub const DAY_CLOSED: Tx = tx("Journée clôturée", "Day closed");
/// Empty list.
pub const NO_CLOSINGS: Tx = tx("Aucune clôture pour l'instant.", "No closing yet.");
/// Shown while the worker starts the sandbox and opens the ledger.
pub const STARTING: Tx = tx("Démarrage…", "Starting…");
/// Shown when the start failed.
pub const START_FAILED: Tx = tx(
    "La caisse n'a pas pu démarrer.",
    "The till could not start.",
);
/// Next to the spinner while a sale is still watched (in progress, or partially paid).
pub const WATCHING: Tx = tx("Suivi en cours", "Being watched");
/// Shown when the last run's unfinished refunds and sales could not be settled at start.
pub const RESUME_FAILED: Tx = tx(
    "Les opérations inachevées de la dernière session n'ont pas pu être reprises ; la caisse réessaie toute seule.",
    "The last session's unfinished operations could not be settled; the till keeps trying by itself.",
);
/// Collapsing header with the technical detail of an error.
pub const DETAILS: Tx = tx("Détails techniques", "Technical details");
/// Operator label in the top bar.
pub const OPERATOR: Tx = tx("Opérateur", "Operator");

// Cashier.
/// Cashier heading.
pub const NEW_SALE_HEADING: Tx = tx("Nouvel encaissement", "New sale");
/// Amount field label.
pub const AMOUNT: Tx = tx("Montant", "Amount");
/// Reference field label.
pub const REFERENCE: Tx = tx("Référence", "Reference");
/// Hint under the reference field.
pub const REFERENCE_HINT: Tx = tx(
    "facultatif : une référence est générée",
    "optional: one is generated",
);
/// E-mail field label.
pub const EMAIL: Tx = tx("E-mail du client", "Customer e-mail");
/// Hint for optional fields.
pub const OPTIONAL: Tx = tx("facultatif", "optional");
/// Create the checkout.
pub const CREATE_PAYMENT: Tx = tx("Encaisser", "Charge");
/// Shown while the checkout is created.
pub const CREATING: Tx = tx("Création du paiement…", "Creating the payment…");
/// Open the hosted page in the browser.
pub const OPEN_PAYMENT_PAGE: Tx = tx("Ouvrir la page de paiement", "Open the payment page");
/// Under the QR code.
pub const QR_HINT: Tx = tx(
    "Le client peut aussi scanner ce code avec son téléphone.",
    "The customer can also scan this code with their phone.",
);
/// Refresh the status.
pub const REFRESH: Tx = tx("Rafraîchir", "Refresh");
/// Start a new sale.
pub const NEW_SALE: Tx = tx("Nouvelle vente", "New sale");
/// Copy a value.
pub const COPY: Tx = tx("Copier", "Copy");
/// Hand out a sale's receipt or a refund's note (the first print).
pub const RECEIPT: Tx = tx("Reçu", "Receipt");
/// Print a copy of it.
pub const RECEIPT_COPY: Tx = tx("Duplicata", "Duplicate");
/// Hand out a refund's note, from the refund dialog.
pub const REFUND_NOTE: Tx = tx("Note de remboursement", "Refund note");
/// A receipt was handed out.
pub const RECEIPT_DONE: Tx = tx("Remis", "Handed out");
/// Status label.
pub const STATUS: Tx = tx("Statut", "Status");
/// The big paid moment.
pub const PAID_BIG: Tx = tx("Payé", "Paid");
/// Breakdown heading.
pub const TENDERS: Tx = tx("Moyens de paiement", "Tenders");
/// No tender yet.
pub const NO_TENDER_YET: Tx = tx(
    "Le client n'a encore rien payé.",
    "The customer has not paid anything yet.",
);
/// Left to pay.
pub const LEFT_TO_PAY: Tx = tx("Reste à payer", "Left to pay");
/// Checkout id label.
pub const CHECKOUT_ID: Tx = tx("N° de paiement Worldline", "Worldline checkout id");
/// The browser could not open.
pub const BROWSER_FAILED: Tx = tx(
    "Le navigateur n'a pas pu s'ouvrir : faites scanner le QR code, ou copiez le lien.",
    "The browser could not open: let the customer scan the QR code, or copy the link.",
);
/// Copy the payment link.
pub const COPY_LINK: Tx = tx("Copier le lien", "Copy the link");
/// The e-mail does not look like one.
pub const EMAIL_INVALID: Tx = tx(
    "Cet e-mail n'est pas valide : il faut une adresse comme client@exemple.fr, ou laissez vide.",
    "This e-mail is not valid: type an address such as customer@example.com, or leave it empty.",
);
/// The reference is too long.
pub const REFERENCE_TOO_LONG: Tx = tx(
    "La référence fait plus de 40 caractères : raccourcissez-la.",
    "The reference is longer than 40 characters: shorten it.",
);

// Statuses.
/// Checkout in progress.
pub const ST_IN_PROGRESS: Tx = tx("En cours", "In progress");
/// Checkout paid.
pub const ST_PAID: Tx = tx("Payé", "Paid");
/// Checkout partially paid.
pub const ST_PARTIALLY_PAID: Tx = tx("Payé en partie", "Partially paid");
/// Checkout cancelled.
pub const ST_CANCELLED: Tx = tx("Annulé", "Cancelled");
/// Checkout expired.
pub const ST_EXPIRED: Tx = tx("Expiré", "Expired");
/// Checkout rejected.
pub const ST_REJECTED: Tx = tx("Refusé", "Declined");
/// Refund asked.
pub const RS_REQUESTED: Tx = tx("Demandé", "Requested");
/// Refund in progress at the platform.
pub const RS_PENDING: Tx = tx("En attente", "Pending");
/// Heading of the sales still open, under the counter's form.
pub const OPEN_SALES: Tx = tx("Ventes en cours", "Open sales");
/// Button: show an open sale again (followed by its reference).
pub const TAKE_UP_SALE: Tx = tx("Reprendre", "Take up");
/// Button: cancel an open sale.
pub const CANCEL_SALE: Tx = tx("Annuler la vente", "Cancel the sale");
/// The question before a sale is cancelled.
pub const CANCEL_SALE_ASK: Tx = tx(
    "Annuler cette vente ? Sa page de paiement ne sera plus proposée ; une carte seulement autorisée est annulée.",
    "Cancel this sale? Its payment page will no longer be offered; a card only authorised is cancelled.",
);
/// Field: why the sale is cancelled.
pub const CANCEL_REASON: Tx = tx("Motif de l'annulation", "Reason for cancelling");
/// Hint of the reason field.
pub const CANCEL_REASON_HINT: Tx = tx("par exemple : montant erroné", "for example: wrong amount");
/// Button: confirm the cancellation.
pub const CANCEL_CONFIRM: Tx = tx("Confirmer l'annulation", "Confirm the cancellation");
/// Button: keep the sale.
pub const CANCEL_KEEP: Tx = tx("Garder la vente", "Keep the sale");
/// A sale cancelled at the till, with its reason.
pub const SALE_CANCELLED: Tx = tx("Vente annulée", "Sale cancelled");
/// Banner: a sale cancelled and paid anyway.
pub const PAID_AFTER_CANCEL: Tx = tx(
    "Payée après annulation : à rembourser",
    "Paid after its cancellation: to refund",
);
/// Button: refund everything that is left.
pub const REFUND_EVERYTHING: Tx = tx("Rembourser tout", "Refund all");
/// Refund done.
pub const RS_REFUNDED: Tx = tx("Remboursé", "Refunded");
/// Refund declined.
pub const RS_DECLINED: Tx = tx("Refusé", "Declined");
/// Refund outcome not known yet.
pub const RS_UNKNOWN: Tx = tx("Inconnu (vérification en cours)", "Unknown (being checked)");
/// Any status.
pub const ANY_STATUS: Tx = tx("Tous les statuts", "Any status");

// Transactions.
/// Column: date.
pub const COL_DATE: Tx = tx("Date", "Date");
/// Column: reference.
pub const COL_REFERENCE: Tx = tx("Référence", "Reference");
/// Column: amount.
pub const COL_AMOUNT: Tx = tx("Montant", "Amount");
/// Column: status.
pub const COL_STATUS: Tx = tx("Statut", "Status");
/// Column: paid.
pub const COL_PAID: Tx = tx("Payé", "Paid");
/// Column: refunded.
pub const COL_REFUNDED: Tx = tx("Remboursé", "Refunded");
/// Column: still refundable.
pub const COL_REFUNDABLE: Tx = tx("Remboursable", "Refundable");
/// Column: operator.
pub const COL_OPERATOR: Tx = tx("Opérateur", "Operator");
/// Filter: from date.
pub const FROM: Tx = tx("Du", "From");
/// Filter: to date.
pub const TO: Tx = tx("au", "to");
/// Filter: search text.
pub const SEARCH: Tx = tx("Rechercher", "Search");
/// Hint for the search field.
pub const SEARCH_HINT: Tx = tx(
    "référence, e-mail, n° de paiement",
    "reference, e-mail, payment id",
);
/// Apply filters.
pub const APPLY: Tx = tx("Appliquer", "Apply");
/// Date format hint.
pub const DATE_HINT: Tx = tx("AAAA-MM-JJ", "YYYY-MM-DD");
/// Bad date.
pub const DATE_INVALID: Tx = tx(
    "Date invalide : utilisez la forme 2026-11-26, ou laissez vide.",
    "Invalid date: use the form 2026-11-26, or leave it empty.",
);
/// Number of rows.
pub const ROWS: Tx = tx("ligne(s)", "row(s)");
/// Nothing selected.
pub const SELECT_A_ROW: Tx = tx(
    "Choisissez une ligne pour voir son détail.",
    "Pick a row to see its detail.",
);
/// Detail heading.
pub const DETAIL: Tx = tx("Détail", "Detail");
/// Timeline heading.
pub const TIMELINE: Tx = tx("Historique", "Timeline");
/// Refunds heading in the detail.
pub const REFUNDS_OF_SALE: Tx = tx("Remboursements de la vente", "Refunds of this sale");
/// Worldline ids heading.
pub const WORLDLINE_IDS: Tx = tx("Identifiants Worldline", "Worldline ids");
/// Refund button.
pub const REFUND: Tx = tx("Rembourser", "Refund");
/// Refund the whole sale.
pub const REFUND_ORDER: Tx = tx(
    "Rembourser un montant de la vente",
    "Refund an amount of the sale",
);
/// Shown while loading.
pub const LOADING: Tx = tx("Chargement…", "Loading…");
/// Marks a refund made outside the app.
pub const EXTERNAL: Tx = tx("hors caisse", "made elsewhere");
/// Payment id label.
pub const PAYMENT_ID: Tx = tx("N° de paiement", "Payment id");
/// Refund id label.
pub const REFUND_ID: Tx = tx("N° de remboursement", "Refund id");
/// E-mail label in the detail.
pub const EMAIL_SHORT: Tx = tx("E-mail", "E-mail");

// Refund dialog.
/// Dialog title.
pub const REFUND_TITLE: Tx = tx("Rembourser", "Refund");
/// Which tender.
pub const REFUND_WHICH: Tx = tx("Sur quel moyen de paiement ?", "To which tender?");
/// Whole order, allocated.
pub const REFUND_WHOLE_ORDER: Tx = tx(
    "Montant de la vente (réparti automatiquement)",
    "Amount of the sale (allocated automatically)",
);
/// Above the editable split of an order refund.
pub const REFUND_SPLIT: Tx = tx(
    "Répartition proposée (modifiable carte par carte) :",
    "Proposed split (each card can be changed):",
);
/// Total of the split.
pub const REFUND_SPLIT_TOTAL: Tx = tx("Total remboursé", "Total refunded");
/// Every line of the split is zero.
pub const REFUND_SPLIT_EMPTY: Tx = tx(
    "Indiquez un montant sur au moins une carte.",
    "Give an amount on at least one card.",
);
/// Amount to refund.
pub const REFUND_AMOUNT: Tx = tx("Montant à rembourser", "Amount to refund");
/// Full refund shortcut.
pub const REFUND_ALL: Tx = tx("Tout", "All");
/// Still refundable.
pub const STILL_REFUNDABLE: Tx = tx("Encore remboursable", "Still refundable");
/// Reason.
pub const REASON: Tx = tx("Motif", "Reason");
/// Pick a reason.
pub const REASON_PICK: Tx = tx("Choisir un motif…", "Pick a reason…");
/// Free text of the reason.
pub const REASON_TEXT: Tx = tx("Précision", "Details");
/// Reasons.
pub const REASONS: [Tx; 5] = [
    tx("Retour d'article", "Item returned"),
    tx("Article défectueux", "Faulty item"),
    tx("Erreur de caisse", "Till mistake"),
    tx("Geste commercial", "Goodwill gesture"),
    tx("Autre", "Other"),
];
/// Reason missing.
pub const REASON_MISSING: Tx = tx(
    "Choisissez un motif dans la liste.",
    "Pick a reason from the list.",
);
/// Free text missing.
pub const REASON_TEXT_MISSING: Tx = tx(
    "Précisez le motif en quelques mots.",
    "Describe the reason in a few words.",
);
/// Above what is left.
pub const REFUND_TOO_MUCH: Tx = tx(
    "C'est plus que ce qui reste remboursable",
    "That is more than what is still refundable",
);
/// Continue to confirmation.
pub const CONTINUE: Tx = tx("Continuer", "Continue");
/// Back.
pub const BACK: Tx = tx("Retour", "Back");
/// Cancel.
pub const CANCEL: Tx = tx("Annuler", "Cancel");
/// Close.
pub const CLOSE: Tx = tx("Fermer", "Close");
/// Confirmation question.
pub const REFUND_CONFIRM_Q: Tx = tx("Confirmer ce remboursement ?", "Confirm this refund?");
/// Confirm.
pub const REFUND_CONFIRM: Tx = tx("Confirmer le remboursement", "Confirm the refund");
/// Manager PIN.
pub const MANAGER_PIN: Tx = tx("Code responsable", "Manager PIN");
/// The PIN was not typed.
pub const PIN_NEEDED: Tx = tx(
    "Ce remboursement demande le code responsable : saisissez-le.",
    "This refund needs the manager PIN: type it.",
);
/// Wrong PIN.
pub const PIN_WRONG: Tx = tx(
    "Code responsable incorrect : demandez à un responsable de le saisir.",
    "Wrong manager PIN: ask a manager to type it.",
);
/// PIN required but none set.
pub const PIN_NOT_SET: Tx = tx(
    "Aucun code responsable n'est défini : définissez-le dans Réglages.",
    "No manager PIN is set: set one in Settings.",
);
/// Refund in flight.
pub const REFUND_SENDING: Tx = tx("Remboursement en cours d'envoi…", "Sending the refund…");
/// Refund sent.
pub const REFUND_SENT: Tx = tx("Remboursement enregistré", "Refund recorded");
/// Allocation is computed.
pub const ALLOCATING: Tx = tx("Répartition en cours…", "Allocating…");
/// To.
pub const ON_CARD: Tx = tx("sur", "to");

// Refund ledger.
/// Heading.
pub const REFUND_LEDGER: Tx = tx("Registre des remboursements", "Refund ledger");
/// Export.
pub const EXPORT_CSV: Tx = tx("Exporter CSV", "Export CSV");
/// Export file path.
pub const EXPORT_PATH: Tx = tx("Fichier", "File");
/// Format choice: French Excel.
pub const FORMAT_EXCEL_FR: Tx = tx("Excel français (;)", "French Excel (;)");
/// Format choice: RFC 4180.
pub const FORMAT_RFC4180: Tx = tx("RFC 4180 (,)", "RFC 4180 (,)");
/// Export done.
pub const EXPORT_DONE: Tx = tx("Export terminé", "Export done");
/// Export: start.
pub const EXPORT_START: Tx = tx("Exporter", "Export");
/// Total refunded.
pub const TOTAL_REFUNDED: Tx = tx("Total remboursé", "Total refunded");
/// Total pending.
pub const TOTAL_PENDING: Tx = tx("En attente", "Pending");
/// Total declined.
pub const TOTAL_DECLINED: Tx = tx("Refusés", "Declined");
/// Column: tender.
pub const COL_TENDER: Tx = tx("Moyen de paiement", "Tender");
/// Column: reason.
pub const COL_REASON: Tx = tx("Motif", "Reason");
/// No system save dialog can open.
pub const NO_FILE_DIALOG: Tx = tx(
    "Aucune fenêtre d'enregistrement du système sur ce poste : saisissez le chemin du fichier dans le champ « Fichier ».",
    "No system save dialog on this computer: type the file's path in the \"File\" field.",
);
/// Button: open the system's save dialog.
pub const BROWSE: Tx = tx("Parcourir…", "Browse…");
/// The export path is empty.
pub const PATH_EMPTY: Tx = tx(
    "Indiquez le fichier où écrire l'export, par exemple /home/caisse/remboursements.csv.",
    "Give the file to write, for example /home/till/refunds.csv.",
);

// Settings.
/// Heading: platform.
pub const PLATFORM: Tx = tx("Plateforme de paiement", "Payment platform");
/// Environment.
pub const ENVIRONMENT: Tx = tx("Environnement", "Environment");
/// Embedded sandbox.
pub const ENV_SANDBOX: Tx = tx("Bac à sable intégré", "Embedded sandbox");
/// Worldline test.
pub const ENV_PREPROD: Tx = tx(
    "Worldline test (préproduction)",
    "Worldline test (pre-production)",
);
/// Production.
pub const ENV_PROD: Tx = tx("Production", "Production");
/// Custom URL.
pub const ENV_CUSTOM: Tx = tx("Adresse personnalisée", "Custom URL");
/// Custom URL field.
pub const CUSTOM_URL: Tx = tx("Adresse", "URL");
/// Merchant id.
pub const PSPID: Tx = tx("PSPID (identifiant marchand)", "PSPID (merchant id)");
/// API key id.
pub const API_KEY_ID: Tx = tx("Identifiant de clé API", "API key id");
/// API secret.
pub const API_SECRET: Tx = tx("Secret API", "API secret");
/// API secret hint.
pub const API_SECRET_HINT: Tx = tx(
    "laissez vide pour garder celui du trousseau",
    "leave empty to keep the one in the keychain",
);
/// Secret saved.
pub const SECRET_IN_KEYCHAIN: Tx = tx(
    "Le secret est enregistré dans le trousseau du système.",
    "The secret is stored in the system keychain.",
);
/// No keychain.
pub const NO_KEYCHAIN: Tx = tx(
    "Aucun trousseau système n'est utilisable : le secret API ne peut pas être enregistré, et cadodesk ne l'écrit jamais dans un fichier.",
    "No system keychain is usable: the API secret cannot be saved, and cadodesk never writes it to a file.",
);
/// How to fix the keychain.
pub const NO_KEYCHAIN_FIX: Tx = tx(
    "Sous Linux, ouvrez une session de bureau (GNOME ou KDE) ou installez gnome-keyring, puis relancez cadodesk. En attendant, les variables CADODESK_API_KEY_ID et CADODESK_API_SECRET peuvent fournir les identifiants.",
    "On Linux, log into a desktop session (GNOME or KDE) or install gnome-keyring, then restart cadodesk. Meanwhile, the CADODESK_API_KEY_ID and CADODESK_API_SECRET variables can provide the credentials.",
);
/// Test connection.
pub const TEST_CONNECTION: Tx = tx("Tester la connexion", "Test the connection");
/// Connection ok.
pub const CONNECTION_OK: Tx = tx("Connexion réussie", "Connection works");
/// Testing.
pub const TESTING: Tx = tx("Test en cours…", "Testing…");
/// Return URL.
pub const RETURN_URL: Tx = tx("Adresse de retour (returnUrl)", "Return URL (returnUrl)");
/// Return URL hint.
pub const RETURN_URL_HINT: Tx = tx(
    "facultatif : page affichée au client après le paiement",
    "optional: the page the customer sees after paying",
);
/// Bad return URL.
pub const RETURN_URL_INVALID: Tx = tx(
    "L'adresse de retour doit commencer par https:// ou http:// (200 caractères au plus).",
    "The return URL must start with https:// or http:// (at most 200 characters).",
);
/// Heading: till.
pub const TILL: Tx = tx("Cette caisse", "This till");
/// Operator name.
pub const OPERATOR_NAME: Tx = tx("Nom de l'opérateur", "Operator name");
/// Language.
pub const LANGUAGE: Tx = tx("Langue", "Language");
/// Heading: refunds.
pub const REFUND_RULES: Tx = tx("Règles de remboursement", "Refund rules");
/// PIN above threshold.
pub const PIN_THRESHOLD: Tx = tx("Code responsable au-delà de", "Manager PIN above");
/// PIN always.
pub const PIN_ALWAYS: Tx = tx(
    "Code responsable pour tout remboursement",
    "Manager PIN for every refund",
);
/// New PIN.
/// The current PIN field.
pub const CURRENT_PIN: Tx = tx("Code actuel", "Current PIN");
pub const NEW_PIN: Tx = tx("Nouveau code responsable", "New manager PIN");
/// The new PIN again.
pub const NEW_PIN_AGAIN: Tx = tx("Confirmer le nouveau code", "New PIN again");
/// The two new PINs differ.
pub const PIN_MISMATCH: Tx = tx(
    "Confirmer le nouveau code : les deux codes diffèrent ; saisissez deux fois le même",
    "New PIN again: the two PINs differ; type the same one twice",
);
/// The operator's name is empty.
pub const OPERATOR_EMPTY: Tx = tx(
    "Nom de l'opérateur : saisissez le nom de la personne à la caisse",
    "Operator name: type the name of the person at the till",
);
/// PIN set.
pub const PIN_IS_SET: Tx = tx("Un code responsable est défini.", "A manager PIN is set.");
/// PIN not set.
pub const PIN_IS_NOT_SET: Tx = tx("Aucun code responsable.", "No manager PIN.");
/// PIN too short.
pub const PIN_TOO_SHORT: Tx = tx(
    "Le code responsable doit avoir au moins 4 chiffres.",
    "The manager PIN needs at least 4 digits.",
);
/// Save.
pub const SAVE: Tx = tx("Enregistrer", "Save");
/// Beside Save when fields were refused.
pub const FIX_FIELDS: Tx = tx(
    "Rien n'est enregistré : corrigez les champs signalés en rouge.",
    "Nothing was saved: fix the fields marked in red.",
);
/// Saved.
pub const SAVED: Tx = tx("Réglages enregistrés", "Settings saved");
/// Production confirmation.
pub const PROD_CONFIRM_TITLE: Tx = tx("Passer en production ?", "Switch to production?");
/// Production confirmation text.
pub const PROD_CONFIRM_TEXT: Tx = tx(
    "En production, les paiements et les remboursements sont réels : de l'argent réel est débité et rendu.",
    "In production, payments and refunds are real: real money is taken and given back.",
);
/// Production confirmation button.
pub const PROD_CONFIRM_YES: Tx = tx("Oui, passer en production", "Yes, switch to production");
/// Restart notice.
pub const APPLIES_NOW: Tx = tx(
    "Les nouveaux réglages s'appliquent immédiatement.",
    "New settings apply immediately.",
);
/// Merchant id missing.
pub const MERCHANT_MISSING: Tx = tx(
    "Indiquez le PSPID fourni par Worldline.",
    "Type the PSPID Worldline gave you.",
);

// Journal.
/// Heading.
pub const JOURNAL_HEADING: Tx = tx("Journal inaltérable", "Tamper-evident journal");
/// Explanation.
pub const JOURNAL_EXPLAIN: Tx = tx(
    "Chaque opération est inscrite dans un journal chaîné : toute modification, suppression ou inversion d'une écriture est détectée.",
    "Every operation is written to a chained journal: any edited, removed or reordered entry is detected.",
);
/// Verify.
pub const VERIFY: Tx = tx("Vérifier l'intégrité", "Verify integrity");
/// Verifying.
pub const VERIFYING: Tx = tx("Vérification en cours…", "Verifying…");
/// Verified OK.
pub const VERIFY_OK: Tx = tx("Journal intègre", "Journal intact");
/// Verify failed.
pub const VERIFY_BROKEN: Tx = tx("Journal altéré", "Journal tampered with");
/// Entries.
pub const ENTRIES: Tx = tx("écritures vérifiées", "entries checked");

// Errors that the UI itself reports.
/// The worker stopped.
pub const WORKER_GONE: Tx = tx(
    "Le moteur de la caisse s'est arrêté : redémarrez cadodesk.",
    "The till's engine stopped: restart cadodesk.",
);
/// The till is not ready.
pub const NOT_READY: Tx = tx(
    "La caisse n'est pas encore prête : patientez quelques secondes.",
    "The till is not ready yet: wait a few seconds.",
);
/// The embedded sandbox did not start.
pub const SANDBOX_FAILED: Tx = tx(
    "Le bac à sable intégré n'a pas pu démarrer : redémarrez cadodesk, ou choisissez une autre plateforme dans Réglages.",
    "The embedded sandbox could not start: restart cadodesk, or pick another platform in Settings.",
);
/// The platform address is unusable.
pub const BAD_ADDRESS: Tx = tx(
    "L'adresse de la plateforme n'est pas utilisable : vérifiez-la dans Réglages (elle commence par https://).",
    "The platform address is not usable: check it in Settings (it starts with https://).",
);
/// Gift card kind.
pub const GIFT_CARD: Tx = tx("Carte Bimpli CADO", "Bimpli CADO card");
