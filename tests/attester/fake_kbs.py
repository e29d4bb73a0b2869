#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A recorded-shape Key Broker Service for testing `teectl attest --kbs` (not teectl code).

It answers as a Trustee KBS does and checks every request body field for field against the
KBS attestation protocol (Trustee kbs/docs/kbs_attestation_protocol.md; kbs-types Request,
Attestation, RuntimeData, TeePubKey, CompositeEvidence; the attestation-agent's kbs_protocol
0.4.0 runtime-data binding):
  POST /kbs/v0/auth    {"version": "0.4.0", "tee", "extra-params": {"supported-hash-algorithms"}}
                       -> 200 {"nonce": base64 of 32 random bytes, "extra-params":
                          {"selected-hash-algorithm"}} + Set-Cookie kbs-session-id
  POST /kbs/v0/attest  cookie; {"init-data"?, "runtime-data": {"nonce", "tee-pubkey"},
                       "tee-evidence": {"primary_evidence", "additional_evidence"}}; SNP
                       REPORT_DATA must be the selected hash over the RFC 8785 text of
                       {"nonce","tee-pubkey","additional-evidence"} zero-padded to 64 bytes
                       -> 200 {"token"} + a new Set-Cookie (the client must take it over)
  GET  /kbs/v0/resource/<repo>/<type>/<tag>  with that cookie -> flattened JWE made with
                       python3-jwcrypto to the tee-pubkey (ECDH-ES+A256KW, A256GCM), protected
                       header serialized as kbs-types does: alg, enc, then sorted members.
A request that breaks the protocol gets 400 {"type": "protocol-mismatch", "detail"}.

Usage: fake_kbs.py --port-file F --resources JSON [--select ALG|absent] [--deny-attest]
                   [--expire-once] [--init-data FILE] [--log FILE] [--tls CERT KEY]
