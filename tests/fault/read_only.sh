#!/usr/bin/env bash
# Read-only places (issue 17): writing a store, a split, a model, the ANN index or the event database where
# the process may not write gives a clear error naming the path (or, for the index, a warning and service
# without it), never a crash or a half-written output; reading a store, a split and a model from a read-only
# directory works. Permission bits bind only a non-root process, so as root the commands run as `nobody`
# (setpriv).
#   bash tests/fault/read_only.sh SEGUE_BINARY
set -euo pipefail
segue=$(realpath "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
chmod 755 "$work"
cd "$work"
as_user=()
if [ "$(id -u)" -eq 0 ]; then
  command -v setpriv >/dev/null || { echo "read_only: skipped (root without setpriv)"; exit 0; }
  as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
run() { "${as_user[@]}" "$@"; }
# A copy of the binary in the work directory: `nobody` may not be able to reach the checkout (e.g. under /root).
cp "$segue" "$work/segue" && chmod 755 "$work/segue" && segue=$work/segue
# Inputs, written by this user into a directory the writer cannot change.
mkdir ro
"$segue" import --format lastfm --input "$root/data/lastfm-hetrec-2k" --out ro/store --kcore-users 10 >/dev/null
"$segue" split ro/store --method random --seed 1 --out ro/split >/dev/null
"$segue" train --train ro/split/train.csv --model ials:factors=16,iterations=2 --out ro/ials.segue >/dev/null
chmod -R a-w ro
chmod a+rx ro ro/store ro/split
fails() {  # fails WHAT PATH COMMAND...: must fail naming PATH, and leave nothing in ro/
  local what=$1 path=$2; shift 2
  if run "$@" >out.log 2>err.log; then echo "read_only: $what succeeded in a read-only directory"; exit 1; fi
  grep -q "$path" err.log || { echo "read_only: $what did not name $path:"; cat err.log; exit 1; }
  grep -qiE "permission denied|read-only|cannot (create|write|open)" err.log ||
    { echo "read_only: $what gave no clear reason:"; cat err.log; exit 1; }
  echo "$what: $(head -c 300 err.log)"
}
fails import ro/new_store "$segue" import --format lastfm --input "$root/data/lastfm-hetrec-2k" --out ro/new_store
fails "import over a store" ro/store "$segue" import --format lastfm --input "$root/data/lastfm-hetrec-2k" --out ro/store
fails split ro/new_split "$segue" split ro/store --method random --seed 2 --out ro/new_split
fails train ro/model.segue "$segue" train --train ro/split/train.csv --model itemknn --out ro/model.segue
fails "serve --events" ro/events.sqlite "$segue" serve --model ro/ials.segue --port 0 --events ro/events.sqlite
# Reading from read-only places works.
run "$segue" stats ro/store >/dev/null
run "$segue" recommend --model ro/ials.segue --user 2 --n 3 >/dev/null 2>err.log || { echo "read_only: recommend failed:"; cat err.log; exit 1; }
# The server serves a model in a read-only directory: the index cannot be saved beside it, which is a warning.
rm -f serve.log
(trap - EXIT; exec "${as_user[@]}" "$segue" serve --model ro/ials.segue --port 0 >serve.log 2>&1) &
pid=$!
for _ in $(seq 300); do grep -qs "ready in" serve.log && break; sleep 0.1; done
kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
grep -q "ready in" serve.log || { echo "read_only: serve did not start:"; cat serve.log; exit 1; }
grep -q "the index was not saved" serve.log || { echo "read_only: no warning about the index:"; cat serve.log; exit 1; }
echo "serve: $(grep -m1 "index was not saved" serve.log | head -c 200)"
left=$(find ro -newer ro/ials.segue ! -path ro ! -path ro/store ! -path ro/split | head -5)
[ -z "$left" ] || { echo "read_only: files appeared in the read-only directory: $left"; exit 1; }
echo "read_only: ok"
