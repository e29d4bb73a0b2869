/* SPDX-License-Identifier: Apache-2.0 */
/* Private helpers shared by the DCAP verifier files (not a public API). */
#ifndef TEECTL_DCAP_COLLATERAL_H
#define TEECTL_DCAP_COLLATERAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
