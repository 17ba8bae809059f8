-- The central ledger, version 2: the tables derived from the entries for the queries (sales, tenders, refunds,
-- closings, each with its till), kept by the entries themselves as they arrive (the same rules as a till's own
-- ledger), and the refund guard across tills: a till reserves a refund's amount at the centre, in one transaction
-- that locks the tender and counts every till's refunds, before the platform is asked.

CREATE TABLE cadodesk.checkouts (
    till text NOT NULL REFERENCES cadodesk.tills (code),
    merchant_reference text NOT NULL,
    hosted_checkout_id text,
    amount_cents bigint NOT NULL CHECK (amount_cents > 0),
    state text NOT NULL,
    failure text,
    operator text NOT NULL,
    created_at text NOT NULL,
    updated_at text NOT NULL,
    seq bigint NOT NULL,
    PRIMARY KEY (till, merchant_reference)
);
CREATE INDEX checkouts_hosted ON cadodesk.checkouts (hosted_checkout_id);
CREATE INDEX checkouts_created ON cadodesk.checkouts (created_at);

CREATE TABLE cadodesk.tenders (
    payment_id text PRIMARY KEY,
    till text NOT NULL REFERENCES cadodesk.tills (code),
    hosted_checkout_id text NOT NULL,
    position int NOT NULL,
    product_id int NOT NULL,
    masked_number text,
    amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
    captured_cents bigint NOT NULL CHECK (captured_cents >= 0),
    status text NOT NULL,
    updated_at text NOT NULL,
    seq bigint NOT NULL
);
CREATE INDEX tenders_checkout ON cadodesk.tenders (hosted_checkout_id, position);

CREATE TABLE cadodesk.refunds (
    till text NOT NULL REFERENCES cadodesk.tills (code),
    idempotence_key text NOT NULL,
    number bigint NOT NULL,
    payment_id text NOT NULL,
    hosted_checkout_id text NOT NULL,
    refund_id text,
    amount_cents bigint NOT NULL CHECK (amount_cents > 0),
    reason text NOT NULL,
    state text NOT NULL CHECK (state IN ('requested', 'pending', 'refunded', 'declined', 'unknown')),
    platform_status text,
    failure text,
    external boolean NOT NULL,
    operator text NOT NULL,
    created_at text NOT NULL,
    updated_at text NOT NULL,
    final_at text,
    seq bigint NOT NULL,
    PRIMARY KEY (till, idempotence_key),
    UNIQUE (till, number)
);
CREATE INDEX refunds_payment ON cadodesk.refunds (payment_id);
CREATE INDEX refunds_created ON cadodesk.refunds (created_at, till, number);

CREATE TABLE cadodesk.closings (
    till text NOT NULL REFERENCES cadodesk.tills (code),
    kind text NOT NULL,
    number bigint NOT NULL,
    label text NOT NULL,
    closing jsonb NOT NULL,
    seq bigint NOT NULL,
    PRIMARY KEY (till, kind, number)
);

-- Refund amounts reserved at the centre before the platform is asked. A reservation counts until its till's
-- refund entry of the same key arrives (then the refund counts, by its state): nothing here is ever changed.
CREATE TABLE cadodesk.refund_reservations (
    till text NOT NULL REFERENCES cadodesk.tills (code),
    idempotence_key text NOT NULL,
    payment_id text NOT NULL,
    amount_cents bigint NOT NULL CHECK (amount_cents > 0),
    reserved_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (till, idempotence_key)
);
CREATE INDEX reservations_payment ON cadodesk.refund_reservations (payment_id);
CREATE TRIGGER reservations_append_only BEFORE UPDATE OR DELETE ON cadodesk.refund_reservations
    FOR EACH ROW EXECUTE FUNCTION cadodesk.refuse_change();

