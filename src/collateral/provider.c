/* SPDX-License-Identifier: Apache-2.0 */
/* Collateral provider: cache, network with single flight, answers with origin and expiry. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collateral/internal.h"
#include "teectl/file.h"
#include "teectl/rfc3339.h"

/* One in-flight network fetch; concurrent callers for the same key wait for it. */
struct flight {
  char key[512];
  int done;
  int refs;
  tc_status st;
  tc_error err;
  tc_collateral_answer ans;
  struct flight *next;
};

/* A key whose last fetch failed: no new attempt before `until` (seconds, `now` scale). */
struct holdoff {
  char key[512];
  int64_t until;
  tc_status st;
  tc_error err;
  struct holdoff *next;
};

#define MAX_HOLDOFFS 1024

/* A host whose last fetch found it failing (col_http_response.host_failed): no request to it,
 * for any key, before `until` (seconds, `now` scale). A failure is never an answer: only
 * the failure is remembered, and any answer from the host forgets it. */
struct host_backoff {
  char host[256];
  unsigned failures; /* in a row */
  int64_t until;
  tc_error err; /* the last failure */
  struct host_backoff *next;
};

#define MAX_HOST_BACKOFFS 64

/* In-memory copies of fresh answers (first cache layer: no disk read, no hashing). */
struct mem_entry {
  char key[512];
  tc_collateral_answer ans;
  struct mem_entry *next;
};

struct tc_provider {
  tc_provider_options opt; /* strings below are owned copies */
  char *dir, *cache_dir, *kds_url, *pcs_url, *api_key, *pcs_ca_file;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct flight *flights;
  struct holdoff *holdoffs;
  size_t n_holdoffs;
  struct host_backoff *hosts; /* at most MAX_HOST_BACKOFFS, newest first */
  size_t n_hosts;
  struct mem_entry *mem;
  size_t n_mem;
  col_http_pacer *kds_pacer;      /* spacing of requests per KDS host, or NULL */
  unsigned long kds_429, pcs_429; /* HTTP 429 answers seen (under mu) */
};

void tc_provider_options_default(tc_provider_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->pcs_flavour = TC_PCS_AUTO;
  opt->max_attempts = 4;
  opt->max_wait_s = 20;
  opt->base_delay_s = 0.5;
  opt->timeout_s = 30;
  opt->refresh_margin_s = 86400;
  opt->max_age_s = 86400;
  opt->failure_holdoff_s = 60;
  opt->host_backoff_s = 2;
  opt->host_backoff_max_s = 30;
  opt->memory_entries = 256;
  opt->kds_interval_s = 10;
  opt->kds_burst = 3;
}

void tc_collateral_answer_free(tc_collateral_answer *ans) {
  if (ans == NULL)
    return;
  tc_buf_free(&ans->body);
  tc_buf_free(&ans->issuer_chain);
  memset(ans, 0, sizeof *ans);
}

static char *dup_or_null(const char *s, int *fail) {
  if (s == NULL)
    return NULL;
  char *d = strdup(s);
  if (d == NULL)
    *fail = 1;
  return d;
}

static int url_ok(const char *u) {
  return u == NULL || strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0;
}

void tc_provider_free(tc_provider *p) {
  if (p == NULL)
    return;
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  col_http_pacer_free(p->kds_pacer);
  while (p->hosts != NULL) {
    struct host_backoff *h = p->hosts;
    p->hosts = h->next;
    free(h);
  }
  while (p->holdoffs != NULL) {
    struct holdoff *h = p->holdoffs;
    p->holdoffs = h->next;
    free(h);
  }
  while (p->mem != NULL) {
    struct mem_entry *m = p->mem;
    p->mem = m->next;
    tc_collateral_answer_free(&m->ans);
    free(m);
  }
  free(p->dir);
  free(p->cache_dir);
  free(p->kds_url);
  free(p->pcs_url);
  free(p->api_key);
  free(p->pcs_ca_file);
  free(p);
}

/* A CA bundle must be a readable file holding a PEM certificate (fail at start, not at
 * the first PCCS request). */
