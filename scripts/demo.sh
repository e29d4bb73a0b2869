#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job on a bundled default: set up, build, then verify one real AMD SEV-SNP
# attestation report end to end (report signature, VCEK -> ASK -> pinned ARK chain,
# chip_id and TCB binding) from ../shared/vectors. Where the vectors are absent it
# verifies a test report signed by a hierarchy that the build generates (NOT AMD's;
# trusted only through --trust-root).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGETS="teectl demo-snp" scripts/setup.sh
BIN=build/src/teectl
VECTORS=${TEECTL_VECTORS_DIR:-../shared/vectors}
CASE=$VECTORS/snp/genoa-v5-oak-oc
if [ -d "$CASE" ]; then
  at=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verify_at"])' "$CASE/expected.json")
  echo "+ $BIN verify --collateral $CASE --at $at $CASE/report.bin"
  exec "$BIN" verify --collateral "$CASE" --at "$at" "$CASE/report.bin"
fi
echo "shared vectors not found: verifying a generated TEST report (not signed by AMD)" >&2
echo "+ $BIN verify --collateral build/demo-snp --trust-root build/demo-snp/ark.pem build/demo-snp/report.bin"
exec "$BIN" verify --collateral build/demo-snp --trust-root build/demo-snp/ark.pem build/demo-snp/report.bin
