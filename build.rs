//! Names the commit the program is built from, for `cadodesk --version`: `CADODESK_COMMIT` when the build sets it
//! (a build from a source archive), else `git rev-parse --short HEAD`, else "unknown".

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// Watches a file git rewrites; a file that is not there (a packed ref) would make every build run this again.
fn watch(path: &str) {
    if std::path::Path::new(path).exists() {
        println!("cargo:rerun-if-changed={path}");
    }
}

fn main() {
    println!("cargo:rerun-if-env-changed=CADODESK_COMMIT");
    let commit = std::env::var("CADODESK_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| git(&["rev-parse", "--short=10", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_string());
    // Built again when HEAD moves (a commit, a checkout): the files git changes then.
    for what in ["HEAD"] {
        if let Some(path) = git(&["rev-parse", "--git-path", what]) {
            watch(&path);
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"])
        && let Some(path) = git(&["rev-parse", "--git-path", &branch])
    {
        watch(&path);
    }
    println!("cargo:rustc-env=CADODESK_COMMIT={commit}");
}
