/* SPDX-License-Identifier: Apache-2.0 */
/* Integration test of `teectl serve` with Intel TDX and SGX DCAP quotes signed at test
 * time by an Intel-like test hierarchy (tests/common/dcap_forge), so REPORT_DATA can carry
 * the nonce binding, computed here with OpenSSL from nonce bytes decoded here:
 *   TDX (v4 and v5): REPORTDATA = SHA-512(nonce || runtime_data)
 *   SGX (v3):        ReportData = SHA-256(nonce || runtime_data) || 32 zero bytes
 * The full challenge -> attest -> token flow, tokens checked by check_token.py (python
 * cryptography / openssl CLI), binding mismatches, invalid quotes, and the debug rule of
 * each TEE through attributes edited at the spec's offsets (Intel TDX DCAP Quoting Library
 * API, "TD Quote Body": TD_ATTRIBUTES at body offset 120, DEBUG = bit 0; Intel SGX
 * "REPORT body": ATTRIBUTES.FLAGS at body offset 48, DEBUG = bit 1; the body follows the
 * 48-byte quote header) and re-signed with the test attestation key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcap_forge.h"
#include "harness.h"

#define QUOTE_HEADER 48
#define TD_ATTRIBUTES_OFF (QUOTE_HEADER + 120)
#define SGX_FLAGS_OFF (QUOTE_HEADER + 48)

static dcap_forge *F;
static srv TDX, SGX;
static const uint8_t NONCE_KEY[32] = "dcap-test-nonce-key-32-bytes-xx!";

static int start(srv *s, int tdx) {
  srv_init(s);
  if (dcap_forge_write_dir(F, tdx, s->dir) != 0)
    return -1;
  const tc_buf *root = dcap_forge_root_pem(F);
  char *rp = srv_write(s, "test_root.pem", root->data, root->len);
  char *nk = srv_write(s, "nonce.key", NONCE_KEY, 32);
  const char *args[] = {"--trust-root", rp,     "--nonce-key",          nk,  "--collateral",
                        s->dir,         "--at", "2025-01-15T00:00:00Z", NULL};
  int rc = srv_start(s, args);
  free(rp);
  free(nk);
  return rc;
}

static int setup(void **state) {
  (void)state;
  dcap_forge_opts o;
  dcap_forge_opts_init(&o);
  F = dcap_forge_new(&o);
  if (F == NULL)
    return -1;
  return start(&TDX, 1) == 0 && start(&SGX, 0) == 0 ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  srv_cleanup(&TDX);
  srv_cleanup(&SGX);
  dcap_forge_free(F);
  return 0;
}

/* report_data for the TEE's binding rule, computed here. */
static void bind(int sgx, const uint8_t *nonce, const char *rd, uint8_t out[64]) {
  size_t rl = rd ? strlen(rd) : 0;
  uint8_t cat[SRV_NONCE_BYTES + 256];
  memcpy(cat, nonce, SRV_NONCE_BYTES);
  memcpy(cat + SRV_NONCE_BYTES, rd ? rd : "", rl);
  memset(out, 0, 64);
  if (sgx)
    SHA256(cat, SRV_NONCE_BYTES + rl, out);
  else
    SHA512(cat, SRV_NONCE_BYTES + rl, out);
}

static long post_quote(const srv *s, const char *tee, const tc_buf *q, const char *nonce,
                       const char *rd, json_t **resp) {
  char *ev = b64_std(q->data, q->len);
  json_t *req = json_pack("{s:s, s:s}", "tee", tee, "evidence", ev);
  free(ev);
  if (nonce)
    json_object_set_new(req, "nonce", json_string(nonce));
  if (rd) {
    char *b = b64_std((const unsigned char *)rd, strlen(rd));
    json_object_set_new(req, "runtime_data", json_string(b));
    free(b);
  }
  return http_json(s, "/v1/attest", req, resp);
}

