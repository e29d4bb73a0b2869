/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — the verdict part of a verification result (private; the SNP and DCAP verifiers
 * and tc_verify_evidence write it the same way). Shape: teectl/verify.h. */
#ifndef TEECTL_CORE_VERDICT_H
#define TEECTL_CORE_VERDICT_H

#include <jansson.h>
#include <stdint.h>

#include "teectl/error.h"

/**
 * Set "verdict" ("valid" when st is TC_OK, else "invalid"), "reason" (err->reason; only
 * when invalid, removed otherwise) and "detail" (ok_detail when valid, else err->detail)
 * in res. Keys already present keep their place. 0 on success, -1 on allocation failure.
 */
int tc_verdict_set(json_t *res, tc_status st, const tc_error *err, const char *ok_detail);

/**
 * A new result object {"verdict", "reason" (invalid only), "detail", "tee", "verified_at"
 * (RFC 3339 of at, seconds since the epoch)}; NULL on allocation failure.
 */
json_t *tc_verdict_new(tc_status st, const tc_error *err, const char *ok_detail, const char *tee,
                       int64_t at);

/** "trust_anchor" values of a valid result (teectl/verify.h). */
#define TC_TRUST_ANCHOR_VENDOR "vendor_pinned"
#define TC_TRUST_ANCHOR_OPERATOR "operator_trust_root"

/**
 * Set "trust_anchor" in res when st is TC_OK: TC_TRUST_ANCHOR_OPERATOR when the
 * endorsements were trusted through an operator trust root (operator_root != 0: some chain
 * ended at a --trust-root certificate, not at the pinned AMD ARK / Intel SGX Root CA),
 * else TC_TRUST_ANCHOR_VENDOR. An invalid verdict names no anchor (the key is removed).
 * 0 on success, -1 on allocation failure.
 */
int tc_verdict_set_trust_anchor(json_t *res, tc_status st, int operator_root);

#endif
