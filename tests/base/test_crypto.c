/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the crypto module: digests against the FIPS 180-2 example values
 * ("abc"), HMAC (RFC 4231), HKDF (RFC 5869), AES-256-GCM (a vector computed with
 * python3-cryptography), base64 (RFC 4648 section 10), token ids, and raw r || s ECDSA
 * verification with keys made at test time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/auto.h"
#include "crypto/ecdsa.h"
#include "crypto/trust.h"
#include "crypto/x509.h"
#include "teectl/base64.h"
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

/* Incremental digest: the same bytes in pieces give the one-shot value. */
static void test_digest_incremental(void **state) {
  (void)state;
  tc_hash_ctx *ctx = NULL;
  uint8_t md[TC_SHA256_LEN];
  char hex[2 * TC_SHA256_LEN + 1];
  assert_int_equal(tc_hash_begin(TC_HASH_SHA256, &ctx, NULL), TC_OK);
  assert_int_equal(tc_hash_update(ctx, "a", 1, NULL), TC_OK);
  assert_int_equal(tc_hash_update(ctx, NULL, 0, NULL), TC_OK);
  assert_int_equal(tc_hash_update(ctx, "bc", 2, NULL), TC_OK);
  assert_int_equal(tc_hash_end(ctx, md, NULL), TC_OK);
  tc_hash_ctx_free(ctx);
  assert_string_equal(tc_hex_encode(md, sizeof md, hex), sha256_abc);
}

