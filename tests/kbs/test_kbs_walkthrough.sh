#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The loopback walkthrough of docs/kbs.md ("Try it on one machine"), run as the document
# writes it: the indented lines between its "walkthrough: begin" and "walkthrough: end"
# markers, unchanged but for the 4 spaces of indentation, in bash -e with the built teectl
# and snp-demo-gen first on PATH and mktemp's folder inside this test's own. Checks what the
# document says it prints: the secret, a valid token, the snp submodule affirming under the
# walkthrough's policy; and that the server it started is gone.
# Usage: test_kbs_walkthrough.sh DOC TEECTL SNP_DEMO_GEN
set -euo pipefail
doc=$1 teectl=$2 gen=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed -n '/^<!-- walkthrough: begin/,/^<!-- walkthrough: end/p' "$doc" |
  sed -e '1d' -e '$d' | sed -n 's/^    //p; /^$/p' >"$work/walk.sh"
lines=$(grep -c . "$work/walk.sh" || true)
[ "$lines" -ge 10 ] || { echo "FAIL: no walkthrough found in $doc ($lines lines)"; exit 1; }
mkdir "$work/bin" "$work/tmp"
ln -s "$(cd "$(dirname "$teectl")" && pwd)/$(basename "$teectl")" "$work/bin/teectl"
ln -s "$(cd "$(dirname "$gen")" && pwd)/$(basename "$gen")" "$work/bin/snp-demo-gen"
# in a process group of its own (setsid): a server that a failed run leaves behind is
# stopped by that group's id
PATH="$work/bin:$PATH" TMPDIR="$work/tmp" setsid bash -e "$work/walk.sh" >"$work/out.txt" \
  2>"$work/err.txt" &
pid=$!
rc=0
wait "$pid" || rc=$?
kill -TERM -- "-$pid" 2>/dev/null || true
cat "$work/out.txt"
if [ "$rc" -ne 0 ]; then
  echo "FAIL: the walkthrough exited $rc"; cat "$work/err.txt"; exit 1
fi
fail=0
grep -qx 'demo-secret: 0123456789' "$work/out.txt" || { echo "FAIL: the secret was not printed"; fail=1; }
grep -qx 'token: valid' "$work/out.txt" || { echo "FAIL: the token did not verify"; fail=1; }
grep -q '^submod snp: affirming (policy loopback-demo)$' "$work/out.txt" ||
  { echo "FAIL: the snp submodule is not affirming under loopback-demo"; fail=1; }
if [ "$fail" -ne 0 ]; then cat "$work/err.txt"; exit 1; fi
echo "PASS: the documented walkthrough released the secret"
