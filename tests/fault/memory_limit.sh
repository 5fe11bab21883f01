#!/usr/bin/env bash
# Memory limits (issue 17): under `ulimit -v`, a model too large for the address space left must fail at once
# with an error naming the size it needs and the size left, never crash, hang or spin (OpenBLAS retries a
# failed buffer mapping for ever, so an ials fit whose Grams did not fit used to spin at 100% CPU); a model
# that fits must still train under the same limit.
#   bash tests/fault/memory_limit.sh SEGUE_BINARY
set -euo pipefail
segue=$(realpath "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$segue" import --format lastfm --input "$root/data/lastfm-hetrec-2k" --out store --kcore-users 10 >/dev/null
"$segue" split store --method random --seed 1 --out split >/dev/null
limit_kb=600000  # ~600 MB of address space: itemknn and a small ials fit; ials with 4096 factors cannot
refused() {  # refused WHAT COMMAND...: must fail within 60 s naming both sizes
  local what=$1; shift
  local rc=0
  (ulimit -v $limit_kb; timeout 60 "$@" >out.log 2>err.log) || rc=$?
  [ $rc -ne 124 ] || { echo "memory_limit: $what hung under ulimit -v $limit_kb"; exit 1; }
  [ $rc -eq 1 ] || { echo "memory_limit: $what ended with $rc, not a clear error:"; cat err.log; exit 1; }
  grep -q "needs at least .* but only .* are left (ulimit -v" err.log ||
    { echo "memory_limit: $what did not name the sizes:"; cat err.log; exit 1; }
  echo "$what: $(cat err.log)"
}
fits() {
  local what=$1; shift
  (ulimit -v $limit_kb; timeout 120 "$@" >out.log 2>err.log) ||
    { echo "memory_limit: $what failed under ulimit -v $limit_kb:"; cat err.log; exit 1; }
  echo "$what: fits"
}
refused "ials:factors=4096" "$segue" train --train split/train.csv --model ials:factors=4096,iterations=1 --out a.model
refused "bpr:factors=4096" "$segue" train --train split/train.csv --model bpr:factors=4096,epochs=1 --out b.model
fits "ials:factors=32" "$segue" train --train split/train.csv --model ials:factors=32,iterations=2 --out c.model
fits "itemknn" "$segue" train --train split/train.csv --model itemknn --out d.model
[ ! -e a.model ] && [ ! -e b.model ] || { echo "memory_limit: a refused fit wrote a model file"; exit 1; }
echo "memory_limit: ok"
