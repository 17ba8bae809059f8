//! Signed archives: a year of closings written to one file, checked by `archive verify` with the file alone, and
//! every kind of tampering named (a byte flipped in any member, a member removed, entries reordered, and a closing
//! forged by someone holding the till's key, caught by recomputing it from the entries).
//!
//! With `CADODESK_ARCHIVE_FIXTURES=DIR` the archives are also written to DIR with `expected.json`, for the
//! independent verifier (`scripts/archive-test.sh`).

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use std::path::{Path, PathBuf};

use cadodesk::i18n::{Lang, Localize};
use cadodesk::ledger::journal::entry_hash;
use cadodesk::ledger::{document_message, seal_message};
use cadodesk::till::Till;
use cadodesk::till::archive::format::{MANIFEST_LABEL, Manifest};
use cadodesk::till::archive::verify_archive;
use chrono::NaiveDate;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::binary::{Cli, json_of, stderr_of};
use crate::support::till::*;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Four days over November and December 2026, their months and the year, on the test clock: a sale paid with a
/// gift card, a refund of it the next day, card sales, a refund after a closing.
pub(crate) async fn a_year_of_closings(dir: &Path, base: &str) -> Till {
    let clock = test_clock();
    clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-11-29T11:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc),
    );
    let till = till_on_clock(dir, base, &clock, None);
    let sale1 = paid_sale(&till, 5000, &[CADO_50], None).await;
    till.close_day().unwrap();
    clock.advance(chrono::Duration::days(1));
    refund_first_card(&till, &sale1, 1000).await;
    paid_sale(&till, 2000, &[], Some(VISA)).await;
    clock.advance(chrono::Duration::days(1));
    till.close_due().unwrap();
    let sale3 = paid_sale(&till, 2000, &[], Some(VISA)).await;
    till.close_day().unwrap();
    refund_first_card(&till, &sale3, 500).await;
    clock.advance(chrono::Duration::days(35));
    till.close_due().unwrap();
    till
}

/// The members of a tar file, in order.
fn members(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut a = tar::Archive::new(std::fs::File::open(path).unwrap());
    a.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = e.path().unwrap().display().to_string();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut bytes).unwrap();
            (name, bytes)
        })
        .collect()
}

fn write_members(path: &Path, members: &[(String, Vec<u8>)]) {
    let mut b = tar::Builder::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in members {
        let mut h = tar::Header::new_ustar();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, bytes.as_slice()).unwrap();
    }
    b.into_inner().unwrap();
}

fn member<'a>(m: &'a mut [(String, Vec<u8>)], name: &str) -> &'a mut Vec<u8> {
    &mut m.iter_mut().find(|(n, _)| n == name).unwrap().1
}

