/* SPDX-License-Identifier: Apache-2.0 */
/* Integration test of `teectl serve`: the real binary on loopback, driven over HTTP.
 * Evidence: SEV-SNP reports signed at test time by an AMD-like test hierarchy
 * (tests/common/snp_forge), so REPORT_DATA can carry the nonce binding, which this test
 * computes itself (SHA-512 with OpenSSL) from the nonce bytes it decodes itself.
 * Tokens are verified by check_token.py (python cryptography / openssl CLI), not teectl.
 * Covers: challenge -> attest -> token, key rotation in the JWKS, every SNP policy rule
 * violated on its own, wrong/expired/forged/malformed/missing nonces, binding mismatch,
 * invalid evidence, malformed requests, limits, unknown routes, compat API, health,
 * metrics, audit records, policy reload, graceful SIGTERM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "snp_serve.h"

#define TTL 120

static srv S;
static snp_serve HIER;
static snp_forge *F; /* HIER's */
static char *ASK_PEM, *ARK_PEM, *VCEK_PEM;
static const uint8_t NONCE_KEY[32] = "0123456789abcdef0123456789abcdef";
static char *POLICY_PATH;
static int n_affirming, n_reloads;

/* Reference values of the good report. */
static void fill(uint8_t *p, size_t n, uint8_t v) {
  memset(p, v, n);
}
static char *hexs(const uint8_t *p, size_t n) {
  char *s = malloc(2 * n + 1);
  for (size_t i = 0; i < n; i++)
    sprintf(s + 2 * i, "%02x", p[i]);
  return s;
}

/* Policy with reference values matching good_report(); extra: JSON object text merged
 * into the "snp" section (or NULL). */
static void write_policy(const char *id, const char *snp_extra) {
  uint8_t m[48], h[32], fam[16], img[16];
  fill(m, 48, 0x11);
  fill(h, 32, 0x22);
  fill(fam, 16, 0x33);
  fill(img, 16, 0x44);
  char *M = hexs(m, 48), *H = hexs(h, 32), *FA = hexs(fam, 16), *I = hexs(img, 16);
  json_t *snp =
      json_pack("{s:[s], s:[s], s:[s], s:[s], s:[i], s:i, s:[i,i],"
                " s:{s:i, s:i, s:i, s:i}, s:{s:i, s:i}, s:{s:i, s:i, s:i}, s:b}",
                "measurements", M, "host_data", H, "family_id", FA, "image_id", I, "vmpls", 0,
                "min_guest_svn", 2, "report_versions", 3, 5, "min_tcb", "bootloader", 3, "tee", 1,
                "snp", 8, "microcode", 115, "min_abi", "major", 1, "minor", 2, "min_firmware",
                "major", 1, "minor", 55, "build", 40, "allow_smt", 1);
  if (snp_extra != NULL) {
    json_t *x = json_loads(snp_extra, 0, NULL);
    assert_non_null(x);
    json_object_update(snp, x);
    json_decref(x);
  }
  json_t *pol = json_pack("{s:s, s:o}", "id", id, "snp", snp);
  char *text = json_dumps(pol, JSON_INDENT(1));
  free(srv_write(&S, "policy.json", text, strlen(text)));
  free(text);
  json_decref(pol);
  free(M);
  free(H);
  free(FA);
  free(I);
}

static void good_report(tc_snp_report *r) {
  snp_forge_report_init(F, 3, r);
  fill(r->measurement, 48, 0x11);
  fill(r->host_data, 32, 0x22);
  fill(r->family_id, 16, 0x33);
  fill(r->image_id, 16, 0x44);
  r->guest_svn = 2;
  r->policy |= (1u << 8) | 2; /* ABI 1.2 */
}

/* POST /v1/challenge; returns the nonce text (malloc'd) and its 56 bytes. */
static char *challenge(uint8_t raw[SRV_NONCE_BYTES]) {
  char *body = NULL;
  assert_int_equal(http(&S, "POST", "/v1/challenge", NULL, NULL, 0, &body), 200);
  json_t *j = json_loads(body, 0, NULL);
  free(body);
  assert_non_null(j);
  const char *n = json_string_value(json_object_get(j, "nonce"));
  const char *exp = json_string_value(json_object_get(j, "expires_at"));
  assert_non_null(n);
  assert_non_null(exp);
  assert_int_equal(strlen(n), SRV_NONCE_CHARS); /* 56 bytes: ceil(56 * 4 / 3) = 75 */
  assert_int_equal(strlen(exp), 20);            /* YYYY-MM-DDThh:mm:ssZ */
  assert_int_equal(b64url_decode(n, raw, SRV_NONCE_BYTES), SRV_NONCE_BYTES);
  char *out = strdup(n);
  json_decref(j);
  return out;
}

static void bind(const uint8_t *nonce, size_t nlen, const char *rd, uint8_t out[64]) {
  size_t rl = rd ? strlen(rd) : 0;
  uint8_t *cat = malloc(nlen + rl + 1);
  memcpy(cat, nonce, nlen);
  if (rl)
    memcpy(cat + nlen, rd, rl);
  SHA512(cat, nlen + rl, out);
  free(cat);
}

/* base64url without padding (malloc'd), from OpenSSL's standard base64. */
static char *b64url(const uint8_t *p, size_t n) {
  char *b = b64_std(p, n);
  size_t l = strlen(b);
  while (l > 0 && b[l - 1] == '=')
    b[--l] = '\0';
  for (char *q = b; *q; q++)
    *q = *q == '+' ? '-' : *q == '/' ? '_' : *q;
  return b;
}

static json_t *certs_json(void) {
  return json_pack("{s:[s,s,s]}", "certificates", ARK_PEM, ASK_PEM, VCEK_PEM);
}

/* POST /v1/attest with a signed report; runtime_data text (or NULL). */
static uint8_t LAST_REP[TC_SNP_REPORT_SIZE]; /* the last report attest() sent */

