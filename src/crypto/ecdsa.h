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

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
