/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — public-key operations on JWKs (RFC 7517) that libjose does not offer, done by
 * the crypto module (private: src/kbs, src/result; no OpenSSL type crosses it). */
#ifndef TEECTL_CRYPTO_JWK_H
#define TEECTL_CRYPTO_JWK_H

#include <jansson.h>

#include "teectl/bytes.h"
#include "teectl/error.h"

/** 1 if jwk converts to a usable key (libjose's conversion to OpenSSL: for EC the point
 *  lies on the curve, for RSA the modulus and exponent load), else 0. */
int tc_jwk_usable(const json_t *jwk);

/**
 * DER SubjectPublicKeyInfo (RFC 5280 section 4.1.2.7) of the public part of jwk (EC or
 * RSA) into *der (new buffer). Errors: TC_ERR_PARSE "tee_pubkey_invalid" (not a key),
 * TC_ERR_NOMEM "out_of_memory".
 */
tc_status tc_jwk_spki_der(const json_t *jwk, tc_buf *der, tc_error *err);

/**
 * RSAES-OAEP (RFC 8017 section 7.1) with SHA-256 and MGF1-SHA-256, empty label (JWA
 * "RSA-OAEP-256", RFC 7518 section 4.3) of msg[0..len) to the RSA public key jwk; *out
 * gets the ciphertext (modulus length). Errors: TC_ERR_PARSE "tee_pubkey_invalid" (not an
 * RSA key); TC_ERR_INTERNAL "internal_error" (encryption failed; msg too long).
 */
tc_status tc_jwk_rsa_oaep256_encrypt(const json_t *jwk, const uint8_t *msg, size_t len, tc_buf *out,
                                     tc_error *err);

/**
 * A PEM private key (PKCS #8 or the traditional EC form; unencrypted), or when
 * !want_private also a PEM public key (SubjectPublicKeyInfo), as a JWK (new reference;
 * with "d" for a private key). Only EC keys are accepted (tokens are ES256). what names
 * the source (a file path) in the detail. Errors: TC_ERR_PARSE "key_invalid" (not a PEM
 * key, or one protected by a passphrase; the detail carries OpenSSL's reason),
 * TC_ERR_PARSE "key_unsupported" (not an EC key, or not convertible).
 */
tc_status tc_jwk_from_pem(const uint8_t *pem, size_t len, int want_private, const char *what,
                          json_t **jwk, tc_error *err);

#endif