static long attest(const tc_snp_report *r, const char *nonce, const char *rd, json_t **resp) {
  uint8_t *rep = LAST_REP;
  assert_int_equal(snp_forge_sign_report(F, r, rep), 0);
  char *ev = b64_std(rep, TC_SNP_REPORT_SIZE);
  json_t *req =
      json_pack("{s:s, s:s, s:o}", "tee", "snp", "evidence", ev, "collateral", certs_json());
  if (nonce)
    json_object_set_new(req, "nonce", json_string(nonce));
  if (rd) {
    char *b = b64_std((const unsigned char *)rd, strlen(rd));
    json_object_set_new(req, "runtime_data", json_string(b));
    free(b);
  }
  free(ev);
  return http_json(&S, "/v1/attest", req, resp);
}

/* A fresh nonce, a good report bound to it (after mutate), attest. */
static long attest_fresh(void (*mutate)(tc_snp_report *), json_t **resp) {
  uint8_t raw[SRV_NONCE_BYTES];
  char *n = challenge(raw);
  tc_snp_report r;
  good_report(&r);
  bind(raw, SRV_NONCE_BYTES, NULL, r.report_data);
  if (mutate)
    mutate(&r);
  long st = attest(&r, n, NULL, resp);
  free(n);
  return st;
}

static void expect_error(long st, json_t *resp, long want_st, const char *want_code) {
  if (st != want_st || strcmp(resp_error(resp), want_code) != 0) {
    char *t = resp ? json_dumps(resp, JSON_COMPACT) : NULL;
    fprintf(stderr, "got %ld %s, want %ld %s\n", st, t ? t : "(no JSON)", want_st, want_code);
    free(t);
  }
  assert_int_equal(st, want_st);
  assert_string_equal(resp_error(resp), want_code);
  /* Every 403 names at least one failed rule ({"rule","status","detail"}). */
  if (want_st == 403) {
    json_t *fr = json_object_get(resp, "failed_rules");
    assert_true(json_array_size(fr) >= 1);
    size_t i;
    json_t *e;
    json_array_foreach(fr, i, e) {
      assert_true(json_is_string(json_object_get(e, "rule")));
      assert_string_equal(json_string_value(json_object_get(e, "status")), "contraindicated");
      assert_true(json_string_length(json_object_get(e, "detail")) > 0);
    }
  }
}

/* A 403 whose single failed rule is rule, with a detail starting with detail_prefix. */
static void expect_rule(const json_t *resp, const char *rule, const char *detail_prefix) {
  json_t *fr = json_object_get(resp, "failed_rules");
  assert_int_equal(json_array_size(fr), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(fr, 0), "rule")), rule);
  const char *d = json_string_value(json_object_get(json_array_get(fr, 0), "detail"));
  assert_non_null(d);
  if (strncmp(d, detail_prefix, strlen(detail_prefix)) != 0)
    fail_msg("failed rule %s: detail '%s', expected it to start with '%s'", rule, d, detail_prefix);
}

static int setup(void **state) {
  (void)state;
  snp_forge_opts o;
  snp_forge_opts_init(&o, TC_SNP_MILAN, 0);
  srv_init(&S);
  char hd[300];
  snprintf(hd, sizeof hd, "%s/snp", S.dir);
  if (snp_serve_init(&HIER, hd, &o) != 0)
    return -1;
  F = HIER.forge;
  const tc_buf *ark = snp_forge_ark_pem(F), *ask = snp_forge_ask_pem(F),
               *leaf = snp_forge_leaf_der(F);
  ARK_PEM = strndup((const char *)ark->data, ark->len);
  ASK_PEM = strndup((const char *)ask->data, ask->len);
  VCEK_PEM = der_to_pem(leaf->data, leaf->len);
  char *nk = srv_write(&S, "nonce.key", NONCE_KEY, 32);
  /* Two token keys: the signing key and an older public key still published. */
  char *keys[2];
  for (int i = 0; i < 2; i++) {
    EVP_PKEY *k = EVP_EC_gen("P-256");
    BIO *b = BIO_new(BIO_s_mem());
    if (i == 0)
      PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    else
      PEM_write_bio_PUBKEY(b, k);
    char *d;
    long n = BIO_get_mem_data(b, &d);
    keys[i] = srv_write(&S, i == 0 ? "signing.pem" : "old.pub.pem", d, (size_t)n);
    BIO_free(b);
    EVP_PKEY_free(k);
  }
  write_policy("test-base", NULL);
  POLICY_PATH = strdup(srv_path(&S, "policy.json"));
  const char *args[] = {"--nonce-key",
                        nk,
                        "--signing-key",
                        keys[0],
                        "--public-key",
                        keys[1],
                        "--policy",
                        POLICY_PATH,
                        "--token-ttl",
                        "120",
                        "--issuer",
                        "https://attest.test",
                        "--max-body-bytes",
                        "65536",
                        "--snp-client-certs", /* the requests carry the forged chain */
                        NULL};
  int rc = snp_serve_start(&HIER, &S, SNP_SERVE_ROOT_ONLY, args);
  free(nk);
  free(keys[0]);
  free(keys[1]);
  return rc;
}

static int teardown(void **state) {
  (void)state;
  srv_cleanup(&S);
  snp_serve_free(&HIER);
  free(ARK_PEM);
  free(ASK_PEM);
  free(VCEK_PEM);
  free(POLICY_PATH);
  return 0;
}

/* ---------------------------------------------------------------- the main flow */

