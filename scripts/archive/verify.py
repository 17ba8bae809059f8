#!/usr/bin/env python3
"""Checks a cadodesk archive (format version 1, ARCHIVE.md) without cadodesk: Python's standard library and the
`cryptography` package only.

Usage: verify.py ARCHIVE [ARCHIVE...]   Prints "sound: ..." or "refused: <first difference>" per archive; exits 1 if
any archive is refused.
"""

import bisect
import hashlib
import json
import sys
import tarfile
from datetime import date

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

MEMBERS = ["manifest.json", "manifest.sig", "opening.json", "closings.jsonl", "events.jsonl", "entries.jsonl"]
HASHED = ["opening.json", "closings.jsonl", "events.jsonl", "entries.jsonl"]
TECHNICAL = {
    "app_started", "app_stopped", "setting_changed", "manager_pin", "journal_key", "journal_key_rotated",
    "till_identified", "integrity_checked", "export_made", "reconcile_done", "archive_made", "closing_made",
    "receipt_printed", "backup_made",
}
KIND_ORDER = ["gift_card", "visa", "mastercard", "other"]
LEFT_MONEY = {"pending", "refunded"}


class Refused(Exception):
    pass


def key_id(public_hex):
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:16]


def verifies(public_hex, message, signature_hex):
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(bytes.fromhex(signature_hex), message)
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def entry_hash(e):
    h = hashlib.sha256(b"cadodesk-journal-v1")
    for field in (str(e["seq"]), e["at"], e["kind"], e["operator"], e["payload"], e["prevHash"]):
        b = field.encode("utf-8")
        h.update(len(b).to_bytes(8, "big"))
        h.update(b)
    return h.hexdigest()


def seal_message(seq, hash_hex):
    return b"cadodesk-seal-v1\0" + seq.to_bytes(8, "big", signed=True) + hash_hex.encode("ascii")


def tender_kind(product):
    return {3103: "gift_card", 1: "visa", 3: "mastercard"}.get(product, "other")


def may_become(current, nxt):
    if current == "requested":
        return True
    if current == "unknown":
        return nxt != "requested"
    if current == "pending":
        return nxt in ("pending", "refunded", "declined")
    return nxt == current


class Money:
    """The movements rule of ARCHIVE.md, from an opening state."""

    def __init__(self, state):
        self.payments = {k: dict(v) for k, v in state["payments"].items()}
        self.refunds = {k: dict(v) for k, v in state["refunds"].items()}
        self.paid = set(state["paidCheckouts"])

    def step(self, ev):
        kind = ev.get("kind")
        if kind == "tender_seen":
            pid = ev["payment_id"]
            before = self.payments.get(pid, {}).get("capturedCents", 0)
            self.payments[pid] = {"productId": ev["product_id"], "capturedCents": ev["captured_cents"]}
            delta = ev["captured_cents"] - before
            if delta == 0:
                return None
            sale = 0
            if delta > 0 and ev["hosted_checkout_id"] not in self.paid:
                self.paid.add(ev["hosted_checkout_id"])
                sale = 1
            return (tender_kind(ev["product_id"]), delta, 0, sale, 0)
        if kind == "foreign_tender_seen":
            # Sold at another till: its product names a refund's kind here; no money moved here.
            self.payments.setdefault(ev["payment_id"], {"productId": ev["product_id"], "capturedCents": 0})
            self.payments[ev["payment_id"]]["productId"] = ev["product_id"]
            return None
        if kind in ("refund_requested", "refund_imported"):
            product = self.payments.get(ev["payment_id"], {}).get("productId", 0)
            state = ev["state"] if kind == "refund_imported" else "requested"
            self.refunds[ev["idempotence_key"]] = {"productId": product, "amountCents": ev["amount_cents"],
                                                   "state": state}
            if kind == "refund_imported" and state in LEFT_MONEY:
                return (tender_kind(product), 0, ev["amount_cents"], 0, 1)
            return None
        if kind in ("refund_answered", "refund_corrected"):
            r = self.refunds.get(ev["idempotence_key"])
            if r is None:
                return None
            nxt = ev["state"]
            if kind == "refund_corrected":
                applies = nxt in LEFT_MONEY and r["state"] != "refunded"
            else:
                applies = may_become(r["state"], nxt)
            if not applies or r["state"] == nxt:
                return None
            before = r["state"] in LEFT_MONEY
            r["state"] = nxt
            after = nxt in LEFT_MONEY
            k = tender_kind(r["productId"])
            if not before and after:
                return (k, 0, r["amountCents"], 0, 1)
            if before and not after:
                return (k, 0, -r["amountCents"], 0, -1)
            return None
        if kind == "refund_closed":
            r = self.refunds.get(ev["idempotence_key"])
            if r is not None and r["state"] in ("requested", "unknown"):
                r["state"] = "declined"
        return None