static tc_status check_ca_file(const char *path, tc_error *err) {
  tc_buf b;
  if (tc_file_read(path, 4 << 20, &b, err) != TC_OK)
    return tc_fail(err, TC_ERR_IO, "ca_file_unreadable", "PCS CA bundle: %s", err->detail);
  static const char marker[] = "-----BEGIN CERTIFICATE-----";
  int pem = 0;
  for (size_t i = 0; !pem && i + sizeof marker - 1 <= b.len; i++)
    pem = memcmp(b.data + i, marker, sizeof marker - 1) == 0;
  tc_buf_free(&b);
  if (!pem)
    return tc_fail(err, TC_ERR_PARSE, "ca_file_invalid",
                   "PCS CA bundle %s holds no PEM certificate", path);
  return TC_OK;
}

tc_status tc_provider_new(const tc_provider_options *opt, tc_provider **out, tc_error *err) {
  *out = NULL;
  if (!url_ok(opt->kds_url) || !url_ok(opt->pcs_url))
    return tc_fail(err, TC_ERR_USAGE, "bad_option",
                   "service URLs must start with http:// "
                   "or https://");
  if (opt->max_attempts == 0)
    return tc_fail(err, TC_ERR_USAGE, "bad_option", "max_attempts must be at least 1");
  if (opt->max_wait_s < 0 || opt->refresh_margin_s < 0 || opt->max_age_s < 0 ||
      opt->failure_holdoff_s < 0 || opt->kds_interval_s < 0 || opt->fill_deadline_s < 0 ||
      opt->host_backoff_s < 0 || opt->host_backoff_max_s < 0)
    return tc_fail(err, TC_ERR_USAGE, "bad_option", "negative time option");
  if (opt->pcs_ca_file != NULL) {
    tc_status st = check_ca_file(opt->pcs_ca_file, err);
    if (st != TC_OK)
      return st;
  }
  if (col_http_global_init() != 0)
    return tc_fail(err, TC_ERR_INTERNAL, "curl_init_failed", "curl_global_init failed");
  if (opt->cache_dir != NULL) {
    tc_status st = col_cache_open(opt->cache_dir, err);
    if (st != TC_OK)
      return st;
  }
  tc_provider *p = calloc(1, sizeof *p);
  if (p == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "provider");
  int fail = 0;
  p->opt = *opt;
  p->opt.dir = p->dir = dup_or_null(opt->dir, &fail);
  p->opt.cache_dir = p->cache_dir = dup_or_null(opt->cache_dir, &fail);
  p->opt.kds_url = p->kds_url = dup_or_null(opt->kds_url, &fail);
  p->opt.pcs_url = p->pcs_url = dup_or_null(opt->pcs_url, &fail);
  p->opt.api_key = p->api_key = dup_or_null(opt->api_key, &fail);
  p->opt.pcs_ca_file = p->pcs_ca_file = dup_or_null(opt->pcs_ca_file, &fail);
  if (pthread_mutex_init(&p->mu, NULL) != 0) {
    free(p);
    return tc_fail(err, TC_ERR_INTERNAL, "mutex_init_failed", "pthread_mutex_init");
  }
  if (pthread_cond_init(&p->cv, NULL) != 0) {
    pthread_mutex_destroy(&p->mu);
    free(p);
    return tc_fail(err, TC_ERR_INTERNAL, "mutex_init_failed", "pthread_cond_init");
  }
  if (opt->kds_interval_s > 0 &&
      (p->kds_pacer = col_http_pacer_new(opt->kds_interval_s, opt->kds_burst)) == NULL)
    fail = 1;
  if (fail) {
    tc_provider_free(p);
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "provider options");
  }
  *out = p;
  return TC_OK;
}

const tc_provider_options *col_provider_options_of(const tc_provider *p) {
  return &p->opt;
}

static int is_mutable(tc_object_kind k) {
  return k == TC_OBJ_KDS_VCEK_CRL || k == TC_OBJ_KDS_VLEK_CRL || k == TC_OBJ_PCS_TCB_INFO ||
         k == TC_OBJ_PCS_QE_IDENTITY || k == TC_OBJ_PCS_PCK_CRL || k == TC_OBJ_PCS_ROOT_CA_CRL;
}

/* When to try refreshing an object fetched at `fetched` that expires at `expires`:
 * refresh_margin_s before expiry, but not before half its remaining life; mutable
 * objects (CRLs, TCB Info, QE Identity) also when older than max_age_s. An object that
 * arrived expired is due at once. */
