/* SPDX-License-Identifier: Apache-2.0 */
/* The attest pipeline: nonce check -> tc_verify_evidence (the one verification path)
 * -> binding of nonce and runtime data in REPORT_DATA -> appraisal policy -> EAR token.
 * No token is ever issued for a contraindicated or invalid result. Every decision is
 * written as one audit record (never secrets or whole evidence: its SHA-256 only). */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "service/state.h"
#include "teectl/collateral.h"
#include "teectl/rfc3339.h"

static double mono_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A string claim of the verification result (claims.<name>), or NULL. */
static const char *claim_text(const json_t *result, const char *name) {
  const json_t *claims = json_object_get(result, "claims");
  const json_t *v = json_object_get(claims, name);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

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
  char *t = svc_b64url_encode(rd->data, rd->len);
  json_t *s = t ? json_string(t) : NULL;
  free(t);
  return s;
}

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

/* A 403 answer: {"error": code, "detail", "reason" (if any), "failed_rules": [{"rule",
 * "status": "contraindicated", "detail"}]}. Every 403 names the rule that failed, the same
 * way for every TEE. */
static json_t *refusal(const char *code, const char *reason, const char *detail, const char *rule,
                       const char *rule_detail) {
  json_t *body = svc_error_body(code, detail);
  json_t *fr = json_pack("[{s:s, s:s, s:s}]", "rule", rule, "status",
                         tc_ear_status_name(TC_EAR_CONTRAINDICATED), "detail",
                         rule_detail ? rule_detail : (detail ? detail : ""));
  if (body == NULL || fr == NULL || json_object_set_new(body, "failed_rules", fr) != 0 ||
      (reason != NULL && json_object_set_new(body, "reason", json_string(reason)) != 0)) {
    json_decref(body);
    return NULL;
  }
  return body;
}

