/* SPDX-License-Identifier: Apache-2.0 */
/* What the two HTTP servers (service/, exporter/) share on libmicrohttpd: one way to
 * answer a request. Not a public API. */
#ifndef TEECTL_CORE_HTTPD_H
#define TEECTL_CORE_HTTPD_H

#include <microhttpd.h>
#include <stdarg.h>
#include <stddef.h>

#if MHD_VERSION < 0x00097002
typedef int httpd_result;
#else
typedef enum MHD_Result httpd_result;
/**
 * libmicrohttpd's own messages (MHD_OPTION_EXTERNAL_LOGGER): cls is a prefix such as
 * "teectl serve" to print them on stderr as "PREFIX: libmicrohttpd: MESSAGE", or NULL to
 * drop them, so that the server's one line says what failed (e.g. a busy port).
 */
void httpd_logger(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/** The prefix for httpd_logger: cmd ("teectl serve") when the environment variable
 *  TEECTL_MHD_LOG (or the older TEECTL_SERVE_MHD_LOG) is set and not "0", else NULL. */
const char *httpd_log_prefix(const char *cmd);

#endif

/** One extra response header; arrays of them end with a NULL name. */
typedef struct httpd_header {
  const char *name, *value;
} httpd_header;

/**
 * Queue the answer status with len bytes of body (mode: MHD_RESPMEM_MUST_FREE takes a
 * malloc'd body, freed also on failure; MHD_RESPMEM_PERSISTENT a static one; NULL body:
 * empty), "Content-Type: ctype", "Cache-Control: no-store" and the extra headers (NULL or
 * a NULL-name-terminated array). Returns MHD_queue_response's result, MHD_NO when the
 * response could not be made.
 */
httpd_result httpd_reply(struct MHD_Connection *c, unsigned status, const char *ctype, void *body,
                         size_t len, enum MHD_ResponseMemoryMode mode, const httpd_header *extra);

#endif
