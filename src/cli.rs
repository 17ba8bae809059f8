//! The command line: the same use cases as the app, for scripts and for the accountant. This is an edge:
//! errors become one line on standard error and a non-zero exit code (1: refused — bad input, not enough left,
//! declined, platform error; 2: the till could not run — configuration, ledger, keychain; 3: the platform's answer
//! was lost and the refund will be settled by `cadodesk resume`).
//!
//! `--endpoint sandbox` (the default) runs the embedded sandbox in-process on `<data dir>/sandbox.json` for the
//! duration of one command. Long-lived use (several commands against the same platform, or the hosted page opened in
//! a browser) should run `cadodesk sandbox` and pass its URL with `--endpoint http://127.0.0.1:PORT`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use serde_json::{Value, json};

use crate::i18n::{Lang, Localize};
use crate::ledger::{Ledger, keys};
use crate::money::Amount;
use crate::till::{
    CheckoutFilter, CheckoutState, CheckoutView, CsvFormat, DirectGateway, NewCheckout,
    RefundCommand, RefundFilter, RefundState, RefundView, Till, TillError,
};
use crate::vault::{self, Backend, Secret, Vault};

/// cadodesk: till and back office for Bimpli CADO gift-card payments through Worldline Direct.
///
/// Without a subcommand it opens the desktop app.
#[derive(Debug, Parser)]
#[command(name = "cadodesk", version, about)]
pub struct Cli {
    /// Options shared by every subcommand.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// More log lines on standard error (-v info, -vv debug, -vvv trace). `RUST_LOG` also works.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// What to do; the desktop app when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Where the ledger (and the embedded sandbox's state) live. Default: the platform's data directory.
    #[arg(long, env = "CADODESK_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Which platform to talk to: `sandbox` (embedded, the default), `preprod`, `prod`, or a base URL.
    #[arg(long, env = "CADODESK_ENDPOINT", global = true)]
    pub endpoint: Option<String>,
    /// The merchant id (PSPID).
    #[arg(long, env = "CADODESK_MERCHANT_ID", global = true)]
    pub merchant_id: Option<String>,
    /// Who is at the till; written on every journal entry.
    #[arg(long, env = "CADODESK_OPERATOR", global = true)]
    pub operator: Option<String>,
}

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
    /// List refunds between two days.
    Refunds(RangeArgs),
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
}

/// `checkout create`
#[derive(Debug, Clone, Args)]
pub struct CreateArgs {
    /// The amount, as typed: 42,50 or 42.50 or "42,50 €".
    #[arg(long)]
    pub amount: String,
    /// The order reference (1–40 characters); generated when absent (CD-YYYYMMDD-NNNN).
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
}

/// `refund`
#[derive(Debug, Clone, Args)]
pub struct RefundArgs {
    /// The tender's payment id (`<10 digits>_0`), as `checkout status` shows it.
    #[arg(long)]
    pub payment_id: String,
    /// The amount, as typed: 10,00.
    #[arg(long)]
    pub amount: String,
    /// Why (required, at most 100 characters).
    #[arg(long)]
    pub reason: String,
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

fn parse_day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("'{s}' is not a day: use YYYY-MM-DD, such as 2026-11-30"))
}

/// Sets up `tracing` on standard error. Secrets are never formatted, so no filter is needed for them.
pub fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// How a command ended, beyond success.
#[derive(Debug)]
enum Outcome {
    /// Done.
    Ok,
    /// Refused: one line, exit 1.
    Refused(String),
    /// Answer lost, settled later: one line, exit 3.
    Unsettled(String),
}

/// Runs the parsed command line and turns the outcome into an exit code.
pub fn run(cli: Cli) -> ExitCode {
    let global = cli.global;
    let result = match cli.command {
        None | Some(Command::App) => crate::ui::run_app(&global).map(|()| Outcome::Ok),
        Some(Command::Sandbox(args)) => crate::sandbox::run_cli(args).map(|()| Outcome::Ok),
        Some(Command::Keychain(k)) => keychain(&global, k).map(|()| Outcome::Ok),
        Some(other) => run_till_command(&global, other),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Refused(line)) => {
            eprintln!("cadodesk: {line}");
            ExitCode::from(1)
        }
        Ok(Outcome::Unsettled(line)) => {
            eprintln!("cadodesk: {line}");
            ExitCode::from(3)
        }
        Err(e) => {
            let code = match e.downcast_ref::<TillError>() {
                Some(t) if is_refusal(t) => 1,
                _ => 2,
            };
            eprintln!("cadodesk: {}", one_line(&e));
            ExitCode::from(code)
        }
    }
}

