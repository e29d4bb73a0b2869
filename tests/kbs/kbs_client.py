#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An independent KBS protocol client (Confidential Containers RCAR: auth -> attest ->
resource), written from the protocol description, not from teectl's code: urllib with a
cookie jar as the guest's HTTP client keeps it, python3-cryptography to build and sign the
SEV-SNP report (the AMD firmware ABI layout, written out below) and python3-jwcrypto for the
tee key, the token and the JWE. Exits 0 when every check passed; prints what failed.

Arguments: --a/--b URL of two servers sharing keys, --c URL of a server with 1-second
sessions (and the real Genoa collateral when --real names the vectors' message), --dir the
folder test_kbs_http.c prepared (a/ and b/: report template, VCEK, its key and the CA
certificates of two hierarchies; initdata.toml, res/)."""
import argparse
import base64
import hashlib
import http.client
import http.cookiejar
import json
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from jwcrypto import jwe, jwk, jwt

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)
    return cond


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# ---------------------------------------------------------------- SNP report (AMD ABI)
# ATTESTATION_REPORT: (name, offset, kind) with kind an int (byte array length) or a type.
FIELDS = [
    ("version", 0x000, "u32"), ("guest_svn", 0x004, "u32"), ("policy", 0x008, "u64"),
    ("family_id", 0x010, 16), ("image_id", 0x020, 16), ("vmpl", 0x030, "u32"),
    ("sig_algo", 0x034, "u32"), ("current_tcb", 0x038, "tcb"), ("plat_info", 0x040, "u64"),
    ("key_info", 0x048, "u32"), ("report_data", 0x050, 64), ("measurement", 0x090, 48),
    ("host_data", 0x0C0, 32), ("id_key_digest", 0x0E0, 48), ("author_key_digest", 0x110, 48),
    ("report_id", 0x140, 32), ("report_id_ma", 0x160, 32), ("reported_tcb", 0x180, "tcb"),
    ("cpuid_fam_id", 0x188, "u8"), ("cpuid_mod_id", 0x189, "u8"), ("cpuid_step", 0x18A, "u8"),
    ("chip_id", 0x1A0, 64), ("committed_tcb", 0x1E0, "tcb"), ("current", 0x1E8, "ver"),
    ("committed", 0x1EC, "ver"), ("launch_tcb", 0x1F0, "tcb"), ("signature", 0x2A0, "sig"),
]


def report_to_serde(rep):
    """The attestation-agent's JSON form of a Genoa (family 19h) version 3 report."""
    out = {}
    for name, off, kind in FIELDS:
        if isinstance(kind, int):
            out[name] = list(rep[off:off + kind])
        elif kind == "u8":
            out[name] = rep[off]
        elif kind == "u32":
            out[name] = struct.unpack_from("<I", rep, off)[0]
        elif kind == "u64":
            out[name] = struct.unpack_from("<Q", rep, off)[0]
        elif kind == "tcb":  # Milan/Genoa TCB_VERSION: 0 boot loader, 1 TEE, 6 SNP, 7 microcode
            t = rep[off:off + 8]
            out[name] = {"fmc": None, "bootloader": t[0], "tee": t[1], "snp": t[6],
                         "microcode": t[7]}
        elif kind == "ver":  # build, minor, major
            out[name] = {"major": rep[off + 2], "minor": rep[off + 1], "build": rep[off]}
        elif kind == "sig":
            out[name] = {"r": list(rep[off:off + 72]), "s": list(rep[off + 72:off + 144])}
    return out


def sign_report(rep, key):
    """ECDSA P-384 SHA-384 over bytes 0x000..0x29F; R and S little-endian, 72 bytes each."""
    der = key.sign(bytes(rep[:0x2A0]), ec.ECDSA(hashes.SHA384()))
    r, s = decode_dss_signature(der)
    rep[0x2A0:0x2A0 + 72] = r.to_bytes(72, "little")
    rep[0x2E8:0x2E8 + 72] = s.to_bytes(72, "little")


class Tee:
    """What a guest has: a report template, its VCEK key and certificate chain."""

    def __init__(self, d, name, with_chain=False):
        self.dir = d
        h = f"{d}/{name}"  # the hierarchy's folder (tests/common/snp_serve.h layout)
        self.template = bytearray(open(f"{h}/template.bin", "rb").read())
        self.key = serialization.load_pem_private_key(open(f"{h}/leaf.pem", "rb").read(), None)
        self.chain = [{"cert_type": "VCEK", "data": list(open(f"{h}/vcek.der", "rb").read())}]
        if with_chain:  # an ARK and ASK in the message: never trust anchors
            for t in ("ASK", "ARK"):
                pem = open(f"{h}/{t.lower()}.pem", "rb").read()
                der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
                self.chain.append({"cert_type": t, "data": list(der)})

    def evidence(self, report_data, host_data=None, after_signing=None):
        rep = bytearray(self.template)
        rep[0x50:0x90] = report_data
        if host_data is not None:
            rep[0xC0:0xE0] = host_data
        sign_report(rep, self.key)
        self.last = bytes(rep)
        ev = {"attestation_report": report_to_serde(rep), "cert_chain": self.chain}
        if after_signing:
            after_signing(ev["attestation_report"])
        return ev


# ---------------------------------------------------------------- tee keys
def tee_key(kind):
    if kind == "EC":
        k = jwk.JWK.generate(kty="EC", crv="P-256")
        p = k.export_public(as_dict=True)
        pub = {"kty": "EC", "crv": "P-256", "alg": "ECDH-ES+A256KW", "x": p["x"], "y": p["y"]}
    else:
        k = jwk.JWK.generate(kty="RSA", size=2048)
        p = k.export_public(as_dict=True)
        pub = {"kty": "RSA", "alg": "RSA-OAEP-256", "n": p["n"], "e": p["e"]}
    return k, pub


HASHES = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


def runtime_data_digest(hname, nonce, pub, additional=""):
    """The guest's binding: hash of the RFC 8785 form of the runtime data (for these ASCII
    values, sorted keys without whitespace), zero-padded to 64 bytes."""
    rd = {"nonce": nonce, "tee-pubkey": pub, "additional-evidence": additional}
    text = json.dumps(rd, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return HASHES[hname](text.encode()).digest().ljust(64, b"\0")


# ---------------------------------------------------------------- HTTP
class Session:
    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def call(self, base, method, path, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def cookie(self):
        for c in self.jar:
            if c.name == "kbs-session-id":
                return c.value
        return None

    def auth(self, base, tee="snp"):
        st, body = self.call(base, "POST", "/kbs/v0/auth", {
            "version": "0.4.0", "tee": tee,
            "extra-params": {"supported-hash-algorithms": ["sha256", "sha384", "sha512", "sm3"]}})
        check(st == 200, f"auth on {base}: {st} {body[:200]!r}")
        ch = json.loads(body)
        check(len(base64.b64decode(ch["nonce"], validate=True)) == 32, "nonce is 32 bytes, base64")
        return ch

    def attest(self, base, nonce, pub, evidence, init_data=None):
        msg = {"runtime-data": {"nonce": nonce, "tee-pubkey": pub},
               "tee-evidence": {"primary_evidence": evidence, "additional_evidence": ""}}
        msg["init-data"] = {"format": "toml", "body": init_data} if init_data else None
        return self.call(base, "POST", "/kbs/v0/attest", msg)


def raw(base, method, path, headers):
    """One request through http.client: the path goes out byte for byte (no normalising)."""
    u = urllib.parse.urlparse(base)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request(method, path, headers=headers)
    r = c.getresponse()
    return r.status, r.read()


def released_total(base):
    """teectl_kbs_requests_total{step="resource",result="released"} of base's /metrics."""
    text = urllib.request.urlopen(base + "/metrics").read().decode()
    for line in text.splitlines():
        if line.startswith('teectl_kbs_requests_total{step="resource",result="released"} '):
            return float(line.split()[-1])
    return 0.0


def head_never_releases(base, folder, credentials):
    """HEAD on a resource with credentials that a GET would be answered with the secret:
    405 and Allow: GET (as Trustee's actix resource route answers a method it has no route
    for), and neither a release nor any resource record in the audit or the metrics."""
    audit = f"{folder}/audit.jsonl"
    records = open(audit).read().count('"event":"kbs_resource"')
    total = released_total(base)
    u = urllib.parse.urlparse(base)
    for i, h in enumerate(credentials):
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        c.request("HEAD", "/kbs/v0/resource/default/sev-app/key", headers=h)
        r = c.getresponse()
        body = r.read()
        check(r.status == 405, f"HEAD with credentials #{i}: status {r.status}, expected 405")
        check(r.getheader("Allow") == "GET", f"HEAD #{i}: Allow {r.getheader('Allow')!r}")
        check(body == b"", f"HEAD #{i}: a body {body[:100]!r}")
        c.close()
    check(released_total(base) == total, "HEAD counted as a release in the metrics")
    check(open(audit).read().count('"event":"kbs_resource"') == records,
          "HEAD left a resource record in the audit")


def denied(name, got, want_status, want_reason):
    st, body = got
    ok = check(st == want_status, f"{name}: status {st}, expected {want_status}: {body[:300]!r}")
    check(b"ciphertext" not in body and b"encrypted_key" not in body, f"{name}: no JWE in a denial")
    try:
        p = json.loads(body)
    except ValueError:
        return check(False, f"{name}: body is not JSON: {body[:200]!r}")
    ok &= check(isinstance(p.get("type"), str) and isinstance(p.get("detail"), str),
                f"{name}: RFC 7807 body with type and detail: {p}")
    ok &= check(p.get("type", "").endswith(":" + want_reason),
                f"{name}: type {p.get('type')}, expected reason {want_reason}")
    return ok


def kbs_types_header(h):
    """kbs-types ProtectedHeader serialization: alg, enc, then the rest with sorted keys."""
    rest = {k: v for k, v in h.items() if k not in ("alg", "enc")}
    s = '{"alg":' + json.dumps(h["alg"]) + ',"enc":' + json.dumps(h["enc"])
    return s + ("," + json.dumps(rest, sort_keys=True, separators=(",", ":"))[1:] if rest else "}")


def released(name, got, key, expected):
    st, body = got
    if not check(st == 200, f"{name}: status {st}: {body[:300]!r}"):
        return
    j = json.loads(body)
    check(sorted(j) == ["ciphertext", "encrypted_key", "iv", "protected", "tag"],
          f"{name}: flattened JWE members {sorted(j)}")
    prot = base64.urlsafe_b64decode(j["protected"] + "=" * (-len(j["protected"]) % 4)).decode()
    check(prot == kbs_types_header(json.loads(prot)), f"{name}: protected header form {prot}")
    hdr = json.loads(prot)
    want_alg = "ECDH-ES+A256KW" if key.get("kty") == "EC" else "RSA-OAEP-256"
    check(hdr["alg"] == want_alg and hdr["enc"] == "A256GCM", f"{name}: algorithms {hdr}")
    e = jwe.JWE()
    e.deserialize(body.decode(), key=key)
    check(e.payload == expected, f"{name}: plaintext {e.payload!r}")


def check_token(base, token, nonce, pub, report_data, status="warning"):
    keys = jwk.JWKSet.from_json(urllib.request.urlopen(base + "/.well-known/jwks.json").read())
    t = jwt.JWT(jwt=token, key=keys, algs=["ES256"])
    c = json.loads(t.claims)
    check(c.get("iss") == "https://kbs.test", f"token iss {c.get('iss')}")
    check(isinstance(c.get("exp"), int) and c["exp"] > time.time(), "token exp in the future")
    check(c.get("eat_nonce") == nonce, "token eat_nonce is the challenge nonce")
    sm = c["submods"]["snp"]
    check(sm["ear.status"] == status, f"ear.status {sm['ear.status']}")
    ka = sm.get("ear.veraison.key-attestation", {})
    k = jwk.JWK(**{m: pub[m] for m in pub if m != "alg"})
    der = k.get_op_key("verify").public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    check(ka.get("akpub") == b64u(der), "key-attestation akpub is the tee-pubkey's SPKI")
    ae = sm.get("ear.veraison.annotated-evidence", {})
    check(ae.get("report_data") == report_data.hex(), "annotated-evidence report_data")
    return c


def flow(name, s, bases, tee, kind, resource, expected):
    """auth on bases[0], attest on bases[1], resource on bases[2]."""
    key, pub = tee_key(kind)
    ch = s.auth(bases[0])
    h = ch["extra-params"]["selected-hash-algorithm"]
    check(h == "sha384", f"{name}: selected hash {h}")
    rd = runtime_data_digest(h, ch["nonce"], pub)
    st, body = s.attest(bases[1], ch["nonce"], pub, tee.evidence(rd))
    if not check(st == 200, f"{name}: attest {st} {body[:400]!r}"):
        return None, None, None
    token = json.loads(body)["token"]
    with open(f"{tee.dir}/released_evidence.txt", "a") as f:  # the audit names it
        f.write(hashlib.sha256(tee.last).hexdigest() + "\n")
    check_token(bases[1], token, ch["nonce"], pub, rd)
    released(name, s.call(bases[2], "GET", "/kbs/v0/resource/" + resource), key, expected)
    return key, pub, token


def main():
    ap = argparse.ArgumentParser()
    for o in ("--a", "--b", "--c", "--dir", "--real"):
        ap.add_argument(o, default="")
    a = ap.parse_args()
    d, A, B, C = a.dir, a.a, a.b, a.c
    good, other = Tee(d, "a"), Tee(d, "b", with_chain=True)
    secret = open(f"{d}/res/default/sev-app/key", "rb").read()
    initdata = open(f"{d}/initdata.toml").read()

    # 1. EC P-256, all on A; RSA-2048 across replicas (auth A, attest B, resource A)
    flow("ec-p256", Session(), (A, A, A), good, "EC", "default/sev-app/key", secret)
    s = Session()
    key, pub, token = flow("rsa-2048 across replicas", s, (A, B, A), good, "RSA",
                           "default/sev-app/key", secret)
    # the token alone (no cookie) on the other replica
    if token:
        with open(f"{d}/token.txt", "w") as f:
            f.write(token)
        with open(f"{d}/jwks.json", "wb") as f:
            f.write(urllib.request.urlopen(B + "/.well-known/jwks.json").read())
        released("bearer", Session().call(B, "GET", "/kbs/v0/resource/default/sev-app/key",
                                          headers={"Authorization": "Bearer " + token}),
                 key, secret)
        sig = token.rsplit(".", 1)
        mid = len(sig[1]) // 2
        broken = sig[0] + "." + sig[1][:mid] + ("A" if sig[1][mid] != "A" else "B") + sig[1][mid + 1:]
        denied("bearer with a broken signature",
               Session().call(B, "GET", "/kbs/v0/resource/default/sev-app/key",
                              headers={"Authorization": "Bearer " + broken}),
               401, "token_signature_invalid")
        # policy: no rule for default/deny, and a rule whose measurement differs
        denied("policy deny (no rule)", s.call(A, "GET", "/kbs/v0/resource/default/deny/key"),
               403, "policy_denied")
        denied("policy deny (measurement)",
               s.call(A, "GET", "/kbs/v0/resource/default/measured/key"), 403, "policy_denied")
        denied("unknown resource", s.call(A, "GET", "/kbs/v0/resource/default/sev-app/nope"),
               404, "resource_not_found")
        cookie = {"Cookie": "kbs-session-id=" + s.cookie()}
        for p in ("/kbs/v0/resource/default/../default/sev-app/key",
                  "/kbs/v0/resource/default/%2e%2e/sev-app",
                  "/kbs/v0/resource/..%2fdefault/sev-app/key",
                  "/kbs/v0/resource/default/sev-app",
                  "/kbs/v0/resource/default/sev-app/key%00/../../deny/key",
                  "/kbs/v0/resource/default/sev-app/key%00"):
            denied(f"path traversal {p}", raw(A, "GET", p, cookie), 404, "resource_path_invalid")
        head_never_releases(A, d, ({"Authorization": "Bearer " + token}, cookie))

    # 2. init-data bound in HOST_DATA
    key, pub = tee_key("EC")
    s = Session()
    ch = s.auth(A)
    rd = runtime_data_digest("sha384", ch["nonce"], pub)
    hd = hashlib.sha256(initdata.encode()).digest()
    st, body = s.attest(A, ch["nonce"], pub, good.evidence(rd, host_data=hd), init_data=initdata)
    if check(st == 200, f"init-data attest {st} {body[:300]!r}"):
        c = check_token(A, json.loads(body)["token"], ch["nonce"], pub, rd)
        idc = c["submods"]["snp"]["ear.veraison.annotated-evidence"].get("init_data", {})
        check(idc.get("digest") == hd.hex() and idc.get("data_keys") == ["aa.toml"],
              f"init-data claims {idc}")
        released("init-data rule", s.call(A, "GET", "/kbs/v0/resource/default/initdata/key"), key,
                 b"bound to init-data")

    # 2b. "init_data": [] means no init-data: met with HOST_DATA all zeros and none sent; not met
    #     by a pod whose HOST_DATA binds init-data it does not send (nor is its digest rule)
    for hd_name, hd, ok in (("zero", b"\0" * 32, True), ("set", b"\x11" * 32, False)):
        key, pub = tee_key("EC")
        s = Session()
        ch = s.auth(A)
        rd = runtime_data_digest("sha384", ch["nonce"], pub)
        st, body = s.attest(A, ch["nonce"], pub, good.evidence(rd, host_data=hd))
        if not check(st == 200, f"no init-data, HOST_DATA {hd_name}: attest {st} {body[:300]!r}"):
            continue
        got = s.call(A, "GET", "/kbs/v0/resource/default/noinit/key")
        if ok:
            released("init_data [] with HOST_DATA zero", got, key, b"only without init-data")
        else:
            denied("init_data [] with HOST_DATA set", got, 403, "policy_denied")
            denied("init_data digest rule with HOST_DATA set, none sent",
                   s.call(A, "GET", "/kbs/v0/resource/default/initdata/key"), 403, "policy_denied")
            token = json.loads(body)["token"]
            denied("init_data [] with HOST_DATA set (Bearer)",
                   Session().call(A, "GET", "/kbs/v0/resource/default/noinit/key",
                                  headers={"Authorization": "Bearer " + token}),
                   403, "policy_denied")

    # 3. denials at attest, each with a fresh session
    def attempt(name, reason, evidence=None, nonce=None, init=None, hd=None, base=A):
        key, pub = tee_key("EC")
        s = Session()
        ch = s.auth(base)
        rd = runtime_data_digest("sha384", ch["nonce"], pub)
        ev = evidence(rd, pub) if evidence else good.evidence(rd, host_data=hd)
        denied(name, s.attest(base, nonce or ch["nonce"], pub, ev, init_data=init), 401, reason)
        denied(name + ": no resource after it",
               s.call(base, "GET", "/kbs/v0/resource/default/sev-app/key"), 401,
               "session_not_attested")

    attempt("wrong nonce", "nonce_mismatch", nonce=base64.b64encode(b"\1" * 32).decode())
    _, other_pub = tee_key("EC")
    attempt("unbound runtime-data", "binding_mismatch",
            evidence=lambda rd, pub: good.evidence(
                runtime_data_digest("sha384", "another nonce", other_pub)))

    def flip(r):
        r["measurement"][0] ^= 1
    attempt("report altered after signing", "evidence_invalid",
            evidence=lambda rd, pub: good.evidence(rd, after_signing=flip))
    attempt("chain from another hierarchy", "evidence_invalid",
            evidence=lambda rd, pub: other.evidence(rd))
    attempt("init-data digest mismatch", "init_data_mismatch", init=initdata, hd=b"\0" * 32)

    # 4. sessions: forged, unattested, expired (C has 1-second sessions), unknown version
    s = Session()
    ch = s.auth(A)
    v = s.cookie()
    forged = v[:20] + ("A" if v[20] != "A" else "B") + v[21:]
    key, pub = tee_key("EC")
    msg = {"runtime-data": {"nonce": ch["nonce"], "tee-pubkey": pub}, "init-data": None,
           "tee-evidence": {"primary_evidence": good.evidence(
               runtime_data_digest("sha384", ch["nonce"], pub)), "additional_evidence": ""}}
    st, body = Session().call(A, "POST", "/kbs/v0/attest", msg,
                              headers={"Cookie": "kbs-session-id=" + forged})
    denied("forged session", (st, body), 401, "session_forged")
    denied("forged session (resource)", raw(A, "GET", "/kbs/v0/resource/default/sev-app/key",
                                            {"Cookie": "kbs-session-id=" + forged}),
           401, "session_forged")
    denied("no session", Session().call(A, "GET", "/kbs/v0/resource/default/sev-app/key"), 401,
           "session_missing")
    s = Session()
    ch = s.auth(C)
    v = s.cookie()
    time.sleep(2.2)
    msg["runtime-data"]["nonce"] = ch["nonce"]
    denied("expired session", Session().call(C, "POST", "/kbs/v0/attest", msg,
                                             headers={"Cookie": "kbs-session-id=" + v}),
           401, "session_expired")
    denied("protocol version", Session().call(A, "POST", "/kbs/v0/auth", {
        "version": "0.3.0", "tee": "snp", "extra-params": {}}), 401, "kbs_version_unsupported")
    denied("unknown tee", Session().call(A, "POST", "/kbs/v0/auth", {
        "version": "0.4.0", "tee": "cca", "extra-params": {}}), 401, "kbs_tee_unsupported")

    # 5. the real attestation-agent message (vectors): verifies with the real Genoa
    #    collateral, then fails the binding (its nonce is another session's)
    if a.real:
        s = Session()
        ch = s.auth(C)
        key, pub = tee_key("EC")
        ev = json.load(open(a.real))
        denied("real Genoa message", s.attest(C, ch["nonce"], pub, ev), 401, "binding_mismatch")

    # 5b. /attest is limited apart from /auth: one (unattested) cookie does not buy unlimited tries.
    # C has the default --auth-rate 60; the check comes before the session is opened, so
    # its 1-second sessions do not matter.
    s = Session()
    ch = s.auth(C)
    bad = {"runtime-data": {"nonce": "not the session's", "tee-pubkey": tee_key("EC")[1]},
           "init-data": None,
           "tee-evidence": {"primary_evidence": {}, "additional_evidence": ""}}
    # 125 tries: even if a one-minute window turns over during the loop, one window holds > 60
    codes = [s.call(C, "POST", "/kbs/v0/attest", bad)[0] for _ in range(125)]
    check(codes[0] == 401 and 429 in codes, f"attest rate limit: codes {sorted(set(codes))}")
    denied("attest rate limited", s.call(C, "POST", "/kbs/v0/attest", bad), 429, "rate_limited")

    # 6. /auth is rate-limited per client address (C: the default 60 a minute)
    codes = [Session().call(C, "POST", "/kbs/v0/auth", {
        "version": "0.4.0", "tee": "snp", "extra-params": {}})[0] for _ in range(125)]
    check(429 in codes, f"rate limit: codes {sorted(set(codes))}")
    got = Session().call(C, "POST", "/kbs/v0/auth", {"version": "0.4.0", "tee": "snp",
                                                     "extra-params": {}})
    denied("rate limited", got, 429, "rate_limited")

    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed", flush=True)
        return 1
    print("kbs_client: all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
