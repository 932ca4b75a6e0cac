#!/usr/bin/env bash
# Build the one-folder desktop bundle into dist/labelview and smoke-test it.
# Run from anywhere after the README's install (uses the Python on PATH, or $PYTHON).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"

"$PYTHON" -m pip install --quiet "pyinstaller>=6.10"
"$PYTHON" packaging/make_icons.py packaging/build/icons
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --workpath packaging/build/pyinstaller --distpath dist packaging/labelview.spec

APP="dist/labelview/labelview"
SMOKE="$(mktemp -d)"
trap 'rm -rf "$SMOKE"' EXIT
export QT_QPA_PLATFORM=offscreen

echo "== smoke test: --version"
"$APP" --version
echo "== smoke test: convert the demo to COCO"
DEMO="$("$PYTHON" -c 'import labelview.demo as d; print(d.path())')"
"$APP" convert "$DEMO" --to coco -o "$SMOKE/coco"
test -s "$SMOKE/coco/annotations.json"
echo "== smoke test: --demo --screenshot"
start=$(date +%s.%N)
"$APP" --demo --screenshot "$SMOKE/demo.png"
end=$(date +%s.%N)
test -s "$SMOKE/demo.png"
echo "== bundle size: $(du -sh dist/labelview | cut -f1)"
echo "== start to screenshot of the demo: $(echo "$end - $start" | bc) s"
echo "bundle OK: $ROOT/dist/labelview"
