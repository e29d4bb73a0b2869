/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — attestation results as EAR tokens (draft-ietf-rats-ear, JWT serialization)
 * signed ES256 (ECDSA P-256 SHA-256, RFC 7518 section 3.4) with libjose, and the
 * JWKS (RFC 7517 section 5) relying parties verify them with.
 *
 * Token claims (JSON, draft-ietf-rats-ear section 3 and RFC 7519):
 *   "eat_profile": profile (default TC_EAR_PROFILE), "iss", "iat", "nbf" (= iat),
 *   "exp" (= iat + ttl), "jti", "eat_nonce" (when a nonce was given),
 *   "ear.verifier-id": {"build": ..., "developer": ...},
 *   "submods": {"<tee>": appraisal object of tc_appraise (appraisal.h)
 *               + "runtime_data" (when given)}.
 * JWS protected header: {"alg": "ES256", "kid": <kid of the signing key>, "typ": "JWT"}.
 *
 * Nothing here does I/O except tc_keyset_load (reads key files) and reads no clock:
 * times are arguments (seconds since the Unix epoch, UTC).
 */
#ifndef TEECTL_EAR_H
#define TEECTL_EAR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "teectl/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Default eat_profile of the EAR draft (draft-ietf-rats-ear, section 3.1). */
#define TC_EAR_PROFILE "tag:github.com,2023:veraison/ear"

/** Default token lifetime (seconds). */
#define TC_EAR_DEFAULT_TTL 300
/** Longest token lifetime tc_ear_issue accepts (seconds, 31 days). */
#define TC_EAR_MAX_TTL 2678400 /* 31 days */
/** Latest iat tc_ear_issue accepts: 9999-12-31T23:59:59Z (seconds since the epoch). */
#define TC_EAR_MAX_IAT 253402300799LL

/**
 * Token keys: one signing key (private EC P-256 JWK with "kid") and the public keys
 * published in the JWKS (the signing key's public half first, then the extra public
 * keys, e.g. the previous key during rotation). Immutable once built: safe to share
 * between threads.
 */
typedef struct tc_keyset tc_keyset;

/**
 * Load the signing key and extra public keys from files. Each file is either PEM
 * (signing key: "PRIVATE KEY" / "EC PRIVATE KEY"; public: "PUBLIC KEY", or a private
 * key whose public half is used) or a JSON JWK (RFC 7517) object. Keys must be EC P-256
 * (kty "EC", crv "P-256"; "alg" if present must be "ES256").
 * kid: the JWK's "kid" if present, else the RFC 7638 JWK thumbprint (SHA-256,
 * base64url). public_key_files may be NULL when n == 0. Duplicate kids (same kid,
 * different key) are rejected; the same key listed twice is kept once.
 *
 * Errors: TC_ERR_IO "key_unreadable" (detail: file); TC_ERR_PARSE "key_invalid"
 * (neither PEM nor JWK, or a public key given as signing key; detail: file);
 * TC_ERR_PARSE "key_unsupported" (not EC P-256; detail: file and key type);
 * TC_ERR_PARSE "key_kid_duplicate"; TC_ERR_NOMEM.
 */
tc_status tc_keyset_load(const char *signing_key_file, const char *const *public_key_files,
                         size_t n, tc_keyset **out, tc_error *err);

/**
 * Build a keyset from JWK objects already in memory (same rules as tc_keyset_load;
 * signing_jwk must hold the private "d"). The objects are copied.
 * Errors: as tc_keyset_load without the I/O ones.
 */
tc_status tc_keyset_from_jwks(const json_t *signing_jwk, const json_t *const *public_jwks, size_t n,
                              tc_keyset **out, tc_error *err);

/**
 * A fresh random P-256 signing key (OpenSSL RAND via libjose), kid = its thumbprint.
 * For development mode only: tokens do not survive a restart.
 * Errors: TC_ERR_INTERNAL "key_generation_failed"; TC_ERR_NOMEM.
 */
tc_status tc_keyset_generate_ephemeral(tc_keyset **out, tc_error *err);

/** kid of the signing key (borrowed). */
const char *tc_keyset_signing_kid(const tc_keyset *ks);

