//! The `cadodesk` binary: parse the command line, set up logging, then open the desktop app (no subcommand) or run
//! the subcommand. The two faces meet only here.

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use cadodesk::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => match e.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => e.exit(),
            // A bad option is a refusal like any other: one line naming it, exit 1.
            _ => {
                eprintln!("cadodesk: {}", cadodesk::cli::usage_error_line(&e));
                return ExitCode::from(1);
            }
        },
    };
    cadodesk::cli::init_tracing(cli.verbose);
    match cli.command {
        None | Some(Command::App) => {
            let opened = cli
                .global
                .data_dir()
                .and_then(|dir| cadodesk::ui::run_app(&dir, cli.global.overrides()));
            match opened {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("cadodesk: {}", cadodesk::cli::one_line(&e));
                    ExitCode::from(2)
                }
            }
        }
        Some(_) => cadodesk::cli::run(cli),
    }
}
