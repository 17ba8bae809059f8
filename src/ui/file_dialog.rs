//! The system's save dialog for the CSV export (through `rfd`: the XDG desktop portal or zenity on Linux, the native
//! panels on macOS and Windows): where it starts, what it returns, and whether one can open at all. The dialog itself
//! runs on the worker, never on the UI thread; the path field stays for machines without one.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The folder and file name the dialog opens on, from the path typed so far. A bare name keeps no folder; an empty
/// path starts on `remboursements.csv`.
pub fn start_from(current: &Path) -> (Option<PathBuf>, String) {
    let name = current
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "remboursements.csv".to_string());
    let dir = current
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && d.is_dir())
        .map(Path::to_path_buf);
    (dir, name)
}

/// The chosen file with `.csv` added when the name has no extension (a save dialog lets one type just "novembre").
pub fn with_csv_extension(mut path: PathBuf) -> PathBuf {
    if path.extension().is_none() {
        path.set_extension("csv");
    }
    path
}

/// The name to give the dialog. zenity (the Linux fallback, used where there is no session bus for the desktop portal)
/// is given no starting folder, so it gets the whole path, which it opens on; the others get the folder apart.
pub fn file_name_for(dir: Option<&Path>, name: &str, zenity: bool) -> String {
    match dir {
        Some(d) if zenity => d.join(name).display().to_string(),
        _ => name.to_string(),
    }
}

/// Whether the dialog will be zenity's: Linux without a session bus.
pub fn zenity_likely() -> bool {
    cfg!(target_os = "linux")
        && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none_or(|b| b.is_empty())
}

/// Whether a save dialog can open here: on Linux, a session bus for the desktop portal or `zenity` on the `PATH`;
/// elsewhere the system always has one.
pub fn available() -> bool {
    if cfg!(target_os = "linux") {
        can_open(
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").as_deref(),
            std::env::var_os("PATH").as_deref(),
        )
    } else {
        true
    }
}

/// [`available`] on Linux, with the environment passed in.
pub fn can_open(session_bus: Option<&OsStr>, path: Option<&OsStr>) -> bool {
    if session_bus.is_some_and(|b| !b.is_empty()) {
        return true;
    }
    path.is_some_and(|p| std::env::split_paths(p).any(|dir| dir.join("zenity").is_file()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dialog_starts_in_the_typed_folder_with_the_typed_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let typed = dir.path().join("novembre.csv");
        assert_eq!(
            start_from(&typed),
            (Some(dir.path().to_path_buf()), "novembre.csv".to_string())
        );
        // A folder that does not exist is not offered; the name is kept.
        let (d, n) = start_from(Path::new("/no/such/folder/x.csv"));
        assert_eq!((d, n.as_str()), (None, "x.csv"));
        assert_eq!(start_from(Path::new("")).1, "remboursements.csv");
        assert_eq!(start_from(Path::new("seul.csv")), (None, "seul.csv".into()));
    }

    #[test]
    fn zenity_gets_the_whole_path_the_portal_the_name() {
        let d = Path::new("/home/caisse/Documents");
        assert_eq!(
            file_name_for(Some(d), "novembre.csv", true),
            "/home/caisse/Documents/novembre.csv"
        );
        assert_eq!(
            file_name_for(Some(d), "novembre.csv", false),
            "novembre.csv"
        );
        assert_eq!(file_name_for(None, "novembre.csv", true), "novembre.csv");
    }

    #[test]
    fn a_name_without_extension_gets_csv() {
        assert_eq!(
            with_csv_extension(PathBuf::from("/tmp/novembre")),
            PathBuf::from("/tmp/novembre.csv")
        );
        assert_eq!(
            with_csv_extension(PathBuf::from("/tmp/novembre.txt")),
            PathBuf::from("/tmp/novembre.txt")
        );
    }

    #[test]
    fn a_dialog_needs_a_session_bus_or_zenity() {
        assert!(can_open(
            Some(OsStr::new("unix:path=/run/user/0/bus")),
            None
        ));
        assert!(!can_open(Some(OsStr::new("")), None));
        assert!(!can_open(None, Some(OsStr::new("/nonexistent"))));
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("zenity"), "#!/bin/sh\n").expect("write");
        assert!(can_open(None, Some(dir.path().as_os_str())));
    }
}