static int64_t refresh_time(const tc_provider *p, tc_object_kind kind, int64_t fetched,
                            int64_t expires) {
  if (expires <= fetched)
    return expires;
  int64_t r = expires - p->opt.refresh_margin_s;
  int64_t half = fetched + (expires - fetched) / 2;
  if (r < half)
    r = half;
  if (is_mutable(kind) && p->opt.max_age_s > 0 && fetched + p->opt.max_age_s < r)
    r = fetched + p->opt.max_age_s;
  return r;
}

static tc_status copy_buf(tc_buf *dst, const tc_buf *src) {
  dst->data = NULL;
  dst->len = 0;
  if (src->data == NULL)
    return TC_OK;
  dst->data = malloc(src->len + 1);
  if (dst->data == NULL)
    return TC_ERR_NOMEM;
  memcpy(dst->data, src->data, src->len);
  dst->data[src->len] = 0;
  dst->len = src->len;
  return TC_OK;
}

static tc_status copy_answer(tc_collateral_answer *dst, const tc_collateral_answer *src,
                             tc_error *err) {
  *dst = *src;
  dst->body.data = dst->issuer_chain.data = NULL;
  if (copy_buf(&dst->body, &src->body) != TC_OK ||
      copy_buf(&dst->issuer_chain, &src->issuer_chain) != TC_OK) {
    tc_collateral_answer_free(dst);
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "copying an answer");
  }
  return TC_OK;
}

/* Under p->mu: a fresh in-memory answer for key, copied into *ans with origin "cache".
 * Returns 1 if served. */
static int mem_get(tc_provider *p, const char *key, int64_t now, tc_collateral_answer *ans) {
  for (struct mem_entry *m = p->mem; m != NULL; m = m->next) {
    if (strcmp(m->key, key) != 0)
      continue;
    if (now >= m->ans.refresh_at || now < m->ans.fetched_at)
      return 0;
    if (copy_answer(ans, &m->ans, NULL) != TC_OK)
      return 0;
    ans->origin = TC_ORIGIN_CACHE;
    ans->stale = 0;
    ans->expired = now >= ans->expires_at;
    ans->note[0] = 0;
    return 1;
  }
  return 0;
}

/* Under p->mu: remember a fresh answer (replacing the key's old one; the oldest entry
 * goes when full). */
static void mem_put(tc_provider *p, const char *key, const tc_collateral_answer *ans) {
  if (p->opt.memory_entries == 0)
    return;
  struct mem_entry **pp = &p->mem;
  while (*pp != NULL) {
    if (strcmp((*pp)->key, key) == 0) {
      struct mem_entry *old = *pp;
      *pp = old->next;
      tc_collateral_answer_free(&old->ans);
      free(old);
      p->n_mem--;
      continue;
    }
    if (p->n_mem >= p->opt.memory_entries && (*pp)->next == NULL) { /* tail: the oldest */
      tc_collateral_answer_free(&(*pp)->ans);
      free(*pp);
      *pp = NULL;
      p->n_mem--;
      break;
    }
    pp = &(*pp)->next;
  }
  struct mem_entry *m = calloc(1, sizeof *m);
  if (m == NULL)
    return;
  if (copy_answer(&m->ans, ans, NULL) != TC_OK) {
    free(m);
    return;
  }
  snprintf(m->key, sizeof m->key, "%s", key);
  m->next = p->mem;
  p->mem = m;
  p->n_mem++;
}

/* Answer from a cache entry (moves its buffers). */
static void answer_from_entry(tc_collateral_answer *ans, col_cache_entry *e, int64_t now) {
  memset(ans, 0, sizeof *ans);
  ans->body = e->body;
  ans->issuer_chain = e->issuer_chain;
  e->body.data = e->issuer_chain.data = NULL;
  e->body.len = e->issuer_chain.len = 0;
  ans->origin = TC_ORIGIN_CACHE;
  ans->fetched_at = e->fetched_at;
  ans->expires_at = e->expires_at;
  ans->refresh_at = e->refresh_at;
  ans->expired = now >= e->expires_at;
  snprintf(ans->url, sizeof ans->url, "%s", e->url);
}

/* Serve a cached copy after a failed refresh: stale, with the reason. */
static tc_status serve_stale(col_cache_entry *e, int64_t now, const tc_error *why,
                             tc_collateral_answer *ans) {
  answer_from_entry(ans, e, now);
  ans->stale = now >= ans->refresh_at;
  if (snprintf(ans->note, sizeof ans->note, "refresh failed (%s: %s); serving the cached copy",
               why->reason, why->detail) < 0)
    ans->note[0] = 0;
  return TC_OK;
}

