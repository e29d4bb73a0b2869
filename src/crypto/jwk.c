/* SPDX-License-Identifier: Apache-2.0 */
/* JWK public-key operations on OpenSSL 3 through libjose's conversion (crypto/jwk.h). */
#include "crypto/jwk.h"

#include <jose/openssl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ecdsa.h"
#include "crypto/ossl.h"

int tc_jwk_usable(const json_t *jwk) {
  TC_AUTO(EVP_PKEY) *pk = jose_openssl_jwk_to_EVP_PKEY(NULL, jwk);
  ERR_clear_error();
  return pk != NULL;
}

tc_status tc_jwk_spki_der(const json_t *jwk, tc_buf *der, tc_error *err) {
  der->data = NULL;
  der->len = 0;
  TC_AUTO(EVP_PKEY) *pk = jose_openssl_jwk_to_EVP_PKEY(NULL, jwk);
  TC_AUTO(tc_ossl_bytes) *d = NULL;
  int n = pk ? i2d_PUBKEY(pk, &d) : -1;
  ERR_clear_error();
  if (n <= 0)
    return tc_fail(err, TC_ERR_PARSE, "tee_pubkey_invalid", "no public key in the JWK");
  if ((der->data = malloc((size_t)n)) == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "SubjectPublicKeyInfo");
  memcpy(der->data, d, (size_t)n);
  der->len = (size_t)n;
  return TC_OK;
}

tc_status tc_jwk_rsa_oaep256_encrypt(const json_t *jwk, const uint8_t *msg, size_t len, tc_buf *out,
                                     tc_error *err) {
  out->data = NULL;
  out->len = 0;
  TC_AUTO(EVP_PKEY) *pk = jose_openssl_jwk_to_EVP_PKEY(NULL, jwk);
  if (pk == NULL || !EVP_PKEY_is_a(pk, "RSA")) {
    ERR_clear_error();
    return tc_fail(err, TC_ERR_PARSE, "tee_pubkey_invalid", "not an RSA public key");
  }
  TC_AUTO(EVP_PKEY_CTX) *c = EVP_PKEY_CTX_new(pk, NULL);
  size_t n = 0;
  int ok = c != NULL && EVP_PKEY_encrypt_init(c) > 0 &&
           EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) > 0 &&
           EVP_PKEY_CTX_set_rsa_oaep_md(c, EVP_sha256()) > 0 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha256()) > 0 &&
           EVP_PKEY_encrypt(c, NULL, &n, msg, len) > 0 && (out->data = malloc(n)) != NULL &&
           EVP_PKEY_encrypt(c, out->data, &n, msg, len) > 0;
  if (!ok) {
    tc_buf_free(out);
    tc_fail(err, TC_ERR_INTERNAL, "internal_error", "RSA-OAEP-256 encryption failed: ");
    tc_error_add_openssl(err);
    return TC_ERR_INTERNAL;
  }
  out->len = n;
  return TC_OK;
}

tc_status tc_jwk_from_pem(const uint8_t *pem, size_t len, int want_private, const char *what,
                          json_t **jwk, tc_error *err) {
  *jwk = NULL;
  if (len > INT32_MAX)
    return tc_fail(err, TC_ERR_PARSE, "key_invalid", "%s: too large for a key", what);
  TC_AUTO(BIO) *bio = BIO_new_mem_buf(pem, (int)len);
  TC_AUTO(EVP_PKEY) *pk =
      bio ? PEM_read_bio_PrivateKey(bio, NULL, tc_pem_no_passphrase, NULL) : NULL;
  if (!pk && bio && !want_private) {
    (void)BIO_reset(bio);
    pk = PEM_read_bio_PUBKEY(bio, NULL, tc_pem_no_passphrase, NULL);
  }
  if (!pk) {
    tc_fail(err, TC_ERR_PARSE, "key_invalid", "%s: neither a JWK nor a PEM %s key", what,
            want_private ? "private" : "public or private");
    tc_error_add_openssl(err);
    return TC_ERR_PARSE;
  }
  ERR_clear_error();
  if (!EVP_PKEY_is_a(pk, "EC"))
    return tc_fail(err, TC_ERR_PARSE, "key_unsupported", "%s: %s key, ES256 needs EC P-256", what,
                   EVP_PKEY_get0_type_name(pk));
  if ((*jwk = jose_openssl_jwk_from_EVP_PKEY(NULL, pk)) == NULL)
    return tc_fail(err, TC_ERR_PARSE, "key_unsupported", "%s: EC key not usable as a JWK", what);
  return TC_OK;
}

EVP_PKEY *tc_ec_key_from_jwk(const json_t *jwk) {
  const char *kty = json_string_value(json_object_get(jwk, "kty"));
  EVP_PKEY *pk = kty && strcmp(kty, "EC") == 0 ? jose_openssl_jwk_to_EVP_PKEY(NULL, jwk) : NULL;
  ERR_clear_error();
  return pk;
}
