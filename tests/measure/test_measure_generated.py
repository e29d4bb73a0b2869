#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generated cases: `teectl measure` against snp_ref.py, a second implementation of the same
specification in Python (tests/measure/snp_ref.py, no code shared with src/measure/).
snp_ref.py is first checked against every case of the shared vectors (digests established by
virtee/sev-snp-measure); then vCPU counts 1..64, every listed vCPU type, the EC2 and GCE VMM
types, random vCPU signatures and guest features, and kernel/initrd/command lines of random
content must give the same digest from both.

usage: test_measure_generated.py TEECTL_BIN VECTORS_DIR
Exit 0 pass, 1 fail, 77 skip (vectors missing, not CI).
"""
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import snp_ref  # noqa: E402

# QEMU CPU model -> (family, model, stepping), QEMU target/i386/cpu.c builtin_x86_defs.
CPU_FMS = {
    "EPYC": (23, 1, 2), "EPYC-v1": (23, 1, 2), "EPYC-v2": (23, 1, 2), "EPYC-IBPB": (23, 1, 2),
    "EPYC-v3": (23, 1, 2), "EPYC-v4": (23, 1, 2), "EPYC-Rome": (23, 49, 0),
    "EPYC-Rome-v1": (23, 49, 0), "EPYC-Rome-v2": (23, 49, 0), "EPYC-Rome-v3": (23, 49, 0),
    "EPYC-Milan": (25, 1, 1), "EPYC-Milan-v1": (25, 1, 1), "EPYC-Milan-v2": (25, 1, 1),
    "EPYC-Genoa": (25, 17, 0), "EPYC-Genoa-v1": (25, 17, 0), "EPYC-Turin": (26, 0, 0),
}


def cpuid_sig(family, model, stepping):
    """CPUID Fn0000_0001_EAX (AMD pub. 25481): ExtFamily[27:20] ExtModel[19:16]
    BaseFamily[11:8] BaseModel[7:4] Stepping[3:0]."""
    base_fam = min(family, 15)
    return ((family - base_fam) << 20) | ((model >> 4) << 16) | (base_fam << 8) | \
        ((model & 15) << 4) | stepping


def sha256(b):
    return hashlib.sha256(b).digest()


failures = []


def check(name, got, want):
    if got != want:
        failures.append(f"{name}: teectl {got}, reference {want}")


def teectl(bin_, args):
    r = subprocess.run([bin_, "measure", "snp"] + args, capture_output=True, text=True)
    if r.returncode != 0:
        return f"exit {r.returncode}: {r.stderr.strip()}"
    return r.stdout.strip()


def anchor_reference(vec):
    """snp_ref.py must itself give every vector case's expected value."""
    idx = os.path.join(vec, "INDEX.tsv")
    names = [l.split("\t")[0] for l in open(idx).read().splitlines()[1:] if l.strip()]
    for name in names:
        d = os.path.join(vec, name)
        exp = json.load(open(os.path.join(d, "expected.json")))
        inp = exp["inputs"]
        rd = lambda k: open(os.path.join(d, inp[k]), "rb").read() \
            if inp.get(k) and inp[k] != "(empty file)" else b""
        img = rd("ovmf")
        if inp["mode"] == "snp:ovmf-hash":
            check("reference " + name, snp_ref.ovmf_hash(img).hex(), exp["ovmf_hash_hex"])
            continue
        sig = cpuid_sig(*CPU_FMS[inp["vcpu_type"]])
        if inp["mode"] == "snp:svsm":
            got = snp_ref.svsm_digest(img, rd("svsm"), int(inp["vars_size"]), inp["vcpus"], sig)
        else:
            hashes = None
            if "kernel" in inp:
                hashes = (sha256(rd("kernel")), sha256(rd("initrd")),
                          sha256(inp.get("append", "").encode() + b"\0"))
            seed = bytes.fromhex(inp["snp_ovmf_hash"]) if "snp_ovmf_hash" in inp else None
            got = snp_ref.launch_digest(img, inp["vcpus"], sig, hashes,
                                        inp.get("vmm_type", "qemu"),
                                        int(inp.get("guest_features", "0x1"), 0), seed)
        check("reference " + name, got.hex(), exp["measurement_hex"])
    return len(names)


