#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# teectl verify on SEV-SNP evidence end to end through the CLI: the TEST-ONLY demo
# hierarchy generated at build time (snp-demo-gen), its tampered variants, a forged CRL-less
# run without the trust root, and (when the shared vectors are present) one real valid and
# one real invalid case. Usage: test_snp_cli.sh TEECTL_BIN DEMO_DIR [VECTORS_DIR]
set -u
BIN=$1
DEMO=$2
VEC=${3:-}
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { # expected_rc description command... ; output in $tmp/out
  want=$1; what=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
  if [ "$rc" != "$want" ]; then
    echo "FAIL: $what: exit $rc, want $want"; cat "$tmp/out" "$tmp/err"; fail=1
  fi
}
has() { # description pattern (in $tmp/out)
  grep -Eq "$2" "$tmp/out" || { echo "FAIL: $1: output lacks /$2/"; cat "$tmp/out"; fail=1; }
}
[ -f "$DEMO/report.bin" ] || { echo "FAIL: $DEMO/report.bin missing (built by snp-demo-gen)"; exit 1; }

run 0 "demo report, trusted root" "$BIN" verify --tee snp --collateral "$DEMO" \
  --trust-root "$DEMO/ark.pem" --format json "$DEMO/report.bin"
has "demo verdict" '"verdict": *"valid"'
has "demo product" '"product": *"Milan"'
has "demo signing key" '"signing_key": *"VCEK"'
has "demo trusted through the test root" '"trust_anchor": *"operator_trust_root"'
# the keys a caller reads first come first, as README lists them
sed -n 2,4p "$tmp/out" | tr -d ' \n' | grep -Eq '^"verdict":"valid","detail":"[^"]*","trust_anchor":' ||
  { echo "FAIL: verify JSON does not start with verdict, detail, trust_anchor"; head -5 "$tmp/out"; fail=1; }
run 0 "demo report, text" "$BIN" verify --collateral "$DEMO" --trust-root "$DEMO/ark.pem" \
  "$DEMO/report.bin"
has "text names the test root" '^VALID snp Milan VCEK .* through a --trust-root \(TEST root, not a vendor root\)$'

run 1 "demo report, root not trusted" "$BIN" verify --collateral "$DEMO" --format json \
  "$DEMO/report.bin"
has "untrusted reason" '"reason": *"ark_not_trusted"'

cp "$DEMO/report.bin" "$tmp/flip.bin"
printf '\001' | dd of="$tmp/flip.bin" bs=1 seek=144 conv=notrunc 2>/dev/null # measurement[0]
run 1 "demo report, measurement changed" "$BIN" verify --collateral "$DEMO" \
  --trust-root "$DEMO/ark.pem" --format json "$tmp/flip.bin"
has "flip reason" '"reason": *"report_signature_invalid"'

head -c 1000 "$DEMO/report.bin" >"$tmp/short.bin"
run 1 "demo report, truncated" "$BIN" verify --tee snp --collateral "$DEMO" \
  --trust-root "$DEMO/ark.pem" --format json "$tmp/short.bin"
has "truncated reason" '"reason": *"report_truncated"'

run 1 "demo report, verified before the certificates' validity" "$BIN" verify --collateral \
  "$DEMO" --trust-root "$DEMO/ark.pem" --at 2019-06-01T00:00:00Z --format json "$DEMO/report.bin"
has "expired reason" '"reason": *"cert_expired_at_verify_at"'

# the collateral as single files (--cert, in any order; SNP sorts them) instead of a folder
run 0 "demo report, --cert files" "$BIN" verify --cert "$DEMO/vcek.der" --cert "$DEMO/ask.pem" \
  --cert "$DEMO/ark.pem" --trust-root "$DEMO/ark.pem" --format json "$DEMO/report.bin"
has "--cert verdict" '"verdict": *"valid"'
has "--cert signing key" '"signing_key": *"VCEK"'
# no collateral at all: an invalid verdict naming what is missing, and a hint on stderr
run 1 "demo report, no collateral" "$BIN" verify --format json "$DEMO/report.bin"
has "no collateral reason" '"reason": *"collateral_missing"'
has "no collateral detail" '"detail": *"missing ARK \(ark.pem\), ASK \(ask.pem\), VCEK \(vcek.der\)"'
grep -q "^hint: give the files with --collateral DIR, or fetch them with 'teectl verify --fetch'" \
  "$tmp/err" || { echo "FAIL: no collateral: no hint on stderr"; cat "$tmp/err"; fail=1; }

