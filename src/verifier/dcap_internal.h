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

#endif
