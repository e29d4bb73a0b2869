/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — one entry point to verify evidence of any supported TEE.
 *
 * Evidence: AMD SEV-SNP ATTESTATION_REPORT (SEV-SNP Firmware ABI spec), Intel SGX
 * ECDSA quote v3, Intel TDX quote v4/v5. Collateral: the endorsements and CRLs the
 * verifier needs, as raw bytes named after the files of a collateral folder (the
 * layout of the shared vector cases). Nothing here does I/O or reads the clock:
 * "now" is the `at` argument (seconds since the Unix epoch, UTC).
 *
 * Result: a JSON object (jansson), always filled as far as verification got:
 *   {"verdict": "valid"|"invalid", "reason": code (invalid only), "detail": text,
 *    "trust_anchor" (valid only): "vendor_pinned" when every endorsement chain ends at a
 *      root pinned in the binary (AMD ARK of the product line, Intel SGX Root CA),
 *      "operator_trust_root" when one ends at a tc_collateral.trust_roots certificate,
 *    "tee": "snp"|"tdx"|"sgx", "verified_at": RFC 3339,
 *    SNP:  "product", "signing_key", "policy_flags", "claims" (vector `fields` names)
 *    DCAP: "tcb_status", "advisory_ids", "fmspc", "policy_flags", "claims"}
 */
#ifndef TEECTL_VERIFY_H
#define TEECTL_VERIFY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "teectl/bytes.h"
#include "teectl/error.h"

typedef enum { TC_TEE_UNKNOWN = 0, TC_TEE_SNP, TC_TEE_TDX, TC_TEE_SGX } tc_tee;

/** "snp" / "tdx" / "sgx" / "unknown". */
const char *tc_tee_name(tc_tee tee);
/** Parse "snp", "tdx", "sgx" (case-insensitive; also "sev" -> SNP). TC_TEE_UNKNOWN otherwise. */
tc_tee tc_tee_from_name(const char *name);

/**
 * Collateral as raw bytes (PEM or DER where certificates/CRLs; JSON text for Intel
 * TCB Info / QE Identity). An item with data == NULL is absent. The struct does not
 * own the bytes unless it came from tc_collateral_load_dir (then free with
 * tc_collateral_free).
 */
typedef struct tc_collateral {
  /* AMD (AMD SEV-SNP KDS interface spec): ark.pem, ask.pem (ASVK for VLEK), leaf */
  tc_buf ark;     /* ark.pem */
  tc_buf ask;     /* ask.pem: ASK, or ASVK when the leaf is a VLEK */
  tc_buf vcek;    /* vcek.der / vcek.pem */
  tc_buf vlek;    /* vlek.der / vlek.pem */
  tc_buf amd_crl; /* crl.der / crl.pem: the ARK's CRL (revokes ASK/ASVK) */
  /* Intel (PCS API v4) */
  tc_buf tcb_info;                 /* tcb_info.json */
  tc_buf tcb_info_issuer_chain;    /* tcb_info_issuer_chain.pem */
  tc_buf qe_identity;              /* qe_identity.json */
  tc_buf qe_identity_issuer_chain; /* qe_identity_issuer_chain.pem */
  tc_buf pck_crl;                  /* pck_crl.der */
  tc_buf pck_crl_issuer_chain;     /* pck_crl_issuer_chain.pem */
  tc_buf root_ca_crl;              /* root_ca_crl.der */
  tc_buf pck_chain;                /* pck_chain.pem: only used if the quote lacks one */
  /* Extra certificates of unknown role (e.g. from an attest request); the SNP
   * verifier sorts them by role (ARK / ASK / ASVK / VCEK / VLEK). */
  tc_buf *extra_certs;
  size_t n_extra_certs;
  /* Roots the operator trusts explicitly (--trust-root), besides the pinned vendor
   * roots. Each is a PEM or DER certificate. */
  tc_buf *trust_roots;
  size_t n_trust_roots;
  /* The same roots parsed once at load (tc_trust_store_new), or NULL: then each
   * verification parses trust_roots once itself. Not owned by the collateral. */
  const struct tc_trust_store *trust;
} tc_collateral;

/** Operator trust roots parsed once (certificates and their public-key pins). Opaque. */
typedef struct tc_trust_store tc_trust_store;

