#!/usr/bin/env bash
# A full disk (issue 17), stood in for by a file-size limit (`prlimit --fsize`: writes past it fail with EFBIG,
# as with ENOSPC, without needing a tmpfs mount that a container may not allow): `segue import`, `train` and
# `split` over an existing output must fail with an error naming the file, leave the old output as it was and
# leave no temporary files behind.
#   bash tests/fault/disk_full.sh SEGUE_BINARY
set -euo pipefail
segue=$(realpath "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
limit=100000  # bytes: below every output here
"$segue" import --format lastfm --input "$root/data/lastfm-hetrec-2k" --out store --kcore-users 10 >/dev/null
"$segue" split store --method random --seed 1 --out split >/dev/null
"$segue" train --train split/train.csv --model itemknn --out model.segue >/dev/null
before=$( ("$segue" stats store | head -3; cat split/*.csv split/split.json model.segue) | md5sum)
fails() {  # fails WHAT COMMAND...: the command must fail naming a file, with "File too large"
  local what=$1; shift
  if prlimit --fsize=$limit "$@" >out.log 2>err.log; then echo "disk_full: $what succeeded past the limit"; exit 1; fi
  grep -q "File too large" err.log || { echo "disk_full: $what gave no clear error:"; cat err.log; exit 1; }
  echo "$what: $(cat err.log)"
}
fails import "$segue" import --format lastfm --input "$root/data/lastfm-hetrec-2k" --out store
fails train "$segue" train --train split/train.csv --model ials --out model.segue
fails split "$segue" split store --method random --seed 2 --out split
after=$( ("$segue" stats store | head -3; cat split/*.csv split/split.json model.segue) | md5sum)
[ "$before" = "$after" ] || { echo "disk_full: an old output changed"; exit 1; }
left=$(find . -name '*.tmp*' -o -name '*tmp-*' | grep -v '^./\(out\|err\).log$' || true)
[ -z "$left" ] || { echo "disk_full: temporary files left behind: $left"; exit 1; }
echo "disk_full: ok"
