//! The module boundaries of ARCHITECTURE.md, checked on the source text. The allowed edges are read from
//! ARCHITECTURE.md's table itself, so the document and the code cannot drift apart: a `use crate::…` that the
//! table does not allow fails, and so does an edge the table lists that the code no longer has.

use std::collections::{BTreeMap, BTreeSet};
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

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Each source file (relative to `src/`, `/`-separated) with its text, comments removed.
fn sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let rel = f
                .strip_prefix(src())
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&f).expect("readable source");
            (rel, code_only(&text))
        })
        .collect()
}

/// The text without line comments (doc comments name other modules in links; they are not edges).
fn code_only(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level module a file belongs to: `till/refund.rs` → `till`, `vault.rs` → `vault`.
fn module_of(rel: &str) -> String {
    rel.split('/')
        .next()
        .unwrap_or(rel)
        .trim_end_matches(".rs")
        .to_string()
}

/// Every `crate::X` a text uses, including the ones inside `use crate::{X, Y::…}` groups.
fn uses(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
        rest = after;
    }
    out
}

/// ARCHITECTURE.md's "Allowed edges" table: module → the modules it may use.
fn allowed_edges() -> BTreeMap<String, BTreeSet<String>> {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"))
            .expect("ARCHITECTURE.md");
    let section = doc
        .split("## Allowed edges")
        .nth(1)
        .expect("ARCHITECTURE.md has an \"Allowed edges\" section");
    let mut table = BTreeMap::new();
    for line in section.lines().skip_while(|l| !l.starts_with('|')) {
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() < 2 || cells[0] == "module" || cells[0].starts_with("---") {
            continue;
        }
        let module = cells[0].trim_matches('`').to_string();
        let targets = cells[1]
            .split(',')
            .map(|t| t.trim().trim_matches('`').to_string())
            .filter(|t| !t.is_empty() && t != "—")
            .collect();
        table.insert(module, targets);
    }
    assert!(!table.is_empty(), "the allowed-edges table is empty");
    table
}

/// The edges the code has: module → the other modules its files use.
fn actual_edges() -> BTreeMap<String, BTreeSet<String>> {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, text) in sources() {
        let module = module_of(&rel);
        if module == "lib" || module == "main" {
            continue;
        }
        let entry = edges.entry(module.clone()).or_default();
        for used in uses(&text) {
            if used != module {
                entry.insert(used);
            }
        }
    }
    edges
}

#[test]
fn every_module_uses_only_the_modules_its_row_of_the_table_allows() {
    let allowed = allowed_edges();
    let actual = actual_edges();
    let mut problems = Vec::new();
    for (module, used) in &actual {
        let Some(may) = allowed.get(module) else {
            problems.push(format!(
                "module `{module}` has no row in ARCHITECTURE.md's table"
            ));
            continue;
        };
        for u in used.difference(may) {
            problems.push(format!(
                "`{module}` uses `{u}`, which its row does not allow"
            ));
        }
        for u in may.difference(used) {
            problems.push(format!(
                "`{module}`'s row allows `{u}`, which it no longer uses: remove it from the table"
            ));
        }
    }
    for module in allowed.keys() {
        if !actual.contains_key(module) {
            problems.push(format!(
                "the table lists `{module}`, which is not a module of src/"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_edge_check_sees_grouped_and_plain_uses_and_ignores_comments() {
    let text = code_only(
        "use crate::{domain::Amount, i18n};\nuse crate::ledger::Ledger;\n/// see [`crate::vault`]\n",
    );
    let got: Vec<String> = uses(&text).into_iter().collect();
    assert_eq!(got, ["domain", "i18n", "ledger"]);
    assert_eq!(module_of("till/refund.rs"), "till");
    assert_eq!(module_of("vault.rs"), "vault");
}

#[test]
fn the_faces_never_import_each_other() {
    let actual = actual_edges();
    assert!(!actual["ui"].contains("cli"), "ui uses cli");
    assert!(!actual["cli"].contains("ui"), "cli uses ui");
}

/// Source files whose path does not start with one of `allowed` and whose code contains `needle`.
fn offenders(needle: &str, allowed: &[&str]) -> Vec<String> {
    sources()
        .into_iter()
        .filter(|(rel, text)| !allowed.iter().any(|a| rel.starts_with(a)) && text.contains(needle))
        .map(|(rel, _)| rel)
        .collect()
}

#[test]
fn the_client_and_the_sandbox_meet_only_over_http() {
    let actual = actual_edges();
    assert!(!actual["direct"].contains("sandbox"));
    assert!(!actual["sandbox"].contains("direct"));
}

#[test]
fn only_the_ledger_speaks_sql() {
    assert_eq!(offenders("rusqlite::", &["ledger/"]), Vec::<String>::new());
    assert_eq!(
        offenders("tokio_postgres::", &["central/"]),
        Vec::<String>::new()
    );
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

#[test]
fn the_domain_and_the_documents_do_no_io() {
    let needles = [
        "std::fs",
        "std::net",
        "std::env",
        "std::process",
        "tokio::",
        "reqwest::",
        "rusqlite::",
    ];
    let found: Vec<String> = sources()
        .into_iter()
        .filter(|(rel, _)| rel.starts_with("domain/") || rel.starts_with("paper/"))
        .flat_map(|(rel, text)| {
            needles
                .iter()
                .filter(|n| text.contains(**n))
                .map(|n| format!("{rel}: {n}"))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        found.is_empty(),
        "IO in the domain or the documents: {found:?}"
    );
}

#[test]
fn no_source_file_is_longer_than_about_six_hundred_lines() {
    let long: Vec<String> = sources()
        .into_iter()
        .filter_map(|(rel, _)| {
            let n = std::fs::read_to_string(src().join(&rel))
                .expect("readable")
                .lines()
                .count();
            (n > 650).then(|| format!("{rel}: {n} lines"))
        })
        .collect();
    assert!(
        long.is_empty(),
        "split these along their jobs:\n{}",
        long.join("\n")
    );
}
