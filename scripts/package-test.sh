#!/usr/bin/env bash
# The Debian package as a shop gets it: built by scripts/package.sh (or CADODESK_DEB=path), checked by lintian (no
# error; warnings listed), installed with apt-get, `cadodesk --version` run from /usr/bin, the installed app started
# under Xvfb with a fresh home (its window found by its application id, a screenshot taken into
# assets/screenshots/package-installed.png, or $PACKAGE_SCREENSHOT), then the package purged: the user's data directory must be untouched.
# Runs as root (it installs a package). Ends with `package-test: N passed, M failed`.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
JUDGE_NAME=package-test
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

passed=0
failed=0
ok() {
    passed=$((passed + 1))
    judges_log "ok: $*"
}
ko() {
    failed=$((failed + 1))
    judges_log "FAILED: $*"
}
finish() {
    echo "package-test: ${passed} passed, ${failed} failed"
    ((failed == 0))
    exit $?
}

[[ $(id -u) == 0 ]] || judges_die "installs a package: run as root"
need=()
for tool in lintian:lintian xvfb-run:xvfb xauth:xauth import:imagemagick xdotool:xdotool \
    desktop-file-validate:desktop-file-utils rsvg-convert:librsvg2-bin; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool#*:}")
done
if ((${#need[@]})); then
    judges_log "installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

deb="${CADODESK_DEB:-}"
if [[ -z $deb ]]; then
    deb="$(bash scripts/package.sh | tail -n 1)" || judges_die "scripts/package.sh failed"
fi
[[ -f $deb ]] || judges_die "no package at '$deb'"
deb="$(realpath "$deb")"
judges_log "package: $deb"

# lintian: no error; the warnings and notes are listed.
lint="$(lintian --info --display-level '>=warning' "$deb" 2>&1)"
errors="$(grep -c '^E: ' <<<"$lint" || true)"
warnings="$(grep -c '^W: ' <<<"$lint" || true)"
grep -E '^(E|W): ' <<<"$lint" | sed 's/^/    /'
if ((errors == 0)); then ok "lintian: no error (${warnings} warnings, listed above)"; else ko "lintian: ${errors} errors"; fi

# The launcher and the metainfo, checked by their own validators.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/root"
if desktop-file-validate "$work/root/usr/share/applications/fr.cadodesk.cadodesk.desktop"; then
    ok "the .desktop entry validates"
else
    ko "the .desktop entry does not validate"
fi
for f in usr/bin/cadodesk usr/share/metainfo/fr.cadodesk.cadodesk.metainfo.xml \
    usr/share/icons/hicolor/scalable/apps/fr.cadodesk.cadodesk.svg \
    usr/share/icons/hicolor/48x48/apps/fr.cadodesk.cadodesk.png \
    usr/share/icons/hicolor/256x256/apps/fr.cadodesk.cadodesk.png \
    usr/share/doc/cadodesk/copyright usr/share/doc/cadodesk/README.md; do
    [[ -f $work/root/$f ]] || ko "the package lacks /$f"
done
ok "the package holds the binary, launcher, metainfo, icons, licence and README"

# Installed as a shop would.
if dpkg-query -W -f='${Status}' cadodesk 2>/dev/null | grep -q 'install ok installed'; then
    apt-get purge -y -qq cadodesk >/dev/null
fi
if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >"$work/apt.log" 2>&1; then
    ok "apt-get install ./$(basename "$deb")"
else
    tail -n 20 "$work/apt.log" | sed 's/^/    /'
    ko "apt-get install failed"
    finish
fi

version_line="$(/usr/bin/cadodesk --version 2>&1)"
want_version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
want_commit="$(git rev-parse --short=10 HEAD 2>/dev/null || echo unknown)"
judges_log "/usr/bin/cadodesk --version: $version_line"
if [[ $version_line == "cadodesk ${want_version} (commit ${want_commit})" ]]; then
    ok "/usr/bin/cadodesk --version names version ${want_version} and commit ${want_commit}"
else
    ko "/usr/bin/cadodesk --version said '$version_line', not 'cadodesk ${want_version} (commit ${want_commit})'"
fi

# The installed app, under Xvfb, with a fresh home: no CADODESK_* variable, the platform's data directory.
home="$work/home"
mkdir -p "$home/run"
chmod 700 "$home/run"
data="$home/.local/share/cadodesk"
shot="${PACKAGE_SCREENSHOT:-assets/screenshots/package-installed.png}"
# The capture runs in another directory's shell: an absolute path.
case "$shot" in /*) ;; *) shot="$PWD/$shot" ;; esac
mkdir -p "$(dirname "$shot")"
rm -f "$shot"
env -i PATH=/usr/bin:/bin HOME="$home" XDG_RUNTIME_DIR="$home/run" LANG=C.UTF-8 \
    xvfb-run -a -s "-screen 0 1366x768x24 -nolisten tcp" bash -c '
    /usr/bin/cadodesk >"$1/app.log" 2>&1 &
    app=$!
    # Found by its application id (the X11 class), as the desktop matches it to its launcher.
    if wid="$(timeout 60 xdotool search --sync --onlyvisible --class fr.cadodesk.cadodesk | head -n 1)"; then
        echo "$wid" >"$1/window"
        sleep 4
        import -window root -crop 1366x740+0+0 +repage "$2"
    fi
    kill "$app" 2>/dev/null
    wait "$app" 2>/dev/null
    true
' package-test "$work" "$shot"
if [[ -s $work/window ]]; then
    ok "the installed app opened its window, class fr.cadodesk.cadodesk"
else
    tail -n 20 "$work/app.log" | sed 's/^/    /'
    ko "no window of class fr.cadodesk.cadodesk appeared"
fi
if [[ -f $shot ]]; then
    convert "$shot" -colors 256 -strip "PNG8:$shot"
    ok "screenshot taken: $shot"
else
    ko "no screenshot was taken"
fi
if [[ -f $data/ledger.sqlite3 ]]; then
    ok "the app keeps its ledger in the platform's data directory ($data)"
else
    ko "no ledger in $data"
fi

# Removing the package (even purging it) leaves the shop's data alone.
before="$(cd "$data" 2>/dev/null && find . -type f -print0 | sort -z | xargs -0 sha256sum)"
if apt-get purge -y -qq cadodesk >"$work/purge.log" 2>&1 && [[ ! -e /usr/bin/cadodesk ]]; then
    ok "apt-get purge cadodesk removed the program"
else
    ko "apt-get purge cadodesk failed or left /usr/bin/cadodesk"
fi
after="$(cd "$data" 2>/dev/null && find . -type f -print0 | sort -z | xargs -0 sha256sum)"
if [[ -n $before && $before == "$after" ]]; then
    ok "the data directory is untouched after the purge ($(wc -l <<<"$after") files)"
else
    ko "the data directory changed with the purge"
fi
finish
