/* SPDX-License-Identifier: Apache-2.0 */
/* The attest pipeline: nonce check -> tc_verifier_verify (the one verification path)
 * -> binding of nonce and runtime data in REPORT_DATA -> appraisal policy -> EAR token.
 * Each step is a function of service/attest.h that answers 1 (go on) or refuses through
 * the one refusal path; svc_attest strings them together for POST /v1/attest and the
 * compat POST /attest. No token is ever issued for a contraindicated or invalid result.
 * Every decision is written as one audit record (never secrets or whole evidence: its
 * SHA-256 only). */
#include "service/attest.h"
#include "service/request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "teectl/base64.h"
#include "teectl/collateral.h"
#include "teectl/crypto.h"

static double mono_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* teectl_verifications_total{tee,result} and the latency since verification started. */
static void count_verification(const struct svc_attestation *a, const char *result) {
  svc_metrics_verification(a->svc->metrics, tc_tee_name(a->tee), result, mono_seconds() - a->t0);
}

/* A string claim of the verification result (claims.<name>), or NULL. */
static const char *claim_text(const json_t *result, const char *name) {
  const json_t *claims = json_object_get(result, "claims");
  const json_t *v = json_object_get(claims, name);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ------------------------------------------------------------------ refusals */

int svc_attestation_refuse(struct svc_attestation *a, unsigned status, const char *outcome,
                           json_t *body) {
  json_decref(a->body);
  a->status = status;
  snprintf(a->outcome_buf, sizeof a->outcome_buf, "%s", outcome ? outcome : "internal_error");
  a->outcome = a->outcome_buf;
  a->body = body;
  if (a->body == NULL) {
    a->status = 500;
    a->outcome = "internal_error";
    a->body = svc_error_body("internal_error", "out of memory");
  }
  return 0;
}

static int refuse_internal(struct svc_attestation *a, const char *detail) {
  return svc_attestation_refuse(a, 500, "internal_error", svc_error_body("internal_error", detail));
}

int svc_attestation_refuse_rule(struct svc_attestation *a, const char *code, const char *reason,
                                const char *detail, const char *rule, const char *rule_detail) {
  json_t *body = svc_error_body(code, detail);
  json_t *fr = json_pack("[{s:s, s:s, s:s}]", "rule", rule, "status",
                         tc_ear_status_name(TC_EAR_CONTRAINDICATED), "detail",
                         rule_detail ? rule_detail : (detail ? detail : ""));
  if (body == NULL || fr == NULL || json_object_set_new(body, "failed_rules", fr) != 0 ||
      (reason != NULL && json_object_set_new(body, "reason", json_string(reason)) != 0)) {
    json_decref(body);
    body = NULL;
  }
  return svc_attestation_refuse(a, 403, code, body);
}

int svc_attestation_refuse_binding(struct svc_attestation *a, const tc_error *err) {
  count_verification(a, "binding_mismatch");
  return svc_attestation_refuse_rule(a, err->reason, NULL, err->detail, "binding", NULL);
}

/* ------------------------------------------------------------------ steps */

void svc_attestation_begin(struct svc_attestation *a, tc_service *svc, tc_tee tee) {
  memset(a, 0, sizeof *a);
  a->svc = svc;
  a->tee = tee;
  a->now = (int64_t)time(NULL);
  a->at = svc->opts.has_at ? svc->opts.at : a->now;
  a->col = svc->collateral; /* shallow copy: the request and the provider add to it */
  a->status = 500;
  a->outcome = "internal_error";
  a->t0 = mono_seconds();
  svc_policy_maybe_reload(svc);
  a->policy = svc_policy_acquire(svc);
  snprintf(a->policy_id, sizeof a->policy_id, "%s", tc_policy_id(a->policy->policy));
}

/* What the provider (cache, AMD KDS, Intel PCS) adds for this evidence, and the
 * collateral cache metric (a hit: everything came from the folder or the cache). */
static void fill_collateral(struct svc_attestation *a, const uint8_t *evidence, size_t len) {
  tc_service *svc = a->svc;
  if (svc->opts.provider == NULL) {
    svc_metrics_collateral(svc->metrics, svc->have_collateral_dir);
    return;
  }
  /* A global cap on requests fetching at once: each holds a worker thread while it waits. */
  unsigned n = atomic_fetch_add(&svc->fetching, 1);
  if (svc->opts.max_fetches > 0 && n >= svc->opts.max_fetches) {
    atomic_fetch_sub(&svc->fetching, 1);
    snprintf(a->collateral_note, sizeof a->collateral_note,
             "collateral_busy: %u requests are fetching collateral, the limit (--max-fetches); "
             "not fetched",
             n);
    return;
  }
  json_t *report = NULL;
  tc_error ferr;
  if (tc_provider_fill(svc->opts.provider, a->tee, evidence, len, TC_SNP_PRODUCT_UNKNOWN, a->now,
                       &a->col, &report, &ferr) != TC_OK)
    snprintf(a->collateral_note, sizeof a->collateral_note, "%s: %s", ferr.reason, ferr.detail);
  atomic_fetch_sub(&svc->fetching, 1);
  size_t i;
  json_t *item;
  json_array_foreach(report, i, item) {
    const char *origin = json_string_value(json_object_get(item, "origin"));
    svc_metrics_collateral(svc->metrics, origin != NULL && (strcmp(origin, "directory") == 0 ||
                                                            strcmp(origin, "cache") == 0));
  }
  json_decref(report);
}

int svc_attestation_verify(struct svc_attestation *a, const uint8_t *evidence, size_t len,
                           const tc_buf *certs, size_t n_certs) {
  tc_error err;
  a->col.extra_certs = n_certs ? (tc_buf *)certs : NULL;
  a->col.n_extra_certs = n_certs;
  tc_status vst = TC_OK;
  int fetch = 1;
  if (a->svc->opts.provider != NULL) {
    /* Verify what can be verified before fetching: evidence that is malformed, or that
     * fails for a reason fetching cannot change (a signature over a known key, a chain
     * that ends elsewhere), never drives a fetch; only missing or expired collateral does. */
    a->t0 = mono_seconds();
    vst = tc_verifier_verify(a->svc->verifier, a->tee, evidence, len, &a->col, a->at, &a->result,
                             &err);
    fetch = vst == TC_ERR_VERIFY && strcmp(svc_metrics_invalid_result(err.reason), "invalid") != 0;
    if (fetch) {
      json_decref(a->result);
      a->result = NULL;
    }
  }
  if (fetch) {
    fill_collateral(a, evidence, len);
    a->t0 = mono_seconds(); /* the latency histogram: verification and appraisal only */
    vst = tc_verifier_verify(a->svc->verifier, a->tee, evidence, len, &a->col, a->at, &a->result,
                             &err);
  }
  if (vst == TC_OK)
    return 1;
  if (vst != TC_ERR_VERIFY && vst != TC_ERR_PARSE) {
    count_verification(a, "error");
    return refuse_internal(a, err.detail);
  }
  /* Invalid evidence (any TEE, whether or not the verifier got as far as a result): the
   * failed rule is "verification", with the verifier's reason and detail. */
  count_verification(a, svc_metrics_invalid_result(err.reason));
  char rd[sizeof err.reason + sizeof err.detail + 2];
  snprintf(rd, sizeof rd, "%s: %s", err.reason, err.detail);
  return svc_attestation_refuse_rule(a, "evidence_invalid", err.reason, err.detail, "verification",
                                     rd);
}

int svc_attestation_report_data(struct svc_attestation *a, uint8_t out[64]) {
  const char *hex = claim_text(a->result, "report_data");
  size_t n = 0;
  if (hex != NULL && tc_hex_decode(hex, out, 64, &n, NULL) == TC_OK && n == 64)
    return 1;
  count_verification(a, "error");
  return refuse_internal(a, "the verification result has no 64-byte report_data claim");
}

int svc_attestation_appraise(struct svc_attestation *a) {
  tc_error err;
  if (tc_appraise(a->policy->policy, a->result, &a->appraisal, &err) != TC_OK) {
    count_verification(a, "error");
    return refuse_internal(a, err.detail);
  }
  a->ear_status = tc_appraisal_status(a->appraisal);
  count_verification(a, tc_ear_status_name(a->ear_status));
  if (a->ear_status == TC_EAR_AFFIRMING || a->ear_status == TC_EAR_WARNING)
    return 1;
  return svc_attestation_refuse(a, 403, "contraindicated",
                                json_pack("{s:s, s:s, s:O*}", "error", "contraindicated", "detail",
                                          "the appraisal policy contraindicates this evidence",
                                          "failed_rules",
                                          json_object_get(a->appraisal, "failed_rules")));
}

int svc_attestation_issue(struct svc_attestation *a, const char *nonce_text,
                          json_t *runtime_data_claim, char **token) {
  tc_error err;
  *token = NULL;
  if (a->appraisal == NULL ||
      (a->ear_status != TC_EAR_AFFIRMING && a->ear_status != TC_EAR_WARNING))
    return refuse_internal(a, "no affirming appraisal to issue a token for");
  if (tc_token_id(a->jti, NULL) != TC_OK)
    return refuse_internal(a, "random jti");
  tc_ear_params params = {
      .issuer = a->svc->opts.issuer,
      .nonce = nonce_text,
      .iat = a->now,
      .ttl = a->svc->opts.token_ttl,
      .jti = a->jti,
  };
  if (tc_ear_issue(a->svc->keys, &params, tc_tee_name(a->tee), a->appraisal, runtime_data_claim,
                   token, &err) != TC_OK)
    return refuse_internal(a, err.detail);
  return 1;
}

/* ------------------------------------------------------------------ audit, end */

static json_t *rule_names(const json_t *failed_rules) {
  json_t *names = json_array();
  size_t i;
  const json_t *r;
  json_array_foreach(failed_rules, i, r) {
    const json_t *n = json_object_get(r, "rule");
    if (json_is_string(n))
      json_array_append_new(names, json_string(json_string_value(n)));
  }
  return names;
}

void svc_attestation_audit(const struct svc_attestation *a, const char *route, const char *remote,
                           const tc_buf *evidence) {
  char digest_hex[65] = "";
  if (evidence != NULL && tc_sha256_hex(evidence->data, evidence->len, digest_hex, NULL) != TC_OK)
    digest_hex[0] = '\0';
  json_t *audit = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s}", "event", "attest", "route",
                            route ? route : "", "remote", remote ? remote : "", "tee",
                            tc_tee_name(a->tee), "http_status", (int)a->status, "result",
                            a->outcome, "evidence_sha256", digest_hex, "policy_id", a->policy_id);
  if (audit == NULL)
    return;
  const json_t *failed = json_object_get(a->body, "failed_rules");
  if (failed != NULL)
    json_object_set_new(audit, "failed_rules", rule_names(failed));
  const json_t *reason = json_object_get(a->body, "reason");
  if (reason != NULL)
    json_object_set(audit, "reason", (json_t *)reason);
  if (a->jti[0] != '\0' && a->status == 200)
    json_object_set_new(audit, "jti", json_string(a->jti));
  if (a->collateral_note[0] != '\0')
    json_object_set_new(audit, "collateral_error", json_string(a->collateral_note));
  svc_audit(audit);
  json_decref(audit);
}

