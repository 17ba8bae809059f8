//! The subcommands and their options, as clap reads them.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Subcommand};

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the desktop app (the default).
    App,
    /// Run the Worldline Direct emulator on its own.
    Sandbox(crate::sandbox::SandboxArgs),
    /// Create, read and list checkouts.
    #[command(subcommand)]
    Checkout(CheckoutCommand),
    /// Refund part or all of one tender (one gift card, or the card that paid the remainder).
    Refund(RefundArgs),
    /// Close a refund that never got an answer (after checking that the platform does not show it), so that its
    /// tender can be refunded again.
    RefundClose(RefundCloseArgs),
    /// List refunds between two days.
    Refunds(RefundsArgs),
    /// Re-read every checkout of a period from the platform; import refunds made elsewhere; report differences.
    Reconcile(RangeArgs),
    /// Write files for the accountant.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Check the journal.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Settle refunds and checkouts left unfinished (after a crash or a lost answer).
    Resume(JsonArgs),
    /// Check that the platform answers and accepts the credentials.
    TestConnection(JsonArgs),
    /// Store or delete the API secret in the OS keychain.
    #[command(subcommand)]
    Keychain(KeychainCommand),
    /// The manager PIN and its rule.
    #[command(subcommand)]
    Pin(PinCommand),
    /// Close the day (the "Z"): its totals and the perpetual totals, frozen in the journal. Months and fiscal years
    /// that ended are closed with it.
    Close(JsonArgs),
    /// List the closings made.
    Closings(ClosingsArgs),
    /// Write a closing's Z report as a PDF (the last daily closing unless told otherwise).
    ZReport(ZReportArgs),
    /// Hand out a sale's receipt or a refund's note (`receipt sale REF` or `receipt refund N`): a PDF (80 mm ticket
    /// or A4) or ESC/POS bytes to a new file, or printed on an ESC/POS printer (--printer, else the one chosen with
    /// `receipt printer ADDRESS`; `receipt test-page` tries it). The first print, then "DUPLICATA n" with
    /// --duplicate; each print is a journal entry.
    Receipt(ReceiptArgs),
    /// The till's identity: its code (on closings and documents), UUID, shop and address.
    #[command(subcommand)]
    Till(TillCommand),
    /// The central ledger (PostgreSQL) for several tills: set it up and register tills (the administrator's).
    #[command(subcommand)]
    Central(CentralCommand),
    /// Send this till's journal entries the centre does not hold yet (`CADODESK_CENTRAL_URL`: the till's URL).
    Sync(SyncArgs),
    /// Write a signed archive of the closings of a period and the entries they cover (`archive --from … --to … -o
    /// FILE`), or check one with nothing but the file (`archive verify FILE`). The format is in ARCHIVE.md.
    Archive(ArchiveArgs),
    /// Write a checked copy of the ledger to a new file (the app may be running), and journal it.
    Backup(BackupArgs),
    /// Put a copy `backup` wrote in place of the ledger: refused if it does not verify, or if it would lose entries
    /// the ledger holds (unless --force); the current ledger is kept aside (`ledger.sqlite3.before-restore-…`).
    Restore(RestoreArgs),
    /// The till's journal key, for a move to a new machine: `key export -o FILE` and `key import FILE`, under a
    /// passphrase read from the first line of standard input.
    #[command(subcommand)]
    Key(KeyCommand),
}

/// `backup`
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// The copy to write (a new file, outside the data directory).
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `restore`
#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// The copy `cadodesk backup` wrote.
    pub file: PathBuf,
    /// Restore a copy older than the ledger here, or of another ledger (entries not in it are lost from the
    /// ledger; the current ledger is still kept aside).
    #[arg(long)]
    pub force: bool,
    /// Restore without the key that seals the copy's journal: the till goes on under a new key, which `ledger
    /// verify` names.
    #[arg(long)]
    pub new_key: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `key …`
#[derive(Debug, Clone, Subcommand)]
pub enum KeyCommand {
    /// Write the till's journal key to a new file, sealed under the passphrase read from standard input.
    Export(KeyExportArgs),
    /// Keep the key from a file `key export` wrote as this data directory's journal key (never replacing one).
    Import(KeyImportArgs),
}

/// `key export`
#[derive(Debug, Clone, Args)]
pub struct KeyExportArgs {
    /// The file to write (it must not exist).
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
}

/// `key import`
#[derive(Debug, Clone, Args)]
pub struct KeyImportArgs {
    /// The file `key export` wrote.
    pub file: PathBuf,
}

