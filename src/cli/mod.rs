//! The command line: the same use cases as the app, for scripts and for the accountant. This is an edge:
//! errors become one line on standard error and a non-zero exit code (1: refused — bad input, not enough left,
//! declined, platform error; 2: the till could not run — configuration, ledger, keychain; 3: the platform's answer
//! was lost and the refund will be settled by `cadodesk resume`).
//!
//! - [`args`]: the subcommands and their options; [`print`]: what they print; [`dispatch`]: each subcommand run
//!   against the till, or, for the ones that only read or write the ledger, against its records alone.
//!
//! `--endpoint sandbox` (the default) uses the running app's sandbox of the same data directory when there is one
//! (one process owns `<data dir>/sandbox.json`), and refuses when it does not answer; else it runs the embedded
//! sandbox in-process for the duration of one command. Long-lived use (several commands against the same platform, or the hosted page opened in
//! a browser) should run `cadodesk sandbox` and pass its URL with `--endpoint http://127.0.0.1:PORT`.

mod args;
mod backoffice;
mod dispatch;
mod print;
mod receipt;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser};

use crate::app::{self, Overrides};
use crate::domain::Amount;
use crate::i18n::{Lang, Localize};
use crate::till::{Records, TillError};
use crate::vault::{Backend, Secret, Vault};

pub use args::*;

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
    /// Read every till's records from the central ledger instead of this till's: `checkout list`, `refunds`,
    /// `export refunds` and `closings` (with `--till` and `--shop` to narrow them). `--central=URL` (a till's or a
    /// reader's URL), or `--central` alone for `CADODESK_CENTRAL_URL`.
    #[arg(long, global = true, num_args = 0..=1, require_equals = true, default_missing_value = "", value_name = "URL", hide_env_values = true)]
    pub central: Option<String>,
}

impl GlobalArgs {
    /// What these options override over the stored settings.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            endpoint: self.endpoint.clone(),
            merchant_id: self.merchant_id.clone(),
            operator: self.operator.clone(),
        }
    }

    /// The data directory, by the one rule the app follows too ([`app::data_dir`]).
    pub fn data_dir(&self) -> anyhow::Result<PathBuf> {
        Ok(app::data_dir(self.data_dir.as_deref())?)
    }
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
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// How a command ended, beyond success.
#[derive(Debug)]
pub(crate) enum Outcome {
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
        // The desktop app is opened by the binary (`main.rs`), not here: the two faces never call each other.
        None | Some(Command::App) => Err(anyhow::anyhow!(
            "the desktop app is opened by running cadodesk without a subcommand"
        )),
        Some(Command::Sandbox(args)) => crate::sandbox::run_cli(args).map(|()| Outcome::Ok),
        Some(Command::Keychain(k)) => keychain(&global, k).map(|()| Outcome::Ok),
        // The administrator's commands need the centre only.
        Some(Command::Central(c @ (CentralCommand::Connect(_) | CentralCommand::Disconnect))) => {
            run_till_command(&global, Command::Central(c))
        }
        Some(Command::Central(c)) => central(c),
        // Checking an archive needs the file only: no data directory, ledger or platform.
        Some(Command::Archive(ArchiveArgs {
            verify: Some(ArchiveCommand::Verify(a)),
            ..
        })) => dispatch::archive_verify(&a),
        Some(other) => match (&global.central, backoffice::scope_of(&other)) {
            (Some(url), _) if backoffice::handles(&other) => backoffice::run(&global, url, other),
            (Some(_), _) => Ok(Outcome::Refused(
                "--central applies to checkout list, refunds, export refunds and closings".into(),
            )),
            (None, Some(s)) if s.till.is_some() || s.shop.is_some() => Ok(Outcome::Refused(
                "--till and --shop choose tills at the centre: add --central".into(),
            )),
            _ => run_till_command(&global, other),
        },
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
                // Sent, but its answer not written: settled by `resume`, like a lost answer.
                Some(TillError::AnswerNotRecorded { .. }) => 3,
                Some(t) if is_refusal(t) => 1,
                _ => 2,
            };
            eprintln!("cadodesk: {}", one_line(&e));
            ExitCode::from(code)
        }
    }
}

