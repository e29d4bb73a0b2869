/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the service's pure pieces: nonces, binding, base64, metrics, config.
 * Expected values come from the specs (FIPS 180-4 / RFC 4648 test vectors) or are
 * computed here independently with OpenSSL's one-shot HMAC / SHA / base64. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "service/audit.h"
#include "service/http.h"
#include "service/metrics.h"
#include "service/ratelimit.h"
#include "teectl/base64.h"
#include "teectl/service.h"

static const uint8_t KEY[32] = {0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
                                0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
                                0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42};
static const int64_t EXP = 1700000000; /* 2023-11-14T22:13:20Z */

static void make_nonce(const uint8_t *key, int64_t exp, char out[TC_NONCE_TEXT_LEN + 1]) {
  uint8_t rnd[32];
  for (int i = 0; i < 32; i++)
    rnd[i] = (uint8_t)i;
  tc_error err;
  assert_int_equal(tc_nonce_make(key, 32, rnd, exp, out, &err), TC_OK);
}

static void test_nonce_layout(void **state) {
  (void)state;
  char text[TC_NONCE_TEXT_LEN + 1];
  make_nonce(KEY, EXP, text);
  /* 32 random + 8 expiry + 16 MAC = 56 bytes; base64url without padding: ceil(56*4/3). */
  assert_int_equal(TC_NONCE_RAW_LEN, 32 + 8 + 16);
  assert_int_equal(TC_NONCE_TEXT_LEN, (56 * 4 + 2) / 3);
  assert_int_equal(strlen(text), 75);
  /* RFC 9711 nonce-type: a JWT eat_nonce is tstr .size (8..88). */
  assert_in_range(strlen(text), 8, 88);
  /* 56 = 3 * 18 + 2: the last character carries 4 bits and 2 zero bits (a multiple of 4). */
  assert_non_null(strchr("AEIMQUYcgkosw048", text[74]));
  /* Decode with OpenSSL and recompute the MAC independently. */
  unsigned char raw[80];
  assert_int_equal(b64url_decode(text, raw, sizeof raw), 56);
  for (int i = 0; i < 32; i++)
    assert_int_equal(raw[i], i);
  /* 1700000000 = 0x6553F100, big-endian u64 */
  const unsigned char exp_be[8] = {0, 0, 0, 0, 0x65, 0x53, 0xf1, 0x00};
  assert_memory_equal(raw + 32, exp_be, 8);
  unsigned char mac[32];
  unsigned int ml = 0;
  HMAC(EVP_sha256(), KEY, 32, raw, 40, mac, &ml);
  assert_int_equal(ml, 32);
  assert_memory_equal(raw + 40, mac, 16); /* the first 16 bytes: truncated (RFC 2104 §5) */

  uint8_t back[TC_NONCE_RAW_LEN];
  int64_t e = 0;
  tc_error err;
  assert_int_equal(tc_nonce_check(KEY, 32, text, EXP, back, &e, &err), TC_OK);
  assert_int_equal(e, EXP);
  assert_memory_equal(back, raw, 56);
}

static void test_nonce_expired(void **state) {
  (void)state;
  char text[TC_NONCE_TEXT_LEN + 1];
  make_nonce(KEY, EXP, text);
  uint8_t raw[TC_NONCE_RAW_LEN];
  tc_error err;
  assert_int_equal(tc_nonce_check(KEY, 32, text, EXP + 1, raw, NULL, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "nonce_expired");
}

/* An expiry field of 2^63 or more with a valid MAC (a nonce made with a negative expiry) is
 * refused as expired with a clear detail, without a signed overflow. */
static void test_nonce_expiry_out_of_range(void **state) {
  (void)state;
  const int64_t bad[] = {INT64_MIN, -1};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char text[TC_NONCE_TEXT_LEN + 1];
    make_nonce(KEY, bad[i], text);
    uint8_t raw[TC_NONCE_RAW_LEN];
    int64_t e = 42;
    tc_error err;
    assert_int_equal(tc_nonce_check(KEY, 32, text, EXP, raw, &e, &err), TC_ERR_VERIFY);
    assert_string_equal(err.reason, "nonce_expired");
    assert_non_null(strstr(err.detail, "out of range"));
    assert_int_equal(e, 42);
  }
  /* the largest representable expiry is still valid */
  char text[TC_NONCE_TEXT_LEN + 1];
  make_nonce(KEY, INT64_MAX, text);
  uint8_t raw[TC_NONCE_RAW_LEN];
  int64_t e = 0;
  tc_error err;
  assert_int_equal(tc_nonce_check(KEY, 32, text, EXP, raw, &e, &err), TC_OK);
  assert_int_equal(e, INT64_MAX);
  /* and "expired N seconds ago" counts right at the far end */
  make_nonce(KEY, 0, text);
  assert_int_equal(tc_nonce_check(KEY, 32, text, INT64_MAX, raw, NULL, &err), TC_ERR_VERIFY);
  assert_string_equal(err.detail, "nonce expired 9223372036854775807 seconds ago");
}