static int is_kds(tc_object_kind k) {
  return k == TC_OBJ_KDS_VCEK || k == TC_OBJ_KDS_VCEK_CHAIN || k == TC_OBJ_KDS_VLEK_CHAIN ||
         k == TC_OBJ_KDS_VCEK_CRL || k == TC_OBJ_KDS_VLEK_CRL;
}

void tc_provider_stats(tc_provider *p, tc_provider_counters *out) {
  pthread_mutex_lock(&p->mu);
  out->kds_429 = p->kds_429;
  out->pcs_429 = p->pcs_429;
  pthread_mutex_unlock(&p->mu);
}

/* The CA bundle for a request: the pcs_ca_file for PCS objects fetched from pcs_url (not
 * for KDS, nor for Intel's Root CA CRL distribution point), else NULL (system store). */
static const char *pcs_ca_for(const tc_provider *p, const tc_object_request *req, const char *url) {
  const char *base = p->opt.pcs_url ? p->opt.pcs_url : TC_PCS_DEFAULT_URL;
  if (p->opt.pcs_ca_file == NULL || is_kds(req->kind) || strncmp(url, base, strlen(base)) != 0)
    return NULL;
  return p->opt.pcs_ca_file;
}

/* Fetch from the network, validate, cache. Called by the single flight's leader. budget: the
 * wait budget left for the whole fill (reduced by what this fetch waited), or NULL for
 * max_wait_s of this object alone. */
static tc_status fetch_now(tc_provider *p, const tc_object_request *req, const char *key,
                           const char *url, int64_t now, double *budget, double deadline,
                           tc_collateral_answer *ans, double *retry_after, int *host_state,
                           tc_error *err) {
  col_http_retry r = {.max_attempts = p->opt.max_attempts,
                      .max_wait_s = budget ? *budget : p->opt.max_wait_s,
                      .base_delay_s = p->opt.base_delay_s,
                      .timeout_s = p->opt.timeout_s,
                      .api_key = p->opt.api_key,
                      .ca_file = pcs_ca_for(p, req, url),
                      .pacer = is_kds(req->kind) ? p->kds_pacer : NULL,
                      .deadline = deadline};
  col_http_response resp;
  tc_status st = col_http_get(url, &r, &resp, err);
  *retry_after = resp.retry_after_s;
  /* -1: the host was found failing; 1: it answered (any status); 0: no attempt made */
  *host_state = resp.attempts == 0 ? 0 : resp.host_failed ? -1 : 1;
  if (budget)
    *budget = *budget > resp.waited_s ? *budget - resp.waited_s : 0;
  if (resp.n_429 > 0) {
    pthread_mutex_lock(&p->mu);
    *(is_kds(req->kind) ? &p->kds_429 : &p->pcs_429) += resp.n_429;
    pthread_mutex_unlock(&p->mu);
  }
  if (st != TC_OK)
    return st;
  if (req->kind == TC_OBJ_KDS_VCEK_CRL || req->kind == TC_OBJ_KDS_VLEK_CRL ||
      req->kind == TC_OBJ_PCS_PCK_CRL || req->kind == TC_OBJ_PCS_ROOT_CA_CRL) {
    st = col_crl_normalize(&resp.body, err);
    if (st != TC_OK) {
      col_http_response_free(&resp);
      return st;
    }
  }
  int64_t issued = 0, expires = 0;
  st = tc_object_validity(req->kind, resp.body.data, resp.body.len, resp.issuer_chain.data,
                          resp.issuer_chain.len, &issued, &expires, err);
  if (st != TC_OK) {
    char d[sizeof err->detail];
    snprintf(d, sizeof d, "%s", err->detail);
    col_http_response_free(&resp);
    return tc_fail(err, st, err->reason, "%s: %s", url, d);
  }
  int needs_chain = req->kind == TC_OBJ_PCS_TCB_INFO || req->kind == TC_OBJ_PCS_QE_IDENTITY ||
                    req->kind == TC_OBJ_PCS_PCK_CRL;
  if (needs_chain && resp.issuer_chain.len == 0) {
    col_http_response_free(&resp);
    return tc_fail(err, TC_ERR_PARSE, "collateral_malformed",
                   "%s: response has no issuer-chain header", url);
  }
  memset(ans, 0, sizeof *ans);
  ans->body = resp.body;
  ans->issuer_chain = resp.issuer_chain;
  ans->origin = TC_ORIGIN_NETWORK;
  ans->fetched_at = now;
  ans->expires_at = expires;
  ans->refresh_at = refresh_time(p, req->kind, now, expires);
  ans->expired = now >= expires;
  snprintf(ans->url, sizeof ans->url, "%s", url);
  if (resp.attempts > 1 || resp.waited_s > 0)
    snprintf(ans->note, sizeof ans->note, "after %u attempt%s, %.1f s waited (back-off, pacing)",
             resp.attempts, resp.attempts == 1 ? "" : "s", resp.waited_s);
  if (p->cache_dir != NULL) {
    col_cache_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.key, sizeof e.key, "%s", key);
    snprintf(e.url, sizeof e.url, "%s", url);
    e.kind = req->kind;
    e.fetched_at = ans->fetched_at;
    e.expires_at = ans->expires_at;
    e.refresh_at = ans->refresh_at;
    e.body = ans->body;
    e.issuer_chain = ans->issuer_chain;
    tc_error cerr;
    if (col_cache_store(p->cache_dir, &e, &cerr) != TC_OK) {
      size_t l = strlen(ans->note);
      snprintf(ans->note + l, sizeof ans->note - l, "%snot cached: %s", l ? "; " : "", cerr.detail);
    }
  }
  return TC_OK;
}

