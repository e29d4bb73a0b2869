/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP GET with bounded retries for the collateral services (libcurl easy interface; one
 * handle per call, so calls are independent and thread-safe). */
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "collateral/internal.h"
#include "teectl/crypto.h"
#include "teectl/strbuf.h"

#define MAX_BODY (16u << 20)
#define MAX_HEADER (64u << 10)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_init_rc = -1;

static void curl_init_once(void) {
  curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int col_http_global_init(void) {
  pthread_once(&curl_once, curl_init_once);
  return curl_init_rc;
}

/* Names of the issuer-chain headers (PCS API v4; the v3 name of TCB Info's kept too). */
static const char *const chain_headers[] = {
    "TCB-Info-Issuer-Chain",
    "SGX-TCB-Info-Issuer-Chain",
    "SGX-Enclave-Identity-Issuer-Chain",
    "SGX-PCK-CRL-Issuer-Chain",
};

struct xfer {
  tc_sink body; /* at most MAX_BODY bytes */
  char *chain;  /* raw header value of an issuer-chain header */
  char retry_after[128];
};

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud) {
  struct xfer *x = ud;
  size_t n = size * nmemb;
  if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
    /* a new response (redirect or 1xx): forget headers of the previous one */
    free(x->chain);
    x->chain = NULL;
    x->retry_after[0] = 0;
    return n;
  }
  const char *colon = memchr(ptr, ':', n);
  if (colon == NULL)
    return n;
  size_t nl = (size_t)(colon - ptr);
  const char *v = colon + 1;
  size_t vl = n - nl - 1;
  while (vl > 0 && (*v == ' ' || *v == '\t'))
    v++, vl--;
  while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
    vl--;
  if (nl == 11 && strncasecmp(ptr, "Retry-After", 11) == 0) {
    size_t c = vl < sizeof x->retry_after - 1 ? vl : sizeof x->retry_after - 1;
    memcpy(x->retry_after, v, c);
    x->retry_after[c] = 0;
    return n;
  }
  for (size_t i = 0; i < sizeof chain_headers / sizeof chain_headers[0]; i++) {
    if (nl == strlen(chain_headers[i]) && strncasecmp(ptr, chain_headers[i], nl) == 0) {
      if (vl > MAX_HEADER)
        return 0;
      free(x->chain);
      x->chain = malloc(vl + 1);
      if (x->chain == NULL)
        return 0;
      memcpy(x->chain, v, vl);
      x->chain[vl] = 0;
    }
  }
  return n;
}

double col_http_retry_after(const char *value, int64_t now) {
  if (value == NULL || *value == 0)
    return -1;
  char *end;
  errno = 0;
  long long s = strtoll(value, &end, 10);
  if (end != value && *end == 0 && errno == 0) {
    if (s < 0)
      return -1;
    return (double)s;
  }
  time_t t = curl_getdate(value, NULL);
  if (t == (time_t)-1)
    return -1;
  double d = (double)((int64_t)t - now);
  return d < 0 ? 0 : d;
}

static double jitter_unit(void) {
  uint32_t r;
  if (tc_random_bytes((uint8_t *)&r, sizeof r, NULL) != TC_OK)
    return 0.5;
  return (double)r / 4294967296.0;
}

