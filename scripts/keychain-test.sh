#!/usr/bin/env bash
# The vault on the real Linux keychains: starts a private D-Bus session with gnome-keyring's Secret Service, unlocked
# with a throwaway password, and a kernel session keyring, then runs the vault tests that need them.
# Needs dbus, gnome-keyring and keyutils (scripts/install-deps.sh installs them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

for tool in dbus-run-session gnome-keyring-daemon keyctl; do
    command -v "$tool" >/dev/null || { echo "keychain-test: $tool is missing: run scripts/install-deps.sh" >&2; exit 1; }
done

# A fresh keyring folder each run: a keyring left by an earlier run with another password stays locked.
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export KEYCHAIN_LOG="$home/cargo-test.log"
export XDG_DATA_HOME="$home/data" XDG_RUNTIME_DIR="$home/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

# shellcheck disable=SC2016 # expanded by the inner shell
keyctl session - dbus-run-session -- bash -c '
    set -euo pipefail
    echo -n "keychain-test-$RANDOM" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    cargo test --test it vault_real -- --ignored --nocapture --test-threads=1 2>&1 | tee "$KEYCHAIN_LOG"
'
# The two tests are ignored in plain `cargo test`: check that both really ran here.
ran=$(grep -c "^test vault_real::.* ok$" "$KEYCHAIN_LOG" || true)
failed=$(grep -c "^test vault_real::.* FAILED$" "$KEYCHAIN_LOG" || true)
echo "keychain-test: ${ran} passed, ${failed} failed"
[ "$ran" -eq 2 ] && [ "$failed" -eq 0 ]