/* Under p->mu: drop expired hold-offs; return the live one for key, if any. */
static struct holdoff *holdoff_find(tc_provider *p, const char *key, int64_t now) {
  struct holdoff *found = NULL;
  for (struct holdoff **pp = &p->holdoffs; *pp != NULL;) {
    struct holdoff *h = *pp;
    if (h->until <= now && strcmp(h->key, key) == 0) {
      *pp = h->next;
      free(h);
      p->n_holdoffs--;
      continue;
    }
    if (strcmp(h->key, key) == 0)
      found = h;
    pp = &h->next;
  }
  return found;
}

/* Under p->mu: record (or clear, when st == TC_OK) a hold-off for key. */
static void holdoff_set(tc_provider *p, const char *key, int64_t now, double retry_after,
                        tc_status st, const tc_error *err) {
  struct holdoff *h = holdoff_find(p, key, INT64_MIN);
  if (st == TC_OK || (p->opt.failure_holdoff_s == 0 && retry_after <= 0)) {
    if (h != NULL) {
      for (struct holdoff **pp = &p->holdoffs; *pp != NULL; pp = &(*pp)->next)
        if (*pp == h) {
          *pp = h->next;
          break;
        }
      free(h);
      p->n_holdoffs--;
    }
    return;
  }
  if (h == NULL) {
    if (p->n_holdoffs >= MAX_HOLDOFFS && p->holdoffs != NULL) { /* forget the list tail */
      struct holdoff **pp = &p->holdoffs;
      while ((*pp)->next != NULL)
        pp = &(*pp)->next;
      free(*pp);
      *pp = NULL;
      p->n_holdoffs--;
    }
    h = calloc(1, sizeof *h);
    if (h == NULL)
      return;
    snprintf(h->key, sizeof h->key, "%s", key);
    h->next = p->holdoffs;
    p->holdoffs = h;
    p->n_holdoffs++;
  }
  int64_t wait = p->opt.failure_holdoff_s;
  if (retry_after > (double)wait)
    wait = (int64_t)retry_after + 1;
  h->until = now + wait;
  h->st = st;
  h->err = *err;
}

/* Under p->mu: the live back-off of host at now, or NULL. */
static struct host_backoff *host_backoff_find(tc_provider *p, const char *host, int64_t now) {
  for (struct host_backoff *h = p->hosts; h != NULL; h = h->next)
    if (strcmp(h->host, host) == 0)
      return now < h->until ? h : NULL;
  return NULL;
}

/* Under p->mu: after a fetch from host that ended at `end` (seconds, `now` scale): a
 * failing host is backed off (host_backoff_s, doubled per failure in a row, at most
 * host_backoff_max_s); any answer from it forgets its failures. answered: the host
 * answered (whatever the status); failed: it was found failing. Neither (no attempt was
 * made, e.g. the wait budget ran out first): nothing changes. */
