#!/usr/bin/env bash
# Build the macOS disk image from the PyInstaller .app (run on macOS after
# `pyinstaller packaging/macos/mrtimer.spec`; `python packaging/build.py` runs both).
#
#   packaging/macos/build_dmg.sh [APP] [OUT_DIR]
#     APP      default: dist/Meet and Rock Timer.app
#     OUT_DIR  default: dist           -> OUT_DIR/MeetAndRockTimer-<version>.dmg
#
# Optional signing and notarization (see docs/README-packaging.md):
#   MRTIMER_CODESIGN_IDENTITY="Developer ID Application: ... (TEAMID)"  signs the .dmg
#   MRTIMER_NOTARY_PROFILE=<profile saved by `xcrun notarytool store-credentials`>
#       submits the .dmg to Apple's notary service, waits, and staples the ticket.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
app="${1:-$root/dist/Meet and Rock Timer.app}"
out_dir="${2:-$root/dist}"
python="${PYTHON:-python3}"

version="$("$python" -c 'import sys; sys.path.insert(0, sys.argv[1]); import pyi_common; print(pyi_common.VERSION)' "$root/packaging")"
dmg="$out_dir/MeetAndRockTimer-$version.dmg"

if [ ! -d "$app" ]; then
    echo "build_dmg.sh: $app not found: build it first (pyinstaller packaging/macos/mrtimer.spec)" >&2
    exit 1
fi
command -v hdiutil >/dev/null || { echo "build_dmg.sh: hdiutil (macOS) is required" >&2; exit 1; }

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
# ditto keeps the code signatures, extended attributes and symlinks of the bundle.
ditto "$app" "$stage/$(basename "$app")"
ln -s /Applications "$stage/Applications"

mkdir -p "$out_dir"
rm -f "$dmg"
hdiutil create -volname "Meet and Rock Timer $version" -srcfolder "$stage" \
    -fs HFS+ -format UDZO -imagekey zlib-level=9 -ov "$dmg"

if [ -n "${MRTIMER_CODESIGN_IDENTITY:-}" ]; then
    codesign --force --timestamp --sign "$MRTIMER_CODESIGN_IDENTITY" "$dmg"
fi
if [ -n "${MRTIMER_NOTARY_PROFILE:-}" ]; then
    xcrun notarytool submit "$dmg" --keychain-profile "$MRTIMER_NOTARY_PROFILE" --wait
    xcrun stapler staple "$dmg"
fi
echo "$dmg"