-- The derived tables' rules, as a till's ledger applies them (src/ledger/projection.rs): each entry as it is
-- accepted. A foreign sale recorded by the till that refunds it is the selling till's: its own entries say it.
CREATE FUNCTION cadodesk.apply_entry(e cadodesk.entries) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = cadodesk, pg_temp AS $$
DECLARE
    p jsonb;
    st text;
BEGIN
    IF e.kind NOT IN ('checkout_requested', 'checkout_created', 'checkout_failed', 'checkout_status_seen',
        'tender_seen', 'refund_requested', 'refund_answered', 'refund_corrected', 'refund_closed',
        'refund_imported', 'closing_made') THEN
        RETURN;
    END IF;
    p := e.payload::jsonb;
    CASE e.kind
    WHEN 'checkout_requested' THEN
        INSERT INTO cadodesk.checkouts (till, merchant_reference, amount_cents, state, operator, created_at,
            updated_at, seq)
        VALUES (e.till, p ->> 'merchant_reference', (p ->> 'amount_cents')::bigint, 'requested', e.operator,
            e.at, e.at, e.seq);
    WHEN 'checkout_created' THEN
        UPDATE cadodesk.checkouts SET hosted_checkout_id = p ->> 'hosted_checkout_id', state = 'in_progress',
            updated_at = e.at, seq = e.seq
        WHERE till = e.till AND merchant_reference = p ->> 'merchant_reference';
    WHEN 'checkout_failed' THEN
        UPDATE cadodesk.checkouts SET state = 'failed', failure = p ->> 'failure', updated_at = e.at,
            seq = e.seq
        WHERE till = e.till AND merchant_reference = p ->> 'merchant_reference';
    WHEN 'checkout_status_seen' THEN
        UPDATE cadodesk.checkouts SET state = p ->> 'state', updated_at = e.at, seq = e.seq
        WHERE till = e.till AND hosted_checkout_id = p ->> 'hosted_checkout_id';
    WHEN 'tender_seen' THEN
        INSERT INTO cadodesk.tenders AS t (payment_id, till, hosted_checkout_id, position, product_id,
            masked_number, amount_cents, captured_cents, status, updated_at, seq)
        VALUES (p ->> 'payment_id', e.till, p ->> 'hosted_checkout_id',
            (SELECT count(*) + 1 FROM cadodesk.tenders WHERE hosted_checkout_id = p ->> 'hosted_checkout_id'),
            (p ->> 'product_id')::int, p ->> 'masked_number', (p ->> 'amount_cents')::bigint,
            (p ->> 'captured_cents')::bigint, p ->> 'status', e.at, e.seq)
        ON CONFLICT (payment_id) DO UPDATE SET product_id = excluded.product_id,
            masked_number = COALESCE(excluded.masked_number, t.masked_number),
            amount_cents = excluded.amount_cents, captured_cents = excluded.captured_cents,
            status = excluded.status, updated_at = excluded.updated_at, seq = excluded.seq
        WHERE t.till = excluded.till;
    WHEN 'refund_requested' THEN
        INSERT INTO cadodesk.refunds (till, idempotence_key, number, payment_id, hosted_checkout_id, amount_cents,
            reason, state, external, operator, created_at, updated_at, seq)
        VALUES (e.till, p ->> 'idempotence_key', (p ->> 'number')::bigint, p ->> 'payment_id',
            p ->> 'hosted_checkout_id', (p ->> 'amount_cents')::bigint, p ->> 'reason', 'requested', false,
            e.operator, e.at, e.at, e.seq);
    WHEN 'refund_answered' THEN
        st := p ->> 'state';
        -- Only forward, as the till's ledger moves it.
        UPDATE cadodesk.refunds r SET refund_id = COALESCE(p ->> 'refund_id', r.refund_id), state = st,
            platform_status = COALESCE(p ->> 'platform_status', r.platform_status), failure = p ->> 'failure',
            updated_at = e.at,
            final_at = COALESCE(r.final_at, CASE WHEN st IN ('refunded', 'declined') THEN e.at END),
            seq = e.seq
        WHERE r.till = e.till AND r.idempotence_key = p ->> 'idempotence_key'
            AND (r.state, st) IN ({{FORWARD_MOVES}});
    WHEN 'refund_corrected' THEN
        st := p ->> 'state';
        UPDATE cadodesk.refunds r SET refund_id = COALESCE(p ->> 'refund_id', r.refund_id), state = st,
            platform_status = COALESCE(p ->> 'platform_status', r.platform_status), failure = p ->> 'note',
            updated_at = e.at, final_at = CASE WHEN st IN ('refunded', 'declined') THEN e.at END,
            seq = e.seq
        WHERE r.till = e.till AND r.idempotence_key = p ->> 'idempotence_key'
            AND st IN ('pending', 'refunded') AND r.state <> 'refunded';
    WHEN 'refund_closed' THEN
        UPDATE cadodesk.refunds r SET state = 'declined', failure = 'closed by the operator: ' || (p ->> 'reason'),
            updated_at = e.at, final_at = COALESCE(r.final_at, e.at), seq = e.seq
        WHERE r.till = e.till AND r.idempotence_key = p ->> 'idempotence_key'
            AND r.state IN ('requested', 'unknown');
    WHEN 'refund_imported' THEN
        st := p ->> 'state';
        INSERT INTO cadodesk.refunds (till, idempotence_key, number, payment_id, hosted_checkout_id, refund_id,
            amount_cents, reason, state, platform_status, external, operator, created_at, updated_at, final_at,
            seq)
        VALUES (e.till, p ->> 'idempotence_key', (p ->> 'number')::bigint, p ->> 'payment_id',
            p ->> 'hosted_checkout_id', p ->> 'refund_id', (p ->> 'amount_cents')::bigint, '', st,
            p ->> 'platform_status', true, e.operator, e.at, e.at,
            CASE WHEN st IN ('refunded', 'declined') THEN e.at END, e.seq);
    WHEN 'closing_made' THEN
        INSERT INTO cadodesk.closings (till, kind, number, label, closing, seq)
        VALUES (e.till, p -> 'closing' ->> 'kind', (p -> 'closing' ->> 'number')::bigint,
            p -> 'closing' ->> 'label', p -> 'closing', e.seq);
    END CASE;
