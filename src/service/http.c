/* SPDX-License-Identifier: Apache-2.0 */
/* The service's HTTP layer on libmicrohttpd: per-request state, routing through the
 * table of routes.c, request limits (method, Content-Type, body size, upload time),
 * replies, and the daemon's start and graceful stop. */
#include "service/http.h"
#include "service/request.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* ------------------------------------------------------------------ replies */

static const char *route_label(const struct svc_request *r) {
  return r->route ? r->route->path : "other";
}

enum MHD_Result svc_reply(tc_service *svc, struct svc_request *r, unsigned status,
                          const char *ctype, char *text, size_t len, const httpd_header *extra) {
  enum MHD_Result ret =
      httpd_reply(r->conn, status, ctype, text, len, MHD_RESPMEM_MUST_FREE, extra);
  r->responded = 1;
  svc_metrics_request(svc->metrics, route_label(r), status);
  return ret;
}

char *svc_token_answer_text(const json_t *v) {
  static const char jws_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789-_.";
  const json_t *tok = json_object_size(v) == 1 ? json_object_get(v, "token") : NULL;
  if (!json_is_string(tok))
    return NULL;
  const char *t = json_string_value(tok);
  size_t n = json_string_length(tok);
  if (strspn(t, jws_chars) != n)
    return NULL;
  static const char head[] = "{\"token\":\"", tail[] = "\"}";
  char *text = malloc(sizeof head - 1 + n + sizeof tail);
  if (text != NULL) {
    memcpy(text, head, sizeof head - 1);
    memcpy(text + sizeof head - 1, t, n);
    memcpy(text + sizeof head - 1 + n, tail, sizeof tail);
  }
  return text;
}

static enum MHD_Result reply_json(tc_service *svc, struct svc_request *r, unsigned status,
                                  json_t *v, const httpd_header *extra) {
  char *text = svc_token_answer_text(v);
  if (text == NULL && v != NULL)
    text = json_dumps(v, JSON_COMPACT);
  json_decref(v);
  if (text == NULL) {
    static const char oom[] = "{\"error\":\"internal_error\",\"detail\":\"out of memory\"}";
    enum MHD_Result ret = httpd_reply(r->conn, 500, "application/json", (void *)oom, sizeof oom - 1,
                                      MHD_RESPMEM_PERSISTENT, NULL);
    r->responded = 1;
    return ret;
  }
  return svc_reply(svc, r, status, "application/json", text, strlen(text), extra);
}

enum MHD_Result svc_reply_json(tc_service *svc, struct svc_request *r, unsigned status, json_t *v) {
  return reply_json(svc, r, status, v, NULL);
}

enum MHD_Result svc_reply_error(tc_service *svc, struct svc_request *r, unsigned status,
                                const char *code, const char *detail) {
  return svc_reply_json(svc, r, status, svc_error_body(code, detail));
}

const char *svc_request_header(struct svc_request *r, const char *name) {
  return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* ------------------------------------------------------------------ requests */

/* application/json (RFC 8259 section 11), parameters allowed; a charset other than utf-8
 * is refused (JSON between systems is UTF-8). A NUL byte inside the header value cannot be
 * seen here: libmicrohttpd 0.9.x hands the value over cut at the NUL (docs/service.md). */
static int is_json_type(const char *ct) {
  if (ct == NULL)
    return 0;
  size_t n = strlen("application/json");
  if (strncasecmp(ct, "application/json", n) != 0)
    return 0;
  for (const char *p = ct + n;;) {
    p += strspn(p, " \t");
    if (*p == '\0')
      return 1;
    if (*p++ != ';')
      return 0;
    p += strspn(p, " \t");
    size_t name = strcspn(p, "=;");
    const char *val = p[name] == '=' ? p + name + 1 : p + name;
    size_t vlen = strcspn(val, ";");
    while (vlen > 0 && (val[vlen - 1] == ' ' || val[vlen - 1] == '\t'))
      vlen--;
    if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
      val++;
      vlen -= 2;
    }
    if (name == 7 && strncasecmp(p, "charset", 7) == 0 &&
        !(vlen == 5 && strncasecmp(val, "utf-8", 5) == 0))
      return 0;
    p = val + strcspn(val, ";");
  }
}