fn is_refusal(e: &TillError) -> bool {
    match e {
        // A target the export may not write to is bad input, like any other.
        TillError::Export(crate::ledger::export::ExportError::Refused { .. }) => true,
        TillError::Ledger(_)
        | TillError::Export(_)
        | TillError::Vault(_)
        | TillError::Config(_) => false,
        TillError::AnswerNotRecorded { .. } => false,
        TillError::Archive(crate::till::archive::ArchiveError::Io { .. }) => false,
        _ => true,
    }
}

/// A command line that clap refused, as one line without its "error:" prefix and its usage hints: "invalid value
/// '2026-13-01' for '--from <FROM>': '2026-13-01' is not a day: use YYYY-MM-DD …".
pub fn usage_error_line(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    let first = rendered
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("the command line is not understood");
    let line = first.strip_prefix("error: ").unwrap_or(first);
    format!("{line} (see cadodesk --help)")
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

fn central(cmd: CentralCommand) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let done = match cmd {
            CentralCommand::Init(a) => crate::central::init(&a.url).await.map(|v| {
                println!("central ledger ready: schema version {v}");
            }),
            CentralCommand::AddTill(a) => crate::central::add_till(&a.url, &a.till, a.shop.as_deref())
                .await
                .map(|url| {
                    eprintln!(
                        "till {} registered; its connection URL (shown once: keep it in the till's keychain or CADODESK_CENTRAL_URL):",
                        a.till
                    );
                    println!("{url}");
                }),
            CentralCommand::Connect(_) | CentralCommand::Disconnect => {
                return Ok(Outcome::Refused("central connect needs the till's ledger".into()));
            }
            CentralCommand::AddReader(a) => crate::central::schema::add_reader(&a.url, &a.name)
                .await
                .map(|url| {
                    eprintln!(
                        "reader {} made: it reads every till and changes nothing; its connection URL (shown once):",
                        a.name
                    );
                    println!("{url}");
                }),
        };
        Ok(match done {
            Ok(()) => Outcome::Ok,
            Err(e) => Outcome::Refused(e.localize(Lang::En)),
        })
    })
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
        Command::RefundClose(a) if a.reason.trim().is_empty() => Err(TillError::ReasonMissing),
        Command::Pin(PinCommand::Set(PinSetArgs {
            threshold: Some(t), ..
        })) => Amount::parse_positive(t)
            .and_then(crate::till::manager::check_threshold)
            .map_err(TillError::ThresholdInvalid),
        _ => Ok(()),
    }
}

pub(crate) fn amount(s: &str) -> Result<Amount, TillError> {
    Amount::parse_positive(s).map_err(TillError::Amount)
}

