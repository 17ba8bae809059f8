//! The command line: the same use cases as the app, for scripts and for the accountant. This is an edge:
//! errors become one line on standard error and a non-zero exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

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

/// Runs the parsed command line and turns the outcome into an exit code.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        None | Some(Command::App) => crate::ui::run_app(&cli.global),
        Some(Command::Sandbox(args)) => crate::sandbox::run_cli(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cadodesk: {}", one_line(&e));
            ExitCode::from(2)
        }
    }
}

/// An error and its causes on one line.
pub fn one_line(e: &anyhow::Error) -> String {
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
        .replace('\n', " ")
}
