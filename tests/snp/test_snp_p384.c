/* SPDX-License-Identifier: Apache-2.0 */
/* The report signature is verified with Nettle (tc_p384_verify), everything else with
 * OpenSSL: both must give the same answer. For every case of the shared SNP vectors (the
 * real leaf key, the signed bytes 0x000..0x29F, R and S read here from the report's
 * little-endian fields), and for mutations of each (bits of R, of S and of the message;
 * R or S zero, n, above n, all ones; S replaced by n - S), OpenSSL's verification
 * (tc_ecdsa_verify_raw) and Nettle's accept or reject alike. Independent facts asserted
 * too: each valid case's signature verifies, and so does (R, n - S) (ECDSA verification
 * only sees s through s^-1 * (z, r) up to the sign of the point's x; SEC 1 4.1.4), while
 * R or S of 0 or n never does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/x509.h>

#include "core/auto.h"
#include "crypto/ecdsa.h"
#include "crypto/x509.h"
#include "snp_testutil.h"
#include "teectl/snp.h"
#include "testlib.h"

static const char *g_snp_dir;

/* The order n of P-384 (FIPS 186-4 D.1.2.4 / SEC 2 2.5.1), big-endian. */
static const char p384_n_hex[] = "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf"
                                 "581a0db248b0a77aecec196accc52973";

/* 1 accepted / 0 rejected by OpenSSL and by Nettle: fails the test when they differ. */
static int both(const char *name, const char *what, const EVP_PKEY *pkey, const tc_p384_key *key,
                const uint8_t *msg, const uint8_t sig[96]) {
  tc_error e1, e2;
  int a = tc_ecdsa_verify_raw(pkey, TC_EC_P384, TC_HASH_SHA384, msg, TC_SNP_SIGNED_SIZE, sig, 96,
                              &e1) == TC_OK;
  int b = tc_p384_verify(key, msg, TC_SNP_SIGNED_SIZE, sig, &e2) == TC_OK;
  if (a != b)
    fail_msg("%s: %s: OpenSSL %s, Nettle %s", name, what, a ? "accepts" : "rejects",
             b ? "accepts" : "rejects");
  if (!a) {
    assert_string_equal(e1.reason, "signature_invalid");
    assert_string_equal(e2.reason, "signature_invalid");
  }
  return a;
}

/* 48 bytes big-endian from a 72-byte little-endian field whose upper 24 bytes are zero. */
static void be48_of_le72(const uint8_t *le, uint8_t *be) {
  for (int i = 0; i < 48; i++)
    be[i] = le[47 - i];
}

static void set_bn(uint8_t *out48, const BIGNUM *v) {
  assert_int_equal(BN_bn2binpad(v, out48, 48), 48);
}

