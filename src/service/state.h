/* SPDX-License-Identifier: Apache-2.0 */
/* State of a running attestation service and its policy references (src/service, not a
 * public API). Headers here are named after their concept: attest.h (the pipeline),
 * request.h (request bodies), http.h (routes, replies), b64.h, metrics.h, audit.h. */
#ifndef TEECTL_SERVICE_STATE_H
#define TEECTL_SERVICE_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "service/audit.h"
#include "service/metrics.h"
#include "teectl/appraisal.h"
#include "teectl/ear.h"
#include "teectl/kbs.h"
#include "teectl/service.h"

struct MHD_Daemon;

struct tc_service {
  tc_service_options opts;
  struct MHD_Daemon *daemon;
  unsigned port;
  /* --metrics-listen: a second, plain-HTTP daemon answering only the SVC_ROUTE_METRICS
   * routes (which the main daemon then answers 404); NULL when not asked for */
  struct MHD_Daemon *metrics_daemon;
  unsigned metrics_port;
  svc_metrics *metrics;
  /* token keys and their JWKS text (immutable after start) */
  tc_keyset *keys;
  char *jwks_text;
  /* nonce MAC key */
  uint8_t nonce_key[64];
  size_t nonce_key_len;
  /* collateral from --collateral DIR and roots from --trust-root (immutable) */
  tc_collateral collateral;
  tc_trust_store *trust_store; /* the --trust-root certificates parsed once (collateral.trust) */
  tc_verifier *verifier;       /* verifies every request; its caches (--cache-entries) are shared */
  int have_collateral_dir;
  /* appraisal policy, swapped on reload; requests hold a reference while they use it, so a
   * reload never waits for (or starves behind) in-flight requests */
  pthread_mutex_t policy_mu;
  struct svc_policy_ref *policy;
  pthread_mutex_t reload_lock;
  struct stat policy_stat; /* of the file last loaded or last tried */
  /* key broker (service/kbs.c): the session-cookie key and the /auth rate limiter */
  tc_kbs_session_key kbs_key;
  struct svc_rate_limiter *kbs_limiter;
  atomic_long inflight;
  atomic_long busy;     /* requests inside a handler now (may block: fetching collateral) */
  atomic_uint fetching; /* requests fetching collateral now (opts.max_fetches) */
  atomic_int draining;
  char *tls_cert_pem, *tls_key_pem;
};

/** Start / free the key broker's state (session key from --session-key or the nonce key,
 *  the resource folder checked, the rate limiter). Errors: those of tc_file_read and
 *  tc_kbs_session_key_derive, TC_ERR_IO "resources_unreadable". */
tc_status svc_kbs_start(tc_service *svc, tc_error *err);
void svc_kbs_free(tc_service *svc);

/** The /readyz answer (service/ready.c, docs/service.md "GET /readyz"): {"status":
 *  "ready"|"not_ready", "tees": {"snp"|"tdx"|"sgx": {"ready": bool, "via": [ways],
 *  "reason", "detail" (the first way that failed, or why there is none)}}, and when not
 *  ready "error" ("no_tee_verifiable", "required_tee_not_verifiable"), "detail",
 *  "required_not_ready"}. now: seconds since the epoch (freshness of fetched objects);
 *  expiry is judged at --at when set, else now. May fetch through the provider (bounded by
 *  one attempt, no back-off). *ready: 1 for HTTP 200. Never NULL unless out of memory. */
json_t *svc_ready_report(tc_service *svc, int64_t now, int *ready);

/** A loaded policy and the number of holders (the service itself holds one). */
struct svc_policy_ref {
  tc_policy *policy;
  atomic_int refs;
};

/** Read and parse the policy file at path; *st gets its stat (what a reload compares).
 *  Errors: TC_ERR_IO "file_unreadable", those of tc_file_read and tc_policy_parse. */
tc_status svc_policy_load_file(const char *path, tc_policy **out, struct stat *st, tc_error *err);

/** A reference holding p (one holder: the service), or NULL on allocation failure. */
struct svc_policy_ref *svc_policy_ref_new(tc_policy *p);

/** Reload the policy file if it changed (stat: inode, size, mtime). Thread-safe. */
void svc_policy_maybe_reload(tc_service *svc);

/** Take a reference to the current policy / give it back (frees a replaced policy when
 *  its last holder is done). */
struct svc_policy_ref *svc_policy_acquire(tc_service *svc);
void svc_policy_release(struct svc_policy_ref *ref);

#endif
