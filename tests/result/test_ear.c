/* SPDX-License-Identifier: Apache-2.0 */
/* EAR tokens and JWKS: issue with teectl, verify with an independent implementation
 * (verify_jwt.py: python cryptography and the openssl CLI), and every rejection path
 * of tc_ear_verify. argv[1]: path of verify_jwt.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "teectl/appraisal.h"
#include "teectl/ear.h"
#include "testlib.h"

static const char *script;
static char tmpdir[256];

#define IAT 1751623200 /* 2025-07-04T10:00:00Z */
#define TTL 300

/* ---- helpers (independent of teectl) ----------------------------------------------- */

static char *b64url(const uint8_t *in, size_t n) {
  char *out = malloc(4 * ((n + 2) / 3) + 1);
  assert_non_null(out);
  int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
  while (len > 0 && out[len - 1] == '=')
    len--;
  out[len] = '\0';
  for (int i = 0; i < len; i++)
    out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
  return out;
}

static uint8_t *b64url_dec(const char *in, size_t n, size_t *outlen) {
  char *t = malloc(n + 4);
  assert_non_null(t);
  memcpy(t, in, n);
  for (size_t i = 0; i < n; i++)
    t[i] = t[i] == '-' ? '+' : t[i] == '_' ? '/' : t[i];
  size_t m = n;
  while (m % 4)
    t[m++] = '=';
  uint8_t *out = malloc(m);
  assert_non_null(out);
  int len = EVP_DecodeBlock(out, (unsigned char *)t, (int)m);
  assert_true(len >= 0);
  *outlen = (size_t)len - (m - n);
  free(t);
  return out;
}

static char *write_tmp(const char *name, const char *text) {
  char *path = malloc(strlen(tmpdir) + strlen(name) + 2);
  assert_non_null(path);
  sprintf(path, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  return path;
}

/* Run verify_jwt.py; returns its exit code (3: method unavailable). payload (if
 * non-NULL) receives the printed payload JSON. */
static int independent_verify(const char *method, const char *jwt, const json_t *jwks,
                              json_t **payload) {
  char *tok = write_tmp("token.jwt", jwt);
  char *text = json_dumps(jwks, 0);
  char *jw = write_tmp("jwks.json", text);
  free(text);
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "python3 '%s' %s '%s' '%s'", script, method, tok, jw);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  char buf[16384];
  size_t n = fread(buf, 1, sizeof buf - 1, p);
  buf[n] = '\0';
  int rc = pclose(p);
  rc = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  if (payload)
    *payload = rc == 0 ? json_loads(buf, 0, NULL) : NULL;
  free(tok);
  free(jw);
  return rc;
}

static json_t *sample_appraisal(void) {
  return json_pack("{s:s, s:{s:i, s:i}, s:s, s:[], s:[s], s:s}", "ear.status", "warning",
                   "ear.trustworthiness-vector", "hardware", 2, "executables", 0,
                   "ear.appraisal-policy-id", "teectl-default-strict", "failed_rules",
                   "unappraised", "measurement", "measurement",
                   "c57729018b0a6fb90dc17bb138b0aa35e4401004283ff4a2c24d3739ff3750f5"
                   "2384370e77b7032862a08c440a9bc4dc");
}

static char *issue(const tc_keyset *ks, const char *nonce) {
  tc_ear_params prm = {.issuer = "https://attest.example", .nonce = nonce, .iat = IAT, .ttl = TTL};
  json_t *a = sample_appraisal();
  json_t *rd = json_pack("{s:s, s:s}", "kty", "OKP", "crv", "X25519");
  char *jwt = NULL;
  tc_error err;
  tc_status st = tc_ear_issue(ks, &prm, "snp", a, rd, &jwt, &err);
  if (st != TC_OK)
    fprintf(stderr, "tc_ear_issue: %s: %s\n", err.reason, err.detail);
  assert_int_equal(st, TC_OK);
  /* the caller's objects are serialised by reference, never changed */
  json_t *a0 = sample_appraisal();
  assert_true(json_equal(a, a0));
  assert_null(json_object_get(a, "runtime_data"));
  assert_int_equal(json_object_size(rd), 2);
  json_decref(a0);
  json_decref(a);
  json_decref(rd);
  return jwt;
}

