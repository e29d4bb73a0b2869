#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Independent check of a teectl EAR token (not teectl code): verify the ES256 JWS
signature against the service's JWKS with python `cryptography` (or, if that is not
importable, with the openssl CLI), then check the claims against expectations.

Usage: check_token.py JWKS_FILE TOKEN_FILE EXPECT_JSON_FILE
       check_token.py --batch FILE   (FILE: JSON array of {"name","jwks","token","expect"})
EXPECT keys (all optional): tee, status ("affirming"|"warning"), nonce, no_nonce, iss, ttl,
runtime_data (the value expected in submods.<tee>.runtime_data), failed_rules (list of
rule names), unappraised_nonempty (bool), policy_id.
Prints the claims on success; exit 0 ok, 1 mismatch/invalid.
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def der_len(n):
    if n < 128:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der_int(b):
    b = b.lstrip(b"\x00") or b"\x00"
    if b[0] & 0x80:
        b = b"\x00" + b
    return b"\x02" + der_len(len(b)) + b


def verify_openssl(x, y, signing_input, sig):
    # SubjectPublicKeyInfo for an uncompressed P-256 point (RFC 5480), built by hand.
    spki = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200") + b"\x04" + x + y
    pem = "-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(spki).decode() + "-----END PUBLIC KEY-----\n"
    seq = der_int(sig[:32]) + der_int(sig[32:])
    der_sig = b"\x30" + der_len(len(seq)) + seq
    with tempfile.TemporaryDirectory() as d:
        paths = {n: os.path.join(d, n) for n in ("pub.pem", "sig.der", "msg")}
        open(paths["pub.pem"], "w").write(pem)
        open(paths["sig.der"], "wb").write(der_sig)
        open(paths["msg"], "wb").write(signing_input)
        r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", paths["pub.pem"], "-signature",
                            paths["sig.der"], paths["msg"]], capture_output=True)
        return r.returncode == 0


def verify_cryptography(x, y, signing_input, sig):
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    pub = ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"),
                                        ec.SECP256R1()).public_key()
    try:
        pub.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
                   signing_input, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


class Mismatch(Exception):
    pass


def fail(msg):
    raise Mismatch(msg)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--batch":
        cases = json.load(open(sys.argv[2]))
        bad = 0
        for c in cases:
            try:
                check(c["jwks"], c["token"], c["expect"])
            except Mismatch as e:
                bad += 1
                print("check_token: FAIL: %s: %s" % (c.get("name", "?"), e), file=sys.stderr)
        print("check_token: %d tokens, %d failed" % (len(cases), bad))
        sys.exit(1 if bad or not cases else 0)
    if len(sys.argv) != 4:
        print("usage: check_token.py JWKS TOKEN EXPECT | --batch FILE", file=sys.stderr)
        sys.exit(2)
    try:
        claims, how = check(json.load(open(sys.argv[1])), open(sys.argv[2]).read().strip(),
                            json.load(open(sys.argv[3])))
    except Mismatch as e:
        print("check_token: FAIL: %s" % e, file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"verified_with": how, "claims": claims}, sort_keys=True))
    sys.exit(0)


def check(jwks, token, expect):
    parts = token.split(".")
    if len(parts) != 3:
        fail("token is not three dot-separated parts")
    header = json.loads(b64url(parts[0]))
    claims = json.loads(b64url(parts[1]))
    sig = b64url(parts[2])
    if header.get("alg") != "ES256":
        fail("alg is %r, expected ES256" % header.get("alg"))
    keys = [k for k in jwks.get("keys", []) if k.get("kid") == header.get("kid")]
    if len(keys) != 1:
        fail("kid %r not found exactly once in the JWKS" % header.get("kid"))
    k = keys[0]
    if k.get("kty") != "EC" or k.get("crv") != "P-256" or "d" in k:
        fail("JWKS key is not a public EC P-256 key")
    x, y = b64url(k["x"]), b64url(k["y"])
    if len(sig) != 64:
        fail("ES256 signature must be 64 bytes (r||s), got %d" % len(sig))
    signing_input = (parts[0] + "." + parts[1]).encode()
    try:
        import cryptography  # noqa: F401
        ok, how = verify_cryptography(x, y, signing_input, sig), "cryptography"
    except ImportError:
        ok, how = verify_openssl(x, y, signing_input, sig), "openssl"
    if not ok:
        fail("signature does not verify (%s)" % how)
    # Signature of a modified payload must not verify (the check itself can fail).
    tampered = (parts[0] + "." + parts[1][:-2] + ("A" if parts[1][-2] != "A" else "B") + parts[1][-1]).encode()
    if (verify_cryptography if how == "cryptography" else verify_openssl)(x, y, tampered, sig):
        fail("a tampered payload verified: the checker is broken")

    now = int(time.time())
    for c in ("iat", "nbf", "exp"):
        if not isinstance(claims.get(c), int):
            fail("claim %s missing or not an integer" % c)
    if not (claims["iat"] - 60 <= now <= claims["exp"]):
        fail("token not valid now: iat %d exp %d now %d" % (claims["iat"], claims["exp"], now))
    if "ttl" in expect and claims["exp"] - claims["iat"] != expect["ttl"]:
        fail("exp - iat = %d, expected %d" % (claims["exp"] - claims["iat"], expect["ttl"]))
    if not claims.get("jti"):
        fail("no jti")
    if not isinstance(claims.get("ear.verifier-id"), dict):
        fail("no ear.verifier-id")
    if not claims.get("eat_profile"):
        fail("no eat_profile")
    if "iss" in expect and claims.get("iss") != expect["iss"]:
        fail("iss %r, expected %r" % (claims.get("iss"), expect["iss"]))
    if expect.get("no_nonce") and "eat_nonce" in claims:
        fail("eat_nonce present, but no nonce was given")
    if "nonce" in expect and claims.get("eat_nonce") != expect["nonce"]:
        fail("eat_nonce %r, expected %r" % (claims.get("eat_nonce"), expect["nonce"]))
    tee = expect.get("tee")
    subs = claims.get("submods", {})
    if tee is not None:
        if list(subs.keys()) != [tee]:
            fail("submods %r, expected exactly [%r]" % (list(subs.keys()), tee))
        sub = subs[tee]
        if "status" in expect and sub.get("ear.status") != expect["status"]:
            fail("ear.status %r, expected %r" % (sub.get("ear.status"), expect["status"]))
        if not isinstance(sub.get("ear.trustworthiness-vector"), dict):
            fail("no ear.trustworthiness-vector")
        if "policy_id" in expect and sub.get("ear.appraisal-policy-id") != expect["policy_id"]:
            fail("ear.appraisal-policy-id %r, expected %r" % (sub.get("ear.appraisal-policy-id"), expect["policy_id"]))
        if "runtime_data" in expect and sub.get("runtime_data") != expect["runtime_data"]:
            fail("runtime_data %r, expected %r" % (sub.get("runtime_data"), expect["runtime_data"]))
        if expect.get("unappraised_nonempty") and not sub.get("unappraised"):
            fail("expected unappraised claims to be named")
        if "failed_rules" in expect:
            got = [r.get("rule") for r in sub.get("failed_rules", [])]
            if got != expect["failed_rules"]:
                fail("failed_rules %r, expected %r" % (got, expect["failed_rules"]))
        for name, want in expect.get("claims", {}).items():
            if sub.get(name) != want:
                fail("claim %s = %r, expected %r" % (name, sub.get(name), want))
    return claims, how


if __name__ == "__main__":
    main()
