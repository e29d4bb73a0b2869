/* SPDX-License-Identifier: Apache-2.0 */
/* The service's Prometheus metrics (text exposition format 0.0.4) (src/service, not a public API).
 */
#ifndef TEECTL_SERVICE_METRICS_H
#define TEECTL_SERVICE_METRICS_H

typedef struct svc_metrics svc_metrics;

svc_metrics *svc_metrics_new(void);
void svc_metrics_free(svc_metrics *m);
/** teectl_http_requests_total{route,code} += 1 */
void svc_metrics_request(svc_metrics *m, const char *route, unsigned code);
/** teectl_verifications_total{tee,result} += 1 and the latency histogram (seconds) */
void svc_metrics_verification(svc_metrics *m, const char *tee, const char *result, double seconds);
/** The result label of a verification that failed with verifier reason code `reason`:
 *  "collateral_expired" for an expiry of collateral or a certificate at the verification time
 *  (crl_expired, tcb_info_expired, qe_identity_expired, pck_cert_expired,
 *  cert_expired_at_verify_at, and any other reason ending in "_expired"), "collateral_missing" for
 *  collateral_missing / collateral_unavailable, else "invalid" (the evidence is bad). So an
 *  operator sees "our collateral is stale" apart from "the evidence is bad". */
const char *svc_metrics_invalid_result(const char *reason);
/** teectl_policy_reloads_total{result="success"|"failure"} += 1 */
void svc_metrics_policy_reload(svc_metrics *m, int ok);
/** teectl_collateral_cache_requests_total{result="hit"|"miss"} += 1 */
void svc_metrics_collateral(svc_metrics *m, int hit);
/** Set teectl_collateral_rate_limited_total{service="kds"|"pcs"} (HTTP 429 answers the
 *  collateral provider got since start; shown only when the service fetches collateral). */
void svc_metrics_collateral_429(svc_metrics *m, unsigned long kds, unsigned long pcs);
/** The kinds of verified endorsements the verifier keeps (label kind=). */
enum svc_cache_kind { SVC_CACHE_SNP_CHAIN = 0, SVC_CACHE_DCAP, SVC_CACHE_KINDS };
/** Set teectl_verified_cache_lookups_total{kind="snp_chain"|"dcap",result="hit"|"miss"} and
 *  the gauge teectl_verified_cache_entries{kind} (the verifier's caches, --cache-entries;
 *  dcap: PCK chains, collateral sets and their pairs together), read when /metrics is
 *  scraped. */
void svc_metrics_verified_cache(svc_metrics *m, enum svc_cache_kind kind, unsigned long long hits,
                                unsigned long long misses, size_t entries);
/** teectl_kbs_requests_total{step="auth"|"attest"|"resource",result} += 1 (result: a fixed
 *  word chosen by the key broker routes, never request text). */
void svc_metrics_kbs(svc_metrics *m, const char *step, const char *result);
/** Set teectl_inflight_requests. */
void svc_metrics_inflight(svc_metrics *m, long n);
/** Render everything; malloc'd text (caller frees), NULL on allocation failure. */
char *svc_metrics_render(svc_metrics *m, size_t *len);

#endif
