/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP server of the attestation service (libmicrohttpd): routes, request bodies,
 * limits, keys, policy (re)loading, graceful stop. API and codes: docs/service.md. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "service/state.h"
#include "teectl/file.h"
#include "teectl/rfc3339.h"
#include "teectl/x509.h"

enum route {
  R_CHALLENGE,
  R_ATTEST,
  R_JWKS,
  R_HEALTHZ,
  R_READYZ,
  R_METRICS,
  R_COMPAT_ATTEST,
  R_COMPAT_HEALTH,
  R_OTHER,
};

static const struct {
  const char *path, *method;
  int json_body; /* 1: POST with a JSON body */
} routes[] = {
    [R_CHALLENGE] = {"/v1/challenge", "POST", 0},
    [R_ATTEST] = {"/v1/attest", "POST", 1},
    [R_JWKS] = {"/.well-known/jwks.json", "GET", 0},
    [R_HEALTHZ] = {"/healthz", "GET", 0},
    [R_READYZ] = {"/readyz", "GET", 0},
    [R_METRICS] = {"/metrics", "GET", 0},
    [R_COMPAT_ATTEST] = {"/attest", "POST", 1},
    [R_COMPAT_HEALTH] = {"/health", "GET", 0},
    [R_OTHER] = {"other", "", 0},
};

/* Per-request state (MHD's con_cls). */
struct req {
  enum route route;
  char *body;
  size_t len, cap;
  int too_large;
  int responded;
  char remote[64];
  struct timespec start; /* monotonic: when the headers were complete */
};

/* ------------------------------------------------------------------ replies */