/// Someone holding the till's key rewrites a closing's payments, then re-hashes and re-seals every entry after it,
/// rebuilds the lists and re-signs the manifest: only recomputing the closing from the entries can catch it.
fn forge_with_the_key(dir: &Path, good: &Path, out: &Path, label: &str) {
    let key =
        cadodesk::app::journal_key::existing(dir, &cadodesk::app::journal_key::platform_vault)
            .unwrap()
            .expect("the till's key");
    let mut m = members(good);
    let text = String::from_utf8(member(&mut m, "entries.jsonl").clone()).unwrap();
    let mut lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut prev: Option<String> = None;
    let mut forged_closing = None;
    for l in &mut lines {
        let mut payload: Value = serde_json::from_str(l["payload"].as_str().unwrap()).unwrap();
        if payload["kind"] == "closing_made"
            && payload["closing"]["kind"] == "day"
            && payload["closing"]["label"] == label
        {
            let p = payload["closing"]["totals"]["payments_cents"]
                .as_i64()
                .unwrap();
            payload["closing"]["totals"]["payments_cents"] = json!(p + 100);
            l["payload"] = json!(serde_json::to_string(&payload).unwrap());
            forged_closing = Some((l["seq"].clone(), payload["closing"].clone()));
        }
        if let Some(p) = &prev {
            l["prevHash"] = json!(p);
        }
        let seq = l["seq"].as_i64().unwrap();
        let hash = entry_hash(
            seq,
            l["at"].as_str().unwrap(),
            l["kind"].as_str().unwrap(),
            l["operator"].as_str().unwrap(),
            l["payload"].as_str().unwrap(),
            l["prevHash"].as_str().unwrap(),
        );
        l["signature"] = json!(key.sign(&seal_message(seq, &hash)));
        l["hash"] = json!(hash);
        prev = Some(hash);
    }
    let (fseq, fclosing) = forged_closing.expect("the closing to forge");
    let joined = |ls: &mut dyn Iterator<Item = &Value>| -> Vec<u8> {
        ls.map(|l| format!("{}\n", serde_json::to_string(l).unwrap()))
            .collect::<String>()
            .into_bytes()
    };
    *member(&mut m, "entries.jsonl") = joined(&mut lines.iter());
    let technical = cadodesk::ledger::journal::TECHNICAL_KINDS;
    *member(&mut m, "events.jsonl") = joined(
        &mut lines
            .iter()
            .filter(|l| technical.contains(&l["kind"].as_str().unwrap())),
    );
    let closings = String::from_utf8(member(&mut m, "closings.jsonl").clone()).unwrap();
    let closings: Vec<Value> = closings
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            if v["seq"] == fseq {
                v["closing"] = fclosing.clone();
            }
            v
        })
        .collect();
    *member(&mut m, "closings.jsonl") = joined(&mut closings.iter());
    let mut manifest: Manifest = serde_json::from_slice(member(&mut m, "manifest.json")).unwrap();
    for mm in &mut manifest.members {
        let bytes = &m.iter().find(|(n, _)| *n == mm.name).unwrap().1;
        mm.bytes = bytes.len() as u64;
        mm.sha256 = cadodesk::ledger::journal::hex(&Sha256::digest(bytes));
    }
    let manifest = serde_json::to_vec_pretty(&manifest).unwrap();
    *member(&mut m, "manifest.sig") = format!(
        "{}\n",
        key.sign(&document_message(MANIFEST_LABEL, &manifest))
    )
    .into_bytes();
    *member(&mut m, "manifest.json") = manifest;
    write_members(out, &m);
}

/// What the verifier must say of each archive: sound, or refused naming this text.
struct Case {
    name: &'static str,
    names: Option<&'static str>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archive_verifies_alone_and_every_tampering_is_named() {
    let sb = sandbox(0).await;
    let dir = tempfile::tempdir().unwrap();
    let till = a_year_of_closings(dir.path(), &sb.base_url()).await;
    let out = tempfile::tempdir().unwrap();
    let file = |n: &str| -> PathBuf { out.path().join(n) };

    // The year: four days, two months and the year itself.
    let year = till
        .archive(day("2026-01-01"), day("2026-12-31"), &file("good.tar"))
        .unwrap();
    assert_eq!(year.closings, 7, "{year:?}");
    let r = verify_archive(&file("good.tar")).unwrap();
    assert_eq!((r.closings, r.entries), (7, year.entries));
    assert_eq!(r.seals, r.entries, "every entry sealed and checked");
    // Making it is a journal entry, which waits for the next archive.
    let made = till.ledger().entries(1, 100_000).unwrap();
    let last = made.last().unwrap();
    assert_eq!(last.kind, "archive_made");
    assert!(last.payload.contains(&year.sha256), "{}", last.payload);
    // An archive never overwrites a file.
    let again = till.archive(day("2026-01-01"), day("2026-12-31"), &file("good.tar"));
    assert!(again.unwrap_err().localize(Lang::En).contains("exists"));

