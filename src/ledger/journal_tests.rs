use super::*;

fn chain(n: i64) -> Vec<(i64, String, String, String, String, String, String)> {
    let mut prev = GENESIS_HASH.to_string();
    let mut out = Vec::new();
    for seq in 1..=n {
        let at = format!("2026-11-26T10:00:{:02}.000Z", seq);
        let payload = format!("{{\"n\":{seq}}}");
        let hash = entry_hash(seq, &at, "k", "op", &payload, &prev);
        out.push((
            seq,
            at,
            "k".to_string(),
            "op".to_string(),
            payload,
            prev.clone(),
            hash.clone(),
        ));
        prev = hash;
    }
    out
}

fn walk(
    entries: &[(i64, String, String, String, String, String, String)],
) -> Result<u64, ChainBreak> {
    let mut w = ChainWalker::default();
    for (seq, at, kind, op, payload, prev, hash) in entries {
        w.step(*seq, at, kind, op, payload, prev, hash)?;
    }
    Ok(w.checked())
}

#[test]
fn a_sound_chain_passes() {
    assert_eq!(walk(&chain(5)), Ok(5));
}

#[test]
fn names_the_edited_entry() {
    let mut c = chain(5);
    c[2].4 = "{\"n\":99}".into();
    assert_eq!(walk(&c), Err(ChainBreak::Edited { seq: 3 }));
}

#[test]
fn names_the_entry_after_a_removal() {
    let mut c = chain(5);
    c.remove(1);
    assert_eq!(
        walk(&c),
        Err(ChainBreak::Removed {
            seq: 3,
            expected_seq: 2
        })
    );
}

#[test]
fn names_a_reordered_entry() {
    let mut c = chain(5);
    c.swap(1, 2);
    assert_eq!(
        walk(&c),
        Err(ChainBreak::Removed {
            seq: 3,
            expected_seq: 2
        })
    );
    // Renumbered to hide the swap: each entry's hash no longer matches.
    let mut c = chain(5);
    c.swap(1, 2);
    c[1].0 = 2;
    assert_eq!(walk(&c), Err(ChainBreak::Edited { seq: 2 }));
}

#[test]
fn hash_separates_fields() {
    assert_ne!(
        entry_hash(1, "a", "bc", "", "", GENESIS_HASH),
        entry_hash(1, "ab", "c", "", "", GENESIS_HASH)
    );
    assert_eq!(entry_hash(1, "a", "b", "c", "d", GENESIS_HASH).len(), 64);
}
