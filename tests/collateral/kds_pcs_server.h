/* SPDX-License-Identifier: Apache-2.0 */
/* A scripted HTTP server on loopback (libmicrohttpd, random port) that plays AMD KDS and
 * Intel PCS / PCCS for the collateral tests: fixed routes (path + query) with a body and
 * optional header, request counting per route, scripted 429/503 answers, a response
 * delay (to hold concurrent requests in flight). */
#ifndef TEECTL_TEST_KDS_PCS_SERVER_H
#define TEECTL_TEST_KDS_PCS_SERVER_H

#include <stddef.h>

typedef struct ts_server ts_server;

/* Start on 127.0.0.1 with a kernel-chosen port; aborts the test on failure. */
ts_server *ts_start(void);
/* The same over HTTPS with this PEM certificate chain and key (a PCCS with its own CA);
 * ts_base then says "https://127.0.0.1:PORT". */
ts_server *ts_start_tls(const char *cert_pem, const char *key_pem);
void ts_stop(ts_server *s);
/* "http://127.0.0.1:PORT" */
const char *ts_base(const ts_server *s);

/* Serve body (copied) with status 200 at exactly uri ("/path?query"); header may be NULL.
 * Replaces an existing route with the same uri. */
void ts_route(ts_server *s, const char *uri, const void *body, size_t len, const char *header,
              const char *header_value);
/* The next n requests to uri get `status` (429 or 503) with Retry-After: retry_after
 * (NULL: no header) before the route answers normally. */
void ts_fail_next(ts_server *s, const char *uri, int n, int status, const char *retry_after);
/* Every response waits ms milliseconds first. */
void ts_delay_ms(ts_server *s, int ms);
/* Requests seen for uri (any answer, including 404 for unknown uris) and in total. */
unsigned ts_count(ts_server *s, const char *uri);
unsigned ts_total(ts_server *s);
/* Value of the last request's header `name` for uri ("" if absent); static buffer. */
const char *ts_last_header(ts_server *s, const char *uri, const char *name);

#endif
