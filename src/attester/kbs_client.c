/* SPDX-License-Identifier: Apache-2.0 */
/* Client of a Key Broker Service, as the Confidential Containers attestation-agent talks to one
 * (guest-components attestation-agent/kbs_protocol, KBS_PROTOCOL_VERSION 0.4.0; Trustee
 * kbs/docs/kbs_attestation_protocol.md; kbs-types for the JSON shapes):
 *   POST /kbs/v0/auth    Request   {"version","tee","extra-params":{"supported-hash-algorithms"}}
 *                        -> Challenge {"nonce","extra-params":{"selected-hash-algorithm"?}}
 *                           and the session cookie (kbs-session-id)
 *   POST /kbs/v0/attest  Attestation {"init-data"?,"runtime-data":{"nonce","tee-pubkey"},
 *                        "tee-evidence":{"primary_evidence","additional_evidence"}} -> {"token"}
 *   GET  /kbs/v0/resource/<repository>/<type>/<tag> -> JWE (flattened JSON, RFC 7516 7.2.2)
 * The runtime-data binding (kbs_protocol rcar_client get_composite_evidence): REPORT_DATA =
 * selected hash over the RFC 8785 text of {"nonce","tee-pubkey","additional-evidence"},
 * zero-padded to 64 bytes. No secondary devices here: additional evidence is "". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jose/b64.h>
#include <jose/jwe.h>
#include <jose/jwk.h>

#include "attester/internal.h"
#include "teectl/base64.h"
#include "teectl/crypto.h"
#include "teectl/file.h"
#include "teectl/kbs.h"

#define KBS_PREFIX "/kbs/v0"
#define TEE_KEY_ALG "ECDH-ES+A256KW"
#define MAX_RESOURCES 64

typedef struct kbs_session {
  att_http *c;
  const tc_attester_opts *o;
  const char *tee;
  const char *init_data;
  json_t *priv; /* the tee key pair (JWK with "d"); in memory only */
  json_t *pub;  /* the tee-pubkey JWK as sent */
  char *token;
} kbs_session;

/* Forget the private key: wipe "d" before the JSON value is freed. */
static void key_free(json_t *jwk) {
  json_t *d = json_object_get(jwk, "d");
  if (json_is_string(d))
    tc_cleanse((char *)json_string_value(d), json_string_length(d));
  json_decref(jwk);
}

/* A fresh EC P-256 key pair; tee-pubkey in kbs-types' TeePubKey::EC member order. */
static tc_status new_key(kbs_session *s, tc_error *err) {
  key_free(s->priv);
  json_decref(s->pub);
  s->pub = NULL;
  s->priv = json_pack("{s:s, s:s}", "kty", "EC", "crv", "P-256");
  if (!s->priv || !jose_jwk_gen(NULL, s->priv))
    return tc_fail(err, TC_ERR_INTERNAL, "key_generation_failed", "EC P-256 tee key (libjose)");
  const char *x = json_string_value(json_object_get(s->priv, "x"));
  const char *y = json_string_value(json_object_get(s->priv, "y"));
  s->pub = x && y ? json_pack("{s:s, s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-256", "alg",
                              TEE_KEY_ALG, "x", x, "y", y)
                  : NULL;
  return s->pub ? TC_OK : tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "tee-pubkey");
}

/* Answer of a refused or failed step: 401/403 and other 4xx are the broker's "no". */
static tc_status step_failed(const char *step, long code, const char *ans, tc_error *err) {
  att_refusal(code, ans, err);
  size_t n = strlen(err->detail);
  if (n + strlen(step) + 4 < sizeof err->detail) {
    memmove(err->detail + strlen(step) + 2, err->detail, n + 1);
    memcpy(err->detail, step, strlen(step));
    memcpy(err->detail + strlen(step), ": ", 2);
  }
  return err->status;
}

static tc_status post_json(kbs_session *s, const char *path, json_t *req, long *code, json_t **resp,
                           char **raw, tc_error *err) {
  char *body = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(req);
  if (!body)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "%s request", path);
  tc_status st = att_http_do(s->c, "POST", path, body, code, raw, err);
  free(body);
  if (st == TC_OK)
    *resp = json_loads(*raw, JSON_REJECT_DUPLICATES, NULL);
  return st;
}