static void show(const char *what, long st, json_t *resp) {
  char *t = json_dumps(resp, JSON_COMPACT);
  print_message("%s: %ld %.300s\n", what, st, t ? t : "(no JSON)");
  free(t);
}

/* A 403 answer with error code and exactly one failed rule {"rule": rule, "status":
 * "contraindicated", "detail": starting with prefix}. */
static void expect_refusal(long st, const json_t *resp, const char *code, const char *rule,
                           const char *prefix) {
  assert_int_equal(st, 403);
  assert_string_equal(resp_error(resp), code);
  json_t *fr = json_object_get(resp, "failed_rules");
  assert_int_equal(json_array_size(fr), 1);
  json_t *e = json_array_get(fr, 0);
  assert_string_equal(json_string_value(json_object_get(e, "rule")), rule);
  assert_string_equal(json_string_value(json_object_get(e, "status")), "contraindicated");
  const char *d = json_string_value(json_object_get(e, "detail"));
  assert_non_null(d);
  if (strncmp(d, prefix, strlen(prefix)) != 0)
    fail_msg("%s: detail '%s', expected it to start with '%s'", code, d, prefix);
}

static void flow(srv *s, const char *tee, int version) {
  int sgx = strcmp(tee, "sgx") == 0;
  uint8_t raw[SRV_NONCE_BYTES], rdata[64];
  char *n = srv_challenge(s, raw);
  assert_non_null(n);
  const char *rd = "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066"
                   "SpjqqbTmo\"}";
  bind(sgx, raw, rd, rdata);
  tc_buf q = {0};
  assert_int_equal(dcap_forge_quote(F, version, rdata, &q), 0);
  json_t *resp;
  long st = post_quote(s, tee, &q, n, rd, &resp);
  show(tee, st, resp);
  assert_int_equal(st, 200);
  /* Default policy: UpToDate TCB, no reference values: warning, measurements unappraised. */
  json_t *expect =
      json_pack("{s:s, s:s, s:s, s:o, s:b, s:[], s:{s:s}}", "tee", tee, "status", "warning",
                "nonce", n, "runtime_data", json_loads(rd, 0, NULL), "unappraised_nonempty", 1,
                "failed_rules", "claims", "tcb_status", "UpToDate");
  assert_int_equal(check_token(s, json_string_value(json_object_get(resp, "token")), expect), 0);
  json_decref(resp);
  tc_buf_free(&q);
  free(n);
}

static void test_tdx_v4_flow(void **state) {
  (void)state;
  flow(&TDX, "tdx", 4);
}

static void test_tdx_v5_flow(void **state) {
  (void)state;
  flow(&TDX, "tdx", 5);
}

static void test_sgx_flow(void **state) {
  (void)state;
  flow(&SGX, "sgx", 3);
}

static void test_binding_mismatch(void **state) {
  (void)state;
  uint8_t raw[SRV_NONCE_BYTES], raw2[SRV_NONCE_BYTES], rdata[64];
  json_t *resp;
  /* TDX evidence bound with the SGX rule (SHA-256, zero upper half). */
  char *n = srv_challenge(&TDX, raw);
  bind(1, raw, NULL, rdata);
  tc_buf q = {0};
  assert_int_equal(dcap_forge_quote(F, 4, rdata, &q), 0);
  long st = post_quote(&TDX, "tdx", &q, n, NULL, &resp);
  expect_refusal(st, resp, "binding_mismatch", "binding", "");
  json_decref(resp);
  tc_buf_free(&q);
  /* SGX evidence bound with the TDX rule (SHA-512: upper half not zero). */
  bind(0, raw, NULL, rdata);
  assert_int_equal(dcap_forge_quote(F, 3, rdata, &q), 0);
  char *n_sgx = srv_challenge(&SGX, raw2);
  bind(0, raw2, NULL, rdata);
  tc_buf_free(&q);
  assert_int_equal(dcap_forge_quote(F, 3, rdata, &q), 0);
  st = post_quote(&SGX, "sgx", &q, n_sgx, NULL, &resp);
  expect_refusal(st, resp, "binding_mismatch", "binding", "");
  json_decref(resp);
  tc_buf_free(&q);
  /* Wrong nonce: SGX evidence bound to n (valid, from the TDX replica, same key), request
   * presents n_sgx. */
  bind(1, raw, NULL, rdata);
  assert_int_equal(dcap_forge_quote(F, 3, rdata, &q), 0);
  st = post_quote(&SGX, "sgx", &q, n_sgx, NULL, &resp);
  assert_int_equal(st, 403);
  assert_string_equal(resp_error(resp), "binding_mismatch");
  json_decref(resp);
  /* ... and the nonce it does bind is accepted by the other replica (stateless). */
  st = post_quote(&SGX, "sgx", &q, n, NULL, &resp);
  assert_int_equal(st, 200);
  json_decref(resp);
  tc_buf_free(&q);
  free(n);
  free(n_sgx);
}