def totals_of(moves):
    t = {"sales_count": 0, "refunds_count": 0, "payments_cents": 0, "refunds_cents": 0, "absolute_cents": 0}
    lines = {}
    for kind, pay, ref, sales, refunds in moves:
        t["sales_count"] += sales
        t["refunds_count"] += refunds
        t["payments_cents"] += pay
        t["refunds_cents"] += ref
        t["absolute_cents"] += abs(pay) + abs(ref)
        line = lines.setdefault(kind, {"kind": kind, "payments_cents": 0, "refunds_cents": 0})
        line["payments_cents"] += pay
        line["refunds_cents"] += ref
    t["by_tender"] = [lines[k] for k in KIND_ORDER if k in lines]
    return t


def sum_totals(parts):
    t = {"sales_count": 0, "refunds_count": 0, "payments_cents": 0, "refunds_cents": 0, "absolute_cents": 0}
    lines = {}
    for p in parts:
        for f in ("sales_count", "refunds_count", "payments_cents", "refunds_cents", "absolute_cents"):
            t[f] += p.get(f, 0)
        for line in p["by_tender"]:
            mine = lines.setdefault(line["kind"], {"kind": line["kind"], "payments_cents": 0, "refunds_cents": 0})
            mine["payments_cents"] += line["payments_cents"]
            mine["refunds_cents"] += line["refunds_cents"]
    t["by_tender"] = [lines[k] for k in KIND_ORDER if k in lines]
    return t


def closing_days(c):
    label = c["label"]
    try:
        if c["kind"] == "day":
            d = date.fromisoformat(label)
            return d, d
        if c["kind"] == "month":
            y, m = (int(x) for x in label.split("-"))
            start = date(y, m, 1)
            end = date(y + (m == 12), m % 12 + 1, 1)
        else:
            parts = label.split("-")
            y, m = int(parts[0]), int(parts[1]) if len(parts) > 1 else 1
            start = date(y, m, 1)
            end = date(y + 1, m, 1)
        return start, date.fromordinal(end.toordinal() - 1)
    except (ValueError, IndexError):
        return None


def jsonl(name, data):
    out = []
    for i, line in enumerate(data.split(b"\n")):
        if line:
            try:
                out.append(json.loads(line))
            except ValueError as e:
                raise Refused(f"{name} line {i + 1}: not JSON ({e})")
    return out


