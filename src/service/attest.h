/* SPDX-License-Identifier: Apache-2.0 */
/* The attest pipeline of the service, step by step (not a public API).
 *
 *   nonce -> verify -> bind -> appraise -> issue
 *
 * svc_attest (POST /v1/attest, compat POST /attest) runs all five. Another route (the
 * KBS protocol's /attest) reuses verify -> appraise -> issue with its own nonce check and
 * its own binding: begin an svc_attestation, call the steps in order while they return 1,
 * then svc_attestation_end. A step that returns 0 has refused: status, outcome and body
 * hold the answer (one refusal path, svc_attestation_refuse). No step issues a token for
 * a contraindicated or invalid result. */
#ifndef TEECTL_SERVICE_ATTEST_H
#define TEECTL_SERVICE_ATTEST_H

#include <jansson.h>
#include <stdint.h>

#include "service/state.h"
#include "teectl/ear.h"

/** One attest request, already decoded from its JSON body. */
struct svc_attest_in {
  tc_tee tee;
  tc_buf evidence;
  const char *nonce; /* base64url text or NULL */
  tc_buf runtime_data;
  int has_runtime_data;
  tc_buf certs[8]; /* PEM certificates from the request */
  size_t n_certs;
  const char *expect_measurement; /* compat route: hex the evidence must carry, or NULL */
  const char *remote;             /* client address for the audit record */
  const char *route;
};

/**
 * Run challenge-checked verification, binding, appraisal and token issuance.
 * Returns the HTTP status; *body gets the JSON answer ({"token"} or an error object
 * {"error", "detail", ["reason"], ["failed_rules"]}). Writes the audit record.
 */
unsigned svc_attest(tc_service *svc, const struct svc_attest_in *in, json_t **body);

/** One attestation in progress. Fields are read by the route that drives the steps; only
 *  the steps write them. */
struct svc_attestation {
  tc_service *svc;
  tc_tee tee;
  int64_t now;                   /* seconds since the epoch: nonce expiry, token iat */
  int64_t at;                    /* verification time (opts.at in tests, else now) */
  struct svc_policy_ref *policy; /* held from begin to end: one policy per request */
  char policy_id[160];
  tc_collateral col;         /* the service's collateral + the request's certificates + fetched */
  char collateral_note[600]; /* why fetching failed, for the audit record ("" if not) */
  double t0;                 /* monotonic seconds when verification started (latency) */
  json_t *result;            /* verification result (claims), after verify */
  json_t *appraisal;         /* appraisal, after appraise */
  tc_ear_status ear_status;  /* after appraise: affirming or warning */
  char jti[32];              /* token id, after issue */
  /* The answer: HTTP status, audit "result" and the JSON body (owned until taken). */
  unsigned status;
  const char *outcome;
  char outcome_buf[64]; /* refusals copy their outcome here: a reason may live in a caller's
                           tc_error that is gone before the audit record is written */
  json_t *body;
};

/** Start: reload the policy if its file changed, take a reference to it and read the
 *  clock. Cannot fail. */
void svc_attestation_begin(struct svc_attestation *a, tc_service *svc, tc_tee tee);

/** The one refusal path: set status, outcome (audit "result", a stable reason code) and
 *  body (stolen; NULL becomes a 500 "internal_error"). Returns 0 for `return refuse(...)`. */
int svc_attestation_refuse(struct svc_attestation *a, unsigned status, const char *outcome,
                           json_t *body);

/** A 403 refusal naming the failed rule: body {"error": code, "detail", "reason" (if not
 *  NULL), "failed_rules": [{"rule", "status": "contraindicated", "detail": rule_detail or
 *  detail}]}; every 403 names its rule the same way for every TEE. Returns 0. */
int svc_attestation_refuse_rule(struct svc_attestation *a, const char *code, const char *reason,
                                const char *detail, const char *rule, const char *rule_detail);

/** Verify evidence (len bytes) with the service's collateral, the request's certificates
 *  (n_certs PEM/DER buffers, borrowed until end) and what the provider fetches
 *  (tc_verify_evidence, the one verification path). 1: a->result holds the claims. 0:
 *  refused, 403 "evidence_invalid" (rule "verification", the verifier's reason) or 500
 *  "internal_error". Records the verification metric on refusal. */
int svc_attestation_verify(struct svc_attestation *a, const uint8_t *evidence, size_t len,
                           const tc_buf *certs, size_t n_certs);

/** The 64 bytes of the verified REPORT_DATA claim (claims.report_data, hex). 1, or 0 with
 *  a 500 refusal when the result has none. */
int svc_attestation_report_data(struct svc_attestation *a, uint8_t out[64]);

/** Record a binding refusal (403 with rule "binding", outcome err->reason, metric
 *  "binding_mismatch"); for routes with their own binding. Returns 0. */
int svc_attestation_refuse_binding(struct svc_attestation *a, const tc_error *err);

/** Appraise a->result against the held policy (tc_appraise). 1: affirming or warning
 *  (a->ear_status). 0: refused, 403 "contraindicated" with the policy's failed_rules, or
 *  500. Records the verification metric (the appraisal status) either way. */
int svc_attestation_appraise(struct svc_attestation *a);

/** Issue the EAR token (tc_ear_issue) for an affirming/warning appraisal: eat_nonce is
 *  nonce_text (NULL: none), runtime_data_claim (borrowed, may be NULL) is attached.
 *  1: *token (malloc'd, caller frees) and a->jti set; 0: 500 refusal. */
int svc_attestation_issue(struct svc_attestation *a, const char *nonce_text,
                          json_t *runtime_data_claim, char **token);

/** Write the audit record {"event": "attest", route, remote, tee, http_status, result,
 *  evidence_sha256 (hex SHA-256 of the evidence bytes, never the evidence itself),
 *  policy_id, [failed_rules], [reason], [jti on 200], [collateral_error]} for the answer
 *  in a. evidence may be NULL (digest ""). */
void svc_attestation_audit(const struct svc_attestation *a, const char *route, const char *remote,
                           const tc_buf *evidence);

/** Release what begin and the steps hold (not a->body). */
void svc_attestation_end(struct svc_attestation *a);

#endif