static void remote_of(struct MHD_Connection *c, char *out, size_t cap) {
  out[0] = '\0';
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (ci == NULL || ci->client_addr == NULL)
    return;
  const struct sockaddr *sa = ci->client_addr;
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
              (socklen_t)cap);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
              (socklen_t)cap);
}

/* The headers are complete: route, method, Content-Type and declared length. MHD_YES
 * with r->responded unset: wait for the body. */
static enum MHD_Result on_headers(tc_service *svc, struct svc_request *r, const char *url,
                                  const char *method) {
  r->route = svc_route_find(url);
  if (r->route != NULL && svc->metrics_daemon != NULL) {
    /* with a metrics address, /metrics lives there and nothing else does */
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_DAEMON);
    int on_metrics = ci != NULL && ci->daemon == svc->metrics_daemon;
    if (!(r->route->flags & SVC_ROUTE_METRICS) != !on_metrics)
      r->route = NULL;
  }
  if (r->route == NULL)
    return svc_reply_error(svc, r, 404, "not_found", "no such route");
  r->tail = (r->route->flags & SVC_ROUTE_PREFIX) ? url + strlen(r->route->path) : "";
  const char *want = r->route->method;
  int head_as_get = strcmp(want, "GET") == 0 && strcmp(method, "HEAD") == 0 &&
                    !(r->route->flags & SVC_ROUTE_NO_HEAD);
  if (strcmp(method, want) != 0 && !head_as_get) {
    char d[160];
    snprintf(d, sizeof d, "%s accepts %s only", r->route->path, want);
    const httpd_header allow[] = {{MHD_HTTP_HEADER_ALLOW, want}, {NULL, NULL}};
    return reply_json(svc, r, 405, svc_error_body("method_not_allowed", d), allow);
  }
  if ((r->route->flags & SVC_ROUTE_JSON_BODY) &&
      !is_json_type(svc_request_header(r, MHD_HTTP_HEADER_CONTENT_TYPE)))
    return svc_reply_error(svc, r, 415, "content_type_unsupported",
                           "Content-Type must be application/json (charset utf-8, if given)");
  const char *cl = svc_request_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
  if (cl != NULL) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(cl, &end, 10);
    if (errno == 0 && *end == '\0' && v > svc->opts.max_body_bytes) {
      char d[96];
      snprintf(d, sizeof d, "request body of %llu bytes exceeds the limit of %zu", v,
               svc->opts.max_body_bytes);
      return svc_reply_error(svc, r, 413, "body_too_large", d);
    }
  }
  return MHD_YES;
}

/* A piece of the body. MHD_NO drops the connection. */
static enum MHD_Result on_upload(tc_service *svc, struct svc_request *r, const char *upload,
                                 size_t *upload_size) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  double elapsed =
      (double)(now.tv_sec - r->start.tv_sec) + (double)(now.tv_nsec - r->start.tv_nsec) / 1e9;
  if (elapsed > (double)svc->opts.request_timeout) {
    /* A body trickling in byte by byte never trips the idle timeout: drop it. */
    svc_metrics_request(svc->metrics, route_label(r), 408);
    return MHD_NO;
  }
  if (!r->responded && !r->too_large) {
    if (r->len + *upload_size > svc->opts.max_body_bytes) {
      r->too_large = 1;
      free(r->body);
      r->body = NULL;
      r->len = r->cap = 0;
    } else {
      if (r->len + *upload_size + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + *upload_size + 1)
          cap *= 2;
        char *p = realloc(r->body, cap);
        if (p == NULL)
          return MHD_NO;
        r->body = p;
        r->cap = cap;
      }
      memcpy(r->body + r->len, upload, *upload_size);
      r->len += *upload_size;
      r->body[r->len] = '\0';
    }
  }
  *upload_size = 0;
  return MHD_YES;
}

