#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# CLI contract: --help/--version exit 0 on stdout; unknown commands and options give a
# ONE-line error on stderr and exit 2; every command answers --help with exit 0.
set -u
BIN=$1
fail=0
tmp=$(mktemp -d) # private scratch folder ($TMPDIR, else the system's); stderr goes to $tmp/err
check() { # expected_rc description command...
  want=$1; what=$2; shift 2
  out=$("$@" 2>"$tmp/err"); rc=$?
  if [ "$rc" != "$want" ]; then echo "FAIL: $what: exit $rc, want $want"; fail=1; fi
}
check 0 "--help" "$BIN" --help
check 0 "--version" "$BIN" --version
"$BIN" --version | grep -Eq '^teectl [0-9]+\.[0-9]+\.[0-9]+$' || { echo "FAIL: version line"; fail=1; }
check 2 "no args" "$BIN"
for cmd in probe config verify collateral serve token exporter measure; do
  check 0 "$cmd --help" "$BIN" "$cmd" --help
  "$BIN" "$cmd" --help | grep -q "Usage: teectl $cmd" || { echo "FAIL: $cmd --help has no usage line"; fail=1; }
  "$BIN" "$cmd" --no-such-option >/dev/null 2>"$tmp/err"; rc=$?
  lines=$(wc -l <"$tmp/err")
  if [ "$rc" != 2 ] || [ "$lines" != 1 ]; then
    echo "FAIL: $cmd --no-such-option: exit $rc with $lines stderr lines (want 2, 1)"; cat "$tmp/err"; fail=1
  fi
done
"$BIN" --no-such-option >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" = 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ] || { echo "FAIL: global unknown option"; fail=1; }
"$BIN" no-such-command >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" = 2 ] && grep -q "unknown command 'no-such-command'" "$tmp/err" || { echo "FAIL: unknown command"; fail=1; }
check 2 "verify bad --at" "$BIN" verify --at yesterday /dev/null
check 2 "verify missing file" "$BIN" verify /nonexistent/report.bin
# verify: declared TEE vs. the evidence header, unusable inputs (no vectors needed).
printf '\004\000\002\000\201\000\000\000' > "$tmp/tdx-header.bin"   # DCAP v4, ECDSA-256, TDX
head -c 1184 /dev/zero >> "$tmp/tdx-header.bin"
out=$("$BIN" verify --tee snp --format json "$tmp/tdx-header.bin" 2>/dev/null); rc=$?
[ "$rc" = 1 ] && echo "$out" | grep -q '"reason": "tee_mismatch"' && echo "$out" | grep -q '"tee": "snp"' ||
  { echo "FAIL: --tee snp on a TDX quote header: exit $rc, $out"; fail=1; }
head -c 64 /dev/zero > "$tmp/zeros.bin"
out=$("$BIN" verify --format json "$tmp/zeros.bin" 2>/dev/null); rc=$?
[ "$rc" = 1 ] && echo "$out" | grep -q '"reason": "unknown_evidence_format"' ||
  { echo "FAIL: zeros as evidence: exit $rc, $out"; fail=1; }
check 2 "verify --collateral missing folder" "$BIN" verify --collateral "$tmp/nonexistent" "$tmp/zeros.bin"
echo "not a certificate" > "$tmp/root.txt"
"$BIN" verify --trust-root "$tmp/root.txt" "$tmp/zeros.bin" >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" = 2 ] && grep -q "root.txt: not a certificate" "$tmp/err" ||
  { echo "FAIL: --trust-root with a text file: exit $rc"; cat "$tmp/err"; fail=1; }
