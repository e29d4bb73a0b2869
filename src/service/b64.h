/* SPDX-License-Identifier: Apache-2.0 */
/* Base64 of RFC 4648 for request and token fields (src/service, not a public API). */
#ifndef TEECTL_SERVICE_B64_H
#define TEECTL_SERVICE_B64_H

#include <stddef.h>
#include <stdint.h>

#include "teectl/bytes.h"
#include "teectl/error.h"

/** Encode len bytes as base64url without padding (section 5). Returns a malloc'd
 *  NUL-terminated string, NULL on allocation failure. */
char *svc_b64url_encode(const uint8_t *in, size_t len);

/**
 * Decode base64 text of either alphabet (section 4 "+/" or section 5 "-_"; padding
 * optional but, when present, correct). No whitespace or other characters.
 * out gets a malloc'd buffer. Errors: TC_ERR_PARSE reason_code (caller's choice, e.g.
 * "evidence_not_base64") with the offset of the first bad character in the detail;
 * field names the JSON field in the detail.
 */
tc_status svc_b64_decode(const char *text, const char *field, const char *reason_code, tc_buf *out,
                         tc_error *err);

#endif
