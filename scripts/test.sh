#!/usr/bin/env bash
# The whole test suite: install what is missing, build with AddressSanitizer and
# UBSan, run every test through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh test
bash tests/layering.sh  # lower layers never include higher ones (seconds)
build=${SEGUE_TEST_BUILD:-build-test}
# ccache hits across checkouts in different folders (CI clones afresh).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
# The deep models (libtorch, itself not built with sanitizers) get their own
# optimised build and test binary, run first; then the sanitized suite (CTest);
# the Python module's tests (pytest) close the output.
torch_build=${SEGUE_TORCH_TEST_BUILD:-build-test-torch}
cmake -S . -B "$torch_build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSEGUE_TORCH=ON -DSEGUE_BENCH=OFF \
  -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
cmake --build "$torch_build" --target segue_torch_tests
"$torch_build/segue_torch_tests" --gtest_brief=1
# ThreadSanitizer: every registered model asked from 8 threads at once, nested
# models' scratch, partial fit, the service under concurrent requests and
# hot reloads, the parallel MPD slice import (tests/tsan.supp: the Hogwild SGD fits of bpr and hybrid race on
# purpose; OpenBLAS and cpp-httplib are not instrumented).
tsan_build=${SEGUE_TSAN_TEST_BUILD:-build-test-tsan}
cmake -S . -B "$tsan_build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1" \
  -DSEGUE_SANITIZE=thread -DSEGUE_TORCH=OFF -DSEGUE_BENCH=OFF >/dev/null
cmake --build "$tsan_build" --target segue_concurrency_tests
# OMP_NUM_THREADS=1: libgomp (xgboost's threads, for rerank) is not instrumented, so its barriers are invisible and
# every parallel region would read as a race; one OpenMP thread leaves only segue's own threads to check.
OMP_NUM_THREADS=1 TSAN_OPTIONS="suppressions=$PWD/tests/tsan.supp halt_on_error=1 second_deadlock_stack=1" \
  "$tsan_build/segue_concurrency_tests" --gtest_brief=1
# -O1 without debug info: sanitizer builds stay quick to compile and to run.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1" \
  -DSEGUE_SANITIZE=ON -DSEGUE_TORCH=OFF -DSEGUE_BENCH=OFF >/dev/null
cmake --build "$build"
(cd "$build" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j "$(nproc)")
# Fuzzing (issue 17, fuzz/README.md): every libFuzzer target (clang 14, ASan + UBSan) for a short budget on
# its seed corpus, which holds the inputs of every crash found so far; new inputs go to a temporary directory.
fuzz_build=${SEGUE_FUZZ_BUILD:-build-fuzz}
# -O1 as the sanitizer builds: a quicker compile, and fast enough for a short run.
cmake -S . -B "$fuzz_build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1" -DSEGUE_FUZZ=ON \
  -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14 >/dev/null
cmake --build "$fuzz_build" --target fuzz
FUZZ_SEED=1 bash fuzz/run.sh "$fuzz_build" "${SEGUE_FUZZ_SECONDS:-20}"
# The Python module (python/, docs/PYTHON.md), built in the optimised torch
# build (its segue_core is already compiled there, position-independent; an
# instrumented extension could not be imported), tested with pytest against
# that build's segue binary.
cmake --build "$torch_build" --target _segue segue
PYTHONPATH="$PWD/$torch_build/python" SEGUE_BINARY="$PWD/$torch_build/segue" \
  /usr/bin/python3 -m pytest -q -p no:cacheprovider python/tests
# Distributed training and evaluation under mpirun == one process (issue 16, docs/SCALE.md): the optimised
# build's segue, which links Open MPI (SEGUE_MPI, ON when libopenmpi-dev is installed).
bash tests/mpi/equality.sh "$torch_build/segue"
# Fault injection (issue 17): kill -9 of `segue import`, `train` and `split` at many moments leaves the old
# output or the new one, whole (tests/fault/kill_during_write.sh; ~15 s).
bash tests/fault/kill_during_write.sh "$torch_build/segue" 16
# A full disk, stood in for by a file-size limit: clear errors, old outputs kept, no temp files (seconds).
bash tests/fault/disk_full.sh "$torch_build/segue"
# Memory limits: under ulimit -v a model too large fails at once naming the size it needs (seconds).
bash tests/fault/memory_limit.sh "$torch_build/segue"
# Read-only directories: clear errors naming the path; the server runs without saving its index (seconds).
bash tests/fault/read_only.sh "$torch_build/segue"