/**
 * Parse n operator trust roots (each one PEM or DER certificate, as in
 * tc_collateral.trust_roots) once, at load, for col->trust. Free with
 * tc_trust_store_free (NULL-safe). Errors: TC_ERR_PARSE "trust_root_invalid" (detail
 * names the root's index), TC_ERR_NOMEM "out_of_memory".
 */
tc_status tc_trust_store_new(const tc_buf *roots, size_t n, tc_trust_store **out, tc_error *err);
void tc_trust_store_free(tc_trust_store *ts);

/**
 * Read the known files of a collateral folder (names above) into col; absent files
 * stay absent. Roots are never read from the folder (intel_sgx_root_ca.pem is ignored):
 * trust comes from the pinned vendor keys and explicit trust_roots only.
 * Errors: TC_ERR_IO reason "collateral_unreadable" (dir missing or not a folder, or a
 * present file that cannot be read; detail names it).
 */
tc_status tc_collateral_load_dir(const char *dir, tc_collateral *col, tc_error *err);

/** Free every buffer of col (named items, extra_certs and trust_roots with their arrays)
 *  and zero it. Only for a collateral whose buffers are all heap-owned (as built by
 *  tc_collateral_load_dir, a collateral provider, or the CLI). */
void tc_collateral_free(tc_collateral *col);

/**
 * Guess the TEE from evidence bytes: a DCAP quote header (version 3 with tee_type 0
 * -> SGX, version 4/5 with tee_type 0x81 -> TDX) or an SNP report (versions 2..5).
 * TC_TEE_UNKNOWN if neither.
 */
tc_tee tc_tee_detect(const uint8_t *evidence, size_t len);

/**
 * Verify evidence of the given TEE (TC_TEE_UNKNOWN: detect) at time `at`.
 * Returns TC_OK if the verdict is valid; TC_ERR_VERIFY or TC_ERR_PARSE with err
 * filled (reason code) if invalid; other statuses for internal failures. *result
 * gets the result object in every case where it could be built (caller json_decref).
 */
tc_status tc_verify_evidence(tc_tee tee, const uint8_t *evidence, size_t len,
                             const tc_collateral *col, int64_t at, json_t **result, tc_error *err);

/**
 * A long-lived verifier (an attestation service, a tool verifying many pieces of
 * evidence): it keeps what it verified about endorsements that do not change from one
 * piece of evidence to the next, so that only what depends on the evidence and the time
 * is redone (SNP: the chain ARK -> ASK/ASVK -> VCEK/VLEK, see tc_snp_verify_cached; DCAP:
 * the PCK chain and the collateral set, see tc_dcap_verify_cached).
 * Caches are bounded (cache_entries each, least recently used dropped first; 0: nothing
 * kept) and keyed by the exact bytes, so a changed certificate or CRL is verified afresh;
 * a failure is never kept. One verifier serves many threads at once. Opaque.
 */
typedef struct tc_verifier tc_verifier;

/** Largest cache_entries tc_verifier_new accepts. */
#define TC_VERIFIER_MAX_CACHE_ENTRIES (1u << 20)

/** A new verifier. Errors: TC_ERR_USAGE "bad_argument" (cache_entries above
 *  TC_VERIFIER_MAX_CACHE_ENTRIES), TC_ERR_NOMEM "out_of_memory". */
tc_status tc_verifier_new(size_t cache_entries, tc_verifier **out, tc_error *err);
/** Free v (NULL-safe); every verification using it must have returned. */
void tc_verifier_free(tc_verifier *v);

/**
 * tc_verify_evidence with v's caches (v NULL: exactly tc_verify_evidence). The verdict,
 * reason code, detail and claims are the same as without caches for every input.
 */
tc_status tc_verifier_verify(tc_verifier *v, tc_tee tee, const uint8_t *evidence, size_t len,
                             const tc_collateral *col, int64_t at, json_t **result, tc_error *err);

/** The SNP chain cache of v (NULL for NULL): for tests and metrics. */
struct tc_snp_chain_cache *tc_verifier_snp_cache(tc_verifier *v);
/** The DCAP endorsement cache of v (NULL for NULL): for tests and metrics. */
struct tc_dcap_cache *tc_verifier_dcap_cache(tc_verifier *v);

#endif
