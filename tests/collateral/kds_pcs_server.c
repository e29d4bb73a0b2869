/* SPDX-License-Identifier: Apache-2.0 */
#include "kds_pcs_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ROUTES 128

struct route {
  char *uri;
  unsigned char *body;
  size_t len;
  char *header, *header_value;
  int fail_n, fail_status;
  char retry_after[64];
  unsigned count;
  char last_key_header[256];
};

struct ts_server {
  struct MHD_Daemon *d;
  char base[64];
  pthread_mutex_t mu;
  struct route routes[MAX_ROUTES];
  size_t n_routes;
  unsigned total;
  int delay_ms;
};

static struct route *find(ts_server *s, const char *uri, int create) {
  for (size_t i = 0; i < s->n_routes; i++)
    if (strcmp(s->routes[i].uri, uri) == 0)
      return &s->routes[i];
  if (!create || s->n_routes == MAX_ROUTES)
    return NULL;
  struct route *r = &s->routes[s->n_routes++];
  memset(r, 0, sizeof *r);
  r->uri = strdup(uri);
  return r;
}

/* MHD hands us the raw request URI (path + query) here, before parsing. */
static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c) {
  (void)cls;
  (void)c;
  return strdup(uri);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  (void)toe;
  free(*con_cls);
  *con_cls = NULL;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls) {
  (void)url;
  (void)version;
  (void)upload;
  (void)upload_size;
  ts_server *s = cls;
  const char *uri = *con_cls ? *con_cls : "";
  if (strcmp(method, "GET") != 0)
    return MHD_NO;
  pthread_mutex_lock(&s->mu);
  int delay = s->delay_ms;
  s->total++;
  struct route *r = find(s, uri, 1);
  int status = 404;
  unsigned char *body = NULL;
  size_t len = 0;
  char hname[128] = "", hval[16384] = "", retry[64] = "";
  if (r != NULL) {
    r->count++;
    const char *k = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Ocp-Apim-Subscription-Key");
    snprintf(r->last_key_header, sizeof r->last_key_header, "%s", k ? k : "");
    if (r->fail_n > 0) {
      r->fail_n--;
      status = r->fail_status;
      snprintf(retry, sizeof retry, "%s", r->retry_after);
    } else if (r->body != NULL) {
      status = 200;
      body = malloc(r->len ? r->len : 1);
      memcpy(body, r->body, r->len);
      len = r->len;
      if (r->header) {
        snprintf(hname, sizeof hname, "%s", r->header);
        snprintf(hval, sizeof hval, "%s", r->header_value);
      }
    }
  }
  pthread_mutex_unlock(&s->mu);
  if (delay > 0) {
    struct timespec ts = {delay / 1000, (long)(delay % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  struct MHD_Response *resp =
      body ? MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE)
           : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
  if (hname[0])
    MHD_add_response_header(resp, hname, hval);
  if (retry[0])
    MHD_add_response_header(resp, "Retry-After", retry);
  enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
  MHD_destroy_response(resp);
  return ret;
}

ts_server *ts_start(void) {
  return ts_start_tls(NULL, NULL);
}

ts_server *ts_start_tls(const char *cert_pem, const char *key_pem) {
  ts_server *s = calloc(1, sizeof *s);
  pthread_mutex_init(&s->mu, NULL);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = 0;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  unsigned flags =
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
  if (cert_pem != NULL)
    s->d = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, handler, s, MHD_OPTION_SOCK_ADDR,
                            &sa, MHD_OPTION_URI_LOG_CALLBACK, uri_log, NULL,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_HTTPS_MEM_CERT,
                            cert_pem, MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_END);
  else
    s->d = MHD_start_daemon(flags, 0, NULL, NULL, handler, s, MHD_OPTION_SOCK_ADDR, &sa,
                            MHD_OPTION_URI_LOG_CALLBACK, uri_log, NULL, MHD_OPTION_NOTIFY_COMPLETED,
                            completed, NULL, MHD_OPTION_END);
  if (s->d == NULL) {
    fprintf(stderr, "cannot start the test HTTP server on loopback\n");
    exit(1);
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
  snprintf(s->base, sizeof s->base, "%s://127.0.0.1:%u", cert_pem ? "https" : "http",
           (unsigned)info->port);
  return s;
}

void ts_stop(ts_server *s) {
  if (s == NULL)
    return;
  MHD_stop_daemon(s->d);
  for (size_t i = 0; i < s->n_routes; i++) {
    free(s->routes[i].uri);
    free(s->routes[i].body);
    free(s->routes[i].header);
    free(s->routes[i].header_value);
  }
  pthread_mutex_destroy(&s->mu);
  free(s);
}

const char *ts_base(const ts_server *s) {
  return s->base;
}

void ts_route(ts_server *s, const char *uri, const void *body, size_t len, const char *header,
              const char *header_value) {
  pthread_mutex_lock(&s->mu);
  struct route *r = find(s, uri, 1);
  free(r->body);
  free(r->header);
  free(r->header_value);
  r->body = malloc(len ? len : 1);
  memcpy(r->body, body, len);
  r->len = len;
  r->header = header ? strdup(header) : NULL;
  r->header_value = header_value ? strdup(header_value) : NULL;
  pthread_mutex_unlock(&s->mu);
}

void ts_fail_next(ts_server *s, const char *uri, int n, int status, const char *retry_after) {
  pthread_mutex_lock(&s->mu);
  struct route *r = find(s, uri, 1);
  r->fail_n = n;
  r->fail_status = status;
  snprintf(r->retry_after, sizeof r->retry_after, "%s", retry_after ? retry_after : "");
  pthread_mutex_unlock(&s->mu);
}

void ts_delay_ms(ts_server *s, int ms) {
  pthread_mutex_lock(&s->mu);
  s->delay_ms = ms;
  pthread_mutex_unlock(&s->mu);
}

unsigned ts_count(ts_server *s, const char *uri) {
  pthread_mutex_lock(&s->mu);
  struct route *r = find(s, uri, 0);
  unsigned n = r ? r->count : 0;
  pthread_mutex_unlock(&s->mu);
  return n;
}

unsigned ts_total(ts_server *s) {
  pthread_mutex_lock(&s->mu);
  unsigned n = s->total;
  pthread_mutex_unlock(&s->mu);
  return n;
}

const char *ts_last_header(ts_server *s, const char *uri, const char *name) {
  static char buf[256];
  (void)name; /* only Ocp-Apim-Subscription-Key is recorded */
  pthread_mutex_lock(&s->mu);
  struct route *r = find(s, uri, 0);
  snprintf(buf, sizeof buf, "%s", r ? r->last_key_header : "");
  pthread_mutex_unlock(&s->mu);
  return buf;
}
