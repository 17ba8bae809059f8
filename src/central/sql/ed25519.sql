-- Ed25519 signature verification (RFC 8032 section 5.1.7, cofactorless: the check ed25519-dalek's `verify` and
-- OpenSSL make), in PL/pgSQL over `numeric`, so that the centre checks a till's seals itself, on any PostgreSQL,
-- without an extension. Slow (tens of milliseconds a signature): the centre checks the seal of the last entry of
-- each upload, which the SHA-256 chain, checked entry by entry, ties to every entry before it.

CREATE OR REPLACE FUNCTION cadodesk.ed_p() RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT 57896044618658097711785492504343953926634992332820282019728792003956564819949::numeric $$;

CREATE OR REPLACE FUNCTION cadodesk.ed_mod(a numeric) RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT mod(mod(a, cadodesk.ed_p()) + cadodesk.ed_p(), cadodesk.ed_p()) $$;

-- b^e mod m, square and multiply.
CREATE OR REPLACE FUNCTION cadodesk.ed_pow(b numeric, e numeric, m numeric) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    result numeric := 1;
    base numeric := mod(b, m);
    ex numeric := e;
BEGIN
    WHILE ex > 0 LOOP
        IF mod(ex, 2) = 1 THEN
            result := mod(result * base, m);
        END IF;
        base := mod(base * base, m);
        ex := div(ex, 2);
    END LOOP;
    RETURN result;
END $$;

-- A little-endian byte string as a number.
CREATE OR REPLACE FUNCTION cadodesk.ed_le(b bytea) RETURNS numeric LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    n numeric := 0;
BEGIN
    FOR i IN REVERSE length(b) - 1 .. 0 LOOP
        n := n * 256 + get_byte(b, i);
    END LOOP;
    RETURN n;
END $$;

