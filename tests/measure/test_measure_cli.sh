#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# teectl measure through the command line: output formats, the precomputed OVMF hash path,
# and every bad input a clear one-line error with exit 2. Expected digests are the shared
# vectors' (expected.json); without the vectors only the input checks run (then: skip, or a
# failure with CI=true). Usage: test_measure_cli.sh TEECTL_BIN [VECTORS_DIR]
set -u
BIN=$1
VEC=${2:-}/measure
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { # expected_rc description command... ; output in $tmp/out, $tmp/err
  want=$1; what=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
  if [ "$rc" != "$want" ]; then
    echo "FAIL: $what: exit $rc, want $want"; cat "$tmp/out" "$tmp/err"; fail=1
  fi
}
has() { # description file pattern
  grep -Eq -e "$3" "$2" || { echo "FAIL: $1: $(basename "$2") lacks /$3/"; cat "$2"; fail=1; }
}
one_line() { # description: stderr is exactly one line
  [ "$(wc -l <"$tmp/err")" = 1 ] || { echo "FAIL: $1: stderr is not one line"; cat "$tmp/err"; fail=1; }
}

# ---- inputs that need no vectors
head -c 8192 /dev/zero >"$tmp/zeros.fd"
head -c 5000 /dev/zero >"$tmp/odd.fd"
run 0 "help" "$BIN" measure --help
has "help" "$tmp/out" "Usage: teectl measure"
run 2 "unknown option" "$BIN" measure --no-such-option
one_line "unknown option"
run 2 "not an OVMF" "$BIN" measure snp --ovmf "$tmp/zeros.fd" --vcpus 1 --vcpu-type EPYC-Milan
has "not an OVMF" "$tmp/err" "ovmf_no_footer_table.*OVMF table footer GUID"
one_line "not an OVMF"
run 2 "size not a page multiple" "$BIN" measure snp --ovmf "$tmp/odd.fd" --vcpus 1 --vcpu-type EPYC-Milan
has "odd size" "$tmp/err" "ovmf_size_invalid"
run 2 "ovmf-hash of an odd size" "$BIN" measure --mode snp:ovmf-hash --ovmf "$tmp/odd.fd"
run 2 "missing OVMF file" "$BIN" measure snp --ovmf "$tmp/none.fd" --vcpus 1 --vcpu-type EPYC-Milan
has "missing OVMF names the file" "$tmp/err" "none.fd"
run 2 "no --ovmf" "$BIN" measure snp --vcpus 1 --vcpu-type EPYC-Milan
run 2 "unknown vCPU type" "$BIN" measure snp --ovmf "$tmp/zeros.fd" --vcpus 1 --vcpu-type EPYC-Nope
has "unknown type lists known" "$tmp/err" "unknown vCPU type 'EPYC-Nope'.*EPYC-Genoa"
one_line "unknown vCPU type"
run 2 "--append without --kernel" "$BIN" measure snp --ovmf "$tmp/zeros.fd" --vcpus 1 --vcpu-type EPYC-Milan --append quiet
has "append needs kernel" "$tmp/err" "--append needs --kernel"
run 2 "--initrd without --kernel" "$BIN" measure snp --ovmf "$tmp/zeros.fd" --vcpus 1 --vcpu-type EPYC-Milan --initrd x
run 2 "no --vcpus" "$BIN" measure snp --ovmf "$tmp/zeros.fd" --vcpu-type EPYC-Milan
run 2 "--vcpus 0" "$BIN" measure snp --ovmf "$tmp/zeros.fd" --vcpus 0 --vcpu-type EPYC-Milan
run 2 "--vcpus junk" "$BIN" measure snp --ovmf "$tmp/zeros.fd" --vcpus 2x --vcpu-type EPYC-Milan
run 2 "--vcpus negative" "$BIN" measure snp --ovmf "$tmp/zeros.fd" --vcpus -1 --vcpu-type EPYC-Milan
run 2 "no vCPU type with QEMU" "$BIN" measure snp --ovmf "$tmp/zeros.fd" --vcpus 1
run 2 "two vCPU choices" "$BIN" measure snp --ovmf "$tmp/zeros.fd" --vcpus 1 --vcpu-type EPYC --vcpu-sig 1
run 2 "partial family/model/stepping" "$BIN" measure snp --ovmf "$tmp/zeros.fd" --vcpus 1 --vcpu-family 25
run 2 "unknown VMM" "$BIN" measure snp --ovmf "$tmp/zeros.fd" --vcpus 1 --vmm-type xen
run 2 "bad OVMF hash" "$BIN" measure snp --ovmf "$tmp/zeros.fd" --vcpus 1 --vcpu-type EPYC --snp-ovmf-hash abcd
run 2 "unknown mode" "$BIN" measure --mode sev --ovmf "$tmp/zeros.fd"
run 2 "svsm without vars" "$BIN" measure --mode snp:svsm --ovmf "$tmp/zeros.fd" --svsm "$tmp/zeros.fd" --vcpus 1 --vcpu-type EPYC
run 2 "--svsm outside svsm mode" "$BIN" measure snp --ovmf "$tmp/zeros.fd" --svsm "$tmp/zeros.fd" --vcpus 1 --vcpu-type EPYC
run 2 "bad format" "$BIN" measure snp --ovmf "$tmp/zeros.fd" --vcpus 1 --vcpu-type EPYC --format xml

