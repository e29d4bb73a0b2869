/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP endpoint for the exporter (libmicrohttpd): GET /metrics and /healthz. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/httpd.h"
#include "teectl/exporter.h"
#include "teectl/listen.h"

typedef httpd_result mhd_result;

/* Limits (issue: 64 idle connections used to make /healthz unreachable). Idle connections
 * are closed after IDLE_TIMEOUT_S; up to MAX_CONNECTIONS are served at once by POOL_THREADS
 * threads; a scrape runs in its own thread (at most MAX_SCRAPES at a time, beyond that 503)
 * while its connection is suspended, so no libmicrohttpd thread ever waits for a scrape and
 * /healthz is answered at once whatever the scrapes do. */
enum { POOL_THREADS = 2, MAX_CONNECTIONS = 256, IDLE_TIMEOUT_S = 5, MAX_SCRAPES = 4 };

struct tc_exporter_server {
  struct MHD_Daemon *daemon;
  tc_exporter *x;
  pthread_mutex_t mu;
  pthread_cond_t idle; /* signalled when scrapes drops to 0 */
  unsigned scrapes;    /* scrape threads running */
};

/* One /metrics request while its scrape runs: the request's state from the scrape's start
 * until the answer is queued. */
struct scrape_job {
  tc_exporter_server *s;
  struct MHD_Connection *c;
  char *text;
  size_t len;
  int done, ok;
};

static int first_call_marker; /* request state before a scrape job exists */

static const char CONTENT_TYPE[] = "text/plain; version=0.0.4; charset=utf-8";

static mhd_result reply(struct MHD_Connection *c, unsigned code, const char *type, void *body,
                        size_t len, enum MHD_ResponseMemoryMode mode) {
  return httpd_reply(c, code, type, body, len, mode, NULL);
}

static mhd_result reply_text(struct MHD_Connection *c, unsigned code, const char *msg) {
  return reply(c, code, "text/plain; charset=utf-8", (void *)msg, strlen(msg),
               MHD_RESPMEM_PERSISTENT);
}

static void *scrape_thread(void *arg) {
  struct scrape_job *j = arg;
  tc_exporter_server *s = j->s;
  tc_error cerr, err;
  if (tc_exporter_scrape(s->x, &j->text, &j->len, &cerr, &err) == TC_OK) {
    j->ok = 1;
    if (cerr.status != TC_OK)
      fprintf(stderr, "teectl exporter: collector failed: %s: %s\n", cerr.reason, cerr.detail);
  } else {
    fprintf(stderr, "teectl exporter: scrape failed: %s: %s\n", err.reason, err.detail);
  }
  pthread_mutex_lock(&s->mu);
  j->done = 1;
  MHD_resume_connection(j->c); /* the handler runs again and answers */
  if (--s->scrapes == 0)
    pthread_cond_broadcast(&s->idle);
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

/* GET /metrics: start a scrape thread and suspend the connection (answer later), or answer
 * the finished scrape. */
static mhd_result metrics(tc_exporter_server *s, struct MHD_Connection *c, void **state) {
  if (*state != &first_call_marker) {
    struct scrape_job *j = *state;
    pthread_mutex_lock(&s->mu);
    int done = j->done;
    pthread_mutex_unlock(&s->mu);
    if (!done)
      return MHD_YES; /* not ours to answer yet */
    *state = &first_call_marker;
    mhd_result r = j->ok
                       ? reply(c, MHD_HTTP_OK, CONTENT_TYPE, j->text, j->len, MHD_RESPMEM_MUST_FREE)
                       : reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "scrape failed\n");
    free(j);
    return r;
  }
  struct scrape_job *j = calloc(1, sizeof *j);
  if (j == NULL)
    return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
  j->s = s;
  j->c = c;
  pthread_mutex_lock(&s->mu);
  int busy = s->scrapes >= MAX_SCRAPES;
  if (!busy)
    s->scrapes++;
  pthread_mutex_unlock(&s->mu);
  if (busy) {
    free(j);
    return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "too many scrapes in progress\n");
  }
  *state = j;
  MHD_suspend_connection(c); /* before the thread may resume it */
  pthread_t t;
  pthread_attr_t a;
  int rc = pthread_attr_init(&a);
  if (rc == 0) {
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    rc = pthread_create(&t, &a, scrape_thread, j);
    pthread_attr_destroy(&a);
  }
  if (rc != 0) {
    j->done = 1; /* ok = 0: answered 500 once resumed */
    pthread_mutex_lock(&s->mu);
    if (--s->scrapes == 0)
      pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->mu);
    MHD_resume_connection(c);
  }
  return MHD_YES;
}