static void test_flow_affirming(void **state) {
  (void)state;
  uint8_t raw[SRV_NONCE_BYTES];
  char *n = challenge(raw);
  const char *jwk = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus"
                    "9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}";
  tc_snp_report r;
  good_report(&r);
  bind(raw, SRV_NONCE_BYTES, jwk, r.report_data);
  json_t *resp;
  long st = attest(&r, n, jwk, &resp);
  assert_int_equal(st, 200);
  const char *tok = json_string_value(json_object_get(resp, "token"));
  assert_non_null(tok);
  n_affirming++;
  char *M = hexs(r.measurement, 48);
  /* The test hierarchy is trusted through --trust-root: the token says so. */
  json_t *expect =
      json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:[], s:s, s:{s:s, s:i, s:s}}", "tee", "snp",
                "status", "affirming", "nonce", n, "iss", "https://attest.test", "ttl", TTL,
                "runtime_data", json_loads(jwk, 0, NULL), "failed_rules", "policy_id", "test-base",
                "claims", "measurement", M, "vmpl", 0, "trust_anchor", "operator_trust_root");
  assert_int_equal(check_token(&S, tok, expect), 0);
  free(M);
  /* The audit record names the decision and the evidence digest, never the evidence. */
  uint8_t dg[32]; /* ECDSA signatures are randomized: hash the bytes that were sent */
  SHA256(LAST_REP, sizeof LAST_REP, dg);
  char *dh = hexs(dg, 32);
  assert_int_equal(audit_count(&S, dh), 1);
  free(dh);
  char *ev = b64_std(LAST_REP, sizeof LAST_REP);
  ev[64] = '\0';
  assert_int_equal(audit_count(&S, ev), 0); /* never the evidence itself */
  free(ev);
  assert_int_equal(audit_count(&S, "BEGIN CERTIFICATE"), 0);
  assert_true(audit_count(&S, "\"result\":\"affirming\"") >= 1);
  json_decref(resp);
  free(n);
}

static void test_flow_no_runtime_data(void **state) {
  (void)state;
  json_t *resp;
  assert_int_equal(attest_fresh(NULL, &resp), 200);
  n_affirming++;
  json_t *expect = json_pack("{s:s, s:s}", "tee", "snp", "status", "affirming");
  assert_int_equal(check_token(&S, json_string_value(json_object_get(resp, "token")), expect), 0);
  json_decref(resp);
}

/* The claims of a JWS compact token (its payload, decoded here), or NULL. */
static json_t *token_payload(const char *tok) {
  const char *d1 = strchr(tok, '.');
  const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
  if (d2 == NULL)
    return NULL;
  size_t n = (size_t)(d2 - d1 - 1);
  char *p = strndup(d1 + 1, n);
  unsigned char *raw = malloc(n + 4);
  long len = b64url_decode(p, raw, n + 4);
  json_t *j = len > 0 ? json_loadb((const char *)raw, (size_t)len, 0, NULL) : NULL;
  free(p);
  free(raw);
  return j;
}

/* RFC 9711 (EAT): nonce-type = JC< tstr .size (8..88), bstr .size (8..64) >. In the EAR
 * JWT, eat_nonce is the challenge's text and must be 8..88 characters (ours: 75). */
static void test_token_eat_nonce_size(void **state) {
  (void)state;
  uint8_t raw[SRV_NONCE_BYTES];
  char *n = challenge(raw);
  tc_snp_report r;
  good_report(&r);
  bind(raw, SRV_NONCE_BYTES, NULL, r.report_data);
  json_t *resp;
  assert_int_equal(attest(&r, n, NULL, &resp), 200);
  n_affirming++;
  const char *tok = json_string_value(json_object_get(resp, "token"));
  assert_non_null(tok);
  json_t *claims = token_payload(tok);
  assert_non_null(claims);
  const char *en = json_string_value(json_object_get(claims, "eat_nonce"));
  assert_non_null(en);
  assert_string_equal(en, n);
  assert_in_range(strlen(en), 8, 88);
  assert_int_equal(strlen(en), 75);
  json_decref(claims);
  json_decref(resp);
  free(n);
}

static void test_jwks_rotation(void **state) {
  (void)state;
  char *body = NULL;
  assert_int_equal(http(&S, "GET", "/.well-known/jwks.json", NULL, NULL, 0, &body), 200);
  json_t *j = json_loads(body, 0, NULL);
  free(body);
  json_t *keys = json_object_get(j, "keys");
  assert_int_equal(json_array_size(keys), 2);
  for (size_t i = 0; i < 2; i++) {
    json_t *k = json_array_get(keys, i);
    assert_string_equal(json_string_value(json_object_get(k, "kty")), "EC");
    assert_string_equal(json_string_value(json_object_get(k, "crv")), "P-256");
    assert_non_null(json_object_get(k, "kid"));
    assert_null(json_object_get(k, "d")); /* never a private part */
  }
  json_decref(j);
}

/* ---------------------------------------------------------------- nonces, binding */

