/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — key broker: the Confidential Containers KBS protocol (RCAR: Request, Challenge,
 * Attestation, Response) as current guests speak it.
 *
 * Sources (protocol facts; the code guests run wins where the prose differs):
 *  - confidential-containers/trustee kbs/docs/kbs_attestation_protocol.md, kbs/docs/kbs.yaml,
 *    kbs/docs/initdata.md;
 *  - confidential-containers/guest-components attestation-agent/kbs_protocol (protocol
 *    version 0.4.0, "supported-hash-algorithms" / "selected-hash-algorithm", the runtime-data
 *    binding) and attester/ (evidence wire forms);
 *  - the kbs-types crate (Request, Challenge, Attestation, TeePubKey, ProtectedHeader,
 *    ErrorInformation serialization); the virtee/sev crate (AttestationReport serde form).
 *  - RFC 7516 (JWE), RFC 7518 (ECDH-ES+A256KW, RSA-OAEP-256, A256GCM), RFC 7638 (JWK
 *    thumbprint), RFC 8785 (JSON canonicalization), RFC 7807 (problem details),
 *    NIST SP 800-38D (AES-GCM), RFC 5869 (HKDF).
 *
 * Pieces (src/kbs/, one concept per file): the protocol messages (protocol.c), RFC 8785
 * canonical JSON and the runtime-data binding (jcs.c, binding.c), sealed stateless session
 * cookies (session.c), evidence wire forms (evidence.c), init-data (initdata.c), resource
 * store and resource policy (resource.c, rules.c), the JWE response (jwe.c), RFC 7807 error
 * bodies (problem.c). Nothing here reads the clock or draws random numbers: time and random
 * bytes are arguments. Only tc_kbs_resource_read does I/O (the resource store).
 */
#ifndef TEECTL_KBS_H
#define TEECTL_KBS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "teectl/bytes.h"
#include "teectl/error.h"
#include "teectl/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The protocol version guests send in the Request and the only one accepted (Trustee
 *  accepts exactly "=0.4.0"; guest-components KBS_PROTOCOL_VERSION). */
#define TC_KBS_PROTOCOL_VERSION "0.4.0"
/** Name of the session cookie (Trustee kbs/src/attestation/session.rs). */
#define TC_KBS_COOKIE_NAME "kbs-session-id"
/** Bytes of a challenge nonce (Trustee NONCE_SIZE_BYTES); sent as standard base64. */
#define TC_KBS_NONCE_LEN 32
/** Length of the nonce's standard base64 text (RFC 4648 section 4, padded): 44. */
#define TC_KBS_NONCE_TEXT_LEN 44

/* ------------------------------------------------------------------ hashes */

/** Hash algorithms of the runtime-data binding (kbs-types HashAlgorithm, lower-case names). */
typedef enum { TC_KBS_SHA256 = 1, TC_KBS_SHA384 = 2, TC_KBS_SHA512 = 3 } tc_kbs_hash;

/** "sha256" / "sha384" / "sha512"; "unknown" for anything else. */
const char *tc_kbs_hash_name(tc_kbs_hash h);
/** Parse a name case-insensitively ("sha384", "SHA384"; also the IANA forms "sha-384" the
 *  init-data document uses). Returns the algorithm, or 0 for anything else (e.g. "sm3"). */
tc_kbs_hash tc_kbs_hash_from_name(const char *name);
/** Digest length in bytes: 32, 48, 64 (0 for an unknown value). */
size_t tc_kbs_hash_len(tc_kbs_hash h);
/**
 * out (64 bytes) gets the digest of data, zero-padded to 64 bytes (what REPORT_DATA carries).
 * Errors: TC_ERR_USAGE "hash_unsupported", TC_ERR_INTERNAL "digest_failed".
 */
tc_status tc_kbs_digest(tc_kbs_hash h, const void *data, size_t len, uint8_t out[64],
                        tc_error *err);

/* ------------------------------------------------------------ protocol messages */

/** A parsed Request (POST /kbs/v0/auth body). */
typedef struct tc_kbs_auth {
  tc_tee tee;       /* the guest's "tee" (only "snp", "tdx", "sgx" are served) */
  tc_kbs_hash hash; /* the algorithm the challenge selects */
} tc_kbs_auth;

