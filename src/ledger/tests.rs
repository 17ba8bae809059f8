use super::*;
use crate::domain::{Amount, Clock, RefundState};
use crate::i18n::{Lang, Localize};

fn ledger() -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().expect("tempdir");
    let l = Ledger::open_in(dir.path()).expect("open");
    (dir, l)
}

fn sale(l: &Ledger, reference: &str, hosted: &str, tenders: &[(&str, i32, i64)]) {
    let total: i64 = tenders.iter().map(|t| t.2).sum();
    l.append(
        "ana",
        &Event::CheckoutRequested {
            merchant_reference: reference.into(),
            amount_cents: total,
            currency: "EUR".into(),
            email: None,
            locale: "fr_FR".into(),
            return_url: None,
        },
    )
    .expect("requested");
    l.append(
        "ana",
        &Event::CheckoutCreated {
            merchant_reference: reference.into(),
            hosted_checkout_id: hosted.parse().expect("an id"),
            redirect_url: "http://x/pay".into(),
        },
    )
    .expect("created");
    for (p, product, cents) in tenders {
        l.append(
            "ana",
            &Event::TenderSeen {
                hosted_checkout_id: hosted.parse().expect("an id"),
                payment_id: (*p).parse().expect("an id"),
                product_id: *product,
                masked_number: Some("629900******0001".into()),
                amount_cents: *cents,
                captured_cents: *cents,
                status: "CAPTURED".into(),
                status_code: Some(9),
            },
        )
        .expect("tender");
    }
}

#[test]
fn migrates_once_and_reopens() {
    let (dir, l) = ledger();
    sale(&l, "CD-1", "h1", &[("1_0", 3103, 5000)]);
    drop(l);
    let l = Ledger::open_in(dir.path()).expect("reopen");
    assert_eq!(l.journal_len().expect("len"), 3);
    assert!(l.verify().expect("verify").is_sound());
}

#[test]
fn journal_refuses_update_and_delete() {
    let (_dir, l) = ledger();
    sale(&l, "CD-1", "h1", &[("1_0", 3103, 5000)]);
    let conn = l.lock();
    let e = conn
        .execute("UPDATE journal SET operator = 'x' WHERE seq = 1", [])
        .expect_err("update refused");
    assert!(e.to_string().contains("append-only"), "{e}");
    assert!(conn.execute("DELETE FROM journal", []).is_err());
}

#[test]
fn refund_guard_counts_pending_and_in_flight() {
    let (_dir, l) = ledger();
    sale(&l, "CD-1", "h1", &[("1_0", 3103, 5000), ("2_0", 1, 1000)]);
    let a = Amount::from_cents(3000).expect("amount");
    let i1 = l.request_refund("ana", "1_0", a, "casse").expect("first");
    assert_eq!(i1.number, 1);
    // The first has no answer yet: a second on the same tender waits.
    assert!(matches!(
        l.request_refund("ana", "1_0", Amount::from_cents(1).expect("a"), "x"),
        Err(LedgerError::RefundInFlight { number: 1, .. })
    ));
    // Another tender is free.
    assert_eq!(
        l.request_refund("ana", "2_0", Amount::from_cents(1000).expect("a"), "x")
            .expect("other tender")
            .number,
        2
    );
    l.append(
        "ana",
        &Event::RefundAnswered {
            idempotence_key: i1.idempotence_key.clone(),
            refund_id: Some("1_1".parse().expect("an id")),
            state: RefundState::Pending,
            platform_status: Some("REFUND_REQUESTED".into()),
            failure: None,
        },
    )
    .expect("answer");
    let t = l.tender("1_0").expect("q").expect("tender");
    assert_eq!((t.pending.cents(), t.refundable().cents()), (3000, 2000));
    assert!(matches!(
        l.request_refund("ana", "1_0", Amount::from_cents(2001).expect("a"), "x"),
        Err(LedgerError::NotEnoughLeft { left, .. }) if left.cents() == 2000
    ));
    l.request_refund("ana", "1_0", Amount::from_cents(2000).expect("a"), "x")
        .expect("exactly what is left");
    assert!(matches!(
        l.request_refund("ana", "9_0", Amount::from_cents(1).expect("a"), "x"),
        Err(LedgerError::UnknownTender(_))
    ));
    assert!(l.verify().expect("verify").is_sound());
}

#[test]
fn declined_refunds_free_the_amount() {
    let (_dir, l) = ledger();
    sale(&l, "CD-1", "h1", &[("1_0", 3103, 5000)]);
    let i = l
        .request_refund("ana", "1_0", Amount::from_cents(5000).expect("a"), "x")
        .expect("intent");
    l.append(
        "ana",
        &Event::RefundAnswered {
            idempotence_key: i.idempotence_key,
            refund_id: None,
            state: RefundState::Declined,
            platform_status: None,
            failure: Some("refused".into()),
        },
    )
    .expect("answer");
    let t = l.tender("1_0").expect("q").expect("t");
    assert_eq!(t.refundable().cents(), 5000);
    let r = l.refunds_of_checkout("h1").expect("refunds");
    assert_eq!(r[0].state, RefundState::Declined);
    assert!(r[0].final_at.is_some());
}

