//! The composition root: where the data lives ([`paths`]), what the stored settings say and what the command line
//! or the environment overrides ([`settings`]), which platform and credentials ([`platform`]: the embedded sandbox,
//! Worldline's environments, the keychain), and the till wired from them. Both faces, the command line and the
//! desktop app, start here; this module uses neither.

pub mod paths;
pub mod platform;
pub mod settings;

pub use paths::data_dir;

use std::path::Path;

use crate::ledger::{Ledger, LedgerError};

/// Opens (creating if needed) the ledger of the data directory `dir`, keeping the till's other files there (the
/// embedded sandbox's state) from ever being overwritten by an export.
pub fn open_ledger(dir: &Path) -> Result<Ledger, LedgerError> {
    let sandbox = dir.join(platform::SANDBOX_FILE);
    let mut log = sandbox.as_os_str().to_owned();
    log.push(".log");
    Ok(Ledger::open_in(dir)?.protecting(vec![sandbox, log.into()]))
}
pub use platform::{EmbeddedSandbox, Platform};
pub use settings::{Environment, Overrides, Settings};
