#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install what teectl needs to build and test on Debian 12 (idempotent), then
# configure and build into ${BUILD_DIR:-build}. Extra CMake arguments pass through.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake pkg-config clang libclang-rt-14-dev clang-format clang-tidy
  libssl-dev libjansson-dev libjose-dev libmicrohttpd-dev libcurl4-openssl-dev
  libyaml-dev libcmocka-dev openssl python3 python3-cryptography prometheus curl wrk
  nettle-dev python3-jwcrypto)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

BUILD_DIR=${BUILD_DIR:-build}
# The deploy tests' validators (npm, versions pinned by tests/deploy/package-lock.json),
# installed into $BUILD_DIR/deploy-tools when the lock file changed. Without npm or the
# registry the deploy schema tests skip (and fail under CI=true).
tools="$BUILD_DIR/deploy-tools"
if command -v npm >/dev/null 2>&1 &&
  ! cmp -s tests/deploy/package-lock.json "$tools/package-lock.json" 2>/dev/null; then
  mkdir -p "$tools"
  cp tests/deploy/package.json tests/deploy/package-lock.json "$tools/"
  if ! (cd "$tools" && npm ci --no-audit --no-fund --ignore-scripts >npm.log 2>&1); then
    echo "setup: npm ci for the deploy tests failed (see $tools/npm.log)" >&2
    rm -f "$tools/package-lock.json"
  fi
fi
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} "$@" >/dev/null
# TARGETS="a b" builds only those targets. Build output goes to $BUILD_DIR/build.log;
# on failure its tail is shown.
targets=()
for t in ${TARGETS:-}; do targets+=(--target "$t"); done
if ! cmake --build "$BUILD_DIR" -j"$(nproc)" "${targets[@]}" >"$BUILD_DIR/build.log" 2>&1; then
  grep -E 'error|Error' "$BUILD_DIR/build.log" | head -40 >&2
  echo "setup: build failed; full log in $BUILD_DIR/build.log" >&2
  exit 2
fi
echo "setup: built in $BUILD_DIR" >&2