def verify(path):
    try:
        tar = tarfile.open(path, "r:")
    except (tarfile.TarError, OSError) as e:
        raise Refused(f"archive: not a tar file ({e})")
    with tar:
        infos = tar.getmembers()
        names = [i.name for i in infos]
        for n in MEMBERS:
            if n not in names:
                raise Refused(f"archive: member {n} is missing")
        if names != MEMBERS:
            raise Refused(f"archive: members {names} are not {MEMBERS} in this order")
        small = {i.name: tar.extractfile(i).read() for i in infos if i.name != "entries.jsonl"}

        # The manifest and its signature.
        try:
            manifest = json.loads(small["manifest.json"])
        except ValueError as e:
            raise Refused(f"manifest.json: not JSON ({e})")
        sig = small["manifest.sig"].decode("ascii", "replace").strip()
        if not verifies(manifest.get("publicKey", ""), b"cadodesk-archive-manifest-v1\0" + small["manifest.json"],
                        sig):
            raise Refused("manifest.sig: the signature does not verify manifest.json under its publicKey")
        if manifest.get("format") != "cadodesk-archive" or manifest.get("version") != 1:
            raise Refused("manifest.json: not format cadodesk-archive version 1")
        if key_id(manifest["publicKey"]) != manifest["keyId"]:
            raise Refused("manifest.json: keyId is not the id of publicKey")
        listed = {m["name"]: m for m in manifest["members"]}
        if [m["name"] for m in manifest["members"]] != HASHED:
            raise Refused("manifest.json: members are not the four hashed members")
        for n in HASHED[:-1]:
            if listed[n]["bytes"] != len(small[n]) or listed[n]["sha256"] != hashlib.sha256(small[n]).hexdigest():
                raise Refused(f"{n}: size or SHA-256 differs from the manifest")

        opening = json.loads(small["opening.json"])
        closings = jsonl("closings.jsonl", small["closings.jsonl"])
        refs = [{"kind": c["closing"]["kind"], "number": c["closing"]["number"], "label": c["closing"]["label"],
                 "seq": c["seq"]} for c in closings]
        if refs != manifest["closings"]:
            raise Refused("closings.jsonl: not the closings the manifest names")
        if opening["beforeSeq"] + 1 != manifest["firstSeq"]:
            raise Refused("opening.json: beforeSeq is not firstSeq - 1")
        events = [l for l in small["events.jsonl"].split(b"\n") if l]
        closing_at = {c["seq"]: c["closing"] for c in closings}
        wanted_hash = {c["closing"]["last_seq"] for c in closings}
        hashes = {}

        day_spans = [c["closing"] for c in closings if c["closing"]["kind"] == "day"]
        day_moves = {id(c): [] for c in day_spans}
        day_starts = [c["first_seq"] for c in day_spans]
        money = Money(opening["money"])
        key = opening["key"]["publicKey"] if opening["key"] else None
        expected_seq, prev = manifest["firstSeq"], opening["prevHash"]
        next_event = 0
        count = 0
        digest = hashlib.sha256()
        size = 0
        stream = tar.extractfile(tar.getmember("entries.jsonl"))
        for raw in stream:
            digest.update(raw)
            size += len(raw)
            count += 1
            try:
                e = json.loads(raw)
            except ValueError as err:
                raise Refused(f"entries.jsonl line {count}: not JSON ({err})")
            seq = e["seq"]
            if entry_hash(e) != e["hash"]:
                raise Refused(f"entries.jsonl: entry {seq} was edited (its hash does not match)")
            if seq != expected_seq:
                raise Refused(f"entries.jsonl: entry {seq} where entry {expected_seq} was expected")
            if e["prevHash"] != prev:
                raise Refused(f"entries.jsonl: entry {seq} does not link to the entry before it")
            payload = json.loads(e["payload"])
            if payload.get("kind") != e["kind"]:
                raise Refused(f"entries.jsonl: entry {seq}: payload kind is not the entry's")
            if e["kind"] == "journal_key":
                if key is not None:
                    raise Refused(f"entries.jsonl: entry {seq} names a new key without the previous key's endorsement")
                key = payload["public_key"]
            elif e["kind"] == "journal_key_rotated":
                endorsement = payload.get("endorsement")
                msg = b"cadodesk-key-rotation-v1\0" + payload["public_key"].encode("ascii")
                if key is None or not endorsement or not verifies(key, msg, endorsement):
                    raise Refused(f"entries.jsonl: entry {seq} names a new key without the previous key's endorsement")
                key = payload["public_key"]
            if key is not None:
                if e["signature"] is None:
                    raise Refused(f"entries.jsonl: entry {seq} has no seal")
                if e["keyId"] != key_id(key) or not verifies(key, seal_message(seq, e["hash"]), e["signature"]):
                    raise Refused(f"entries.jsonl: the seal of entry {seq} does not verify")
            elif e["signature"] is not None or e["keyId"] is not None:
                raise Refused(f"entries.jsonl: entry {seq} has a seal while no key is in force")
            if e["kind"] in TECHNICAL:
                if next_event >= len(events) or events[next_event] != raw.rstrip(b"\n"):
                    raise Refused(f"events.jsonl: entry {seq} ({e['kind']}) is not the next technical event listed")
                next_event += 1
            if seq in wanted_hash:
                hashes[seq] = e["hash"]
            if seq in closing_at and payload.get("closing") != closing_at[seq]:
                raise Refused(f"closings.jsonl: the closing at entry {seq} is not what that entry holds")
            moved = money.step(payload)
            if moved is not None and e["kind"] != "closing_made":
                # The day closing whose span holds this entry (spans are in order: the last one starting at or
                # before it).
                i = bisect.bisect_right(day_starts, seq) - 1
                if i >= 0 and seq <= day_spans[i]["last_seq"]:
                    day_moves[id(day_spans[i])].append(moved)
            expected_seq, prev = seq + 1, e["hash"]

        if size != listed["entries.jsonl"]["bytes"] or digest.hexdigest() != listed["entries.jsonl"]["sha256"]:
            raise Refused("entries.jsonl: size or SHA-256 differs from the manifest")
        if expected_seq - 1 != manifest["lastSeq"] or count != manifest["counts"]["entries"]:
            raise Refused("entries.jsonl: does not end where the manifest says")
        if next_event != len(events):
            raise Refused("events.jsonl: lists an event that is not among the entries")
        if manifest["counts"]["closings"] != len(closings) or manifest["counts"]["events"] != len(events):
            raise Refused("manifest.json: counts are not those of the members")

        # The closings, recomputed.
        period = (date.fromisoformat(manifest["period"]["from"]), date.fromisoformat(manifest["period"]["to"]))
        previous = {c["closing"]["kind"]: c["closing"] for c in opening["previousClosings"]}
        seen = []
        for line in closings:
            c = line["closing"]
            name = f"closing {c['kind']} n°{c['number']} ({c['label']})"

            def same(field, recorded, recomputed):
                if recorded != recomputed:
                    raise Refused(f"{name}: {field} is {recorded} in the closing but {recomputed} recomputed")

            same("till", c["till"], manifest["till"]["code"])
            same("tillUuid", c["till_uuid"], manifest["till"]["uuid"])
            days = closing_days(c)
            if days is None or days[0] < period[0] or days[1] > period[1]:
                raise Refused(f"{name}: its period is not inside the archive's")
            prev_c = previous.get(c["kind"])
            same("number", c["number"], prev_c["number"] + 1 if prev_c else 1)
            same("previous", c["previous"], prev_c["number"] if prev_c else None)
            if c["kind"] == "day":
                t = totals_of(day_moves[id(c)])
                check_totals(same, c, t)
                same("firstSeq", c["first_seq"], prev_c["last_seq"] + 1 if prev_c else 1)
                if prev_c:
                    same("from", c["from"], prev_c["to"])
                same("perpetualTotalCents", c["perpetual_total_cents"],
                     (prev_c["perpetual_total_cents"] if prev_c else 0) + t["payments_cents"] - t["refunds_cents"])
                same("perpetualAbsoluteTotalCents", c["perpetual_absolute_total_cents"],
                     (prev_c["perpetual_absolute_total_cents"] if prev_c else 0) + t["absolute_cents"])
                head = hashes.get(c["last_seq"])
                if head is None and c["last_seq"] == opening["beforeSeq"]:
                    head = opening["prevHash"]
                same("headHash", c["head_hash"], head)
            else:
                below = "day" if c["kind"] == "month" else "month"
                parts = [p for p in seen if p["kind"] == below and days[0] <= closing_days(p)[0]
                         and closing_days(p)[1] <= days[1]]
                if not parts:
                    raise Refused(f"{name}: no closing below it in the archive")
                check_totals(same, c, sum_totals([p["totals"] for p in parts]))
                same("firstSeq", c["first_seq"], parts[0]["first_seq"])
                same("lastSeq", c["last_seq"], parts[-1]["last_seq"])
                same("from", c["from"], parts[0]["from"])
                same("to", c["to"], parts[-1]["to"])
                same("perpetualTotalCents", c["perpetual_total_cents"], parts[-1]["perpetual_total_cents"])
                same("perpetualAbsoluteTotalCents", c["perpetual_absolute_total_cents"],
                     parts[-1]["perpetual_absolute_total_cents"])
                same("headHash", c["head_hash"], parts[-1]["head_hash"])
            previous[c["kind"]] = c
            seen.append(c)
        return (f"till {manifest['till']['code']}, {manifest['period']['from']} to {manifest['period']['to']}, "
                f"{count} entries, {len(closings)} closings recomputed, {len(events)} technical events, "
                f"key {manifest['keyId']}")


def check_totals(same, c, t):
    r = c["totals"]
    for field, camel in (("sales_count", "salesCount"), ("refunds_count", "refundsCount"),
                         ("payments_cents", "paymentsCents"), ("refunds_cents", "refundsCents"),
                         ("absolute_cents", "absoluteCents")):
        same(camel, r.get(field, 0), t[field])
    same("byTender", r["by_tender"], t["by_tender"])
    same("periodTotalCents", c["period_total_cents"], t["payments_cents"] - t["refunds_cents"])


def main(paths):
    refused = 0
    for p in paths:
        try:
            print(f"{p}: sound: {verify(p)}")
        except Refused as e:
            refused += 1
            print(f"{p}: refused: {e}")
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            refused += 1
            print(f"{p}: refused: a field is missing or of the wrong type ({type(e).__name__}: {e})")
    return 1 if refused else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
