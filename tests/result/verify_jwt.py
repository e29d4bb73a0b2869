#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Independent ES256 JWT verification for the EAR tests (not teectl code).

usage: verify_jwt.py METHOD TOKEN_FILE JWKS_FILE
  METHOD: "cryptography" (python cryptography package) or "openssl" (openssl CLI:
          the JWK is converted to a PEM SubjectPublicKeyInfo and r||s to DER here).
Prints the payload JSON and exits 0 if the signature verifies with the JWKS key named
by the header's kid; exits 1 if it does not; 3 if METHOD is not available.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der_int(raw):
    v = raw.lstrip(b"\x00") or b"\x00"
    if v[0] & 0x80:
        v = b"\x00" + v
    return b"\x02" + der_len(len(v)) + v


def spki_pem(x, y):
    # SubjectPublicKeyInfo { AlgorithmIdentifier { id-ecPublicKey, prime256v1 },
    #                        BIT STRING { 0x04 || X || Y } }  (RFC 5480)
    alg = bytes.fromhex("301306072a8648ce3d020106082a8648ce3d030107")
    bits = b"\x03" + der_len(66) + b"\x00\x04" + x + y
    body = alg + bits
    der = b"\x30" + der_len(len(body)) + body
    b64 = base64.b64encode(der).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


def main():
    method, token_file, jwks_file = sys.argv[1:4]
    token = open(token_file).read().strip()
    jwks = json.load(open(jwks_file))
    h64, p64, s64 = token.split(".")
    header = json.loads(b64url_decode(h64))
    if header.get("alg") != "ES256":
        print("alg is not ES256", file=sys.stderr)
        return 1
    keys = [k for k in jwks["keys"] if k.get("kid") == header.get("kid")]
    if len(keys) != 1:
        print("kid not found", file=sys.stderr)
        return 1
    jwk = keys[0]
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256" or "d" in jwk:
        print("JWKS key is not a public P-256 key", file=sys.stderr)
        return 1
    x, y = b64url_decode(jwk["x"]), b64url_decode(jwk["y"])
    sig = b64url_decode(s64)
    if len(sig) != 64 or len(x) != 32 or len(y) != 32:
        print("bad lengths", file=sys.stderr)
        return 1
    signed = (h64 + "." + p64).encode()
    r, s = sig[:32], sig[32:]

    if method == "cryptography":
        try:
            from cryptography.exceptions import InvalidSignature
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import ec
            from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
        except ImportError:
            return 3
        pub = ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"),
                                            ec.SECP256R1()).public_key()
        try:
            pub.verify(encode_dss_signature(int.from_bytes(r, "big"), int.from_bytes(s, "big")),
                       signed, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            print("signature invalid", file=sys.stderr)
            return 1
    elif method == "openssl":
        if shutil.which("openssl") is None:
            return 3
        with tempfile.TemporaryDirectory() as d:
            paths = {n: os.path.join(d, n) for n in ("pub.pem", "sig.der", "msg")}
            open(paths["pub.pem"], "w").write(spki_pem(x, y))
            seq = der_int(r) + der_int(s)
            open(paths["sig.der"], "wb").write(b"\x30" + der_len(len(seq)) + seq)
            open(paths["msg"], "wb").write(signed)
            res = subprocess.run(["openssl", "dgst", "-sha256", "-verify", paths["pub.pem"],
                                  "-signature", paths["sig.der"], paths["msg"]],
                                 capture_output=True, text=True)
            if res.returncode != 0 or "Verified OK" not in res.stdout:
                print("openssl: " + res.stdout + res.stderr, file=sys.stderr)
                return 1
    else:
        return 3
    print(json.dumps(json.loads(b64url_decode(p64)), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