static void test_nonce_errors(void **state) {
  (void)state;
  json_t *resp;
  uint8_t raw[SRV_NONCE_BYTES];
  tc_snp_report r;
  good_report(&r);
  /* malformed */
  long st0 = attest(&r, "not-a-nonce", NULL, &resp);
  expect_error(st0, resp, 400, "nonce_malformed");
  json_decref(resp);
  /* missing (policy requires one by default) */
  st0 = attest(&r, NULL, NULL, &resp);
  expect_error(st0, resp, 400, "nonce_missing");
  json_decref(resp);
  /* forged: one character of a real nonce changed */
  char *n = challenge(raw);
  bind(raw, SRV_NONCE_BYTES, NULL, r.report_data);
  n[50] = n[50] == 'A' ? 'B' : 'A';
  long st = attest(&r, n, NULL, &resp);
  expect_error(st, resp, 403, "nonce_forged");
  expect_rule(resp, "nonce", "");
  json_decref(resp);
  free(n);
  /* expired: made here with the service's key: random || expiry (u64 BE) || the first 16
   * bytes of HMAC-SHA-256 over those 40 bytes (truncated, RFC 2104 section 5) */
  uint8_t e[SRV_NONCE_BYTES];
  memset(e, 0x5a, 32);
  uint64_t exp = (uint64_t)time(NULL) - 3600;
  for (int i = 0; i < 8; i++)
    e[32 + i] = (uint8_t)(exp >> (56 - 8 * i));
  uint8_t mac[32];
  unsigned ml;
  HMAC(EVP_sha256(), NONCE_KEY, 32, e, 40, mac, &ml);
  assert_int_equal(ml, 32);
  memcpy(e + 40, mac, 16);
  char *b = b64url(e, SRV_NONCE_BYTES);
  bind(e, SRV_NONCE_BYTES, NULL, r.report_data);
  st = attest(&r, b, NULL, &resp);
  expect_error(st, resp, 403, "nonce_expired");
  json_decref(resp);
  /* The same construction with a fresh expiry is accepted: the expiry is what failed. */
  exp = (uint64_t)time(NULL) + 600;
  for (int i = 0; i < 8; i++)
    e[32 + i] = (uint8_t)(exp >> (56 - 8 * i));
  HMAC(EVP_sha256(), NONCE_KEY, 32, e, 40, mac, &ml);
  memcpy(e + 40, mac, 16);
  free(b);
  b = b64url(e, SRV_NONCE_BYTES);
  bind(e, SRV_NONCE_BYTES, NULL, r.report_data);
  assert_int_equal(attest(&r, b, NULL, &resp), 200);
  n_affirming++;
  json_decref(resp);
  /* The full 32-byte HMAC (the old 72-byte layout, 96 characters) is no nonce any more. */
  uint8_t full[72];
  memcpy(full, e, 40);
  memcpy(full + 40, mac, 32);
  char *b96 = b64url(full, sizeof full);
  assert_int_equal(strlen(b96), 96);
  bind(full, sizeof full, NULL, r.report_data);
  st = attest(&r, b96, NULL, &resp);
  expect_error(st, resp, 400, "nonce_malformed");
  json_decref(resp);
  free(b96);
  /* Under another key: forged. */
  HMAC(EVP_sha256(), "another key, 32 bytes long......", 32, e, 40, mac, &ml);
  memcpy(e + 40, mac, 16);
  free(b);
  b = b64url(e, SRV_NONCE_BYTES);
  bind(e, SRV_NONCE_BYTES, NULL, r.report_data);
  st = attest(&r, b, NULL, &resp);
  expect_error(st, resp, 403, "nonce_forged");
  json_decref(resp);
  free(b);
}

static void test_binding_mismatch(void **state) {
  (void)state;
  json_t *resp;
  uint8_t raw1[SRV_NONCE_BYTES], raw2[SRV_NONCE_BYTES];
  char *n1 = challenge(raw1), *n2 = challenge(raw2);
  tc_snp_report r;
  good_report(&r);
  /* Wrong nonce: the evidence binds n1, the request presents n2 (valid itself). */
  bind(raw1, SRV_NONCE_BYTES, NULL, r.report_data);
  long st = attest(&r, n2, NULL, &resp);
  expect_error(st, resp, 403, "binding_mismatch");
  expect_rule(resp, "binding", "");
  {
    /* The detail names the expected REPORT_DATA (SHA-512 of n2) and the evidence's. */
    uint8_t want[64];
    SHA512(raw2, SRV_NONCE_BYTES, want);
    char *wh = hexs(want, 64), *gh = hexs(r.report_data, 64), expect[400];
    snprintf(expect, sizeof expect, "expected %s, evidence has %s", wh, gh);
    const char *d = json_string_value(json_object_get(resp, "detail"));
    if (d == NULL || strstr(d, expect) == NULL)
      fail_msg("detail: %s\nwanted: %s", d ? d : "(none)", expect);
    free(wh);
    free(gh);
  }
  json_decref(resp);
  /* Runtime data not the one bound. */
  bind(raw1, SRV_NONCE_BYTES, "key-A", r.report_data);
  st = attest(&r, n1, "key-B", &resp);
  expect_error(st, resp, 403, "binding_mismatch");
  json_decref(resp);
  /* SGX rule (SHA-256) does not satisfy the SNP rule (SHA-512). */
  memset(r.report_data, 0, 64);
  SHA256(raw1, SRV_NONCE_BYTES, r.report_data);
  st = attest(&r, n1, NULL, &resp);
  expect_error(st, resp, 403, "binding_mismatch");
  json_decref(resp);
  free(n1);
  free(n2);
}

/* ---------------------------------------------------------------- evidence */

static void test_evidence_invalid(void **state) {
  (void)state;
  uint8_t raw[SRV_NONCE_BYTES];
  char *n = challenge(raw);
  tc_snp_report r;
  good_report(&r);
  bind(raw, SRV_NONCE_BYTES, NULL, r.report_data);
  uint8_t rep[TC_SNP_REPORT_SIZE];
  snp_forge_sign_report(F, &r, rep);
  rep[0x90] ^= 1; /* MEASUREMENT changed after signing */
  char *ev = b64_std(rep, sizeof rep);
  json_t *resp;
  long st = http_json(&S, "/v1/attest",
                      json_pack("{s:s, s:s, s:s, s:o}", "tee", "snp", "evidence", ev, "nonce", n,
                                "collateral", certs_json()),
                      &resp);
  expect_error(st, resp, 403, "evidence_invalid");
  assert_string_equal(json_string_value(json_object_get(resp, "reason")),
                      "report_signature_invalid");
  expect_rule(resp, "verification", "report_signature_invalid: ");
  assert_null(json_object_get(resp, "token"));
  json_decref(resp);
  /* No certificates: the VCEK is missing. */
  rep[0x90] ^= 1;
  free(ev);
  ev = b64_std(rep, sizeof rep);
  st = http_json(&S, "/v1/attest",
                 json_pack("{s:s, s:s, s:s}", "tee", "snp", "evidence", ev, "nonce", n), &resp);
  expect_error(st, resp, 403, "evidence_invalid");
  assert_string_equal(json_string_value(json_object_get(resp, "reason")), "collateral_missing");
  expect_rule(resp, "verification", "collateral_missing: ");
  json_decref(resp);
  /* Declared TDX, but the bytes are an SNP report. */
  st = http_json(&S, "/v1/attest",
                 json_pack("{s:s, s:s, s:s}", "tee", "tdx", "evidence", ev, "nonce", n), &resp);
  expect_error(st, resp, 403, "evidence_invalid");
  expect_rule(resp, "verification", json_string_value(json_object_get(resp, "reason")));
  json_decref(resp);
  /* Evidence too short to be a report at all: still the "verification" rule. */
  st = http_json(&S, "/v1/attest",
                 json_pack("{s:s, s:s, s:s}", "tee", "snp", "evidence", "AAAA", "nonce", n), &resp);
  expect_error(st, resp, 403, "evidence_invalid");
  expect_rule(resp, "verification", json_string_value(json_object_get(resp, "reason")));
  json_decref(resp);
  free(ev);
  free(n);
}