static mhd_result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                         const char *version, const char *upload_data, size_t *upload_size,
                         void **state) {
  (void)version;
  (void)upload_data;
  tc_exporter_server *s = cls;
  if (*state == NULL) { /* headers seen; wait for the (empty) body */
    *state = &first_call_marker;
    return MHD_YES;
  }
  if (*upload_size != 0) {
    *upload_size = 0; /* ignore any body */
    return MHD_YES;
  }
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
    return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD are served\n");
  if (strcmp(url, "/metrics") == 0)
    return metrics(s, c, state);
  if (strcmp(url, "/healthz") == 0) /* liveness/readiness: the server answers; no scrape */
    return reply_text(c, MHD_HTTP_OK, "ok\n");
  if (strcmp(url, "/") == 0)
    return reply_text(c, MHD_HTTP_OK, "teectl exporter: metrics at /metrics\n");
  return reply_text(c, MHD_HTTP_NOT_FOUND, "not found; metrics are at /metrics\n");
}

/* A request ends (answered, or the connection went away): free a job left behind. */
static void completed(void *cls, struct MHD_Connection *c, void **state,
                      enum MHD_RequestTerminationCode code) {
  (void)cls;
  (void)c;
  (void)code;
  if (state != NULL && *state != NULL && *state != &first_call_marker) {
    struct scrape_job *j = *state;
    free(j->text);
    free(j);
    *state = NULL;
  }
}

tc_status tc_exporter_serve(tc_exporter *x, const char *listen, tc_exporter_server **out,
                            unsigned *bound_port, tc_error *err) {
  *out = NULL;
  tc_listen_addr addr;
  tc_status st = tc_listen_parse(listen, &addr, err);
  if (st != TC_OK)
    return st;
  tc_exporter_server *s = calloc(1, sizeof *s);
  if (s == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "server");
  s->x = x;
  if (pthread_mutex_init(&s->mu, NULL) != 0) {
    free(s);
    return tc_fail(err, TC_ERR_INTERNAL, "mutex_init_failed", "pthread_mutex_init");
  }
  if (pthread_cond_init(&s->idle, NULL) != 0) {
    pthread_mutex_destroy(&s->mu);
    free(s);
    return tc_fail(err, TC_ERR_INTERNAL, "mutex_init_failed", "pthread_cond_init");
  }
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
#ifdef __linux__
  flags |= MHD_USE_EPOLL;
#endif
  if (addr.is_v6)
    flags |= MHD_USE_IPv6;
  s->daemon = MHD_start_daemon(
      flags, (uint16_t)addr.port, NULL, NULL, handle, s, MHD_OPTION_EXTERNAL_LOGGER, httpd_logger,
      (void *)httpd_log_prefix("teectl exporter"), MHD_OPTION_SOCK_ADDR,
      (const struct sockaddr *)&addr.addr, MHD_OPTION_NOTIFY_COMPLETED, completed, s,
      MHD_OPTION_THREAD_POOL_SIZE, (unsigned)POOL_THREADS, MHD_OPTION_CONNECTION_LIMIT,
      (unsigned)MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
      MHD_OPTION_END);
  if (s->daemon == NULL) {
    pthread_cond_destroy(&s->idle);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return tc_listen_failed(&addr, listen, "address in use or not permitted", err);
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  if (bound_port)
    *bound_port = info ? info->port : addr.port;
  *out = s;
  return TC_OK;
}

void tc_exporter_server_stop(tc_exporter_server *s) {
  if (s == NULL)
    return;
  /* libmicrohttpd must not be stopped with connections suspended: let running scrapes end
   * (each resumes its connection) first. */
  pthread_mutex_lock(&s->mu);
  while (s->scrapes > 0)
    pthread_cond_wait(&s->idle, &s->mu);
  pthread_mutex_unlock(&s->mu);
  MHD_stop_daemon(s->daemon);
  pthread_cond_destroy(&s->idle);
  pthread_mutex_destroy(&s->mu);
  free(s);
}
