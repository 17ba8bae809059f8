//! Versioned migrations. `PRAGMA user_version` holds the number of the last migration applied; each migration runs
//! once, in its own transaction, in order. A database written by a newer cadodesk is refused rather than guessed at.

/// The migrations, in order. Index 0 brings a database from version 0 to version 1, and so on.
pub(crate) const MIGRATIONS: &[&str] = &[
    // Version 1: the journal and the tables derived from it.
    r#"
CREATE TABLE journal (
    seq        INTEGER PRIMARY KEY CHECK (seq >= 1),
    at         TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    operator   TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    prev_hash  TEXT    NOT NULL CHECK (length(prev_hash) = 64),
    hash       TEXT    NOT NULL UNIQUE CHECK (length(hash) = 64)
) STRICT;

-- Inalterability: the journal only grows. A correction is a new entry.
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only: entries cannot be changed'); END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only: entries cannot be removed'); END;

CREATE TABLE checkouts (
    merchant_reference  TEXT    PRIMARY KEY CHECK (length(merchant_reference) BETWEEN 1 AND 40),
    hosted_checkout_id  TEXT    UNIQUE,
    amount_cents        INTEGER NOT NULL CHECK (typeof(amount_cents) = 'integer' AND amount_cents > 0),
    currency            TEXT    NOT NULL CHECK (currency = 'EUR'),
    email               TEXT,
    locale              TEXT    NOT NULL,
    return_url          TEXT,
    redirect_url        TEXT,
    state               TEXT    NOT NULL CHECK (state IN ('requested', 'failed', 'in_progress', 'paid',
                                  'partially_paid', 'cancelled', 'expired', 'rejected')),
    platform_status     TEXT,
    failure             TEXT,
    operator            TEXT    NOT NULL,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL,
    seq                 INTEGER NOT NULL REFERENCES journal(seq)
) STRICT;
CREATE INDEX checkouts_created_at ON checkouts(created_at);

CREATE TABLE tenders (
    payment_id          TEXT    PRIMARY KEY,
    hosted_checkout_id  TEXT    NOT NULL REFERENCES checkouts(hosted_checkout_id),
    position            INTEGER NOT NULL CHECK (position >= 1),
    product_id          INTEGER NOT NULL,
    masked_number       TEXT,
    amount_cents        INTEGER NOT NULL CHECK (typeof(amount_cents) = 'integer' AND amount_cents >= 0),
    captured_cents      INTEGER NOT NULL CHECK (typeof(captured_cents) = 'integer' AND captured_cents >= 0),
    status              TEXT    NOT NULL,
    status_code         INTEGER,
    updated_at          TEXT    NOT NULL,
    seq                 INTEGER NOT NULL REFERENCES journal(seq)
) STRICT;
CREATE INDEX tenders_checkout ON tenders(hosted_checkout_id, position);

CREATE TABLE refunds (
    idempotence_key     TEXT    PRIMARY KEY CHECK (length(idempotence_key) BETWEEN 1 AND 40),
    number              INTEGER NOT NULL UNIQUE CHECK (number >= 1),
    payment_id          TEXT    NOT NULL REFERENCES tenders(payment_id),
    hosted_checkout_id  TEXT    NOT NULL REFERENCES checkouts(hosted_checkout_id),
    refund_id           TEXT    UNIQUE,
    amount_cents        INTEGER NOT NULL CHECK (typeof(amount_cents) = 'integer' AND amount_cents > 0),
    reason              TEXT    NOT NULL,
    state               TEXT    NOT NULL CHECK (state IN ('requested', 'pending', 'refunded', 'declined', 'unknown')),
    platform_status     TEXT,
    failure             TEXT,
    external            INTEGER NOT NULL CHECK (external IN (0, 1)),
    operator            TEXT    NOT NULL,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL,
    final_at            TEXT,
    seq                 INTEGER NOT NULL REFERENCES journal(seq)
) STRICT;
CREATE INDEX refunds_payment ON refunds(payment_id, number);
CREATE INDEX refunds_created_at ON refunds(created_at);

-- Which journal entries tell the story of which checkout, for the timeline.
CREATE TABLE timeline (
    seq                 INTEGER PRIMARY KEY REFERENCES journal(seq),
    merchant_reference  TEXT    NOT NULL
) STRICT;
CREATE INDEX timeline_checkout ON timeline(merchant_reference, seq);

-- Non-secret settings only: secrets live in the OS keychain.
CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) STRICT;
"#,
    // Version 2: the journal's head, written in the same transaction as each entry, so that entries cut from the
    // end are noticed even when no derived table pointed at them.
    r#"
CREATE TABLE journal_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL CHECK (seq >= 1),
    hash  TEXT    NOT NULL CHECK (length(hash) = 64)
) STRICT;
INSERT INTO journal_head(id, seq, hash) SELECT 1, seq, hash FROM journal ORDER BY seq DESC LIMIT 1;
"#,
    // Version 3: every foreign key has an index on its child column. Without this one, giving a checkout its
    // platform id (an UPDATE of a parent key) made SQLite scan every refund, so appends slowed as the ledger grew.
    r#"
CREATE INDEX refunds_checkout ON refunds(hosted_checkout_id);
"#,
    // Version 4: refunds closed by an operator keep the time of their closing (the till keeps reading the platform
    // for them, since a request that timed out can still be carried out late), and the send claims: who is sending
    // which refund right now, until when. A claim is coordination between processes, not a fact: it is not in the
    // journal, and a refund is closed only when no live claim holds it.
    r#"
ALTER TABLE refunds ADD COLUMN closed_at TEXT;
UPDATE refunds SET closed_at = updated_at
 WHERE state = 'declined' AND failure LIKE 'closed by the operator:%';
-- The till reads the journal's settings changes and manager PIN attempts by kind.
CREATE INDEX journal_kind ON journal(kind, seq);
-- The seals: each entry's number and chain hash signed with the till's journal key (see ledger::seal). Append-only
-- like the journal.
CREATE TABLE journal_seals (
    seq        INTEGER PRIMARY KEY REFERENCES journal(seq),
    key_id     TEXT NOT NULL CHECK (length(key_id) = 16),
    signature  TEXT NOT NULL CHECK (length(signature) = 128)
) STRICT;
CREATE TRIGGER journal_seals_no_update BEFORE UPDATE ON journal_seals
BEGIN SELECT RAISE(ABORT, 'the journal is append-only: seals cannot be changed'); END;
CREATE TRIGGER journal_seals_no_delete BEFORE DELETE ON journal_seals
BEGIN SELECT RAISE(ABORT, 'the journal is append-only: seals cannot be removed'); END;
CREATE TABLE refund_sends (
    idempotence_key  TEXT PRIMARY KEY REFERENCES refunds(idempotence_key),
    holder           TEXT NOT NULL,
    until            TEXT NOT NULL
) STRICT;
"#,
    // Version 5: a sale made at another till, recorded to refund it here (read from the central ledger), names the
    // till that sold it.
    r#"
ALTER TABLE checkouts ADD COLUMN sold_at_till TEXT;
"#,
];