static void test_hmac_hkdf(void **state) {
  (void)state;
  /* RFC 4231 section 4.3, test case 2 (HMAC-SHA-256), the data in two parts. */
  uint8_t mac[TC_SHA256_LEN];
  char hex[2 * 42 + 1];
  const tc_span parts[2] = {{"what do ya want ", 16}, {"for nothing?", 12}};
  assert_int_equal(tc_hmac(TC_HASH_SHA256, (const uint8_t *)"Jefe", 4, parts, 2, mac, NULL), TC_OK);
  assert_string_equal(tc_hex_encode(mac, sizeof mac, hex),
                      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  /* RFC 5869 appendix A.1 (salt and info) and A.3 (neither). */
  uint8_t ikm[22], salt[13], info[10], okm[42];
  memset(ikm, 0x0b, sizeof ikm);
  for (size_t i = 0; i < sizeof salt; i++)
    salt[i] = (uint8_t)i;
  for (size_t i = 0; i < sizeof info; i++)
    info[i] = (uint8_t)(0xf0 + i);
  assert_int_equal(tc_hkdf(TC_HASH_SHA256, ikm, sizeof ikm, salt, sizeof salt, info, sizeof info,
                           okm, sizeof okm, NULL),
                   TC_OK);
  assert_string_equal(tc_hex_encode(okm, sizeof okm, hex),
                      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5"
                      "b887185865");
  assert_int_equal(
      tc_hkdf(TC_HASH_SHA256, ikm, sizeof ikm, NULL, 0, NULL, 0, okm, sizeof okm, NULL), TC_OK);
  assert_string_equal(tc_hex_encode(okm, sizeof okm, hex),
                      "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395fa"
                      "a4b61a96c8");
}

/* AES-256-GCM: key 00..1f, IV 00..0b, AAD "teectl-kbs-session-v1", plaintext {"v":1};
 * expected ciphertext || tag from python3-cryptography's AESGCM. */
static void test_aes256gcm(void **state) {
  (void)state;
  uint8_t key[32], iv[12], ct[7 + TC_AES256GCM_TAG_LEN];
  char pt[8], hex[2 * sizeof ct + 1];
  for (size_t i = 0; i < sizeof key; i++)
    key[i] = (uint8_t)i;
  for (size_t i = 0; i < sizeof iv; i++)
    iv[i] = (uint8_t)i;
  static const char aad[] = "teectl-kbs-session-v1";
  assert_int_equal(tc_aes256gcm_seal(key, iv, aad, sizeof aad - 1, "{\"v\":1}", 7, ct, NULL),
                   TC_OK);
  assert_string_equal(tc_hex_encode(ct, sizeof ct, hex),
                      "3c20a039ffd4bf87ed211c7b3d05b38e734668d3a1a1e4");
  memset(pt, 0, sizeof pt);
  assert_int_equal(tc_aes256gcm_open(key, iv, aad, sizeof aad - 1, ct, 7, pt, NULL), TC_OK);
  assert_string_equal(pt, "{\"v\":1}");
  /* One flipped bit of ciphertext, tag or AAD: refused, and no plaintext comes out. */
  tc_error err;
  for (size_t bit = 0; bit < 8 * sizeof ct; bit += 13) {
    ct[bit / 8] ^= (uint8_t)(1u << bit % 8);
    memset(pt, 'x', sizeof pt);
    assert_int_equal(tc_aes256gcm_open(key, iv, aad, sizeof aad - 1, ct, 7, pt, &err),
                     TC_ERR_VERIFY);
    assert_string_equal(err.reason, "decryption_failed");
    assert_memory_equal(pt, "\0\0\0\0\0\0\0", 7);
    ct[bit / 8] ^= (uint8_t)(1u << bit % 8);
  }
  assert_int_equal(tc_aes256gcm_open(key, iv, aad, sizeof aad - 2, ct, 7, pt, &err), TC_ERR_VERIFY);
  assert_true(tc_ct_equal("abc", "abc", 3));
  assert_false(tc_ct_equal("abc", "abd", 3));
}

/* RFC 4648 section 10, both alphabets; strict decoding of each form. */
static void test_base64(void **state) {
  (void)state;
  static const struct {
    const char *in, *std, *url;
  } v[] = {{"", "", ""},
           {"f", "Zg==", "Zg"},
           {"fo", "Zm8=", "Zm8"},
           {"foo", "Zm9v", "Zm9v"},
           {"foob", "Zm9vYg==", "Zm9vYg"},
           {"fooba", "Zm9vYmE=", "Zm9vYmE"},
           {"foobar", "Zm9vYmFy", "Zm9vYmFy"}};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    char out[16];
    size_t n = strlen(v[i].in);
    assert_int_equal(tc_b64_encode_to(v[i].in, n, TC_B64_STD, out), strlen(v[i].std));
    assert_string_equal(out, v[i].std);
    assert_int_equal(tc_b64_encoded_len(n, TC_B64_URL), strlen(v[i].url));
    char *u = tc_b64_encode(v[i].in, n, TC_B64_URL);
    assert_string_equal(u, v[i].url);
    free(u);
    uint8_t dec[8];
    assert_int_equal(tc_b64_decode_to(v[i].std, strlen(v[i].std), TC_B64_STD, dec, sizeof dec), n);
    assert_memory_equal(dec, v[i].in, n);
    assert_int_equal(tc_b64_decode_to(v[i].url, strlen(v[i].url), TC_B64_URL, dec, sizeof dec), n);
    assert_memory_equal(dec, v[i].in, n);
  }
  /* 0xfb 0xff: "+/8=" standard, "-_8" url; each form refuses the other's alphabet or padding,
   * and a non-zero unused bit ("Zh==" / "Zh") has no byte string. */
  uint8_t d[4];
  assert_int_equal(tc_b64_decode_to("+/8=", 4, TC_B64_STD, d, sizeof d), 2);
  assert_int_equal(d[0], 0xfb);
  assert_int_equal(d[1], 0xff);
  assert_int_equal(tc_b64_decode_to("-_8", 3, TC_B64_URL, d, sizeof d), 2);
  assert_int_equal(tc_b64_decode_to("-_8=", 4, TC_B64_STD, d, sizeof d), SIZE_MAX);
  assert_int_equal(tc_b64_decode_to("+/8", 3, TC_B64_URL, d, sizeof d), SIZE_MAX);
  assert_int_equal(tc_b64_decode_to("Zm8=", 4, TC_B64_URL, d, sizeof d), SIZE_MAX);
  assert_int_equal(tc_b64_decode_to("Zm8", 3, TC_B64_STD, d, sizeof d), SIZE_MAX);
  assert_int_equal(tc_b64_decode_to("Zh==", 4, TC_B64_STD, d, sizeof d), SIZE_MAX);
  assert_int_equal(tc_b64_decode_to("Zh", 2, TC_B64_URL, d, sizeof d), SIZE_MAX);
  assert_int_equal(tc_b64_decode_to("Zm9vYmFy", 8, TC_B64_URL, d, sizeof d), SIZE_MAX);
  tc_buf b;
  tc_error err;
  assert_int_equal(tc_b64_decode("Zm9 vg", 6, TC_B64_ANY, "quote", "bad_b64", &b, &err),
                   TC_ERR_PARSE);
  assert_string_equal(err.reason, "bad_b64");
  assert_string_equal(err.detail, "quote: not base64 at offset 3");
}

