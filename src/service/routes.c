/* SPDX-License-Identifier: Apache-2.0 */
/* The service's routes: the table (one row per route) and the handlers of the /v1 API,
 * the JWKS, health, readiness, metrics and the seed client's compat routes. API and
 * codes: docs/service.md. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service/attest.h"
#include "service/http.h"
#include "service/request.h"
#include "teectl/collateral.h"
#include "teectl/crypto.h"
#include "teectl/dcap.h"
#include "teectl/rfc3339.h"
#include "teectl/snp.h"

static enum MHD_Result do_challenge(tc_service *svc, struct svc_request *r) {
  uint8_t rnd[TC_NONCE_RANDOM_LEN];
  char nonce[TC_NONCE_TEXT_LEN + 1];
  tc_error err;
  int64_t exp = (int64_t)time(NULL) + svc->opts.nonce_ttl;
  if (tc_random_bytes(rnd, sizeof rnd, NULL) != TC_OK ||
      tc_nonce_make(svc->nonce_key, svc->nonce_key_len, rnd, exp, nonce, &err) != TC_OK)
    return svc_reply_error(svc, r, 500, "internal_error", "could not make a nonce");
  char ts[21];
  return svc_reply_json(
      svc, r, 200,
      json_pack("{s:s, s:s}", "nonce", nonce, "expires_at", tc_rfc3339_format(exp, ts)));
}

/* Parse the body (compat: the seed's shape) and run the attest pipeline. */
static unsigned attest_request(tc_service *svc, struct svc_request *r, int compat, json_t **body) {
  json_t *root = NULL;
  unsigned status = 500;
  struct svc_attest_in in = {0};
  *body = NULL;
  if (svc_request_parse(r->body ? r->body : "", r->len, compat, &root, &in, &status, body)) {
    in.remote = r->remote;
    in.route = r->route->path;
    status = svc_attest(svc, &in, body);
  }
  svc_attest_in_free(&in);
  json_decref(root);
  return status;
}

static enum MHD_Result do_attest(tc_service *svc, struct svc_request *r) {
  json_t *body;
  unsigned status = attest_request(svc, r, 0, &body);
  return svc_reply_json(svc, r, status, body);
}

/* POST /attest, the seed client's API: {"nonce","quote","measurement","tee_type"} ->
 * {"verified","timestamp","token","error"}; same pipeline, measurement compared. */
static enum MHD_Result do_compat_attest(tc_service *svc, struct svc_request *r) {
  json_t *body;
  unsigned status = attest_request(svc, r, 1, &body);
  /* Translate to the seed's shape. Decisions (200/403) answer 200 with verified. */
  char ts[21];
  json_t *tok = json_object_get(body, "token");
  json_t *errc = json_object_get(body, "error");
  json_t *out = json_pack("{s:b, s:s, s:O?, s:O?}", "verified", tok != NULL, "timestamp",
                          tc_rfc3339_format((int64_t)time(NULL), ts), "token", tok, "error", errc);
  if (out != NULL && errc != NULL) {
    json_t *detail = json_object_get(body, "detail");
    if (detail)
      json_object_set(out, "detail", detail);
  }
  json_decref(body);
  if (status == 403)
    status = 200;
  return svc_reply_json(svc, r, status, out);
}

static enum MHD_Result do_jwks(tc_service *svc, struct svc_request *r) {
  char *copy = strdup(svc->jwks_text);
  if (copy == NULL)
    return svc_reply_error(svc, r, 500, "internal_error", "out of memory");
  return svc_reply(svc, r, 200, "application/jwk-set+json", copy, strlen(copy), NULL);
}

static enum MHD_Result do_healthz(tc_service *svc, struct svc_request *r) {
  return svc_reply_json(svc, r, 200, json_pack("{s:s}", "status", "ok"));
}

static enum MHD_Result do_compat_health(tc_service *svc, struct svc_request *r) {
  char *ok = strdup("OK");
  return svc_reply(svc, r, 200, "text/plain; charset=utf-8", ok, ok ? 2 : 0, NULL);
}

