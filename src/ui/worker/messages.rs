//! What the UI asks of the worker, and what the worker tells the UI.

use std::path::PathBuf;

use chrono::NaiveDate;

use crate::app::settings::Settings;
use crate::domain::Amount;
use crate::ui::model::{
    Checkout, CheckoutQuery, CheckoutRow, CsvProfile, KeychainState, RefundLine, RefundRow, UiError,
};
use crate::vault::Secret;

/// How many commands may wait for the worker. The UI keeps extra ones in its own queue rather than block.
pub const COMMAND_QUEUE: usize = 64;

/// What the UI asks of the worker.
#[derive(Debug, Clone)]
pub enum Command {
    /// Create a hosted checkout.
    CreateCheckout {
        /// Sale amount.
        amount: Amount,
        /// Order reference; the till generates one when `None`.
        reference: Option<String>,
        /// Customer e-mail.
        email: Option<String>,
    },
    /// Cancel an open sale at the till ("Annuler la vente"): its page is no longer offered, a card authorised and
    /// waiting for its capture is cancelled. A `CheckoutUpdated` comes back.
    AbandonSale {
        /// Hosted checkout id.
        id: String,
        /// Why, as typed.
        reason: String,
    },
    /// Load the sales still open (in progress or partly paid, not cancelled) for the counter, from the ledger.
    LoadOpenSales,
    /// Re-read a checkout from the platform now.
    Refresh {
        /// Hosted checkout id.
        id: String,
    },
    /// Open a URL in the system browser.
    OpenUrl(String),
    /// Load the Transactions table.
    LoadCheckouts(CheckoutQuery),
    /// Load one checkout from the ledger (no network).
    LoadCheckout {
        /// Hosted checkout id.
        id: String,
    },
    /// Split an order-level refund amount over the tenders.
    Allocate {
        /// Hosted checkout id.
        checkout_id: String,
        /// Amount to give back.
        amount: Amount,
    },
    /// Refund an order: one refund per tender, under one manager approval (the PIN, when the rule asks for it, is
    /// checked once by the till). One `RefundRecorded` or `Failed` event comes back per part.
    Refund {
        /// The checkout, to send its new state back.
        checkout_id: String,
        /// Each tender and its amount.
        parts: Vec<(String, Amount)>,
        /// Why.
        reason: String,
        /// The manager PIN as typed, when the rule asks for it.
        pin: Option<crate::till::manager::Pin>,
    },
    /// Load the refund ledger.
    LoadRefunds {
        /// First day included.
        from: Option<NaiveDate>,
        /// Last day included.
        to: Option<NaiveDate>,
    },
    /// Write the refund ledger to a CSV file.
    Export {
        /// First day included.
        from: Option<NaiveDate>,
        /// Last day included.
        to: Option<NaiveDate>,
        /// CSV profile.
        profile: CsvProfile,
        /// Where to write.
        path: PathBuf,
    },
    /// Ask the system's save dialog where to write the export, starting from `current`.
    ChooseExportFile {
        /// The path typed so far: the dialog opens in its folder with its file name.
        current: PathBuf,
    },
    /// Walk the journal's hash chain.
    VerifyLedger,
    /// Load the closings made.
    LoadClosings,
    /// Compute the daily closing's totals without making it, for the confirmation.
    PreviewDay,
    /// Make the daily closing (and the month's and year's when due).
    CloseDay,
    /// Write a closing's Z report as a PDF in the data directory's `rapports` folder and open it.
    ZReport {
        /// Its kind.
        kind: crate::domain::closing::ClosingKind,
        /// Its number among its kind.
        number: i64,
    },
    /// Hand out a sale's receipt or a refund's note: on the receipt printer when one is chosen, else as a PDF in
    /// the data directory's `recus` folder, opened. The first print, or a duplicate.
    Receipt {
        /// Which document.
        target: crate::till::ReceiptTarget,
        /// "Duplicata" rather than "Reçu".
        duplicate: bool,
    },
    /// Store settings (and the secret in the keychain), then reopen the till with them. The manager PIN and its
    /// rule change first, through the till (which asks for the current PIN); if that is refused nothing is stored.
    SaveSettings {
        /// New settings.
        settings: Box<Settings>,
        /// New secret, if one was typed.
        secret: Option<Secret>,
        /// A change of the manager PIN or its rule.
        pin_change: Option<PinChange>,
    },
    /// Publish a paid sale's receipt for the customer's phone (the embedded sandbox serves it).
    ReceiptToPhone {
        /// The sale's reference.
        reference: String,
    },
    /// Read the day so far for the counter ("Aujourd'hui").
    LoadToday,
    /// Choose the screen's theme and text size, a journaled setting.
    SetDisplay {
        /// The theme.
        theme: crate::app::settings::Theme,
        /// The text size.
        text_size: crate::app::settings::TextSize,
    },
    /// Read the receipt printer chosen.
    LoadReceiptPrinter,
    /// Choose the receipt printer (`None`: receipts go to PDF files), a journaled setting.
    SetReceiptPrinter {
        /// Its address as typed.
        address: Option<String>,
    },
    /// Print a test page on the receipt printer chosen.
    PrinterTestPage,
    /// Write a checked copy of the ledger to `path` (never over a file) and journal it.
    Backup {
        /// Where.
        path: PathBuf,
    },
    /// Read every till's sales, refunds and closings from the central ledger.
    LoadAllTills {
        /// First day included.
        from: NaiveDate,
        /// Last day included.
        to: NaiveDate,
        /// Only this till.
        till: Option<String>,
        /// Only this shop's tills.
        shop: Option<String>,
    },
    /// Write every till's refunds (from the central ledger) to a CSV file, the till and shop columns first.
    ExportAllTills {
        /// First day included.
        from: NaiveDate,
        /// Last day included.
        to: NaiveDate,
        /// Only this till.
        till: Option<String>,
        /// Only this shop's tills.
        shop: Option<String>,
        /// Where to write.
        path: PathBuf,
    },
    /// Take a sale of another till in from the central ledger, to refund it here.
    TakeIn {
        /// The sale's reference.
        reference: String,
    },
    /// Try the given settings against the platform without saving them.
    TestConnection {
        /// Settings to try.
        settings: Box<Settings>,
        /// Secret to try; the stored one when `None`.
        secret: Option<Secret>,
    },
}

