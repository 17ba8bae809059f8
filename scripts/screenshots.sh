#!/usr/bin/env bash
# Takes a PNG of each screen of the real app under Xvfb, for the README: assets/screenshots/<tab>.png (or
# $SCREENSHOTS_OUT/<tab>.png). Fails when a picture was not taken or the export chosen in the save dialog is missing.
# Installs what it needs (xvfb, xauth, imagemagick, xdotool, zenity) when missing. The app runs on the embedded
# sandbox with a fresh data directory; a first sale is made and paid so the screens are not empty.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for tool in xvfb-run:xvfb xauth:xauth import:imagemagick xdotool:xdotool curl:curl zenity:zenity; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool#*:}")
done
if ((${#need[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# The dev profile is enough for still pictures and reuses the test build (dependencies are optimised anyway).
cargo test --no-run --test it
bin="${CARGO_TARGET_DIR:-target}/debug/cadodesk"
# SCREENSHOTS_OUT: another folder (CI checks the tour there without touching the README's pictures).
out="${SCREENSHOTS_OUT:-assets/screenshots}"
mkdir -p "$out"
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
shots_taken=(cashier cashier-qr cashier-paid transactions refund refund-confirm refund-split refunds export-save-dialog
  refunds-export counter-light counter-dark counter-150 settings journal closing-confirm closings)
for name in "${shots_taken[@]}"; do rm -f "$out/$name.png"; done

# The tour: the app shows each tab in turn (CADODESK_SCREENSHOT_TOUR), writing the tab's name to a file when it
# is on screen and drawn; the script captures the root window then. A sale is made first through the app's
# own cashier screen by the tour (87,50 €, two gift cards and a Visa), paid over HTTP as a customer would, after two
# smaller sales (one paid by card, one left open) so the tables have more than one line.
CADODESK_DATA_DIR="$data" CADODESK_SCREENSHOT_TOUR="$data/tour" \
  xvfb-run -a -s "-screen 0 1366x768x24 -nolisten tcp" bash -c '
    set -euo pipefail
    "$0" >"$1/app.log" 2>&1 &
    app=$!
    # The pointer rests below the window (no tooltip from wherever Xvfb put it).
    xdotool mousemove 1 766 || true
    shots="$2"
    for _ in $(seq 1 600); do
      if [[ -f "$1/tour" ]]; then
        step="$(cat "$1/tour")"
        case "$step" in
          done) break ;;
          pay:*) url="${step#pay:}"
                 curl -fsS -o /dev/null --data-urlencode giftcard1_number=6299000000000002 \
                   --data-urlencode giftcard1_expiry=12/30 --data-urlencode giftcard1_cvv=123 \
                   --data-urlencode giftcard2_number=6299000000000003 --data-urlencode giftcard2_expiry=12/30 \
                   --data-urlencode giftcard2_cvv=123 --data-urlencode card_number=4012000033330026 \
                   --data-urlencode card_expiry=05/30 --data-urlencode card_cvv=123 \
                   --data-urlencode action=pay "$url" || true ;;
          paycard:*) url="${step#paycard:}"
                 curl -fsS -o /dev/null --data-urlencode card_number=4012000033330026 \
                   --data-urlencode card_expiry=05/30 --data-urlencode card_cvv=123 \
                   --data-urlencode action=pay "$url" || true ;;
          savedialog)
                 # The system save dialog (zenity here: no desktop portal under Xvfb). Answered as a person would:
                 # a name without extension typed over the proposed one, then Enter; the app adds ".csv".
                 wid="$(timeout 20 xdotool search --sync --onlyvisible --class zenity | head -n 1)" || {
                   echo "screenshots: the save dialog did not open" >&2; kill "$app"; exit 1; }
                 sleep 1.5
                 import -window root +repage "$shots/export-save-dialog.png"
                 xdotool windowfocus --sync "$wid"
                 xdotool key --clearmodifiers ctrl+a
                 xdotool type --delay 20 "$1/novembre"
                 xdotool key Return ;;
          shot:*) name="${step#shot:}"
                  # The window is 1366x740 at the top left of the 1366x768 screen (no window manager).
                  import -window root -crop 1366x740+0+0 +repage "$shots/$name.png" ;;
        esac
        rm -f "$1/tour"
      fi
      sleep 0.2
    done
    kill "$app" 2>/dev/null || true
    wait "$app" 2>/dev/null || true
    [[ -f "$1/novembre.csv" ]] || { echo "screenshots: the export chosen in the save dialog was not written" >&2; exit 1; }
    echo "screenshots: export written where the save dialog said: $(wc -l <"$1/novembre.csv") lines"
  ' "$bin" "$data" "$out"

# Keep the PNGs small: 256 colours are plenty for flat UI screens. Only this script's pictures are touched.
for name in "${shots_taken[@]}"; do
  f="$out/$name.png"
  [[ -f "$f" ]] || { echo "screenshots: $name.png was not taken; the app said:" >&2; tail -20 "$data/app.log" >&2; exit 1; }
  convert "$f" -colors 256 -strip "PNG8:$f"
done
ls -l "$out"
