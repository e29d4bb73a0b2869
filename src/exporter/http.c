/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP endpoint for the exporter (libmicrohttpd): GET /metrics and /healthz. */
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "teectl/exporter.h"

#if MHD_VERSION < 0x00097002
typedef int mhd_result;
#else
typedef enum MHD_Result mhd_result;
#endif

struct tc_exporter_server {
  struct MHD_Daemon *daemon;
  tc_exporter *x;
};

static const char CONTENT_TYPE[] = "text/plain; version=0.0.4; charset=utf-8";

static mhd_result reply(struct MHD_Connection *c, unsigned code, const char *type, void *body,
                        size_t len, enum MHD_ResponseMemoryMode mode) {
  struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
  if (r == NULL) {
    if (mode == MHD_RESPMEM_MUST_FREE)
      free(body);
    return MHD_NO;
  }
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  mhd_result ok = MHD_queue_response(c, code, r);
  MHD_destroy_response(r);
  return ok;
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

/* Split "HOST:PORT" / "[V6]:PORT" into host and port strings. */
static int split_listen(const char *listen, char *host, size_t host_cap, char *port,
                        size_t port_cap) {
  const char *colon;
  const char *h = listen;
  size_t hlen;
  if (listen[0] == '[') {
    const char *close = strchr(listen, ']');
    if (close == NULL || close[1] != ':')
      return -1;
    h = listen + 1;
    hlen = (size_t)(close - h);
    colon = close + 1;
  } else {
    colon = strrchr(listen, ':');
    if (colon == NULL || strchr(listen, ':') != colon)
      return -1;
    hlen = (size_t)(colon - listen);
  }
  const char *p = colon + 1;
  size_t plen = strlen(p);
  if (hlen == 0 || hlen >= host_cap || plen == 0 || plen >= port_cap || plen > 5)
    return -1;
  long v = 0;
  for (size_t i = 0; i < plen; i++) {
    if (p[i] < '0' || p[i] > '9')
      return -1;
    v = v * 10 + (p[i] - '0');
  }
  if (v > 65535)
    return -1;
  memcpy(host, h, hlen);
  host[hlen] = '\0';
  memcpy(port, p, plen + 1);
  return 0;
}

tc_status tc_exporter_serve(tc_exporter *x, const char *listen, tc_exporter_server **out,
                            unsigned *bound_port, tc_error *err) {
  *out = NULL;
  char host[256], port[8];
  if (listen == NULL || split_listen(listen, host, sizeof host, port, sizeof port) != 0)
    return tc_fail(err, TC_ERR_USAGE, "bad_listen_address",
                   "listen address '%s' is not HOST:PORT (IPv6: [ADDR]:PORT)",
                   listen ? listen : "(null)");
  struct addrinfo hints, *ai = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
  int rc = getaddrinfo(host, port, &hints, &ai);
  if (rc != 0 || ai == NULL)
    return tc_fail(err, TC_ERR_USAGE, "bad_listen_address", "listen address '%s': %s", listen,
                   gai_strerror(rc));
  tc_exporter_server *s = calloc(1, sizeof *s);
  if (s == NULL) {
    freeaddrinfo(ai);
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "server");
  }
  s->x = x;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
  if (ai->ai_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  struct sockaddr_storage sa;
  memset(&sa, 0, sizeof sa);
  memcpy(&sa, ai->ai_addr, ai->ai_addrlen);
  uint16_t port_num = (uint16_t)strtoul(port, NULL, 10); /* checked: 0..65535 */
  freeaddrinfo(ai);
  s->daemon = MHD_start_daemon(flags, port_num, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR,
                               (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT, 64u,
                               MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
  if (s->daemon == NULL) {
    free(s);
    return tc_fail(err, TC_ERR_IO, "listen_failed",
                   "cannot listen on %s (address in use or not permitted)", listen);
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  if (bound_port)
    *bound_port = info ? info->port : port_num;
  *out = s;
  return TC_OK;
}

void tc_exporter_server_stop(tc_exporter_server *s) {
  if (s == NULL)
    return;
  MHD_stop_daemon(s->daemon);
  free(s);
}