/// A change of the manager PIN or its rule, as typed in the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinChange {
    /// The current PIN (needed once one is set).
    pub current: Option<crate::till::manager::Pin>,
    /// The new PIN, if one was typed.
    pub new_pin: Option<crate::till::manager::Pin>,
    /// The new rule.
    pub rule: crate::till::manager::PinRule,
}

impl Command {
    /// Whether it changes what the till holds (a sale, a refund, an export journaled, the settings): such
    /// commands run one after another, in the order they were sent.
    pub fn changes_state(&self) -> bool {
        matches!(
            self,
            Command::CreateCheckout { .. }
                | Command::AbandonSale { .. }
                | Command::CloseDay
                | Command::Refund { .. }
                | Command::Export { .. }
                | Command::SaveSettings { .. }
                | Command::TakeIn { .. }
                | Command::Backup { .. }
                | Command::SetReceiptPrinter { .. }
                | Command::SetDisplay { .. }
                | Command::ReceiptToPhone { .. }
        )
    }
}

/// Which action an error belongs to, so the UI can show it next to what caused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Creating a checkout.
    Create,
    /// Cancelling an open sale.
    Abandon,
    /// Loading the open sales for the counter.
    OpenSales,
    /// Refreshing a checkout.
    Refresh,
    /// Opening the browser.
    Open,
    /// Loading transactions.
    List,
    /// Loading one checkout.
    Detail,
    /// Allocating an order refund.
    Allocate,
    /// Refunding.
    Refund,
    /// The manager PIN refused for a refund (nothing was sent).
    RefundPin,
    /// Loading the refund ledger.
    Refunds,
    /// Exporting.
    Export,
    /// Choosing the export's file in the system's save dialog.
    ExportFile,
    /// Verifying the journal.
    Verify,
    /// Closings.
    Closings,
    /// Saving settings.
    Settings,
    /// Testing the connection.
    Connection,
    /// Printing a receipt.
    Receipt,
    /// Reading every till from the centre, or taking a sale in.
    AllTills,
    /// A backup of the ledger.
    Backup,
    /// The receipt printer.
    Printer,
    /// A receipt for the customer's phone.
    ReceiptPhone,
    /// The day so far, on the counter.
    Today,
    /// The theme and text size.
    Display,
}

