/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — the cryptography every area shares: digests, random bytes, token ids.
 *
 * One module (src/crypto/, on OpenSSL 3 libcrypto) computes these for the whole tree,
 * so that no other file reaches for a digest, a MAC, a cipher or a random source of its
 * own; this interface needs no OpenSSL header. Digests: FIPS 180-4 (SHA-256, SHA-384,
 * SHA-512); HMAC, HKDF, AES-256-GCM, constant-time comparison and wiping.
 * Base64url: RFC 4648 section 5, without padding.
 */
#ifndef TEECTL_CRYPTO_H
#define TEECTL_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "teectl/bytes.h"
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

/** An incremental digest (for input too large to hold in memory). Opaque. */
typedef struct tc_hash_ctx tc_hash_ctx;

/** Start a digest with alg into *out (free with tc_hash_ctx_free, NULL-safe).
 *  Errors: as tc_hash. */
tc_status tc_hash_begin(tc_hash_alg alg, tc_hash_ctx **out, tc_error *err);
/** Add data[0..len) to the digest. Errors: TC_ERR_INTERNAL "internal_error". */
tc_status tc_hash_update(tc_hash_ctx *ctx, const void *data, size_t len, tc_error *err);
/** Finish into out (tc_hash_len(alg) bytes); ctx cannot be updated after. Errors: as
 *  tc_hash_update (out is then zeroed). */
tc_status tc_hash_end(tc_hash_ctx *ctx, uint8_t *out, tc_error *err);
void tc_hash_ctx_free(tc_hash_ctx *ctx);

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

/**
 * HMAC (RFC 2104, FIPS 198-1) with the digest alg over the concatenation of n_parts byte
 * ranges, under key[0..key_len), into out (tc_hash_len(alg) bytes, the full tag; truncate
 * it yourself). Errors: TC_ERR_USAGE "bad_argument" (unknown alg); TC_ERR_INTERNAL
 * "internal_error" (out is then zeroed). err may be NULL.
 */
tc_status tc_hmac(tc_hash_alg alg, const uint8_t *key, size_t key_len, const tc_span *parts,
                  size_t n_parts, uint8_t *out, tc_error *err);

/**
 * HKDF (RFC 5869: extract then expand) with the digest alg: out_len bytes of output keying
 * material from the input keying material ikm, an optional salt (NULL / 0: a string of
 * HashLen zeros, RFC 5869 section 2.2) and info. out_len is at most 255 * HashLen.
 * Errors: TC_ERR_INTERNAL "internal_error" (out is then zeroed).
 */
tc_status tc_hkdf(tc_hash_alg alg, const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
                  size_t salt_len, const uint8_t *info, size_t info_len, uint8_t *out,
                  size_t out_len, tc_error *err);

/* AES-256-GCM (NIST SP 800-38D) with a 96-bit IV and a 128-bit tag. */
#define TC_AES256GCM_KEY_LEN 32
#define TC_AES256GCM_IV_LEN 12
#define TC_AES256GCM_TAG_LEN 16

/**
 * Encrypt pt[0..len) under key and iv (never reuse an iv under one key) with additional
 * authenticated data aad[0..aad_len); ct gets len bytes of ciphertext followed by the
 * TC_AES256GCM_TAG_LEN-byte tag (ct may not overlap pt). len is at most INT32_MAX.
 * Errors: TC_ERR_INTERNAL "internal_error".
 */
tc_status tc_aes256gcm_seal(const uint8_t key[TC_AES256GCM_KEY_LEN],
                            const uint8_t iv[TC_AES256GCM_IV_LEN], const void *aad, size_t aad_len,
                            const void *pt, size_t len, uint8_t *ct, tc_error *err);

/**
 * Decrypt and authenticate ct[0..len) followed by its tag (ct holds len +
 * TC_AES256GCM_TAG_LEN bytes) into pt (len bytes). Errors: TC_ERR_VERIFY
 * "decryption_failed" when the tag does not authenticate key, iv, aad and ciphertext (pt is
 * then zeroed: no unauthenticated plaintext escapes); TC_ERR_INTERNAL "internal_error".
 */