/**
 * Parse a Request: {"version": "0.4.0", "tee": name, "extra-params": {...} | ""}. The hash
 * is SHA-384 (kbs-types' default, 48 bytes fit every TEE's 64-byte report data) unless
 * extra-params."supported-hash-algorithms" (a list of names) lacks it: then the first of
 * sha512, sha256 the guest lists. Unknown members are ignored (serde's default).
 * Errors: TC_ERR_PARSE "kbs_request_invalid" (not JSON, members missing or of the wrong
 * type); TC_ERR_VERIFY "kbs_version_unsupported" (any version but 0.4.0),
 * "kbs_tee_unsupported" (a kbs-types TEE this service does not verify, or an unknown name),
 * "kbs_hash_unsupported" (the guest lists none of sha256/sha384/sha512).
 */
tc_status tc_kbs_auth_parse(const char *body, size_t len, tc_kbs_auth *out, tc_error *err);

/**
 * The Challenge: {"nonce": standard base64 of the 32 bytes, "extra-params":
 * {"selected-hash-algorithm": name}}. NULL only on allocation failure.
 */
json_t *tc_kbs_challenge(const uint8_t nonce[TC_KBS_NONCE_LEN], tc_kbs_hash h);

/** Standard base64 (RFC 4648 section 4, padded) of the nonce into out (45 bytes). */
void tc_kbs_nonce_text(const uint8_t nonce[TC_KBS_NONCE_LEN], char out[TC_KBS_NONCE_TEXT_LEN + 1]);

/** A parsed Attestation (POST /kbs/v0/attest body). Pointers borrow from root. */
typedef struct tc_kbs_attestation {
  json_t *root;                    /* the whole body (owned) */
  const char *nonce;               /* runtime-data.nonce */
  const json_t *tee_pubkey;        /* runtime-data.tee-pubkey (checked: tc_kbs_tee_pubkey_check) */
  const json_t *primary_evidence;  /* tee-evidence.primary_evidence (any JSON value) */
  const char *additional_evidence; /* tee-evidence.additional_evidence, as sent */
  const char *init_data_format;    /* init-data.format, NULL when there is no init-data */
  const char *init_data_body;      /* init-data.body (NUL-terminated) */
  size_t init_data_len;            /* its length in bytes */
} tc_kbs_attestation;

/**
 * Parse an Attestation: {"init-data"?: {"format", "body"} | null, "runtime-data": {"nonce",
 * "tee-pubkey"}, "tee-evidence": {"primary_evidence": value, "additional_evidence": string}}.
 * runtime-data must have exactly those two members (the binding covers exactly them).
 * The tee-pubkey is checked with tc_kbs_tee_pubkey_check. additional_evidence must be ""
 * or "{}" after parsing (evidence of secondary devices cannot be verified here: refused).
 * Errors: TC_ERR_PARSE "kbs_attestation_invalid" (detail names the member),
 * "tee_pubkey_invalid"; TC_ERR_VERIFY "additional_evidence_unsupported".
 * Free with tc_kbs_attestation_free.
 */
tc_status tc_kbs_attestation_parse(const char *body, size_t len, tc_kbs_attestation *out,
                                   tc_error *err);
void tc_kbs_attestation_free(tc_kbs_attestation *a);

/**
 * Check a tee-pubkey JWK the way guests export it (kbs-types TeePubKey): exactly
 *   {"kty": "EC", "crv": "P-256"|"P-384"|"P-521", "alg": "ECDH-ES+A256KW", "x", "y"} or
 *   {"kty": "RSA", "alg": "RSA-OAEP-256", "n", "e"} (modulus 2048..8192 bits),
 * coordinates base64url of the curve's field size, a point on the curve (OpenSSL).
 * RSA1_5 and any other member are refused. Errors: TC_ERR_PARSE "tee_pubkey_invalid".
 */
tc_status tc_kbs_tee_pubkey_check(const json_t *jwk, tc_error *err);

/**
 * RFC 7638 JWK thumbprint (SHA-256 over the required members in lexicographic order,
 * compact) as base64url without padding (43 characters + NUL into out).
 * Errors: TC_ERR_PARSE "tee_pubkey_invalid"; TC_ERR_INTERNAL.
 */
