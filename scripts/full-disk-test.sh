#!/usr/bin/env bash
# A full disk under the ledger: mounts a 1 MiB tmpfs (so it needs root), fills it, and checks that cadodesk refuses
# cleanly and its ledger stays sound, and that a refund whose answer cannot be written is left for `resume`. Plain `cargo test` ignores this test (it cannot mount without root); this
# script runs it and ends with `full-disk-test: N passed, M failed`.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "full-disk-test: run as root (the test mounts a tmpfs)" >&2
    echo "full-disk-test: 0 passed, 1 failed"
    exit 1
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --test it bad_input::a_full_disk -- --ignored --nocapture 2>&1 | tee "$log"
passed=$(grep -c "^test bad_input::a_full_disk.* ok$" "$log" || true)
failed=$(grep -c "^test bad_input::a_full_disk.* FAILED$" "$log" || true)
echo "full-disk-test: ${passed} passed, ${failed} failed"
# Two tests: a full disk before anything is sent, and one that fills while a refund is at the platform.
[ "$passed" -eq 2 ] && [ "$failed" -eq 0 ]