/* ---------------------------------------------------------------- policy rules */

static void mut_measurement(tc_snp_report *r) {
  r->measurement[47] ^= 0xff;
}
static void mut_host_data(tc_snp_report *r) {
  r->host_data[0] = 0;
}
static void mut_family_id(tc_snp_report *r) {
  r->family_id[3] = 0;
}
static void mut_image_id(tc_snp_report *r) {
  r->image_id[15] = 0;
}
static void mut_vmpl(tc_snp_report *r) {
  r->vmpl = 1;
}
static void mut_guest_svn(tc_snp_report *r) {
  r->guest_svn = 1;
}
static void mut_debug(tc_snp_report *r) {
  r->policy |= TC_SNP_POLICY_DEBUG;
}
static void mut_migrate(tc_snp_report *r) {
  r->policy |= TC_SNP_POLICY_MIGRATE_MA;
}
static void mut_abi(tc_snp_report *r) {
  r->policy = (r->policy & ~0xffffull) | (1u << 8) | 1; /* ABI 1.1 < 1.2 */
}
static void mut_firmware(tc_snp_report *r) {
  r->current_minor = 54; /* 1.54 < 1.55 */
}
static void mut_version(tc_snp_report *r) {
  tc_snp_report v2;
  snp_forge_report_init(F, 2, &v2);
  memcpy(v2.report_data, r->report_data, 64);
  memcpy(v2.measurement, r->measurement, 48);
  memcpy(v2.host_data, r->host_data, 32);
  memcpy(v2.family_id, r->family_id, 16);
  memcpy(v2.image_id, r->image_id, 16);
  v2.guest_svn = r->guest_svn;
  v2.policy = r->policy;
  *r = v2;
}

static void expect_one_rule(long st, json_t *resp, const char *rule) {
  expect_error(st, resp, 403, "contraindicated");
  json_t *fr = json_object_get(resp, "failed_rules");
  if (json_array_size(fr) != 1) {
    char *t = json_dumps(fr, JSON_COMPACT);
    fprintf(stderr, "failed_rules for %s: %s\n", rule, t ? t : "null");
    free(t);
  }
  assert_int_equal(json_array_size(fr), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(fr, 0), "rule")), rule);
  assert_null(json_object_get(resp, "token"));
}

