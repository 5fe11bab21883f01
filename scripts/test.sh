#!/usr/bin/env bash
# The whole test suite: install what is missing, build with AddressSanitizer and
# UBSan, run every test through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
build=${SEGUE_TEST_BUILD:-build-test}
# ccache hits across checkouts in different folders (CI clones afresh).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
# -O1 without debug info: sanitizer builds stay quick to compile and to run.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1" \
  -DSEGUE_SANITIZE=ON -DSEGUE_BENCH=OFF >/dev/null
cmake --build "$build"
cd "$build"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j "$(nproc)"