static tc_status primary_evidence(const tc_evidence *ev, json_t **out, tc_error *err) {
  if (ev->json) { /* the attestation-agent's own wire form */
    *out = json_incref(ev->json);
    return TC_OK;
  }
  if (strcmp(ev->tee, "snp") == 0)
    return tc_snp_evidence_json(ev->evidence.data, ev->evidence.len, ev->aux.data, ev->aux.len, out,
                                err);
  char *q = tc_b64_encode(ev->evidence.data, ev->evidence.len, TC_B64_STD);
  *out = !q                            ? NULL
         : strcmp(ev->tee, "tdx") == 0 ? json_pack("{s:n, s:s}", "cc_eventlog", "quote", q)
                                       : json_pack("{s:s}", "quote", q);
  free(q);
  return *out ? TC_OK : tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "evidence JSON");
}

/* REPORT_DATA for the challenge's nonce (kbs_protocol get_composite_evidence), with the
 * broker's own binding code (src/kbs/binding.c: RFC 8785 text, digest, zero padding). */
static tc_status runtime_binding(kbs_session *s, const char *nonce, tc_kbs_hash h, uint8_t rd[64],
                                 tc_error *err) {
  return tc_kbs_runtime_data_digest(h, nonce, s->pub, "", rd, err);
}

/* auth -> attest: on success s->token is set and the cookie jar holds the session. */
static tc_status handshake(kbs_session *s, tc_error *err) {
  long code = 0;
  json_t *resp = NULL, *req;
  char *raw = NULL;
  tc_evidence ev = {0};
  req = json_pack("{s:s, s:s, s:{s:[s,s,s]}}", "version", TC_KBS_PROTOCOL_VERSION, "tee", s->tee,
                  "extra-params", "supported-hash-algorithms", "sha256", "sha384", "sha512");
  tc_status st = post_json(s, KBS_PREFIX "/auth", req, &code, &resp, &raw, err);
  if (st != TC_OK)
    goto out;
  if (code != 200) {
    st = step_failed("auth", code, raw, err);
    goto out;
  }
  const char *nonce = json_string_value(json_object_get(resp, "nonce"));
  json_t *xp = json_object_get(resp, "extra-params");
  json_t *sel = json_object_get(xp, "selected-hash-algorithm");
  if (!nonce || (sel && !json_is_string(sel))) {
    st = tc_fail(err, TC_ERR_PARSE, "kbs_answer_invalid",
                 "auth: the challenge has no nonce string, or a non-string "
                 "selected-hash-algorithm");
    goto out;
  }
  const char *alg = sel ? json_string_value(sel) : "sha384";
  tc_kbs_hash md = tc_kbs_hash_from_name(alg);
  if (!md) {
    st = tc_fail(err, TC_ERR_PARSE, "hash_algorithm_unsupported",
                 "auth: the broker selected '%s' (offered: sha256, sha384, sha512)", alg);
    goto out;
  }
  uint8_t rd[64];
  if ((st = new_key(s, err)) != TC_OK || (st = runtime_binding(s, nonce, md, rd, err)) != TC_OK ||
      (st = tc_attester_evidence(s->o, rd, &ev, err)) != TC_OK)
    goto out;
  json_t *pe = NULL;
  if ((st = primary_evidence(&ev, &pe, err)) != TC_OK)
    goto out;
  req = json_object();
  if (s->init_data)
    json_object_set_new(req, "init-data",
                        json_pack("{s:s, s:s}", "format", "toml", "body", s->init_data));
  json_object_set_new(req, "runtime-data",
                      json_pack("{s:s, s:O}", "nonce", nonce, "tee-pubkey", s->pub));
  json_object_set_new(req, "tee-evidence",
                      json_pack("{s:o, s:s}", "primary_evidence", pe, "additional_evidence", ""));
  json_decref(resp);
  resp = NULL;
  free(raw);
  raw = NULL;
  if ((st = post_json(s, KBS_PREFIX "/attest", req, &code, &resp, &raw, err)) != TC_OK)
    goto out;
  if (code != 200) {
    st = step_failed("attest", code, raw, err);
    goto out;
  }
  const char *tok = json_string_value(json_object_get(resp, "token"));
  if (!tok || !*tok) {
    st = tc_fail(err, TC_ERR_PARSE, "kbs_answer_invalid", "attest: 200 without a token");
    goto out;
  }
  free(s->token);
  s->token = strdup(tok);
out:
  tc_evidence_free(&ev);
  json_decref(resp);
  free(raw);
  return st;
}

/* Decrypt a resource answer (kbs-types Response: flattened JWE without "aad"). Only what this
 * key asked for is accepted: alg ECDH-ES+A256KW, enc A256GCM. */