/**
 * The JWKS document {"keys": [public JWKs with "kid", "alg": "ES256", "use": "sig"]}
 * (new reference; caller json_decref). Never contains private parts. NULL on
 * allocation failure.
 */
json_t *tc_keyset_jwks(const tc_keyset *ks);

/** Release ks (private key material is cleared). NULL-safe. */
void tc_keyset_free(tc_keyset *ks);

/** Parameters of one token. Strings are copied into the token; NULL = left out/default. */
typedef struct tc_ear_params {
  const char *issuer;             /**< "iss" (NULL: left out) */
  const char *verifier_build;     /**< ear.verifier-id "build" (NULL: "teectl <version>") */
  const char *verifier_developer; /**< ear.verifier-id "developer" (NULL: "teectl") */
  const char *profile;            /**< "eat_profile" (NULL: TC_EAR_PROFILE) */
  const char *nonce;              /**< "eat_nonce" as given (base64url text), NULL: none */
  int64_t iat;     /**< issued at, seconds since the epoch, 0..TC_EAR_MAX_IAT (also "nbf") */
  int64_t ttl;     /**< lifetime in seconds, 1..TC_EAR_MAX_TTL ("exp" = iat + ttl) */
  const char *jti; /**< "jti" (NULL: 16 random bytes, base64url) */
} tc_ear_params;

/**
 * Sign an EAR for one TEE submodule. tee: submodule name ("snp", "tdx", "sgx");
 * appraisal: the object from tc_appraise (must have "ear.status");
 * runtime_data: any JSON value to attach as submods.<tee>.runtime_data (e.g. the TEE's
 * public key as a JWK object, or a base64url string), or NULL. Both are serialised into
 * the token by reference during the call and never changed (not deep-copied: no other
 * thread may change them during the call).
 * *jwt receives the JWS compact serialization (malloc'd NUL-terminated; caller free).
 *
 * Errors: TC_ERR_USAGE "ear_params_invalid" (ttl or iat out of range, empty tee, appraisal
 * without a valid ear.status); TC_ERR_INTERNAL "token_signing_failed"; TC_ERR_NOMEM.
 */
tc_status tc_ear_issue(const tc_keyset *ks, const tc_ear_params *params, const char *tee,
                       const json_t *appraisal, const json_t *runtime_data, char **jwt,
                       tc_error *err);

/**
 * Verify a compact JWS token against a JWKS ({"keys": [...]}, or one JWK object) at
 * time `now` (seconds since the epoch), allowing `leeway` seconds (0..3600) of clock
 * skew between issuer and relying party (RFC 7519 section 4.1.4). Checks, in order:
 * three base64url parts;
 * protected header is a JSON object with "alg" exactly "ES256" (anything else, e.g.
 * "none" or "HS256", is rejected), no "crit", "typ" absent or "JWT"; "kid" present and
 * found in the JWKS as an EC P-256 key; the signature (libjose); the payload is a JSON
 * object with integer "exp", "iat" and optional "nbf": now < exp + leeway,
 * now + leeway >= nbf, iat <= now + leeway; "eat_profile" a string and "submods" an object whose
 * entries each have a valid "ear.status". *claims (on TC_OK only) receives the payload object
 * (caller json_decref).
 *
 * Errors (TC_ERR_VERIFY unless noted):
 *   "token_malformed" (TC_ERR_PARSE)   not three base64url parts / header or payload not JSON
 *   "token_alg_unsupported"           alg other than ES256, or "crit"/"typ" not accepted
 *   "token_kid_unknown"               no "kid", or no key with that kid in the JWKS
 *   "token_signature_invalid"         signature does not verify
 *   "token_expired"                   now >= exp + leeway (detail: both times, RFC 3339)
 *   "token_not_yet_valid"             now + leeway < nbf, or iat > now + leeway
 *   "token_claims_invalid"            exp/iat missing or not integers, EAR claims malformed
 *   "jwks_invalid" (TC_ERR_PARSE)      jwks is not a JWK set / JWK
 *   "out_of_memory" (TC_ERR_NOMEM); TC_ERR_USAGE "token_malformed" for a leeway out of range
 */
tc_status tc_ear_verify(const char *jwt, const json_t *jwks, int64_t now, int64_t leeway,
                        json_t **claims, tc_error *err);

#ifdef __cplusplus
}
#endif
#endif