static enum MHD_Result reply_raw(tc_service *svc, struct MHD_Connection *c, struct req *r,
                                 unsigned status, const char *ctype, char *text, size_t len,
                                 const char *allow) {
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      len, text, text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
  if (resp == NULL) {
    free(text);
    return MHD_NO;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  if (allow)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
  enum MHD_Result ret = MHD_queue_response(c, status, resp);
  MHD_destroy_response(resp);
  r->responded = 1;
  svc_metrics_request(svc->metrics, routes[r->route].path, status);
  return ret;
}

/* Reply with a JSON value (stolen). */
static enum MHD_Result reply_json(tc_service *svc, struct MHD_Connection *c, struct req *r,
                                  unsigned status, json_t *v, const char *allow) {
  char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
  json_decref(v);
  if (text == NULL) {
    static const char oom[] = "{\"error\":\"internal_error\",\"detail\":\"out of memory\"}";
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(sizeof oom - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
      return MHD_NO;
    enum MHD_Result ret = MHD_queue_response(c, 500, resp);
    MHD_destroy_response(resp);
    r->responded = 1;
    return ret;
  }
  return reply_raw(svc, c, r, status, "application/json", text, strlen(text), allow);
}

static enum MHD_Result reply_error(tc_service *svc, struct MHD_Connection *c, struct req *r,
                                   unsigned status, const char *code, const char *detail) {
  return reply_json(svc, c, r, status, svc_error_body(code, detail), NULL);
}

/* ------------------------------------------------------------------ policy */

static tc_status policy_load_file(const char *path, tc_policy **out, struct stat *st,
                                  tc_error *err) {
  tc_buf text = {0};
  if (stat(path, st) != 0)
    return tc_fail(err, TC_ERR_IO, "file_unreadable", "policy %s: %s", path, strerror(errno));
  tc_status s = tc_file_read(path, 4u << 20, &text, err);
  if (s != TC_OK)
    return s;
  s = tc_policy_parse((const char *)text.data, text.len, path, out, err);
  tc_buf_free(&text);
  return s;
}

static int same_file_state(const struct stat *a, const struct stat *b) {
  return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
         a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static struct svc_policy_ref *policy_ref_new(tc_policy *p) {
  struct svc_policy_ref *r = calloc(1, sizeof *r);
  if (r == NULL)
    return NULL;
  r->policy = p;
  atomic_init(&r->refs, 1);
  return r;
}

struct svc_policy_ref *svc_policy_acquire(tc_service *svc) {
  pthread_mutex_lock(&svc->policy_mu);
  struct svc_policy_ref *r = svc->policy;
  atomic_fetch_add(&r->refs, 1);
  pthread_mutex_unlock(&svc->policy_mu);
  return r;
}

void svc_policy_release(struct svc_policy_ref *r) {
  if (r != NULL && atomic_fetch_sub(&r->refs, 1) == 1) {
    tc_policy_free(r->policy);
    free(r);
  }
}

void svc_policy_maybe_reload(tc_service *svc) {
  if (svc->opts.policy == NULL)
    return;
  struct stat now;
  if (stat(svc->opts.policy, &now) != 0)
    return; /* gone for a moment (e.g. ConfigMap update): keep the loaded policy */
  pthread_mutex_lock(&svc->reload_lock);
  if (same_file_state(&now, &svc->policy_stat)) {
    pthread_mutex_unlock(&svc->reload_lock);
    return;
  }
  tc_policy *p = NULL;
  tc_error err;
  struct stat st;
  tc_status s = policy_load_file(svc->opts.policy, &p, &st, &err);
  svc->policy_stat = s == TC_OK ? st : now; /* a bad file is retried only when it changes */
  json_t *audit;
  struct svc_policy_ref *fresh = s == TC_OK ? policy_ref_new(p) : NULL;
  if (s == TC_OK && fresh == NULL) {
    tc_policy_free(p);
    s = tc_fail(&err, TC_ERR_NOMEM, "out_of_memory", "policy reference");
  }
  if (s == TC_OK) {
    audit = json_pack("{s:s, s:s, s:s}", "event", "policy_reload", "result", "success", "policy_id",
                      tc_policy_id(p));
    pthread_mutex_lock(&svc->policy_mu);
    struct svc_policy_ref *old = svc->policy;
    svc->policy = fresh;
    pthread_mutex_unlock(&svc->policy_mu);
    svc_policy_release(old); /* freed when its last in-flight holder is done */
  } else {
    audit = json_pack("{s:s, s:s, s:s, s:s}", "event", "policy_reload", "result", "failure",
                      "reason", err.reason, "detail", err.detail);
  }
  svc_metrics_policy_reload(svc->metrics, s == TC_OK);
  pthread_mutex_unlock(&svc->reload_lock);
  svc_audit(audit);
  json_decref(audit);
}

/* ------------------------------------------------------------------ routes */

static enum MHD_Result do_challenge(tc_service *svc, struct MHD_Connection *c, struct req *r) {
  uint8_t rnd[TC_NONCE_RANDOM_LEN];
  char nonce[TC_NONCE_TEXT_LEN + 1];
  tc_error err;
  int64_t exp = (int64_t)time(NULL) + svc->opts.nonce_ttl;
  if (RAND_bytes(rnd, sizeof rnd) != 1 ||
      tc_nonce_make(svc->nonce_key, svc->nonce_key_len, rnd, exp, nonce, &err) != TC_OK)
    return reply_error(svc, c, r, 500, "internal_error", "could not make a nonce");
  char ts[21];
  return reply_json(
      svc, c, r, 200,
      json_pack("{s:s, s:s}", "nonce", nonce, "expires_at", tc_rfc3339_format(exp, ts)), NULL);
}

static enum MHD_Result do_attest(tc_service *svc, struct MHD_Connection *c, struct req *r) {
  json_t *root = NULL, *body = NULL;
  unsigned status = 500;
  struct svc_attest_in in = {0};
  if (svc_request_parse(r->body ? r->body : "", r->len, 0, &root, &in, &status, &body)) {
    in.remote = r->remote;
    in.route = routes[R_ATTEST].path;
    status = svc_attest(svc, &in, &body);
  }
  svc_attest_in_free(&in);
  json_decref(root);
  return reply_json(svc, c, r, status, body, NULL);
}

/* POST /attest, the seed client's API: {"nonce","quote","measurement","tee_type"} ->
 * {"verified","timestamp","token","error"}; same pipeline, measurement compared. */
static enum MHD_Result do_compat_attest(tc_service *svc, struct MHD_Connection *c, struct req *r) {
  json_t *root = NULL, *body = NULL;
  unsigned status = 500;
  struct svc_attest_in in = {0};
  if (svc_request_parse(r->body ? r->body : "", r->len, 1, &root, &in, &status, &body)) {
    in.remote = r->remote;
    in.route = routes[R_COMPAT_ATTEST].path;
    status = svc_attest(svc, &in, &body);
  }
  svc_attest_in_free(&in);
  json_decref(root);
  /* Translate to the seed's shape. Decisions (200/403) answer 200 with verified. */
  char ts[21];
  json_t *tok = json_object_get(body, "token");
  json_t *errc = json_object_get(body, "error");
  json_t *out = json_pack("{s:b, s:s, s:O?, s:O?}", "verified", tok != NULL, "timestamp",
                          tc_rfc3339_format((int64_t)time(NULL), ts), "token", tok, "error", errc);
  if (out != NULL && errc != NULL) {
    json_t *detail = json_object_get(body, "detail");
    if (detail)
      json_object_set(out, "detail", detail);
  }
  json_decref(body);
  if (status == 403)
    status = 200;
  return reply_json(svc, c, r, status, out, NULL);
}

static enum MHD_Result do_readyz(tc_service *svc, struct MHD_Connection *c, struct req *r) {
  if (atomic_load(&svc->draining))
    return reply_error(svc, c, r, 503, "draining", "the service is shutting down");
  svc_policy_maybe_reload(svc);
  struct svc_policy_ref *pref = svc_policy_acquire(svc);
  json_t *v = json_pack("{s:s, s:s, s:s, s:b}", "status", "ready", "policy_id",
                        tc_policy_id(pref->policy), "signing_kid", tc_keyset_signing_kid(svc->keys),
                        "collateral_dir", svc->have_collateral_dir);
  svc_policy_release(pref);
  return reply_json(svc, c, r, 200, v, NULL);
}

static enum MHD_Result dispatch(tc_service *svc, struct MHD_Connection *c, struct req *r) {
  switch (r->route) {
  case R_CHALLENGE:
    return do_challenge(svc, c, r);
  case R_ATTEST:
    return do_attest(svc, c, r);
  case R_JWKS: {
    size_t n = strlen(svc->jwks_text);
    char *copy = malloc(n + 1);
    if (copy == NULL)
      return reply_error(svc, c, r, 500, "internal_error", "out of memory");
    memcpy(copy, svc->jwks_text, n + 1);
    return reply_raw(svc, c, r, 200, "application/jwk-set+json", copy, n, NULL);
  }
  case R_HEALTHZ:
    return reply_json(svc, c, r, 200, json_pack("{s:s}", "status", "ok"), NULL);
  case R_COMPAT_HEALTH: {
    char *ok = strdup("OK");
    return reply_raw(svc, c, r, 200, "text/plain; charset=utf-8", ok, ok ? 2 : 0, NULL);
  }
  case R_READYZ:
    return do_readyz(svc, c, r);
  case R_METRICS: {
    size_t len = 0;
    svc_metrics_inflight(svc->metrics, atomic_load(&svc->inflight)); /* this one included */
    char *text = svc_metrics_render(svc->metrics, &len);
    if (text == NULL)
      return reply_error(svc, c, r, 500, "internal_error", "out of memory");
    return reply_raw(svc, c, r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len, NULL);
  }
  case R_COMPAT_ATTEST:
    return do_compat_attest(svc, c, r);
  case R_OTHER:
    break;
  }
  return reply_error(svc, c, r, 404, "not_found", "no such route");
}

/* ------------------------------------------------------------------ MHD glue */

static int is_json_type(const char *ct) {
  if (ct == NULL)
    return 0;
  size_t n = strlen("application/json");
  if (strncasecmp(ct, "application/json", n) != 0)
    return 0;
  return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
  tc_service *svc = cls;
  struct req *r = *con_cls;
  if (r == NULL) {
    r = calloc(1, sizeof *r);
    if (r == NULL)
      return MHD_NO;
    *con_cls = r;
    atomic_fetch_add(&svc->inflight, 1);
    remote_of(c, r->remote, sizeof r->remote);
    clock_gettime(CLOCK_MONOTONIC, &r->start);
    r->route = R_OTHER;
    for (int i = 0; i < R_OTHER; i++)
      if (strcmp(url, routes[i].path) == 0)
        r->route = (enum route)i;
    if (r->route == R_OTHER)
      return reply_error(svc, c, r, 404, "not_found", "no such route");
    const char *want = routes[r->route].method;
    if (strcmp(method, want) != 0 && !(strcmp(want, "GET") == 0 && strcmp(method, "HEAD") == 0)) {
      char d[96];
      snprintf(d, sizeof d, "%s accepts %s only", routes[r->route].path, want);
      return reply_json(svc, c, r, 405, svc_error_body("method_not_allowed", d), want);
    }
    if (routes[r->route].json_body) {
      const char *ct =
          MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
      if (!is_json_type(ct))
        return reply_error(svc, c, r, 415, "content_type_unsupported",
                           "Content-Type must be application/json");
    }
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL) {
      char *end;
      errno = 0;
      unsigned long long v = strtoull(cl, &end, 10);
      if (errno == 0 && *end == '\0' && v > svc->opts.max_body_bytes) {
        char d[96];
        snprintf(d, sizeof d, "request body of %llu bytes exceeds the limit of %zu", v,
                 svc->opts.max_body_bytes);
        return reply_error(svc, c, r, 413, "body_too_large", d);
      }
    }
    return MHD_YES;
  }
  if (*upload_size > 0) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double elapsed =
        (double)(now.tv_sec - r->start.tv_sec) + (double)(now.tv_nsec - r->start.tv_nsec) / 1e9;
    if (elapsed > (double)svc->opts.request_timeout) {
      /* A body trickling in byte by byte never trips the idle timeout: drop it. */
      svc_metrics_request(svc->metrics, routes[r->route].path, 408);
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
  if (r->responded)
    return MHD_YES;
  if (r->too_large) {
    char d[96];
    snprintf(d, sizeof d, "request body exceeds the limit of %zu bytes", svc->opts.max_body_bytes);
    return reply_error(svc, c, r, 413, "body_too_large", d);
  }
  (void)version;
  return dispatch(svc, c, r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  tc_service *svc = cls;
  struct req *r = *con_cls;
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

/* libmicrohttpd's own error messages: silent unless TEECTL_SERVE_MHD_LOG is set (a verbose
 * mode for debugging), so that teectl's one line says what failed (e.g. a busy port). */
__attribute__((format(printf, 2, 0))) static void mhd_logger(void *cls, const char *fmt,
                                                             va_list ap) {
  const tc_service *svc = cls;
  if (svc == NULL || !svc->mhd_log)
    return;
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  size_t n = strlen(msg);
  while (n > 0 && msg[n - 1] == '\n')
    msg[--n] = '\0';
  fprintf(stderr, "teectl serve: libmicrohttpd: %s\n", msg);
}

/* Why the daemon could not start: try the bind ourselves for the system's reason. */
static void listen_failure_reason(const struct sockaddr_storage *ss, char *out, size_t cap) {
  snprintf(out, cap, "address in use, or TLS files invalid");
  int fd = socket(ss->ss_family, SOCK_STREAM, 0);
  if (fd < 0) {
    snprintf(out, cap, "%s", strerror(errno));
    return;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  socklen_t len = ss->ss_family == AF_INET6 ? (socklen_t)sizeof(struct sockaddr_in6)
                                            : (socklen_t)sizeof(struct sockaddr_in);
  if (bind(fd, (const struct sockaddr *)ss, len) != 0)
    snprintf(out, cap, "%s", strerror(errno));
  else if (listen(fd, 1) != 0)
    snprintf(out, cap, "%s", strerror(errno));
  close(fd);
}

static void loud(const char *what) {
  fprintf(stderr,
          "teectl serve: WARNING: DEVELOPMENT MODE: %s is EPHEMERAL (random, lost on restart; "
          "not for production)\n",
          what);
}

static tc_status parse_listen(const char *listen, struct sockaddr_storage *ss, int *is_v6,
                              int *loopback, tc_error *err) {
  char host[256];
  const char *port;
  memset(ss, 0, sizeof *ss);
  if (listen[0] == '[') {
    const char *e = strchr(listen, ']');
    if (e == NULL || e[1] != ':' || (size_t)(e - listen - 1) >= sizeof host)
      return tc_fail(err, TC_ERR_USAGE, "bad_listen_address", "listen '%s': expected [IPv6]:PORT",
                     listen);
    memcpy(host, listen + 1, (size_t)(e - listen - 1));
    host[e - listen - 1] = '\0';
    port = e + 2;
  } else {
    const char *e = strrchr(listen, ':');
    if (e == NULL || (size_t)(e - listen) >= sizeof host)
      return tc_fail(err, TC_ERR_USAGE, "bad_listen_address", "listen '%s': expected HOST:PORT",
                     listen);
    memcpy(host, listen, (size_t)(e - listen));
    host[e - listen] = '\0';
    port = e + 1;
  }
  char *end;
  long p = strtol(port, &end, 10);
  if (*port == '\0' || *end != '\0' || p < 0 || p > 65535)
    return tc_fail(err, TC_ERR_USAGE, "bad_listen_address", "listen '%s': bad port", listen);
  struct addrinfo hints = {0}, *ai = NULL;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  if (getaddrinfo(host[0] ? host : NULL, port, &hints, &ai) != 0 || ai == NULL)
    return tc_fail(err, TC_ERR_USAGE, "bad_listen_address", "listen '%s': unknown host '%s'",
                   listen, host);
  memcpy(ss, ai->ai_addr, ai->ai_addrlen);
  freeaddrinfo(ai);
  *is_v6 = ss->ss_family == AF_INET6;
  if (*is_v6) {
    const struct in6_addr *a = &((struct sockaddr_in6 *)ss)->sin6_addr;
    *loopback = IN6_IS_ADDR_LOOPBACK(a);
  } else {
    uint32_t a = ntohl(((struct sockaddr_in *)ss)->sin_addr.s_addr);
    *loopback = (a >> 24) == 127;
  }
  return TC_OK;
}

static tc_status read_text(const char *path, char **out, tc_error *err) {
  tc_buf b = {0};
  tc_status s = tc_file_read(path, 1u << 20, &b, err);
  if (s != TC_OK)
    return s;
  char *t = realloc(b.data, b.len + 1);
  if (t == NULL) {
    tc_buf_free(&b);
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "%s", path);
  }
  t[b.len] = '\0';
  *out = t;
  return TC_OK;
}

/* The collateral folder must exist, be a folder and be readable (listable). */
static tc_status check_collateral_dir(const char *dir, tc_error *err) {
  struct stat st;
  if (stat(dir, &st) != 0)
    return tc_fail(err, TC_ERR_IO, "collateral_unreadable", "--collateral %s: %s", dir,
                   strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return tc_fail(err, TC_ERR_IO, "collateral_unreadable", "--collateral %s: %s", dir,
                   strerror(ENOTDIR));
  DIR *d = opendir(dir);
  if (d == NULL)
    return tc_fail(err, TC_ERR_IO, "collateral_unreadable", "--collateral %s: %s", dir,
                   strerror(errno));
  closedir(d);
  return TC_OK;
}

static void service_free(tc_service *svc) {
  if (svc == NULL)
    return;
  tc_keyset_free(svc->keys);
  free(svc->jwks_text);
  svc_policy_release(svc->policy);
  tc_collateral_free(&svc->collateral);
  svc_metrics_free(svc->metrics);
  pthread_mutex_destroy(&svc->policy_mu);
  pthread_mutex_destroy(&svc->reload_lock);
  free(svc->tls_cert_pem);
  free(svc->tls_key_pem);
  OPENSSL_cleanse(svc->nonce_key, sizeof svc->nonce_key);
  free(svc);
}

static tc_status load_state(tc_service *svc, tc_error *err) {
  const tc_service_options *o = &svc->opts;
  tc_status s;
  /* Token keys. */
  if (o->signing_key != NULL) {
    s = tc_keyset_load(o->signing_key, o->public_keys, o->n_public_keys, &svc->keys, err);
  } else {
    if (o->n_public_keys > 0)
      return tc_fail(err, TC_ERR_USAGE, "signing_key_missing",
                     "--public-key needs --signing-key (the ephemeral key has no rotation)");
    s = tc_keyset_generate_ephemeral(&svc->keys, err);
    if (s == TC_OK)
      loud("the token signing key");
  }
  if (s != TC_OK)
    return s;
  json_t *jwks = tc_keyset_jwks(svc->keys);
  svc->jwks_text = jwks ? json_dumps(jwks, JSON_COMPACT) : NULL;
  json_decref(jwks);
  if (svc->jwks_text == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "JWKS");
  /* Nonce key. */
  if (o->nonce_key != NULL) {
    tc_buf k = {0};
    s = tc_file_read(o->nonce_key, 4096, &k, err);
    if (s != TC_OK)
      return s;
    if (k.len < TC_NONCE_KEY_MIN) {
      size_t n = k.len;
      tc_buf_free(&k);
      return tc_fail(err, TC_ERR_USAGE, "nonce_key_too_short",
                     "nonce key %s has %zu bytes, at least %d are needed", o->nonce_key, n,
                     TC_NONCE_KEY_MIN);
    }
    /* Keys longer than the HMAC-SHA-256 block are hashed by HMAC anyway; keep 64. */
    svc->nonce_key_len = k.len < sizeof svc->nonce_key ? k.len : sizeof svc->nonce_key;
    memcpy(svc->nonce_key, k.data, svc->nonce_key_len);
    OPENSSL_cleanse(k.data, k.len);
    tc_buf_free(&k);
  } else {
    svc->nonce_key_len = 32;
    if (RAND_bytes(svc->nonce_key, 32) != 1)
      return tc_fail(err, TC_ERR_INTERNAL, "random_failed", "nonce key");
    loud("the nonce key");
  }
  /* Policy. */
  tc_policy *pol = NULL;
  if (o->policy != NULL) {
    s = policy_load_file(o->policy, &pol, &svc->policy_stat, err);
    if (s != TC_OK)
      return s;
  } else if ((pol = tc_policy_default()) == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "default policy");
  if ((svc->policy = policy_ref_new(pol)) == NULL) {
    tc_policy_free(pol);
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "policy reference");
  }
  /* Collateral and extra roots. */
  if (o->collateral_dir != NULL) {
    /* Checked here too so that the message names the flag: a folder that is missing, not
     * a folder or not readable stops the server (it would otherwise serve without it). */
    if ((s = check_collateral_dir(o->collateral_dir, err)) != TC_OK)
      return s;
    s = tc_collateral_load_dir(o->collateral_dir, &svc->collateral, err);
    if (s != TC_OK)
      return s;
    svc->have_collateral_dir = 1;
  }
  if (o->n_trust_roots > 0) {
    svc->collateral.trust_roots = calloc(o->n_trust_roots, sizeof(tc_buf));
    if (svc->collateral.trust_roots == NULL)
      return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "trust roots");
    for (size_t i = 0; i < o->n_trust_roots; i++) {
      s = tc_file_read(o->trust_roots[i], 1u << 20, &svc->collateral.trust_roots[i], err);
      if (s != TC_OK)
        return s;
      svc->collateral.n_trust_roots = i + 1;
      /* Each root must be a certificate: a wrong file must not start a server that
       * silently trusts nothing extra. */
      X509 *x = NULL;
      tc_error xerr;
      if (tc_x509_parse(svc->collateral.trust_roots[i].data, svc->collateral.trust_roots[i].len, &x,
                        &xerr) != TC_OK)
        return tc_fail(err, TC_ERR_PARSE, "trust_root_invalid",
                       "--trust-root %s: not a certificate (PEM or DER): %s", o->trust_roots[i],
                       xerr.detail);
      X509_free(x);
    }
  }
  /* TLS. */
  if ((o->tls_cert == NULL) != (o->tls_key == NULL))
    return tc_fail(err, TC_ERR_USAGE, "tls_incomplete", "--tls-cert and --tls-key go together");
  if (o->tls_cert != NULL) {
    if ((s = read_text(o->tls_cert, &svc->tls_cert_pem, err)) != TC_OK ||
        (s = read_text(o->tls_key, &svc->tls_key_pem, err)) != TC_OK)
      return s;
  }
  return TC_OK;
}

tc_status tc_service_start(const tc_service_options *opts, tc_service **out, tc_error *err) {
  *out = NULL;
  struct sockaddr_storage ss;
  int is_v6 = 0, loopback = 0;
  tc_status s = parse_listen(opts->listen ? opts->listen : "", &ss, &is_v6, &loopback, err);
  if (s != TC_OK)
    return s;
  if (opts->tls_cert == NULL && !loopback && !opts->insecure_http)
    return tc_fail(err, TC_ERR_USAGE, "insecure_http_refused",
                   "plain HTTP on the non-loopback address '%s' needs --insecure-http "
                   "(or use --tls-cert/--tls-key)",
                   opts->listen);
  if (opts->token_ttl <= 0 || opts->nonce_ttl <= 0 || opts->max_body_bytes == 0 ||
      opts->max_connections == 0)
    return tc_fail(err, TC_ERR_USAGE, "bad_option", "ttl, body and connection limits must be > 0");

  tc_service *svc = calloc(1, sizeof *svc);
  if (svc == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "service");
  svc->opts = *opts;
  pthread_mutex_init(&svc->policy_mu, NULL);
  pthread_mutex_init(&svc->reload_lock, NULL);
  svc->metrics = svc_metrics_new();
  if (svc->metrics == NULL) {
    service_free(svc);
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "metrics");
  }
  if ((s = load_state(svc, err)) != TC_OK) {
    service_free(svc);
    return s;
  }
  if (opts->test_no_nonce)
    fprintf(stderr, "teectl serve: WARNING: TEST MODE: attest requests without a nonce are "
                    "accepted (--test-no-nonce)\n");

  unsigned threads = opts->threads;
  if (threads == 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    threads = n > 0 ? (unsigned)n : 1;
  }
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
#ifdef __linux__
  flags |= MHD_USE_EPOLL;
#endif
  if (is_v6)
    flags |= MHD_USE_IPv6;
  if (svc->tls_cert_pem != NULL)
    flags |= MHD_USE_TLS;
  /* Options as an array: the thread pool only with more than one thread (libmicrohttpd
   * warns about a pool of 0), TLS only with a certificate. */
  struct MHD_OptionItem mo[8];
  size_t n = 0;
  mo[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, opts->max_connections, NULL};
  mo[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, opts->connection_timeout, NULL};
  if (threads > 1)
    mo[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, threads, NULL};
  if (svc->tls_cert_pem != NULL) {
    mo[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, svc->tls_cert_pem};
    mo[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, svc->tls_key_pem};
  }
  mo[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
  const char *mhd_log = getenv("TEECTL_SERVE_MHD_LOG");
  svc->mhd_log = mhd_log != NULL && mhd_log[0] != '\0' && strcmp(mhd_log, "0") != 0;
  svc->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, svc, MHD_OPTION_EXTERNAL_LOGGER,
                                 mhd_logger, svc, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, svc, MHD_OPTION_ARRAY,
                                 mo, MHD_OPTION_END);
  if (svc->daemon == NULL) {
    char why[160];
    listen_failure_reason(&ss, why, sizeof why);
    service_free(svc);
    return tc_fail(err, TC_ERR_INTERNAL, "listen_failed",
                   "could not start the HTTP server on %s: %s", opts->listen, why);
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(svc->daemon, MHD_DAEMON_INFO_BIND_PORT);
  svc->port = di ? di->port : 0;
  *out = svc;
  return TC_OK;
}

unsigned tc_service_port(const tc_service *svc) {
  return svc->port;
}

void tc_service_stop(tc_service *svc) {
  if (svc == NULL)
    return;
  atomic_store(&svc->draining, 1);
  MHD_socket lsock = MHD_quiesce_daemon(svc->daemon);
  if (lsock != MHD_INVALID_SOCKET)
    close(lsock);
  /* Let in-flight requests finish (bounded). */
  struct timespec step = {0, 20 * 1000 * 1000};
  for (unsigned i = 0; i < svc->opts.drain_timeout * 50u && atomic_load(&svc->inflight) > 0; i++)
    nanosleep(&step, NULL);
  MHD_stop_daemon(svc->daemon);
  service_free(svc);
}
