/* SPDX-License-Identifier: Apache-2.0 */
/* The attester's HTTP(S) client (libcurl): one handle per exchange, so the cookie jar (the
 * KBS session, RFC 6265) carries from auth to attest to the resources; a total deadline over
 * all attempts; retries with exponential back-off on transport errors, 429 and 5xx. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "attester/internal.h"
#include "teectl/strbuf.h"

#define ANSWER_MAX (16u << 20)

struct att_http {
  CURL *h;
  char *base;
  tc_attest_http cfg;
  double deadline;
};

static double mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

att_http *att_http_new(const char *url, const tc_attest_http *h) {
  att_http *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->cfg = *h;
  if (!c->cfg.deadline_s)
    c->cfg.deadline_s = 120;
  if (!c->cfg.attempt_s)
    c->cfg.attempt_s = 30;
  c->deadline = mono() + c->cfg.deadline_s;
  size_t n = strlen(url);
  while (n > 0 && url[n - 1] == '/')
    n--;
  c->base = strndup(url, n);
  c->h = curl_easy_init();
  if (!c->base || !c->h) {
    att_http_free(c);
    return NULL;
  }
  curl_easy_setopt(c->h, CURLOPT_COOKIEFILE, ""); /* the in-memory cookie jar */
  curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c->h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c->h, CURLOPT_USERAGENT, "teectl-attest");
  if (c->cfg.ca_file)
    curl_easy_setopt(c->h, CURLOPT_CAINFO, c->cfg.ca_file);
  return c;
}

void att_http_free(att_http *c) {
  if (!c)
    return;
  if (c->h)
    curl_easy_cleanup(c->h);
  free(c->base);
  free(c);
}

double att_http_time_left(const att_http *c) {
  double l = c->deadline - mono();
  return l > 0 ? l : 0;
}

tc_status att_http_do(att_http *c, const char *method, const char *path, const char *body,
                      long *status, char **answer, tc_error *err) {
  *status = 0;
  *answer = NULL;
  size_t ul = strlen(c->base) + strlen(path) + 1;
  char *url = malloc(ul);
  if (!url)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "URL");
  snprintf(url, ul, "%s%s", c->base, path);
  struct curl_slist *hdr = NULL;
  hdr = curl_slist_append(hdr, "Accept: application/json");
  if (body)
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
  char last[CURL_ERROR_SIZE + 64] = "no attempt";
  double backoff = 0.5;
  tc_status st = TC_OK;
  for (int attempt = 1;; attempt++) {
    double left = att_http_time_left(c);
    if (left < 0.05) {
      st = tc_fail(err, TC_ERR_IO, "service_unreachable",
                   "%s %s: no answer within the %u s deadline (%d attempts; last: %s)", method, url,
                   c->cfg.deadline_s, attempt - 1, last);
      break;
    }
    long tmo_ms = (long)((left < c->cfg.attempt_s ? left : c->cfg.attempt_s) * 1000);
    tc_sink s = {.max = ANSWER_MAX};
    char ebuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c->h, CURLOPT_URL, url);
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, tmo_ms);
    curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, tmo_ms < 10000 ? tmo_ms : 10000L);
    curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, tc_sink_write);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &s);
    if (body) {
      curl_easy_setopt(c->h, CURLOPT_POST, 1L);
      curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
      curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else if (strcmp(method, "POST") == 0) {
      curl_easy_setopt(c->h, CURLOPT_POST, 1L);
      curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, "");
      curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, 0L);
    } else {
      curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
    }
    CURLcode rc = curl_easy_perform(c->h);
    long code = 0;
    curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
    int retry;
    if (rc != CURLE_OK) {
      snprintf(last, sizeof last, "%s",
               s.overflow ? "answer larger than 16 MiB"
               : ebuf[0]  ? ebuf
                          : curl_easy_strerror(rc));
      retry = !s.overflow && rc != CURLE_SSL_CACERT_BADFILE &&
              rc != CURLE_PEER_FAILED_VERIFICATION && rc != CURLE_UNSUPPORTED_PROTOCOL &&
              rc != CURLE_URL_MALFORMAT;
      if (!retry) {
        tc_strbuf_free(&s.buf);
        st = tc_fail(err, TC_ERR_IO, "service_unreachable", "%s %s: %s", method, url, last);
        break;
      }
    } else {
      retry = code == 429 || code >= 500;
      if (!retry) {
        *status = code;
        *answer = tc_strbuf_take(&s.buf);
        st = *answer ? TC_OK : tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "answer");
        break;
      }
      snprintf(last, sizeof last, "HTTP %ld", code);
    }
    tc_strbuf_free(&s.buf);
    if (c->cfg.verbose)
      fprintf(stderr, "teectl attest: %s %s: %s; retrying in %.1f s\n", method, url, last, backoff);
    if (att_http_time_left(c) <= backoff) {
      st = tc_fail(err, TC_ERR_IO, "service_unreachable",
                   "%s %s: no usable answer within the %u s deadline (%d attempts; last: %s)",
                   method, url, c->cfg.deadline_s, attempt, last);
      break;
    }
    struct timespec ts = {(time_t)backoff, (long)((backoff - (double)(time_t)backoff) * 1e9)};
    nanosleep(&ts, NULL);
    backoff = backoff * 2 > 8 ? 8 : backoff * 2;
  }
  curl_slist_free_all(hdr);
  free(url);
  return st;
}

void att_refusal(long status, const char *body, tc_error *err) {
  json_t *j = json_loads(body ? body : "", 0, NULL);
  const char *code = json_string_value(json_object_get(j, "error"));
  if (!code)
    code = json_string_value(json_object_get(j, "type"));
  const char *detail = json_string_value(json_object_get(j, "detail"));
  char rules[256] = "";
  size_t i, off = 0;
  json_t *r;
  json_array_foreach(json_object_get(j, "failed_rules"), i, r) {
    const char *name = json_string_value(json_object_get(r, "rule"));
    if (name && off < sizeof rules)
      off += (size_t)snprintf(rules + off, sizeof rules - off, "%s%s", off ? ", " : "", name);
  }
  if (code)
    tc_fail(err, TC_ERR_VERIFY, "attestation_refused", "HTTP %ld %s: %s%s%s%s", status, code,
            detail ? detail : "(no detail)", rules[0] ? " (failed rules: " : "", rules,
            rules[0] ? ")" : "");
  else
    tc_fail(err, TC_ERR_VERIFY, "attestation_refused", "HTTP %ld: %.300s", status,
            body ? body : "");
  json_decref(j);
}