/* Independent RFC 7638 thumbprint of an EC JWK: SHA-256 of the canonical JSON members. */
static char *thumbprint(const json_t *jwk) {
  char canon[512];
  snprintf(canon, sizeof canon, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
           json_string_value(json_object_get(jwk, "x")),
           json_string_value(json_object_get(jwk, "y")));
  uint8_t md[32];
  SHA256((const unsigned char *)canon, strlen(canon), md);
  return b64url(md, sizeof md);
}

/* ---- tests ------------------------------------------------------------------------- */

static void test_issue_and_independent_verify(void **state) {
  (void)state;
  tc_keyset *ks = NULL;
  tc_error err;
  assert_int_equal(tc_keyset_generate_ephemeral(&ks, &err), TC_OK);
  json_t *jwks = tc_keyset_jwks(ks);
  assert_int_equal(json_array_size(json_object_get(jwks, "keys")), 1);
  json_t *k0 = json_array_get(json_object_get(jwks, "keys"), 0);
  assert_null(json_object_get(k0, "d"));
  assert_string_equal(json_string_value(json_object_get(k0, "alg")), "ES256");
  assert_string_equal(json_string_value(json_object_get(k0, "use")), "sig");
  char *thp = thumbprint(k0);
  assert_string_equal(tc_keyset_signing_kid(ks), thp);
  assert_string_equal(json_string_value(json_object_get(k0, "kid")), thp);
  free(thp);

  char *jwt = issue(ks, "bm9uY2U");
  int ran = 0;
  const char *methods[] = {"cryptography", "openssl"};
  for (int m = 0; m < 2; m++) {
    json_t *payload = NULL;
    int rc = independent_verify(methods[m], jwt, jwks, &payload);
    if (rc == 3) {
      fprintf(stderr, "note: independent method %s not available\n", methods[m]);
      continue;
    }
    assert_int_equal(rc, 0);
    ran++;
    assert_non_null(payload);
    assert_int_equal(json_integer_value(json_object_get(payload, "iat")), IAT);
    assert_int_equal(json_integer_value(json_object_get(payload, "nbf")), IAT);
    assert_int_equal(json_integer_value(json_object_get(payload, "exp")), IAT + TTL);
    assert_string_equal(json_string_value(json_object_get(payload, "eat_profile")),
                        "tag:github.com,2023:veraison/ear");
    assert_string_equal(json_string_value(json_object_get(payload, "eat_nonce")), "bm9uY2U");
    assert_string_equal(json_string_value(json_object_get(payload, "iss")),
                        "https://attest.example");
    /* jti: 16 random bytes, base64url without padding = 22 characters */
    assert_int_equal(strlen(json_string_value(json_object_get(payload, "jti"))), 22);
    json_t *snp = json_object_get(json_object_get(payload, "submods"), "snp");
    assert_string_equal(json_string_value(json_object_get(snp, "ear.status")), "warning");
    assert_string_equal(json_string_value(json_object_get(snp, "ear.appraisal-policy-id")),
                        "teectl-default-strict");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(snp, "runtime_data"), "crv")), "X25519");
    assert_non_null(json_object_get(json_object_get(payload, "ear.verifier-id"), "build"));
    json_decref(payload);
  }
  assert_true(ran >= 1);

  /* header: alg ES256, typ JWT, kid = thumbprint (decoded independently) */
  size_t hl;
  uint8_t *h = b64url_dec(jwt, (size_t)(strchr(jwt, '.') - jwt), &hl);
  json_t *hdr = json_loadb((const char *)h, hl, 0, NULL);
  char want_hdr[160]; /* RFC 7515 section 7.1's protected header, compact with sorted keys */
  snprintf(want_hdr, sizeof want_hdr, "{\"alg\":\"ES256\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
           tc_keyset_signing_kid(ks));
  assert_int_equal(hl, strlen(want_hdr));
  assert_memory_equal(h, want_hdr, hl);
  assert_string_equal(json_string_value(json_object_get(hdr, "alg")), "ES256");
  assert_string_equal(json_string_value(json_object_get(hdr, "typ")), "JWT");
  assert_string_equal(json_string_value(json_object_get(hdr, "kid")), tc_keyset_signing_kid(ks));
  json_decref(hdr);
  free(h);

  /* and teectl's own verifier accepts it inside the window */
  json_t *claims = NULL;
  assert_int_equal(tc_ear_verify(jwt, jwks, IAT + 10, 0, &claims, &err), TC_OK);
  assert_int_equal(json_integer_value(json_object_get(claims, "exp")), IAT + TTL);
  json_decref(claims);
  free(jwt);
  json_decref(jwks);
  tc_keyset_free(ks);
}