static void sleep_s(double s) {
  if (s <= 0)
    return;
  struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* ---- per-host pacing ---- */

struct pacer_host {
  char host[256];
  double tokens; /* may go below 0: requests queued behind the bucket */
  double at;     /* monotonic seconds of the last refill */
  struct pacer_host *next;
};

struct col_http_pacer {
  pthread_mutex_t mu;
  double interval_s;
  double burst;
  struct pacer_host *hosts;
};

static double mono_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

col_http_pacer *col_http_pacer_new(double interval_s, unsigned burst) {
  if (interval_s <= 0)
    return NULL;
  col_http_pacer *p = calloc(1, sizeof *p);
  if (p == NULL)
    return NULL;
  if (pthread_mutex_init(&p->mu, NULL) != 0) {
    free(p);
    return NULL;
  }
  p->interval_s = interval_s;
  p->burst = burst > 0 ? burst : 1;
  return p;
}

void col_http_pacer_free(col_http_pacer *p) {
  if (p == NULL)
    return;
  while (p->hosts != NULL) {
    struct pacer_host *h = p->hosts;
    p->hosts = h->next;
    free(h);
  }
  pthread_mutex_destroy(&p->mu);
  free(p);
}

void col_http_url_host(const char *url, char out[256]) {
  const char *h = strstr(url, "://");
  h = h ? h + 3 : url;
  size_t n = strcspn(h, "/?#");
  const char *at = memchr(h, '@', n);
  if (at != NULL) {
    n -= (size_t)(at + 1 - h);
    h = at + 1;
  }
  if (n > 255)
    n = 255;
  for (size_t i = 0; i < n; i++)
    out[i] = (char)((h[i] >= 'A' && h[i] <= 'Z') ? h[i] - 'A' + 'a' : h[i]);
  out[n] = 0;
}

double col_http_pacer_take(col_http_pacer *p, const char *url, int reserve) {
  if (p == NULL)
    return 0;
  char host[256];
  col_http_url_host(url, host);
  double now = mono_s(), wait = 0;
  pthread_mutex_lock(&p->mu);
  struct pacer_host *h = p->hosts;
  while (h != NULL && strcmp(h->host, host) != 0)
    h = h->next;
  if (h == NULL && (h = calloc(1, sizeof *h)) != NULL) {
    snprintf(h->host, sizeof h->host, "%s", host);
    h->tokens = p->burst;
    h->at = now;
    h->next = p->hosts;
    p->hosts = h;
  }
  if (h != NULL) {
    double tokens = h->tokens + (now - h->at) / p->interval_s;
    if (tokens > p->burst)
      tokens = p->burst;
    if (tokens < 1)
      wait = (1 - tokens) * p->interval_s;
    if (reserve) {
      h->tokens = tokens - 1;
      h->at = now;
    }
  }
  pthread_mutex_unlock(&p->mu);
  return wait;
}

void col_http_response_free(col_http_response *resp) {
  if (resp == NULL)
    return;
  tc_buf_free(&resp->body);
  tc_buf_free(&resp->issuer_chain);
}

double col_http_mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Milliseconds left before the deadline (at least 1), or cap_ms when there is none. */
static long left_ms(const col_http_retry *r, long cap_ms) {
  if (r->deadline <= 0)
    return cap_ms;
  double left = (r->deadline - col_http_mono()) * 1000.0;
  return left < 1 ? 1 : left < (double)cap_ms ? (long)left : cap_ms;
}

/* Does waiting s seconds now pass the deadline? */
static int past_deadline(const col_http_retry *r, double s) {
  return r->deadline > 0 && col_http_mono() + s >= r->deadline;
}

/* One attempt. Returns the curl code; fills *status and x. */
static CURLcode attempt(const char *url, const col_http_retry *r, struct xfer *x, long *status,
                        char *errbuf) {
  CURL *c = curl_easy_init();
  if (c == NULL)
    return CURLE_FAILED_INIT;
  struct curl_slist *hdrs = NULL;
  char keyhdr[300];
  if (r->api_key != NULL && r->api_key[0] != 0) {
    snprintf(keyhdr, sizeof keyhdr, "Ocp-Apim-Subscription-Key: %s", r->api_key);
    hdrs = curl_slist_append(hdrs, keyhdr);
  }
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   left_ms(r, (r->timeout_s > 0 ? r->timeout_s : 30L) * 1000));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, left_ms(r, 10000L));
  curl_easy_setopt(c, CURLOPT_USERAGENT, "teectl-collateral/1");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tc_sink_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &x->body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  if (r->ca_file != NULL) {
    curl_easy_setopt(c, CURLOPT_CAINFO, r->ca_file);
    curl_easy_setopt(c, CURLOPT_CAPATH, NULL); /* only this bundle, not the system folder */
  }
  if (hdrs)
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
  errbuf[0] = 0;
  CURLcode rc = curl_easy_perform(c);
  *status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
  curl_easy_cleanup(c);
  curl_slist_free_all(hdrs);
  return rc;
}

