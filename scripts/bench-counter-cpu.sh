#!/usr/bin/env bash
# The app's CPU time on the counter under Xvfb (Mesa's software renderer, as on a till without a GPU driver), over
# SECONDS seconds each: idle with no sale, with a sale waiting for its payment (status spinner, QR code), and the
# same screen repainted at every frame (the reference: what a continuously animated spinner costs).
#
# Usage: scripts/bench-counter-cpu.sh CADODESK_BINARY OUT_DIR [SECONDS]
# Prints key=value lines: counter_cpu_<idle|open|continuous>_pct (percent of one core), counter_cpu_seconds.
# Installs xvfb and xauth when missing.
set -euo pipefail
bin="$1"; out="$2"; seconds="${3:-10}"
mkdir -p "$out"
need=()
for tool in xvfb-run:xvfb xauth:xauth; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool#*:}")
done
if ((${#need[@]})); then
  SUDO=(); [ "$(id -u)" = 0 ] || SUDO=(sudo)
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT

CADODESK_DATA_DIR="$data" CADODESK_BENCH_TOUR="$data/tour" LIBGL_ALWAYS_SOFTWARE=1 \
  xvfb-run -a -s "-screen 0 1366x768x24 -nolisten tcp" bash -c '
    set -euo pipefail
    bin="$0"; data="$1"; seconds="$2"
    "$bin" >"$data/app.log" 2>&1 &
    app=$!
    tick="$(getconf CLK_TCK)"
    # User plus system time of every thread of the app, in clock ticks (fields 14 and 15 of /proc/PID/stat).
    cpu() {
      [[ -r "/proc/$app/stat" ]] || { echo "bench-counter-cpu: the app stopped" >&2; return 1; }
      awk "{ print \$14 + \$15 }" "/proc/$app/stat"
    }
    for _ in $(seq 1 900); do
      if [[ -f "$data/tour" ]]; then
        step="$(cat "$data/tour")"
        case "$step" in
          done) rm -f "$data/tour"; break ;;
          measure:*)
            name="${step#measure:}"
            a="$(cpu)" || break; t0="$(date +%s.%N)"
            sleep "$seconds"
            b="$(cpu)" || break; t1="$(date +%s.%N)"
            python3 -c "import sys; a,b,t,t0,t1=map(float,sys.argv[1:6]); print(f\"counter_cpu_{sys.argv[6]}_pct={100*(b-a)/t/(t1-t0):.2f}\")" \
              "$a" "$b" "$tick" "$t0" "$t1" "$name" ;;
        esac
        rm -f "$data/tour"
      fi
      sleep 0.1
    done
    kill "$app" 2>/dev/null || true
    wait "$app" 2>/dev/null || true
  ' "$bin" "$data" "$seconds" | tee "$out/counter-cpu.txt" || true
echo "counter_cpu_seconds=$seconds"
grep -q counter_cpu_continuous_pct "$out/counter-cpu.txt" || {
  echo "bench-counter-cpu: the tour did not finish; the app said:" >&2
  tail -20 "$data/app.log" >&2
  exit 1
}