/* Long input (whole blocks, and 1 or 2 bytes over) encoded by OpenSSL's EVP_EncodeBlock, an
 * independent encoder: decodes back in the standard form, and in the url form and TC_B64_ANY
 * once translated and unpadded; a character outside the alphabet is named at its exact offset
 * wherever it falls in a block; a caller buffer one byte short is refused. */
static void test_base64_long(void **state) {
  (void)state;
  uint8_t raw[4098], dec[4098];
  for (size_t i = 0; i < sizeof raw; i++)
    raw[i] = (uint8_t)(i * 167 + (i >> 8)); /* every byte value */
  static char enc[4 * (sizeof raw / 3 + 1) + 1];
  tc_error err;
  tc_buf b;
  for (size_t len = sizeof raw - 2; len <= sizeof raw; len++) {
    size_t n = (size_t)EVP_EncodeBlock((unsigned char *)enc, raw, (int)len);
    assert_int_equal(tc_b64_decode_to(enc, n, TC_B64_STD, dec, sizeof dec), len);
    assert_memory_equal(dec, raw, len);
    assert_int_equal(tc_b64_decode_to(enc, n, TC_B64_STD, dec, len - 1), SIZE_MAX);
    assert_int_equal(tc_b64_decode_to(enc, n, TC_B64_URL, dec, sizeof dec), SIZE_MAX);
    for (int at = 4000; at < 4008; at++) {
      char keep = enc[at];
      enc[at] = '!';
      assert_int_equal(tc_b64_decode(enc, n, TC_B64_ANY, "evidence", "bad_b64", &b, &err),
                       TC_ERR_PARSE);
      assert_null(b.data);
      char want[64];
      snprintf(want, sizeof want, "evidence: not base64 at offset %d", at);
      assert_string_equal(err.detail, want);
      enc[at] = keep;
    }
    for (size_t k = 0; k < n; k++)
      enc[k] = enc[k] == '+' ? '-' : enc[k] == '/' ? '_' : enc[k];
    while (enc[n - 1] == '=')
      n--;
    for (int form = TC_B64_URL; form <= TC_B64_ANY; form += TC_B64_ANY - TC_B64_URL) {
      assert_int_equal(tc_b64_decode(enc, n, (tc_b64_form)form, "f", "bad_b64", &b, &err), TC_OK);
      assert_int_equal(b.len, len);
      assert_memory_equal(b.data, raw, len);
      tc_buf_free(&b);
    }
    assert_int_equal(tc_b64_decode_to(enc, n, TC_B64_STD, dec, sizeof dec), SIZE_MAX);
  }
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
  /* No store, no roots: nothing built, NULL (trusts nothing, id all zero). */
  tc_collateral bare = {0};
  assert_int_equal(tc_trust_for(&bare, &none, &use, &err), TC_OK);
  assert_null(none);
  assert_null(use);
  assert_false(tc_trust_has_spki(use, pin1));
  assert_null(tc_trust_issuer_of(use, c1));
  uint8_t id[32], zero[32] = {0};
  tc_trust_id(use, id);
  assert_memory_equal(id, zero, 32);
}

