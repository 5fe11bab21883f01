#!/usr/bin/env bash
# docs/web-page.png: the page of `segue serve` for one Last.fm listener, reasons
# on, right after a skip (tests/browser/screenshot_page.py, the browser test's
# DevTools code). Usage: scripts/screenshot_page.sh [LISTENER]   (default 2)
# SEGUE=path/to/segue uses that binary; otherwise one is built in
# build-screenshot/ (itemknn only: no libtorch). Store and model go there too.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
out=build-screenshot
segue=${SEGUE:-}
if [ -z "$segue" ]; then
  cmake -S . -B $out -G Ninja -DCMAKE_BUILD_TYPE=Release -DSEGUE_TORCH=OFF -DSEGUE_TESTS=OFF -DSEGUE_BENCH=OFF >/dev/null
  cmake --build $out --target segue
  segue=$out/segue
fi
user=${1:-2}
set -x
$segue import --format lastfm --input data/lastfm-hetrec-2k --out $out/lastfm --kcore-users 5
$segue train --data $out/lastfm --model itemknn --out $out/itemknn.model
/usr/bin/python3 tests/browser/screenshot_page.py --segue $segue --model $out/itemknn.model --data $out/lastfm \
  --user "$user" --skip-rank 3 --width 1280 --height 900 --out docs/web-page.png