/* Seconds a new connection may stay silent: the header timeout, at most the idle one. */
static unsigned first_timeout(const tc_service_options *o) {
  return o->header_timeout < o->connection_timeout ? o->header_timeout : o->connection_timeout;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
  tc_service *svc = cls;
  struct svc_request *r = *con_cls;
  (void)version;
  if (r == NULL) {
    r = calloc(1, sizeof *r);
    if (r == NULL)
      return MHD_NO;
    *con_cls = r;
    r->conn = c;
    if (svc->opts.connection_timeout != first_timeout(&svc->opts))
      MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT,
                                (unsigned int)svc->opts.connection_timeout);
    atomic_fetch_add(&svc->inflight, 1);
    remote_of(c, r->remote, sizeof r->remote);
    clock_gettime(CLOCK_MONOTONIC, &r->start);
    return on_headers(svc, r, url, method);
  }
  if (*upload_size > 0)
    return on_upload(svc, r, upload, upload_size);
  if (r->responded)
    return MHD_YES;
  if (r->too_large) {
    char d[96];
    snprintf(d, sizeof d, "request body exceeds the limit of %zu bytes", svc->opts.max_body_bytes);
    return svc_reply_error(svc, r, 413, "body_too_large", d);
  }
  atomic_fetch_add(&svc->busy, 1);
  enum MHD_Result ret = r->route->handler(svc, r);
  atomic_fetch_sub(&svc->busy, 1);
  return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  tc_service *svc = cls;
  struct svc_request *r = *con_cls;
  (void)c;
  (void)toe;
  if (r == NULL)
    return;
  free(r->body);
  free(r);
  *con_cls = NULL;
  atomic_fetch_sub(&svc->inflight, 1);
}

/* ------------------------------------------------------------------ start / stop */

/* URL and argument unescaping (MHD_OPTION_UNESCAPE_CALLBACK): libmicrohttpd's own, except
 * that a decoded NUL ("%00") becomes DEL (0x7f), which no route and no resource name accepts.
 * Handlers read the URL as a C string, so a NUL would cut it short: "/kbs/v0/resource/a/b/c%00/x"
 * would be judged and served as "a/b/c" while the audit and any proxy saw another path. */
static size_t unescape_strict(void *cls, struct MHD_Connection *c, char *s) {
  (void)cls;
  (void)c;
  size_t n = MHD_http_unescape(s);
  for (size_t i = 0; i < n; i++)
    if (s[i] == '\0')
      s[i] = '\x7f';
  return n;
}

/* The --metrics-listen daemon: plain HTTP, one thread, a few connections. */
static tc_status start_metrics(tc_service *svc, tc_error *err) {
  tc_listen_addr addr;
  tc_status s = tc_listen_parse(svc->opts.metrics_listen, &addr, err);
  if (s != TC_OK)
    return s;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_USE_POLL;
  if (addr.is_v6)
    flags |= MHD_USE_IPv6;
  svc->metrics_daemon = MHD_start_daemon(
      flags, 0, NULL, NULL, on_request, svc, MHD_OPTION_EXTERNAL_LOGGER, httpd_logger,
      (void *)httpd_log_prefix("teectl serve"), MHD_OPTION_SOCK_ADDR,
      (const struct sockaddr *)&addr.addr, MHD_OPTION_NOTIFY_COMPLETED, on_completed, svc,
      MHD_OPTION_UNESCAPE_CALLBACK, unescape_strict, NULL, MHD_OPTION_CONNECTION_LIMIT, 16u,
      MHD_OPTION_CONNECTION_TIMEOUT, svc->opts.connection_timeout, MHD_OPTION_END);
  if (svc->metrics_daemon == NULL)
    return tc_listen_failed(&addr, svc->opts.metrics_listen, "address in use", err);
  const union MHD_DaemonInfo *di =
      MHD_get_daemon_info(svc->metrics_daemon, MHD_DAEMON_INFO_BIND_PORT);
  svc->metrics_port = di ? di->port : 0;
  return TC_OK;
}

