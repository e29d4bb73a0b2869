/* SPDX-License-Identifier: Apache-2.0 */
/* EC keys from raw coordinates and raw r || s ECDSA verification (see crypto/ecdsa.h). */
#include "crypto/ecdsa.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <string.h>

#include "core/auto.h"

int tc_ec_key_on(const EVP_PKEY *key, const char *curve) {
  char group[64];
  size_t gl = 0;
  return key != NULL && EVP_PKEY_is_a(key, "EC") &&
         EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                        &gl) == 1 &&
         strcmp(group, curve) == 0;
}

/* An EC key of curve from OpenSSL's fromdata (selection: EVP_PKEY_PUBLIC_KEY with the
 * uncompressed point pub[0..pub_len), or EVP_PKEY_KEY_PARAMETERS with pub NULL). */
static EVP_PKEY *ec_fromdata(const char *curve, int selection, uint8_t *pub, size_t pub_len) {
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)curve, 0),
      pub != NULL ? OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len)
                  : OSSL_PARAM_construct_end(),
      OSSL_PARAM_construct_end()};
  EVP_PKEY *key = NULL;
  TC_AUTO(EVP_PKEY_CTX) *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
  if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
      EVP_PKEY_fromdata(ctx, &key, selection, params) != 1)
    key = NULL;
  ERR_clear_error();
  return key;
}

/* 0x04 || xy into pub (1 + len bytes); -1 when len is not that of a point we take. */
static int uncompressed(const uint8_t *xy, size_t len, uint8_t pub[1 + 2 * 66]) {
  if (len == 0 || len % 2 != 0 || len + 1 > 1 + 2 * 66)
    return -1;
  pub[0] = 0x04; /* uncompressed point (SEC 1, 2.3.3) */
  memcpy(pub + 1, xy, len);
  return 0;
}

EVP_PKEY *tc_ec_key_from_raw(const char *curve, const uint8_t *xy, size_t len) {
  uint8_t pub[1 + 2 * 66];
  if (uncompressed(xy, len, pub) != 0)
    return NULL;
  return ec_fromdata(curve, EVP_PKEY_PUBLIC_KEY, pub, len + 1);
}

EVP_PKEY *tc_ec_params_new(const char *curve) {
  return ec_fromdata(curve, EVP_PKEY_KEY_PARAMETERS, NULL, 0);
}

EVP_PKEY *tc_ec_key_from_raw_as(const EVP_PKEY *like, const uint8_t *xy, size_t len) {
  uint8_t pub[1 + 2 * 66];
  if (like == NULL || uncompressed(xy, len, pub) != 0)
    return NULL;
  TC_AUTO(EVP_PKEY) *key = EVP_PKEY_new();
  int ok = key != NULL && EVP_PKEY_copy_parameters(key, like) == 1 &&
           EVP_PKEY_set1_encoded_public_key(key, pub, len + 1) == 1;
  ERR_clear_error();
  if (!ok)
    return NULL;
  EVP_PKEY *out = key;
  key = NULL;
  return out;
}

static const EVP_MD *md_of(tc_hash_alg alg) {
  return alg == TC_HASH_SHA256   ? EVP_sha256()
         : alg == TC_HASH_SHA384 ? EVP_sha384()
         : alg == TC_HASH_SHA512 ? EVP_sha512()
                                 : NULL;
}

/* One DER INTEGER (X.690 8.3: minimal, non-negative) of the big-endian n bytes v at out;
 * returns its length (at most 2 + 1 + n + 2 bytes). */
static size_t der_uint(const uint8_t *v, size_t n, uint8_t *out) {
  while (n > 1 && v[0] == 0) {
    v++;
    n--;
  }
  size_t body = n + (v[0] & 0x80 ? 1 : 0), o = 0;
  out[o++] = 0x02;
  if (body >= 0x80)
    out[o++] = 0x81;
  out[o++] = (uint8_t)body;
  if (v[0] & 0x80)
    out[o++] = 0x00;
  memcpy(out + o, v, n);
  return o + n;
}

