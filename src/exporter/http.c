/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP endpoint for the exporter (libmicrohttpd): GET /metrics and /healthz. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/httpd.h"
#include "teectl/exporter.h"
#include "teectl/listen.h"

typedef httpd_result mhd_result;

struct tc_exporter_server {
  struct MHD_Daemon *daemon;
  tc_exporter *x;
};

static const char CONTENT_TYPE[] = "text/plain; version=0.0.4; charset=utf-8";

static mhd_result reply(struct MHD_Connection *c, unsigned code, const char *type, void *body,
                        size_t len, enum MHD_ResponseMemoryMode mode) {
  return httpd_reply(c, code, type, body, len, mode, NULL);
}

static mhd_result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                         const char *version, const char *upload_data, size_t *upload_size,
                         void **state) {
  static int first_call_marker;
  tc_exporter_server *s = cls;
  if (*state == NULL) { /* headers seen; wait for the (empty) body */
    *state = &first_call_marker;
    return MHD_YES;
  }
  if (*upload_size != 0) {
    *upload_size = 0; /* ignore any body */
    return MHD_YES;
  }
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
    static char msg[] = "only GET and HEAD are served\n";
    return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", msg, sizeof msg - 1,
                 MHD_RESPMEM_PERSISTENT);
  }
  if (strcmp(url, "/metrics") == 0) {
    char *text = NULL;
    size_t len = 0;
    tc_error cerr, err;
    if (tc_exporter_scrape(s->x, &text, &len, &cerr, &err) != TC_OK) {
      fprintf(stderr, "teectl exporter: scrape failed: %s: %s\n", err.reason, err.detail);
      static char msg[] = "scrape failed\n";
      return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8", msg,
                   sizeof msg - 1, MHD_RESPMEM_PERSISTENT);
    }
    if (cerr.status != TC_OK)
      fprintf(stderr, "teectl exporter: collector failed: %s: %s\n", cerr.reason, cerr.detail);
    return reply(c, MHD_HTTP_OK, CONTENT_TYPE, text, len, MHD_RESPMEM_MUST_FREE);
  }
  if (strcmp(url, "/healthz") == 0) { /* liveness/readiness: the server answers; no scrape */
    static char msg[] = "ok\n";
    return reply(c, MHD_HTTP_OK, "text/plain; charset=utf-8", msg, sizeof msg - 1,
                 MHD_RESPMEM_PERSISTENT);
  }
  if (strcmp(url, "/") == 0) {
    static char msg[] = "teectl exporter: metrics at /metrics\n";
    return reply(c, MHD_HTTP_OK, "text/plain; charset=utf-8", msg, sizeof msg - 1,
                 MHD_RESPMEM_PERSISTENT);
  }
  static char msg[] = "not found; metrics are at /metrics\n";
  return reply(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", msg, sizeof msg - 1,
               MHD_RESPMEM_PERSISTENT);
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
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
  if (addr.is_v6)
    flags |= MHD_USE_IPv6;
  s->daemon = MHD_start_daemon(flags, (uint16_t)addr.port, NULL, NULL, handle, s,
                               MHD_OPTION_EXTERNAL_LOGGER, httpd_logger,
                               (void *)httpd_log_prefix("teectl exporter"), MHD_OPTION_SOCK_ADDR,
                               (const struct sockaddr *)&addr.addr, MHD_OPTION_CONNECTION_LIMIT,
                               64u, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
  if (s->daemon == NULL) {
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
  MHD_stop_daemon(s->daemon);
  free(s);
}