void svc_attestation_end(struct svc_attestation *a) {
  svc_policy_release(a->policy);
  a->policy = NULL;
  tc_collateral_free_added(&a->col, &a->svc->collateral);
  json_decref(a->result);
  json_decref(a->appraisal);
  a->result = a->appraisal = NULL;
}

/* ------------------------------------------------------------------ /v1/attest */

/* The measurement the seed's compat API compares: SNP MEASUREMENT, TDX MRTD, SGX MRENCLAVE. */
static const char *measurement_claim(tc_tee tee) {
  switch (tee) {
  case TC_TEE_SNP:
    return "measurement";
  case TC_TEE_TDX:
    return "mr_td";
  case TC_TEE_SGX:
    return "mr_enclave";
  default:
    return "measurement";
  }
}

/* runtime_data as attached to the token: the JSON object it holds (e.g. a JWK), or
 * else its base64url text. */
static json_t *runtime_data_claim(const tc_buf *rd) {
  json_t *obj = json_loadb((const char *)rd->data, rd->len, JSON_REJECT_DUPLICATES, NULL);
  if (json_is_object(obj))
    return obj;
  json_decref(obj);
  char *t = tc_b64_encode(rd->data, rd->len, TC_B64_URL);
  json_t *s = t ? json_string(t) : NULL;
  free(t);
  return s;
}

