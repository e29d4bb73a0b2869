/* SPDX-License-Identifier: Apache-2.0 */
/* Request bodies of the attest routes and the error body of every answer (src/service,
 * not a public API). */
#ifndef TEECTL_SERVICE_REQUEST_H
#define TEECTL_SERVICE_REQUEST_H

#include <jansson.h>

#include "service/attest.h"

/**
 * Parse a request body (len bytes of JSON) of POST /v1/attest (compat 0) or the compat
 * POST /attest (compat 1) into *in. *root gets the parsed JSON (caller json_decref, after
 * *in is no longer used: in->nonce and in->expect_measurement point into it), also on
 * failure (may be NULL). Returns 1, or 0 with *status (400) and *body (error object) set:
 * codes json_invalid, request_invalid, request_unknown_field, tee_unsupported,
 * evidence_not_base64, runtime_data_not_base64, nonce_malformed. Free *in with
 * svc_attest_in_free in every case.
 */
int svc_request_parse(const char *text, size_t len, int compat, json_t **root,
                      struct svc_attest_in *in, unsigned *status, json_t **body);
void svc_attest_in_free(struct svc_attest_in *in);

/** An error body {"error": code, "detail": detail}. */
json_t *svc_error_body(const char *code, const char *detail);

#endif
