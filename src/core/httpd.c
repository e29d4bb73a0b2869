/* SPDX-License-Identifier: Apache-2.0 */
/* Answers of the HTTP servers on libmicrohttpd (see httpd.h). */
#include "core/httpd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

httpd_result httpd_reply(struct MHD_Connection *c, unsigned status, const char *ctype, void *body,
                         size_t len, enum MHD_ResponseMemoryMode mode, const httpd_header *extra) {
  struct MHD_Response *r =
      MHD_create_response_from_buffer(body ? len : 0, body, body ? mode : MHD_RESPMEM_PERSISTENT);
  if (r == NULL) {
    if (mode == MHD_RESPMEM_MUST_FREE)
      free(body);
    return MHD_NO;
  }
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  for (const httpd_header *h = extra; h != NULL && h->name != NULL; h++)
    MHD_add_response_header(r, h->name, h->value);
  httpd_result ok = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ok;
}

void httpd_logger(void *cls, const char *fmt, va_list ap) {
  const char *prefix = cls;
  if (prefix == NULL)
    return;
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  size_t n = strlen(msg);
  while (n > 0 && msg[n - 1] == '\n')
    msg[--n] = '\0';
  fprintf(stderr, "%s: libmicrohttpd: %s\n", prefix, msg);
}

static int env_on(const char *name) {
  const char *v = getenv(name);
  return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

const char *httpd_log_prefix(const char *cmd) {
  return env_on("TEECTL_MHD_LOG") || env_on("TEECTL_SERVE_MHD_LOG") ? cmd : NULL;
}