# The command line Kata's Go runtime (4.1) gives the rendered configuration-qemu-snp.toml,
# written out by hand from its sources (qemu_amd64.go kernelParams, GetKernelRootParams,
# appendConsole, kernelParameters, SetKernelParams, KataAgentKernelParams).
KATA_SNP_CMDLINE = (
    "tsc=reliable no_timer_check rcupdate.rcu_expedited=1 i8042.direct=1 i8042.dumbkbd=1 "
    "i8042.nopnp=1 i8042.noaux=1 noreplace-smp reboot=k cryptomgr.notests net.ifnames=0 "
    "pci=lastbus=0 root=/dev/vda1 rootflags=data=ordered,errors=remount-ro ro rootfstype=ext4 "
    "console=hvc0 console=hvc1 quiet systemd.show_status=false panic=1 selinux=0 "
    "systemd.unit=kata-containers.target systemd.mask=systemd-networkd.service "
    "systemd.mask=systemd-networkd.socket scsi_mod.scan=none agent.launch_process_timeout=6 "
    "cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1")


def kata_cases(bin_, vectors, ovmf_path, ovmf, tmp):
    """--kata-config with the files laid out under --kata-root as the configuration names them
    (the vectors' firmware footer and a random kernel), for 1 and 4 vCPUs."""
    cfg = os.path.join(vectors, "kata", "rendered", "configuration-qemu-snp.toml")
    if not os.path.isfile(cfg):
        return 0
    root = os.path.join(tmp, "node")
    os.makedirs(os.path.join(root, "opt/kata/share/ovmf"))
    os.makedirs(os.path.join(root, "opt/kata/share/kata-containers"))
    open(os.path.join(root, "opt/kata/share/ovmf/AMDSEV.fd"), "wb").write(ovmf)
    kernel = random.Random(7).randbytes(123457)
    open(os.path.join(root, "opt/kata/share/kata-containers/vmlinuz.container"), "wb").write(kernel)
    hashes = (sha256(kernel), sha256(b""), sha256(KATA_SNP_CMDLINE.encode() + b"\0"))
    n = 0
    for vcpus in (None, 4):
        args = ["--kata-config", cfg, "--kata-root", root, "--vcpu-type", "EPYC-Genoa"]
        if vcpus:
            args += ["--vcpus", str(vcpus)]
        want = snp_ref.launch_digest(ovmf, vcpus or 1, cpuid_sig(*CPU_FMS["EPYC-Genoa"]),
                                     hashes).hex()
        check(f"kata configuration, vcpus {vcpus or 'default'}", teectl(bin_, args), want)
        n += 1
        if vcpus is None:
            n += lint_cases(bin_, cfg, root, want, tmp)
    return n


def lint(bin_, args):
    """teectl config lint --format json: (exit code, {rule: [findings]})."""
    r = subprocess.run([bin_, "config", "lint", "--format", "json"] + args, capture_output=True,
                       text=True)
    rules = {}
    if r.stdout.strip():
        for f in json.loads(r.stdout)["findings"]:
            rules.setdefault(f["rule"], []).append(f)
    return r.returncode, rules, r.stderr


def lint_cases(bin_, cfg, root, want, tmp):
    """config lint --policy: the Kata configuration's launch digest (the reference's `want`)
    against a policy's snp.measurements."""
    def policy(name, snp):
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            json.dump({"snp": snp}, f)
        return path

    base = ["--kata-root", root, "--vcpu-type", "EPYC-Genoa"]
    other = ("0" if want[0] != "0" else "1") + want[1:]
    rc, rules, err = lint(bin_, ["--policy", policy("ok.json", {"measurements": [other, want.upper()]})]
                          + base + [cfg])
    check("lint: digest listed (any case)", sorted(k for k in rules if k.startswith("snp-measurement")), [])
    rc, rules, err = lint(bin_, ["--policy", policy("other.json", {"measurements": [other]})] + base
                          + [cfg])
    found = rules.get("snp-measurement-not-in-policy", [])
    check("lint: digest not listed is a warning",
          (rc, len(found), found[0]["severity"] if found else None,
           want in found[0]["message"] if found else False), (1, 1, "warning", True))
    rc, rules, err = lint(bin_, ["--policy", policy("none.json", {"allow_smt": True})] + base + [cfg])
    check("lint: policy without measurements", sorted(k for k in rules if k.startswith("snp-m")),
          ["snp-measurement-unappraised"])
    rc, rules, err = lint(bin_, ["--policy", os.path.join(tmp, "other.json"), "--kata-root", root, cfg])
    found = rules.get("snp-measurement-not-checked", [])
    check("lint: no vCPU type, not checked", (len(found), found[0]["severity"] if found else None),
          (1, "info"))
    rc, rules, err = lint(bin_, ["--policy", os.path.join(tmp, "other.json"), "--kata-root",
                                 os.path.join(tmp, "no-such-root"), "--vcpu-type", "EPYC-Genoa", cfg])
    found = rules.get("snp-measurement-not-checked", [])
    check("lint: files missing, not checked",
          (len(found), "file_unreadable" in found[0]["message"] if found else False), (1, True))
    rc, rules, err = lint(bin_, ["--vcpu-type", "EPYC-Genoa", cfg])
    check("lint: --vcpu-type without --policy is a usage error", rc, 2)
    rc, rules, err = lint(bin_, ["--policy", os.path.join(tmp, "other.json"), "--vcpu-type",
                                 "EPYC-Nope", cfg])
    check("lint: unknown vCPU type is a usage error", rc, 2)
    rc, rules, err = lint(bin_, ["--policy", policy("bad.json", {"measurements": ["00"]}), cfg])
    check("lint: a policy that does not parse is a usage error",
          (rc, "policy_value_invalid" in err), (2, True))
    return 8