static void test_tampered_payload(void **state) {
  (void)state;
  tc_keyset *ks = NULL;
  tc_error err;
  assert_int_equal(tc_keyset_generate_ephemeral(&ks, &err), TC_OK);
  json_t *jwks = tc_keyset_jwks(ks);
  char *jwt = issue(ks, NULL);
  char *d1 = strchr(jwt, '.'), *d2 = strchr(d1 + 1, '.');
  size_t pl;
  uint8_t *p = b64url_dec(d1 + 1, (size_t)(d2 - d1 - 1), &pl);
  char *text = malloc(pl + 1);
  memcpy(text, p, pl);
  text[pl] = '\0';
  char *w = strstr(text, "\"warning\"");
  assert_non_null(w);
  json_t *payload = json_loads(text, 0, NULL);
  json_object_set_new(json_object_get(json_object_get(payload, "submods"), "snp"), "ear.status",
                      json_string("affirming"));
  char *forged_text = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
  char *forged_b64 = b64url((const uint8_t *)forged_text, strlen(forged_text));
  size_t n = (size_t)(d1 - jwt) + strlen(forged_b64) + strlen(d2) + 2;
  char *forged = malloc(n);
  snprintf(forged, n, "%.*s.%s%s", (int)(d1 - jwt), jwt, forged_b64, d2);

  json_t *claims = NULL;
  assert_int_equal(tc_ear_verify(forged, jwks, IAT + 1, 0, &claims, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "token_signature_invalid");
  assert_null(claims);
  /* the independent checker rejects it too (so it can fail) */
  int rc = independent_verify("cryptography", forged, jwks, NULL);
  if (rc == 3)
    rc = independent_verify("openssl", forged, jwks, NULL);
  assert_int_equal(rc, 1);

  /* one flipped signature bit */
  char *bad = strdup(jwt);
  char *sig = strrchr(bad, '.') + 1;
  sig[5] = sig[5] == 'A' ? 'B' : 'A';
  assert_int_equal(tc_ear_verify(bad, jwks, IAT + 1, 0, &claims, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "token_signature_invalid");

  free(bad);
  free(forged);
  free(forged_b64);
  free(forged_text);
  json_decref(payload);
  free(text);
  free(p);
  free(jwt);
  json_decref(jwks);
  tc_keyset_free(ks);
}

static void test_wrong_kid_and_key(void **state) {
  (void)state;
  tc_keyset *ks = NULL, *other = NULL;
  tc_error err;
  assert_int_equal(tc_keyset_generate_ephemeral(&ks, &err), TC_OK);
  assert_int_equal(tc_keyset_generate_ephemeral(&other, &err), TC_OK);
  char *jwt = issue(ks, NULL);
  json_t *claims = NULL;

  json_t *ojwks = tc_keyset_jwks(other);
  assert_int_equal(tc_ear_verify(jwt, ojwks, IAT + 1, 0, &claims, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "token_kid_unknown");

  /* right kid, wrong key material */
  json_t *k = json_array_get(json_object_get(ojwks, "keys"), 0);
  json_object_set_new(k, "kid", json_string(tc_keyset_signing_kid(ks)));
  assert_int_equal(tc_ear_verify(jwt, ojwks, IAT + 1, 0, &claims, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "token_signature_invalid");

  /* a JWKS entry that is not P-256 under the right kid */
  json_object_set_new(k, "crv", json_string("P-384"));
  assert_int_equal(tc_ear_verify(jwt, ojwks, IAT + 1, 0, &claims, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "token_kid_unknown");

  /* not a JWKS at all */
  json_t *junk = json_pack("{s:s}", "hello", "world");
  assert_int_equal(tc_ear_verify(jwt, junk, IAT + 1, 0, &claims, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "jwks_invalid");
  json_decref(junk);

  json_decref(ojwks);
  free(jwt);
  tc_keyset_free(ks);
  tc_keyset_free(other);
}

static char *craft(const char *header_json, const char *payload_json, const char *sig_b64) {
  char *h = b64url((const uint8_t *)header_json, strlen(header_json));
  char *p = b64url((const uint8_t *)payload_json, strlen(payload_json));
  size_t n = strlen(h) + strlen(p) + strlen(sig_b64) + 3;
  char *out = malloc(n);
  snprintf(out, n, "%s.%s.%s", h, p, sig_b64);
  free(h);
  free(p);
  return out;
}

static void test_alg_none_and_hs256(void **state) {
  (void)state;
  tc_keyset *ks = NULL;
  tc_error err;
  assert_int_equal(tc_keyset_generate_ephemeral(&ks, &err), TC_OK);
  json_t *jwks = tc_keyset_jwks(ks);
  const char *kid = tc_keyset_signing_kid(ks);
  char payload[512], header[512];
  snprintf(payload, sizeof payload,
           "{\"eat_profile\":\"x\",\"exp\":%d,\"iat\":%d,\"submods\":{\"snp\":{\"ear.status\":"
           "\"affirming\"}}}",
           IAT + TTL, IAT);
  json_t *claims = NULL;

  snprintf(header, sizeof header, "{\"alg\":\"none\",\"kid\":\"%s\"}", kid);
  char *t = craft(header, payload, "");
  /* The header is judged before the signature part: an empty one does not hide the alg. */
  assert_int_equal(tc_ear_verify(t, jwks, IAT + 1, 0, &claims, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "token_alg_unsupported");
  free(t);
  t = craft(header, payload, "AAAA");
  assert_int_equal(tc_ear_verify(t, jwks, IAT + 1, 0, &claims, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "token_alg_unsupported");
  free(t);

  /* HS256 keyed with the public key text (the classic key-confusion forgery) */
  snprintf(header, sizeof header, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
  char *unsigned_tok = craft(header, payload, "x");
  *strrchr(unsigned_tok, '.') = '\0';
  char *key = json_dumps(json_array_get(json_object_get(jwks, "keys"), 0), JSON_COMPACT);
  uint8_t mac[32];
  unsigned int ml = sizeof mac;
  HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)unsigned_tok,
       strlen(unsigned_tok), mac, &ml);
  char *mac64 = b64url(mac, ml);
  t = craft(header, payload, mac64);
  assert_int_equal(tc_ear_verify(t, jwks, IAT + 1, 0, &claims, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "token_alg_unsupported");
  assert_null(claims);
  free(t);
  free(mac64);
  free(key);
  free(unsigned_tok);

  /* crit and a foreign typ are refused */
  snprintf(header, sizeof header, "{\"alg\":\"ES256\",\"kid\":\"%s\",\"crit\":[\"b64\"]}", kid);
  t = craft(header, payload, "AAAA");
  assert_int_equal(tc_ear_verify(t, jwks, IAT + 1, 0, &claims, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "token_alg_unsupported");
  free(t);

  /* malformed shapes */
  const char *bad[] = {"", "abc", "a.b", "a.b.c.d", "a.b.c", "!!.b.c", "e30.e30.AAAA"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    tc_status st = tc_ear_verify(bad[i], jwks, IAT + 1, 0, &claims, &err);
    assert_int_not_equal(st, TC_OK);
    assert_null(claims);
  }
  /* ... each with its reason and what is malformed */
  const struct {
    const char *tok, *reason, *detail;
  } shapes[] = {
      {"", "token_malformed", "found 1"},
      {"abc", "token_malformed", "found 1"},
      {"a.b", "token_malformed", "found 2"},
      {"a.b.c.d", "token_malformed", "found 4"},
      {"a.b.c", "token_malformed", "the header part is not base64url: 1 characters"},
      {"!!.b.c", "token_malformed", "the header part is not base64url: '!' at offset 0"},
      {".e30.AAAA", "token_malformed", "the header part is empty"},
      {"W10.e30.AAAA", "token_malformed", "the header is JSON but not an object"},
      {"e30x.e30.AAAA", "token_malformed", "the header is not JSON"},
      {"e30.e30.AAAA", "token_alg_unsupported", "alg \"(missing)\""},
  };
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    tc_ear_verify(shapes[i].tok, jwks, IAT + 1, 0, &claims, &err);
    if (strcmp(err.reason, shapes[i].reason) != 0 || strstr(err.detail, shapes[i].detail) == NULL)
      fail_msg("'%s': %s: %s; expected %s: %s", shapes[i].tok, err.reason, err.detail,
               shapes[i].reason, shapes[i].detail);
  }
  json_decref(jwks);
  tc_keyset_free(ks);
}

static void test_time_window(void **state) {
  (void)state;
  tc_keyset *ks = NULL;
  tc_error err;
  assert_int_equal(tc_keyset_generate_ephemeral(&ks, &err), TC_OK);
  json_t *jwks = tc_keyset_jwks(ks);
  char *jwt = issue(ks, NULL);
  json_t *claims = NULL;
  assert_int_equal(tc_ear_verify(jwt, jwks, IAT, 0, &claims, &err), TC_OK);
  json_decref(claims);
  assert_int_equal(tc_ear_verify(jwt, jwks, IAT + TTL - 1, 0, &claims, &err), TC_OK);
  json_decref(claims);
  assert_int_equal(tc_ear_verify(jwt, jwks, IAT + TTL, 0, &claims, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "token_expired");
  assert_non_null(strstr(err.detail, "2025-07-04T10:05:00Z"));
  assert_int_equal(tc_ear_verify(jwt, jwks, IAT - 1, 0, &claims, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "token_not_yet_valid");

  /* leeway for clock skew: exp + leeway and nbf/iat - leeway */
  assert_int_equal(tc_ear_verify(jwt, jwks, IAT + TTL + 29, 30, &claims, &err), TC_OK);
  json_decref(claims);
  assert_int_equal(tc_ear_verify(jwt, jwks, IAT + TTL + 30, 30, &claims, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "token_expired");
  assert_int_equal(tc_ear_verify(jwt, jwks, IAT - 30, 30, &claims, &err), TC_OK);
  json_decref(claims);
  assert_int_equal(tc_ear_verify(jwt, jwks, IAT - 31, 30, &claims, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "token_not_yet_valid");
  assert_int_equal(tc_ear_verify(jwt, jwks, IAT, -1, &claims, &err), TC_ERR_USAGE);
  assert_int_equal(tc_ear_verify(jwt, jwks, IAT, 3601, &claims, &err), TC_ERR_USAGE);

  tc_ear_params prm = {.iat = IAT, .ttl = 0};
  json_t *a = sample_appraisal();
  char *t = NULL;
  assert_int_equal(tc_ear_issue(ks, &prm, "snp", a, NULL, &t, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "ear_params_invalid");
  prm.ttl = 31 * 86400 + 1;
  assert_int_equal(tc_ear_issue(ks, &prm, "snp", a, NULL, &t, &err), TC_ERR_USAGE);
  prm.ttl = 60;
  prm.iat = 253402300800LL; /* 10000-01-01 */
  assert_int_equal(tc_ear_issue(ks, &prm, "snp", a, NULL, &t, &err), TC_ERR_USAGE);
  prm.iat = -1;
  assert_int_equal(tc_ear_issue(ks, &prm, "snp", a, NULL, &t, &err), TC_ERR_USAGE);
  prm.iat = IAT;
  assert_int_equal(tc_ear_issue(ks, &prm, "", a, NULL, &t, &err), TC_ERR_USAGE);
  json_object_set_new(a, "ear.status", json_string("great"));
  assert_int_equal(tc_ear_issue(ks, &prm, "snp", a, NULL, &t, &err), TC_ERR_USAGE);
  assert_null(t);
  json_decref(a);
  free(jwt);
  json_decref(jwks);
  tc_keyset_free(ks);
}

/* Write an EC key of the given curve (or RSA when curve == NULL) as PEM files. */
static EVP_PKEY *gen_pem(const char *curve, const char *priv_name, const char *pub_name) {
  EVP_PKEY *pk = curve ? EVP_EC_gen(curve) : EVP_RSA_gen(2048);
  assert_non_null(pk);
  char path[512];
  snprintf(path, sizeof path, "%s/%s", tmpdir, priv_name);
  FILE *f = fopen(path, "w");
  assert_true(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL) == 1);
  fclose(f);
  if (pub_name) {
    snprintf(path, sizeof path, "%s/%s", tmpdir, pub_name);
    f = fopen(path, "w");
    assert_true(PEM_write_PUBKEY(f, pk) == 1);
    fclose(f);
  }
  return pk;
}

static char *coord_b64(EVP_PKEY *pk, const char *param) {
  BIGNUM *bn = NULL;
  assert_true(EVP_PKEY_get_bn_param(pk, param, &bn) == 1);
  uint8_t raw[32];
  assert_int_equal(BN_bn2binpad(bn, raw, sizeof raw), 32);
  BN_free(bn);
  return b64url(raw, sizeof raw);
}

static void test_keyset_files_and_rotation(void **state) {
  (void)state;
  EVP_PKEY *old = gen_pem("P-256", "old.pem", "old.pub.pem");
  EVP_PKEY *cur = gen_pem("P-256", "cur.pem", NULL);
  char p_old[512], p_oldpub[512], p_cur[512];
  snprintf(p_old, sizeof p_old, "%s/old.pem", tmpdir);
  snprintf(p_oldpub, sizeof p_oldpub, "%s/old.pub.pem", tmpdir);
  snprintf(p_cur, sizeof p_cur, "%s/cur.pem", tmpdir);
  tc_error err;

  tc_keyset *ks_old = NULL, *ks = NULL;
  assert_int_equal(tc_keyset_load(p_old, NULL, 0, &ks_old, &err), TC_OK);
  const char *pubs[] = {p_oldpub};
  assert_int_equal(tc_keyset_load(p_cur, pubs, 1, &ks, &err), TC_OK);
  json_t *jwks = tc_keyset_jwks(ks);
  json_t *keys = json_object_get(jwks, "keys");
  assert_int_equal(json_array_size(keys), 2);
  /* JWKS coordinates are the keys' own (independently from OpenSSL) */
  char *cx = coord_b64(cur, OSSL_PKEY_PARAM_EC_PUB_X),
       *cy = coord_b64(cur, OSSL_PKEY_PARAM_EC_PUB_Y);
  char *ox = coord_b64(old, OSSL_PKEY_PARAM_EC_PUB_X),
       *oy = coord_b64(old, OSSL_PKEY_PARAM_EC_PUB_Y);
  json_t *k0 = json_array_get(keys, 0), *k1 = json_array_get(keys, 1);
  assert_string_equal(json_string_value(json_object_get(k0, "x")), cx);
  assert_string_equal(json_string_value(json_object_get(k0, "y")), cy);
  assert_string_equal(json_string_value(json_object_get(k1, "x")), ox);
  assert_string_equal(json_string_value(json_object_get(k1, "y")), oy);
  assert_null(json_object_get(k0, "d"));
  assert_null(json_object_get(k1, "d"));

  /* a token of the previous key still verifies with the rotated JWKS */
  char *jwt = issue(ks_old, NULL);
  json_t *claims = NULL;
  assert_int_equal(tc_ear_verify(jwt, jwks, IAT + 1, 0, &claims, &err), TC_OK);
  json_decref(claims);
  int rc = independent_verify("cryptography", jwt, jwks, NULL);
  if (rc == 3)
    rc = independent_verify("openssl", jwt, jwks, NULL);
  assert_int_equal(rc, 0);
  free(jwt);
  jwt = issue(ks, NULL);
  assert_int_equal(tc_ear_verify(jwt, jwks, IAT + 1, 0, &claims, &err), TC_OK);
  json_decref(claims);
  free(jwt);

  /* a JWK file with its own kid keeps it */
  char jwkt[512];
  snprintf(jwkt, sizeof jwkt,
           "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"kid\":\"k-2025\"}", ox,
           oy);
  char *p_jwk = write_tmp("old.jwk", jwkt);
  const char *pubs2[] = {p_jwk};
  tc_keyset *ks2 = NULL;
  assert_int_equal(tc_keyset_load(p_cur, pubs2, 1, &ks2, &err), TC_OK);
  json_t *jwks2 = tc_keyset_jwks(ks2);
  assert_string_equal(
      json_string_value(json_object_get(json_array_get(json_object_get(jwks2, "keys"), 1), "kid")),
      "k-2025");
  json_decref(jwks2);
  tc_keyset_free(ks2);

  /* the same kid for a different key is refused */
  snprintf(jwkt, sizeof jwkt,
           "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"kid\":\"%s\"}", ox, oy,
           tc_keyset_signing_kid(ks));
  char *p_dup = write_tmp("dup.jwk", jwkt);
  const char *pubs3[] = {p_dup};
  assert_int_equal(tc_keyset_load(p_cur, pubs3, 1, &ks2, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "key_kid_duplicate");

  /* wrong key kinds */
  EVP_PKEY *p384 = gen_pem("P-384", "p384.pem", NULL);
  EVP_PKEY *rsa = gen_pem(NULL, "rsa.pem", NULL);
  char path[512];
  snprintf(path, sizeof path, "%s/p384.pem", tmpdir);
  assert_int_equal(tc_keyset_load(path, NULL, 0, &ks2, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "key_unsupported");
  snprintf(path, sizeof path, "%s/rsa.pem", tmpdir);
  assert_int_equal(tc_keyset_load(path, NULL, 0, &ks2, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "key_unsupported");
  assert_int_equal(tc_keyset_load(p_oldpub, NULL, 0, &ks2, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "key_invalid"); /* a public key cannot sign */
  /* an encrypted private key fails (no passphrase prompt) */
  snprintf(path, sizeof path, "%s/enc.pem", tmpdir);
  FILE *ef = fopen(path, "w");
  assert_true(PEM_write_PrivateKey(ef, cur, EVP_aes_256_cbc(), (const unsigned char *)"secret", 6,
                                   NULL, NULL) == 1);
  fclose(ef);
  assert_int_equal(tc_keyset_load(path, NULL, 0, &ks2, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "key_invalid");
  char *p_junk = write_tmp("junk.pem", "not a key\n");
  assert_int_equal(tc_keyset_load(p_junk, NULL, 0, &ks2, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "key_invalid");
  assert_non_null(strstr(err.detail, "junk.pem"));
  snprintf(path, sizeof path, "%s/missing.pem", tmpdir);
  assert_int_equal(tc_keyset_load(path, NULL, 0, &ks2, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "key_unreadable");
  assert_null(ks2);

  EVP_PKEY_free(p384);
  EVP_PKEY_free(rsa);
  free(p_junk);
  free(p_dup);
  free(p_jwk);
  free(cx);
  free(cy);
  free(ox);
  free(oy);
  json_decref(jwks);
  tc_keyset_free(ks);
  tc_keyset_free(ks_old);
  EVP_PKEY_free(old);
  EVP_PKEY_free(cur);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s VERIFY_JWT_PY\n", argv[0]);
    return 1;
  }
  script = argv[1];
  test_mkdtemp("teectl-ear", tmpdir, sizeof tmpdir);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_issue_and_independent_verify),
      cmocka_unit_test(test_tampered_payload),
      cmocka_unit_test(test_wrong_kid_and_key),
      cmocka_unit_test(test_alg_none_and_hs256),
      cmocka_unit_test(test_time_window),
      cmocka_unit_test(test_keyset_files_and_rotation),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", tmpdir);
  return rc;
}
