-- The central ledger, version 1: the tills, their journal entries (append-only, each till's chain checked as it
-- arrives, its seal checked at commit), and the roles. Run by `cadodesk central init` as the administrator, in one
-- transaction, after ed25519.sql.

CREATE TABLE cadodesk.tills (
    code text PRIMARY KEY CHECK (code ~ '^[A-Z0-9]{1,8}$'),
    role_name text UNIQUE NOT NULL,
    shop text,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cadodesk.entries (
    till text NOT NULL REFERENCES cadodesk.tills (code),
    seq bigint NOT NULL CHECK (seq > 0),
    at text NOT NULL,
    kind text NOT NULL,
    operator text NOT NULL,
    payload text NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL,
    key_id text,
    signature text,
    -- The sealing key in force at this entry (hex), as the chain names it; NULL before its first key.
    public_key text,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (till, seq)
);
CREATE INDEX entries_kind ON cadodesk.entries (kind, till, seq);

-- Each till's chain as the centre holds it: its last entry and the key in force after it.
CREATE VIEW cadodesk.heads AS
    SELECT t.code AS till, COALESCE(e.seq, 0) AS seq, COALESCE(e.hash, repeat('0', 64)) AS hash, e.public_key
    FROM cadodesk.tills t
    LEFT JOIN LATERAL (
        SELECT seq, hash, public_key FROM cadodesk.entries WHERE till = t.code ORDER BY seq DESC LIMIT 1
    ) e ON true;

-- The till whose role is connected (NULL for any other role).
CREATE FUNCTION cadodesk.my_till() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = cadodesk, pg_temp AS
$$ SELECT code FROM cadodesk.tills WHERE role_name = session_user $$;

-- An entry's chain hash, as the till computes it: SHA-256 over a label and each field length-prefixed.
CREATE FUNCTION cadodesk.entry_hash(seq bigint, at text, kind text, operator text, payload text, prev_hash text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT encode(sha256(
        convert_to('cadodesk-journal-v1', 'UTF8')
        || int8send(octet_length(convert_to(seq::text, 'UTF8'))::bigint) || convert_to(seq::text, 'UTF8')
        || int8send(octet_length(convert_to(at, 'UTF8'))::bigint) || convert_to(at, 'UTF8')
        || int8send(octet_length(convert_to(kind, 'UTF8'))::bigint) || convert_to(kind, 'UTF8')
        || int8send(octet_length(convert_to(operator, 'UTF8'))::bigint) || convert_to(operator, 'UTF8')
        || int8send(octet_length(convert_to(payload, 'UTF8'))::bigint) || convert_to(payload, 'UTF8')
        || int8send(octet_length(convert_to(prev_hash, 'UTF8'))::bigint) || convert_to(prev_hash, 'UTF8')
    ), 'hex')
$$;

-- What a seal signs: a label, the entry's number (8 bytes, big-endian) and its chain hash.
CREATE FUNCTION cadodesk.seal_message(seq bigint, hash text) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT convert_to('cadodesk-seal-v1', 'UTF8') || '\x00'::bytea || int8send(seq) || convert_to(hash, 'UTF8')
$$;

CREATE FUNCTION cadodesk.key_id(public_key text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT left(encode(sha256(decode(public_key, 'hex')), 'hex'), 16) $$;

-- Every entry as it arrives: it must continue its till's chain (the next number, linked to the hash the centre
-- holds, its own hash right, a key change only as the journal allows it). An entry the centre already holds, sent
-- again, is skipped when it is the same and refused when it is not: nothing at the centre is ever overwritten.
CREATE FUNCTION cadodesk.entry_arrives() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = cadodesk, pg_temp AS $$
DECLARE
    mine text := cadodesk.my_till();
    held text;
    prev_hash text;
    key text;
    next_seq bigint;
    p jsonb;
BEGIN
    -- A till appends its own chain only (row-level security says so too; this says it before any other check).
    IF mine IS NOT NULL AND NEW.till IS DISTINCT FROM mine THEN
        RAISE EXCEPTION 'till %''s role may append only its own entries, not till %''s', mine, NEW.till
            USING ERRCODE = '42501';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM cadodesk.tills WHERE code = NEW.till) THEN
        RAISE EXCEPTION 'till % is not registered at the centre', NEW.till USING ERRCODE = 'P0001';
    END IF;
    SELECT hash INTO held FROM cadodesk.entries WHERE till = NEW.till AND seq = NEW.seq;
    IF FOUND THEN
        IF held = NEW.hash THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION 'entry %: the centre holds another entry % for till % (was this ledger restored from an older copy?)',
            NEW.seq, NEW.seq, NEW.till USING ERRCODE = 'P0002';
    END IF;
    IF NEW.seq = 1 THEN
        prev_hash := repeat('0', 64);
        key := NULL;
    ELSE
        SELECT e.hash, e.public_key INTO prev_hash, key FROM cadodesk.entries e
            WHERE e.till = NEW.till AND e.seq = NEW.seq - 1;
        IF NOT FOUND THEN
            SELECT COALESCE(max(seq), 0) + 1 INTO next_seq FROM cadodesk.entries WHERE till = NEW.till;
            RAISE EXCEPTION 'entry %: the centre expects entry % next (entries are sent in order)', NEW.seq, next_seq
                USING ERRCODE = 'P0003';
        END IF;
    END IF;
    IF NEW.prev_hash <> prev_hash THEN
        RAISE EXCEPTION 'entry %: it does not link to entry % as the centre holds it', NEW.seq, NEW.seq - 1
            USING ERRCODE = 'P0004';
    END IF;
    IF cadodesk.entry_hash(NEW.seq, NEW.at, NEW.kind, NEW.operator, NEW.payload, NEW.prev_hash) <> NEW.hash THEN
        RAISE EXCEPTION 'entry %: its hash does not match its content', NEW.seq USING ERRCODE = 'P0005';
    END IF;
    IF NEW.kind IN ('journal_key', 'journal_key_rotated') THEN
        p := NEW.payload::jsonb;
        IF NEW.kind = 'journal_key' AND key IS NOT NULL THEN
            RAISE EXCEPTION 'entry %: a new sealing key without the previous key''s endorsement', NEW.seq
                USING ERRCODE = 'P0006';
        END IF;
        IF NEW.kind = 'journal_key_rotated' AND (key IS NULL OR p ->> 'endorsement' IS NULL
            OR NOT cadodesk.ed25519_verify(decode(key, 'hex'),
                convert_to('cadodesk-key-rotation-v1', 'UTF8') || '\x00'::bytea
                    || convert_to(p ->> 'public_key', 'UTF8'),
                decode(p ->> 'endorsement', 'hex'))) THEN
            RAISE EXCEPTION 'entry %: a new sealing key without the previous key''s endorsement', NEW.seq
                USING ERRCODE = 'P0006';
        END IF;
        key := p ->> 'public_key';
    END IF;
    IF key IS NOT NULL AND (NEW.signature IS NULL OR NEW.key_id IS DISTINCT FROM cadodesk.key_id(key)) THEN
        RAISE EXCEPTION 'entry %: it is not sealed by the till''s key', NEW.seq USING ERRCODE = 'P0007';
    END IF;
    IF key IS NULL AND NEW.signature IS NOT NULL THEN
        RAISE EXCEPTION 'entry %: a seal while the till''s journal names no key', NEW.seq USING ERRCODE = 'P0007';
    END IF;
    NEW.public_key := key;
    NEW.received_at := now();
    RETURN NEW;
END $$;

CREATE TRIGGER entries_arrive BEFORE INSERT ON cadodesk.entries
    FOR EACH ROW EXECUTE FUNCTION cadodesk.entry_arrives();

-- At commit, the seal of each till's last entry is checked (one Ed25519 verification a transaction): the chain,
-- checked entry by entry, ties it to every entry before it.
CREATE FUNCTION cadodesk.head_sealed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = cadodesk, pg_temp AS $$
BEGIN
    IF NEW.public_key IS NULL
        OR EXISTS (SELECT 1 FROM cadodesk.entries WHERE till = NEW.till AND seq = NEW.seq + 1) THEN
        RETURN NULL;
    END IF;
    IF NOT cadodesk.ed25519_verify(decode(NEW.public_key, 'hex'), cadodesk.seal_message(NEW.seq, NEW.hash),
        decode(NEW.signature, 'hex')) THEN
        RAISE EXCEPTION 'entry %: its seal does not verify under the till''s key', NEW.seq USING ERRCODE = 'P0008';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER entries_sealed AFTER INSERT ON cadodesk.entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cadodesk.head_sealed();

-- Nothing at the centre is ever changed or removed.
CREATE FUNCTION cadodesk.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the central journal is append-only: % refused on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'P0009';
END $$;
CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON cadodesk.entries
    FOR EACH ROW EXECUTE FUNCTION cadodesk.refuse_change();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON cadodesk.entries
    FOR EACH STATEMENT EXECUTE FUNCTION cadodesk.refuse_change();

-- Who may do what. Tills: append their own entries (row-level security), read the others' (refunds at any till,
-- the back office); readers (the accountant): read only. Nobody but the administrator changes anything.
ALTER TABLE cadodesk.entries ENABLE ROW LEVEL SECURITY;
CREATE POLICY entries_read ON cadodesk.entries FOR SELECT USING (true);
CREATE POLICY entries_own_till ON cadodesk.entries FOR INSERT TO cadodesk_tills
    WITH CHECK (till = cadodesk.my_till());

REVOKE ALL ON SCHEMA cadodesk FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA cadodesk FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA cadodesk FROM PUBLIC;
GRANT USAGE ON SCHEMA cadodesk TO cadodesk_tills, cadodesk_readers;
GRANT SELECT ON cadodesk.tills, cadodesk.heads, cadodesk.entries, cadodesk.schema_version
    TO cadodesk_tills, cadodesk_readers;
GRANT INSERT ON cadodesk.entries TO cadodesk_tills;
GRANT EXECUTE ON FUNCTION cadodesk.my_till() TO cadodesk_tills, cadodesk_readers;
