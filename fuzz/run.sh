#!/usr/bin/env bash
# Runs every fuzz target (or those named) for SECONDS each on a copy of its
# checked-in seed corpus, JOBS targets at a time; new inputs and any crash
# files go to a temporary directory (the checkout and ../shared stay
# untouched). Exit 1 when a target reports a crash, a leak, a timeout or an
# out-of-memory; its log and reproducer are printed.
#
#   bash fuzz/run.sh BUILD_DIR SECONDS [TARGET...]          (CI: scripts/test.sh, FUZZ_SEED=1)
# FUZZ_SEED: libFuzzer's -seed (0, the default, draws one per run).
#   FUZZ_JOBS=2 FUZZ_WORK=/var/tmp/segue-fuzz bash fuzz/run.sh build-fuzz 3600   (the long run)
# FUZZ_TIMEOUT: seconds one input may run before it counts as a hang (10; a long run niced
#   beside builds needs more: a starved fuzzer reports wall-clock timeouts that are not hangs).
set -uo pipefail
build=${1:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
jobs=${FUZZ_JOBS:-$(nproc)}
keep=${FUZZ_WORK:+1}  # a work directory of one's own is kept; a temporary one goes when all passed
work=${FUZZ_WORK:-$(mktemp -d /tmp/segue-fuzz-run.XXXXXX)}
mkdir -p "$work"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  # Every target built in BUILD_DIR (fuzz_deep_model_file only with -DSEGUE_FUZZ_TORCH=ON).
  for seeds in "$here"/corpus/*/; do
    name=$(basename "$seeds")
    if [ -x "$build/fuzz_$name" ]; then targets+=("$name"); else echo "fuzz_$name: not built here, skipped"; fi
  done
fi

run_one() {
  local target=$1 exe="$build/fuzz_$1"
  [ -x "$exe" ] || { echo "fuzz_$target: not built in $build" >&2; return 1; }
  mkdir -p "$work/$target/corpus" "$work/$target/artifacts"
  # -rss_limit_mb: an input that makes segue allocate past 2 GB is a finding (a clear error was due);
  # -timeout: one input running over 10 s is a hang. Each found input keeps the first directory growing.
  "$exe" -seed="${FUZZ_SEED:-0}" -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$work/$target/artifacts/" "$work/$target/corpus" "$here/corpus/$target" \
    >"$work/$target/log" 2>&1
  local rc=$?
  local stats
  stats=$(grep -E "^stat::(number_of_executed_units|new_units_added|peak_rss_mb)|cov: " "$work/$target/log" |
          tail -4 | tr '\n' ' ')
  if [ $rc -ne 0 ]; then
    echo "fuzz_$target: FAILED (exit $rc); log $work/$target/log" >&2
    grep -E "ERROR|SUMMARY|segue fuzz|terminate|what\(\)|Test unit written" "$work/$target/log" | head -12 >&2
    return 1
  fi
  echo "fuzz_$target: ok, $seconds s: $(echo "$stats" | grep -oE 'cov: [0-9]+' | tail -1)," \
       "$(grep -oE 'number_of_executed_units: [0-9]+' "$work/$target/log" | grep -oE '[0-9]+') runs," \
       "corpus $(ls "$work/$target/corpus" | wc -l) new"
}

export -f run_one
export build seconds here work FUZZ_SEED
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {}
rc=$?
if [ $rc -eq 0 ] && [ -z "$keep" ]; then rm -rf "$work"; else echo "fuzz: work directory $work"; fi
exit $([ $rc -eq 0 ] && echo 0 || echo 1)
