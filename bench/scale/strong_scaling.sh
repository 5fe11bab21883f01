#!/usr/bin/env bash
# Strong scaling of distributed iALS on one synthetic set (issue 16; docs/SCALE.md "Measured"):
#   bash bench/scale/strong_scaling.sh STORE [SEGUE] [SPEC]
# STORE: a store of `segue synth` output imported with `segue import` (e.g. 1M x 1M x 66M). Runs the same fit
# as 1 process x 2 threads, 2 ranks x 1 thread and 4 ranks x 1 thread (oversubscribed on a 2-core machine),
# and prints seconds per iteration, the solve and communication seconds (fit stats of rank 0) and peak memory.
set -euo pipefail
store=$1
segue=$(realpath "${2:-build/segue}")
spec=${3:-ials:factors=64,iterations=3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $spec on $store"
run() {  # run LABEL CMD...: the fit line, the fit stats and the peak RSS of the largest process
  local label=$1; shift
  /usr/bin/time -f "%M" -o "$out/rss" "$@" >"$out/log" 2>"$out/err" || { cat "$out/err"; exit 1; }
  local secs iters
  secs=$(sed -n 's/.* in \([0-9.]*\) s ->.*/\1/p' "$out/log")
  iters=$(sed -n 's/.*iterations=\([0-9]*\).*/\1/p' <<<"$spec"); iters=${iters:-15}
  printf '%-28s fit %7.2f s  %6.2f s/iteration  %s  peak RSS (mpirun: its own) %s MiB\n' "$label" "$secs" \
    "$(echo "$secs / $iters" | bc -l)" "$(grep '^fit stats' "$out/log" || echo '-')" "$(( $(tail -1 "$out/rss") / 1024 ))"
}
run "1 process x 2 threads" "$segue" train --data "$store" --model "$spec" --threads 2 --out "$out/m1"
run "2 ranks x 1 thread" mpirun -np 2 --bind-to none "$segue" train --distributed --data "$store" --model "$spec" \
    --threads 1 --out "$out/m2"
run "4 ranks x 1 thread (oversub)" mpirun -np 4 --bind-to none "$segue" train --distributed --data "$store" \
    --model "$spec" --threads 1 --out "$out/m4"