tc_status tc_kbs_jwk_thumbprint(const json_t *jwk, char out[44], tc_error *err);

/**
 * The public key of a checked tee-pubkey as base64url (no padding) of its DER
 * SubjectPublicKeyInfo (RFC 5280 section 4.1.2.7): the "akpub" of Veraison's EAR
 * "ear.veraison.key-attestation" claim (x509.MarshalPKIXPublicKey form). Returns a malloc'd
 * string. Errors: TC_ERR_PARSE "tee_pubkey_invalid", TC_ERR_NOMEM.
 */
tc_status tc_kbs_jwk_akpub(const json_t *jwk, char **out, tc_error *err);

/* ------------------------------------------------------ canonical JSON, binding */

/**
 * RFC 8785 (JCS) serialization of v: object members sorted by their UTF-16 code units,
 * no whitespace, strings with only the escapes section 3.2.2.2 prescribes (\" \\ \b \f \n
 * \r \t, other controls \u00xx lower-case), integers in decimal. Non-integral numbers
 * are refused (nothing in the protocol carries them). Returns a malloc'd NUL-terminated
 * string. Errors: TC_ERR_PARSE "jcs_number_unsupported", TC_ERR_NOMEM.
 */
tc_status tc_kbs_jcs(const json_t *v, char **out, tc_error *err);

/**
 * The REPORT_DATA a guest binds (guest-components rcar_client get_composite_evidence):
 * hash over the RFC 8785 form of {"nonce": nonce, "tee-pubkey": jwk, "additional-evidence":
 * additional}, zero-padded to 64 bytes, into out. Errors: those of tc_kbs_jcs and
 * tc_kbs_digest.
 */
tc_status tc_kbs_runtime_data_digest(tc_kbs_hash h, const char *nonce, const json_t *jwk,
                                     const char *additional, uint8_t out[64], tc_error *err);

/**
 * Compare report_data (64 bytes from the verified evidence) with
 * tc_kbs_runtime_data_digest (constant time). Errors: TC_ERR_VERIFY "binding_mismatch"
 * (detail: expected and found hex), or those of tc_kbs_runtime_data_digest.
 */
tc_status tc_kbs_binding_check(tc_kbs_hash h, const uint8_t report_data[64], const char *nonce,
                               const json_t *jwk, const char *additional, tc_error *err);

/* --------------------------------------------------------------- sessions */

/** Bytes of the derived session-cookie key (AES-256). */
#define TC_KBS_SESSION_KEY_LEN 32
/** Minimum bytes of the secret a session key is derived from. */
#define TC_KBS_SESSION_SECRET_MIN 32
/** Random bytes the caller supplies per sealed cookie (the AES-GCM IV). */
#define TC_KBS_SESSION_IV_LEN 12

/** A session key (derived; see tc_kbs_session_key_derive). */
typedef struct tc_kbs_session_key {
  uint8_t k[TC_KBS_SESSION_KEY_LEN];
} tc_kbs_session_key;

/**
 * Derive the cookie key from a secret (>= 32 bytes, e.g. a Kubernetes Secret file shared by
 * all replicas): HKDF-SHA-256 (RFC 5869), no salt, info "teectl kbs session v1". The same
 * secret file can serve as the nonce key: the derivation separates the uses.
 * Errors: TC_ERR_USAGE "session_key_too_short", TC_ERR_INTERNAL "hkdf_failed".
 */
tc_status tc_kbs_session_key_derive(const uint8_t *secret, size_t len, tc_kbs_session_key *out,
                                    tc_error *err);

/** What a session cookie carries (all of it sealed; nothing is stored on the server). */
typedef struct tc_kbs_session {
  int attested;                    /* 0 after /auth, 1 after a successful /attest */
  tc_tee tee;                      /* from the Request */
  tc_kbs_hash hash;                /* selected in the Challenge */
  uint8_t nonce[TC_KBS_NONCE_LEN]; /* the challenge nonce */
  int64_t expires_at;              /* seconds since the epoch: the session's end */
  /* attested only: */
  char jti[64];             /* the issued token's "jti" */
  char jkt[44];             /* RFC 7638 thumbprint of the tee-pubkey */
  json_t *tee_pubkey;       /* the attested tee-pubkey JWK (owned) */
  char status[16];          /* the token's ear.status */
  char measurement[129];    /* lower-case hex: SNP MEASUREMENT, TDX MRTD, SGX MRENCLAVE */
  char init_data[129];      /* lower-case hex init-data digest, "" when none */
  char evidence_sha256[65]; /* lower-case hex SHA-256 of the verified evidence bytes, for the
                               audit records of releases ("" for a Bearer token) */
} tc_kbs_session;

