#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A Confidential Containers API server (guest-components api-server-rest) for testing
`teectl attest --aa-url` (not teectl code): GET /info -> {"version", "tee": "snp"};
GET /aa/evidence?runtime_data=<base64url>&encoding=base64 -> the SNP evidence as the
attestation-agent's SNP attester answers it: {"attestation_report": <virtee/sev
AttestationReport serde form>, "cert_chain": null or [{"cert_type", "data": [DER bytes]}] (the
host's certificate table, from --cert TYPE=FILE)}, the report signed by snp_evidence.sign
(runtime data of at most 64 bytes, zero-padded into REPORT_DATA). The serde form is written
here from the SEV-SNP Firmware ABI offsets, independently of teectl's encoder.

Usage: fake_aa.py --port-file F --key LEAF_PEM --template REPORT [--log FILE]
                  [--cert VCEK|VLEK|ASK|ARK=FILE (PEM or DER)]...
"""
import argparse
import base64
import http.server
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import snp_evidence  # noqa: E402

ARGS = None
CHAIN = None


def cert_entry(spec):
    """--cert TYPE=FILE as a cert_chain entry {"cert_type", "data": [DER bytes]}."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    kind, path = spec.split("=", 1)
    data = open(path, "rb").read()
    if data.startswith(b"-----BEGIN"):
        data = x509.load_pem_x509_certificate(data).public_bytes(serialization.Encoding.DER)
    return {"cert_type": kind, "data": list(data)}


def u32(b, o):
    return int.from_bytes(b[o:o + 4], "little")


def u64(b, o):
    return int.from_bytes(b[o:o + 8], "little")


def tcb(b, o, turin):
    t = b[o:o + 8]
    if turin:
        return {"fmc": t[0], "bootloader": t[1], "tee": t[2], "snp": t[3], "microcode": t[7]}
    return {"fmc": None, "bootloader": t[0], "tee": t[1], "snp": t[6], "microcode": t[7]}


def serde(b):
    v = u32(b, 0)
    # the TCB layout as the sev crate decides it: CPUID for version 3+, CHIP_ID for version 2
    # (bytes 8..63 zero: Turin; all zero: masked, which the crate refuses)
    if v >= 3:
        turin = b[0x188] == 0x1A
    elif not any(b[0x1A0:0x1E0]):
        raise ValueError("MaskedChipId")
    else:
        turin = not any(b[0x1A8:0x1E0])
    lst = lambda o, n: list(b[o:o + n])  # noqa: E731
    return {
        "version": v, "guest_svn": u32(b, 4), "policy": u64(b, 8), "family_id": lst(0x10, 16),
        "image_id": lst(0x20, 16), "vmpl": u32(b, 0x30), "sig_algo": u32(b, 0x34),
        "current_tcb": tcb(b, 0x38, turin), "plat_info": u64(b, 0x40), "key_info": u32(b, 0x48),
        "report_data": lst(0x50, 64), "measurement": lst(0x90, 48), "host_data": lst(0xC0, 32),
        "id_key_digest": lst(0xE0, 48), "author_key_digest": lst(0x110, 48),
        "report_id": lst(0x140, 32), "report_id_ma": lst(0x160, 32),
        "reported_tcb": tcb(b, 0x180, turin),
        "cpuid_fam_id": b[0x188] if v >= 3 else None, "cpuid_mod_id": b[0x189] if v >= 3 else None,
        "cpuid_step": b[0x18A] if v >= 3 else None, "chip_id": lst(0x1A0, 64),
        "committed_tcb": tcb(b, 0x1E0, turin),
        "current": {"major": b[0x1EA], "minor": b[0x1E9], "build": b[0x1E8]},
        "committed": {"major": b[0x1EE], "minor": b[0x1ED], "build": b[0x1EC]},
        "launch_tcb": tcb(b, 0x1F0, turin),
        "launch_mit_vector": u64(b, 0x1F8) if v >= 5 else None,
        "current_mit_vector": u64(b, 0x200) if v >= 5 else None,
        "signature": {"r": lst(0x2A0, 72), "s": lst(0x2E8, 72)},
    }


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, code, data, ctype):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if ARGS.log:
            with open(ARGS.log, "a") as f:
                f.write(json.dumps({"path": u.path, "query": q}) + "\n")
        if u.path == "/info":
            return self.answer(200, json.dumps({"version": "test", "tee": "snp"}).encode(),
                               "application/json")
        if u.path != "/aa/evidence" or "runtime_data" not in q:
            return self.answer(400, b"bad request", "text/plain")
        if q.get("encoding") == "base64":
            rd = base64.urlsafe_b64decode(q["runtime_data"] + "=" * (-len(q["runtime_data"]) % 4))
        else:
            rd = q["runtime_data"].encode()
        if len(rd) > 64:
            return self.answer(500, b"SNP Attester: Report data must be no more than 64 bytes",
                               "text/plain")
        rep = snp_evidence.sign(ARGS.key, ARGS.template, rd + bytes(64 - len(rd)))
        body = json.dumps({"attestation_report": serde(rep), "cert_chain": CHAIN}).encode()
        self.answer(200, body, "application/octet-stream")


def main():
    global ARGS, CHAIN
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--template", required=True)
    p.add_argument("--log")
    p.add_argument("--cert", action="append", default=[])
    ARGS = p.parse_args()
    CHAIN = [cert_entry(c) for c in ARGS.cert] or None
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, ARGS.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
