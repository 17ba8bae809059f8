//! The embedded emulator of Worldline Direct ("the sandbox"): API routes, the Bimpli CADO hosted page, test cards,
//! persistence and faults. It shares no code with the client; the two meet only over HTTP.

use clap::Args;

/// `cadodesk sandbox` options.
#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: String,
}

/// Runs `cadodesk sandbox`.
pub fn run_cli(_args: SandboxArgs) -> anyhow::Result<()> {
    anyhow::bail!("the sandbox is not built yet")
}