/** Release what s owns (the JWK) and zero it. NULL-safe. */
void tc_kbs_session_clear(tc_kbs_session *s);

/**
 * Seal s into a cookie value: base64url(no padding) of 0x01 || IV (12 bytes, the caller's
 * random bytes, never reused under one key) || AES-256-GCM ciphertext of the session's JSON
 * || 16-byte tag, with AAD "teectl-kbs-session-v1" (NIST SP 800-38D). Returns a malloc'd
 * string. Errors: TC_ERR_NOMEM, TC_ERR_INTERNAL "seal_failed".
 */
tc_status tc_kbs_session_seal(const tc_kbs_session_key *key, const tc_kbs_session *s,
                              const uint8_t iv[TC_KBS_SESSION_IV_LEN], char **out, tc_error *err);

/**
 * Open a cookie value at time now (seconds since the epoch) into *out (clear it with
 * tc_kbs_session_clear). Errors (TC_ERR_VERIFY): "session_malformed" (not base64url, too
 * short or long (max 4096 characters), unknown format byte, or sealed content that is not
 * a session), "session_forged" (the tag does not verify: tampered, or another key),
 * "session_expired" (now > expires_at).
 */
tc_status tc_kbs_session_open(const tc_kbs_session_key *key, const char *text, int64_t now,
                              tc_kbs_session *out, tc_error *err);

/* -------------------------------------------------------- evidence wire forms */

/**
 * Rebuild the binary ATTESTATION_REPORT (0x4A0 bytes, SEV-SNP Firmware ABI spec table
 * "ATTESTATION_REPORT Structure") from the attestation-agent's SNP evidence
 * {"attestation_report": <virtee/sev AttestationReport serde form>, "cert_chain": [...] | null}.
 * Versions 2, 3, 4 (the version 3 fields) and 5. Every member of the report form is required
 * except cpuid_fam_id, cpuid_mod_id, cpuid_step (null or absent for version 2),
 * launch_mit_vector, current_mit_vector (version 5 only) and fmc (null on Milan/Genoa, a number
 * on Turin); byte arrays are JSON lists of 0..255 of the field's exact length; TCB_VERSION
 * objects are encoded in the layout tc_snp_wire_tcb_layout decides (teectl/snp.h: CPUID
 * family/model for version 3+, CHIP_ID for version 2; a version 2 report with a masked, all-zero
 * CHIP_ID is refused, as the sev crate refuses it); Version {major, minor, build} as build, minor,
 * major; signature {"r", "s"} 72 bytes each at 0x2A0 / 0x2E8; reserved bytes zero. Unknown
 * members are refused (they could not have come from the binary form).
 * cert_chain entries {"cert_type": "VCEK"|"VLEK"|"ASK"|"ARK", "data": [DER bytes]} go to
 * *certs (n_certs; caller frees each and the array): candidates only, never trust anchors
 * (the verifier pins the roots). Entries of other types ("CRL", "Empty", {"OTHER": uuid})
 * are skipped. At most 8 entries of at most 16 KiB each.
 * Errors: TC_ERR_PARSE "snp_evidence_invalid" (detail names the member); TC_ERR_NOMEM.
 */
tc_status tc_kbs_snp_evidence(const json_t *evidence, uint8_t report[0x4A0], tc_buf **certs,
                              size_t *n_certs, tc_error *err);

/**
 * The DCAP quote of TDX evidence {"quote": base64, "cc_eventlog": base64 | null} or SGX
 * evidence {"quote": base64} (guest-components attester tdx / sgx_dcap; standard base64).
 * The event log is not replayed here (nothing appraises RTMR event logs yet): it is accepted
 * and ignored. Errors: TC_ERR_PARSE "dcap_evidence_invalid"; TC_ERR_NOMEM.
 */
