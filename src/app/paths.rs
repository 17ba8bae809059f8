//! Where the data lives: one rule for the app and the command line.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// No data directory can be chosen.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("no home directory to keep the ledger in: pass --data-dir DIR (or set CADODESK_DATA_DIR)")]
pub struct NoDataDir;

/// The data directory: the one given (`--data-dir`, `CADODESK_DATA_DIR`), else the platform's data directory
/// (`~/.local/share/cadodesk` on Linux). Without either it is an error: the ledger is never put in whatever folder
/// the program happened to start in.
pub fn data_dir(given: Option<&Path>) -> Result<PathBuf, NoDataDir> {
    choose(
        given,
        directories::ProjectDirs::from("fr", "cadodesk", "cadodesk")
            .map(|p| p.data_dir().to_path_buf()),
    )
}

/// The rule itself, with the platform's directory passed in.
fn choose(given: Option<&Path>, platform: Option<PathBuf>) -> Result<PathBuf, NoDataDir> {
    match given {
        Some(d) => Ok(d.to_path_buf()),
        None => platform.ok_or(NoDataDir),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_dir_is_the_given_one_else_the_platforms_else_an_error() {
        let given = Path::new("/srv/till");
        let home = PathBuf::from("/home/ana/.local/share/cadodesk");
        assert_eq!(
            choose(Some(given), Some(home.clone())),
            Ok(given.to_path_buf())
        );
        assert_eq!(choose(None, Some(home.clone())), Ok(home));
        assert_eq!(choose(None, None), Err(NoDataDir));
        assert!(NoDataDir.to_string().contains("--data-dir"));
    }
}