tc_status tc_aes256gcm_open(const uint8_t key[TC_AES256GCM_KEY_LEN],
                            const uint8_t iv[TC_AES256GCM_IV_LEN], const void *aad, size_t aad_len,
                            const uint8_t *ct, size_t len, void *pt, tc_error *err);

/**
 * Start OpenSSL's libcrypto for a one-shot process (the CLI, before a command that runs in
 * the process): as OpenSSL starts by itself (its configuration file is still read at the first
 * use), less three costs a one-shot command does not need: the text of every OpenSSL error
 * (~0.2 ms at start-up; tc_error_add_openssl loads the texts when it has an error to show),
 * the table of the legacy cipher names (~0.2 ms at the first algorithm fetch; teectl names
 * no cipher by string) and the clean-up at exit (OPENSSL_INIT_NO_ATEXIT; the process's
 * memory goes with it). Call before any other OpenSSL use, at most once: once OpenSSL has
 * started (a later call, or a library whose constructor uses OpenSSL before main, as
 * libjose's do) it changes nothing. No errors (OpenSSL starts as usual at its first use if
 * this fails). Source: OpenSSL 3.0 OPENSSL_init_crypto(3).
 */
void tc_crypto_init_oneshot(void);

/** 1 if a[0..n) equals b[0..n), else 0, in time that depends on n only (MACs, digests). */
int tc_ct_equal(const void *a, const void *b, size_t n);

/** Overwrite p[0..n) with zeros in a way the compiler does not remove (keys, secrets). */
void tc_cleanse(void *p, size_t n);

/* Certificates and CRLs as bytes (RFC 5280), for callers that need a fact about them but
 * no OpenSSL object. A certificate or chain is PEM (one or more blocks, as a
 * *_issuer_chain.pem file) or one DER certificate; a CRL is PEM or DER. Times are seconds
 * since the Unix epoch (UTC). */

/**
 * Check that data holds one X.509 certificate (PEM or DER, as tc_collateral.trust_roots
 * and --trust-root files do). Errors: TC_ERR_PARSE "cert_unparsable" (detail from the
 * parser).
 */
tc_status tc_cert_check(const uint8_t *data, size_t len, tc_error *err);

/** The commonName of the subject (issuer != 0: of the issuer) of the one certificate in
 *  data into out (NUL-terminated, truncated to cap; "" when absent).
 *  Errors: TC_ERR_PARSE "cert_unparsable". */
tc_status tc_cert_cn(const uint8_t *data, size_t len, int issuer, char *out, size_t cap,
                     tc_error *err);

/**
 * Every certificate of the chain in data, in order, as its own PEM text: *pems is a new
 * array of *n buffers (each NUL-terminated; len without the NUL); free each and the array.
 * Errors: TC_ERR_PARSE "cert_unparsable", TC_ERR_NOMEM "out_of_memory".
 */
tc_status tc_cert_chain_pems(const uint8_t *data, size_t len, tc_buf **pems, size_t *n,
                             tc_error *err);

/**
 * Validity of a chain: *n certificates, notBefore of the first and the earliest notAfter
 * of all. Errors: TC_ERR_PARSE "cert_unparsable" (also for an unreadable validity, the
 * detail names the certificate's index).
 */
tc_status tc_cert_chain_validity(const uint8_t *data, size_t len, size_t *n,
                                 int64_t *first_not_before, int64_t *earliest_not_after,
                                 tc_error *err);

/**
 * thisUpdate and nextUpdate of a CRL (*this_update is 0 when unreadable). Errors:
 * TC_ERR_PARSE "crl_unparsable"; TC_ERR_PARSE "crl_next_update_missing" (absent or
 * unreadable nextUpdate: such a CRL has no end of validity).
 */
tc_status tc_crl_update_times(const uint8_t *data, size_t len, int64_t *this_update,
                              int64_t *next_update, tc_error *err);

/**
 * URI of the first CRL distribution point (X.509 cRLDistributionPoints, fullName URI) of
 * a certificate (PEM or DER; for a chain, the last certificate, i.e. the root) into out.
 * Errors: TC_ERR_PARSE reasons "cert_unparsable", "crl_dp_missing".
 */
tc_status tc_x509_crl_dp_url(const uint8_t *cert, size_t len, char *out, size_t cap, tc_error *err);

#ifdef __cplusplus
}
#endif
#endif
