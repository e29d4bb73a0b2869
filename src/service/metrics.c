/* SPDX-License-Identifier: Apache-2.0 */
/* Metrics registry of the service, rendered in the Prometheus text exposition format
 * (version 0.0.4). Label values come from fixed sets chosen by the server (routes,
 * TEE names, result words), never from request text, so cardinality is bounded. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/metrics.h"

enum { F_REQUESTS, F_VERIFICATIONS, F_POLICY_RELOADS, F_COLLATERAL, F_KBS, F_COUNT };

static const struct {
  const char *name, *help, *l1, *l2;
} families[F_COUNT] = {
    {"teectl_http_requests_total", "HTTP requests answered, by route and status code.", "route",
     "code"},
    {"teectl_verifications_total",
     "Evidence verifications, by TEE and result (affirming, warning, contraindicated, invalid, "
     "collateral_expired, collateral_missing, ...).",
     "tee", "result"},
    {"teectl_policy_reloads_total", "Appraisal policy reloads after the file changed.", "result",
     NULL},
    {"teectl_collateral_cache_requests_total",
     "Collateral lookups answered from the loaded collateral (hit) or not (miss).", "result", NULL},
    {"teectl_kbs_requests_total",
     "Key broker steps (auth, attest, resource) by outcome (challenged, attested, released, "
     "denied, not_found, refused, rate_limited, error).",
     "step", "result"},
};

static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,   0.25,   0.5,   1,    2.5};
#define N_BUCKETS (sizeof buckets / sizeof buckets[0])
#define N_TEES 4 /* snp, tdx, sgx, unknown */

struct series {
  int family;
  char l1[32], l2[32];
  unsigned long long value;
};

struct hist {
  unsigned long long counts[N_BUCKETS];
  unsigned long long count;
  double sum;
};

struct svc_metrics {
  pthread_mutex_t lock;
  struct series *series;
  size_t n, cap;
  struct hist hist[N_TEES];
  long inflight;
  int have_429;
  unsigned long kds_429, pcs_429;
  struct {
    unsigned long long hits, misses;
    size_t entries;
  } cache[SVC_CACHE_KINDS]; /* the verifier's caches */
};

static const char *hist_tee[N_TEES] = {"snp", "tdx", "sgx", "unknown"};

svc_metrics *svc_metrics_new(void) {
  svc_metrics *m = calloc(1, sizeof *m);
  if (m != NULL)
    pthread_mutex_init(&m->lock, NULL);
  return m;
}

void svc_metrics_free(svc_metrics *m) {
  if (m == NULL)
    return;
  pthread_mutex_destroy(&m->lock);
  free(m->series);
  free(m);
}

static void add(svc_metrics *m, int family, const char *l1, const char *l2) {
  pthread_mutex_lock(&m->lock);
  for (size_t i = 0; i < m->n; i++) {
    struct series *s = &m->series[i];
    if (s->family == family && strcmp(s->l1, l1) == 0 && strcmp(s->l2, l2 ? l2 : "") == 0) {
      s->value++;
      pthread_mutex_unlock(&m->lock);
      return;
    }
  }
  if (m->n == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 32;
    struct series *p = realloc(m->series, cap * sizeof *p);
    if (p == NULL) {
      pthread_mutex_unlock(&m->lock);
      return;
    }
    m->series = p;
    m->cap = cap;
  }
  struct series *s = &m->series[m->n++];
  s->family = family;
  snprintf(s->l1, sizeof s->l1, "%s", l1);
  snprintf(s->l2, sizeof s->l2, "%s", l2 ? l2 : "");
  s->value = 1;
  pthread_mutex_unlock(&m->lock);
}

void svc_metrics_request(svc_metrics *m, const char *route, unsigned code) {
  char c[16];
  snprintf(c, sizeof c, "%u", code);
  add(m, F_REQUESTS, route, c);
}

void svc_metrics_verification(svc_metrics *m, const char *tee, const char *result, double seconds) {
  add(m, F_VERIFICATIONS, tee, result);
  int t = N_TEES - 1;
  for (int i = 0; i < N_TEES - 1; i++)
    if (strcmp(tee, hist_tee[i]) == 0)
      t = i;
  pthread_mutex_lock(&m->lock);
  struct hist *h = &m->hist[t];
  for (size_t i = 0; i < N_BUCKETS; i++)
    if (seconds <= buckets[i])
      h->counts[i]++;
  h->count++;
  h->sum += seconds;
  pthread_mutex_unlock(&m->lock);
}

const char *svc_metrics_invalid_result(const char *reason) {
  size_t n = reason ? strlen(reason) : 0, k = strlen("_expired");
  if ((n > k && strcmp(reason + n - k, "_expired") == 0) ||
      (n > 0 && strcmp(reason, "cert_expired_at_verify_at") == 0))
    return "collateral_expired";
  if (n > 0 &&
      (strcmp(reason, "collateral_missing") == 0 || strcmp(reason, "collateral_unavailable") == 0))
    return "collateral_missing";
  return "invalid";
}

void svc_metrics_policy_reload(svc_metrics *m, int ok) {
  add(m, F_POLICY_RELOADS, ok ? "success" : "failure", NULL);
}

void svc_metrics_collateral(svc_metrics *m, int hit) {
  add(m, F_COLLATERAL, hit ? "hit" : "miss", NULL);
}