tc_status tc_kbs_dcap_evidence(tc_tee tee, const json_t *evidence, tc_buf *quote, tc_error *err);

/* ---------------------------------------------------------------- init-data */

/** A parsed init-data document (Trustee kbs/docs/initdata.md). */
typedef struct tc_kbs_initdata {
  tc_kbs_hash algorithm; /* the document's "algorithm" */
  uint8_t digest[64];    /* algorithm over the body's bytes as sent */
  size_t digest_len;     /* 32, 48 or 64 */
  char version[16];      /* the document's "version" ("0.1.0") */
  json_t *data_keys;     /* the names in its "data" table, sorted (owned) */
} tc_kbs_initdata;

/**
 * Parse an init-data body of the given format ("toml" with teectl's TOML 1.0 reader, or
 * "json"): "version" "0.1.0", "algorithm" one of sha256/sha384/sha512 (or sha-256...),
 * "data" a table of strings; then digest the body's bytes as sent.
 * Errors: TC_ERR_PARSE "init_data_invalid" (detail names the problem), TC_ERR_VERIFY
 * "init_data_unsupported" (another format, version or algorithm). Free with
 * tc_kbs_initdata_clear.
 */
tc_status tc_kbs_initdata_parse(const char *format, const char *body, size_t len,
                                tc_kbs_initdata *out, tc_error *err);
void tc_kbs_initdata_clear(tc_kbs_initdata *d);

/**
 * Compare the digest with the TEE's init-data field: the digest zero-padded or truncated to
 * the field's size (SNP HOST_DATA 32 bytes, TDX MRCONFIGID 48 bytes). field is that field's
 * bytes from the verified evidence. Errors: TC_ERR_VERIFY "init_data_mismatch" (detail:
 * expected and found hex).
 */
tc_status tc_kbs_initdata_check(const tc_kbs_initdata *d, const uint8_t *field, size_t field_len,
                                tc_error *err);

/* ------------------------------------------------------ resources and policy */

/** Longest repository / type / tag name (bytes). */
#define TC_KBS_NAME_MAX 128

/** The init-data value of a grant whose evidence has a non-zero SNP HOST_DATA / TDX MRCONFIGID
 * but which sent no init-data document to check it against: the field binds something that was
 * never shown. It matches no digest list and fails a rule's `"init_data": []`. */
#define TC_KBS_INIT_DATA_UNBOUND "unbound"
/** Largest resource served (bytes). */
#define TC_KBS_RESOURCE_MAX (1024 * 1024)

/**
 * Split a resource path "<repository>/<type>/<tag>" (the part after /kbs/v0/resource/) into
 * its three names, each 1..128 bytes of [A-Za-z0-9._-], not starting with '.' (so no "." or
 * "..", and no hidden entries such as a Kubernetes Secret volume's "..data").
 * Errors: TC_ERR_USAGE "resource_path_invalid".
 */
tc_status tc_kbs_resource_path(const char *path, char repo[TC_KBS_NAME_MAX + 1],
                               char type[TC_KBS_NAME_MAX + 1], char tag[TC_KBS_NAME_MAX + 1],
                               tc_error *err);

/**
 * Read DIR/<repo>/<type>/<tag> (names as tc_kbs_resource_path checks them) with openat2
 * RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS: nothing outside DIR is ever reached, a symbolic
 * link that leads out of DIR is refused, and the resource itself must be a regular file
 * opened with O_NOFOLLOW (a symlink as the resource is refused). Symbolic links inside DIR
 * that stay inside it (the "..data" links of a mounted Kubernetes Secret) are followed.
 * Errors: TC_ERR_IO "resource_not_found" (ENOENT/ENOTDIR), TC_ERR_VERIFY "resource_refused"
 * (a symlink out of DIR or as the resource, not a regular file), TC_ERR_PARSE
 * "resource_too_large" (over TC_KBS_RESOURCE_MAX), TC_ERR_IO "resource_unreadable".
 */
tc_status tc_kbs_resource_read(const char *dir, const char *repo, const char *type, const char *tag,
                               tc_buf *out, tc_error *err);

