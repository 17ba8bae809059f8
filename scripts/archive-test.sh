#!/usr/bin/env bash
# Judges cadodesk's signed archives with an independent verifier: scripts/archive/verify.py (Python and the
# `cryptography` package, written from ARCHIVE.md, never calling cadodesk).
#
# The integration test `archive::an_archive_verifies_alone_and_every_tampering_is_named` writes a year's archive, one
# starting mid-way (opening state), and tampered copies (a byte flipped in each member, members removed, entries
# swapped, a closing forged and re-signed with the till's own key) with what each must give (`expected.json`). This
# script runs the verifier on each: a sound archive must pass, every other must be refused naming what the test
# expects. Closes with `archive-test: N passed, M failed`.
#
# Usage: bash scripts/archive-test.sh
# Env: JUDGES_SKIP_INSTALL=1 (do not run install-deps.sh --no-apt first).
set -euo pipefail

JUDGE_NAME=archive-test
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$JUDGES_ROOT"

if [[ ${JUDGES_SKIP_INSTALL:-0} != 1 ]]; then
    bash scripts/install-deps.sh --no-apt
fi
PY="$(judges_venv_python)"
export PYTHONDONTWRITEBYTECODE=1

FIXTURES="$(mktemp -d "${TMPDIR:-/tmp}/archive-test.XXXXXX")"
trap 'rm -rf "$FIXTURES"' EXIT
judges_log "writing archives with cargo test (archive::an_archive_verifies_alone_and_every_tampering_is_named)"
CADODESK_ARCHIVE_FIXTURES="$FIXTURES" cargo test --quiet --test it -- --exact \
    archive::an_archive_verifies_alone_and_every_tampering_is_named >/dev/null ||
    judges_die "the test that writes the archives failed"
[[ -f $FIXTURES/expected.json ]] || judges_die "no archives were written"

"$PY" - "$FIXTURES" <<'PYEOF'
import json
import pathlib
import subprocess
import sys

root = pathlib.Path(sys.argv[1])
verifier = pathlib.Path("scripts/archive/verify.py")
expected = json.loads((root / "expected.json").read_text())
passed = failed = 0
for name, want in sorted(expected.items()):
    run = subprocess.run([sys.executable, str(verifier), str(root / name)], capture_output=True, text=True)
    said = run.stdout.strip()
    ok = (run.returncode == 0) if want["sound"] else (run.returncode == 1 and want["names"] in said)
    print(("ok    " if ok else "FAIL  ") + said + ("" if want["sound"] else f"   [must name: {want['names']}]"))
    passed += ok
    failed += not ok
print(f"archive-test: {passed} passed, {failed} failed")
sys.exit(1 if failed or not passed else 0)
PYEOF
