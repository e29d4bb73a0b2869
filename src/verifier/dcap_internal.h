/* SPDX-License-Identifier: Apache-2.0 */
/* Private helpers shared by the DCAP verifier files (not a public API). */
#ifndef TEECTL_VERIFIER_DCAP_INTERNAL_H
#define TEECTL_VERIFIER_DCAP_INTERNAL_H

#include <jansson.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "teectl/dcap.h"
#include "teectl/error.h"

/* Exactly n bytes of hex (2n characters, no prefix) from member key of obj.
 * Errors: TC_ERR_PARSE with `reason`, detail "<what>.<key>". */
tc_status dcap_json_hex(const json_t *obj, const char *key, uint8_t *out, size_t n,
                        const char *reason, const char *what, tc_error *err);
/* Integer member in [min, max]. */
tc_status dcap_json_int(const json_t *obj, const char *key, long long min, long long max,
                        long long *out, const char *reason, const char *what, tc_error *err);
/* RFC 3339 string member as seconds since the epoch. */
tc_status dcap_json_time(const json_t *obj, const char *key, int64_t *out, const char *reason,
                         const char *what, tc_error *err);
/* advisoryIDs member: a new reference to the array of strings (empty when absent). */
tc_status dcap_json_advisories(const json_t *obj, json_t **out, const char *reason,
                               const char *what, tc_error *err);

/**
 * Read the SGX extensions of a PCK leaf certificate (DER walked with bounds checks; Intel
 * SGX PCK Certificate and CRL Profile, OID 1.2.840.113741.1.13.1) and the CA type from its
 * issuer CN. Errors: TC_ERR_VERIFY "pck_extension_invalid" (absent, malformed, missing one
 * of PPID / TCB / PCE-ID / FMSPC / SGX Type, wrong sizes, duplicated entries).
 */
tc_status dcap_pck_info_from_cert(X509 *pck, tc_dcap_pck_info *out, tc_error *err);

/* ---- one verification (dcap_verify.c runs the steps, dcap_endorsements.c checks the
 * certificates, CRLs and signed PCS collateral) ---- */

typedef struct dcap_vctx {
  const tc_collateral *col;
  int64_t at;                                  /* verification time, seconds since the epoch */
  int64_t win_lo, win_hi;                      /* intersection of every validity window seen */
  STACK_OF(X509) * pck, *tcb_chain, *qe_chain; /* leaf .. root */
  X509_CRL *pck_crl, *root_crl;
  json_t *tcb_doc, *qe_doc;
  tc_dcap_tcb_info ti;
  tc_dcap_qe_identity qi;
  EVP_PKEY *ak;                /* attestation key of the quote */
  const tc_trust_store *trust; /* operator roots (col->trust or trust_owned) */
  tc_trust_store *trust_owned;
  int operator_root; /* a chain ended at an operator root, not the pinned Intel root */
} dcap_vctx;

/* Release everything c holds (for the cleanup attribute: takes its address). */
void dcap_vctx_free(dcap_vctx *c);

/**
 * PCK chain step: the collateral items DCAP needs are present (else "collateral_missing",
 * all missing ones named), the PCK chain (from the quote's type-5 certification data, else
 * col->pck_chain.pem; "pck_chain_missing") parses, has leaf, PCK CA and a root that is the
 * pinned Intel SGX Root CA or an operator root, every link verifies ("pck_chain_invalid",
 * "pck_chain_untrusted") and every certificate is valid at c->at ("pck_cert_expired").
 */
tc_status dcap_check_pck_chain(dcap_vctx *c, const tc_dcap_quote *q, tc_error *err);

/**
 * Signed collateral step (after the PCK chain): Root CA CRL and PCK CRL (issuer, signature,
 * window: "crl_invalid", "crl_expired"; revocation of the PCK CA and leaf: "pck_revoked"),
 * then TCB Info and QE Identity: signing chain, signature over the exact inner object,
 * structure and issueDate..nextUpdate window ("tcb_info_*", "qe_identity_*").
 */
tc_status dcap_check_signed_collateral(dcap_vctx *c, tc_error *err);

#endif