static void test_quote_invalid(void **state) {
  (void)state;
  uint8_t raw[SRV_NONCE_BYTES], rdata[64];
  char *n = srv_challenge(&TDX, raw);
  bind(0, raw, NULL, rdata);
  tc_buf q = {0};
  assert_int_equal(dcap_forge_quote(F, 4, rdata, &q), 0);
  q.data[QUOTE_HEADER + 136] ^= 1; /* MRTD changed after signing */
  json_t *resp;
  long st = post_quote(&TDX, "tdx", &q, n, NULL, &resp);
  show("tdx altered", st, resp);
  assert_int_equal(st, 403);
  assert_string_equal(resp_error(resp), "evidence_invalid");
  assert_string_equal(json_string_value(json_object_get(resp, "reason")),
                      "quote_signature_invalid");
  expect_refusal(st, resp, "evidence_invalid", "verification", "quote_signature_invalid: ");
  json_decref(resp);
  /* Evidence that is no quote at all (the verifier has no result): same rule, TDX and SGX. */
  tc_buf tiny = {(uint8_t *)"\0\0\0", 3};
  st = post_quote(&TDX, "tdx", &tiny, n, NULL, &resp);
  show("tdx AAAA", st, resp);
  assert_int_equal(st, 403);
  char want[96];
  snprintf(want, sizeof want, "%s: ", json_string_value(json_object_get(resp, "reason")));
  expect_refusal(st, resp, "evidence_invalid", "verification", want);
  json_decref(resp);
  char *n3 = srv_challenge(&SGX, raw);
  st = post_quote(&SGX, "sgx", &tiny, n3, NULL, &resp);
  show("sgx AAAA", st, resp);
  assert_int_equal(st, 403);
  snprintf(want, sizeof want, "%s: ", json_string_value(json_object_get(resp, "reason")));
  expect_refusal(st, resp, "evidence_invalid", "verification", want);
  json_decref(resp);
  free(n3);
  /* Declared SGX, bytes are a TDX quote. */
  st = post_quote(&SGX, "sgx", &q, NULL, NULL, &resp);
  assert_int_equal(st, 400); /* no nonce: rejected before verification */
  assert_string_equal(resp_error(resp), "nonce_missing");
  json_decref(resp);
  char *n2 = srv_challenge(&SGX, raw);
  st = post_quote(&SGX, "sgx", &q, n2, NULL, &resp);
  assert_int_equal(st, 403);
  assert_string_equal(resp_error(resp), "evidence_invalid");
  assert_string_equal(json_string_value(json_object_get(resp, "reason")), "tee_mismatch");
  expect_refusal(st, resp, "evidence_invalid", "verification", "tee_mismatch: ");
  json_decref(resp);
  tc_buf_free(&q);
  free(n);
  free(n2);
}

