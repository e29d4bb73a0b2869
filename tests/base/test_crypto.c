/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the crypto module: digests against the FIPS 180-2 example values
 * ("abc"), token ids, and raw r || s ECDSA verification with keys made at test time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/auto.h"
#include "crypto/ecdsa.h"
#include "crypto/trust.h"
#include "crypto/x509.h"
#include "teectl/bytes.h"
#include "teectl/crypto.h"

/* FIPS 180-2 appendix B.1 / D.1: the digests of "abc". */
static const char sha256_abc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char sha384_abc[] = "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
                                 "8086072ba1e7cc2358baeca134c825a7";

static void test_digests(void **state) {
  (void)state;
  uint8_t md[TC_SHA384_LEN];
  char hex[2 * TC_SHA384_LEN + 1];
  assert_int_equal(tc_sha256("abc", 3, md, NULL), TC_OK);
  assert_string_equal(tc_hex_encode(md, TC_SHA256_LEN, hex), sha256_abc);
  assert_int_equal(tc_sha384("abc", 3, md, NULL), TC_OK);
  assert_string_equal(tc_hex_encode(md, TC_SHA384_LEN, hex), sha384_abc);
  assert_int_equal(tc_sha256_hex("abc", 3, hex, NULL), TC_OK);
  assert_string_equal(hex, sha256_abc);
  /* Parts are concatenated; empty parts (NULL data) are allowed. */
  const tc_span parts[3] = {{"a", 1}, {NULL, 0}, {"bc", 2}};
  assert_int_equal(tc_hash(TC_HASH_SHA256, parts, 3, md, NULL), TC_OK);
  assert_string_equal(tc_hex_encode(md, TC_SHA256_LEN, hex), sha256_abc);
  assert_int_equal(tc_hash_len(TC_HASH_SHA512), 64);
  tc_error err;
  assert_int_equal(tc_hash((tc_hash_alg)9, parts, 3, md, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "bad_argument");
}

static void test_token_id(void **state) {
  (void)state;
  char a[TC_TOKEN_ID_LEN + 1], b[TC_TOKEN_ID_LEN + 1];
  assert_int_equal(tc_token_id(a, NULL), TC_OK);
  assert_int_equal(tc_token_id(b, NULL), TC_OK);
  assert_int_equal(strlen(a), 22);
  assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                   22);
  /* 128 bits: the last character carries 2 bits, so it is one of A, Q, g, w. */
  assert_non_null(strchr("AQgw", a[21]));
  assert_string_not_equal(a, b);
}

/* Sign msg with key (OpenSSL, DER) and convert to raw big-endian r || s of n bytes each. */
static void sign_raw(EVP_PKEY *key, const EVP_MD *md, const uint8_t *msg, size_t len, uint8_t *rs,
                     int n) {
  TC_AUTO(EVP_MD_CTX) *ctx = EVP_MD_CTX_new();
  uint8_t der[160];
  size_t dl = sizeof der;
  assert_int_equal(EVP_DigestSignInit(ctx, NULL, md, NULL, key), 1);
  assert_int_equal(EVP_DigestSign(ctx, der, &dl, msg, len), 1);
  const unsigned char *p = der;
  TC_AUTO(ECDSA_SIG) *sig = d2i_ECDSA_SIG(NULL, &p, (long)dl);
  assert_non_null(sig);
  assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, n), n);
  assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + n, n), n);
}

static void test_ecdsa_raw(void **state) {
  (void)state;
  static const uint8_t msg[] = "evidence bytes";
  TC_AUTO(EVP_PKEY) *p256 = EVP_EC_gen("P-256");
  TC_AUTO(EVP_PKEY) *p384 = EVP_EC_gen("P-384");
  uint8_t rs[96];
  tc_error err;

  sign_raw(p256, EVP_sha256(), msg, sizeof msg, rs, 32);
  assert_int_equal(
      tc_ecdsa_verify_raw(p256, TC_EC_P256, TC_HASH_SHA256, msg, sizeof msg, rs, 64, &err), TC_OK);
  /* Another message, a flipped signature bit, the wrong curve or digest: rejected. */
  assert_int_equal(
      tc_ecdsa_verify_raw(p256, TC_EC_P256, TC_HASH_SHA256, msg, sizeof msg - 1, rs, 64, &err),
      TC_ERR_VERIFY);
  rs[63] ^= 1;
  assert_int_equal(
      tc_ecdsa_verify_raw(p256, TC_EC_P256, TC_HASH_SHA256, msg, sizeof msg, rs, 64, &err),
      TC_ERR_VERIFY);
  rs[63] ^= 1;
  assert_int_equal(
      tc_ecdsa_verify_raw(p256, TC_EC_P384, TC_HASH_SHA256, msg, sizeof msg, rs, 64, &err),
      TC_ERR_VERIFY);
  assert_int_equal(
      tc_ecdsa_verify_raw(p256, TC_EC_P256, TC_HASH_SHA384, msg, sizeof msg, rs, 64, &err),
      TC_ERR_VERIFY);

  sign_raw(p384, EVP_sha384(), msg, sizeof msg, rs, 48);
  assert_int_equal(
      tc_ecdsa_verify_raw(p384, TC_EC_P384, TC_HASH_SHA384, msg, sizeof msg, rs, 96, &err), TC_OK);
  assert_true(tc_ec_key_on(p384, TC_EC_P384));
  assert_false(tc_ec_key_on(p384, TC_EC_P256));
}

