#!/usr/bin/env bash
# Builds the Debian package: target/debian/cadodesk_<version>-1_amd64.deb, with cargo-deb (installed from
# crates.io when missing). The icon's PNG sizes are rendered from assets/icon/cadodesk.svg first (rsvg-convert,
# package librsvg2-bin, installed when missing). Prints the package's path on its last line.
#
# Usage: bash scripts/package.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log() { printf 'package: %s\n' "$*" >&2; }

if ! command -v rsvg-convert >/dev/null 2>&1; then
    log "installing librsvg2-bin (rsvg-convert)"
    SUDO=()
    if [[ $(id -u) != 0 ]]; then SUDO=(sudo); fi
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends librsvg2-bin >&2
fi
if ! command -v cargo-deb >/dev/null 2>&1; then
    log "installing cargo-deb from crates.io"
    cargo install --locked cargo-deb >&2
fi

target_dir="${CARGO_TARGET_DIR:-target}"
icons="$target_dir/package/icons"
for size in 16 32 48 64 128 256; do
    mkdir -p "$icons/${size}x${size}"
    rsvg-convert -w "$size" -h "$size" assets/icon/cadodesk.svg -o "$icons/${size}x${size}/fr.cadodesk.cadodesk.png"
done
# The window's own icon is the 64-pixel rendering, kept in the sources (the app embeds it).
cmp -s "$icons/64x64/fr.cadodesk.cadodesk.png" assets/icon/cadodesk-64.png ||
    log "note: assets/icon/cadodesk-64.png differs from the SVG's rendering; copy $icons/64x64/fr.cadodesk.cadodesk.png over it"

# The commit named by --version: the checkout's, or CADODESK_COMMIT when building from a source archive.
log "building the release binary and the package (cargo deb)"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
rm -f "$target_dir"/debian/cadodesk_"$version"*_amd64.deb
cargo deb --locked >&2
deb="$(ls "$target_dir"/debian/cadodesk_"$version"*_amd64.deb 2>/dev/null | head -n 1)"
[[ -f $deb ]] || { log "no package was written under $target_dir/debian"; exit 1; }
log "written: $deb ($(du -h "$deb" | cut -f1))"
echo "$deb"
