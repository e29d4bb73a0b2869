#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Differential run: @phala/dcap-qvl 0.3.9 (npm) beside teectl on every DCAP vector case,
# explaining each disagreement from the vectors' expected.json `reference`.
#
# usage: tests/dcap/differential/run.sh [TEECTL_BIN]   (default: build/src/teectl)
# env:   TEECTL_VECTORS_DIR (default ../shared/vectors), QVL_DIR (npm install folder,
#        default build/dcap-qvl; nothing is installed into the source tree)
# Needs node and npm (Debian: nodejs, npm) and the npm registry. Exit 1 on any
# unexplained disagreement.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
bin=${1:-$root/build/src/teectl}
vec=${TEECTL_VECTORS_DIR:-$root/../shared/vectors}
qvl=${QVL_DIR:-$root/build/dcap-qvl}
[ -x "$bin" ] || { echo "teectl binary not found: $bin (build first)" >&2; exit 2; }
[ -d "$vec/dcap" ] || { echo "vectors not found: $vec/dcap" >&2; exit 2; }
if [ ! -d "$qvl/node_modules/@phala/dcap-qvl" ]; then
  mkdir -p "$qvl"
  (cd "$qvl" && npm install --no-audit --no-fund --silent @phala/dcap-qvl@0.3.9)
fi
NODE_PATH="$qvl/node_modules" exec node "$here/dcap_qvl_diff.js" "$vec/dcap" "$bin"