/// What the worker tells the UI.
#[derive(Debug, Clone)]
pub enum Event {
    /// The till is open.
    Ready {
        /// Stored settings.
        settings: Box<Settings>,
        /// Whether the keychain works.
        keychain: KeychainState,
        /// The embedded sandbox's address, when it runs.
        sandbox_url: Option<String>,
    },
    /// Where the till stands with the central ledger, after a background sync (only for a till with a centre).
    Central(Box<crate::app::centre::CentralState>),
    /// The till could not open.
    StartFailed(UiError),
    /// Settling what the last run left unfinished (refunds without an answer, unpaid checkouts) failed at start;
    /// the watcher keeps trying, and the screen says so.
    ResumeFailed(UiError),
    /// A checkout was created.
    CheckoutCreated(Box<Checkout>),
    /// The sales still open, newest first, for the counter.
    OpenSales(Vec<Checkout>),
    /// A checkout's state is known anew (refresh, watcher, refund, detail load).
    CheckoutUpdated(Box<Checkout>),
    /// The Transactions rows.
    Checkouts(Vec<CheckoutRow>),
    /// How an order-level refund splits.
    Allocation {
        /// The checkout.
        checkout_id: String,
        /// Payment id and amount, in refund order.
        parts: Vec<(String, Amount)>,
    },
    /// A refund was recorded and sent (its state may still be pending).
    RefundRecorded(Box<RefundLine>),
    /// The refund ledger rows.
    Refunds(Vec<RefundRow>),
    /// The export is written.
    Exported {
        /// Where.
        path: PathBuf,
        /// How many refunds.
        rows: u64,
    },
    /// The save dialog closed: the file chosen for the export, or `None` when it was cancelled.
    ExportFileChosen(Option<PathBuf>),
    /// The closings made, oldest first.
    Closings(Vec<crate::till::ClosingRow>),
    /// What the daily closing would be now.
    DayPreview(Box<crate::domain::closing::Closing>),
    /// The closings just made: earlier days left open, today's, then months and years.
    DayClosed(Vec<crate::domain::closing::Closing>),
    /// A Z report was written there.
    ZReportWritten(std::path::PathBuf),
    /// A receipt or refund note was handed out.
    ReceiptDone {
        /// Its number.
        document: String,
        /// 0, or the duplicate's number.
        copy: u32,
        /// Where it went: the printer's address, or the PDF's path.
        to: String,
    },
    /// The journal check finished.
    Verified {
        /// No entry was edited, removed or reordered.
        ok: bool,
        /// Entries checked.
        entries: u64,
        /// The first broken entry, in words, when not ok.
        detail: String,
        /// The seal: which key, where it is kept; and the notes (a key change without endorsement), in words.
        seal: Vec<String>,
    },
    /// Settings were saved and applied.
    SettingsSaved {
        /// As stored.
        settings: Box<Settings>,
        /// Keychain state after saving.
        keychain: KeychainState,
        /// The embedded sandbox's address, when it runs.
        sandbox_url: Option<String>,
    },
    /// The connection test passed.
    ConnectionOk,
    /// Every till's sales, refunds and closings, read from the centre.
    AllTills(Box<crate::app::centre::AllTills>),
    /// Whether a backup is due (none yet, or the last older than a week).
    BackupDue(bool),
    /// The receipt printer chosen (`None`: PDF files); `saved` when it was just chosen.
    ReceiptPrinter {
        /// Its address.
        address: Option<String>,
        /// Just chosen.
        saved: bool,
    },
    /// The day so far, for the counter.
    Today(Box<crate::ui::model::Today>),
    /// The theme and text size were stored.
    DisplaySaved {
        /// The theme.
        theme: crate::app::settings::Theme,
        /// The text size.
        text_size: crate::app::settings::TextSize,
    },
    /// A test page was printed: where.
    PrinterTested(String),
    /// A receipt published for the customer's phone: the address its QR code carries.
    ReceiptOnPhone(String),
    /// A backup was written and checked: the file and the last entry it holds.
    BackupDone {
        /// The file.
        path: PathBuf,
        /// The last entry it holds.
        last_seq: i64,
    },
    /// A sale of another till was taken in: its hosted checkout id.
    TakenIn(String),
    /// Every till's refunds were written: where, and how many.
    AllTillsExported {
        /// The file.
        path: PathBuf,
        /// Refunds written.
        rows: u64,
    },
    /// Something failed.
    Failed {
        /// Which action.
        origin: Origin,
        /// For whom.
        error: UiError,
    },
}
