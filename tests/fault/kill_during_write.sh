#!/usr/bin/env bash
# Fault injection (issue 17): `kill -9` of a writer at many moments never leaves a half-written store, model
# file or split accepted. Each round replaces an existing output with a different one and kills the writer after a
# random delay within its measured run time; the output must then load and be either the old one or the new one
# (compared by a fingerprint), never an error or a mixture. Temp files a killed writer leaves beside the target
# are allowed (no code runs after SIGKILL) but must never be read as the target.
#   bash tests/fault/kill_during_write.sh SEGUE_BINARY [ROUNDS]
set -euo pipefail
segue=$(realpath "$1")
rounds=${2:-12}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
data=$root/data/lastfm-hetrec-2k
RANDOM=7  # the same kill moments every run

now_ms() { date +%s%3N; }
# Runs "$@" in the background and kills it with SIGKILL after $1 ms (it may finish first).
kill_after() {
  local delay_ms=$1; shift
  "$@" >/dev/null 2>&1 &
  local pid=$!
  sleep "$(awk -v ms="$delay_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
# Times "$@" once (ms), so the kill delays cover the whole run.
duration() { local t0; t0=$(now_ms); "$@" >/dev/null 2>&1; echo $(( $(now_ms) - t0 )); }
# A kill moment for a run of $1 ms: from 40% of it to 20% past its end, where the reading and fitting are
# done and the writing happens (earlier kills only ever find the old output).
moment() { echo $(( $1 * 2 / 5 + RANDOM % ($1 * 4 / 5 + 20) )); }

check() {  # check KIND FINGERPRINT OLD NEW
  if [ "$2" != "$3" ] && [ "$2" != "$4" ]; then
    echo "kill_during_write: $1 is neither the old nor the new output after a kill:"; echo "  got: $2"; exit 1
  fi
}

# --- the store: `segue import` over an existing store (old: k-core 10, new: all users) ---
"$segue" import --format lastfm --input "$data" --out store --kcore-users 10 >/dev/null
old_store=$("$segue" stats store | head -3 | md5sum)
"$segue" import --format lastfm --input "$data" --out new_store >/dev/null
new_store=$("$segue" stats new_store | head -3 | md5sum)
[ "$old_store" != "$new_store" ]
ms=$(duration "$segue" import --format lastfm --input "$data" --out timing_store)
kept_old=0; kept_new=0
for ((r = 0; r < rounds; r++)); do
  "$segue" import --format lastfm --input "$data" --out store --kcore-users 10 >/dev/null  # back to old
  kill_after "$(moment "$ms")" "$segue" import --format lastfm --input "$data" --out store
  got=$("$segue" stats store | head -3 | md5sum) || { echo "store unreadable after a kill"; exit 1; }
  check store "$got" "$old_store" "$new_store"
  if [ "$got" = "$old_store" ]; then kept_old=$((kept_old + 1)); else kept_new=$((kept_new + 1)); fi
done
echo "store: $rounds kills within ${ms} ms runs: old kept $kept_old, new complete $kept_new"

# --- the model file: `segue train --out` over an existing model (old: pop, new: itemknn) ---
"$segue" split new_store --method random --seed 1 --out split >/dev/null
"$segue" train --train split/train.csv --model pop --out model.segue >/dev/null
old_model=$("$segue" recommend --model model.segue --user 2 --n 10 | md5sum)
"$segue" train --train split/train.csv --model itemknn --out new_model.segue >/dev/null
new_model=$("$segue" recommend --model new_model.segue --user 2 --n 10 | md5sum)
[ "$old_model" != "$new_model" ]
ms=$(duration "$segue" train --train split/train.csv --model itemknn --out timing.segue)
kept_old=0; kept_new=0
for ((r = 0; r < rounds; r++)); do
  "$segue" train --train split/train.csv --model pop --out model.segue >/dev/null
  kill_after "$(moment "$ms")" "$segue" train --train split/train.csv --model itemknn --out model.segue
  got=$("$segue" recommend --model model.segue --user 2 --n 10 | md5sum) || { echo "model unreadable after a kill"; exit 1; }
  check model "$got" "$old_model" "$new_model"
  if [ "$got" = "$old_model" ]; then kept_old=$((kept_old + 1)); else kept_new=$((kept_new + 1)); fi
done
echo "model: $rounds kills within ${ms} ms runs: old kept $kept_old, new complete $kept_new"

# --- the split files: `segue split --out` over an existing split (old: seed 1, new: seed 2) ---
old_train=$(md5sum <split/train.csv); old_test=$(md5sum <split/test.csv)
"$segue" split new_store --method random --seed 2 --out new_split >/dev/null
new_train=$(md5sum <new_split/train.csv); new_test=$(md5sum <new_split/test.csv)
[ "$old_train" != "$new_train" ]
ms=$(duration "$segue" split new_store --method random --seed 2 --out timing_split)
kept_old=0; kept_new=0; mixed=0
for ((r = 0; r < rounds; r++)); do
  "$segue" split new_store --method random --seed 1 --out split >/dev/null
  kill_after "$(moment "$ms")" "$segue" split new_store --method random --seed 2 --out split
  # Each file is replaced atomically; the split writer finishes every file before it renames any, so only a
  # kill between two rename calls (microseconds) could leave a new train.csv beside the old test.csv: each file
  # is checked on its own, and the pairs are counted.
  train=$(md5sum <split/train.csv); test=$(md5sum <split/test.csv)
  check split/train.csv "$train" "$old_train" "$new_train"
  check split/test.csv "$test" "$old_test" "$new_test"
  if [ "$train" = "$old_train" ] && [ "$test" = "$old_test" ]; then kept_old=$((kept_old + 1))
  elif [ "$train" = "$new_train" ] && [ "$test" = "$new_test" ]; then kept_new=$((kept_new + 1))
  else mixed=$((mixed + 1)); fi
done
echo "split: $rounds kills within ${ms} ms runs: old kept $kept_old, new complete $kept_new, new train beside old test $mixed"

# --- the ANN index: `segue serve` builds MODEL.hnsw beside an ials model and writes it at start-up ---
# Killed while building or writing it, the server must leave either no index file or a whole one: the next
# start must load it (a half file would be refused with "rebuilding the index") or build it afresh.
"$segue" train --train split/train.csv --model ials:factors=32,iterations=2 --out ials.segue >/dev/null
serve_until_ready() {  # starts the server, waits for its ready line (30 s at most), stops it; prints its log
  # A fresh log (the last one already says "ready in"), and no EXIT trap in the child: a TERM that reached the
  # forked shell before its exec would run the trap and delete the work directory.
  rm -f serve.log
  (trap - EXIT; exec "$segue" serve --model ials.segue --port 0 >serve.log 2>&1) &
  local pid=$! waited=0
  until grep -qs "ready in" serve.log || [ $waited -ge 300 ]; do sleep 0.1; waited=$((waited + 1)); done
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  grep -q "ready in" serve.log || { echo "kill_during_write: the server did not start:"; cat serve.log; exit 1; }
}
rm -f ials.segue.hnsw
t0=$(now_ms); serve_until_ready; ms=$(( $(now_ms) - t0 ))
[ -s ials.segue.hnsw ] || { echo "kill_during_write: serve wrote no index file"; exit 1; }
none=0; complete=0
for ((r = 0; r < rounds; r++)); do
  rm -f ials.segue.hnsw
  kill_after "$(moment "$ms")" "$segue" serve --model ials.segue --port 0
  # The graph is built by several threads, so two whole index files differ: "whole" is what the restart's
  # load (header, sizes, both checksums) says, below.
  if [ -e ials.segue.hnsw ]; then
    complete=$((complete + 1))
  else
    none=$((none + 1))
  fi
  serve_until_ready
  if grep -q "rebuilding the index" serve.log; then echo "kill_during_write: an index file was refused:"; cat serve.log; exit 1; fi
done
echo "ann index: $rounds kills within ${ms} ms start-ups: no index yet $none, whole index $complete; every restart served"
echo "kill_during_write: ok"
