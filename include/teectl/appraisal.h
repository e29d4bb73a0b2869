/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — appraisal policy: judge a verification result against the owner's
 * reference values and rules, producing an EAR submodule appraisal.
 *
 * Vocabulary (RFC 9334, draft-ietf-rats-ar4si, draft-ietf-rats-ear): the verifier
 * (verify.h) says whether the evidence is genuine; the appraisal says whether the
 * owner accepts what it claims: measurements against reference values, minimum TCB,
 * guest/enclave policy (debug, migration agent, SMT, ABI, VMPL), TCB status.
 *
 * The policy format (JSON) is documented in docs/policy.md. Nothing here does I/O or
 * reads the clock. A loaded tc_policy is immutable: it can be shared between threads
 * (tc_appraise only reads it).
 */
#ifndef TEECTL_APPRAISAL_H
#define TEECTL_APPRAISAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "teectl/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A loaded appraisal policy (opaque, immutable once loaded). */
typedef struct tc_policy tc_policy;

/** ear.status values (draft-ietf-rats-ear, section "ear.status"), ordered by severity. */
typedef enum {
  TC_EAR_NONE = 0,            /**< "none": no claim could be made */
  TC_EAR_AFFIRMING = 2,       /**< "affirming" */
  TC_EAR_WARNING = 32,        /**< "warning" */
  TC_EAR_CONTRAINDICATED = 96 /**< "contraindicated" */
} tc_ear_status;

/** "none" / "affirming" / "warning" / "contraindicated". */
const char *tc_ear_status_name(tc_ear_status s);

/** Parse one of the four names above; returns -1 for anything else. */
int tc_ear_status_from_name(const char *name);

/**
 * Parse a policy document (JSON text, UTF-8, `len` bytes, no NUL needed) into *out.
 * Every key is checked: unknown keys, wrong types and out-of-range values are
 * rejected (fail closed). Keys that are absent take the strict defaults of
 * tc_policy_default(). source_name (e.g. the file name) is only used in messages.
 *
 * Policy id (ear.appraisal-policy-id): the document's "id" string, or else
 * "sha256:<64 hex>" of the exact text.
 *
 * Errors (TC_ERR_PARSE):
 *   "policy_json_invalid"  not JSON / not an object (detail: source:line:column: text)
 *   "policy_unknown_key"   a key the format does not define (detail: key path, e.g. "snp.debugg")
 *   "policy_value_invalid" wrong type or value (detail: key path and what was expected,
 *                          e.g. "tdx.mr_td[1]: expected 96 hex digits (48 bytes)")
 * TC_ERR_NOMEM "out_of_memory".
 * Free with tc_policy_free.
 */
tc_status tc_policy_parse(const char *text, size_t len, const char *source_name, tc_policy **out,
                          tc_error *err);

/**
 * The strict default policy (id "teectl-default-strict"): nonce required; debug
 * guests/enclaves/TDs contraindicated; SNP report versions 2, 3, 5, TDX quote versions
 * 4, 5, SGX quote version 3, anything else contraindicated; TDX/SGX TCB status
 * "UpToDate" affirming, every other status contraindicated; SNP migration agent
 * contraindicated; no reference values, so measurements are "unappraised" and the
 * best possible ear.status is "warning". NULL only on allocation failure.
 */
tc_policy *tc_policy_default(void);

/** ear.appraisal-policy-id of p (borrowed string, lives as long as p). */
const char *tc_policy_id(const tc_policy *p);

/** Whether the service must require a bound nonce ("require_nonce", default true). */
bool tc_policy_require_nonce(const tc_policy *p);

/** The effective policy as JSON, defaults filled in (borrowed; do not modify). */
const json_t *tc_policy_json(const tc_policy *p);

/** Release p. NULL-safe. */
void tc_policy_free(tc_policy *p);

/**
 * Appraise one verification result (the JSON object of tc_verify_evidence, verify.h:
 * "verdict", "tee", "policy_flags", "claims", and for DCAP "tcb_status",
 * "advisory_ids", "fmspc") under policy p.
 *
 * *appraisal receives a new JSON object, the EAR submodule for this TEE
 * (draft-ietf-rats-ear section 3, "submods" entries):
 *   "ear.status":                 "affirming" | "warning" | "contraindicated"
 *   "ear.trustworthiness-vector": {"configuration", "executables", "hardware",
 *                                  "runtime-opaque": signed integers, tiers of
 *                                  draft-ietf-rats-ar4si section 2.3.2 (2..31 affirming,
 *                                  32..95 warning, 96..127 contraindicated, 99 crypto
 *                                  validation failed); claims without a conclusion are
 *                                  left out (value 0 = no claim)}
 *   "ear.appraisal-policy-id":    tc_policy_id(p)
 *   "failed_rules":  [{"rule": policy key path (e.g. "snp.allow_debug"),
 *                      "status": "warning"|"contraindicated", "detail": text}, ...]
 *                    every rule that did not affirm, in policy order
 *   "unappraised":   [claim names with no reference value configured, e.g. "measurement"]
 *   "trust_anchor":  the verifier's "trust_anchor" (verify.h), when the result has one
 *   the appraised claims, by the verifier's names:
 *     SNP: "report_version", "product", "signing_key", "measurement", "guest_policy",
 *          "debug", "vmpl", "host_data", "family_id", "image_id", "current_tcb",
 *          "reported_tcb", "committed_tcb", "launch_tcb",
 *          "guest_svn"
 *     TDX: "quote_version", "mr_td", "rtmr0".."rtmr3", "mr_seam", "tee_tcb_svn",
 *          "td_attributes", "debug", "tcb_status", "advisory_ids", "fmspc"
 *     SGX: "quote_version", "mr_enclave", "mr_signer", "isv_prod_id", "isv_svn",
 *          "debug", "tcb_status", "advisory_ids", "fmspc"
 *     (a claim absent from the verification result is absent here too). These values
 *     are the verification result's own (held by reference, not copied): change
 *     neither object's nested values while the other is in use.
 *
 * Policy "require_vendor_pinned" (top level): a result whose "trust_anchor" is not
 * "vendor_pinned" (or is missing) fails rule "require_vendor_pinned" (contraindicated,
 * hardware 97).
 *
 * A verification result with verdict "invalid" is appraised as contraindicated with
 * every vector claim 99 and failed rule "verification" (detail: its reason). A claim
 * a rule needs but the result lacks fails that rule (fail closed).
 *
 * Returns TC_OK whenever *appraisal was produced, whatever its ear.status.
 * Errors: TC_ERR_USAGE "verification_result_invalid" (not an object, or "tee"
 * missing/unknown); TC_ERR_NOMEM "out_of_memory".
 */
tc_status tc_appraise(const tc_policy *p, const json_t *verification, json_t **appraisal,
                      tc_error *err);

/** ear.status of an appraisal object from tc_appraise (TC_EAR_NONE if absent/unknown). */
tc_ear_status tc_appraisal_status(const json_t *appraisal);

#ifdef __cplusplus
}
#endif
#endif
