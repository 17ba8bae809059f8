//! The module boundaries of ARCHITECTURE.md, checked on the source text.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Source files whose path (relative to `src/`) does not start with one of `allowed` and that contain `needle`.
fn offenders(needle: &str, allowed: &[&str]) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .filter_map(|f| {
            let rel = f
                .strip_prefix(&src)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            if allowed.iter().any(|a| rel.starts_with(a)) {
                return None;
            }
            let text = std::fs::read_to_string(&f).ok()?;
            text.contains(needle).then_some(rel)
        })
        .collect()
}

#[test]
fn the_client_and_the_sandbox_meet_only_over_http() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for (dir, forbidden) in [("direct", "crate::sandbox"), ("sandbox", "crate::direct")] {
        let mut files = Vec::new();
        rust_files(&src.join(dir), &mut files);
        assert!(!files.is_empty(), "src/{dir} has no source");
        for f in files {
            let text = std::fs::read_to_string(&f).expect("readable source");
            assert!(
                !text.contains(forbidden),
                "{} uses {forbidden}",
                f.display()
            );
        }
    }
}

#[test]
fn only_the_ledger_speaks_sql() {
    assert_eq!(offenders("rusqlite::", &["ledger/"]), Vec::<String>::new());
}

#[test]
fn only_the_vault_touches_the_keychain() {
    assert_eq!(offenders("keyring::", &["vault.rs"]), Vec::<String>::new());
    assert_eq!(
        offenders("keyring_core::", &["vault.rs"]),
        Vec::<String>::new()
    );
}

#[test]
fn only_the_ui_touches_egui() {
    assert_eq!(offenders("egui::", &["ui/"]), Vec::<String>::new());
    assert_eq!(offenders("eframe::", &["ui/"]), Vec::<String>::new());
}