tc_status svc_http_start(tc_service *svc, const tc_listen_addr *addr, tc_error *err) {
  if (svc->opts.metrics_listen != NULL) {
    tc_status s = start_metrics(svc, err);
    if (s != TC_OK)
      return s;
  }
  const tc_service_options *opts = &svc->opts;
  unsigned threads = opts->threads;
  if (threads == 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    threads = n > 0 ? (unsigned)n : 1;
  }
  /* poll(), not epoll: libmicrohttpd 0.9.x's epoll loop takes at most 128 ready events per
   * round and then blocks in epoll_wait while the ready connections wait, so a worker with
   * 128 or more busy keep-alive connections answered a trickle (the collapse at 256
   * connections on two threads); and MHD_quiesce_daemon races the epoll workers over
   * removing the listening socket from their epoll sets and can abort the process. */
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_USE_POLL;
  if (addr->is_v6)
    flags |= MHD_USE_IPv6;
  if (svc->tls_cert_pem != NULL)
    flags |= MHD_USE_TLS;
  /* Options as an array: the thread pool only with more than one thread (libmicrohttpd
   * warns about a pool of 0), TLS only with a certificate. */
  struct MHD_OptionItem mo[10];
  size_t n = 0;
  mo[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, opts->max_connections, NULL};
  /* A new connection gets header_timeout (never more than connection_timeout) to send its
   * first request's headers; on_request then gives it connection_timeout (keep-alive). */
  mo[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, first_timeout(opts), NULL};
  if (opts->max_connections_per_client > 0)
    mo[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                      opts->max_connections_per_client, NULL};
  if (threads > 1)
    mo[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, threads, NULL};
  if (svc->tls_cert_pem != NULL) {
    mo[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, svc->tls_cert_pem};
    mo[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, svc->tls_key_pem};
  }
  mo[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
  svc->daemon = MHD_start_daemon(
      flags, 0, NULL, NULL, on_request, svc, MHD_OPTION_EXTERNAL_LOGGER, httpd_logger,
      (void *)httpd_log_prefix("teectl serve"), MHD_OPTION_SOCK_ADDR,
      (const struct sockaddr *)&addr->addr, MHD_OPTION_NOTIFY_COMPLETED, on_completed, svc,
      MHD_OPTION_UNESCAPE_CALLBACK, unescape_strict, NULL, MHD_OPTION_ARRAY, mo, MHD_OPTION_END);
  if (svc->daemon == NULL) {
    if (svc->metrics_daemon != NULL)
      MHD_stop_daemon(svc->metrics_daemon);
    svc->metrics_daemon = NULL;
    return tc_listen_failed(addr, opts->listen, "address in use, or TLS files invalid", err);
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(svc->daemon, MHD_DAEMON_INFO_BIND_PORT);
  svc->port = di ? di->port : 0;
  return TC_OK;
}

unsigned svc_http_stop(tc_service *svc) {
  /* No new connections from now on: shut down (refused from now on), but not closed
   * until the worker threads are gone: closing it under them was the abort on SIGTERM. */
  MHD_socket lsock = MHD_quiesce_daemon(svc->daemon);
  if (lsock != MHD_INVALID_SOCKET)
    shutdown(lsock, SHUT_RDWR);
  /* Let in-flight requests finish (bounded). */
  struct timespec step = {0, 20L * 1000 * 1000};
  for (unsigned i = 0; i < svc->opts.drain_timeout * 50u && atomic_load(&svc->inflight) > 0; i++)
    nanosleep(&step, NULL);
  /* A request still inside a handler (e.g. a fetch) would hold MHD_stop_daemon, which joins
   * the worker threads, as long as it runs: the drain ends at its timeout, so leave it. */
  long busy = atomic_load(&svc->busy);
  if (busy > 0)
    return (unsigned)busy;
  MHD_stop_daemon(svc->daemon);
  svc->daemon = NULL;
  if (lsock != MHD_INVALID_SOCKET)
    close(lsock);
  if (svc->metrics_daemon != NULL)
    MHD_stop_daemon(svc->metrics_daemon);
  svc->metrics_daemon = NULL;
  return 0;
}
