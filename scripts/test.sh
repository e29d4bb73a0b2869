#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Set up, build and run every test (unit, vectors, integration). With SANITIZE=1 the
# build uses ASan+UBSan (build-asan/). Vectors are read in place from ../shared/vectors
# (override with TEECTL_VECTORS_DIR); with CI=true their absence is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
[ -n "${TEECTL_VECTORS_DIR:-}" ] && args+=("-DTEECTL_VECTORS_DIR=$TEECTL_VECTORS_DIR")
if [ "${SANITIZE:-0}" = 1 ]; then
  export BUILD_DIR=${BUILD_DIR:-build-asan} BUILD_TYPE=Debug
  args+=(-DTEECTL_SANITIZE=ON)
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
  export BUILD_DIR=${BUILD_DIR:-build}
fi
scripts/setup.sh "${args[@]}"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)" ${CTEST_ARGS:-}
