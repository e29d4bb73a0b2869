#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Evidence command for tests (teectl attest --evidence-cmd): plays an SEV-SNP guest's
firmware with a test hierarchy. Reads REPORT_DATA as 128 hex digits on standard input, puts
it at offset 0x50 of the template ATTESTATION_REPORT, signs bytes 0x000..0x29F with the leaf
key (ECDSA P-384, SHA-384; SEV-SNP Firmware ABI spec, "Signature Format": R and S as 72-byte
little-endian integers at 0x2A0 and 0x2E8) and writes the report on standard output.
Independent of teectl's code (python3-cryptography).

Usage: snp_evidence.py LEAF_KEY_PEM TEMPLATE_REPORT [LOG_FILE]
LOG_FILE, when given, gets the REPORT_DATA hex line (so a test can check what was asked).
"""
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def sign(key_path, template_path, rd):
    """The template report with REPORT_DATA rd (64 bytes), signed with the leaf key."""
    key = serialization.load_pem_private_key(open(key_path, "rb").read(), None)
    report = bytearray(open(template_path, "rb").read())
    assert len(report) == 0x4A0 and len(rd) == 64
    report[0x50:0x90] = rd
    sig = key.sign(bytes(report[:0x2A0]), ec.ECDSA(hashes.SHA384()))
    r, s = decode_dss_signature(sig)
    report[0x2A0:0x2E8] = r.to_bytes(72, "little")
    report[0x2E8:0x330] = s.to_bytes(72, "little")
    return bytes(report)


def main():
    line = sys.stdin.readline().strip()
    if len(line) != 128:
        print("snp_evidence: REPORT_DATA must be 128 hex digits, got %d" % len(line), file=sys.stderr)
        return 3
    rd = bytes.fromhex(line)
    if len(sys.argv) > 3:
        with open(sys.argv[3], "a") as f:
            f.write(line + "\n")
    sys.stdout.buffer.write(sign(sys.argv[1], sys.argv[2], rd))
    return 0


if __name__ == "__main__":
    sys.exit(main())
