/* SPDX-License-Identifier: Apache-2.0 */
/* The service's HTTP layer (libmicrohttpd), not a public API: the route table, the
 * per-request state handlers see, and the reply helpers.
 *
 * Routing: a request's path is looked up exactly among the table's rows; only when no
 * row matches exactly, rows marked SVC_ROUTE_PREFIX (path ending in '/', e.g.
 * "/kbs/v0/resource/") match any path that starts with them, the longest prefix winning,
 * and the handler finds the rest of the path in r->tail. Adding a route is one row in
 * routes.c and one handler. */
#ifndef TEECTL_SERVICE_HTTP_H
#define TEECTL_SERVICE_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stddef.h>
#include <time.h>

#include "core/httpd.h"
#include "service/state.h"
#include "teectl/listen.h"

struct svc_request;

/** A route's handler: called once the whole body is in r (at most max_body_bytes); it must
 *  answer with one of the svc_reply* helpers and return their result. */
typedef enum MHD_Result (*svc_handler)(tc_service *svc, struct svc_request *r);

enum {
  SVC_ROUTE_JSON_BODY = 1u << 0, /* POST with a Content-Type: application/json body (else 415) */
  SVC_ROUTE_PREFIX = 1u << 1,    /* path is a prefix ending in '/'; see above */
  SVC_ROUTE_METRICS = 1u << 2,   /* with --metrics-listen: served there only (404 on the main
                                    address); the metrics address serves nothing else */
  SVC_ROUTE_NO_HEAD = 1u << 3,   /* a GET route that does not answer HEAD (405, Allow: GET):
                                    its handler acts (a secret's release), so a HEAD must never
                                    reach it */
};

struct svc_route {
  const char *path;   /* exact path, or with SVC_ROUTE_PREFIX a prefix ending in '/' */
  const char *method; /* the one method accepted ("GET" also answers HEAD unless
                         SVC_ROUTE_NO_HEAD); else 405 */
  unsigned flags;     /* SVC_ROUTE_* */
  svc_handler handler;
};

/** The route table (routes.c) and its length. Also the metrics' "route" label values:
 *  the row's path (a prefix route counts under its prefix), "other" for no route. */
extern const struct svc_route svc_routes[];
extern const size_t svc_n_routes;

/** The key broker's handlers (service/kbs.c, docs/kbs.md): POST /kbs/v0/auth,
 *  POST /kbs/v0/attest, GET /kbs/v0/resource/<repository>/<type>/<tag>. */
enum MHD_Result svc_kbs_auth(tc_service *svc, struct svc_request *r);
enum MHD_Result svc_kbs_attest(tc_service *svc, struct svc_request *r);
enum MHD_Result svc_kbs_resource(tc_service *svc, struct svc_request *r);

/** The route for path, or NULL (404). */
const struct svc_route *svc_route_find(const char *path);

/** Per-request state (libmicrohttpd's con_cls). */
struct svc_request {
  struct MHD_Connection *conn;
  const struct svc_route *route; /* NULL: no route (answered 404) */
  const char *tail;              /* prefix routes: the path after the prefix; else "" */
  char *body;                    /* the request body, NUL-terminated (NULL if empty) */
  size_t len, cap;
  int too_large;
  int responded;
  char remote[64];       /* client IP address text, "" if unknown */
  struct timespec start; /* monotonic: when the headers were complete */
};

/** A request header's value (case-insensitive name), or NULL. */
const char *svc_request_header(struct svc_request *r, const char *name);

/** Answer status with len bytes of text (malloc'd, stolen; NULL: empty body) of type ctype,
 *  plus "Cache-Control: no-store" and the extra headers (NULL or a NULL-name-terminated
 *  array). Counts the request in the metrics under its route. */
enum MHD_Result svc_reply(tc_service *svc, struct svc_request *r, unsigned status,
                          const char *ctype, char *text, size_t len, const httpd_header *extra);

/** Answer a JSON value (stolen; NULL or unserialisable: 500 internal_error). */
enum MHD_Result svc_reply_json(tc_service *svc, struct svc_request *r, unsigned status, json_t *v);

/** The answer text of v = {"token": JWS} when the token is a compact JWS (malloc'd,
 *  NUL-terminated), else NULL (any other value; also out of memory). A compact JWS is
 *  base64url parts joined by dots (RFC 7515 section 7.1), characters JSON never escapes
 *  (RFC 8259 section 7): the text is byte for byte json_dumps(v, JSON_COMPACT)'s, without
 *  jansson's per-character pass over the token, the largest part of an answer. */
char *svc_token_answer_text(const json_t *v);

/** Answer {"error": code, "detail": detail}. */
enum MHD_Result svc_reply_error(tc_service *svc, struct svc_request *r, unsigned status,
                                const char *code, const char *detail);

/** Start the daemon on the service's address with its limits (svc->daemon, svc->port).
 *  Errors: TC_ERR_INTERNAL "listen_failed" naming the address and the system's reason. */
tc_status svc_http_start(tc_service *svc, const tc_listen_addr *addr, tc_error *err);

/** Stop accepting, let in-flight requests finish (up to drain_timeout seconds), stop.
 *  Returns the number of requests still running at the drain timeout; then the daemon is
 *  left running (its threads may be blocked) and nothing is freed. */
unsigned svc_http_stop(tc_service *svc);

#endif
