//! The composition root: where the data lives ([`paths`]), what the stored settings say and what the command line
//! or the environment overrides ([`settings`]), which platform and credentials ([`platform`]: the embedded sandbox,
//! Worldline's environments, the keychain), and the till wired from them. Both faces, the command line and the
//! desktop app, start here; this module uses neither.

pub mod paths;
pub mod platform;
pub mod settings;

pub use paths::data_dir;
pub use platform::{EmbeddedSandbox, Platform};
pub use settings::{Environment, Overrides, Settings};
