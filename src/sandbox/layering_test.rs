//! The sandbox's layers (see `server.rs`): a module may import modules of its own layer or below, never above, so
//! that the state knows nothing of HTTP and the helpers nothing of the handlers. Also keeps every file small.

use std::path::{Path, PathBuf};

/// The layer of each module of `src/sandbox/` (file stem, or `handlers` for everything under `handlers/`).
const LAYERS: &[(&str, u8)] = &[
    ("cards", 0),
    ("model", 0),
    ("store", 0),
    ("faults", 0),
    ("app", 0),
    ("owner", 0),
    ("reply", 1),
    ("wire", 1),
    ("auth", 1),
    ("conn", 1),
    ("webhooks", 1),
    ("handlers", 2),
    ("server", 3),
    ("mod", 3),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The sandbox modules a source file names, through `super::x` (from a top-level file) or `crate::sandbox::x`.
fn imports(text: &str, nested: bool) -> Vec<String> {
    let mut found = Vec::new();
    let mut prefixes = vec!["crate::sandbox::"];
    if !nested {
        prefixes.push("super::");
    }
    for prefix in prefixes {
        for (i, _) in text.match_indices(prefix) {
            let rest = &text[i + prefix.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push(name);
            } else if let Some(group) = rest.strip_prefix('{') {
                // `super::{a, b}`
                let group: String = group.chars().take_while(|c| *c != '}').collect();
                for part in group.split(',') {
                    let name: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        found.push(name);
                    }
                }
            }
        }
    }
    found
}

#[test]
fn no_module_imports_a_higher_layer_and_no_file_is_long() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sandbox");
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(files.len() > 10, "sources found: {files:?}");
    let mut wrong = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&root).unwrap_or(file);
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let in_handlers = rel.components().count() > 1;
        // In `handlers/mod.rs`, `super::` is the sandbox; in `handlers/x.rs` it is `handlers`.
        let nested = in_handlers && stem != "mod";
        if stem == "layering_test" {
            continue;
        }
        let module = if in_handlers { "handlers" } else { stem };
        let Some(own) = layer(module) else {
            wrong.push(format!("{}: not in LAYERS", rel.display()));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap_or_default();
        // Unit tests may reach anything.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for name in imports(code, nested) {
            if let Some(l) = layer(&name)
                && l > own
            {
                wrong.push(format!(
                    "{} (layer {own}) imports {name} (layer {l})",
                    rel.display()
                ));
            }
        }
        let lines = text.lines().count();
        if lines > 600 {
            wrong.push(format!("{}: {lines} lines", rel.display()));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_check_sees_an_upward_import() {
    assert_eq!(
        imports("use super::{model, handlers::page};", false),
        ["model", "handlers"]
    );
    assert_eq!(imports("use crate::sandbox::app::App;", true), ["app"]);
    assert!(imports("use super::page_html::x;", true).is_empty());
}