    // From the last day of November: the refund of a sale made before it needs the opening state.
    let tail = till
        .archive(
            day("2026-11-30"),
            day("2026-12-31"),
            &file("from-30-november.tar"),
        )
        .unwrap();
    assert_eq!(tail.closings, 4, "{tail:?}");
    verify_archive(&file("from-30-november.tar")).unwrap();
    // A period with no closing in it: refused, nothing written.
    let none = till.archive(day("2025-01-01"), day("2025-12-31"), &file("none.tar"));
    assert!(none.unwrap_err().localize(Lang::En).contains("no closing"));
    assert!(!file("none.tar").exists());

    let good = members(&file("good.tar"));
    let mut cases = vec![
        Case {
            name: "good.tar",
            names: None,
        },
        Case {
            name: "from-30-november.tar",
            names: None,
        },
    ];
    // One byte flipped in each member (a digit in the middle turned into another digit).
    for (i, (name, bytes)) in good.iter().enumerate() {
        let mut m = good.clone();
        let at = (bytes.len() / 2..bytes.len())
            .chain(0..bytes.len() / 2)
            .find(|j| bytes[*j].is_ascii_digit())
            .unwrap();
        m[i].1[at] = if bytes[at] == b'7' { b'3' } else { b'7' };
        let tampered: &'static str = Box::leak(format!("flipped-{name}.tar").into_boxed_str());
        write_members(&file(tampered), &m);
        cases.push(Case {
            name: tampered,
            names: Some(Box::leak(name.clone().into_boxed_str())),
        });
    }
    // A member removed.
    for name in ["opening.json", "entries.jsonl"] {
        let m: Vec<_> = good.iter().filter(|(n, _)| n != name).cloned().collect();
        let tampered: &'static str = Box::leak(format!("removed-{name}.tar").into_boxed_str());
        write_members(&file(tampered), &m);
        cases.push(Case {
            name: tampered,
            names: Some(name),
        });
    }
    // Two entries swapped.
    let mut m = good.clone();
    let entries = member(&mut m, "entries.jsonl");
    let mut lines: Vec<&[u8]> = entries.split_inclusive(|b| *b == b'\n').collect();
    lines.swap(3, 4);
    *entries = lines.concat();
    write_members(&file("reordered-entries.tar"), &m);
    cases.push(Case {
        name: "reordered-entries.tar",
        names: Some("entries.jsonl"),
    });
    // One entry's seal altered (the chain untouched): the seal names it, whatever else differs after it.
    let mut m = good.clone();
    let entries = member(&mut m, "entries.jsonl");
    let text = String::from_utf8(entries.clone()).unwrap();
    let line5 = text.lines().nth(4).unwrap();
    let sig = serde_json::from_str::<Value>(line5).unwrap()["signature"]
        .as_str()
        .unwrap()
        .to_string();
    let flipped = format!(
        "{}{}",
        if sig.starts_with('0') { "1" } else { "0" },
        &sig[1..]
    );
    *entries = text
        .replacen(line5, &line5.replace(&sig, &flipped), 1)
        .into_bytes();
    write_members(&file("resealed-entry.tar"), &m);
    cases.push(Case {
        name: "resealed-entry.tar",
        names: Some("seal"),
    });
    // A closing forged by someone holding the key.
    forge_with_the_key(
        dir.path(),
        &file("good.tar"),
        &file("forged-closing.tar"),
        "2026-11-30",
    );
    cases.push(Case {
        name: "forged-closing.tar",
        names: Some("2026-11-30"),
    });

    for c in &cases {
        match (verify_archive(&file(c.name)), c.names) {
            (Ok(_), None) => {}
            (Err(e), Some(text)) => {
                let line = e.localize(Lang::En);
                assert!(line.contains(text), "{}: {line}", c.name);
                assert!(!e.localize(Lang::Fr).is_empty());
            }
            (got, want) => panic!("{}: {got:?}, expected refusal naming {want:?}", c.name),
        }
    }
    let forged = verify_archive(&file("forged-closing.tar"))
        .unwrap_err()
        .localize(Lang::En);
    assert!(forged.contains("paymentsCents"), "{forged}");