# collateral fetch: each usage error is one line naming it (exit 2), before any fetching.
usage_line() { # description pattern command...
  what=$1; pat=$2; shift 2
  "$@" >/dev/null 2>"$tmp/err"; rc=$?
  [ "$rc" = 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -Eq "$pat" "$tmp/err" ||
    { echo "FAIL: $what: exit $rc (want 2, one line /$pat/)"; cat "$tmp/err"; fail=1; }
}
"$BIN" collateral fetch --help | grep -q "^Usage: teectl collateral fetch" ||
  { echo "FAIL: collateral fetch --help"; fail=1; }
F="$BIN collateral fetch --offline --cache-dir $tmp --out $tmp/col-out"
usage_line "fetch --max-wait abc" "^teectl collateral fetch: --max-wait: 'abc' is not 0\.\.3600 seconds" \
  $F --max-wait abc "$tmp/zeros.bin"
usage_line "fetch --max-wait nan" "^teectl collateral fetch: --max-wait: 'nan' is not 0\.\.3600 seconds" \
  $F --max-wait nan "$tmp/zeros.bin"
usage_line "fetch --kds-interval 4000" \
  "^teectl collateral fetch: --kds-interval: '4000' is not 0\.\.3600 seconds" \
  $F --kds-interval 4000 "$tmp/zeros.bin"
usage_line "fetch --tee cca" "^teectl collateral fetch: unknown TEE 'cca' \(snp, tdx or sgx\)" \
  $F --tee cca "$tmp/zeros.bin"
usage_line "fetch --product Naples" \
  "^teectl collateral fetch: unknown product 'Naples' \(Milan, Genoa, Turin\)" \
  $F --product Naples "$tmp/zeros.bin"
usage_line "fetch --format xml" "^teectl collateral fetch: unknown format 'xml' \(text or json\)" \
  $F --format xml "$tmp/zeros.bin"
usage_line "fetch --out without a value" "^teectl collateral fetch: option '--out' needs a value" \
  "$BIN" collateral fetch "$tmp/zeros.bin" --out
usage_line "fetch without EVIDENCE" "^teectl collateral fetch: missing EVIDENCE file" $F
usage_line "fetch with two EVIDENCE files" "^teectl collateral fetch: exactly one EVIDENCE file expected" \
  $F "$tmp/zeros.bin" "$tmp/zeros.bin"
usage_line "fetch with unreadable EVIDENCE" "^teectl collateral fetch: .*/no-such\.bin: " \
  $F "$tmp/no-such.bin"
[ ! -e "$tmp/col-out" ] || { echo "FAIL: a refused collateral fetch wrote --out"; fail=1; }
# FIFOs are refused at once (exit 2, "is a FIFO"), never waited on: as evidence, as
# --trust-root, inside a --collateral folder, as serve --policy. timeout turns a hang into 124.
mkfifo "$tmp/fifo"
mkdir "$tmp/col" && mkfifo "$tmp/col/vcek.der"
fifo_check() { # description command...
  what=$1; shift
  timeout 10 "$@" >/dev/null 2>"$tmp/err"; rc=$?
  [ "$rc" = 2 ] && grep -q "is a FIFO" "$tmp/err" ||
    { echo "FAIL: $what: exit $rc (want 2, 'is a FIFO')"; cat "$tmp/err"; fail=1; }
}
fifo_check "verify FIFO" "$BIN" verify "$tmp/fifo"
fifo_check "verify --trust-root FIFO" "$BIN" verify --trust-root "$tmp/fifo" "$tmp/zeros.bin"
fifo_check "verify --collateral with a FIFO" "$BIN" verify --collateral "$tmp/col" "$tmp/zeros.bin"
fifo_check "serve --policy FIFO" "$BIN" serve --listen 127.0.0.1:0 --policy "$tmp/fifo"
# ... while "-" still reads standard input, a pipe
out=$(cat "$tmp/zeros.bin" | timeout 10 "$BIN" verify --format json - 2>/dev/null); rc=$?
[ "$rc" = 1 ] && echo "$out" | grep -q '"reason": "unknown_evidence_format"' ||
  { echo "FAIL: verify - from a pipe: exit $rc, $out"; fail=1; }
# Output that cannot be written is a failure (exit 2 and a message), never a silent 0 or 1.
if [ -c /dev/full ]; then
  for cmd in probe config verify collateral serve token exporter; do
    "$BIN" "$cmd" --help >/dev/full 2>"$tmp/err"; rc=$?
    [ "$rc" = 2 ] && grep -q "teectl $cmd: writing standard output: No space left on device" "$tmp/err" ||
      { echo "FAIL: $cmd --help > /dev/full: exit $rc"; cat "$tmp/err"; fail=1; }
  done
  "$BIN" verify --format json "$tmp/zeros.bin" >/dev/full 2>"$tmp/err"; rc=$?
  [ "$rc" = 2 ] && grep -q "writing standard output" "$tmp/err" ||
    { echo "FAIL: verify > /dev/full: exit $rc"; cat "$tmp/err"; fail=1; }
  "$BIN" --version >/dev/full 2>/dev/null; rc=$?
  [ "$rc" = 2 ] || { echo "FAIL: --version > /dev/full: exit $rc"; fail=1; }
fi
# CLI contract texts (issue 13 item 18): serve's policy may be YAML; `--platform all` is
# listed for containerd/runtimeclass only, accepted there and refused for kata with a reason.
"$BIN" serve --help | grep -A1 -- '--policy FILE' | grep -q 'JSON or YAML' ||
  { echo "FAIL: serve --help does not say the policy may be YAML"; fail=1; }
"$BIN" config generate --help | grep -q 'all (containerd/runtimeclass)' ||
  { echo "FAIL: config generate --help: --platform all not limited to containerd/runtimeclass"; fail=1; }
check 0 "runtimeclass --platform all" "$BIN" config generate runtimeclass --platform all
"$BIN" config generate kata --platform all >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" = 2 ] && grep -q 'all is for containerd and runtimeclass' "$tmp/err" ||
  { echo "FAIL: kata --platform all: exit $rc"; cat "$tmp/err"; fail=1; }
# config lint: '--probe live' is the same as '--live-probe' (config generate spells it so).
printf '[hypervisor.qemu]\nconfidential_guest = true\nsev_snp_guest = true\n' > "$tmp/c.toml"
a=$("$BIN" config lint --format json --probe live "$tmp/c.toml" 2>/dev/null); ra=$?
b=$("$BIN" config lint --format json --live-probe "$tmp/c.toml" 2>/dev/null); rb=$?
[ "$ra" = "$rb" ] && [ "$a" = "$b" ] && echo "$a" | grep -q '"findings"' ||
  { echo "FAIL: lint --probe live differs from --live-probe ($ra/$rb)"; fail=1; }
rm -rf "$tmp"
exit $fail