/* 1. Nonce: self-validating, checked before any expensive work. raw gets its bytes when
 * the request carries one. */
static int check_nonce(struct svc_attestation *a, const struct svc_attest_in *in,
                       uint8_t raw[TC_NONCE_RAW_LEN]) {
  tc_service *svc = a->svc;
  tc_error err;
  if (in->nonce != NULL) {
    tc_status st =
        tc_nonce_check(svc->nonce_key, svc->nonce_key_len, in->nonce, a->now, raw, NULL, &err);
    if (st == TC_OK)
      return 1;
    if (st == TC_ERR_PARSE)
      return svc_attestation_refuse(a, 400, err.reason, svc_error_body(err.reason, err.detail));
    return svc_attestation_refuse_rule(a, err.reason, NULL, err.detail, "nonce", NULL);
  }
  if (svc->opts.test_no_nonce || !tc_policy_require_nonce(a->policy->policy))
    return 1;
  return svc_attestation_refuse(
      a, 400, "nonce_missing",
      svc_error_body("nonce_missing", "the policy requires a nonce from POST /v1/challenge bound "
                                      "in the evidence's REPORT_DATA"));
}

/* 3. Binding: REPORT_DATA = H(nonce || runtime_data) (see tc_binding_compute). */
static int check_binding(struct svc_attestation *a, const struct svc_attest_in *in,
                         const uint8_t nonce_raw[TC_NONCE_RAW_LEN]) {
  int have_nonce = in->nonce != NULL;
  if (!have_nonce && !in->has_runtime_data)
    return 1;
  uint8_t rd[64];
  if (!svc_attestation_report_data(a, rd))
    return 0;
  tc_error err;
  if (tc_binding_check(a->tee, rd, have_nonce ? nonce_raw : NULL, have_nonce ? TC_NONCE_RAW_LEN : 0,
                       in->runtime_data.data, in->has_runtime_data ? in->runtime_data.len : 0,
                       &err) != TC_OK)
    return svc_attestation_refuse_binding(a, &err);
  return 1;
}