tc_status tc_ecdsa_verify_raw(const EVP_PKEY *key, const char *curve, tc_hash_alg alg,
                              const uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len,
                              tc_error *err) {
  if (!tc_ec_key_on(key, curve))
    return tc_fail(err, TC_ERR_VERIFY, "signature_invalid", "the key is not an EC %s key", curve);
  size_t half = sig_len / 2;
  if (md_of(alg) == NULL || sig_len == 0 || sig_len % 2 != 0 || half > 66)
    return tc_fail(err, TC_ERR_USAGE, "bad_argument", "digest or signature length");
  /* ECDSA-Sig-Value (RFC 3279 2.2.3): SEQUENCE { r INTEGER, s INTEGER }, encoded here as
   * i2d_ECDSA_SIG would (OpenSSL's verify also rejects any other encoding). */
  uint8_t ints[2 * (4 + 66)], der[4 + sizeof ints];
  size_t il = der_uint(sig, half, ints);
  il += der_uint(sig + half, half, ints + il);
  size_t dl = 0;
  der[dl++] = 0x30;
  if (il >= 0x80)
    der[dl++] = 0x81;
  der[dl++] = (uint8_t)il;
  memcpy(der + dl, ints, il);
  dl += il;
  /* the digest, then a verify of it (as EVP_DigestVerify does, without its set-up) */
  uint8_t digest[TC_SHA512_LEN];
  const tc_span m = {msg, len};
  tc_status st = tc_hash(alg, &m, 1, digest, err);
  if (st != TC_OK)
    return st;
  TC_AUTO(EVP_PKEY_CTX) *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, (EVP_PKEY *)key, NULL);
  int ok = ctx != NULL && EVP_PKEY_verify_init(ctx) == 1 &&
           EVP_PKEY_verify(ctx, der, dl, digest, tc_hash_len(alg)) == 1;
  ERR_clear_error();
  if (ctx == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "verify context");
  if (!ok)
    return tc_fail(err, TC_ERR_VERIFY, "signature_invalid", "the signature does not verify");
  return TC_OK;
}

tc_status tc_ecdsa_sign_raw(const EVP_PKEY *key, const char *curve, tc_hash_alg alg,
                            const uint8_t *msg, size_t len, uint8_t *sig, size_t sig_len,
                            tc_error *err) {
  const EVP_MD *md = md_of(alg);
  int bits = key != NULL ? EVP_PKEY_get_bits(key) : 0;
  size_t half = sig_len / 2;
  if (md == NULL || !tc_ec_key_on(key, curve) || sig_len % 2 != 0 || half != (size_t)(bits + 7) / 8)
    return tc_fail(err, TC_ERR_USAGE, "bad_argument",
                   "signing needs an EC %s private key and a signature of twice its size", curve);
  uint8_t der[160];
  size_t dlen = sizeof der;
  TC_AUTO(EVP_MD_CTX) *ctx = EVP_MD_CTX_new();
  int ok = ctx != NULL && EVP_DigestSignInit(ctx, NULL, md, NULL, (EVP_PKEY *)key) == 1 &&
           EVP_DigestSign(ctx, der, &dlen, msg, len) == 1;
  const unsigned char *p = der;
  TC_AUTO(ECDSA_SIG) *s = ok ? d2i_ECDSA_SIG(NULL, &p, (long)dlen) : NULL;
  const BIGNUM *r = NULL, *ss = NULL;
  if (s != NULL)
    ECDSA_SIG_get0(s, &r, &ss);
  ok = s != NULL && BN_bn2binpad(r, sig, (int)half) == (int)half &&
       BN_bn2binpad(ss, sig + half, (int)half) == (int)half;
  ERR_clear_error();
  if (!ok)
    return tc_fail(err, TC_ERR_INTERNAL, "internal_error", "ECDSA %s signing failed", curve);
  return TC_OK;
}