static enum MHD_Result do_readyz(tc_service *svc, struct svc_request *r) {
  if (atomic_load(&svc->draining))
    return svc_reply_error(svc, r, 503, "draining", "the service is shutting down");
  svc_policy_maybe_reload(svc);
  int ready = 0;
  json_t *v = svc_ready_report(svc, (int64_t)time(NULL), &ready);
  struct svc_policy_ref *pref = svc_policy_acquire(svc);
  if (v != NULL)
    json_object_update_missing_new(
        v, json_pack("{s:s, s:s, s:b}", "policy_id", tc_policy_id(pref->policy), "signing_kid",
                     tc_keyset_signing_kid(svc->keys), "collateral_dir", svc->have_collateral_dir));
  svc_policy_release(pref);
  return svc_reply_json(svc, r, ready ? 200 : 503, v);
}

static enum MHD_Result do_metrics(tc_service *svc, struct svc_request *r) {
  size_t len = 0;
  svc_metrics_inflight(svc->metrics, atomic_load(&svc->inflight)); /* this one included */
  if (svc->opts.provider != NULL) {
    tc_provider_counters n;
    tc_provider_stats(svc->opts.provider, &n);
    svc_metrics_collateral_429(svc->metrics, n.kds_429, n.pcs_429);
  }
  uint64_t hits, misses;
  size_t entries;
  tc_snp_chain_cache_counts(tc_verifier_snp_cache(svc->verifier), &hits, &misses, &entries);
  svc_metrics_verified_cache(svc->metrics, SVC_CACHE_SNP_CHAIN, hits, misses, entries);
  tc_dcap_cache_counts(tc_verifier_dcap_cache(svc->verifier), &hits, &misses, &entries);
  svc_metrics_verified_cache(svc->metrics, SVC_CACHE_DCAP, hits, misses, entries);
  char *text = svc_metrics_render(svc->metrics, &len);
  if (text == NULL)
    return svc_reply_error(svc, r, 500, "internal_error", "out of memory");
  return svc_reply(svc, r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len, NULL);
}

const struct svc_route svc_routes[] = {
    {"/v1/challenge", "POST", 0, do_challenge},
    {"/v1/attest", "POST", SVC_ROUTE_JSON_BODY, do_attest},
    {"/.well-known/jwks.json", "GET", 0, do_jwks},
    {"/healthz", "GET", 0, do_healthz},
    {"/readyz", "GET", 0, do_readyz},
    {"/metrics", "GET", SVC_ROUTE_METRICS, do_metrics},
    {"/attest", "POST", SVC_ROUTE_JSON_BODY, do_compat_attest},
    {"/health", "GET", 0, do_compat_health},
    {"/kbs/v0/auth", "POST", SVC_ROUTE_JSON_BODY, svc_kbs_auth},
    {"/kbs/v0/attest", "POST", SVC_ROUTE_JSON_BODY, svc_kbs_attest},
    /* HEAD would run the release (JWE, audit "released") and drop the body: 405 instead, as
     * Trustee's actix route (GET, POST, PUT, DELETE) answers it */
    {"/kbs/v0/resource/", "GET", SVC_ROUTE_PREFIX | SVC_ROUTE_NO_HEAD, svc_kbs_resource},
};
const size_t svc_n_routes = sizeof svc_routes / sizeof svc_routes[0];

const struct svc_route *svc_route_find(const char *path) {
  const struct svc_route *best = NULL;
  size_t best_len = 0;
  for (size_t i = 0; i < svc_n_routes; i++) {
    const struct svc_route *rt = &svc_routes[i];
    if (!(rt->flags & SVC_ROUTE_PREFIX)) {
      if (strcmp(path, rt->path) == 0)
        return rt;
      continue;
    }
    size_t n = strlen(rt->path);
    if (n > best_len && strncmp(path, rt->path, n) == 0) {
      best = rt;
      best_len = n;
    }
  }
  return best;
}