#[test]
fn settings_round_trip_and_hide_the_pin_hash() {
    let (_dir, l) = ledger();
    l.set_setting("ana", keys::MERCHANT_ID, Some("m1"))
        .expect("set");
    l.set_setting("ana", keys::MANAGER_PIN_HASH, Some("salt$hash"))
        .expect("set");
    assert_eq!(
        l.setting(keys::MERCHANT_ID).expect("get").as_deref(),
        Some("m1")
    );
    let entries = l.entries(1, 10).expect("entries");
    assert_eq!(entries.len(), 2);
    assert!(!entries[1].payload.contains("salt$hash"));
    l.set_setting("ana", keys::MERCHANT_ID, None)
        .expect("remove");
    assert_eq!(l.setting(keys::MERCHANT_ID).expect("get"), None);
}

#[test]
fn next_reference_counts_per_prefix() {
    let (_dir, l) = ledger();
    assert_eq!(
        l.next_merchant_reference("CD-20261126-").expect("n"),
        "CD-20261126-0001"
    );
    sale(&l, "CD-20261126-0007", "h1", &[("1_0", 3103, 100)]);
    assert_eq!(
        l.next_merchant_reference("CD-20261126-").expect("n"),
        "CD-20261126-0008"
    );
    assert_eq!(
        l.next_merchant_reference("CD-20261127-").expect("n"),
        "CD-20261127-0001"
    );
}

#[test]
fn verify_names_an_edited_entry_and_a_cut_end() {
    let (dir, l) = ledger();
    sale(
        &l,
        "CD-1",
        "h1",
        &[("1_0", 3103, 5000), ("2_0", 3103, 2000)],
    );
    drop(l);
    let path = dir.path().join(LEDGER_FILE);
    {
        let c = Connection::open(&path).expect("raw");
        c.execute_batch(
            "DROP TRIGGER journal_no_update;
             UPDATE journal SET payload = replace(payload, '5000', '9000') WHERE seq = 3;",
        )
        .expect("tamper");
    }
    let l = Ledger::open(&path).expect("open");
    let r = l.verify().expect("verify");
    assert_eq!(r.first_break, Some(ChainBreak::Edited { seq: 3 }));
    assert_eq!(r.entries_checked, 2);
    drop(l);

    let dir2 = tempfile::tempdir().expect("tempdir");
    let l = Ledger::open_in(dir2.path()).expect("open");
    sale(
        &l,
        "CD-1",
        "h1",
        &[("1_0", 3103, 5000), ("2_0", 3103, 2000)],
    );
    drop(l);
    {
        let c = Connection::open(dir2.path().join(LEDGER_FILE)).expect("raw");
        c.execute_batch("DROP TRIGGER journal_no_delete; PRAGMA foreign_keys = OFF; DELETE FROM journal WHERE seq = 4;")
            .expect("tamper");
    }
    let l = Ledger::open_in(dir2.path()).expect("open");
    assert!(matches!(
        l.verify().expect("verify").first_break,
        Some(ChainBreak::Truncated {
            last_seq: 3,
            referenced_seq: 4
        })
    ));
}

#[test]
fn storage_errors_are_typed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(LEDGER_FILE);
    std::fs::write(
        &path,
        b"this is not a database, just some text long enough to be a header....................",
    )
    .expect("write");
    let e = Ledger::open(&path).expect_err("refused");
    assert!(matches!(e, LedgerError::Corrupt { .. }), "{e:?}");
    assert!(e.localize(Lang::Fr).contains("endommagé"));
    let e = Ledger::open(&dir.path().join("missing/dir/ledger.sqlite3")).expect_err("refused");
    assert!(matches!(e, LedgerError::CannotOpen { .. }), "{e:?}");
}