END $$;

CREATE FUNCTION cadodesk.project() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = cadodesk, pg_temp AS $$
BEGIN
    PERFORM cadodesk.apply_entry(NEW);
    RETURN NULL;
END $$;

CREATE TRIGGER entries_project AFTER INSERT ON cadodesk.entries
    FOR EACH ROW EXECUTE FUNCTION cadodesk.project();

-- A centre upgraded from version 1: the entries it holds, applied in order.
DO $$
DECLARE
    e cadodesk.entries;
BEGIN
    FOR e IN SELECT * FROM cadodesk.entries ORDER BY till, seq LOOP
        PERFORM cadodesk.apply_entry(e);
    END LOOP;
END $$;

-- What is left to refund on a tender over every till: captured, less every refund that holds or left money, less
-- the reservations whose refund has not arrived yet.
CREATE FUNCTION cadodesk.left_to_refund(pay text) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = cadodesk, pg_temp AS $$
    SELECT t.captured_cents
        - COALESCE((SELECT sum(r.amount_cents) FROM cadodesk.refunds r
                    WHERE r.payment_id = pay AND r.state IN ('requested', 'pending', 'refunded', 'unknown')), 0)
        - COALESCE((SELECT sum(v.amount_cents) FROM cadodesk.refund_reservations v
                    WHERE v.payment_id = pay AND NOT EXISTS (
                        SELECT 1 FROM cadodesk.refunds r
                        WHERE r.till = v.till AND r.idempotence_key = v.idempotence_key)), 0)
    FROM cadodesk.tenders t WHERE t.payment_id = pay
