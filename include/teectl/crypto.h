/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — the cryptography every area shares: digests, random bytes, token ids.
 *
 * One module (src/crypto/, on OpenSSL 3 libcrypto) computes these for the whole tree,
 * so that no other file reaches for a digest or a random source of its own; this
 * interface needs no OpenSSL header. Digests: FIPS 180-4 (SHA-256, SHA-384, SHA-512).
 * Base64url: RFC 4648 section 5, without padding.
 */
#ifndef TEECTL_CRYPTO_H
#define TEECTL_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "teectl/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TC_SHA256_LEN 32
#define TC_SHA384_LEN 48
#define TC_SHA512_LEN 64

/** Digest algorithms (FIPS 180-4). */
typedef enum { TC_HASH_SHA256 = 0, TC_HASH_SHA384, TC_HASH_SHA512 } tc_hash_alg;

/** Output length in bytes: 32, 48 or 64; 0 for a value outside the enum. */
size_t tc_hash_len(tc_hash_alg alg);

/** A borrowed byte range, one part of a message to hash. */
typedef struct tc_span {
  const void *data;
  size_t len;
} tc_span;

/**
 * Digest of the concatenation of n_parts byte ranges (a part may have len 0 and data
 * NULL) into out, which holds tc_hash_len(alg) bytes.
 * Errors: TC_ERR_USAGE "bad_argument" (unknown alg); TC_ERR_INTERNAL "internal_error"
 * (the digest could not be computed; out is then zeroed). err may be NULL.
 */
tc_status tc_hash(tc_hash_alg alg, const tc_span *parts, size_t n_parts, uint8_t *out,
                  tc_error *err);

/** SHA-256 / SHA-384 of one byte range (tc_hash with one part; same errors). */
tc_status tc_sha256(const void *data, size_t len, uint8_t out[TC_SHA256_LEN], tc_error *err);
tc_status tc_sha384(const void *data, size_t len, uint8_t out[TC_SHA384_LEN], tc_error *err);

/**
 * SHA-256 of data as 64 lower-case hex characters and a NUL (content addresses, audit
 * records). On failure (TC_ERR_INTERNAL) out holds the hex of 32 zero bytes.
 */
tc_status tc_sha256_hex(const void *data, size_t len, char out[2 * TC_SHA256_LEN + 1],
                        tc_error *err);

/**
 * n bytes from the operating system's cryptographically secure generator (OpenSSL's
 * DRBG). Errors: TC_ERR_INTERNAL "internal_error" (no entropy).
 */
tc_status tc_random_bytes(uint8_t *out, size_t n, tc_error *err);

/** Characters of a token id: 16 random bytes in base64url without padding. */
#define TC_TOKEN_ID_LEN 22

/**
 * A new unique token identifier (the EAR / JWT "jti" claim, RFC 7519 section 4.1.7):
 * 128 random bits as TC_TOKEN_ID_LEN base64url characters and a NUL into out.
 * Errors: TC_ERR_INTERNAL "internal_error" (no entropy; out is then "").
 */
tc_status tc_token_id(char out[TC_TOKEN_ID_LEN + 1], tc_error *err);

#ifdef __cplusplus
}
#endif
#endif
