#!/usr/bin/env bash
# Renders a `segue eval --report` HTML page to PNG in headless Chromium, to check
# that it renders and to make the screenshot in docs/.
# Usage: scripts/screenshot_report.sh REPORT.html OUT.png [WIDTH,HEIGHT]
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 REPORT.html OUT.png [WIDTH,HEIGHT (default 1200,2000)]" >&2
  exit 2
fi
report=$1
out=$2
size=${3:-1200,2000}
if [[ ! -f "$report" ]]; then
  echo "$0: report '$report' not found" >&2
  exit 1
fi
if [[ ! "$size" =~ ^[0-9]+,[0-9]+$ ]]; then
  echo "$0: size '$size' must be WIDTH,HEIGHT in pixels, e.g. 1200,2000" >&2
  exit 2
fi

browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$browser" ]]; then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get install -y chromium >/dev/null
  browser=$(command -v chromium)
fi

report_abs=$(realpath "$report")
out_abs=$(realpath -m "$out")
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

# No network of any kind: the page is self-contained, and a screenshot must
# not depend on (or leak to) the outside world.
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --hide-scrollbars --user-data-dir="$profile" \
  --screenshot="$out_abs" --window-size="$size" "file://$report_abs" 2>/dev/null

if [[ ! -s "$out_abs" ]]; then
  echo "$0: chromium wrote no screenshot to $out_abs" >&2
  exit 1
fi
echo "wrote $out_abs ($(stat -c %s "$out_abs") bytes)"
