#!/usr/bin/env bash
# The main job on the embedded Last.fm data: install, build, import, split,
# train, evaluate and recommend. Everything it writes goes under build/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSEGUE_TESTS=OFF -DSEGUE_BENCH=OFF >/dev/null
cmake --build build --target segue
segue=build/segue
out=build/quickstart
set -x
$segue import --format lastfm --input data/lastfm-hetrec-2k --out $out/lastfm --kcore-users 5
$segue stats $out/lastfm
$segue split $out/lastfm --method random --seed 42 --out $out/split
$segue eval --train $out/split/train.csv --test $out/split/test.csv \
  --model pop --model itemknn --model rp3beta --model ease --model ials --model bpr --report $out/report.html
$segue train --train $out/split/train.csv --model itemknn --out $out/itemknn.model
$segue recommend --model $out/itemknn.model --user 2 --n 10 --explain --data $out/lastfm
$segue recommend --model $out/itemknn.model --history 289,292,300 --n 5 --data $out/lastfm