static void host_backoff_note(tc_provider *p, const char *host, int64_t end, int answered,
                              int failed, const tc_error *err) {
  struct host_backoff **pp = &p->hosts, *h = NULL;
  for (; *pp != NULL; pp = &(*pp)->next)
    if (strcmp((*pp)->host, host) == 0) {
      h = *pp;
      break;
    }
  if (answered && h != NULL) {
    *pp = h->next;
    free(h);
    p->n_hosts--;
    return;
  }
  if (!failed || p->opt.host_backoff_s == 0)
    return;
  if (h == NULL) {
    if (p->n_hosts >= MAX_HOST_BACKOFFS) { /* forget the oldest */
      struct host_backoff **last = &p->hosts;
      while ((*last)->next != NULL)
        last = &(*last)->next;
      free(*last);
      *last = NULL;
      p->n_hosts--;
    }
    if ((h = calloc(1, sizeof *h)) == NULL)
      return;
    snprintf(h->host, sizeof h->host, "%s", host);
    h->next = p->hosts;
    p->hosts = h;
    p->n_hosts++;
  }
  int64_t wait = p->opt.host_backoff_s, max = p->opt.host_backoff_max_s;
  if (max < wait)
    max = wait;
  for (unsigned i = 0; i < h->failures && wait < max; i++)
    wait *= 2;
  h->failures++;
  h->until = end + (wait < max ? wait : max);
  h->err = *err;
}

tc_status tc_provider_get(tc_provider *p, const tc_object_request *req, int64_t now,
                          tc_collateral_answer *ans, tc_error *err) {
  return tc_provider_get_within(p, req, now, NULL, ans, err);
}

tc_status tc_provider_get_within(tc_provider *p, const tc_object_request *req, int64_t now,
                                 double *wait_budget_s, tc_collateral_answer *ans, tc_error *err) {
  return col_provider_get_until(p, req, now, wait_budget_s, 0, ans, err);
}

/* Wait on p->cv (p->mu held) until signalled or the deadline (col_http_mono seconds; 0:
 * none). 0 when the deadline passed. */
static int wait_until(tc_provider *p, double deadline) {
  if (deadline <= 0) {
    pthread_cond_wait(&p->cv, &p->mu);
    return 1;
  }
  double left = deadline - col_http_mono();
  if (left <= 0)
    return 0;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts); /* the condition variable's clock */
  double t = (double)ts.tv_nsec / 1e9 + left;
  ts.tv_sec += (time_t)t;
  ts.tv_nsec = (long)((t - (double)(time_t)t) * 1e9);
  pthread_cond_timedwait(&p->cv, &p->mu, &ts);
  return 1;
}

/* The disk cache's copy of a key, kept to be served stale when no fetch can be made. */
typedef struct {
  col_cache_entry e;
  int hit;       /* e holds an intact entry */
  char why[256]; /* when not: why (absent, unreadable, corrupt), or "" */
} cached_copy;

static void cached_copy_free(cached_copy *c) {
  if (c->hit)
    col_cache_entry_free(&c->e);
  c->hit = 0;
}

/* A fresh answer from memory, else from the disk cache (then remembered in memory): 1 and
 * *ans filled. 0 otherwise, with *c the disk's copy (stale or expired) if there is one. */
static int cached_fresh(tc_provider *p, const char *key, int64_t now, cached_copy *c,
                        tc_collateral_answer *ans) {
  c->hit = 0;
  c->why[0] = 0;
  pthread_mutex_lock(&p->mu);
  int in_mem = mem_get(p, key, now, ans);
  pthread_mutex_unlock(&p->mu);
  if (in_mem)
    return 1;
  if (p->cache_dir == NULL)
    return 0;
  c->hit = col_cache_lookup(p->cache_dir, key, &c->e, c->why);
  if (!c->hit || now >= c->e.refresh_at)
    return 0;
  answer_from_entry(ans, &c->e, now);
  cached_copy_free(c);
  pthread_mutex_lock(&p->mu);
  mem_put(p, key, ans);
  pthread_mutex_unlock(&p->mu);
  return 1;
}

/* No fetch can be made (why, with status st): the cached copy served stale with why as its
 * note, else the failure. Releases *c. */