/* tc_ecdsa_sign_raw (the token signing key): its r || s verify with OpenSSL's own DER
 * ECDSA-Sig-Value built here (EVP_DigestVerify), and it refuses what it cannot make. */
static void test_ecdsa_sign_raw(void **state) {
  (void)state;
  static const uint8_t msg[] = "header.payload";
  TC_AUTO(EVP_PKEY) *p256 = EVP_EC_gen("P-256");
  TC_AUTO(EVP_PKEY) *p384 = EVP_EC_gen("P-384");
  uint8_t rs[64];
  tc_error err;
  assert_int_equal(
      tc_ecdsa_sign_raw(p256, TC_EC_P256, TC_HASH_SHA256, msg, sizeof msg, rs, 64, &err), TC_OK);
  TC_AUTO(ECDSA_SIG) *sig = ECDSA_SIG_new();
  BIGNUM *r = BN_bin2bn(rs, 32, NULL), *s = BN_bin2bn(rs + 32, 32, NULL);
  assert_int_equal(ECDSA_SIG_set0(sig, r, s), 1);
  TC_AUTO(tc_ossl_bytes) *der = NULL;
  int dlen = i2d_ECDSA_SIG(sig, &der);
  assert_true(dlen > 0);
  TC_AUTO(EVP_MD_CTX) *ctx = EVP_MD_CTX_new();
  assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, p256), 1);
  assert_int_equal(EVP_DigestVerify(ctx, der, (size_t)dlen, msg, sizeof msg), 1);
  /* two signatures of one message differ (random k), both verify */
  uint8_t rs2[64];
  assert_int_equal(
      tc_ecdsa_sign_raw(p256, TC_EC_P256, TC_HASH_SHA256, msg, sizeof msg, rs2, 64, &err), TC_OK);
  assert_memory_not_equal(rs, rs2, 64);
  assert_int_equal(
      tc_ecdsa_verify_raw(p256, TC_EC_P256, TC_HASH_SHA256, msg, sizeof msg, rs2, 64, &err), TC_OK);
  /* wrong curve, wrong length, a public key alone */
  assert_int_equal(
      tc_ecdsa_sign_raw(p384, TC_EC_P256, TC_HASH_SHA256, msg, sizeof msg, rs, 64, &err),
      TC_ERR_USAGE);
  assert_string_equal(err.reason, "bad_argument");
  assert_int_equal(
      tc_ecdsa_sign_raw(p256, TC_EC_P256, TC_HASH_SHA256, msg, sizeof msg, rs, 62, &err),
      TC_ERR_USAGE);
  TC_AUTO(tc_ossl_bytes) *pub = NULL;
  int pl = i2d_PUBKEY(p256, &pub);
  const unsigned char *pp = pub;
  TC_AUTO(EVP_PKEY) *pubkey = d2i_PUBKEY(NULL, &pp, pl);
  assert_non_null(pubkey);
  assert_int_equal(
      tc_ecdsa_sign_raw(pubkey, TC_EC_P256, TC_HASH_SHA256, msg, sizeof msg, rs, 64, &err),
      TC_ERR_INTERNAL);
}

static void test_ec_key_from_raw(void **state) {
  (void)state;
  TC_AUTO(EVP_PKEY) *key = EVP_EC_gen("P-256");
  uint8_t pub[65];
  size_t pl = 0;
  assert_int_equal(EVP_PKEY_get_octet_string_param(key, "pub", pub, sizeof pub, &pl), 1);
  assert_int_equal(pl, 65);
  TC_AUTO(EVP_PKEY) *back = tc_ec_key_from_raw(TC_EC_P256, pub + 1, 64);
  assert_non_null(back);
  assert_int_equal(EVP_PKEY_eq(key, back), 1);
  pub[64] ^= 1; /* y no longer on the curve */
  TC_AUTO(EVP_PKEY) *off = tc_ec_key_from_raw(TC_EC_P256, pub + 1, 64);
  assert_null(off);
}