unsigned svc_attest(tc_service *svc, const struct svc_attest_in *in, json_t **body) {
  tc_error err;
  tc_error_clear(&err);
  unsigned status = 500;
  json_t *result = NULL, *appraisal = NULL;
  char *token = NULL;
  const char *outcome = "internal_error";
  char jti[32] = "";
  const char *tee_name = tc_tee_name(in->tee);
  int64_t now = (int64_t)time(NULL);
  int64_t at = svc->opts.has_at ? svc->opts.at : now;
  tc_collateral col = svc->collateral; /* shallow copy: the provider adds to it */
  char collateral_note[600] = "";
  *body = NULL;

  /* Evidence digest for the audit record. */
  uint8_t digest[32];
  char digest_hex[65] = "";
  unsigned int dlen = 0;
  if (EVP_Digest(in->evidence.data, in->evidence.len, digest, &dlen, EVP_sha256(), NULL) == 1)
    tc_hex_encode(digest, 32, digest_hex);

  svc_policy_maybe_reload(svc);
  struct svc_policy_ref *pref = svc_policy_acquire(svc);
  const tc_policy *policy = pref->policy;
  char policy_id[160];
  snprintf(policy_id, sizeof policy_id, "%s", tc_policy_id(policy));
  int require_nonce = !svc->opts.test_no_nonce && tc_policy_require_nonce(policy);

  /* 1. Nonce: self-validating, checked before any expensive work. */
  uint8_t nonce_raw[TC_NONCE_RAW_LEN];
  int have_nonce = in->nonce != NULL;
  if (have_nonce) {
    tc_status st =
        tc_nonce_check(svc->nonce_key, svc->nonce_key_len, in->nonce, now, nonce_raw, NULL, &err);
    if (st != TC_OK) {
      status = st == TC_ERR_PARSE ? 400 : 403;
      outcome = err.reason;
      *body = status == 403 ? refusal(err.reason, NULL, err.detail, "nonce", NULL)
                            : svc_error_body(err.reason, err.detail);
      goto done;
    }
  } else if (require_nonce) {
    status = 400;
    outcome = "nonce_missing";
    *body = svc_error_body("nonce_missing",
                           "the policy requires a nonce from POST /v1/challenge bound in the "
                           "evidence's REPORT_DATA");
    goto done;
  }

  /* 2. Verification, with the service's collateral plus the request's certificates, and
   * what the provider (cache, AMD KDS, Intel PCS) adds for this evidence. */
  col.extra_certs = in->n_certs ? (tc_buf *)in->certs : NULL;
  col.n_extra_certs = in->n_certs;
  if (svc->opts.provider != NULL) {
    json_t *report = NULL;
    tc_error ferr;
    if (tc_provider_fill(svc->opts.provider, in->tee, in->evidence.data, in->evidence.len,
                         TC_SNP_PRODUCT_UNKNOWN, now, &col, &report, &ferr) != TC_OK)
      snprintf(collateral_note, sizeof collateral_note, "%s: %s", ferr.reason, ferr.detail);
    size_t i;
    json_t *item;
    json_array_foreach(report, i, item) {
      const char *origin = json_string_value(json_object_get(item, "origin"));
      svc_metrics_collateral(svc->metrics, origin != NULL && (strcmp(origin, "directory") == 0 ||
                                                              strcmp(origin, "cache") == 0));
    }
    json_decref(report);
  } else
    svc_metrics_collateral(svc->metrics, svc->have_collateral_dir);
  double t0 = mono_seconds(); /* the latency histogram: verification and appraisal only */
  tc_status vst =
      tc_verify_evidence(in->tee, in->evidence.data, in->evidence.len, &col, at, &result, &err);
  if (vst != TC_OK && vst != TC_ERR_VERIFY && vst != TC_ERR_PARSE) {
    status = 500;
    outcome = "internal_error";
    *body = svc_error_body("internal_error", err.detail);
    svc_metrics_verification(svc->metrics, tee_name, "error", mono_seconds() - t0);
    goto done;
  }
  if (vst != TC_OK) {
    /* Invalid evidence (any TEE, whether or not the verifier got as far as a result):
     * the failed rule is "verification", with the verifier's reason and detail. */
    svc_metrics_verification(svc->metrics, tee_name, "invalid", mono_seconds() - t0);
    status = 403;
    outcome = "evidence_invalid";
    char rd[sizeof err.reason + sizeof err.detail + 2];
    snprintf(rd, sizeof rd, "%s: %s", err.reason, err.detail);
    *body = refusal("evidence_invalid", err.reason, err.detail, "verification", rd);
    goto done;
  }

  /* 3. Binding: REPORT_DATA = H(nonce || runtime_data) (see tc_binding_compute). */
  if (have_nonce || in->has_runtime_data) {
    const char *rd_hex = claim_text(result, "report_data");
    uint8_t rd[64];
    size_t rd_len = 0;
    if (rd_hex == NULL || tc_hex_decode(rd_hex, rd, sizeof rd, &rd_len, NULL) != TC_OK ||
        rd_len != 64) {
      status = 500;
      outcome = "internal_error";
      *body = svc_error_body("internal_error",
                             "the verification result has no 64-byte report_data claim");
      svc_metrics_verification(svc->metrics, tee_name, "error", mono_seconds() - t0);
      goto done;
    }
    if (tc_binding_check(in->tee, rd, have_nonce ? nonce_raw : NULL,
                         have_nonce ? TC_NONCE_RAW_LEN : 0, in->runtime_data.data,
                         in->has_runtime_data ? in->runtime_data.len : 0, &err) != TC_OK) {
      status = 403;
      outcome = err.reason;
      *body = refusal(err.reason, NULL, err.detail, "binding", NULL);
      svc_metrics_verification(svc->metrics, tee_name, "binding_mismatch", mono_seconds() - t0);
      goto done;
    }
  }

  /* Compat route: the client's expected measurement. */
  if (in->expect_measurement != NULL) {
    const char *m = claim_text(result, measurement_claim(in->tee));
    if (m == NULL || strcasecmp(m, in->expect_measurement) != 0) {
      status = 403;
      outcome = "measurement_mismatch";
      char d[400];
      snprintf(d, sizeof d,
               "the measurement in the evidence (%s) differs from the request's: expected %.200s, "
               "evidence has %s",
               measurement_claim(in->tee), in->expect_measurement, m ? m : "none");
      *body = refusal("measurement_mismatch", NULL, d, "measurement", NULL);
      svc_metrics_verification(svc->metrics, tee_name, "measurement_mismatch", mono_seconds() - t0);
      goto done;
    }
  }

  /* 4. Appraisal. */
  if (tc_appraise(policy, result, &appraisal, &err) != TC_OK) {
    status = 500;
    outcome = "internal_error";
    *body = svc_error_body("internal_error", err.detail);
    svc_metrics_verification(svc->metrics, tee_name, "error", mono_seconds() - t0);
    goto done;
  }
  tc_ear_status es = tc_appraisal_status(appraisal);
  svc_metrics_verification(svc->metrics, tee_name, tc_ear_status_name(es), mono_seconds() - t0);
  if (es != TC_EAR_AFFIRMING && es != TC_EAR_WARNING) {
    status = 403;
    outcome = "contraindicated";
    *body = json_pack("{s:s, s:s, s:O*}", "error", "contraindicated", "detail",
                      "the appraisal policy contraindicates this evidence", "failed_rules",
                      json_object_get(appraisal, "failed_rules"));
    goto done;
  }

  /* 5. Token. */
  uint8_t rnd[16];
  char *j = RAND_bytes(rnd, sizeof rnd) == 1 ? svc_b64url_encode(rnd, sizeof rnd) : NULL;
  if (j == NULL) {
    status = 500;
    outcome = "internal_error";
    *body = svc_error_body("internal_error", "random jti");
    goto done;
  }
  snprintf(jti, sizeof jti, "%s", j);
  free(j);
  tc_ear_params params = {
      .issuer = svc->opts.issuer,
      .nonce = have_nonce ? in->nonce : NULL,
      .iat = now,
      .ttl = svc->opts.token_ttl,
      .jti = jti,
  };
  json_t *rdc = in->has_runtime_data ? runtime_data_claim(&in->runtime_data) : NULL;
  tc_status ist = tc_ear_issue(svc->keys, &params, tee_name, appraisal, rdc, &token, &err);
  json_decref(rdc);
  if (ist != TC_OK) {
    status = 500;
    outcome = "internal_error";
    *body = svc_error_body("internal_error", err.detail);
    goto done;
  }
  status = 200;
  outcome = tc_ear_status_name(es);
  *body = json_pack("{s:s}", "token", token);

done:
  svc_policy_release(pref);
  if (*body == NULL) {
    status = 500;
    *body = svc_error_body("internal_error", "out of memory");
  }
  json_t *audit = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s}", "event", "attest", "route",
                            in->route ? in->route : "", "remote", in->remote ? in->remote : "",
                            "tee", tee_name, "http_status", (int)status, "result", outcome,
                            "evidence_sha256", digest_hex, "policy_id", policy_id);
  if (audit != NULL) {
    const json_t *failed = json_object_get(*body, "failed_rules");
    if (failed != NULL)
      json_object_set_new(audit, "failed_rules", rule_names(failed));
    const json_t *reason = json_object_get(*body, "reason");
    if (reason != NULL)
      json_object_set(audit, "reason", (json_t *)reason);
    if (jti[0] != '\0' && status == 200)
      json_object_set_new(audit, "jti", json_string(jti));
    if (collateral_note[0] != '\0')
      json_object_set_new(audit, "collateral_error", json_string(collateral_note));
    svc_audit(audit);
    json_decref(audit);
  }
  tc_collateral_free_added(&col, &svc->collateral);
  free(token);
  json_decref(result);
  json_decref(appraisal);
  return status;
}