/* The debug rule of each TEE, violated alone: attributes edited, quote re-signed. */
static void test_debug_rules(void **state) {
  (void)state;
  uint8_t raw[SRV_NONCE_BYTES], rdata[64];
  json_t *resp;
  char *n = srv_challenge(&TDX, raw);
  bind(0, raw, NULL, rdata);
  tc_buf q = {0};
  assert_int_equal(dcap_forge_quote(F, 4, rdata, &q), 0);
  q.data[TD_ATTRIBUTES_OFF] |= 0x01; /* TUD.DEBUG */
  assert_int_equal(dcap_forge_resign(F, q.data, q.len), 0);
  long st = post_quote(&TDX, "tdx", &q, n, NULL, &resp);
  show("tdx debug", st, resp);
  assert_int_equal(st, 403);
  assert_string_equal(resp_error(resp), "contraindicated");
  json_t *fr = json_object_get(resp, "failed_rules");
  assert_int_equal(json_array_size(fr), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(fr, 0), "rule")),
                      "tdx.allow_debug");
  json_decref(resp);
  tc_buf_free(&q);
  free(n);

  n = srv_challenge(&SGX, raw);
  bind(1, raw, NULL, rdata);
  assert_int_equal(dcap_forge_quote(F, 3, rdata, &q), 0);
  q.data[SGX_FLAGS_OFF] |= 0x02; /* ATTRIBUTES.DEBUG */
  assert_int_equal(dcap_forge_resign(F, q.data, q.len), 0);
  st = post_quote(&SGX, "sgx", &q, n, NULL, &resp);
  show("sgx debug", st, resp);
  assert_int_equal(st, 403);
  assert_string_equal(resp_error(resp), "contraindicated");
  fr = json_object_get(resp, "failed_rules");
  assert_int_equal(json_array_size(fr), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(fr, 0), "rule")),
                      "sgx.allow_debug");
  json_decref(resp);
  tc_buf_free(&q);
  free(n);
}

static void test_metrics_and_stop(void **state) {
  (void)state;
  char *body = NULL;
  assert_int_equal(http(&TDX, "GET", "/metrics", NULL, NULL, 0, &body), 200);
  assert_non_null(strstr(body, "teectl_verifications_total{tee=\"tdx\",result=\"warning\"} 2\n"));
  assert_non_null(strstr(
      body,
      "teectl_verifications_total{tee=\"tdx\",result=\"invalid\"} 2\n")); /* altered, not a quote */
  assert_non_null(
      strstr(body, "teectl_verifications_total{tee=\"tdx\",result=\"contraindicated\"} 1\n"));
  assert_non_null(strstr(body, "teectl_verification_duration_seconds_count{tee=\"tdx\"} 6\n"));
  /* The verifier's DCAP cache: the quotes of one platform share PCK chain and collateral. */
  unsigned long long hits = 0, misses = 0, entries = 0;
  assert_int_equal(
      srv_metric(body, "teectl_verified_cache_lookups_total{kind=\"dcap\",result=\"hit\"}", &hits),
      0);
  assert_int_equal(srv_metric(body,
                              "teectl_verified_cache_lookups_total{kind=\"dcap\",result=\"miss\"}",
                              &misses),
                   0);
  assert_int_equal(srv_metric(body, "teectl_verified_cache_entries{kind=\"dcap\"}", &entries), 0);
  assert_true(hits >= 1 && misses >= 1 && entries >= 1);
  free(body);
  assert_int_equal(srv_stop(&TDX), 0);
  assert_int_equal(srv_stop(&SGX), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tdx_v4_flow),      cmocka_unit_test(test_tdx_v5_flow),
      cmocka_unit_test(test_sgx_flow),         cmocka_unit_test(test_binding_mismatch),
      cmocka_unit_test(test_quote_invalid),    cmocka_unit_test(test_debug_rules),
      cmocka_unit_test(test_metrics_and_stop),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
