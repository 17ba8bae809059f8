#!/usr/bin/env bash
# Installs what the external judges need: Debian packages (Chromium, Xvfb, keychain tools), a Python venv with the
# official Worldline Python SDK, and the Node packages (official Node SDK, playwright-core).
#
# Idempotent and non-interactive: it installs only what is missing, so a second run is quick.
# `cargo run --release` and `cargo test` never need any of this.
#
# Usage: bash scripts/install-deps.sh [--no-apt] [--no-python] [--no-node]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

want_apt=1
want_python=1
want_node=1
for arg in "$@"; do
    case "$arg" in
        --no-apt) want_apt=0 ;;
        --no-python) want_python=0 ;;
        --no-node) want_node=0 ;;
        *) echo "install-deps: unknown option $arg" >&2; exit 2 ;;
    esac
done

log() { printf 'install-deps: %s\n' "$*"; }

# Debian packages: each judge names what it uses.
#   chromium                          headless browser test of the hosted page
#   xvfb xauth imagemagick xdotool zenity   the desktop app under a virtual display, screenshots, the save dialog
#   dbus gnome-keyring libsecret-tools keyutils   the real OS keychain backends
#   sqlite3                           inspecting ledger files in scripts
#   python3-venv                      the venv for the official Python SDK
#   poppler-utils                     pdftotext and pdftoppm, the readers of the Z report
#   postgresql                        the central ledger's server (scripts/central-test.sh)
#   lintian desktop-file-utils librsvg2-bin   the Debian package: its checks, the icon's sizes (scripts/package*.sh)
APT_PACKAGES=(poppler-utils postgresql chromium xvfb xauth imagemagick xdotool zenity dbus gnome-keyring libsecret-tools
    keyutils sqlite3 python3-venv ca-certificates lintian desktop-file-utils librsvg2-bin)

is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

if [[ $want_apt == 1 ]]; then
    missing=()
    for pkg in "${APT_PACKAGES[@]}"; do
        is_installed "$pkg" || missing+=("$pkg")
    done
    if ((${#missing[@]})); then
        log "installing Debian packages: ${missing[*]}"
        SUDO=()
        if [[ $(id -u) != 0 ]]; then SUDO=(sudo); fi
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
        log "Debian packages already installed"
    fi
fi

# Python venv with the official SDK. Versions are pinned in requirements.txt so every run judges the same SDK.
if [[ $want_python == 1 ]]; then
    PY="${PYTHON:-python3}"
    if [[ ! -x .venv/bin/python ]]; then
        log "creating .venv with $($PY --version 2>&1)"
        "$PY" -m venv .venv
    fi
    if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check -r scripts/sdk/python/requirements.txt; then
        log "pip install failed" >&2
        exit 1
    fi
    log "python: $(.venv/bin/python -m pip list --disable-pip-version-check 2>/dev/null |
        grep -Ei '^(onlinepayments-sdk-python3|pytest|schemathesis) ' | tr -s ' ' | paste -sd ',' -)"
fi

# Node packages, exactly as locked.
if [[ $want_node == 1 ]]; then
    for dir in scripts/sdk/node scripts/browser; do
        if [[ -f $dir/package-lock.json ]]; then
            # npm ci wipes node_modules; skip it when the installed tree was made from this very lock file.
            want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
            if [[ -f $dir/node_modules/.cadodesk-lock-sha256 && $(cat "$dir/node_modules/.cadodesk-lock-sha256") == "$want" ]]; then
                log "$dir: node_modules up to date"
            else
                log "$dir: npm ci"
                (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
                echo "$want" >"$dir/node_modules/.cadodesk-lock-sha256"
            fi
        fi
    done
fi

log "done"