static tc_status decrypt(kbs_session *s, const char *path, const char *raw, tc_buf *out,
                         tc_error *err) {
  json_t *jwe = json_loads(raw, JSON_REJECT_DUPLICATES, NULL);
  static const char *const need[] = {"protected", "encrypted_key", "iv", "ciphertext", "tag"};
  tc_status st = TC_OK;
  for (size_t i = 0; i < 5 && st == TC_OK; i++)
    if (!json_is_string(json_object_get(jwe, need[i])))
      st = tc_fail(err, TC_ERR_VERIFY, "jwe_invalid", "resource %s: the JWE has no '%s' string",
                   path, need[i]);
  if (st == TC_OK && json_object_get(jwe, "aad"))
    st = tc_fail(err, TC_ERR_VERIFY, "jwe_invalid",
                 "resource %s: the JWE carries 'aad', which the protocol's response has not", path);
  json_t *hdr = st == TC_OK ? jose_b64_dec_load(json_object_get(jwe, "protected")) : NULL;
  if (st == TC_OK) {
    const char *alg = json_string_value(json_object_get(hdr, "alg"));
    const char *enc = json_string_value(json_object_get(hdr, "enc"));
    if (!alg || !enc || strcmp(alg, TEE_KEY_ALG) != 0 || strcmp(enc, "A256GCM") != 0)
      st = tc_fail(err, TC_ERR_VERIFY, "jwe_invalid",
                   "resource %s: protected header alg '%s', enc '%s' (expected " TEE_KEY_ALG
                   ", A256GCM)",
                   path, alg ? alg : "?", enc ? enc : "?");
  }
  if (st == TC_OK) {
    size_t len = 0;
    void *pt = jose_jwe_dec(NULL, jwe, NULL, s->priv, &len);
    if (!pt)
      st = tc_fail(err, TC_ERR_VERIFY, "jwe_decrypt_failed",
                   "resource %s: the JWE does not decrypt with this tee key (wrong key, or "
                   "altered)",
                   path);
    else {
      out->data = pt;
      out->len = len;
    }
  }
  json_decref(hdr);
  json_decref(jwe);
  return st;
}

static tc_status fetch(kbs_session *s, const char *path, tc_buf *out, tc_error *err) {
  size_t ul = strlen(path) + 32;
  char *url = malloc(ul);
  if (!url)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "URL");
  snprintf(url, ul, KBS_PREFIX "/resource/%s", path);
  tc_status st = TC_OK;
  for (int round = 0; round < 2; round++) {
    long code;
    char *raw = NULL;
    st = att_http_do(s->c, "GET", url, NULL, &code, &raw, err);
    if (st != TC_OK) {
      free(raw);
      break;
    }
    if (code == 200)
      st = decrypt(s, path, raw, out, err);
    else if (code == 401 && round == 0) {
      /* The session ended (expired cookie): attest again, as the agent does. */
      free(raw);
      if ((st = handshake(s, err)) != TC_OK)
        break;
      continue;
    } else if (code == 404) {
      att_refusal(code, raw, err);
      st = tc_fail(err, TC_ERR_VERIFY, "resource_not_found", "resource %s: %s", path, err->detail);
    } else {
      char step[300];
      snprintf(step, sizeof step, "resource %s", path);
      st = step_failed(step, code, raw, err);
    }
    free(raw);
    break;
  }
  free(url);
  return st;
}

tc_status tc_attest_kbs(const char *url, const tc_attest_http *h, const tc_attester_opts *o,
                        const char *init_data, const tc_kbs_resource *res, size_t n_res,
                        char **token, tc_error *err) {
  *token = NULL;
  if (n_res > MAX_RESOURCES)
    return tc_fail(err, TC_ERR_USAGE, "too_many_resources", "at most %d resources", MAX_RESOURCES);
  kbs_session s = {.o = o, .init_data = init_data};
  tc_status st = tc_attester_tee(o, &s.tee, err);
  if (st != TC_OK)
    return st;
  s.c = att_http_new(url, h);
  if (!s.c)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "HTTP client");
  tc_buf plain[MAX_RESOURCES];
  memset(plain, 0, sizeof plain);
  st = handshake(&s, err);
  /* All secrets are fetched before any is written: a refusal leaves no secret behind. */
  for (size_t i = 0; st == TC_OK && i < n_res; i++)
    st = fetch(&s, res[i].path, &plain[i], err);
  for (size_t i = 0; st == TC_OK && i < n_res; i++)
    st = tc_file_write_atomic_mode(res[i].file, plain[i].data, plain[i].len, 0400, err);
  for (size_t i = 0; i < n_res; i++) {
    if (plain[i].data)
      tc_cleanse(plain[i].data, plain[i].len);
    tc_buf_free(&plain[i]);
  }
  if (st == TC_OK) {
    *token = s.token;
    s.token = NULL;
  }
  free(s.token);
  key_free(s.priv);
  json_decref(s.pub);
  att_http_free(s.c);
  return st;
}