/// `central …`
#[derive(Debug, Clone, Subcommand)]
pub enum CentralCommand {
    /// Create or upgrade the centre's schema and roles.
    Init(CentralInitArgs),
    /// Register a till and make its login role; prints its connection URL once.
    AddTill(CentralAddTillArgs),
    /// Make a login role that reads every till and changes nothing (the accountant's); prints its URL once.
    AddReader(CentralAddReaderArgs),
    /// Give this till its connection URL (read from standard input, as `central add-till` printed it): checked at
    /// the centre, kept in the OS keychain; refunds then go through the centre and the app syncs in the background.
    Connect(CentralConnectArgs),
    /// Forget this till's central URL (the keychain entry stays until `keychain` tools remove it).
    Disconnect,
}

/// `central connect`
#[derive(Debug, Clone, Args)]
pub struct CentralConnectArgs {
    /// Keep it in the Linux kernel keyring (keyutils) instead of the platform's keychain (lost at reboot).
    #[arg(long)]
    pub keyutils: bool,
}

/// `central add-reader`
#[derive(Debug, Clone, Args)]
pub struct CentralAddReaderArgs {
    /// The administrator's URL; better in the environment.
    #[arg(long, env = "CADODESK_CENTRAL_ADMIN_URL", hide_env_values = true)]
    pub url: String,
    /// A name for the role: letters and digits (compta).
    #[arg(long)]
    pub name: String,
}

/// Which tills a back-office command covers, with `--central`.
#[derive(Debug, Clone, Default, Args)]
pub struct ScopeArgs {
    /// With --central: only this till (T02).
    #[arg(long)]
    pub till: Option<String>,
    /// With --central: only this shop's tills.
    #[arg(long)]
    pub shop: Option<String>,
}

/// `refunds`
#[derive(Debug, Clone, Args)]
pub struct RefundsArgs {
    /// The days.
    #[command(flatten)]
    pub range: RangeArgs,
    /// The tills, with --central.
    #[command(flatten)]
    pub scope: ScopeArgs,
}

/// `central init`
#[derive(Debug, Clone, Args)]
pub struct CentralInitArgs {
    /// The administrator's URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE); better in the environment.
    #[arg(long, env = "CADODESK_CENTRAL_ADMIN_URL", hide_env_values = true)]
    pub url: String,
}

/// `central add-till`
#[derive(Debug, Clone, Args)]
pub struct CentralAddTillArgs {
    /// The administrator's URL; better in the environment.
    #[arg(long, env = "CADODESK_CENTRAL_ADMIN_URL", hide_env_values = true)]
    pub url: String,
    /// The till's code, as `till init` named it: T02.
    #[arg(long)]
    pub till: String,
    /// The shop it belongs to.
    #[arg(long)]
    pub shop: Option<String>,
}

