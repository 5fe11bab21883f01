#!/usr/bin/env bash
# Installs the Debian 12 packages segue needs to build and test, if missing.
set -euo pipefail
packages=(g++ cmake ninja-build ccache pkg-config zlib1g-dev nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libopenblas-dev libfasttext-dev libxgboost-dev libtorch-dev
  libcpp-httplib-dev libssl-dev libsqlite3-dev libhnswlib-dev libsndfile1-dev libfftw3-dev libebur128-dev chromium python3-websocket
  pybind11-dev python3-dev python3-pytest python3-numpy python3-scipy python3-pandas python3-skbuild python3-setuptools python3-pip
  python3-venv python3-tqdm libopenmpi-dev openmpi-bin)
# `install_deps.sh test`: also what only the test suite needs (clang 14 and libFuzzer for fuzz/).
# (libclang-rt-14-dev holds the sanitizer and libFuzzer runtimes; clang-14 only recommends it.)
if [ "${1:-}" = test ]; then packages+=(clang-14 libclang-rt-14-dev libfuzzer-14-dev); fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
