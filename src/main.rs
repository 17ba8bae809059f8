//! The `cadodesk` binary: parse the command line, set up logging, hand over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cadodesk::cli::Cli::parse();
    cadodesk::cli::init_tracing(cli.verbose);
    cadodesk::cli::run(cli)
}
