#!/usr/bin/env bash
# The main job on the embedded Last.fm data: install, build, import, split,
# train, evaluate and recommend. Everything it writes goes under build/.
set -euo pipefail
# --no-serve: stop after the offline steps; otherwise the job ends by serving
# the trained model on 127.0.0.1 (Ctrl-C stops it).
serve=1
for arg in "$@"; do [ "$arg" = "--no-serve" ] && serve=0; done
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
# The whole stack (generators, their parameters, the re-ranker) chosen on a validation carve of train.csv.
$segue tune --auto --train $out/split/train.csv --budget 2m --out $out/best.spec
$segue eval --train $out/split/train.csv --test $out/split/test.csv \
  --model pop --model itemknn --model rp3beta --model ease --model ials --model bpr --model "$(cat $out/best.spec)" \
  --report $out/report.html
$segue train --train $out/split/train.csv --model "$(cat $out/best.spec)" --out $out/best.model
$segue recommend --model $out/best.model --user 2 --n 10 --explain --data $out/lastfm
$segue recommend --model $out/best.model --history "Britney Spears,Christina Aguilera,Katy Perry" --n 5 --data $out/lastfm
set +x
[ "$serve" = 1 ] || exit 0
# The service: the same model over HTTP, with a write token and an event database.
port=${SEGUE_PORT:-8080}
token_file=$out/token
[ -s "$token_file" ] || (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$token_file")
cat <<INFO

segue serve: http://127.0.0.1:$port/  (the web page; Ctrl-C stops the server)
  curl 'http://127.0.0.1:$port/v1/users/2/recommendations?n=5&explain=1'
  curl -H "Authorization: Bearer \$(cat $token_file)" -d '{"events": [{"user": "2", "item": "289", "event": "skip"}]}' \\
       http://127.0.0.1:$port/v1/events
  write token: $token_file    API: docs/API.md
INFO
exec $segue serve --model $out/best.model --data $out/lastfm --port "$port" --token-file "$token_file" \
  --events $out/events.sqlite