    // Through the binary: `archive verify` needs nothing but the file, exits 1 and names the difference.
    let cli = Cli::sandbox(&tempfile::tempdir().unwrap().keep(), &sb.base_url());
    let ok = cli
        .run(&[
            "archive",
            "verify",
            file("good.tar").to_str().unwrap(),
            "--json",
        ])
        .await;
    assert!(ok.status.success(), "{}", stderr_of(&ok));
    assert_eq!(json_of(&ok)["closings"], 7);
    let bad = cli
        .run(&[
            "archive",
            "verify",
            file("reordered-entries.tar").to_str().unwrap(),
        ])
        .await;
    assert_eq!(bad.status.code(), Some(1), "{}", stderr_of(&bad));
    assert!(
        stderr_of(&bad).contains("entries.jsonl"),
        "{}",
        stderr_of(&bad)
    );

    if let Some(fixtures) = std::env::var_os("CADODESK_ARCHIVE_FIXTURES") {
        let fixtures = PathBuf::from(fixtures);
        std::fs::create_dir_all(&fixtures).unwrap();
        let mut expected = serde_json::Map::new();
        for c in &cases {
            std::fs::copy(file(c.name), fixtures.join(c.name)).unwrap();
            expected.insert(
                c.name.into(),
                json!({"sound": c.names.is_none(), "names": c.names}),
            );
        }
        std::fs::write(
            fixtures.join("expected.json"),
            serde_json::to_vec_pretty(&Value::Object(expected)).unwrap(),
        )
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archive_through_the_binary_after_closing_a_day() {
    let sb = sandbox(0).await;
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::sandbox(dir.path(), &sb.base_url());
    cli.no_pin_needed().await;
    let sale = cli
        .run(&["checkout", "create", "--amount", "42,50", "--json"])
        .await;
    assert!(sale.status.success(), "{}", stderr_of(&sale));
    let closed = cli.run(&["close", "--json"]).await;
    assert!(closed.status.success(), "{}", stderr_of(&closed));
    let today = json_of(&closed)["label"].as_str().unwrap().to_string();
    let target = dir.path().join("year.tar");
    let target = target.to_str().unwrap();
    let made = cli
        .run(&[
            "archive", "--from", &today, "--to", &today, "-o", target, "--json",
        ])
        .await;
    assert!(made.status.success(), "{}", stderr_of(&made));
    let v = json_of(&made);
    assert_eq!(v["closings"], 1);
    let check = cli.run(&["archive", "verify", target]).await;
    assert!(check.status.success(), "{}", stderr_of(&check));
    assert!(String::from_utf8_lossy(&check.stdout).contains("archive sound"));
    // The same file again: refused, the first one untouched.
    let before = std::fs::read(target).unwrap();
    let again = cli
        .run(&["archive", "--from", &today, "--to", &today, "-o", target])
        .await;
    assert_eq!(again.status.code(), Some(1), "{}", stderr_of(&again));
    assert_eq!(std::fs::read(target).unwrap(), before);
    // An entry edited behind the till's back: the till refuses to hand out an archive of it, naming the entry.
    {
        let c = rusqlite::Connection::open(dir.path().join("ledger.sqlite3")).unwrap();
        c.execute_batch(
            "DROP TRIGGER journal_no_update;
             UPDATE journal SET operator = 'mallory'
             WHERE seq = (SELECT MIN(seq) FROM journal WHERE kind = 'checkout_requested');",
        )
        .unwrap();
    }
    let edited = dir.path().join("edited.tar");
    let out = cli
        .run(&[
            "archive",
            "--from",
            &today,
            "--to",
            &today,
            "-o",
            edited.to_str().unwrap(),
        ])
        .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("was edited"),
        "{}",
        stderr_of(&out)
    );
    assert!(!edited.exists(), "nothing handed out");
    // A reversed period: refused before anything is read.
    let reversed = cli
        .run(&[
            "archive",
            "--from",
            "2026-12-31",
            "--to",
            "2026-01-01",
            "-o",
            "x.tar",
        ])
        .await;
    assert_eq!(reversed.status.code(), Some(1), "{}", stderr_of(&reversed));
}