#[test]
fn every_foreign_key_has_an_index_on_its_child_column() {
    // Changing a parent key (a checkout getting its platform id) makes SQLite look for children; without an index
    // that is a scan of the whole child table on every such change, and appends slow down as the ledger grows.
    let (_dir, l) = ledger();
    let conn = l.lock();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("tables")
        .collect::<Result<_, _>>()
        .expect("names");
    let mut missing = Vec::new();
    for table in &tables {
        let fks: Vec<(String, String)> = conn
            .prepare(&format!(
                "SELECT \"from\", \"table\" FROM pragma_foreign_key_list('{table}')"
            ))
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("fks")
            .collect::<Result<_, _>>()
            .expect("rows");
        for (column, parent) in fks {
            // The child column leads an index (or is the rowid primary key itself).
            let indexed: bool = conn
                .query_row(
                    &format!(
                        "SELECT EXISTS(SELECT 1 FROM pragma_index_list('{table}') AS il
                           JOIN pragma_index_info(il.name) AS ii ON ii.seqno = 0
                          WHERE ii.name = ?1)
                         OR EXISTS(SELECT 1 FROM pragma_table_info('{table}')
                          WHERE name = ?1 AND pk = 1 AND type = 'INTEGER')"
                    ),
                    [&column],
                    |r| r.get(0),
                )
                .expect("index lookup");
            // Children of the journal never need the lookup: journal rows are never changed or removed.
            if !indexed && parent != "journal" {
                missing.push(format!("{table}.{column} -> {parent}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "foreign keys without an index: {missing:?}"
    );
}

#[test]
fn verify_names_a_dropped_altered_or_added_guard_of_the_journal() {
    let check = |tamper: &str, trigger: &str, change: &str| {
        let (dir, l) = ledger();
        sale(&l, "CD-1", "h1", &[("1_0", 3103, 5000)]);
        assert!(l.verify().expect("verify").is_sound());
        drop(l);
        let path = dir.path().join(LEDGER_FILE);
        Connection::open(&path)
            .expect("raw")
            .execute_batch(tamper)
            .expect("tamper");
        let r = Ledger::open(&path).expect("open").verify().expect("verify");
        assert_eq!(
            r.first_break,
            Some(ChainBreak::GuardChanged {
                trigger: trigger.into(),
                change: match change {
                    "removed" => "removed",
                    "altered" => "altered",
                    _ => "added",
                },
            }),
            "{tamper}"
        );
        let said = r.first_break.expect("break").describe_fr();
        assert!(said.contains(trigger), "{said}");
    };
    // Both guards dropped: the chain and the tables are whole, but nothing protects them any more.
    check(
        "DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete;",
        "journal_no_delete",
        "removed",
    );
    check(
        "DROP TRIGGER journal_no_update;
         CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal WHEN 0 BEGIN SELECT 1; END;",
        "journal_no_update",
        "altered",
    );
    check(
        "CREATE TRIGGER journal_rewrite AFTER INSERT ON journal BEGIN SELECT 1; END;",
        "journal_rewrite",
        "added",
    );
}

#[test]
fn a_send_claim_is_exclusive_until_released_expired_or_its_holder_dead() {
    let clock = crate::domain::TestClock::at(
        chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("time"),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let l = Ledger::open_in(dir.path())
        .expect("open")
        .with_clock(clock.shared());
    sale(&l, "CD-1", "h1", &[("1_0", 3103, 5000)]);
    let intent = l
        .request_refund("ana", "1_0", Amount::from_cents(1000).expect("a"), "retour")
        .expect("intent");
    let key = intent.idempotence_key.as_str();
    let until = clock.now() + chrono::Duration::minutes(5);
    let alive = |_: &str| false;
    assert_eq!(
        l.claim_send(key, "a", until, &alive).expect("claim"),
        Claim::Taken
    );
    assert!(matches!(
        l.claim_send(key, "b", until, &alive).expect("claim"),
        Claim::Busy { ref holder, .. } if holder == "a"
    ));
    // A close without the claim writes nothing.
    assert!(
        !l.close_claimed("ana", &intent.idempotence_key, "b", "x")
            .expect("close")
    );
    // A dead holder's claim is taken over at once; a live one's once its time is over.
    assert_eq!(
        l.claim_send(key, "b", until, &|h| h == "a").expect("claim"),
        Claim::Taken
    );
    clock.advance(chrono::Duration::minutes(6));
    assert_eq!(
        l.claim_send(key, "c", clock.now() + chrono::Duration::minutes(5), &alive)
            .expect("claim"),
        Claim::Taken
    );
    // Released by someone else: nothing; by its holder: free.
    l.release_send(key, "b").expect("release");
    assert!(matches!(
        l.claim_send(key, "d", until, &alive).expect("claim"),
        Claim::Busy { .. }
    ));
    assert!(
        l.close_claimed("ana", &intent.idempotence_key, "c", "caisse arrêtée")
            .expect("close")
    );
    // Closed: nobody sends it any more.
    assert_eq!(
        l.claim_send(key, "d", clock.now() + chrono::Duration::minutes(5), &alive)
            .expect("claim"),
        Claim::Settled(RefundState::Declined)
    );
    assert_eq!(
        l.closed_refunds_since(clock.now()).expect("closed").len(),
        1
    );
    assert!(l.verify().expect("verify").is_sound());
}

#[test]
fn the_guard_refuses_a_refund_that_would_pass_the_sales_limit_set_before_another_came_first() {
    let (_dir, l) = ledger();
    sale(&l, "CD-1", "h1", &[("1_0", 3103, 5000), ("2_0", 1, 5000)]);
    let a = |c| Amount::from_cents(c).expect("amount");
    // Both refunds were judged under the 50 € threshold alone (30 € each); the second to reach the guard sees the
    // first and is refused.
    l.request_refund_within("ana", "1_0", a(3000), "retour", Some(a(5000)))
        .expect("the first passes");
    assert!(matches!(
        l.request_refund_within("ana", "2_0", a(3000), "retour", Some(a(5000))),
        Err(LedgerError::SaleLimit { .. })
    ));
    // Without a limit (the rule asks nothing, or a manager approved more) it goes through.
    l.request_refund_within("ana", "2_0", a(3000), "retour", None)
        .expect("no limit");
}