/// `sync`
#[derive(Debug, Clone, Args)]
pub struct SyncArgs {
    /// The till's URL, as `central add-till` printed it; better in the environment, or kept in the keychain by
    /// `central connect` (used when neither is given).
    #[arg(long, env = "CADODESK_CENTRAL_URL", hide_env_values = true)]
    pub url: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `archive`
#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ArchiveArgs {
    /// Check an archive instead.
    #[command(subcommand)]
    pub verify: Option<ArchiveCommand>,
    /// First day (YYYY-MM-DD, Europe/Paris), inclusive.
    #[arg(long, value_parser = parse_day, required = true)]
    pub from: Option<NaiveDate>,
    /// Last day (YYYY-MM-DD, Europe/Paris), inclusive.
    #[arg(long, value_parser = parse_day, required = true)]
    pub to: Option<NaiveDate>,
    /// The file to write (it must not exist).
    #[arg(short = 'o', long = "output", required = true)]
    pub output: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `archive verify`
#[derive(Debug, Clone, Subcommand)]
pub enum ArchiveCommand {
    /// Check an archive: its members against the signed manifest, the chain and every seal, the closings recomputed
    /// from the entries. Names the first thing that differs and exits 1.
    Verify(ArchiveVerifyArgs),
}

/// `archive verify FILE`
#[derive(Debug, Clone, Args)]
pub struct ArchiveVerifyArgs {
    /// The archive.
    pub file: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `till …`
#[derive(Debug, Subcommand)]
pub enum TillCommand {
    /// Name the till (its code cannot change once on a closing; the shop and address can).
    Init(TillInitArgs),
    /// Show the till's identity.
    Show(JsonArgs),
}

/// `till init`
#[derive(Debug, Clone, Args)]
pub struct TillInitArgs {
    /// 1 to 8 capital letters or digits, such as T01.
    #[arg(long)]
    pub code: String,
    /// The shop's name, for documents.
    #[arg(long)]
    pub shop: Option<String>,
    /// The shop's address, for documents.
    #[arg(long)]
    pub address: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `z-report`
#[derive(Debug, Clone, Args)]
pub struct ZReportArgs {
    /// The kind: day, month or year.
    #[arg(long, value_parser = parse_closing_kind, default_value = "day")]
    pub kind: crate::domain::closing::ClosingKind,
    /// The closing's number among its kind (the last one when omitted).
    #[arg(long)]
    pub number: Option<i64>,
    /// French (default) or English.
    #[arg(long, default_value = "fr", value_parser = ["fr", "en"])]
    pub lang: String,
    /// The PDF to write (it must not exist).
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `receipt`
#[derive(Debug, Clone, Args)]
pub struct ReceiptArgs {
    /// `sale` (a paid sale's receipt), `refund` (a refund's note), `printer` (choose the receipt printer: an
    /// address, or `none`) or `test-page` (print a test page).
    #[arg(value_parser = ["sale", "refund", "printer", "test-page"])]
    pub what: String,
    /// The sale's order reference (or hosted checkout id), the refund's number, or the printer's address.
    pub id: Option<String>,
    /// A copy of what was already printed: "DUPLICATA n".
    #[arg(long)]
    pub duplicate: bool,
    /// What to write: pdf (80 mm ticket), pdf-a4 or escpos (the printer's bytes).
    #[arg(long, default_value = "pdf", value_parser = ["pdf", "pdf-a4", "escpos"])]
    pub format: String,
    /// The file to write (it must not exist). Without it or --printer, the chosen receipt printer.
    #[arg(short = 'o', long = "output", conflicts_with = "printer")]
    pub output: Option<PathBuf>,
    /// An ESC/POS printer: tcp://HOST:PORT, usb:/dev/usb/lp0 or serial:/dev/ttyUSB0.
    #[arg(long)]
    pub printer: Option<String>,
    /// French (default) or English.
    #[arg(long, default_value = "fr", value_parser = ["fr", "en"])]
    pub lang: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `closings`
#[derive(Debug, Clone, Args)]
pub struct ClosingsArgs {
    /// Only this kind: day, month or year.
    #[arg(long, value_parser = parse_closing_kind)]
    pub kind: Option<crate::domain::closing::ClosingKind>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// The tills, with --central.
    #[command(flatten)]
    pub scope: ScopeArgs,
}

fn parse_closing_kind(s: &str) -> Result<crate::domain::closing::ClosingKind, String> {
    crate::domain::closing::ClosingKind::from_code(s)
        .ok_or_else(|| format!("'{s}' is not a closing kind: use day, month or year"))
}

/// `pin …`
#[derive(Debug, Subcommand)]
pub enum PinCommand {
    /// Set the manager PIN and its rule. Standard input gives the current PIN on its first line (once a PIN is
    /// set), then the new PIN (an empty line keeps the current one). What no option names stays as it is.
    Set(PinSetArgs),
    /// Show whether a PIN is set and its rule (never the PIN or its hash).
    Show(JsonArgs),
}

/// `pin set`
#[derive(Debug, Clone, Args)]
pub struct PinSetArgs {
    /// Refunds that bring one sale's refunds above this amount need the PIN (50,00 by default).
    #[arg(long, allow_hyphen_values = true, conflicts_with = "no_threshold")]
    pub threshold: Option<String>,
    /// No amount needs the PIN (only --always, if given).
    #[arg(long)]
    pub no_threshold: bool,
    /// Every refund needs the PIN.
    #[arg(long, conflicts_with = "not_always")]
    pub always: bool,
    /// Only refunds above the threshold need the PIN (turns "always" off).
    #[arg(long)]
    pub not_always: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `--json`.
#[derive(Debug, Clone, Args)]
pub struct JsonArgs {
    /// Print one JSON document on standard output.
    #[arg(long)]
    pub json: bool,
}

/// `checkout …`
#[derive(Debug, Subcommand)]
pub enum CheckoutCommand {
    /// Create a hosted checkout and print the page to pay on.
    Create(CreateArgs),
    /// Re-read a checkout from the platform and print its state and tenders.
    Status(StatusArgs),
    /// List checkouts from the ledger (no network).
    List(ListArgs),
    /// Take a sale made at another till in from the central ledger (by its reference), to refund it here.
    TakeIn(StatusArgs),
    /// Cancel an open sale (a wrong amount, the customer gone): its page is no longer offered, and a card
    /// authorisation waiting for its capture is cancelled on the platform. A paid sale is refunded instead.
    Cancel(CancelArgs),
}

/// `checkout cancel`
#[derive(Debug, Clone, Args)]
pub struct CancelArgs {
    /// The hosted checkout id.
    pub id: String,
    /// Why (required, at most 100 characters).
    #[arg(long)]
    pub reason: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `checkout create`
#[derive(Debug, Clone, Args)]
pub struct CreateArgs {
    /// The amount, as typed: 42,50 or 42.50 or "42,50 €".
    #[arg(long, allow_hyphen_values = true)]
    pub amount: String,
    /// The order reference: 1–40 letters, digits, - _ or .; generated when absent (CD-YYYYMMDD-NNNN).
    #[arg(long)]
    pub reference: Option<String>,
    /// The customer's e-mail.
    #[arg(long)]
    pub email: Option<String>,
    /// The hosted page's locale.
    #[arg(long, default_value = "fr_FR")]
    pub locale: String,
    /// Where the customer returns after paying (absolute URL).
    #[arg(long)]
    pub return_url: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `checkout status`
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// The hosted checkout id.
    pub id: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `checkout list`
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// First day (YYYY-MM-DD, local time), inclusive.
    #[arg(long, value_parser = parse_day)]
    pub from: Option<NaiveDate>,
    /// Last day (YYYY-MM-DD, local time), inclusive.
    #[arg(long, value_parser = parse_day)]
    pub to: Option<NaiveDate>,
    /// Only this state: in_progress, paid, partially_paid, cancelled, expired, rejected.
    #[arg(long)]
    pub status: Option<String>,
    /// Text in the reference, the id, the e-mail or a payment id.
    #[arg(long)]
    pub text: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// The tills, with --central.
    #[command(flatten)]
    pub scope: ScopeArgs,
}

/// `refund`
#[derive(Debug, Clone, Args)]
pub struct RefundArgs {
    /// The tender's payment id (`<10 digits>_0`), as `checkout status` shows it.
    #[arg(long)]
    pub payment_id: String,
    /// The amount, as typed: 10,00.
    #[arg(long, allow_hyphen_values = true)]
    pub amount: String,
    /// Why (required, at most 100 characters).
    #[arg(long)]
    pub reason: String,
    /// Read the manager PIN from the first line of standard input (needed when the rule covers this refund).
    #[arg(long)]
    pub manager_pin_stdin: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `refund-close`
#[derive(Debug, Clone, Args)]
pub struct RefundCloseArgs {
    /// The refund number (n°) as `refunds` lists it, or its idempotence key.
    pub refund: String,
    /// Why it is closed (required, at most 100 characters).
    #[arg(long)]
    pub reason: String,
    /// Read the manager PIN from the first line of standard input (needed when the rule covers the refund).
    #[arg(long)]
    pub manager_pin_stdin: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `--from D --to D`
#[derive(Debug, Clone, Args)]
pub struct RangeArgs {
    /// First day (YYYY-MM-DD, local time), inclusive.
    #[arg(long, value_parser = parse_day)]
    pub from: NaiveDate,
    /// Last day (YYYY-MM-DD, local time), inclusive.
    #[arg(long, value_parser = parse_day)]
    pub to: NaiveDate,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `export …`
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// The refund ledger as CSV.
    Refunds(ExportArgs),
    /// The sales as CSV, one line per card (each gift card, the card for the remainder): what it paid, what was
    /// refunded on it, what is left.
    Sales(ExportArgs),
}

/// `export refunds`
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// First day (YYYY-MM-DD, local time), inclusive.
    #[arg(long, value_parser = parse_day)]
    pub from: NaiveDate,
    /// Last day (YYYY-MM-DD, local time), inclusive.
    #[arg(long, value_parser = parse_day)]
    pub to: NaiveDate,
    /// `excel-fr` (BOM, `;`, decimal comma; for French Excel) or `rfc4180` (`,`, decimal point).
    #[arg(long, default_value = "excel-fr")]
    pub format: String,
    /// The file to write.
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// The tills, with --central.
    #[command(flatten)]
    pub scope: ScopeArgs,
}

/// `ledger …`
#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Walk the hash chain; name the first entry edited, removed or reordered.
    Verify(JsonArgs),
}

/// `keychain …`
#[derive(Debug, Subcommand)]
pub enum KeychainCommand {
    /// Read the API secret from standard input and store it for `--merchant-id` and `--api-key-id`.
    Store(KeychainArgs),
    /// Delete the stored API secret.
    Delete(KeychainArgs),
}

/// `keychain store|delete`
#[derive(Debug, Clone, Args)]
pub struct KeychainArgs {
    /// The API key id.
    #[arg(long)]
    pub api_key_id: String,
    /// Use the Linux kernel keyutils store instead of the Secret Service (forgotten at reboot).
    #[arg(long)]
    pub keyutils: bool,
}

pub(super) fn parse_day(s: &str) -> Result<NaiveDate, String> {
    crate::till::logic::parse_day(s).ok_or_else(|| {
        format!("'{s}' is not a day: use YYYY-MM-DD from 1970 on, such as 2026-11-30")
    })
}
