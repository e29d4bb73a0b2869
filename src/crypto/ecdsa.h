/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — EC public keys and raw ECDSA signatures (private to the verifiers).
 *
 * AMD and Intel evidence carry ECDSA signatures as raw integers r || s rather than the
 * DER ECDSA-Sig-Value of RFC 3279: SEV-SNP reports (AMD SEV-SNP Firmware ABI spec,
 * "Signature format", ECDSA P-384 with SHA-384, 72-byte little-endian R and S; the report
 * parser hands them over big-endian, 48 bytes each) and DCAP quotes, TCB Info and QE
 * Identity (Intel SGX ECDSA Quote Library API, "ECDSA 256-bit Quote Signature Data
 * Structure"; Intel PCS API v4: P-256 with SHA-256, 32-byte big-endian r and s).
 */
#ifndef TEECTL_CRYPTO_ECDSA_H
#define TEECTL_CRYPTO_ECDSA_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/ossl.h"
#include "teectl/crypto.h"
#include "teectl/error.h"

/** Curve names as OpenSSL spells them. */
#define TC_EC_P256 "prime256v1"
#define TC_EC_P384 "secp384r1"

/** 1 if key is an EC key on the named curve (TC_EC_P256 / TC_EC_P384), else 0. */
int tc_ec_key_on(const EVP_PKEY *key, const char *curve);

/**
 * EC public key from the raw affine coordinates x || y (each len/2 bytes, big-endian) on
 * curve. NULL if the bytes are not a point of the curve (OpenSSL's import checks that the
 * point lies on the curve; for the prime-order curves P-256 / P-384 that is enough).
 */
EVP_PKEY *tc_ec_key_from_raw(const char *curve, const uint8_t *xy, size_t len);

/** The key of an EC JWK (RFC 7518 section 6.2; with "d" a private key), NULL if libjose /
 *  OpenSSL do not accept it (for instance a point off the curve). Free with EVP_PKEY_free. */
EVP_PKEY *tc_ec_key_from_jwk(const json_t *jwk);

/**
 * An EC key with only the parameters of curve (no public point), for
 * tc_ec_key_from_raw_as. NULL on failure.
 */
EVP_PKEY *tc_ec_params_new(const char *curve);

/**
 * tc_ec_key_from_raw on the curve of like (an EC key or parameters, e.g. from
 * tc_ec_params_new), its group copied instead of built from the name: about a third of
 * the cost, for a key made on every request. NULL if the bytes are not a point of the
 * curve (EVP_PKEY_set1_encoded_public_key checks that it lies on it, like the import).
 */
EVP_PKEY *tc_ec_key_from_raw_as(const EVP_PKEY *like, const uint8_t *xy, size_t len);

/**
 * Verify an ECDSA signature given as raw r || s (each sig_len/2 bytes, big-endian) over
 * msg[0..len) hashed with alg, with key, which must be an EC key on curve.
 * Returns TC_OK when it verifies; TC_ERR_VERIFY "signature_invalid" when it does not, or
 * the key is not on curve (callers replace the reason with their own);
 * TC_ERR_NOMEM "out_of_memory" / TC_ERR_INTERNAL "internal_error" when OpenSSL cannot
 * allocate or encode. The OpenSSL error queue is left empty.
 */
tc_status tc_ecdsa_verify_raw(const EVP_PKEY *key, const char *curve, tc_hash_alg alg,
                              const uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len,
                              tc_error *err);

/**
 * Sign msg[0..len) hashed with alg with the EC private key on curve (a key object made once
 * and kept: the token signing key), and write the signature as raw r || s, each sig_len/2
 * bytes big-endian (RFC 7518 section 3.4: ES256 is P-256 with SHA-256, 32 + 32 bytes).
 * Errors: TC_ERR_USAGE "bad_argument" (key not on curve, sig_len not twice the curve's
 * size, unknown alg); TC_ERR_INTERNAL "internal_error" (OpenSSL could not sign, e.g. the
 * key has no private part).
 */
tc_status tc_ecdsa_sign_raw(const EVP_PKEY *key, const char *curve, tc_hash_alg alg,
                            const uint8_t *msg, size_t len, uint8_t *sig, size_t sig_len,
                            tc_error *err);

/**
 * An ECDSA P-384 public key made ready once for many verifications (the VCEK / VLEK of a
 * cached SEV-SNP chain). Verification is Nettle's (hogweed ecdsa_verify): on x86-64 it is
 * about twice OpenSSL 3.0's P-384 rate (bench_snp prints both, same run); the digest is
 * OpenSSL's. The point was checked to lie on P-384 by OpenSSL when key was made and is
 * checked again by Nettle here. Immutable once made: one key serves many threads.
 */
typedef struct tc_p384_key tc_p384_key;

/**
 * A ready P-384 key from key (an EC P-384 public key; borrowed). Errors: TC_ERR_VERIFY
 * "signature_invalid" (not an EC P-384 key, or its point is not on the curve for Nettle),
 * TC_ERR_NOMEM "out_of_memory".
 */
tc_status tc_p384_key_new(const EVP_PKEY *key, tc_p384_key **out, tc_error *err);
void tc_p384_key_free(tc_p384_key *key);

/**
 * Verify the ECDSA P-384 signature sig = r || s (48 bytes each, big-endian) over
 * SHA-384(msg[0..len)) with key (FIPS 186-4 section 6.4; r and s outside 1..n-1 never
 * verify). The same accept/reject as tc_ecdsa_verify_raw(key, TC_EC_P384, TC_HASH_SHA384,
 * ...) for every input (tests/snp/test_snp_p384). Errors: TC_ERR_VERIFY
 * "signature_invalid", TC_ERR_INTERNAL "internal_error" (the digest failed).
 */
tc_status tc_p384_verify(const tc_p384_key *key, const uint8_t *msg, size_t len,
                         const uint8_t sig[96], tc_error *err);

#endif
