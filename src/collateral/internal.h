/* SPDX-License-Identifier: Apache-2.0 */
/* Internal interfaces of the collateral area (not installed). */
#ifndef TEECTL_COLLATERAL_INTERNAL_H
#define TEECTL_COLLATERAL_INTERNAL_H

#include <stdint.h>

#include "teectl/collateral.h"

/* ---- HTTP (http.c) ---- */

/* Spacing of requests per host (a token bucket per "host[:port]"): up to `burst` requests at
 * once, then one per `interval_s` seconds (AMD KDS allows about one request per 10 s per
 * client). Thread-safe; shared by every fetch of a provider. */
typedef struct col_http_pacer col_http_pacer;

/* "host[:port]" of an http(s) URL (userinfo dropped), lower-cased, into out. */
void col_http_url_host(const char *url, char out[256]);

/* NULL on allocation failure, or when interval_s <= 0 (no pacing: a NULL pacer paces
 * nothing). */
col_http_pacer *col_http_pacer_new(double interval_s, unsigned burst);
void col_http_pacer_free(col_http_pacer *p);

/* Seconds to wait before a request to url's host may be sent (0: at once). reserve = 1
 * takes the request's token (the caller then waits that long and sends); reserve = 0 only
 * looks. A NULL pacer answers 0. */
double col_http_pacer_take(col_http_pacer *p, const char *url, int reserve);

typedef struct col_http_retry {
  unsigned max_attempts; /* >= 1 */
  double max_wait_s;     /* total sleep budget (back-off and pacing) for this call */
  double base_delay_s;   /* first back-off delay; doubles each attempt, full jitter */
  long timeout_s;        /* per attempt */
  const char *api_key;   /* sent as Ocp-Apim-Subscription-Key, or NULL */
  const char *ca_file;   /* PEM CA bundle for the server certificate (CURLOPT_CAINFO), or
                            NULL for libcurl's default store */
  col_http_pacer *pacer; /* per-host spacing before every attempt, or NULL */
  double deadline;       /* CLOCK_MONOTONIC seconds (col_http_mono): no attempt, wait or
                            transfer goes past it; 0: none */
} col_http_retry;

/* CLOCK_MONOTONIC in seconds: the clock of col_http_retry.deadline. */
double col_http_mono(void);

typedef struct col_http_response {
  long status;          /* last HTTP status (0 if no response) */
  tc_buf body;          /* body of a 200 response */
  tc_buf issuer_chain;  /* URL-decoded issuer-chain header (PCS), empty if absent */
  unsigned attempts;    /* requests made */
  unsigned n_429;       /* answers with HTTP 429 (Too Many Requests) */
  double retry_after_s; /* last Retry-After given by the server (seconds), -1 if none */
  double waited_s;      /* total sleep: back-off, Retry-After and pacing */
  int host_failed;      /* the last attempt found the host failing: a transport error
                           (timeout, connection refused or reset) or an HTTP 5xx other than
                           501; 0 after any other answer, or when no attempt was made */
} col_http_response;

/* Process-wide libcurl initialisation (pthread_once). 0 on success. */
int col_http_global_init(void);

/*
 * GET url with retries: 429 and 503 wait Retry-After (delta-seconds or HTTP-date) when
 * given, else back off; 5xx (except 501) and transport errors back off; other statuses
 * fail at once. Errors: TC_ERR_IO "collateral_not_found" (404), "collateral_rate_limited",
 * "collateral_unavailable"; TC_ERR_PARSE "bad_percent_encoding" (issuer-chain header).
 */
tc_status col_http_get(const char *url, const col_http_retry *retry, col_http_response *resp,
                       tc_error *err);
void col_http_response_free(col_http_response *resp);

/* Parse a Retry-After value (RFC 9110 10.2.3): delta-seconds or an HTTP-date relative to
 * now (seconds since the epoch). Returns the delay in seconds (>= 0), or -1 if invalid. */
double col_http_retry_after(const char *value, int64_t now);

/* ---- provider (provider.c) ---- */

/* tc_provider_get_within with a deadline (col_http_mono seconds; 0: none) for the network
 * and for waiting on another thread's fetch of the same key. Errors also TC_ERR_IO
 * "collateral_unavailable" (the deadline passed while waiting). */
tc_status col_provider_get_until(tc_provider *p, const tc_object_request *req, int64_t now,
                                 double *wait_budget_s, double deadline, tc_collateral_answer *ans,
                                 tc_error *err);

/* The options the provider was made with (strings owned by the provider). */
const tc_provider_options *col_provider_options_of(const tc_provider *p);

/* A CRL body served as hex text of DER (older PCCS) is replaced by the DER bytes; other
 * bodies are left alone. Errors: TC_ERR_NOMEM. */
tc_status col_crl_normalize(tc_buf *body, tc_error *err);

/* ---- cache (cache.c) ---- */

typedef struct col_cache_entry {
  char key[512];
  char url[512];
  tc_object_kind kind;
  int64_t fetched_at, expires_at, refresh_at;
  tc_buf body, issuer_chain;
} col_cache_entry;

/* Create dir (and its parents), dir/objects, dir/index. Errors: TC_ERR_IO "cache_unwritable". */
tc_status col_cache_open(const char *dir, tc_error *err);

/* Look up key. Returns 1 and fills *e (caller frees with col_cache_entry_free) when an
 * intact entry exists; 0 when absent, unreadable or corrupt (hash mismatch, bad index):
 * *why (if non-NULL, cap 256) then says which. */
int col_cache_lookup(const char *dir, const char *key, col_cache_entry *e, char *why);

/* Store an entry: objects first (content-addressed, atomic), then the index entry
 * (atomic). Errors: TC_ERR_IO "cache_unwritable". */
tc_status col_cache_store(const char *dir, const col_cache_entry *e, tc_error *err);

void col_cache_entry_free(col_cache_entry *e);

#endif