$$;

-- A till reserves a refund's amount (its own role only): the tender is locked, what is left over every till is
-- counted, and the amount is reserved when it fits. The same key again is the same reservation. Answers
-- `accepted`, what is `left` after it (or what was left, when refused), and the till that sold the tender
-- (NULL when the centre does not hold it).
CREATE FUNCTION cadodesk.reserve_refund(pay text, key text, amount bigint,
    OUT accepted boolean, OUT left_cents bigint, OUT sold_by text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = cadodesk, pg_temp AS $$
DECLARE
    mine text := cadodesk.my_till();
BEGIN
    IF mine IS NULL THEN
        RAISE EXCEPTION 'only a till reserves a refund' USING ERRCODE = '42501';
    END IF;
    IF amount IS NULL OR amount <= 0 THEN
        RAISE EXCEPTION 'a refund reserves a positive amount' USING ERRCODE = 'P0101';
    END IF;
    SELECT t.till INTO sold_by FROM cadodesk.tenders t WHERE t.payment_id = pay FOR UPDATE;
    IF NOT FOUND THEN
        accepted := false;
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM cadodesk.refund_reservations v WHERE v.till = mine AND v.idempotence_key = key) THEN
        accepted := true;
        left_cents := cadodesk.left_to_refund(pay);
        RETURN;
    END IF;
    -- This refund's own intent, when its till sent it already, is not counted against itself.
    left_cents := cadodesk.left_to_refund(pay) + COALESCE((SELECT r.amount_cents FROM cadodesk.refunds r
        WHERE r.till = mine AND r.idempotence_key = key
            AND r.state IN ('requested', 'pending', 'refunded', 'unknown')), 0);
    IF amount > left_cents THEN
        accepted := false;
        RETURN;
    END IF;
    INSERT INTO cadodesk.refund_reservations (till, idempotence_key, payment_id, amount_cents)
        VALUES (mine, key, pay, amount);
    accepted := true;
    left_cents := left_cents - amount;
END $$;

ALTER TABLE cadodesk.checkouts ENABLE ROW LEVEL SECURITY;
ALTER TABLE cadodesk.tenders ENABLE ROW LEVEL SECURITY;
ALTER TABLE cadodesk.refunds ENABLE ROW LEVEL SECURITY;
ALTER TABLE cadodesk.closings ENABLE ROW LEVEL SECURITY;
ALTER TABLE cadodesk.refund_reservations ENABLE ROW LEVEL SECURITY;
CREATE POLICY checkouts_read ON cadodesk.checkouts FOR SELECT USING (true);
CREATE POLICY tenders_read ON cadodesk.tenders FOR SELECT USING (true);
CREATE POLICY refunds_read ON cadodesk.refunds FOR SELECT USING (true);
CREATE POLICY closings_read ON cadodesk.closings FOR SELECT USING (true);
CREATE POLICY reservations_read ON cadodesk.refund_reservations FOR SELECT USING (true);

REVOKE ALL ON cadodesk.checkouts, cadodesk.tenders, cadodesk.refunds, cadodesk.closings,
    cadodesk.refund_reservations FROM PUBLIC;
REVOKE ALL ON FUNCTION cadodesk.project(), cadodesk.apply_entry(cadodesk.entries), cadodesk.left_to_refund(text),
    cadodesk.reserve_refund(text, text, bigint) FROM PUBLIC;
GRANT SELECT ON cadodesk.checkouts, cadodesk.tenders, cadodesk.refunds, cadodesk.closings,
    cadodesk.refund_reservations TO cadodesk_tills, cadodesk_readers;
GRANT EXECUTE ON FUNCTION cadodesk.left_to_refund(text) TO cadodesk_tills, cadodesk_readers;
GRANT EXECUTE ON FUNCTION cadodesk.reserve_refund(text, text, bigint) TO cadodesk_tills;