"""
import argparse
import base64
import hashlib
import http.server
import json
import os
import secrets
import ssl
import sys

from jwcrypto import jwa, jwk

ARGS = None
SESSIONS = {}  # cookie -> {"nonce", "alg", "attested": pubkey JWK or None}
STATE = {"expired_once": False, "auths": 0}
EC_KEYS = ["kty", "crv", "alg", "x", "y"]


def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def canonical(v):
    # RFC 8785 for objects of strings (what the binding holds): sorted members, no spaces,
    # non-ASCII as is; Python's escapes of controls are the same lower-case \u00xx.
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class Mismatch(Exception):
    pass


def need(cond, what):
    if not cond:
        raise Mismatch(what)


def exact_keys(obj, keys, where):
    need(isinstance(obj, dict), "%s is not an object" % where)
    need(sorted(obj.keys()) == sorted(keys), "%s has members %s, expected %s" %
         (where, sorted(obj.keys()), sorted(keys)))


def log(entry):
    if ARGS.log:
        with open(ARGS.log, "a") as f:
            f.write(json.dumps(entry) + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, code, body, cookie=None):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if cookie:
            self.send_header("Set-Cookie", "kbs-session-id=%s; Path=/kbs; HttpOnly" % cookie)
        self.end_headers()
        self.wfile.write(data)

    def cookie(self):
        for part in (self.headers.get("Cookie") or "").split(";"):
            k, _, v = part.strip().partition("=")
            if k == "kbs-session-id":
                return v
        return None

    def body(self):
        need(self.headers.get("Content-Type", "").split(";")[0] == "application/json",
             "Content-Type is %r" % self.headers.get("Content-Type"))
        n = int(self.headers.get("Content-Length", "0"))
        return json.loads(self.rfile.read(n))

    def do_POST(self):
        try:
            req = self.body()
            log({"path": self.path, "cookie": self.cookie(), "body": req})
            if self.path == "/kbs/v0/auth":
                return self.auth(req)
            if self.path == "/kbs/v0/attest":
                return self.attest(req)
            self.answer(404, {"type": "not-found", "detail": self.path})
        except Mismatch as e:
            log({"mismatch": str(e)})
            self.answer(400, {"type": "protocol-mismatch", "detail": str(e)})

    def auth(self, req):
        exact_keys(req, ["version", "tee", "extra-params"], "Request")
        need(req["version"] == "0.4.0", "version %r" % req["version"])
        need(req["tee"] in ("snp", "tdx", "sgx"), "tee %r" % req["tee"])
        exact_keys(req["extra-params"], ["supported-hash-algorithms"], "Request.extra-params")
        algs = req["extra-params"]["supported-hash-algorithms"]
        need(isinstance(algs, list) and all(isinstance(a, str) for a in algs) and "sha384" in algs,
             "supported-hash-algorithms %r" % algs)
        STATE["auths"] += 1
        nonce = base64.b64encode(secrets.token_bytes(32)).decode()
        extra = {}
        alg = "sha384"
        if ARGS.select != "absent":
            extra["selected-hash-algorithm"] = ARGS.select
            alg = ARGS.select
        sid = secrets.token_hex(16)
        SESSIONS[sid] = {"nonce": nonce, "alg": alg, "tee": req["tee"], "attested": None}
        self.answer(200, {"nonce": nonce, "extra-params": extra}, cookie=sid)

    def attest(self, req):
        sess = SESSIONS.get(self.cookie())
        need(sess is not None, "attest without the auth cookie")
        need("runtime-data" in req and "tee-evidence" in req, "Attestation lacks members")
        need(set(req) <= {"init-data", "runtime-data", "tee-evidence"},
             "Attestation has members %s" % sorted(req))
        if ARGS.init_data:
            exact_keys(req.get("init-data"), ["format", "body"], "Attestation.init-data")
            need(req["init-data"]["format"] == "toml", "init-data format")
            need(req["init-data"]["body"] == open(ARGS.init_data).read(), "init-data body")
        else:
            need("init-data" not in req, "init-data sent without one")
        rt = req["runtime-data"]
        exact_keys(rt, ["nonce", "tee-pubkey"], "runtime-data")
        need(rt["nonce"] == sess["nonce"], "runtime-data.nonce is not the challenge's")
        pk = rt["tee-pubkey"]
        exact_keys(pk, EC_KEYS, "tee-pubkey")
        need(pk["kty"] == "EC" and pk["crv"] == "P-256" and pk["alg"] == "ECDH-ES+A256KW",
             "tee-pubkey kty/crv/alg %r" % pk)
        need(len(b64url_dec(pk["x"])) == 32 and len(b64url_dec(pk["y"])) == 32, "x/y length")
        key = jwk.JWK(**pk)  # refuses a point not on the curve
        need(not key.has_private, "tee-pubkey carries a private part")
        ev = req["tee-evidence"]
        exact_keys(ev, ["primary_evidence", "additional_evidence"], "tee-evidence")
        need(ev["additional_evidence"] == "", "additional_evidence %r" % ev["additional_evidence"])
        binding = {"nonce": rt["nonce"], "tee-pubkey": pk, "additional-evidence": ""}
        digest = hashlib.new(sess["alg"], canonical(binding)).digest()
        want = list(digest + bytes(64 - len(digest)))
        pe = ev["primary_evidence"]
        if sess["tee"] == "snp":
            exact_keys(pe, ["attestation_report", "cert_chain"], "SNP primary_evidence")
            rep = pe["attestation_report"]
            need(rep.get("report_data") == want,
                 "REPORT_DATA is not %s over the canonical runtime data" % sess["alg"])
            need(rep.get("version") in (2, 3, 5) and isinstance(rep.get("signature"), dict),
                 "attestation_report version/signature")
        else:
            need(isinstance(pe.get("quote"), str), "quote")
        if ARGS.deny_attest:
            return self.answer(401, {
                "type": "https://github.com/confidential-containers/kbs/errors/PolicyDeny",
                "detail": "Resource policy denied: measurement not in the reference values"})
        new = secrets.token_hex(16)
        SESSIONS[new] = dict(sess, attested=pk)
        del SESSIONS[self.cookie()]
        self.answer(200, {"token": "eyJhbGciOiJFUzI1NiJ9.eyJ0ZXN0Ijp0cnVlfQ.c2ln"}, cookie=new)

    def do_GET(self):
        log({"path": self.path, "cookie": self.cookie()})
        try:
            self.resource()
        except Mismatch as e:
            log({"mismatch": str(e)})
            self.answer(400, {"type": "protocol-mismatch", "detail": str(e)})

    def resource(self):
        prefix = "/kbs/v0/resource/"
        if not self.path.startswith(prefix):
            return self.answer(404, {"type": "not-found", "detail": self.path})
        sess = SESSIONS.get(self.cookie())
        if sess is None or sess["attested"] is None:
            return self.answer(401, {"type": "unauthorized", "detail": "no attested session"})
        if ARGS.expire_once and not STATE["expired_once"]:
            STATE["expired_once"] = True
            return self.answer(401, {"type": "unauthorized", "detail": "session expired"})
        res = json.load(open(ARGS.resources))
        path = self.path[len(prefix):]
        if path not in res:
            return self.answer(404, {
                "type": "https://github.com/confidential-containers/kbs/errors/ResourceNotFound",
                "detail": "no resource %s" % path})
        key = jwk.JWK(**sess["attested"])
        self.answer(200, seal(base64.b64decode(res[path]), key))
        return


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def seal(plaintext, key):
    """The resource as Trustee's KBS sends it (kbs-types Response): ECDH-ES+A256KW to the
    tee-pubkey with the ephemeral key `epk` in the protected header, serialized alg, enc,
    then the other members sorted (compact JSON); A256GCM with AAD = ASCII(protected). The
    cryptography is jwcrypto's JWA (RFC 7518 sections 4.6 and 5.3)."""
    enc = jwa.JWA.encryption_alg("A256GCM")
    kw = jwa.JWA.keymgmt_alg("ECDH-ES+A256KW")
    headers = {"alg": "ECDH-ES+A256KW", "enc": "A256GCM"}
    wrapped = kw.wrap(key, enc.wrap_key_size, None, headers)
    hdr = {"alg": "ECDH-ES+A256KW", "enc": "A256GCM"}
    for k in sorted(wrapped["header"]):
        hdr[k] = wrapped["header"][k]
    protected = b64url(json.dumps(hdr, separators=(",", ":")).encode())
    iv, ct, tag = enc.encrypt(wrapped["cek"], protected.encode(), plaintext)
    return {"protected": protected, "encrypted_key": b64url(wrapped["ek"]), "iv": b64url(iv),
            "ciphertext": b64url(ct), "tag": b64url(tag)}


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--resources", required=True)
    p.add_argument("--select", default="sha384")
    p.add_argument("--deny-attest", action="store_true")
    p.add_argument("--expire-once", action="store_true")
    p.add_argument("--init-data")
    p.add_argument("--log")
    p.add_argument("--tls", nargs=2)
    ARGS = p.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if ARGS.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.tls[0], ARGS.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
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