fn is_refusal(e: &TillError) -> bool {
    !matches!(
        e,
        TillError::Ledger(_) | TillError::Export(_) | TillError::Vault(_) | TillError::Config(_)
    )
}

/// An error and its causes on one line.
pub fn one_line(e: &anyhow::Error) -> String {
    // A till error already names the field and the fix in full; its English words are the CLI's.
    if let Some(t) = e.downcast_ref::<TillError>() {
        return t.localize(Lang::En).replace('\n', " ");
    }
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
        .replace('\n', " ")
}

/// The data directory: `--data-dir`, `CADODESK_DATA_DIR`, or the platform's (`~/.local/share/cadodesk` on Linux).
pub fn data_dir(global: &GlobalArgs) -> anyhow::Result<PathBuf> {
    if let Some(d) = &global.data_dir {
        return Ok(d.clone());
    }
    directories::ProjectDirs::from("fr", "cadodesk", "cadodesk")
        .map(|p| p.data_dir().to_path_buf())
        .context("no home directory to keep the ledger in: pass --data-dir")
}

fn keychain(global: &GlobalArgs, k: KeychainCommand) -> anyhow::Result<()> {
    let merchant = global
        .merchant_id
        .clone()
        .context("pass --merchant-id for the keychain entry")?;
    let (args, store) = match k {
        KeychainCommand::Store(a) => (a, true),
        KeychainCommand::Delete(a) => (a, false),
    };
    let backend = if args.keyutils {
        Backend::KernelKeyutils
    } else {
        Backend::Platform
    };
    let v = Vault::open(backend)?;
    if store {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("reading the secret from standard input")?;
        let secret = line.trim_end_matches(['\r', '\n']);
        anyhow::ensure!(
            !secret.is_empty(),
            "the secret read from standard input is empty"
        );
        v.store_api_secret(&merchant, &args.api_key_id, &Secret::new(secret))?;
        println!(
            "stored the API secret for {merchant}/{} in the keychain",
            args.api_key_id
        );
    } else {
        v.delete_api_secret(&merchant, &args.api_key_id)?;
        println!("deleted the API secret for {merchant}/{}", args.api_key_id);
    }
    Ok(())
}

/// The embedded sandbox, kept alive for one command.
struct Platform {
    base_url: String,
    _sandbox: Option<EmbeddedSandbox>,
}

/// The embedded sandbox's handle; dropping it stops the server.
type EmbeddedSandbox = crate::sandbox::RunningSandbox;

async fn embedded_sandbox(data_dir: &std::path::Path) -> anyhow::Result<(String, EmbeddedSandbox)> {
    let config = crate::sandbox::SandboxConfig {
        data_file: Some(data_dir.join("sandbox.json")),
        ..crate::sandbox::SandboxConfig::default()
    };
    let running = crate::sandbox::start(config)
        .await
        .context("starting the embedded sandbox")?;
    Ok((running.base_url(), running))
}

async fn platform(
    global: &GlobalArgs,
    ledger: &Ledger,
    data_dir: &std::path::Path,
) -> anyhow::Result<(Platform, vault::ApiCredentials)> {
    let endpoint = match &global.endpoint {
        Some(e) => e.clone(),
        None => ledger
            .setting(keys::ENVIRONMENT)?
            .unwrap_or_else(|| "sandbox".to_string()),
    };
    let merchant = match &global.merchant_id {
        Some(m) => Some(m.clone()),
        None => ledger.setting(keys::MERCHANT_ID)?,
    };
    let key_id = ledger.setting(keys::API_KEY_ID)?;
    let env = |k: &str| std::env::var(k).ok();
    if endpoint.trim() == "sandbox" {
        let (base_url, running) = embedded_sandbox(data_dir).await?;
        let creds = vault::resolve_credentials(None, None, &|_| None, true, &|| {
            Err(vault::VaultError::NoKeychain("not needed".into()))
        })?;
        return Ok((
            Platform {
                base_url,
                _sandbox: Some(running),
            },
            creds,
        ));
    }
    let base_url = match endpoint.trim() {
        "preprod" => crate::till::endpoints::PREPROD.to_string(),
        "prod" | "production" => crate::till::endpoints::PROD.to_string(),
        url => url.to_string(),
    };
    let creds =
        vault::resolve_credentials(merchant.as_deref(), key_id.as_deref(), &env, false, &|| {
            Vault::open(Backend::Platform)
        })?;
    Ok((
        Platform {
            base_url,
            _sandbox: None,
        },
        creds,
    ))
}

