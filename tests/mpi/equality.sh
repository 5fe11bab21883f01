#!/usr/bin/env bash
# Distributed == single process (issue 16; docs/SCALE.md): `mpirun -np 2 segue eval` against `segue eval` on a
# split of the embedded Last.fm data, and `mpirun -np 2 segue train --distributed` against `segue train`.
#   bash tests/mpi/equality.sh SEGUE_BINARY
# ials: NDCG@10 within 1e-4 (in practice the same factors: each rank's solves read the same gathered
# factors); itemknn and userknn (similarity rows computed in blocks across the ranks, then gathered) and ease
# (fitted whole on every rank), users ranked in blocks: identical JSON metrics and CIs; bpr (data-parallel
# epochs, item changes summed 8 times an epoch) and hybrid (the same, over feature embeddings and their Adagrad
# sums): NDCG@10 within 0.01 of one process (their seed-to-seed spread). A rank that fails ends
# the job with the error (MPI_Abort); a killed rank leaves a checkpoint that resumes to the same model.
set -euo pipefail
segue=$(realpath "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# CI runs as root in a container: Open MPI refuses root unless told, and has one slot per core.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpi="mpirun -np 2 --oversubscribe --bind-to none"
"$segue" import --format lastfm --input "$root/data/lastfm-hetrec-2k" --out "$work/store" --kcore-users 5 >/dev/null
"$segue" split "$work/store" --method random --seed 42 --out "$work/split" >/dev/null
models=(--model ials:factors=32,iterations=8 --model itemknn --model userknn --model "ease:lambda=70"
        --model bpr:factors=32,epochs=60)
args=(--train "$work/split/train.csv" --test "$work/split/test.csv" --metrics ndcg@10,recall@20,coverage@10
      --bootstrap 200 --threads 1)
"$segue" eval "${args[@]}" "${models[@]}" --json "$work/one.json" >"$work/one.log"
$mpi "$segue" eval "${args[@]}" "${models[@]}" --json "$work/two.json" >"$work/two.log"
/usr/bin/python3 - "$work/one.json" "$work/two.json" <<'PY'
import json, sys
one, two = (json.load(open(p)) for p in sys.argv[1:3])
timing = {"eval_seconds", "fit_seconds", "ranks", "solve_seconds", "communication_seconds"}
assert len(one["results"]) == len(two["results"]) == 5
for a, b in zip(one["results"], two["results"]):
    assert a["model"] == b["model"], (a["model"], b["model"])
    if a["model"].startswith("ials"):
        assert b["ranks"] == 2, b
        for name, value in a["metrics"].items():
            assert abs(value - b["metrics"][name]) <= 1e-4, (a["model"], name, value, b["metrics"][name])
    elif a["model"].startswith("bpr"):  # data-parallel SGD: other samples, the same model up to seed noise
        assert b["ranks"] == 2, b
        gap = abs(a["metrics"]["ndcg@10"] - b["metrics"]["ndcg@10"])
        assert gap <= 0.01, (a["model"], a["metrics"], b["metrics"])  # seeds 1-3, one process: 0.194-0.202
    else:  # the same lists: every figure equal, the CIs included
        if a["model"].startswith(("itemknn", "userknn")):
            assert b["ranks"] == 2, b  # similarities computed in row blocks across the ranks
        for key in set(a) | set(b):
            if key not in timing:
                assert a.get(key) == b.get(key), (a["model"], key, a.get(key), b.get(key))
    print(f'{a["model"][:40]:40s} ndcg@10 {a["metrics"]["ndcg@10"]:.6f} (1 process) '
          f'{b["metrics"]["ndcg@10"]:.6f} (2 ranks)')
PY
# hybrid (item features from the store): data-parallel like bpr, within its seed-to-seed spread.
"$segue" export "$work/store" --format items --out "$work/items.csv" >/dev/null
hargs=(--train "$work/split/train.csv" --test "$work/split/test.csv" --items "$work/items.csv" --metrics ndcg@10
       --threads 1 --model hybrid:epochs=10)
"$segue" eval "${hargs[@]}" --json "$work/hybrid-one.json" >/dev/null
$mpi "$segue" eval "${hargs[@]}" --json "$work/hybrid-two.json" >/dev/null
/usr/bin/python3 - "$work/hybrid-one.json" "$work/hybrid-two.json" <<'PY'
import json, sys
a, b = (json.load(open(p))["results"][0] for p in sys.argv[1:3])
assert b["ranks"] == 2 and "ranks" not in a, (a, b)
gap = abs(a["metrics"]["ndcg@10"] - b["metrics"]["ndcg@10"])
assert gap <= 0.01, (a["metrics"], b["metrics"])  # one process, seeds 1-3 (warm items): 0.2244-0.2268
print(f'hybrid:epochs=10 ndcg@10 {a["metrics"]["ndcg@10"]:.6f} (1 process) {b["metrics"]["ndcg@10"]:.6f} (2 ranks)')
PY
# train --distributed: rank 0 writes the model; it recommends as the single-process one.
"$segue" train --train "$work/split/train.csv" --model ials:factors=32,iterations=8 --threads 1 --out "$work/one.model" >/dev/null
$mpi "$segue" train --distributed --train "$work/split/train.csv" --model ials:factors=32,iterations=8 --threads 1 \
    --out "$work/two.model" >/dev/null
"$segue" recommend --model "$work/one.model" --user 2 --n 20 >"$work/one.recs"
"$segue" recommend --model "$work/two.model" --user 2 --n 20 >"$work/two.recs"
cmp "$work/one.recs" "$work/two.recs"
# recommend --all: users ranked in blocks across the ranks, rank 0 writes the same file.
"$segue" recommend --model "$work/one.model" --all --n 10 --threads 1 --out "$work/one.all.csv" 2>/dev/null
$mpi "$segue" recommend --model "$work/one.model" --all --n 10 --threads 1 --out "$work/two.all.csv" 2>/dev/null
cmp "$work/one.all.csv" "$work/two.all.csv"
# A rank killed mid-fit (SEGUE_FAULT, src/util/fault.h) ends the job with mpirun's error; the last checkpoint
# (iteration 6 of 12, every 3) resumes to the same model as an uninterrupted fit.
spec=ials:factors=32,iterations=12
"$segue" train --train "$work/split/train.csv" --model $spec --threads 1 --out "$work/whole.model" >/dev/null
if SEGUE_FAULT=ials_iteration:1:7 $mpi -x SEGUE_FAULT "$segue" train --distributed --train "$work/split/train.csv" \
    --model $spec --threads 1 --checkpoint "$work/ials.ckpt" --checkpoint-every 3 --out "$work/killed.model" \
    >"$work/killed.log" 2>&1; then
  echo "a killed rank did not fail the job"; exit 1
fi
grep -q "SEGUE_FAULT: killing rank 1 at ials_iteration 7" "$work/killed.log"
grep -qi "signal 9\|killed" "$work/killed.log" || { echo "no error for the killed rank:"; cat "$work/killed.log"; exit 1; }
[ -s "$work/ials.ckpt" ] && [ ! -e "$work/killed.model" ]
$mpi "$segue" train --distributed --train "$work/split/train.csv" --model $spec --threads 1 \
    --checkpoint "$work/ials.ckpt" --checkpoint-every 3 --resume --out "$work/resumed.model" >/dev/null
"$segue" recommend --model "$work/whole.model" --user 2 --n 20 >"$work/whole.recs"
"$segue" recommend --model "$work/resumed.model" --user 2 --n 20 >"$work/resumed.recs"
cmp "$work/whole.recs" "$work/resumed.recs"
# A checkpoint of another spec is refused by name.
if "$segue" train --train "$work/split/train.csv" --model ials:factors=16,iterations=12 --checkpoint "$work/ials.ckpt" \
    --resume --out "$work/other.model" >"$work/other.log" 2>&1; then
  echo "a checkpoint of another spec was accepted"; exit 1
fi
grep -q "checkpoint of another fit" "$work/other.log"
# An error on the ranks ends the job with a message and a non-zero status (no hang).
if $mpi "$segue" eval --train "$work/split/train.csv" --test "$work/missing.csv" --model pop >"$work/bad.log" 2>&1; then
  echo "a missing file under mpirun did not fail"; exit 1
fi
grep -q "missing.csv" "$work/bad.log" || { echo "the error does not name the file:"; cat "$work/bad.log"; exit 1; }
# --distributed without mpirun is a clear error.
if "$segue" eval --distributed "${args[@]}" --model pop >"$work/nompi.log" 2>&1; then
  echo "--distributed without mpirun did not fail"; exit 1
fi
grep -q "mpirun" "$work/nompi.log"
echo "mpi equality: ok"
