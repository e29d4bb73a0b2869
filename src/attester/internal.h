/* SPDX-License-Identifier: Apache-2.0 */
/* Internal helpers of the attester area (src/attester/). */
#ifndef TEECTL_ATTESTER_INTERNAL_H
#define TEECTL_ATTESTER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "teectl/attester.h"

/** root + path (path starts with '/') into out (cap bytes); -1 if it does not fit. */
int att_path(const tc_attester_opts *o, const char *path, char *out, size_t cap);

/** /dev/sev-guest (SNP_GET_EXT_REPORT, then SNP_GET_REPORT) at dev. */
tc_status att_sev_guest(const tc_attester_opts *o, const char *dev, const uint8_t rd[64],
                        tc_evidence *out, tc_error *err);

/** /dev/tdx_guest or /dev/tdx-guest at dev: a TDREPORT only, so always an error that says
 *  what is needed (tdx_quote_unavailable), or the device's own failure. */
tc_status att_tdx_guest(const char *dev, const uint8_t rd[64], tc_error *err);

/** The attestation-agent's API server (aa.c): its TEE, and evidence. */
tc_status att_aa_tee(const tc_attester_opts *o, const char **tee, tc_error *err);
tc_status att_aa_evidence(const tc_attester_opts *o, const uint8_t rd[64], tc_evidence *out,
                          tc_error *err);

/** The evidence command. */
tc_status att_evidence_cmd(const tc_attester_opts *o, const uint8_t rd[64], tc_evidence *out,
                           tc_error *err);

/* ---- HTTP (libcurl), one handle per exchange so cookies carry over ---- */

typedef struct att_http att_http;

/** A client for base URL url (no trailing slash needed). NULL when out of memory. */
att_http *att_http_new(const char *url, const tc_attest_http *h);
void att_http_free(att_http *c);

/** Seconds left before the deadline (0 when it has passed). */
double att_http_time_left(const att_http *c);

/**
 * One request with retries: method "GET" or "POST" (body JSON text, or NULL), path appended to
 * the base URL. Transport failures, 429 and 5xx are retried with exponential back-off (0.5 s
 * doubling, at most 8 s) while the deadline allows; any other status is returned as it is.
 * *status gets the HTTP status, *body the answer (malloc'd, NUL-terminated, at most 16 MiB).
 * Errors: service_unreachable (TC_ERR_IO; detail: the last transport error or status),
 * out_of_memory.
 */
tc_status att_http_do(att_http *c, const char *method, const char *path, const char *body,
                      long *status, char **answer, tc_error *err);

/** The refusal text of an error answer: "<code>: <detail>" from teectl's {"error","detail",
 *  "failed_rules"} or an RFC 7807 {"type","detail"} body, else the status and raw text. */
void att_refusal(long status, const char *body, tc_error *err);

#endif