void svc_metrics_collateral_429(svc_metrics *m, unsigned long kds, unsigned long pcs) {
  pthread_mutex_lock(&m->lock);
  m->have_429 = 1;
  m->kds_429 = kds;
  m->pcs_429 = pcs;
  pthread_mutex_unlock(&m->lock);
}

void svc_metrics_verified_cache(svc_metrics *m, enum svc_cache_kind kind, unsigned long long hits,
                                unsigned long long misses, size_t entries) {
  if (kind >= SVC_CACHE_KINDS)
    return;
  pthread_mutex_lock(&m->lock);
  m->cache[kind].hits = hits;
  m->cache[kind].misses = misses;
  m->cache[kind].entries = entries;
  pthread_mutex_unlock(&m->lock);
}

void svc_metrics_kbs(svc_metrics *m, const char *step, const char *result) {
  add(m, F_KBS, step, result);
}

void svc_metrics_inflight(svc_metrics *m, long n) {
  pthread_mutex_lock(&m->lock);
  m->inflight = n;
  pthread_mutex_unlock(&m->lock);
}

struct sb {
  char *p;
  size_t len, cap;
  int failed;
};

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sb *b, const char *fmt, ...) {
  if (b->failed)
    return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
      b->failed = 1;
      return;
    }
    if ((size_t)n < b->cap - b->len) {
      b->len += (size_t)n;
      return;
    }
    size_t cap = (b->cap + (size_t)n + 1) * 2;
    char *q = realloc(b->p, cap);
    if (q == NULL) {
      b->failed = 1;
      return;
    }
    b->p = q;
    b->cap = cap;
  }
}

char *svc_metrics_render(svc_metrics *m, size_t *len) {
  struct sb b = {malloc(4096), 0, 4096, 0};
  if (b.p == NULL)
    return NULL;
  b.p[0] = '\0';
  pthread_mutex_lock(&m->lock);
  for (int f = 0; f < F_COUNT; f++) {
    sb_printf(&b, "# HELP %s %s\n# TYPE %s counter\n", families[f].name, families[f].help,
              families[f].name);
    for (size_t i = 0; i < m->n; i++) {
      const struct series *s = &m->series[i];
      if (s->family != f)
        continue;
      if (families[f].l2)
        sb_printf(&b, "%s{%s=\"%s\",%s=\"%s\"} %llu\n", families[f].name, families[f].l1, s->l1,
                  families[f].l2, s->l2, s->value);
      else
        sb_printf(&b, "%s{%s=\"%s\"} %llu\n", families[f].name, families[f].l1, s->l1, s->value);
    }
  }
  const char *hn = "teectl_verification_duration_seconds";
  sb_printf(&b, "# HELP %s Time to verify and appraise evidence, by TEE.\n# TYPE %s histogram\n",
            hn, hn);
  for (int t = 0; t < N_TEES; t++) {
    const struct hist *h = &m->hist[t];
    if (h->count == 0)
      continue;
    for (size_t i = 0; i < N_BUCKETS; i++)
      sb_printf(&b, "%s_bucket{tee=\"%s\",le=\"%g\"} %llu\n", hn, hist_tee[t], buckets[i],
                h->counts[i]);
    sb_printf(&b, "%s_bucket{tee=\"%s\",le=\"+Inf\"} %llu\n", hn, hist_tee[t], h->count);
    sb_printf(&b, "%s_sum{tee=\"%s\"} %.9f\n", hn, hist_tee[t], h->sum);
    sb_printf(&b, "%s_count{tee=\"%s\"} %llu\n", hn, hist_tee[t], h->count);
  }
  if (m->have_429)
    sb_printf(&b,
              "# HELP teectl_collateral_rate_limited_total HTTP 429 (Too Many Requests) answers "
              "from AMD KDS and Intel PCS/PCCS to the collateral provider.\n"
              "# TYPE teectl_collateral_rate_limited_total counter\n"
              "teectl_collateral_rate_limited_total{service=\"kds\"} %lu\n"
              "teectl_collateral_rate_limited_total{service=\"pcs\"} %lu\n",
              m->kds_429, m->pcs_429);
  static const char *const kinds[SVC_CACHE_KINDS] = {"snp_chain", "dcap"};
  const char *cn = "teectl_verified_cache_lookups_total", *en = "teectl_verified_cache_entries";
  sb_printf(&b,
            "# HELP %s Lookups of verified endorsements kept in memory (--cache-entries), by "
            "kind and result.\n# TYPE %s counter\n",
            cn, cn);
  for (int k = 0; k < SVC_CACHE_KINDS; k++)
    sb_printf(&b, "%s{kind=\"%s\",result=\"hit\"} %llu\n%s{kind=\"%s\",result=\"miss\"} %llu\n", cn,
              kinds[k], m->cache[k].hits, cn, kinds[k], m->cache[k].misses);
  sb_printf(&b, "# HELP %s Verified endorsements kept in memory, by kind.\n# TYPE %s gauge\n", en,
            en);
  for (int k = 0; k < SVC_CACHE_KINDS; k++)
    sb_printf(&b, "%s{kind=\"%s\"} %zu\n", en, kinds[k], m->cache[k].entries);
  sb_printf(&b,
            "# HELP teectl_inflight_requests Requests being processed.\n"
            "# TYPE teectl_inflight_requests gauge\nteectl_inflight_requests %ld\n",
            m->inflight);
  pthread_mutex_unlock(&m->lock);
  if (b.failed) {
    free(b.p);
    return NULL;
  }
  *len = b.len;
  return b.p;
}