/* Append printf text to the NUL-terminated last (cap bytes), truncating. */
__attribute__((format(printf, 3, 4))) static void append(char *last, size_t cap, const char *fmt,
                                                         ...) {
  size_t l = strlen(last);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last + l, cap - l, fmt, ap);
  va_end(ap);
}

/* Before an attempt: wait for the next request slot of url's host (r->pacer), counted in
 * the same budget as the back-off. 0: go on (the wait added to resp->waited_s); 1: stop
 * the retries (why appended to last); -1: refused with collateral_rate_limited (*err),
 * when the wait would pass the deadline, or exceed the budget before any attempt. */
static int pace_attempt(const char *url, const col_http_retry *r, col_http_response *resp,
                        char *last, size_t cap, tc_error *err) {
  double pace = col_http_pacer_take(r->pacer, url, 0);
  char host[256];
  if (pace > 0 && resp->waited_s + pace <= r->max_wait_s && past_deadline(r, pace)) {
    col_http_url_host(url, host);
    tc_fail(err, TC_ERR_IO, "collateral_rate_limited",
            "%s: requests to %s are spaced to stay within the service's rate limit; "
            "waiting %.1f s for the next slot would pass the request's deadline%s%s",
            url, host, pace, last[0] ? "; before: " : "", last);
    return -1;
  }
  if (pace > 0 && resp->waited_s + pace > r->max_wait_s) {
    col_http_url_host(url, host);
    if (resp->attempts == 0) {
      tc_fail(err, TC_ERR_IO, "collateral_rate_limited",
              "%s: requests to %s are spaced to stay within the service's rate "
              "limit; waiting %.1f s for the next slot would bring the cumulative "
              "wait of this fetch to %.1f s, beyond its %.1f s budget",
              url, host, pace, resp->waited_s + pace, r->max_wait_s);
      return -1;
    }
    append(last, cap,
           " (waiting %.1f s for %s's next request slot would bring the cumulative wait "
           "to %.1f s, beyond the %.1f s budget)",
           pace, host, resp->waited_s + pace, r->max_wait_s);
    return 1;
  }
  pace = col_http_pacer_take(r->pacer, url, 1);
  sleep_s(pace);
  resp->waited_s += pace;
  return 0;
}

/* A 200 answer: its body and URL-decoded issuer chain into *resp (taken from *x). */
static tc_status take_answer(struct xfer *x, col_http_response *resp, tc_error *err) {
  resp->body.data = (uint8_t *)x->body.buf.s; /* NUL-terminated; NULL for an empty body */
  resp->body.len = x->body.buf.len;
  x->body.buf = (tc_strbuf){0};
  tc_status st = TC_OK;
  if (x->chain != NULL)
    st = tc_url_decode(x->chain, strlen(x->chain), &resp->issuer_chain, err);
  free(x->chain);
  if (st != TC_OK)
    col_http_response_free(resp);
  return st;
}

/* Any other outcome of an attempt: the reason into last; 1 when it is worth retrying (no
 * answer, 429, 5xx but 501). *rate_limited: 429 or 503; *wait: the server's Retry-After
 * in seconds, or unchanged. */
