/* SPDX-License-Identifier: Apache-2.0 */
/* ECDSA P-384 verification with a key made ready once, on Nettle (see crypto/ecdsa.h).
 * Nettle 3.8 (hogweed): ecc_point_set checks the point is on the curve; ecdsa_verify
 * rejects r or s outside 1..n-1 and verifies per FIPS 186-4 / SEC 1 4.1.4. The digest is
 * truncated to the bit length of n by both libraries alike (48 bytes for SHA-384: none). */
#include <gmp.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>
#include <nettle/ecdsa.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <stdlib.h>

#include "core/auto.h"
#include "crypto/ecdsa.h"

struct tc_p384_key {
  struct ecc_point pub;
};

void tc_p384_key_free(tc_p384_key *k) {
  if (k == NULL)
    return;
  ecc_point_clear(&k->pub);
  free(k);
}

/* The affine coordinate `name` (OSSL_PKEY_PARAM_EC_PUB_X / _Y) of key into z. */
static int coordinate(const EVP_PKEY *key, const char *name, mpz_t z) {
  TC_AUTO(BIGNUM) *bn = NULL;
  uint8_t b[48];
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1 || BN_bn2binpad(bn, b, sizeof b) != sizeof b)
    return -1;
  mpz_import(z, sizeof b, 1, 1, 1, 0, b);
  return 0;
}

tc_status tc_p384_key_new(const EVP_PKEY *key, tc_p384_key **out, tc_error *err) {
  *out = NULL;
  if (!tc_ec_key_on(key, TC_EC_P384))
    return tc_fail(err, TC_ERR_VERIFY, "signature_invalid", "the key is not an EC P-384 key");
  tc_p384_key *k = calloc(1, sizeof *k);
  if (k == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "P-384 key");
  ecc_point_init(&k->pub, nettle_get_secp_384r1());
  mpz_t x, y;
  mpz_inits(x, y, NULL);
  int ok = coordinate(key, OSSL_PKEY_PARAM_EC_PUB_X, x) == 0 &&
           coordinate(key, OSSL_PKEY_PARAM_EC_PUB_Y, y) == 0 && ecc_point_set(&k->pub, x, y) == 1;
  mpz_clears(x, y, NULL);
  ERR_clear_error();
  if (!ok) {
    tc_p384_key_free(k);
    return tc_fail(err, TC_ERR_VERIFY, "signature_invalid",
                   "the EC P-384 key's point is not on the curve");
  }
  *out = k;
  return TC_OK;
}

tc_status tc_p384_verify(const tc_p384_key *k, const uint8_t *msg, size_t len,
                         const uint8_t sig[96], tc_error *err) {
  uint8_t digest[TC_SHA384_LEN];
  tc_status st = tc_sha384(msg, len, digest, err);
  if (st != TC_OK)
    return st;
  struct dsa_signature s;
  dsa_signature_init(&s);
  mpz_import(s.r, 48, 1, 1, 1, 0, sig);
  mpz_import(s.s, 48, 1, 1, 1, 0, sig + 48);
  int ok = ecdsa_verify(&k->pub, sizeof digest, digest, &s);
  dsa_signature_clear(&s);
  if (!ok)
    return tc_fail(err, TC_ERR_VERIFY, "signature_invalid", "the signature does not verify");
  return TC_OK;
}