fn operator(global: &GlobalArgs, ledger: &Ledger) -> anyhow::Result<String> {
    if let Some(o) = &global.operator {
        return Ok(o.clone());
    }
    if let Some(o) = ledger.setting(keys::OPERATOR)? {
        return Ok(o);
    }
    Ok(std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "caisse".to_string()))
}

fn run_till_command(global: &GlobalArgs, cmd: Command) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("cadodesk-cli")
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(till_command(global, cmd))
}

/// Commands that need only the ledger do not start a platform.
fn needs_platform(cmd: &Command) -> bool {
    !matches!(
        cmd,
        Command::Checkout(CheckoutCommand::List(_))
            | Command::Refunds(_)
            | Command::Export(_)
            | Command::Ledger(_)
    )
}

/// Refuses bad input before anything is opened or started.
fn prevalidate(cmd: &Command) -> Result<(), TillError> {
    match cmd {
        Command::Checkout(CheckoutCommand::Create(a)) => amount(&a.amount).map(|_| ()),
        Command::Refund(a) => {
            amount(&a.amount)?;
            if a.reason.trim().is_empty() {
                return Err(TillError::ReasonMissing);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

async fn till_command(global: &GlobalArgs, cmd: Command) -> anyhow::Result<Outcome> {
    prevalidate(&cmd)?;
    let dir = data_dir(global)?;
    let ledger = Ledger::open_in(&dir).map_err(TillError::Ledger)?;
    let op = operator(global, &ledger)?;
    let return_url = ledger.setting(keys::RETURN_URL)?;
    let (platform, gateway): (Option<Platform>, Arc<dyn crate::till::Gateway>) =
        if needs_platform(&cmd) {
            let (p, creds) = platform(global, &ledger, &dir).await?;
            let gw = DirectGateway::new(&p.base_url, &creds).map_err(TillError::Config)?;
            (Some(p), Arc::new(gw))
        } else {
            // The ledger-only commands never call the platform; an unreachable address makes sure of it.
            let creds = vault::ApiCredentials {
                merchant_id: "offline".into(),
                api_key_id: "offline".into(),
                api_secret: Secret::new(""),
                source: "none",
            };
            let gw = DirectGateway::new("http://127.0.0.1:9", &creds).map_err(TillError::Config)?;
            (None, Arc::new(gw))
        };
    let till = Till::with_gateway(
        ledger,
        gateway,
        &op,
        crate::till::logic::DEFAULT_SESSION_TIMEOUT_MINUTES,
        return_url,
    );
    let out = dispatch(&till, cmd).await;
    drop(platform);
    out
}

fn print_json(v: &Value) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, v)?;
    writeln!(stdout)?;
    Ok(())
}

fn tenders_json(v: &CheckoutView) -> Value {
    Value::Array(
        v.tenders
            .iter()
            .map(|t| {
                json!({
                    "paymentId": t.payment_id,
                    "productId": t.product_id,
                    "kind": t.kind,
                    "maskedNumber": t.masked_number,
                    "amount": t.amount.cents(),
                    "captured": t.captured.cents(),
                    "refunded": t.refunded.cents(),
                    "pending": t.pending.cents(),
                    "refundable": t.refundable.cents(),
                    "status": t.status,
                })
            })
            .collect(),
    )
}

fn refund_json(r: &RefundView) -> Value {
    json!({
        "number": r.number,
        "refundId": r.refund_id,
        "paymentId": r.payment_id,
        "amount": r.amount.cents(),
        "reason": r.reason,
        "status": r.state.code(),
        "platformStatus": r.platform_status,
        "failure": r.failure,
        "operator": r.operator,
        "createdAt": r.created_at,
        "external": r.external,
    })
}

fn checkout_json(v: &CheckoutView) -> Value {
    json!({
        "hostedCheckoutId": v.hosted_checkout_id,
        "merchantReference": v.merchant_reference,
        "redirectUrl": v.redirect_url,
        "amount": v.amount.cents(),
        "currency": "EUR",
        "status": v.state.code(),
        "createdAt": v.created_at,
        "email": v.email,
        "operator": v.operator,
        "captured": v.captured().cents(),
        "refundable": v.refundable().cents(),
        "tenders": tenders_json(v),
        "refunds": v.refunds.iter().map(refund_json).collect::<Vec<_>>(),
    })
}

fn print_checkout(v: &CheckoutView) {
    println!(
        "{}  {}  {}  {}",
        v.hosted_checkout_id,
        v.merchant_reference,
        v.amount.fr(),
        v.state.code()
    );
    if let Some(u) = &v.redirect_url {
        println!("page: {u}");
    }
    for t in &v.tenders {
        println!(
            "  {}  product {}  {}  amount {}  refunded {}  pending {}  refundable {}  {}",
            t.payment_id,
            t.product_id,
            t.masked_number.as_deref().unwrap_or("-"),
            t.amount.fr(),
            t.refunded.fr(),
            t.pending.fr(),
            t.refundable.fr(),
            t.status
        );
    }
    for r in &v.refunds {
        print_refund(r);
    }
}

fn print_refund(r: &RefundView) {
    println!(
        "  refund n°{}  {}  on {}  {}  {}{}",
        r.number,
        r.refund_id.as_deref().unwrap_or("-"),
        r.payment_id,
        r.amount.fr(),
        r.state.code(),
        if r.external { "  (external)" } else { "" }
    );
}

fn amount(s: &str) -> Result<Amount, TillError> {
    Amount::parse_positive(s).map_err(TillError::Amount)
}

async fn dispatch(till: &Till, cmd: Command) -> anyhow::Result<Outcome> {
    match cmd {
        Command::Checkout(CheckoutCommand::Create(a)) => {
            let view = till
                .create_checkout(NewCheckout {
                    amount: amount(&a.amount)?,
                    merchant_reference: a.reference,
                    email: a.email,
                    locale: a.locale,
                    return_url: a.return_url,
                })
                .await?;
            if a.json {
                print_json(&checkout_json(&view))?;
            } else {
                print_checkout(&view);
            }
            Ok(Outcome::Ok)
        }
        Command::Checkout(CheckoutCommand::Status(a)) => {
            let view = till.refresh(&a.id).await?;
            if a.json {
                print_json(&checkout_json(&view))?;
            } else {
                print_checkout(&view);
            }
            Ok(Outcome::Ok)
        }
        Command::Checkout(CheckoutCommand::List(a)) => {
            let status = match a.status.as_deref() {
                None => None,
                Some(s) => {
                    let st = CheckoutState::from_code(s);
                    if st.code() != s {
                        return Ok(Outcome::Refused(format!(
                            "status '{s}': use in_progress, paid, partially_paid, cancelled, expired or rejected"
                        )));
                    }
                    Some(st)
                }
            };
            let rows = till.list_checkouts(&CheckoutFilter {
                from: a.from,
                to: a.to,
                status,
                text: a.text,
            })?;
            if a.json {
                print_json(&json!(
                    rows.iter()
                        .map(|r| json!({
                            "hostedCheckoutId": r.hosted_checkout_id,
                            "merchantReference": r.merchant_reference,
                            "amount": r.amount.cents(),
                            "status": r.state.code(),
                            "createdAt": r.created_at,
                            "operator": r.operator,
                            "captured": r.captured.cents(),
                            "refunded": r.refunded.cents(),
                            "tenders": r.tenders,
                        }))
                        .collect::<Vec<_>>()
                ))?;
            } else {
                for r in rows {
                    println!(
                        "{}  {}  {}  {}  {}  paid {}  refunded {}",
                        r.created_at.format("%Y-%m-%d %H:%M"),
                        r.hosted_checkout_id.as_deref().unwrap_or("-"),
                        r.merchant_reference,
                        r.amount.fr(),
                        r.state.code(),
                        r.captured.fr(),
                        r.refunded.fr()
                    );
                }
            }
            Ok(Outcome::Ok)
        }
        Command::Refund(a) => {
            let view = till
                .refund(RefundCommand {
                    payment_id: a.payment_id,
                    amount: amount(&a.amount)?,
                    reason: a.reason,
                })
                .await?;
            if a.json {
                print_json(&refund_json(&view))?;
            } else {
                print_refund(&view);
            }
            Ok(match view.state {
                RefundState::Declined => Outcome::Refused(format!(
                    "refund n°{} declined by the platform: {}",
                    view.number,
                    view.failure.as_deref().unwrap_or("no reason given")
                )),
                RefundState::Unknown | RefundState::Requested => Outcome::Unsettled(format!(
                    "refund n°{}: the platform's answer was lost; run `cadodesk resume` to settle it (never refund again)",
                    view.number
                )),
                _ => Outcome::Ok,
            })
        }
        Command::Refunds(a) => {
            let rows = till.refunds(&RefundFilter {
                from: Some(a.from),
                to: Some(a.to),
            })?;
            if a.json {
                print_json(&json!(
                    rows.iter()
                        .map(|r| {
                            let mut v = refund_json(&r.refund);
                            v["hostedCheckoutId"] = json!(r.hosted_checkout_id);
                            v["merchantReference"] = json!(r.merchant_reference);
                            v
                        })
                        .collect::<Vec<_>>()
                ))?;
            } else {
                for r in rows {
                    print_refund(&r.refund);
                }
            }
            Ok(Outcome::Ok)
        }
        Command::Reconcile(a) => {
            let report = till.reconcile(a.from, a.to).await?;
            if a.json {
                print_json(&serde_json::to_value(&report)?)?;
            } else {
                println!(
                    "{} checkouts, {} payments re-read; {} external refunds imported; {} refunds updated",
                    report.checkouts_checked,
                    report.payments_checked,
                    report.refunds_imported,
                    report.refunds_updated
                );
                for d in &report.differences {
                    println!("  {d}");
                }
            }
            Ok(Outcome::Ok)
        }
        Command::Export(ExportCommand::Refunds(a)) => {
            let Some(format) = CsvFormat::parse(&a.format) else {
                return Ok(Outcome::Refused(format!(
                    "format '{}': use excel-fr or rfc4180",
                    a.format
                )));
            };
            let s = till.export_refunds(a.from, a.to, format, &a.output)?;
            if a.json {
                print_json(&json!({
                    "rows": s.rows,
                    "total": s.total.cents(),
                    "totalRefunded": s.total_refunded.cents(),
                    "path": a.output,
                    "format": format.name(),
                }))?;
            } else {
                println!(
                    "{} refunds ({}) written to {}",
                    s.rows,
                    s.total.fr(),
                    a.output.display()
                );
            }
            Ok(Outcome::Ok)
        }
        Command::Ledger(LedgerCommand::Verify(a)) => {
            let r = till.verify_ledger()?;
            if a.json {
                let mut v = serde_json::to_value(&r)?;
                v["sound"] = json!(r.is_sound());
                v["message"] = json!(r.first_break.as_ref().map(|b| b.describe_en()));
                print_json(&v)?;
            } else if r.is_sound() {
                println!(
                    "journal sound: {} entries, last hash {}",
                    r.entries_checked, r.last_hash
                );
            }
            Ok(match &r.first_break {
                None => Outcome::Ok,
                Some(b) => Outcome::Refused(format!(
                    "journal broken at entry {}: {}",
                    b.seq(),
                    b.describe_en()
                )),
            })
        }
        Command::Resume(a) => {
            let n = till.resume().await?;
            if a.json {
                print_json(&json!({ "handled": n }))?;
            } else {
                println!("{n} unfinished items handled");
            }
            Ok(Outcome::Ok)
        }
        Command::TestConnection(a) => {
            till.test_connection().await?;
            if a.json {
                print_json(&json!({ "result": "OK" }))?;
            } else {
                println!("OK");
            }
            Ok(Outcome::Ok)
        }
        Command::App | Command::Sandbox(_) | Command::Keychain(_) => Ok(Outcome::Ok),
    }
}