-- A point in extended coordinates (X, Y, Z, T) of edwards25519; the sum of two.
CREATE OR REPLACE FUNCTION cadodesk.ed_add(p1 numeric[], p2 numeric[]) RETURNS numeric[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    q numeric := cadodesk.ed_p();
    d2 numeric := 16295367250680780974490674513165176452449235426866156013048779062215315747161;
    a numeric; b numeric; c numeric; d numeric; e numeric; f numeric; g numeric; h numeric;
BEGIN
    a := mod((p1[2] - p1[1] + q) * (p2[2] - p2[1] + q), q);
    b := mod((p1[2] + p1[1]) * (p2[2] + p2[1]), q);
    c := mod(mod(p1[4] * d2, q) * p2[4], q);
    d := mod(2 * p1[3] * p2[3], q);
    e := mod(b - a + q, q);
    f := mod(d - c + q, q);
    g := mod(d + c, q);
    h := mod(b + a, q);
    RETURN ARRAY[mod(e * f, q), mod(g * h, q), mod(f * g, q), mod(e * h, q)];
END $$;

CREATE OR REPLACE FUNCTION cadodesk.ed_double(p1 numeric[]) RETURNS numeric[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    q numeric := cadodesk.ed_p();
    a numeric; b numeric; c numeric; h numeric; e numeric; g numeric; f numeric;
BEGIN
    a := mod(p1[1] * p1[1], q);
    b := mod(p1[2] * p1[2], q);
    c := mod(2 * p1[3] * p1[3], q);
    h := mod(a + b, q);
    e := mod(h - mod((p1[1] + p1[2]) * (p1[1] + p1[2]), q) + q, q);
    g := mod(a - b + q, q);
    f := mod(c + g, q);
    RETURN ARRAY[mod(e * f, q), mod(g * h, q), mod(f * g, q), mod(e * h, q)];
END $$;

-- [k]P, double and add from the top bit.
CREATE OR REPLACE FUNCTION cadodesk.ed_mul(k numeric, p1 numeric[]) RETURNS numeric[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    bits int[] := '{}';
    n numeric := k;
    r numeric[] := ARRAY[0, 1, 1, 0]::numeric[];
BEGIN
    WHILE n > 0 LOOP
        bits := array_append(bits, mod(n, 2)::int);
        n := div(n, 2);
    END LOOP;
    FOR i IN REVERSE coalesce(array_length(bits, 1), 0) .. 1 LOOP
        r := cadodesk.ed_double(r);
        IF bits[i] = 1 THEN
            r := cadodesk.ed_add(r, p1);
        END IF;
    END LOOP;
    RETURN r;
END $$;

-- A point from its 32-byte encoding (RFC 8032 5.1.3), or NULL when it is not one.
CREATE OR REPLACE FUNCTION cadodesk.ed_decode(b bytea) RETURNS numeric[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    q numeric := cadodesk.ed_p();
    d numeric := 37095705934669439343138083508754565189542113879843219016388785533085940283555;
    i numeric := 19681161376707505956807079304988542015446066515923890162744021073123829784752;
    top int;
    y numeric; u numeric; v numeric; x numeric; vx2 numeric;
BEGIN
    IF b IS NULL OR length(b) <> 32 THEN
        RETURN NULL;
    END IF;
    top := get_byte(b, 31) >> 7;
    y := cadodesk.ed_le(set_byte(b, 31, get_byte(b, 31) & 127));
    IF y >= q THEN
        RETURN NULL;
    END IF;
    u := mod(y * y - 1 + q, q);
    v := mod(d * y * y + 1, q);
    x := mod(mod(u * cadodesk.ed_pow(v, 3, q), q)
        * cadodesk.ed_pow(mod(u * cadodesk.ed_pow(v, 7, q), q), (q - 5) / 8, q), q);
    vx2 := mod(v * x * x, q);
    IF vx2 = u THEN
        NULL;
    ELSIF vx2 = mod(q - u, q) THEN
        x := mod(x * i, q);
    ELSE
        RETURN NULL;
    END IF;
    IF x = 0 AND top = 1 THEN
        RETURN NULL;
    END IF;
    IF mod(x, 2) <> top THEN
        x := q - x;
    END IF;
    RETURN ARRAY[x, y, 1, mod(x * y, q)];
END $$;

-- A point's 32-byte encoding.
CREATE OR REPLACE FUNCTION cadodesk.ed_encode(p1 numeric[]) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    q numeric := cadodesk.ed_p();
    zi numeric := cadodesk.ed_pow(p1[3], q - 2, q);
    x numeric := mod(p1[1] * zi, q);
    y numeric := mod(p1[2] * zi, q);
    out bytea := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
BEGIN
    FOR k IN 0 .. 31 LOOP
        out := set_byte(out, k, mod(y, 256)::int);
        y := div(y, 256);
    END LOOP;
    IF mod(x, 2) = 1 THEN
        out := set_byte(out, 31, get_byte(out, 31) | 128);
    END IF;
    RETURN out;
END $$;

-- Whether `sig` (64 bytes) is a valid Ed25519 signature of `msg` under the public key `pub` (32 bytes).
CREATE OR REPLACE FUNCTION cadodesk.ed25519_verify(pub bytea, msg bytea, sig bytea) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    q numeric := cadodesk.ed_p();
    l numeric := 7237005577332262213973186563042994240857116359379907606001950938285454250989;
    base numeric[] := ARRAY[
        15112221349535400772501151409588531511454012693041857206046113283949847762202,
        46316835694926478169428394003475163141307993866256225615783033603165251855960,
        1,
        46827403850823179245072216630277197565144205554125654976674165829533817101731
    ]::numeric[];
    a numeric[];
    s numeric;
    k numeric;
    r numeric[];
BEGIN
    IF pub IS NULL OR msg IS NULL OR sig IS NULL OR length(pub) <> 32 OR length(sig) <> 64 THEN
        RETURN false;
    END IF;
    a := cadodesk.ed_decode(pub);
    IF a IS NULL THEN
        RETURN false;
    END IF;
    s := cadodesk.ed_le(substring(sig FROM 33 FOR 32));
    IF s >= l THEN
        RETURN false;
    END IF;
    k := mod(cadodesk.ed_le(sha512(substring(sig FROM 1 FOR 32) || pub || msg)), l);
    -- [S]B - [k]A, encoded, must be R.
    r := cadodesk.ed_add(
        cadodesk.ed_mul(s, base),
        cadodesk.ed_mul(k, ARRAY[mod(q - a[1], q), a[2], a[3], mod(q - a[4], q)])
    );
    RETURN cadodesk.ed_encode(r) = substring(sig FROM 1 FOR 32);
END $$;