static tc_status refuse(cached_copy *c, int64_t now, tc_status st, const tc_error *why,
                        tc_collateral_answer *ans, tc_error *err) {
  if (!c->hit)
    return tc_fail(err, st, why->reason, "%s", why->detail);
  tc_status s = serve_stale(&c->e, now, why, ans);
  cached_copy_free(c);
  return s;
}

/* Offline mode: no network; the cached copy stale, else collateral_unavailable (with why
 * the cache had none). Releases *c. */
static tc_status answer_offline(const tc_object_request *req, const char *url, cached_copy *c,
                                int64_t now, tc_collateral_answer *ans, tc_error *err) {
  tc_error off;
  tc_fail(&off, TC_ERR_IO, "collateral_unavailable", "offline mode, %s needed from %s",
          tc_object_kind_name(req->kind), url);
  if (!c->hit)
    return tc_fail(err, TC_ERR_IO, "collateral_unavailable", "%s (%s)", off.detail,
                   c->why[0] ? c->why : "not cached");
  return refuse(c, now, TC_ERR_IO, &off, ans, err);
}

/* Under p->mu: 1 when no fetch of key from host may start now: the key is held off after a
 * failure, or the host is backed off. *st and *why then say so. */
static int fetch_barred(tc_provider *p, const char *key, const char *url, const char *host,
                        int64_t now, tc_status *st, tc_error *why) {
  struct holdoff *h = holdoff_find(p, key, now);
  if (h != NULL) {
    char until[21];
    tc_rfc3339_format(h->until, until);
    *why = h->err;
    *st = h->st;
    size_t l = strlen(why->detail);
    snprintf(why->detail + l, sizeof why->detail - l, " (no new attempt before %s)", until);
    return 1;
  }
  struct host_backoff *hb = host_backoff_find(p, host, now);
  if (hb == NULL)
    return 0;
  *st = tc_fail(why, TC_ERR_IO, "collateral_unavailable",
                "%s: no request to %s for another %lld s: it failed %u time%s in a row, last: %s",
                url, host, (long long)(hb->until - now), hb->failures, hb->failures == 1 ? "" : "s",
                hb->err.detail);
  return 1;
}

/* Under p->mu: the flight in progress for key, or NULL. */
static struct flight *flight_find(tc_provider *p, const char *key) {
  struct flight *f = p->flights;
  while (f != NULL && strcmp(f->key, key) != 0)
    f = f->next;
  return f;
}

/* Under p->mu: a finished flight's answer for one of its requests, which then lets go of
 * the flight (the last one frees it). */
static tc_status flight_take(struct flight *f, tc_collateral_answer *ans, tc_error *err) {
  tc_status st = f->st;
  if (st == TC_OK)
    st = copy_answer(ans, &f->ans, err);
  else if (err)
    *err = f->err;
  if (--f->refs == 0) {
    tc_collateral_answer_free(&f->ans);
    free(f);
  }
  return st;
}

/* Under p->mu, released on return: wait for another request's flight f and take its
 * answer. When the deadline passes first, the leader goes on without us: refused
 * (the cached copy served stale, if any). Releases *c. */
static tc_status join_flight(tc_provider *p, struct flight *f, const char *url, double deadline,
                             int64_t now, cached_copy *c, tc_collateral_answer *ans,
                             tc_error *err) {
  f->refs++;
  while (!f->done && wait_until(p, deadline))
    ;
  if (!f->done) {
    f->refs--;
    pthread_mutex_unlock(&p->mu);
    tc_error late;
    tc_fail(&late, TC_ERR_IO, "collateral_unavailable",
            "%s: the request's deadline passed while another request fetched it", url);
    return refuse(c, now, TC_ERR_IO, &late, ans, err);
  }
  tc_status st = flight_take(f, ans, err);
  pthread_mutex_unlock(&p->mu);
  cached_copy_free(c);
  return st;
}

/* Under p->mu: a new flight for key, led by the caller; NULL when out of memory. */
static struct flight *flight_start(tc_provider *p, const char *key) {
  struct flight *f = calloc(1, sizeof *f);
  if (f == NULL)
    return NULL;
  snprintf(f->key, sizeof f->key, "%s", key);
  f->refs = 1;
  f->next = p->flights;
  p->flights = f;
  return f;
}

/* The leader's fetch, into *got (*ferr on failure). A fetch that finished between our
 * lookup and taking the lead is in the cache now: that copy is used rather than asking
 * again. Otherwise the network; its outcome sets the key's hold-off and the host's
 * back-off, and a failure serves the cached copy *c stale when there is one. */