/* A self-signed certificate for key, as DER into *der (OPENSSL_free). */
static int self_signed(EVP_PKEY *key, const char *cn, unsigned char **der) {
  TC_AUTO(X509) *c = X509_new();
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), 1);
  X509_gmtime_adj(X509_getm_notBefore(c), 0);
  X509_gmtime_adj(X509_getm_notAfter(c), 3600);
  X509_set_pubkey(c, key);
  X509_NAME *n = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
  X509_set_issuer_name(c, n);
  assert_true(X509_sign(c, key, EVP_sha256()) > 0);
  return i2d_X509(c, der);
}

static void test_trust_store(void **state) {
  (void)state;
  TC_AUTO(EVP_PKEY) *k1 = EVP_EC_gen("P-256");
  TC_AUTO(EVP_PKEY) *k2 = EVP_EC_gen("P-256");
  TC_AUTO(tc_ossl_bytes) *d1 = NULL;
  TC_AUTO(tc_ossl_bytes) *d2 = NULL;
  int l1 = self_signed(k1, "root one", &d1), l2 = self_signed(k2, "root two", &d2);
  assert_true(l1 > 0 && l2 > 0);
  tc_buf roots[2] = {{d1, (size_t)l1}, {(uint8_t *)"not a certificate", 17}};
  tc_error err;
  TC_AUTO(tc_trust_store) *ts = NULL;
  /* At load every root must parse; the detail names the one that does not. */
  assert_int_equal(tc_trust_store_new(roots, 2, &ts, &err), TC_ERR_PARSE);
  assert_null(ts);
  assert_string_equal(err.reason, "trust_root_invalid");
  assert_non_null(strstr(err.detail, "trust root #1"));
  assert_int_equal(tc_trust_store_new(roots, 1, &ts, &err), TC_OK);
  assert_null(tc_trust_error(ts));

  /* Pins are SHA-256 of the DER SubjectPublicKeyInfo, computed here independently. */
  uint8_t pin1[32], pin2[32];
  TC_AUTO(tc_ossl_bytes) *spki = NULL;
  int sl = i2d_PUBKEY(k1, &spki);
  assert_true(sl > 0);
  assert_int_equal(EVP_Digest(spki, (size_t)sl, pin1, NULL, EVP_sha256(), NULL), 1);
  assert_int_equal(tc_sha256("x", 1, pin2, NULL), TC_OK);
  assert_true(tc_trust_has_spki(ts, pin1));
  assert_false(tc_trust_has_spki(ts, pin2));
  assert_false(tc_trust_has_spki(NULL, pin1));

  TC_AUTO(X509) *c1 = NULL;
  TC_AUTO(X509) *c2 = NULL;
  assert_int_equal(tc_x509_parse(d1, (size_t)l1, &c1, &err), TC_OK);
  assert_int_equal(tc_x509_parse(d2, (size_t)l2, &c2, &err), TC_OK);
  assert_non_null(tc_trust_issuer_of(ts, c1));
  assert_null(tc_trust_issuer_of(ts, c2));

  /* Built for one verification from tc_collateral.trust_roots: a bad root is kept as an
   * error for the verifier to report, the good ones still count. */
  tc_collateral col = {.trust_roots = roots, .n_trust_roots = 2};
  TC_AUTO(tc_trust_store) *owned = NULL;
  const tc_trust_store *use = NULL;
  assert_int_equal(tc_trust_for(&col, &owned, &use, &err), TC_OK);
  assert_ptr_equal(use, owned);
  assert_true(tc_trust_has_spki(use, pin1));
  assert_non_null(tc_trust_error(use));
  assert_string_equal(tc_trust_error(use)->reason, "cert_unparsable");
  /* Parsed at load: used as it is. */
  col.trust = ts;
  TC_AUTO(tc_trust_store) *none = NULL;
  assert_int_equal(tc_trust_for(&col, &none, &use, &err), TC_OK);
  assert_null(none);
  assert_ptr_equal(use, ts);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_digests),     cmocka_unit_test(test_token_id),
      cmocka_unit_test(test_ecdsa_raw),   cmocka_unit_test(test_ec_key_from_raw),
      cmocka_unit_test(test_trust_store), cmocka_unit_test(test_ecdsa_sign_raw),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