static int note_failure(const char *url, CURLcode rc, long status, const struct xfer *x,
                        const char *errbuf, col_http_response *resp, char *last, size_t cap,
                        int *rate_limited, double *wait) {
  if (rc != CURLE_OK) {
    if (x->body.overflow)
      snprintf(last, cap, "%s: response larger than %u bytes", url, MAX_BODY);
    else
      snprintf(last, cap, "%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
    *rate_limited = 0;
    return !x->body.overflow;
  }
  if (status == 429 || status == 503) {
    *rate_limited = 1;
    if (status == 429)
      resp->n_429++;
    *wait = col_http_retry_after(x->retry_after, (int64_t)time(NULL));
    resp->retry_after_s = *wait;
    snprintf(last, cap, "%s: HTTP %ld%s%s", url, status, x->retry_after[0] ? ", Retry-After: " : "",
             x->retry_after);
    return 1;
  }
  snprintf(last, cap, "%s: HTTP %ld", url, status);
  if (status >= 500 && status != 501) {
    *rate_limited = 0;
    return 1;
  }
  return 0;
}

/* Between attempts: sleep `wait` (the server's), else the exponential back-off with full
 * jitter (*delay doubles). 0 after sleeping; 1 when the wait would pass the deadline or
 * the budget (why appended to last). */
static int back_off(const col_http_retry *r, double wait, double *delay, col_http_response *resp,
                    char *last, size_t cap) {
  if (wait < 0) {
    wait = *delay * jitter_unit(); /* full jitter: uniform in [0, delay) */
    *delay *= 2;
  }
  if (past_deadline(r, wait)) {
    append(last, cap, " (waiting %.1f s more would pass the request's deadline)", wait);
    return 1;
  }
  if (resp->waited_s + wait > r->max_wait_s) {
    append(last, cap,
           " (waiting %.1f s more would bring the cumulative wait of this fetch to %.1f s, "
           "beyond its %.1f s budget)",
           wait, resp->waited_s + wait, r->max_wait_s);
    return 1;
  }
  sleep_s(wait);
  resp->waited_s += wait;
  return 0;
}

tc_status col_http_get(const char *url, const col_http_retry *r, col_http_response *resp,
                       tc_error *err) {
  memset(resp, 0, sizeof *resp);
  resp->retry_after_s = -1;
  if (col_http_global_init() != 0)
    return tc_fail(err, TC_ERR_INTERNAL, "curl_init_failed", "curl_global_init failed");
  unsigned max_attempts = r->max_attempts ? r->max_attempts : 1;
  double delay = r->base_delay_s > 0 ? r->base_delay_s : 0.5;
  char last[600] = "";
  int rate_limited = 0;
  for (;;) {
    int paced = r->pacer != NULL ? pace_attempt(url, r, resp, last, sizeof last, err) : 0;
    if (paced < 0)
      return TC_ERR_IO;
    if (paced > 0)
      break;
    if (past_deadline(r, 0)) {
      append(last, sizeof last, "%s%s: the request's deadline passed", last[0] ? " " : "", url);
      break;
    }
    struct xfer x;
    memset(&x, 0, sizeof x);
    x.body.max = MAX_BODY;
    char errbuf[CURL_ERROR_SIZE];
    errbuf[0] = 0;
    long status = 0;
    CURLcode rc = attempt(url, r, &x, &status, errbuf);
    resp->attempts++;
    resp->status = status;
    /* the host itself failing: no answer (timeout, refused, reset) or a server error */
    resp->host_failed =
        (rc != CURLE_OK && !x.body.overflow) || (rc == CURLE_OK && status >= 500 && status != 501);
    if (rc == CURLE_OK && status == 200)
      return take_answer(&x, resp, err);
    double wait = -1;
    int retry =
        note_failure(url, rc, status, &x, errbuf, resp, last, sizeof last, &rate_limited, &wait);
    tc_strbuf_free(&x.body.buf);
    free(x.chain);
    if (!retry)
      return tc_fail(err, TC_ERR_IO,
                     status == 404 ? "collateral_not_found" : "collateral_unavailable", "%s", last);
    if (resp->attempts >= max_attempts || back_off(r, wait, &delay, resp, last, sizeof last))
      break;
  }
  return tc_fail(err, TC_ERR_IO,
                 rate_limited ? "collateral_rate_limited" : "collateral_unavailable",
                 "%s after %u attempts", last, resp->attempts);
}