static void test_nonce_forged(void **state) {
  (void)state;
  char text[TC_NONCE_TEXT_LEN + 1];
  make_nonce(KEY, EXP, text);
  uint8_t raw[TC_NONCE_RAW_LEN];
  tc_error err;
  /* One character changed in each part: random (characters 0..42), expiry (42..53),
   * MAC (53..74). */
  const size_t at[] = {0, 45, 60, 74};
  for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
    char t[TC_NONCE_TEXT_LEN + 1];
    memcpy(t, text, sizeof t);
    t[at[i]] = t[at[i]] == 'A' ? 'Q' : 'A'; /* both keep the last character's low bits 0 */
    assert_int_equal(tc_nonce_check(KEY, 32, t, EXP - 10, raw, NULL, &err), TC_ERR_VERIFY);
    assert_string_equal(err.reason, "nonce_forged");
  }
  /* Every bit of the text: flip each of the 6 bits of each character's base64url value
   * (75 * 6 = 450 bits). The 448 that carry the 56 bytes change the MAC'd data or the
   * tag: forged. The last character's 2 low bits are padding: non-canonical, malformed. */
  static const char url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  int forged = 0, malformed = 0;
  for (size_t pos = 0; pos < TC_NONCE_TEXT_LEN; pos++) {
    int v = (int)(strchr(url, text[pos]) - url);
    for (int bit = 0; bit < 6; bit++) {
      char t[TC_NONCE_TEXT_LEN + 1];
      memcpy(t, text, sizeof t);
      t[pos] = url[v ^ (1 << bit)];
      tc_status st = tc_nonce_check(KEY, 32, t, EXP - 10, raw, NULL, &err);
      if (pos == TC_NONCE_TEXT_LEN - 1 && bit < 2) {
        assert_int_equal(st, TC_ERR_PARSE);
        assert_string_equal(err.reason, "nonce_malformed");
        malformed++;
      } else {
        assert_int_equal(st, TC_ERR_VERIFY);
        assert_string_equal(err.reason, "nonce_forged");
        forged++;
      }
    }
  }
  assert_int_equal(forged, 56 * 8);
  assert_int_equal(malformed, 2);
  /* And every bit of each character's ASCII byte (75 * 8 = 600 flips): never accepted;
   * a flip that leaves the alphabet is malformed, one that stays in it is forged or
   * (last character's padding bits) malformed. */
  for (size_t pos = 0; pos < TC_NONCE_TEXT_LEN; pos++) {
    for (int bit = 0; bit < 8; bit++) {
      char t[TC_NONCE_TEXT_LEN + 1];
      memcpy(t, text, sizeof t);
      t[pos] = (char)(t[pos] ^ (1 << bit));
      if (t[pos] == '\0')
        continue; /* cannot happen for base64url characters; keeps the length fixed */
      tc_status st = tc_nonce_check(KEY, 32, t, EXP - 10, raw, NULL, &err);
      const char *c = strchr(url, t[pos]);
      if (c == NULL) {
        assert_int_equal(st, TC_ERR_PARSE);
        assert_string_equal(err.reason, "nonce_malformed");
      } else if (pos == TC_NONCE_TEXT_LEN - 1 && ((c - url) & 3) != 0) {
        assert_int_equal(st, TC_ERR_PARSE);
        assert_string_equal(err.reason, "nonce_malformed");
      } else {
        assert_int_equal(st, TC_ERR_VERIFY);
        assert_string_equal(err.reason, "nonce_forged");
      }
    }
  }
  /* Made under another key. */
  uint8_t other[32];
  memset(other, 0x43, sizeof other);
  char t2[TC_NONCE_TEXT_LEN + 1];
  make_nonce(other, EXP, t2);
  assert_int_equal(tc_nonce_check(KEY, 32, t2, EXP - 10, raw, NULL, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "nonce_forged");
  /* Forged beats expired: an altered nonce says forged even when also past expiry. */
  t2[0] = t2[0] == 'A' ? 'B' : 'A';
  assert_int_equal(tc_nonce_check(KEY, 32, t2, EXP + 100, raw, NULL, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "nonce_forged");
}

static void test_nonce_malformed(void **state) {
  (void)state;
  char text[TC_NONCE_TEXT_LEN + 1];
  make_nonce(KEY, EXP, text);
  uint8_t raw[TC_NONCE_RAW_LEN];
  tc_error err;
  const char *bad[] = {"", "abc", "not a nonce at all"};
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(tc_nonce_check(KEY, 32, bad[i], 0, raw, NULL, &err), TC_ERR_PARSE);
    assert_string_equal(err.reason, "nonce_malformed");
  }
  assert_int_equal(tc_nonce_check(KEY, 32, NULL, 0, raw, NULL, &err), TC_ERR_PARSE);
  char t[TC_NONCE_TEXT_LEN + 2];
  memcpy(t, text, sizeof text);
  t[10] = '+'; /* base64, not base64url */
  assert_int_equal(tc_nonce_check(KEY, 32, t, 0, raw, NULL, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "nonce_malformed");
  memcpy(t, text, sizeof text);
  t[75] = 'A'; /* one character too many */
  t[76] = '\0';
  assert_int_equal(tc_nonce_check(KEY, 32, t, 0, raw, NULL, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "nonce_malformed");
  /* A short key is a usage error for both operations. */
  assert_int_equal(tc_nonce_check(KEY, 31, text, 0, raw, NULL, &err), TC_ERR_USAGE);
  uint8_t rnd[32] = {0};
  assert_int_equal(tc_nonce_make(KEY, 16, rnd, EXP, t, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "nonce_key_too_short");
}

/* FIPS 180-4 example "abc": SHA-512 and SHA-256 digests (NIST CSRC example values). */
static const char *SHA512_ABC = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                                "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
static const char *SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

static void hex(const uint8_t *p, size_t n, char *out) {
  for (size_t i = 0; i < n; i++)
    sprintf(out + 2 * i, "%02x", p[i]);
}

static void test_binding_known_answers(void **state) {
  (void)state;
  uint8_t out[64];
  char h[129];
  tc_error err;
  /* nonce "ab", runtime data "c": the binding hashes the concatenation "abc". */
  for (int tee = TC_TEE_SNP; tee <= TC_TEE_TDX; tee++) {
    assert_int_equal(tc_binding_compute((tc_tee)tee, (const uint8_t *)"ab", 2, (const uint8_t *)"c",
                                        1, out, &err),
                     TC_OK);
    hex(out, 64, h);
    assert_string_equal(h, SHA512_ABC);
  }
  assert_int_equal(
      tc_binding_compute(TC_TEE_SGX, (const uint8_t *)"a", 1, (const uint8_t *)"bc", 2, out, &err),
      TC_OK);
  hex(out, 32, h);
  assert_string_equal(h, SHA256_ABC);
  uint8_t zero[32] = {0};
  assert_memory_equal(out + 32, zero, 32);
  /* No runtime data. */
  assert_int_equal(tc_binding_compute(TC_TEE_SNP, (const uint8_t *)"abc", 3, NULL, 0, out, &err),
                   TC_OK);
  hex(out, 64, h);
  assert_string_equal(h, SHA512_ABC);
  assert_int_equal(
      tc_binding_compute(TC_TEE_UNKNOWN, (const uint8_t *)"abc", 3, NULL, 0, out, &err),
      TC_ERR_USAGE);
  assert_string_equal(err.reason, "tee_unsupported");
}

static void test_binding_check(void **state) {
  (void)state;
  uint8_t nonce[TC_NONCE_RAW_LEN], rd[40], report_data[64];
  for (int i = 0; i < TC_NONCE_RAW_LEN; i++)
    nonce[i] = (uint8_t)(i * 7);
  for (int i = 0; i < 40; i++)
    rd[i] = (uint8_t)(0xa0 + i);
  uint8_t cat[TC_NONCE_RAW_LEN + 40];
  memcpy(cat, nonce, TC_NONCE_RAW_LEN);
  memcpy(cat + TC_NONCE_RAW_LEN, rd, 40);
  SHA512(cat, sizeof cat, report_data);
  tc_error err;
  assert_int_equal(tc_binding_check(TC_TEE_SNP, report_data, nonce, TC_NONCE_RAW_LEN, rd, 40, &err),
                   TC_OK);
  assert_int_equal(tc_binding_check(TC_TEE_TDX, report_data, nonce, TC_NONCE_RAW_LEN, rd, 40, &err),
                   TC_OK);
  /* Another nonce (the "wrong nonce" case), other runtime data, other TEE rule. */
  nonce[5] ^= 1;
  assert_int_equal(tc_binding_check(TC_TEE_SNP, report_data, nonce, TC_NONCE_RAW_LEN, rd, 40, &err),
                   TC_ERR_VERIFY);
  assert_string_equal(err.reason, "binding_mismatch");
  {
    /* The detail gives both values in hex: SHA-512(this nonce || rd), computed here, and
     * the REPORT_DATA of the evidence. */
    uint8_t want[64];
    memcpy(cat, nonce, TC_NONCE_RAW_LEN);
    SHA512(cat, sizeof cat, want);
    memcpy(cat, nonce, TC_NONCE_RAW_LEN);
    cat[5] ^= 1; /* back to what report_data binds */
    char want_hex[129], got_hex[129], expect[400];
    for (int i = 0; i < 64; i++) {
      sprintf(want_hex + 2 * i, "%02x", want[i]);
      sprintf(got_hex + 2 * i, "%02x", report_data[i]);
    }
    snprintf(expect, sizeof expect, "expected %s, evidence has %s", want_hex, got_hex);
    if (strstr(err.detail, expect) == NULL)
      fail_msg("detail: %s\nwanted: %s", err.detail, expect);
  }
  nonce[5] ^= 1;
  assert_int_equal(tc_binding_check(TC_TEE_SNP, report_data, nonce, TC_NONCE_RAW_LEN, rd, 39, &err),
                   TC_ERR_VERIFY);
  assert_int_equal(tc_binding_check(TC_TEE_SGX, report_data, nonce, TC_NONCE_RAW_LEN, rd, 40, &err),
                   TC_ERR_VERIFY);
  /* SGX: SHA-256 then 32 zero bytes; a nonzero upper half is a mismatch. */
  uint8_t sgx[64] = {0};
  SHA256(cat, sizeof cat, sgx);
  assert_int_equal(tc_binding_check(TC_TEE_SGX, sgx, nonce, TC_NONCE_RAW_LEN, rd, 40, &err), TC_OK);
  sgx[63] = 1;
  assert_int_equal(tc_binding_check(TC_TEE_SGX, sgx, nonce, TC_NONCE_RAW_LEN, rd, 40, &err),
                   TC_ERR_VERIFY);
}

/* RFC 4648 section 10 test vectors. */
static void test_base64(void **state) {
  (void)state;
  static const struct {
    const char *in, *out;
  } v[] = {{"", ""},
           {"f", "Zg=="},
           {"fo", "Zm8="},
           {"foo", "Zm9v"},
           {"foob", "Zm9vYg=="},
           {"fooba", "Zm9vYmE="},
           {"foobar", "Zm9vYmFy"}};
  tc_error err;
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    tc_buf b;
    assert_int_equal(tc_b64_decode(v[i].out, strlen(v[i].out), TC_B64_ANY, "f", "bad", &b, &err),
                     TC_OK);
    assert_int_equal(b.len, strlen(v[i].in));
    assert_memory_equal(b.data, v[i].in, b.len);
    tc_buf_free(&b);
    /* Unpadded form decodes too; the url encoder writes it. */
    char unpadded[16];
    snprintf(unpadded, sizeof unpadded, "%s", v[i].out);
    char *eq = strchr(unpadded, '=');
    if (eq)
      *eq = '\0';
    assert_int_equal(tc_b64_decode(unpadded, strlen(unpadded), TC_B64_ANY, "f", "bad", &b, &err),
                     TC_OK);
    assert_int_equal(b.len, strlen(v[i].in));
    tc_buf_free(&b);
    char *enc = tc_b64_encode(v[i].in, strlen(v[i].in), TC_B64_URL);
    assert_string_equal(enc, unpadded);
    free(enc);
  }
  /* Both alphabets: 0xfb 0xff = "+/8" (std) = "-_8" (url). */
  tc_buf b;
  assert_int_equal(tc_b64_decode("-_8", 3, TC_B64_ANY, "f", "bad", &b, &err), TC_OK);
  assert_int_equal(b.len, 2);
  assert_int_equal(b.data[0], 0xfb);
  assert_int_equal(b.data[1], 0xff);
  tc_buf_free(&b);
  const char *bad[] = {"Zm9v!", "Z", "Zm9 v", "Zh==", "Zm8==", "=Zm8"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(tc_b64_decode(bad[i], strlen(bad[i]), TC_B64_ANY, "evidence",
                                   "evidence_not_base64", &b, &err),
                     TC_ERR_PARSE);
    assert_string_equal(err.reason, "evidence_not_base64");
    assert_non_null(strstr(err.detail, "evidence"));
  }
}

static void test_metrics_text(void **state) {
  (void)state;
  svc_metrics *m = svc_metrics_new();
  svc_metrics_request(m, "/v1/attest", 200);
  svc_metrics_request(m, "/v1/attest", 200);
  svc_metrics_request(m, "/v1/attest", 403);
  svc_metrics_verification(m, "snp", "warning", 0.003);
  svc_metrics_verification(m, "snp", "invalid", 0.2);
  /* expiry and missing collateral are counted apart from bad evidence */
  const char *expired[] = {"crl_expired", "tcb_info_expired", "qe_identity_expired",
                           "pck_cert_expired", "cert_expired_at_verify_at"};
  for (size_t i = 0; i < sizeof expired / sizeof expired[0]; i++)
    assert_string_equal(svc_metrics_invalid_result(expired[i]), "collateral_expired");
  assert_string_equal(svc_metrics_invalid_result("collateral_missing"), "collateral_missing");
  assert_string_equal(svc_metrics_invalid_result("collateral_unavailable"), "collateral_missing");
  assert_string_equal(svc_metrics_invalid_result("report_signature_invalid"), "invalid");
  assert_string_equal(svc_metrics_invalid_result("_expired"), "invalid");
  assert_string_equal(svc_metrics_invalid_result(""), "invalid");
  svc_metrics_policy_reload(m, 1);
  svc_metrics_collateral(m, 0);
  size_t len = 0;
  char *t = svc_metrics_render(m, &len);
  assert_non_null(t);
  assert_int_equal(strlen(t), len);
  assert_non_null(strstr(t, "# TYPE teectl_http_requests_total counter\n"));
  assert_non_null(strstr(t, "teectl_http_requests_total{route=\"/v1/attest\",code=\"200\"} 2\n"));
  assert_non_null(strstr(t, "teectl_http_requests_total{route=\"/v1/attest\",code=\"403\"} 1\n"));
  assert_non_null(strstr(t, "teectl_verifications_total{tee=\"snp\",result=\"warning\"} 1\n"));
  assert_non_null(strstr(t, "teectl_policy_reloads_total{result=\"success\"} 1\n"));
  assert_non_null(strstr(t, "teectl_collateral_cache_requests_total{result=\"miss\"} 1\n"));
  /* 0.003 s falls in le=0.005 and above, not in le=0.0025; 0.2 s from le=0.25. */
  assert_non_null(
      strstr(t, "teectl_verification_duration_seconds_bucket{tee=\"snp\",le=\"0.0025\"} 0\n"));
  assert_non_null(
      strstr(t, "teectl_verification_duration_seconds_bucket{tee=\"snp\",le=\"0.005\"} 1\n"));
  assert_non_null(
      strstr(t, "teectl_verification_duration_seconds_bucket{tee=\"snp\",le=\"0.1\"} 1\n"));
  assert_non_null(
      strstr(t, "teectl_verification_duration_seconds_bucket{tee=\"snp\",le=\"0.25\"} 2\n"));
  assert_non_null(
      strstr(t, "teectl_verification_duration_seconds_bucket{tee=\"snp\",le=\"+Inf\"} 2\n"));
  assert_non_null(strstr(t, "teectl_verification_duration_seconds_count{tee=\"snp\"} 2\n"));
  assert_non_null(strstr(t, "teectl_verification_duration_seconds_sum{tee=\"snp\"} 0.203000000\n"));
  assert_null(strstr(t, "tee=\"tdx\""));
  free(t);
  svc_metrics_free(m);
}

static void test_config_file(void **state) {
  (void)state;
  srv s;
  srv_init(&s);
  const char *good = "{\"listen\": \"0.0.0.0:9000\", \"policy\": \"p.json\", \"token-ttl\": 60,"
                     " \"public-key\": [\"a.jwk\", \"b.jwk\"], \"trust-root\": \"root.pem\","
                     " \"insecure-http\": true, \"at\": \"2024-01-02T03:04:05Z\"}";
  char *p = srv_write(&s, "good.json", good, strlen(good));
  tc_service_options o;
  tc_service_options_init(&o);
  json_t *holder = NULL;
  tc_error err;
  assert_int_equal(tc_service_config_load(p, &o, &holder, &err), TC_OK);
  assert_string_equal(o.listen, "0.0.0.0:9000");
  assert_string_equal(o.policy, "p.json");
  assert_int_equal(o.token_ttl, 60);
  assert_int_equal(o.n_public_keys, 2);
  assert_string_equal(o.public_keys[1], "b.jwk");
  assert_int_equal(o.n_trust_roots, 1);
  assert_string_equal(o.trust_roots[0], "root.pem");
  assert_int_equal(o.insecure_http, 1);
  assert_int_equal(o.has_at, 1);
  assert_int_equal(o.at, 1704164645); /* 2024-01-02T03:04:05Z */
  assert_int_equal(o.nonce_ttl, 300); /* untouched default */
  json_decref(holder);
  free(p);

  const struct {
    const char *text, *reason;
  } bad[] = {{"{\"listne\": \"x\"}", "config_unknown_key"},
             {"{\"token-ttl\": \"60\"}", "config_invalid"},
             {"{\"token-ttl\": 0}", "config_invalid"},
             {"{\"listen\": ", "config_invalid"},
             {"[1]", "config_invalid"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    p = srv_write(&s, "bad.json", bad[i].text, strlen(bad[i].text));
    tc_service_options_init(&o);
    assert_int_not_equal(tc_service_config_load(p, &o, &holder, &err), TC_OK);
    assert_string_equal(err.reason, bad[i].reason);
    assert_null(holder);
    free(p);
  }
  assert_int_equal(tc_service_config_load(srv_path(&s, "missing.json"), &o, &holder, &err),
                   TC_ERR_IO);
  srv_cleanup(&s);
}

/* The flag parser and the config loader read one table: each integer option takes the same
 * range both ways, every row but the flag-only ones is a config key, and documented
 * ranges hold (token-ttl 1..86400, max-body-bytes 1024..64 MiB, threads 0..1024). */
static void test_option_table(void **state) {
  (void)state;
  tc_service_options o;
  tc_error err;
  char text[32];
  for (size_t i = 0; i < tc_service_n_opts; i++) {
    const tc_service_opt *d = &tc_service_opts[i];
    assert_ptr_equal(tc_service_opt_find(d->name), d);
    assert_non_null(d->doc);
    if (d->kind != TC_SOPT_UINT)
      continue;
    tc_service_options_init(&o);
    long long edge[4] = {d->min - 1, d->min, d->max, d->max + 1};
    for (int k = 0; k < 4; k++) {
      snprintf(text, sizeof text, "%lld", edge[k]);
      json_t *v = json_integer(edge[k]);
      tc_status want = k == 0 || k == 3 ? TC_ERR_USAGE : TC_OK;
      if (tc_service_opt_set(&o, d, text, 0, &err) != want)
        fail_msg("--%s %s", d->name, text);
      if (tc_service_opt_set_json(&o, d, v, &err) != (want == TC_OK ? TC_OK : TC_ERR_PARSE))
        fail_msg("config %s: %s", d->name, text);
      json_decref(v);
    }
  }
  const tc_service_opt *ttl = tc_service_opt_find("token-ttl");
  assert_int_equal(ttl->min, 1);
  assert_int_equal(ttl->max, 86400);
  assert_int_equal(tc_service_opt_find("max-body-bytes")->max, 64LL << 20);
  assert_int_equal(tc_service_opt_find("threads")->min, 0);
  tc_service_options_init(&o);
  assert_int_equal(
      tc_service_opt_set(&o, tc_service_opt_find("max-body-bytes"), "67108864", 0, &err), TC_OK);
  assert_int_equal(o.max_body_bytes, 67108864u);
  assert_int_equal(tc_service_opt_set(&o, tc_service_opt_find("threads"), "7", 0, &err), TC_OK);
  assert_int_equal(o.threads, 7u);
  assert_int_equal(o.token_ttl, 300); /* defaults from the table */
  assert_int_equal(o.max_connections, 256u);
  assert_string_equal(o.listen, "127.0.0.1:8443");
  /* Repeated list flags: the first replaces (a config file's list), later ones append. */
  const tc_service_opt *pk = tc_service_opt_find("public-key");
  o.n_public_keys = 3;
  assert_int_equal(tc_service_opt_set(&o, pk, "a", 0, &err), TC_OK);
  assert_int_equal(tc_service_opt_set(&o, pk, "b", 1, &err), TC_OK);
  assert_int_equal(o.n_public_keys, 2);
  assert_string_equal(o.public_keys[1], "b");
  for (int k = 0; k < 14; k++)
    assert_int_equal(tc_service_opt_set(&o, pk, "c", 1, &err), TC_OK);
  assert_int_equal(tc_service_opt_set(&o, pk, "d", 1, &err), TC_ERR_USAGE);
  /* test-no-nonce is a flag only, never a config key. */
  assert_true(tc_service_opt_find("test-no-nonce")->flags & TC_SOPT_FLAG_ONLY);
}

/* The KBS rate limit counts per IPv4 address and per IPv6 /64 (RFC 4291 2.5.4: a host picks
 * its interface ID among the 2^64 addresses of its /64); expected keys in RFC 5952 form. */
static void test_rate_limit_per_client(void **state) {
  (void)state;
  static const struct {
    const char *remote, *key;
  } keys[] = {
      {"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
      {"2001:db8:1:2::", "2001:db8:1:2::/64"},
      {"::1", "::/64"},
      {"fe80::1:2", "fe80::/64"},
      {"::ffff:192.0.2.7", "192.0.2.7"},
      {"192.0.2.7", "192.0.2.7"},
      {"", ""},
  };
  char k[64];
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    svc_rate_client_key(keys[i].remote, k, sizeof k);
    if (strcmp(k, keys[i].key) != 0)
      fail_msg("'%s': key '%s', expected '%s'", keys[i].remote, k, keys[i].key);
  }
  svc_rate_limiter *l = svc_rate_new();
  assert_non_null(l);
  const int64_t t = 1700000040; /* a minute's start: t .. t+59 is one window */
  /* one /64, three addresses: the fourth request is over a limit of 3 */
  assert_true(svc_rate_ok(l, "auth", "2001:db8:1:2::1", 3, t));
  assert_true(svc_rate_ok(l, "auth", "2001:db8:1:2::2", 3, t));
  assert_true(svc_rate_ok(l, "auth", "2001:db8:1:2:ffff:ffff:ffff:ffff", 3, t + 10));
  assert_false(svc_rate_ok(l, "auth", "2001:db8:1:2:abcd::9", 3, t + 59));
  /* the next /64, the other route, the next window: counted apart */
  assert_true(svc_rate_ok(l, "auth", "2001:db8:1:3::1", 3, t + 59));
  assert_true(svc_rate_ok(l, "attest", "2001:db8:1:2::1", 3, t + 59));
  assert_true(svc_rate_ok(l, "auth", "2001:db8:1:2::1", 3, t + 60));
  /* IPv4 per address; an IPv4-mapped address is that IPv4 address */
  for (int i = 0; i < 3; i++)
    assert_true(svc_rate_ok(l, "auth", "192.0.2.7", 3, t));
  assert_false(svc_rate_ok(l, "auth", "::ffff:192.0.2.7", 3, t));
  assert_true(svc_rate_ok(l, "auth", "192.0.2.8", 3, t));
  assert_true(svc_rate_ok(l, "auth", "::ffff:192.0.2.9", 3, t));
  svc_rate_free(l);
}

/* A client over its limit stays limited while many other clients come and go: no other
 * address can take its count over (the table holds 1024, here 3000 others pass through
 * the same minute; with a slot per hash and takeover, some of them reset its count). */
static void test_rate_limit_no_takeover(void **state) {
  (void)state;
  svc_rate_limiter *l = svc_rate_new();
  assert_non_null(l);
  const int64_t t = 1700000040;
  unsigned allowed = 0;
  for (unsigned i = 0; i < 3000; i++) {
    char other[40];
    snprintf(other, sizeof other, "198.51.%u.%u", 100 + i / 250, i % 250);
    allowed += (unsigned)svc_rate_ok(l, "auth", "203.0.113.58", 3, t + (int64_t)(i % 60));
    assert_true(svc_rate_ok(l, "auth", other, 3, t + (int64_t)(i % 60)));
  }
  assert_int_equal(allowed, 3);
  svc_rate_free(l);
}

/* The 200 answer {"token": JWS} written without jansson is exactly jansson's compact text;
 * anything that is not a token made of base64url parts and dots is left to jansson (NULL). */
static void test_token_answer_text(void **state) {
  (void)state;
  static const char *const same[] = {
      "eyJhbGciOiJFUzI1NiJ9.eyJpYXQiOjF9.abc-_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
      "a.b.c",
      "",
  };
  for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
    json_t *v = json_pack("{s:s}", "token", same[i]);
    char *want = json_dumps(v, JSON_COMPACT), *got = svc_token_answer_text(v);
    assert_non_null(got);
    assert_string_equal(got, want);
    char expect[256];
    snprintf(expect, sizeof expect, "{\"token\":\"%s\"}", same[i]);
    assert_string_equal(got, expect);
    free(want);
    free(got);
    json_decref(v);
  }
  /* characters JSON escapes or that are no JWS's: jansson's text, not this one */
  static const char *const other[] = {"a\"b", "a\\b", "a\nb", "a/b", "a b", "caf\xc3\xa9", "a=b"};
  for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
    json_t *v = json_pack("{s:s}", "token", other[i]);
    assert_null(svc_token_answer_text(v));
    json_decref(v);
  }
  json_t *nul = json_object();
  json_object_set_new(nul, "token", json_stringn("a\0b", 3));
  assert_null(svc_token_answer_text(nul));
  json_decref(nul);
  json_t *two = json_pack("{s:s, s:s}", "token", "a.b", "error", "x");
  json_t *num = json_pack("{s:i}", "token", 1);
  json_t *other_key = json_pack("{s:s}", "toke", "a.b");
  assert_null(svc_token_answer_text(two));
  assert_null(svc_token_answer_text(num));
  assert_null(svc_token_answer_text(other_key));
  assert_null(svc_token_answer_text(NULL));
  json_decref(two);
  json_decref(num);
  json_decref(other_key);
}

/* svc_audit: each record is one line of compact JSON with sorted keys and a "ts", whole,
 * for a short record and for one longer than the on-stack line buffer. */
static void test_audit_lines(void **state) {
  (void)state;
  FILE *cap = tmpfile();
  assert_non_null(cap);
  fflush(stdout);
  int saved = dup(STDOUT_FILENO);
  assert_true(saved >= 0);
  assert_true(dup2(fileno(cap), STDOUT_FILENO) >= 0);
  char big[5001];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  json_t *a = json_pack("{s:s, s:s, s:s}", "event", "attest", "b", "\"q\"", "ts", "T");
  json_t *b = json_pack("{s:s, s:s}", "event", "long", "detail", big);
  svc_audit(a);
  svc_audit(b);
  fflush(stdout);
  assert_true(dup2(saved, STDOUT_FILENO) >= 0);
  close(saved);
  rewind(cap);
  char *line = NULL;
  size_t cap_len = 0;
  ssize_t n = getline(&line, &cap_len, cap);
  assert_string_equal(line, "{\"b\":\"\\\"q\\\"\",\"event\":\"attest\",\"ts\":\"T\"}\n");
  n = getline(&line, &cap_len, cap);
  assert_int_equal(
      n, (ssize_t)strlen("{\"detail\":\"\",\"event\":\"long\",\"ts\":\"2026-01-01T00:00:00Z\"}\n") +
             5000);
  json_t *got = json_loadb(line, (size_t)n - 1, 0, NULL);
  assert_non_null(got);
  assert_string_equal(json_string_value(json_object_get(got, "detail")), big);
  assert_int_equal(strlen(json_string_value(json_object_get(got, "ts"))), 20);
  assert_int_equal(line[n - 1], '\n');
  assert_int_equal(getline(&line, &cap_len, cap), -1);
  free(line);
  json_decref(got);
  json_decref(a);
  json_decref(b);
  fclose(cap);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nonce_layout),
      cmocka_unit_test(test_nonce_expired),
      cmocka_unit_test(test_nonce_expiry_out_of_range),
      cmocka_unit_test(test_nonce_forged),
      cmocka_unit_test(test_nonce_malformed),
      cmocka_unit_test(test_binding_known_answers),
      cmocka_unit_test(test_binding_check),
      cmocka_unit_test(test_base64),
      cmocka_unit_test(test_token_answer_text),
      cmocka_unit_test(test_audit_lines),
      cmocka_unit_test(test_metrics_text),
      cmocka_unit_test(test_config_file),
      cmocka_unit_test(test_option_table),
      cmocka_unit_test(test_rate_limit_per_client),
      cmocka_unit_test(test_rate_limit_no_takeover),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