# usage errors and unreadable inputs: exit 2, one line on stderr saying what is wrong
usage_err() { # description pattern command...
  what=$1; pat=$2; shift 2
  run 2 "$what" "$@"
  [ "$(wc -l <"$tmp/err")" = 1 ] && grep -Eq "$pat" "$tmp/err" ||
    { echo "FAIL: $what: stderr is not one line matching /$pat/"; cat "$tmp/err"; fail=1; }
}
usage_err "unknown --tee" "^teectl verify: unknown TEE 'cca' \(snp, tdx or sgx\)" \
  "$BIN" verify --tee cca "$DEMO/report.bin"
usage_err "unknown --format" "^teectl verify: unknown format 'xml' \(text or json\)" \
  "$BIN" verify --format xml "$DEMO/report.bin"
usage_err "--at without a value" "^teectl verify: option '--at' needs a value" \
  "$BIN" verify "$DEMO/report.bin" --at
usage_err "no EVIDENCE" "^teectl verify: missing EVIDENCE file" "$BIN" verify --tee snp
usage_err "two EVIDENCE files" "^teectl verify: exactly one EVIDENCE file expected" \
  "$BIN" verify "$DEMO/report.bin" "$DEMO/report.bin"
usage_err "--kds-url without --fetch" \
  "^teectl verify: --kds-url, --pcs-url and --cache-dir go with --fetch" \
  "$BIN" verify --kds-url http://127.0.0.1:9 "$DEMO/report.bin"
usage_err "--cert with a text file" "^teectl verify: --cert .*README.txt: not a certificate" \
  "$BIN" verify --cert "$DEMO/README.txt" "$DEMO/report.bin"
usage_err "--crl that does not exist" "^teectl verify: .*/no-such.crl: " \
  "$BIN" verify --collateral "$DEMO" --crl "$tmp/no-such.crl" "$DEMO/report.bin"

# A certificate that does not parse: the detail carries OpenSSL's own error text (teectl
# starts OpenSSL without its texts and loads them when an error is shown; the text is
# `openssl errstr 0680009B`). An encrypted PEM block is refused at once, no pass phrase asked.
mkdir "$tmp/badcol"
cp "$DEMO/ark.pem" "$DEMO/ask.pem" "$tmp/badcol/"
printf '\060\202\005\000\001\002' >"$tmp/badcol/vcek.der"
run 1 "demo report, VCEK not DER" "$BIN" verify --collateral "$tmp/badcol" \
  --trust-root "$DEMO/ark.pem" --format json "$DEMO/report.bin"
has "unparsable reason" '"reason": *"cert_unparsable"'
has "OpenSSL text" '"detail": *"VCEK \(vcek.der\): .*error:0680009B:asn1 encoding routines::too long'
cp "$DEMO/vcek.der" "$tmp/badcol/"
sed '1a\
Proc-Type: 4,ENCRYPTED\
DEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\
' "$DEMO/ask.pem" >"$tmp/badcol/ask.pem"
run 1 "demo report, encrypted ASK PEM" timeout 10 "$BIN" verify --collateral "$tmp/badcol" \
  --trust-root "$DEMO/ark.pem" --format json "$DEMO/report.bin"
has "encrypted PEM refused" '"detail": *"ASK/ASVK \(ask.pem\): .*PEM routines::unsupported encryption'

if [ -n "$VEC" ] && [ -d "$VEC/snp/turin-v5-oak-oc" ]; then
  c=$VEC/snp/turin-v5-oak-oc
  run 0 "real Turin report" "$BIN" verify --collateral "$c" --at 2025-07-18T00:00:00Z \
    --format json "$c/report.bin"
  has "Turin product" '"product": *"Turin"'
  has "Turin pinned root" '"trust_anchor": *"vendor_pinned"'
  # a --trust-root that is not needed does not change the anchor
  run 0 "real Turin report, unneeded trust root" "$BIN" verify --collateral "$c" \
    --trust-root "$DEMO/ark.pem" --at 2025-07-18T00:00:00Z --format json "$c/report.bin"
  has "Turin still pinned" '"trust_anchor": *"vendor_pinned"'
  d=$VEC/dcap/tdx-v4-phala-b0c06f000000
  if [ -d "$d" ]; then
    run 0 "real TDX quote" "$BIN" verify --collateral "$d" --at 2025-07-04T10:00:00Z \
      --format json "$d/quote.bin"
    sed -n 2p "$tmp/out" | grep -q '^  "verdict": "valid",$' ||
      { echo "FAIL: DCAP verify JSON does not start with verdict"; head -3 "$tmp/out"; fail=1; }
  fi
  c=$VEC/snp/neg-milan-v3-vcek-other-chip
  run 1 "real report with another chip's VCEK" "$BIN" verify --collateral "$c" \
    --at 2025-02-04T00:00:00Z --format json "$c/report.bin"
  has "other chip reason" '"reason": *"vcek_chip_mismatch"'
else
  echo "note: shared vectors not found; real-evidence CLI checks skipped (test_snp_vectors covers them)"
fi
exit $fail