async fn till_command(global: &GlobalArgs, cmd: Command) -> anyhow::Result<Outcome> {
    prevalidate(&cmd)?;
    if let Some(o) = &global.operator
        && !crate::till::manager::valid_operator(o)
    {
        return Err(TillError::OperatorInvalid(o.chars().take(60).collect()).into());
    }
    let dir = global.data_dir()?;
    if let Command::Ledger(LedgerCommand::Verify(a)) = cmd {
        // The check itself writes nothing and reads no setting (on a read-only ledger it runs on a private copy),
        // so it names the problem on a ledger whose settings or seals were altered; its result is journaled after.
        let (ledger, scratch) = app::open_ledger_to_verify(&dir).map_err(TillError::Ledger)?;
        let operator = global
            .operator
            .as_deref()
            .unwrap_or(app::settings::DEFAULT_OPERATOR);
        let (outcome, report) = dispatch::ledger_verify(&Records::new(ledger, operator), &a)?;
        // The check and its result are a technical event of the till's own ledger (never of a copy).
        if !scratch.is_copy() {
            drop(scratch);
            if let Err(e) = app::journal_integrity_check(
                &dir,
                operator,
                report.entries_checked,
                report.first_break.as_ref().map(|b| b.describe_en()),
            ) {
                eprintln!(
                    "cadodesk: note: this check was not journaled ({})",
                    e.localize(Lang::En)
                );
            }
        }
        return Ok(outcome);
    }
    let ledger = app::open_ledger(&dir).map_err(TillError::Ledger)?;
    let settings = app::settings::load(&ledger, &global.overrides()).map_err(TillError::Ledger)?;
    if !crate::till::manager::valid_operator(&settings.operator) {
        return Err(
            TillError::OperatorInvalid(settings.operator.chars().take(60).collect()).into(),
        );
    }
    // A start names the till (T01 until `till init` says otherwise) and closes what is due: a day left open, the
    // months and years that ended. `till init` itself names it first.
    let records = Records::new(ledger.clone(), &settings.operator);
    let named = if let Command::Till(TillCommand::Init(a)) = &cmd {
        records
            .till_init(&a.code, a.shop.as_deref(), a.address.as_deref())
            .map(|_| ())
    } else {
        records.till_identity().map(|_| ())
    };
    named?;
    match records.close_due() {
        Ok(made) => {
            for c in made {
                eprintln!(
                    "cadodesk: {} closing n°{} ({}) made at start",
                    c.kind.code(),
                    c.number,
                    c.label
                );
            }
        }
        // The command still runs; the closing is made at the next start.
        Err(e) => eprintln!(
            "cadodesk: the closing due could not be made ({e}); it will be made at the next start"
        ),
    }
    if let Command::Central(c) = &cmd {
        return backoffice::connect(&ledger, &settings.operator, c).await;
    }
    // Sync needs the ledger and the centre, not the platform.
    if let Command::Sync(a) = &cmd {
        let url = match &a.url {
            Some(u) => crate::vault::Secret::new(u.clone()),
            None => match app::platform::central_url(&ledger, &|_| None, &Vault::open) {
                Some(u) => u,
                None => {
                    return Ok(Outcome::Refused(
                        "sync: this till has no central URL: run `cadodesk central connect`, or set CADODESK_CENTRAL_URL"
                            .into(),
                    ));
                }
            },
        };
        return match crate::central::sync(&ledger, &settings.operator, url.expose()).await {
            Ok(r) => {
                if a.json {
                    print::print_json(&serde_json::to_value(&r)?)?;
                } else {
                    println!(
                        "till {}: {} entries sent; the centre holds up to entry {}, {} still to send",
                        r.till, r.uploaded, r.acknowledged_seq, r.pending
                    );
                }
                Ok(Outcome::Ok)
            }
            Err(e @ crate::central::CentralError::Ledger(_)) => {
                Err(anyhow::anyhow!(e.localize(Lang::En)))
            }
            Err(e) => Ok(Outcome::Refused(e.localize(Lang::En))),
        };
    }
    // The commands that only read or write the ledger need no platform: none is started or asked.
    let cmd =
        match dispatch::records_command(&Records::new(ledger.clone(), &settings.operator), cmd) {
            Ok(outcome) => return outcome,
            Err(cmd) => *cmd,
        };
    // The sandbox's data has one owner: the running app's sandbox is used when there is one, never a second.
    let platform = app::Platform::open(&settings.environment, &dir).await?;
    let credentials =
        app::platform::credentials(&settings, None, &|k| std::env::var(k).ok(), &|| {
            Vault::open(Backend::Platform)
        })?;
    let central = app::platform::central_url(&ledger, &|k| std::env::var(k).ok(), &Vault::open);
    let till = app::platform::till(
        ledger,
        &settings,
        &platform.base_url,
        &credentials,
        central.as_ref(),
    )?;
    let out = dispatch::till_command(&till, cmd).await;
    drop(platform);
    out
}