if [ ! -d "$VEC" ]; then
  if [ "${CI:-}" = true ]; then echo "FAIL: vectors folder $VEC not found (CI=true)"; exit 1; fi
  [ "$fail" = 0 ] || exit 1
  echo "SKIP: vectors folder $VEC not found; input checks passed"; exit 77
fi

# ---- with the vectors' firmware
F=$VEC/fixtures
want() { sed -n "s/.*\"$2\": *\"\\([0-9a-f]*\\)\".*/\\1/p" "$VEC/$1/expected.json"; }
M=$(want amdsev-2vcpu-milan-kernel-a measurement_hex)
H=$(want ovmf-hash-only-amdsev ovmf_hash_hex)
[ ${#M} = 96 ] && [ ${#H} = 96 ] || { echo "FAIL: expected.json values not found"; exit 1; }
set -- --ovmf "$F/ovmf_AmdSev_suffix.bin" --kernel "$F/kernel-a.bin" --initrd "$F/initrd-a.bin" \
  --append "console=hvc0 agent.log=debug" --vcpus 2 --vcpu-type EPYC-Milan
run 0 "hex" "$BIN" measure snp "$@"
has "hex digest" "$tmp/out" "^$M\$"
run 0 "json" "$BIN" measure snp "$@" --format json
has "json measurement" "$tmp/out" "\"measurement\": \"$M\""
has "json ovmf region" "$tmp/out" "\"digest_after\": \"$H\""
has "json kernel hashes region" "$tmp/out" "\"region\": \"snp_kernel_hashes\""
has "json kernel sha256" "$tmp/out" "\"kernel_sha256\": \"$(sha256sum "$F/kernel-a.bin" | cut -c1-64)\""
has "json vmsa of vcpu 1" "$tmp/out" "\"vcpu\": 1"
python3 -c 'import base64,sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())' "$M" >"$tmp/b64"
run 0 "base64" "$BIN" measure snp "$@" --output-format base64
cmp -s "$tmp/out" "$tmp/b64" || { echo "FAIL: base64 output"; cat "$tmp/out" "$tmp/b64"; fail=1; }
run 0 "precomputed OVMF hash" "$BIN" measure snp "$@" --snp-ovmf-hash "$H"
has "precomputed digest" "$tmp/out" "^$M\$"
run 0 "ovmf-hash mode" "$BIN" measure --mode snp:ovmf-hash --ovmf "$F/ovmf_AmdSev_suffix.bin"
has "ovmf hash" "$tmp/out" "^$H\$"
run 0 "family/model/stepping" "$BIN" measure snp --ovmf "$F/ovmf_AmdSev_suffix.bin" \
  --kernel "$F/kernel-a.bin" --initrd "$F/initrd-a.bin" --append "console=hvc0 agent.log=debug" \
  --vcpus 2 --vcpu-family 25 --vcpu-model 1 --vcpu-stepping 1
has "family/model/stepping digest" "$tmp/out" "^$M\$"
S=$(want svsm-1vcpu-epycv4-vars-131072 measurement_hex)
head -c 131072 /dev/zero >"$tmp/vars.fd"
run 0 "svsm with --vars-file" "$BIN" measure --mode snp:svsm --ovmf "$F/svsm_ovmf.fd" \
  --svsm "$F/svsm.bin" --vars-file "$tmp/vars.fd" --vcpus 1 --vcpu-type EPYC-v4
has "svsm digest" "$tmp/out" "^$S\$"
run 0 "json on EC2" "$BIN" measure snp --ovmf "$F/ovmf_OvmfX64_suffix.bin" --vcpus 1 \
  --vcpu-type EPYC-Milan --vmm-type ec2 --format json
has "EC2 vCPU signature" "$tmp/out" '"vcpu_sig": "0x00000600"'
run 2 "kernel with a firmware without kernel hashes" "$BIN" measure snp --ovmf \
  "$F/ovmf_OvmfX64_suffix.bin" --kernel "$F/kernel-a.bin" --vcpus 1 --vcpu-type EPYC-Milan
has "no kernel hashes" "$tmp/err" "ovmf_no_kernel_hashes.*SNP_KERNEL_HASHES"
run 2 "missing kernel file" "$BIN" measure snp --ovmf "$F/ovmf_AmdSev_suffix.bin" \
  --kernel "$tmp/vmlinuz" --vcpus 1 --vcpu-type EPYC-Milan
has "missing kernel names it" "$tmp/err" "file_unreadable.*vmlinuz"
one_line "missing kernel file"
# ---- policy snippet (docs/policy.md shape), HOST_DATA given or from an init-data document
run 0 "policy snippet" "$BIN" measure snp --ovmf "$F/ovmf_AmdSev_suffix.bin" --kernel "$F/kernel-a.bin" \
  --initrd "$F/initrd-a.bin" --append "console=hvc0 agent.log=debug" --vcpus 2 \
  --vcpu-type EPYC-Milan --policy-snippet --host-data "$(printf 'ab%.0s' $(seq 32))"
python3 - "$tmp/out" "$M" <<'PY' || { echo "FAIL: policy snippet shape"; cat "$tmp/out"; fail=1; }
import json, sys
p = json.load(open(sys.argv[1]))
assert p == {"snp": {"measurements": [sys.argv[2]], "host_data": ["ab" * 32]}}, p
PY
printf 'version = "0.1.0"\nalgorithm = "sha384"\n[data]\n"aa.toml" = "x = 1"\n' >"$tmp/initdata.toml"
HD=$(sha384sum "$tmp/initdata.toml" | cut -c1-64) # SHA-384 cut to HOST_DATA's 32 bytes
run 0 "policy snippet with init-data" "$BIN" measure snp --ovmf "$F/ovmf_AmdSev_suffix.bin" \
  --kernel "$F/kernel-a.bin" --initrd "$F/initrd-a.bin" --append "console=hvc0 agent.log=debug" \
  --vcpus 2 --vcpu-type EPYC-Milan --policy-snippet --init-data "$tmp/initdata.toml"
has "init-data host_data" "$tmp/out" "\"$HD\""
has "init-data measurement" "$tmp/out" "\"$M\""
run 2 "--host-data without --policy-snippet" "$BIN" measure snp "$@" --host-data 00
run 2 "bad --host-data" "$BIN" measure snp "$@" --policy-snippet --host-data 00
printf 'version = "0.1.0"\nalgorithm = "md5"\n[data]\n' >"$tmp/bad-initdata.toml"
run 2 "init-data with an unknown algorithm" "$BIN" measure snp "$@" --policy-snippet \
  --init-data "$tmp/bad-initdata.toml"

# ---- Kata configuration: not SNP, no vCPU type, and --kata-root reading the named files
K=${2:-}/kata/rendered
if [ -d "$K" ]; then
  run 2 "plain Kata configuration" "$BIN" measure snp --kata-config "$K/configuration-qemu.toml" --vcpu-type EPYC-Milan
  has "not snp" "$tmp/err" "kata_not_snp"
  run 2 "Kata configuration without vCPU type" "$BIN" measure snp --kata-config "$K/configuration-qemu-snp.toml"
  has "cpu host" "$tmp/err" "-cpu host"
  run 2 "Kata files missing on this machine" "$BIN" measure snp --kata-config \
    "$K/configuration-qemu-snp.toml" --kata-root "$tmp/empty" --vcpu-type EPYC-Milan
  has "missing firmware named" "$tmp/err" "empty/opt/kata/share/ovmf/AMDSEV.fd"
  run 0 "Kata configuration, JSON" "$BIN" measure snp --kata-config "$K/configuration-qemu-snp.toml" \
    --ovmf "$F/ovmf_AmdSev_suffix.bin" --kernel "$F/kernel-a.bin" --vcpu-type EPYC-Milan --format json
  has "assumption: composed as the Go runtime" "$tmp/out" '"kernel command line composed as the Go runtime'
  has "assumption: firmware given" "$tmp/out" 'firmware: .*ovmf_AmdSev_suffix.bin \(given on the command line; the configuration names /opt/kata/share/ovmf/AMDSEV.fd\)'
  has "assumption: guest features" "$tmp/out" '"guest features 0x1'
  has "composed command line" "$tmp/out" '"append": "tsc=reliable .* agent.launch_process_timeout=6 cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1"'
  run 2 "--kata-root without --kata-config" "$BIN" measure snp "$@" --kata-root "$tmp"
fi
[ "$fail" = 0 ] && echo "test_measure_cli: all checks passed"
exit $fail