def main():
    bin_, vectors = sys.argv[1], sys.argv[2]
    vec = os.path.join(vectors, "measure")
    if not os.path.isdir(vec):
        ci = os.environ.get("CI") == "true"
        print(("FAIL" if ci else "SKIP") + f": vectors folder {vec} not found")
        return 1 if ci else 77
    n_anchor = anchor_reference(vec)
    if failures:
        print("\n".join(failures))
        return 1
    fx = os.path.join(vec, "fixtures")
    amd = os.path.join(fx, "ovmf_AmdSev_suffix.bin")
    x64 = os.path.join(fx, "ovmf_OvmfX64_suffix.bin")
    imgs = {amd: open(amd, "rb").read(), x64: open(x64, "rb").read()}
    rng = random.Random(20261207)
    cases = 0
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(1, 65):  # vCPU counts, alternating firmware and type
            path = amd if n % 2 else x64
            t = list(CPU_FMS)[n % len(CPU_FMS)]
            want = snp_ref.launch_digest(imgs[path], n, cpuid_sig(*CPU_FMS[t])).hex()
            check(f"vcpus {n} {t}", teectl(bin_, ["--ovmf", path, "--vcpus", str(n),
                                                  "--vcpu-type", t]), want)
            cases += 1
        for t, fms in CPU_FMS.items():
            want = snp_ref.launch_digest(imgs[x64], 3, cpuid_sig(*fms)).hex()
            check(f"type {t}", teectl(bin_, ["--ovmf", x64, "--vcpus", "3", "--vcpu-type", t]),
                  want)
            cases += 1
        for i in range(12):  # kernel hashes of arbitrary content, every VMM
            k = rng.randbytes(rng.randrange(0, 300000))
            ini = rng.randbytes(rng.randrange(0, 70000)) if i % 3 else None
            cmd = "".join(rng.choice("abc=/ ._-0123456789é") for _ in range(rng.randrange(0, 200)))
            vmm = ("qemu", "ec2", "gce")[i % 3]
            vcpus = rng.randrange(1, 17)
            sig = rng.randrange(0, 1 << 32)
            feat = rng.choice([1, 0x21, 0x5, rng.randrange(0, 1 << 64)])
            kp = os.path.join(tmp, f"k{i}")
            open(kp, "wb").write(k)
            args = ["--ovmf", amd, "--kernel", kp, "--append", cmd, "--vcpus", str(vcpus),
                    "--vcpu-sig", hex(sig), "--vmm-type", vmm, "--guest-features", hex(feat)]
            if ini is not None:
                ip = os.path.join(tmp, f"i{i}")
                open(ip, "wb").write(ini)
                args += ["--initrd", ip]
            hashes = (sha256(k), sha256(ini or b""), sha256(cmd.encode() + b"\0"))
            # EC2 and GCE put 0x600 into RDX whatever the vCPU; QEMU the signature.
            want = snp_ref.launch_digest(imgs[amd], vcpus, sig, hashes, vmm, feat).hex()
            check(f"kernel case {i} ({vmm})", teectl(bin_, args), want)
            cases += 1
        for vmm in ("ec2", "gce"):  # without kernel hashes, both firmware builds
            for path in (amd, x64):
                want = snp_ref.launch_digest(imgs[path], 4, 0, None, vmm).hex()
                check(f"{vmm} {os.path.basename(path)}",
                      teectl(bin_, ["--ovmf", path, "--vcpus", "4", "--vmm-type", vmm]), want)
                cases += 1
        cases += kata_cases(bin_, vectors, amd, imgs[amd], tmp)
    if failures:
        print("\n".join(failures[:20]))
        print(f"{len(failures)} of {cases} generated cases differ")
        return 1
    print(f"reference anchored on {n_anchor} vector cases; {cases} generated cases agree")
    print(f"{cases} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