/** The facts a resource rule judges (from the session or a verified token). */
typedef struct tc_kbs_grant {
  tc_tee tee;
  int status;              /* tc_ear_status value (appraisal.h) of the attestation result */
  const char *measurement; /* lower-case hex, or "" */
  const char *init_data;   /* lower-case hex digest; "" when none was sent and the bound field
                              is all zeros (or the TEE has none: SGX); TC_KBS_INIT_DATA_UNBOUND
                              when none was sent but HOST_DATA / MRCONFIGID is not zero */
} tc_kbs_grant;

/** Resource rules (opaque, immutable once parsed). */
typedef struct tc_kbs_rules tc_kbs_rules;

/**
 * Parse the policy's "resources" list: rules {"path": "<repo>/<type>/<tag>" where each part
 * may be "*" (any name) or end in "*" (prefix), "tee": ["snp"|"tdx"|"sgx", ...] (optional:
 * any), "min_status": "affirming" | "warning" (default "affirming"), "measurements": [hex, ...]
 * (optional: SNP MEASUREMENT / TDX MRTD / SGX MRENCLAVE must be one of them), "init_data":
 * [hex, ...] (optional: the init-data digest must be one of them; an empty list means "no
 * init-data": none was sent and SNP HOST_DATA / TDX MRCONFIGID is all zeros)}. Unknown keys are
 * refused. rules may be NULL (no rules: every request denied). Errors: TC_ERR_PARSE
 * "resource_rules_invalid" (detail: "resources[i].key: ...").
 */
tc_status tc_kbs_rules_parse(const json_t *rules, tc_kbs_rules **out, tc_error *err);
void tc_kbs_rules_free(tc_kbs_rules *r);

/**
 * Judge a request for repo/type/tag: the first rule whose path matches decides (default
 * deny when none matches). *rule_index gets the deciding rule's index, -1 when none matched.
 * Returns TC_OK when released; TC_ERR_VERIFY "policy_denied" (detail: which rule and which
 * condition failed, or "no rule matches").
 */
tc_status tc_kbs_rules_judge(const tc_kbs_rules *r, const char *repo, const char *type,
                             const char *tag, const tc_kbs_grant *g, int *rule_index,
                             tc_error *err);

/* -------------------------------------------------------------------- JWE */

/**
 * Encrypt plaintext to the attested tee-pubkey as a JWE in flattened JSON serialization
 * (RFC 7516 section 7.2.2) with libjose: {"protected", "encrypted_key", "iv", "ciphertext",
 * "tag"} (no "aad"), content A256GCM, key ECDH-ES+A256KW for EC keys (epk in the protected
 * header) or RSA-OAEP-256 for RSA keys. The protected header is serialized as kbs-types
 * ProtectedHeader does (alg, enc, then the other members with sorted keys, compact) because
 * the guest rebuilds the AAD from its own re-serialization; the result is checked against
 * that form before it is returned. Errors: TC_ERR_PARSE "tee_pubkey_invalid",
 * TC_ERR_INTERNAL "jwe_failed", TC_ERR_NOMEM.
 */
tc_status tc_kbs_jwe_encrypt(const json_t *tee_pubkey, const uint8_t *plaintext, size_t len,
                             json_t **out, tc_error *err);

/**
 * The protected header serialized the kbs-types way: {"alg":..,"enc":..,<other members
 * sorted by key, nested objects sorted too>}, compact. Returns malloc'd text or NULL (no
 * "alg"/"enc" strings, or no memory).
 */
char *tc_kbs_protected_header_text(const json_t *header);

/* ------------------------------------------------------------ error bodies */

/**
 * An RFC 7807 problem body for an error: {"type": "urn:teectl:kbs:error:<reason>",
 * "title": the HTTP reason phrase, "status": status, "detail": detail} (kbs-types
 * ErrorInformation reads "type" and "detail"). Returns compact JSON text (malloc'd), NULL on
 * allocation failure. Content-Type: application/problem+json.
 */
char *tc_kbs_problem(unsigned status, const char *reason, const char *detail);

/** The HTTP status a KBS error reason maps to: 401 for session, token, attestation and
 *  request failures; 403 "policy_denied"; 404 "resource_not_found", "resource_path_invalid",
 *  "resource_refused"; 413 "body_too_large"; 429 "rate_limited"; 500 internal ones. */
unsigned tc_kbs_status_of(const tc_error *err);

#ifdef __cplusplus
}
#endif
#endif
