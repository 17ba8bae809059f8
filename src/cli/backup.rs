//! `backup`, `restore` and `key export|import`: the ledger kept safe and moved to a new machine.

use std::path::Path;

use super::Outcome;
use super::args::*;
use super::print::print_json;
use crate::app::backup::{self as saved, BackupError, RestoreOptions};
use crate::app::{journal_key, key_transfer};
use crate::ledger::KeyHome;
use crate::till::Records;

/// Runs the commands that must come before the ledger is opened (`restore`, `key …`); gives any other back.
pub(super) fn before_ledger(
    dir: &Path,
    cmd: Command,
) -> Result<anyhow::Result<Outcome>, Box<Command>> {
    match cmd {
        Command::Restore(a) => Ok(restore(dir, &a)),
        Command::Key(KeyCommand::Export(a)) => Ok(key_export(dir, &a)),
        Command::Key(KeyCommand::Import(a)) => Ok(key_import(dir, &a)),
        other => Err(Box::new(other)),
    }
}

/// A refusal the person can act on is exit 1; a ledger that cannot be read or written is exit 2.
fn outcome_of(e: BackupError) -> anyhow::Result<Outcome> {
    match e {
        BackupError::Ledger(l) => Err(anyhow::anyhow!(crate::i18n::Localize::localize(
            l.as_ref(),
            crate::i18n::Lang::En
        ))),
        BackupError::Io { .. } => Err(e.into()),
        other => Ok(Outcome::Refused(other.to_string())),
    }
}

/// `backup -o FILE`
pub(super) fn backup(records: &Records, a: &BackupArgs) -> anyhow::Result<Outcome> {
    match saved::backup(records.ledger(), records.operator(), &a.output) {
        Ok(made) => {
            if a.json {
                print_json(&serde_json::to_value(&made)?)?;
            } else {
                println!(
                    "backup written to {} and verified: entries 1 to {}, SHA-256 {}",
                    made.path.display(),
                    made.last_seq,
                    made.sha256
                );
            }
            Ok(Outcome::Ok)
        }
        Err(e) => outcome_of(e),
    }
}

fn restore(dir: &Path, a: &RestoreArgs) -> anyhow::Result<Outcome> {
    let held = journal_key::existing(dir, &journal_key::platform_vault)?.map(|k| k.key_id());
    let options = RestoreOptions {
        force: a.force,
        new_key: a.new_key,
    };
    match saved::restore(dir, &a.file, held.as_deref(), options) {
        Ok(r) => {
            if a.json {
                print_json(&serde_json::to_value(&r)?)?;
            } else {
                println!(
                    "ledger restored from {}: entries 1 to {}",
                    a.file.display(),
                    r.last_seq
                );
                if let Some(aside) = &r.kept_aside {
                    println!("the ledger that was there is kept in {}", aside.display());
                }
                if r.entries_not_in_copy > 0 {
                    println!(
                        "note: {} entries of that ledger are not in the restored one (--force)",
                        r.entries_not_in_copy
                    );
                }
            }
            Ok(Outcome::Ok)
        }
        Err(e) => outcome_of(e),
    }
}

/// The passphrase: the first line of standard input, never an option (it would show in the process list).
fn passphrase() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| anyhow::anyhow!("passphrase: standard input could not be read ({e})"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn key_export(dir: &Path, a: &KeyExportArgs) -> anyhow::Result<Outcome> {
    let Some(key) = journal_key::existing(dir, &journal_key::platform_vault)? else {
        return Ok(Outcome::Refused(format!(
            "the data directory {} holds no journal key: check --data-dir (the till makes its key at its first start)",
            dir.display()
        )));
    };
    let text = match key_transfer::seal(&key, &passphrase()?) {
        Ok(t) => t,
        Err(e) => return Ok(Outcome::Refused(e.to_string())),
    };
    if std::fs::symlink_metadata(&a.output).is_ok() {
        return Ok(Outcome::Refused(format!(
            "{} is already there (a key export never replaces a file): choose a new name",
            a.output.display()
        )));
    }
    write_private(&a.output, text.as_bytes())?;
    println!(
        "journal key {} written to {}, sealed under the passphrase: keep the file and the passphrase apart",
        key.key_id(),
        a.output.display()
    );
    Ok(Outcome::Ok)
}

fn key_import(dir: &Path, a: &KeyImportArgs) -> anyhow::Result<Outcome> {
    let text = std::fs::read_to_string(&a.file)
        .map_err(|e| anyhow::anyhow!("{}: the key file cannot be read ({e})", a.file.display()))?;
    let key = match key_transfer::open(&text, &passphrase()?, KeyHome::Keychain) {
        Ok(k) => k,
        Err(e) => return Ok(Outcome::Refused(e.to_string())),
    };
    match journal_key::import(dir, &key, &journal_key::platform_vault) {
        Ok((home, new)) => {
            let home = match home {
                KeyHome::Keychain => "the OS keychain".to_string(),
                KeyHome::File(f) => format!("the key file {f}"),
            };
            if new {
                println!("journal key {} kept in {home}", key.key_id());
            } else {
                println!("journal key {} was already kept in {home}", key.key_id());
            }
            Ok(Outcome::Ok)
        }
        Err(journal_key::ImportError::Ledger(e)) => Err(anyhow::anyhow!(
            crate::i18n::Localize::localize(e.as_ref(), crate::i18n::Lang::En)
        )),
        Err(e) => Ok(Outcome::Refused(e.to_string())),
    }
}

/// Writes a new file readable by its owner only, whole or not at all (temporary file, sync, link, sync folder).
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let tmp = dir.join(format!(
        ".cadodesk-key-{}.partial",
        uuid::Uuid::new_v4().simple()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = (|| -> std::io::Result<()> {
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::hard_link(&tmp, path)?;
        std::fs::File::open(&dir)?.sync_all()
    })();
    let _ = std::fs::remove_file(&tmp);
    written.map_err(|e| {
        anyhow::anyhow!(
            "{}: the key file could not be written ({e}): check that the folder exists and is writable",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn backup_and_key_commands_parse() {
        use clap::Parser;
        for line in [
            &["cadodesk", "backup", "-o", "/tmp/x.sqlite3"][..],
            &["cadodesk", "restore", "/tmp/x.sqlite3", "--force"],
            &["cadodesk", "key", "export", "-o", "/tmp/k"],
            &["cadodesk", "key", "import", "/tmp/k"],
        ] {
            assert!(super::super::Cli::try_parse_from(line).is_ok(), "{line:?}");
        }
    }
}