static tc_status lead_fetch(tc_provider *p, const tc_object_request *req, const char *key,
                            const char *url, const char *host, int64_t now, double *wait_budget_s,
                            double deadline, cached_copy *c, tc_collateral_answer *got,
                            tc_error *ferr) {
  tc_error_clear(ferr);
  memset(got, 0, sizeof *got);
  col_cache_entry e2;
  int hit2 = p->cache_dir != NULL && col_cache_lookup(p->cache_dir, key, &e2, NULL);
  if (hit2 && now < e2.refresh_at) {
    answer_from_entry(got, &e2, now);
    col_cache_entry_free(&e2);
    return TC_OK;
  }
  if (hit2)
    col_cache_entry_free(&e2);
  double retry_after = -1, t0 = col_http_mono();
  int host_state = 0;
  tc_status st = fetch_now(p, req, key, url, now, wait_budget_s, deadline, got, &retry_after,
                           &host_state, ferr);
  /* the back-off runs from the end of the fetch (its retries may have taken a while) */
  int64_t end = now + (int64_t)floor(col_http_mono() - t0);
  pthread_mutex_lock(&p->mu);
  holdoff_set(p, key, now, retry_after, st, ferr);
  host_backoff_note(p, host, end, host_state > 0, host_state < 0, ferr);
  pthread_mutex_unlock(&p->mu);
  if (st != TC_OK && c->hit)
    st = serve_stale(&c->e, now, ferr, got);
  return st;
}

/* The leader publishes its flight's outcome (st, *ferr, *got, which the flight takes over)
 * to the waiting requests, remembers a fresh answer in memory, and takes its own copy. */
static tc_status flight_finish(tc_provider *p, struct flight *f, const char *key, int64_t now,
                               tc_status st, const tc_error *ferr, tc_collateral_answer *got,
                               tc_collateral_answer *ans, tc_error *err) {
  pthread_mutex_lock(&p->mu);
  f->st = st;
  f->err = *ferr;
  f->ans = *got;
  f->done = 1;
  if (st == TC_OK && !got->stale && now < got->refresh_at)
    mem_put(p, key, got);
  for (struct flight **pp = &p->flights; *pp != NULL; pp = &(*pp)->next)
    if (*pp == f) {
      *pp = f->next;
      break;
    }
  pthread_cond_broadcast(&p->cv);
  st = flight_take(f, ans, err);
  pthread_mutex_unlock(&p->mu);
  return st;
}

tc_status col_provider_get_until(tc_provider *p, const tc_object_request *req, int64_t now,
                                 double *wait_budget_s, double deadline, tc_collateral_answer *ans,
                                 tc_error *err) {
  memset(ans, 0, sizeof *ans);
  char key[512], url[512], host[256];
  tc_status st = tc_object_key(req, key, sizeof key, err);
  if (st != TC_OK)
    return st;
  st = tc_object_url(p->opt.kds_url, p->opt.pcs_url, p->opt.pcs_flavour, req, url, sizeof url, err);
  if (st != TC_OK)
    return st;
  cached_copy c;
  if (cached_fresh(p, key, now, &c, ans))
    return TC_OK;
  if (p->opt.offline)
    return answer_offline(req, url, &c, now, ans, err);
  col_http_url_host(url, host);

  /* Single flight: join a fetch of the same key in progress, or lead one; but not while
   * the key is held off after a failure, nor while its host is backed off. */
  pthread_mutex_lock(&p->mu);
  tc_error why;
  if (fetch_barred(p, key, url, host, now, &st, &why)) {
    pthread_mutex_unlock(&p->mu);
    return refuse(&c, now, st, &why, ans, err);
  }
  struct flight *f = flight_find(p, key);
  if (f != NULL)
    return join_flight(p, f, url, deadline, now, &c, ans, err);
  f = flight_start(p, key);
  pthread_mutex_unlock(&p->mu);
  if (f == NULL) {
    cached_copy_free(&c);
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "single-flight entry");
  }
  tc_collateral_answer got;
  tc_error ferr;
  st = lead_fetch(p, req, key, url, host, now, wait_budget_s, deadline, &c, &got, &ferr);
  cached_copy_free(&c);
  return flight_finish(p, f, key, now, st, &ferr, &got, ans, err);
}