/* PEM text of a DER certificate (OpenSSL's writer, independent of the code under test). */
static char *pem_of_der(const unsigned char *der, int len) {
  const unsigned char *p = der;
  TC_AUTO(X509) *x = d2i_X509(NULL, &p, len);
  TC_AUTO(BIO) *b = BIO_new(BIO_s_mem());
  assert_true(x != NULL && b != NULL && PEM_write_bio_X509(b, x) == 1);
  char *d;
  long n = BIO_get_mem_data(b, &d);
  char *out = calloc(1, (size_t)n + 1);
  memcpy(out, d, (size_t)n);
  return out;
}

/* Certificates as bytes: names, a chain split into PEM blocks, validity of a chain. */
static void test_cert_bytes(void **state) {
  (void)state;
  TC_AUTO(EVP_PKEY) *k1 = EVP_EC_gen("P-256");
  TC_AUTO(EVP_PKEY) *k2 = EVP_EC_gen("P-256");
  TC_AUTO(tc_ossl_bytes) *d1 = NULL;
  TC_AUTO(tc_ossl_bytes) *d2 = NULL;
  int l1 = self_signed(k1, "SEV-Genoa", &d1), l2 = self_signed(k2, "ARK-Genoa", &d2);
  assert_true(l1 > 0 && l2 > 0);
  char cn[32];
  tc_error err;
  assert_int_equal(tc_cert_cn(d1, (size_t)l1, 0, cn, sizeof cn, &err), TC_OK);
  assert_string_equal(cn, "SEV-Genoa");
  assert_int_equal(tc_cert_cn(d2, (size_t)l2, 1, cn, sizeof cn, &err), TC_OK);
  assert_string_equal(cn, "ARK-Genoa"); /* self-signed: issuer is the subject */
  assert_int_equal(tc_cert_cn((const uint8_t *)"junk", 4, 0, cn, sizeof cn, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "cert_unparsable");
  assert_string_equal(cn, "");

  char *p1 = pem_of_der(d1, l1), *p2 = pem_of_der(d2, l2);
  size_t chain_len = strlen(p1) + strlen(p2);
  char *chain = malloc(chain_len + 1);
  snprintf(chain, chain_len + 1, "%s%s", p1, p2);
  tc_buf *pems = NULL;
  size_t n = 0;
  assert_int_equal(tc_cert_chain_pems((const uint8_t *)chain, chain_len, &pems, &n, &err), TC_OK);
  assert_int_equal(n, 2);
  assert_string_equal((const char *)pems[0].data, p1);
  assert_int_equal(pems[0].len, strlen(p1));
  assert_string_equal((const char *)pems[1].data, p2);
  for (size_t i = 0; i < n; i++)
    tc_buf_free(&pems[i]);
  free(pems);

  /* notBefore of the first, earliest notAfter: each read independently with OpenSSL. */
  int64_t nb = 0, na = 0;
  assert_int_equal(tc_cert_chain_validity((const uint8_t *)chain, chain_len, &n, &nb, &na, &err),
                   TC_OK);
  assert_int_equal(n, 2);
  const unsigned char *q1 = d1, *q2 = d2;
  TC_AUTO(X509) *x1 = d2i_X509(NULL, &q1, l1);
  TC_AUTO(X509) *x2 = d2i_X509(NULL, &q2, l2);
  int64_t nb1, na1, nb2, na2;
  assert_int_equal(tc_x509_validity(x1, &nb1, &na1), 0);
  assert_int_equal(tc_x509_validity(x2, &nb2, &na2), 0);
  assert_int_equal(nb, nb1);
  assert_int_equal(na, na1 < na2 ? na1 : na2);
  assert_int_equal(na1 - nb1, 3600);
  free(chain);
  free(p1);
  free(p2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_digests),
      cmocka_unit_test(test_token_id),
      cmocka_unit_test(test_digest_incremental),
      cmocka_unit_test(test_hmac_hkdf),
      cmocka_unit_test(test_aes256gcm),
      cmocka_unit_test(test_base64),
      cmocka_unit_test(test_base64_long),
      cmocka_unit_test(test_ecdsa_raw),
      cmocka_unit_test(test_ec_key_from_raw),
      cmocka_unit_test(test_trust_store),
      cmocka_unit_test(test_cert_bytes),
      cmocka_unit_test(test_ecdsa_sign_raw),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