static void test_each_snp_rule_alone(void **state) {
  (void)state;
  static const struct {
    void (*mutate)(tc_snp_report *);
    const char *rule;
  } cases[] = {
      {mut_measurement, "snp.measurements"},
      {mut_host_data, "snp.host_data"},
      {mut_family_id, "snp.family_id"},
      {mut_image_id, "snp.image_id"},
      {mut_vmpl, "snp.vmpls"},
      {mut_guest_svn, "snp.min_guest_svn"},
      {mut_debug, "snp.allow_debug"},
      {mut_migrate, "snp.allow_migration_agent"},
      {mut_abi, "snp.min_abi"},
      {mut_firmware, "snp.min_firmware"},
      {mut_version, "snp.report_versions"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *resp;
    long st = attest_fresh(cases[i].mutate, &resp);
    expect_one_rule(st, resp, cases[i].rule);
    json_decref(resp);
  }
  /* The good report still passes afterwards (each failure came from its mutation). */
  json_t *resp;
  assert_int_equal(attest_fresh(NULL, &resp), 200);
  n_affirming++;
  json_decref(resp);
}

/* Rules violated by changing the policy file (reloaded on change, no restart). */
static void test_policy_reload_rules(void **state) {
  (void)state;
  static const struct {
    const char *extra, *rule;
  } cases[] = {
      {"{\"allow_smt\": false}", "snp.allow_smt"},
      {"{\"min_tcb\": {\"snp\": 9}}", "snp.min_tcb"},
      {"{\"min_tcb\": {\"microcode\": 116}}", "snp.min_tcb"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char id[32];
    snprintf(id, sizeof id, "test-rule-%zu", i);
    write_policy(id, cases[i].extra);
    n_reloads++;
    json_t *resp;
    long st = attest_fresh(NULL, &resp);
    expect_one_rule(st, resp, cases[i].rule);
    json_decref(resp);
  }
  /* require_nonce false: no nonce needed, and the token carries none. */
  {
    json_t *pol = json_pack("{s:s, s:b}", "id", "test-no-nonce", "require_nonce", 0);
    char *text = json_dumps(pol, 0);
    free(srv_write(&S, "policy.json", text, strlen(text)));
    free(text);
    json_decref(pol);
    n_reloads++;
    tc_snp_report r;
    good_report(&r);
    json_t *resp;
    assert_int_equal(attest(&r, NULL, NULL, &resp), 200);
    json_t *expect = json_pack("{s:s, s:s, s:b, s:s}", "tee", "snp", "status", "warning",
                               "no_nonce", 1, "policy_id", "test-no-nonce");
    assert_int_equal(check_token(&S, json_string_value(json_object_get(resp, "token")), expect), 0);
    json_decref(resp);
    write_policy("test-rule-x", "{\"min_tcb\": {\"snp\": 9}}");
    n_reloads++;
    long st2 = attest_fresh(NULL, &resp);
    expect_one_rule(st2, resp, "snp.min_tcb");
    json_decref(resp);
  }
  /* A broken policy file is refused; the last good one stays in force. */
  free(srv_write(&S, "policy.json", "{\"snp\": {\"allow_debugg\": true}}", 31));
  json_t *resp;
  long st = attest_fresh(NULL, &resp);
  expect_one_rule(st, resp, "snp.min_tcb");
  json_decref(resp);
  assert_int_equal(audit_count(&S, "policy_unknown_key"), 1);
  write_policy("test-base", NULL);
  n_reloads++;
  assert_int_equal(attest_fresh(NULL, &resp), 200);
  n_affirming++;
  json_decref(resp);
  char *body = NULL;
  assert_int_equal(http(&S, "GET", "/readyz", NULL, NULL, 0, &body), 200);
  assert_non_null(strstr(body, "\"policy_id\":\"test-base\""));
  free(body);
}

/* ---------------------------------------------------------------- malformed requests */

static void test_malformed_requests(void **state) {
  (void)state;
  char *body = NULL;
  json_t *j;
  const struct {
    const char *ctype, *data;
    long status;
    const char *code;
  } cases[] = {
      {"application/json", "{\"tee\": \"snp\", ", 400, "json_invalid"},
      {"application/json", "", 400, "json_invalid"},
      {"application/json", "[1,2]", 400, "request_invalid"},
      {"application/json", "{\"tee\":\"snp\",\"tee\":\"tdx\",\"evidence\":\"AAAA\"}", 400,
       "json_invalid"},
      {"text/plain", "{}", 415, "content_type_unsupported"},
      {NULL, "{}", 415, "content_type_unsupported"},
      {"application/jsonx", "{}", 415, "content_type_unsupported"},
      {"application/json; charset=utf-8", "{\"evidence\":\"AAAA\"}", 400, "request_invalid"},
      {"application/json;charset=\"UTF-8\"", "{\"evidence\":\"AAAA\"}", 400, "request_invalid"},
      {"application/json; charset=utf-16", "{}", 415, "content_type_unsupported"},
      {"application/json; foo=bar; charset=latin1", "{}", 415, "content_type_unsupported"},
      {"application/json x", "{}", 415, "content_type_unsupported"},
      {"application/json", "{\"tee\":\"sev\",\"evidence\":\"AAAA\"}", 400, "tee_unsupported"},
      {"application/json", "{\"tee\":\"snp\"}", 400, "request_invalid"},
      {"application/json", "{\"tee\":\"snp\",\"evidence\":\"A*AA\"}", 400, "evidence_not_base64"},
      {"application/json", "{\"tee\":\"snp\",\"evidence\":\"AAAA\",\"nonce\":5}", 400,
       "nonce_malformed"},
      {"application/json", "{\"tee\":\"snp\",\"evidence\":\"AAAA\",\"runtime_data\":\"%%\"}", 400,
       "runtime_data_not_base64"},
      {"application/json", "{\"tee\":\"snp\",\"evidence\":\"AAAA\",\"extra\":1}", 400,
       "request_unknown_field"},
      {"application/json",
       "{\"tee\":\"snp\",\"evidence\":\"AAAA\",\"collateral\":{\"certificates\":[\"x\"]}}", 400,
       "request_invalid"},
      /* a PEM frame around garbage is a malformed request, not invalid evidence */
      {"application/json",
       "{\"tee\":\"snp\",\"evidence\":\"AAAA\",\"collateral\":{\"certificates\":[\"-----BEGIN "
       "CERTIFICATE-----\\nZ2FyYmFnZQ==\\n-----END CERTIFICATE-----\\n\"]}}",
       400, "request_invalid"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    long st =
        http(&S, "POST", "/v1/attest", cases[i].ctype, cases[i].data, strlen(cases[i].data), &body);
    j = json_loads(body, 0, NULL);
    if (st != cases[i].status)
      fprintf(stderr, "case %zu: %ld %s\n", i, st, body);
    expect_error(st, j, cases[i].status, cases[i].code);
    assert_non_null(json_string_value(json_object_get(j, "detail")));
    json_decref(j);
    free(body);
  }
}

static void test_limits_and_routes(void **state) {
  (void)state;
  char *body = NULL;
  json_t *j;
  /* Oversize body (limit 65536): refused from Content-Length before reading. */
  size_t big = 70000;
  char *data = malloc(big);
  memset(data, ' ', big);
  data[0] = '{';
  data[big - 1] = '}';
  long st = http(&S, "POST", "/v1/attest", "application/json", data, big, &body);
  j = json_loads(body, 0, NULL);
  expect_error(st, j, 413, "body_too_large");
  json_decref(j);
  free(body);
  /* Just under the limit is read and parsed (valid JSON object, then missing fields). */
  st = http(&S, "POST", "/v1/attest", "application/json", data, 65000, &body);
  j = json_loads(body, 0, NULL);
  assert_int_equal(st, 400); /* 65000 bytes of '{' + spaces: not complete JSON */
  json_decref(j);
  free(body);
  free(data);
  /* Unknown routes and methods. */
  const struct {
    const char *method, *path;
    long status;
    const char *code;
  } cases[] = {{"GET", "/nope", 404, "not_found"},
               {"POST", "/v1/attest/extra", 404, "not_found"},
               {"GET", "/v1/attest", 405, "method_not_allowed"},
               {"GET", "/v1/challenge", 405, "method_not_allowed"},
               {"POST", "/healthz", 405, "method_not_allowed"},
               {"DELETE", "/.well-known/jwks.json", 405, "method_not_allowed"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    st = http(&S, cases[i].method, cases[i].path, NULL, NULL, 0, &body);
    j = json_loads(body, 0, NULL);
    expect_error(st, j, cases[i].status, cases[i].code);
    json_decref(j);
    free(body);
  }
}

/* ---------------------------------------------------------------- compat, health, metrics */

static void test_compat_api(void **state) {
  (void)state;
  uint8_t raw[SRV_NONCE_BYTES];
  char *n = challenge(raw);
  tc_snp_report r;
  good_report(&r);
  bind(raw, SRV_NONCE_BYTES, NULL, r.report_data);
  uint8_t rep[TC_SNP_REPORT_SIZE];
  snp_forge_sign_report(F, &r, rep);
  char *q = b64_std(rep, sizeof rep);
  char *M = hexs(r.measurement, 48);
  /* The seed's request has no certificates: this server has no collateral folder, so
   * the answer is verified=false (collateral missing), in the seed's shape. */
  json_t *resp;
  long st = http_json(&S, "/attest",
                      json_pack("{s:s, s:s, s:s, s:s}", "nonce", n, "quote", q, "measurement", M,
                                "tee_type", "SEV"),
                      &resp);
  assert_int_equal(st, 200);
  assert_true(json_is_false(json_object_get(resp, "verified")));
  assert_string_equal(resp_error(resp), "evidence_invalid");
  assert_true(json_is_null(json_object_get(resp, "token")));
  assert_non_null(json_string_value(json_object_get(resp, "timestamp")));
  json_decref(resp);
  free(n);
  /* A second server with the endorsements in a collateral folder (same nonce key). */
  srv s2;
  srv_init(&s2);
  char *nk = srv_write(&s2, "nonce.key", NONCE_KEY, 32);
  const char *args[] = {"--nonce-key", nk, NULL};
  assert_int_equal(snp_serve_start(&HIER, &s2, SNP_SERVE_COLLATERAL, args), 0);
  /* The nonce came from the first replica: nonces are stateless, any replica accepts it. */
  st = http_json(&s2, "/attest",
                 json_pack("{s:s, s:s, s:s, s:s}", "nonce", "", "quote", q, "measurement", M,
                           "tee_type", "SEV"),
                 &resp);
  assert_int_equal(st, 400); /* "" is not a nonce */
  assert_string_equal(resp_error(resp), "nonce_malformed");
  json_decref(resp);
  n = challenge(raw);
  bind(raw, SRV_NONCE_BYTES, NULL, r.report_data);
  snp_forge_sign_report(F, &r, rep);
  free(q);
  q = b64_std(rep, sizeof rep);
  st = http_json(&s2, "/attest",
                 json_pack("{s:s, s:s, s:s, s:s}", "nonce", n, "quote", q, "measurement", M,
                           "tee_type", "SEV"),
                 &resp);
  assert_int_equal(st, 200);
  if (!json_is_true(json_object_get(resp, "verified"))) {
    char *t = json_dumps(resp, 0);
    fprintf(stderr, "compat: %s\n", t);
    free(t);
  }
  assert_true(json_is_true(json_object_get(resp, "verified")));
  assert_true(json_is_null(json_object_get(resp, "error")));
  const char *tok = json_string_value(json_object_get(resp, "token"));
  assert_non_null(tok);
  /* Default policy on s2: no reference values, so "warning" and unappraised named. */
  json_t *expect = json_pack("{s:s, s:s, s:s, s:b}", "tee", "snp", "status", "warning", "nonce", n,
                             "unappraised_nonempty", 1);
  assert_int_equal(check_token(&s2, tok, expect), 0);
  json_decref(resp);
  /* The client's measurement differs from the evidence's: verified=false, no token. */
  M[0] = M[0] == '1' ? '2' : '1';
  st = http_json(&s2, "/attest",
                 json_pack("{s:s, s:s, s:s, s:s}", "nonce", n, "quote", q, "measurement", M,
                           "tee_type", "SEV"),
                 &resp);
  assert_int_equal(st, 200);
  assert_true(json_is_false(json_object_get(resp, "verified")));
  assert_string_equal(resp_error(resp), "measurement_mismatch");
  assert_true(json_is_null(json_object_get(resp, "token")));
  {
    /* The detail names both values: the request's and the evidence's MEASUREMENT. */
    char *real = hexs(r.measurement, 48), want[300];
    snprintf(want, sizeof want, "expected %s, evidence has %s", M, real);
    const char *d = json_string_value(json_object_get(resp, "detail"));
    if (d == NULL || strstr(d, want) == NULL)
      fail_msg("detail: %s\nwanted: %s", d ? d : "(none)", want);
    free(real);
  }
  json_decref(resp);
  char *body = NULL;
  assert_int_equal(http(&s2, "GET", "/metrics", NULL, NULL, 0, &body), 200);
  assert_non_null(strstr(body, "teectl_collateral_cache_requests_total{result=\"hit\"} 2\n"));
  free(body);
  assert_int_equal(srv_stop(&s2), 0);
  srv_cleanup(&s2);
  free(nk);
  free(n);
  free(q);
  free(M);
  /* Bad tee_type: 400 in the same shape. */
  st = http_json(&S, "/attest",
                 json_pack("{s:s, s:s, s:s, s:s}", "nonce", "x", "quote", "AAAA", "measurement",
                           "00", "tee_type", "ARM"),
                 &resp);
  assert_int_equal(st, 400);
  assert_true(json_is_false(json_object_get(resp, "verified")));
  assert_string_equal(resp_error(resp), "tee_unsupported");
  json_decref(resp);
  assert_int_equal(http(&S, "GET", "/health", NULL, NULL, 0, &body), 200);
  assert_string_equal(body, "OK");
  free(body);
}

/* Collateral that expired at the verification time is counted as result="collateral_expired",
 * apart from bad evidence (issue 13 item 4): a replica verifying at 2041-01-01, after the
 * forged certificates' 2040-01-01 notAfter, with a good report and a nonce from S. */
static void test_expiry_counted_apart(void **state) {
  (void)state;
  srv s3;
  srv_init(&s3);
  char *nk = srv_write(&s3, "nonce.key", NONCE_KEY, 32);
  const char *args[] = {"--nonce-key", nk, "--at", "2041-01-01T00:00:00Z", NULL};
  assert_int_equal(snp_serve_start(&HIER, &s3, SNP_SERVE_COLLATERAL, args), 0);
  uint8_t raw[SRV_NONCE_BYTES];
  char *n = challenge(raw);
  tc_snp_report r;
  good_report(&r);
  bind(raw, SRV_NONCE_BYTES, NULL, r.report_data);
  uint8_t rep[TC_SNP_REPORT_SIZE];
  assert_int_equal(snp_forge_sign_report(F, &r, rep), 0);
  char *ev = b64_std(rep, sizeof rep);
  json_t *resp = NULL;
  long st =
      http_json(&s3, "/v1/attest",
                json_pack("{s:s, s:s, s:s}", "tee", "snp", "evidence", ev, "nonce", n), &resp);
  expect_error(st, resp, 403, "evidence_invalid");
  assert_string_equal(json_string_value(json_object_get(resp, "reason")),
                      "cert_expired_at_verify_at");
  json_decref(resp);
  char *body = NULL;
  assert_int_equal(http(&s3, "GET", "/metrics", NULL, NULL, 0, &body), 200);
  assert_non_null(
      strstr(body, "teectl_verifications_total{tee=\"snp\",result=\"collateral_expired\"} 1\n"));
  assert_null(strstr(body, "result=\"invalid\""));
  free(body);
  free(ev);
  free(n);
  free(nk);
  assert_int_equal(srv_stop(&s3), 0);
  srv_cleanup(&s3);
}

static void test_health_metrics(void **state) {
  (void)state;
  char *body = NULL;
  assert_int_equal(http(&S, "GET", "/healthz", NULL, NULL, 0, &body), 200);
  assert_string_equal(body, "{\"status\":\"ok\"}");
  free(body);
  assert_int_equal(http(&S, "GET", "/readyz", NULL, NULL, 0, &body), 200);
  assert_non_null(strstr(body, "\"status\":\"ready\""));
  free(body);
  assert_int_equal(http(&S, "GET", "/metrics", NULL, NULL, 0, &body), 200);
  char want[256];
  snprintf(want, sizeof want, "teectl_verifications_total{tee=\"snp\",result=\"affirming\"} %d\n",
           n_affirming);
  if (strstr(body, want) == NULL)
    fprintf(stderr, "metrics lack '%s':\n%s\n", want, body);
  assert_non_null(strstr(body, want));
  snprintf(want, sizeof want, "teectl_policy_reloads_total{result=\"success\"} %d\n", n_reloads);
  assert_non_null(strstr(body, want));
  assert_non_null(strstr(body, "teectl_policy_reloads_total{result=\"failure\"} 1\n"));
  assert_non_null(
      strstr(body, "teectl_http_requests_total{route=\"/v1/attest\",code=\"413\"} 1\n"));
  assert_non_null(strstr(body, "teectl_http_requests_total{route=\"other\",code=\"404\"} 2\n"));
  assert_non_null(
      strstr(body, "teectl_verifications_total{tee=\"snp\",result=\"binding_mismatch\"} 3\n"));
  assert_non_null(strstr(body, "# TYPE teectl_verification_duration_seconds histogram\n"));
  assert_non_null(strstr(body, "teectl_collateral_cache_requests_total{result=\"miss\"}"));
  /* Every affirming attest above used the one forged chain: verified in full once, then
   * from the verifier's chain cache. */
  unsigned long long hits = 0, misses = 0, entries = 0;
  assert_int_equal(
      srv_metric(body, "teectl_verified_cache_lookups_total{kind=\"snp_chain\",result=\"hit\"}",
                 &hits),
      0);
  assert_int_equal(
      srv_metric(body, "teectl_verified_cache_lookups_total{kind=\"snp_chain\",result=\"miss\"}",
                 &misses),
      0);
  assert_int_equal(srv_metric(body, "teectl_verified_cache_entries{kind=\"snp_chain\"}", &entries),
                   0);
  assert_true(n_affirming > 1);
  assert_true(hits >= (unsigned long long)n_affirming - 1);
  assert_true(misses >= 1);
  assert_true(entries >= 1 && entries <= 256);
  free(body);
}

/* Runs last: the server survived everything above; SIGTERM stops it cleanly. */
static void test_still_serving_then_sigterm(void **state) {
  (void)state;
  json_t *resp;
  assert_int_equal(attest_fresh(NULL, &resp), 200);
  json_decref(resp);
  assert_int_equal(srv_stop(&S), 0);
  FILE *f = fopen(srv_path(&S, "stderr.txt"), "r");
  assert_non_null(f);
  char buf[8192];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  assert_non_null(strstr(buf, "SIGTERM received, draining"));
  assert_non_null(strstr(buf, "teectl serve: stopped"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_flow_affirming),
      cmocka_unit_test(test_flow_no_runtime_data),
      cmocka_unit_test(test_jwks_rotation),
      cmocka_unit_test(test_token_eat_nonce_size),
      cmocka_unit_test(test_nonce_errors),
      cmocka_unit_test(test_binding_mismatch),
      cmocka_unit_test(test_evidence_invalid),
      cmocka_unit_test(test_each_snp_rule_alone),
      cmocka_unit_test(test_policy_reload_rules),
      cmocka_unit_test(test_malformed_requests),

      cmocka_unit_test(test_limits_and_routes),
      cmocka_unit_test(test_compat_api),
      cmocka_unit_test(test_expiry_counted_apart),
      cmocka_unit_test(test_health_metrics),
      cmocka_unit_test(test_still_serving_then_sigterm),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
