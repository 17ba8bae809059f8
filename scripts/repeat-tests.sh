#!/usr/bin/env bash
# Runs the README's test command (`cargo test`) N times in a row (default 10) and prints `N passed, M failed`.
# A suite that passes once and fails the next time is broken: every run must pass. The first run builds; the
# others reuse the build. Each failed run's output is kept under target/repeat-tests/ for reading.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${1:-10}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: scripts/repeat-tests.sh [N]   (N: how many runs, at least 1)" >&2
    exit 2
fi
out=target/repeat-tests
mkdir -p "$out"
passed=0
failed=0
for i in $(seq 1 "$runs"); do
    started=$SECONDS
    if cargo test >"$out/run-$i.log" 2>&1; then
        passed=$((passed + 1))
        echo "run $i/$runs: passed in $((SECONDS - started))s"
        rm -f "$out/run-$i.log"
    else
        failed=$((failed + 1))
        echo "run $i/$runs: FAILED in $((SECONDS - started))s; output kept in $out/run-$i.log"
        grep -E -A1 '^(test .* FAILED|---- )|panicked at' "$out/run-$i.log" | head -30
    fi
done
echo "repeat-tests: ${passed} passed, ${failed} failed"
((failed == 0))