static void agree_case(void **state) {
  const char *name = *state;
  snp_case c;
  snp_case_load(g_snp_dir, name, &c);
  const tc_buf *leaf_der = c.col.vcek.data ? &c.col.vcek : &c.col.vlek;
  const char *verdict = json_string_value(json_object_get(c.expected, "verdict"));
  TC_AUTO(X509) *leaf = NULL;
  tc_error err;
  if (c.report.len != TC_SNP_REPORT_SIZE || leaf_der->data == NULL ||
      tc_x509_parse(leaf_der->data, leaf_der->len, &leaf, &err) != TC_OK ||
      !tc_ec_key_on(X509_get0_pubkey(leaf), TC_EC_P384)) {
    /* no signature to check here (truncated report, no leaf, or not a P-384 leaf) */
    assert_string_equal(verdict, "invalid");
    snp_case_free(&c);
    return;
  }
  const EVP_PKEY *pkey = X509_get0_pubkey(leaf);
  tc_p384_key *key = NULL;
  assert_int_equal(tc_p384_key_new(pkey, &key, &err), TC_OK);
  uint8_t msg[TC_SNP_SIGNED_SIZE], sig[96], m[TC_SNP_SIGNED_SIZE], s2[96];
  memcpy(msg, c.report.data, sizeof msg);
  be48_of_le72(c.report.data + 0x2A0, sig);
  be48_of_le72(c.report.data + 0x2E8, sig + 48);
  int valid = strcmp(verdict, "valid") == 0;
  int ok = both(name, "as signed", pkey, key, msg, sig);
  if (valid)
    assert_true(ok);
  char what[64];
  /* 24 bits of R, 24 of S, 16 of the message, spread over each */
  for (int i = 0; i < 48; i++) {
    memcpy(s2, sig, 96);
    int bit = i < 24 ? i * 16 + i % 8 : 384 + (i - 24) * 16 + i % 8;
    s2[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
    snprintf(what, sizeof what, "signature bit %d flipped", bit);
    assert_false(both(name, what, pkey, key, msg, s2));
  }
  for (int i = 0; i < 16; i++) {
    memcpy(m, msg, sizeof m);
    int bit = i * (8 * TC_SNP_SIGNED_SIZE / 16) + i;
    m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    snprintf(what, sizeof what, "message bit %d flipped", bit);
    assert_false(both(name, what, pkey, key, m, sig));
  }
  /* R, S = 0, n, n + 1, all ones; (R, n - S) */
  TC_AUTO(BIGNUM) *n = NULL;
  assert_true(BN_hex2bn(&n, p384_n_hex) > 0);
  TC_AUTO(BIGNUM) *v = BN_new();
  assert_non_null(v);
  for (int half = 0; half < 2; half++) {
    for (int k = 0; k < 4; k++) {
      memcpy(s2, sig, 96);
      if (k == 0)
        memset(s2 + 48 * half, 0, 48);
      else if (k == 1)
        set_bn(s2 + 48 * half, n);
      else if (k == 2) {
        assert_int_equal(BN_add(v, n, BN_value_one()), 1);
        set_bn(s2 + 48 * half, v);
      } else
        memset(s2 + 48 * half, 0xff, 48);
      snprintf(what, sizeof what, "%s = case %d", half ? "S" : "R", k);
      assert_false(both(name, what, pkey, key, msg, s2));
    }
  }
  TC_AUTO(BIGNUM) *s = BN_bin2bn(sig + 48, 48, NULL);
  BN_CTX *bctx = BN_CTX_new();
  assert_non_null(s);
  assert_int_equal(BN_mod_sub(v, n, s, n, bctx), 1);
  BN_CTX_free(bctx);
  memcpy(s2, sig, 48);
  set_bn(s2 + 48, v);
  ok = both(name, "S replaced by n - S", pkey, key, msg, s2);
  if (valid)
    assert_true(ok);
  tc_p384_key_free(key);
  snp_case_free(&c);
}

/* A key that is not P-384 is refused at construction. */
static void key_not_p384(void **state) {
  (void)state;
  TC_AUTO(EVP_PKEY) *p256 = EVP_EC_gen("P-256");
  assert_non_null(p256);
  tc_p384_key *key = NULL;
  tc_error err;
  assert_int_equal(tc_p384_key_new(p256, &key, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "signature_invalid");
  assert_null(key);
}

int main(int argc, char **argv) {
  char *snp = NULL;
  size_t n = 0;
  char **names = snp_case_names(argc, argv, &snp, &n);
  g_snp_dir = snp;
  struct CMUnitTest *tests = calloc(n + 1, sizeof *tests);
  assert_non_null(tests);
  tests[0] = (struct CMUnitTest)cmocka_unit_test(key_not_p384);
  for (size_t i = 0; i < n; i++) {
    tests[i + 1].name = names[i];
    tests[i + 1].test_func = agree_case;
    tests[i + 1].initial_state = names[i];
  }
  int rc = _cmocka_run_group_tests("snp_p384", tests, n + 1, NULL, NULL);
  free(tests);
  test_free_list(names);
  free(snp);
  return rc;
}