/* Compat route: the client's expected measurement. */
static int check_measurement(struct svc_attestation *a, const char *expected) {
  if (expected == NULL)
    return 1;
  const char *m = claim_text(a->result, measurement_claim(a->tee));
  if (m != NULL && strcasecmp(m, expected) == 0)
    return 1;
  count_verification(a, "measurement_mismatch");
  char d[400];
  snprintf(d, sizeof d,
           "the measurement in the evidence (%s) differs from the request's: expected %.200s, "
           "evidence has %s",
           measurement_claim(a->tee), expected, m ? m : "none");
  return svc_attestation_refuse_rule(a, "measurement_mismatch", NULL, d, "measurement", NULL);
}

/* 5. Token, and the 200 answer {"token"}. */
static int issue_answer(struct svc_attestation *a, const struct svc_attest_in *in) {
  json_t *rdc = in->has_runtime_data ? runtime_data_claim(&in->runtime_data) : NULL;
  char *token = NULL;
  int ok = svc_attestation_issue(a, in->nonce, rdc, &token);
  json_decref(rdc);
  if (ok) {
    json_decref(a->body);
    a->body = json_pack("{s:s}", "token", token);
    a->status = 200;
    a->outcome = tc_ear_status_name(a->ear_status);
    if (a->body == NULL)
      ok = svc_attestation_refuse(a, 500, "internal_error", NULL);
  }
  free(token);
  return ok;
}

unsigned svc_attest(tc_service *svc, const struct svc_attest_in *in, json_t **body) {
  struct svc_attestation a;
  uint8_t nonce_raw[TC_NONCE_RAW_LEN];
  svc_attestation_begin(&a, svc, in->tee);
  (void)(check_nonce(&a, in, nonce_raw) &&
         svc_attestation_verify(&a, in->evidence.data, in->evidence.len, in->certs, in->n_certs) &&
         check_binding(&a, in, nonce_raw) && check_measurement(&a, in->expect_measurement) &&
         svc_attestation_appraise(&a) && issue_answer(&a, in));
  svc_attestation_audit(&a, in->route, in->remote, &in->evidence);
  svc_attestation_end(&a);
  *body = a.body;
  return a.status;
}
