/* SPDX-License-Identifier: Apache-2.0 */
/* Options of the attestation service: one table (name, value, field, range, default,
 * help) that the command line, the JSON config file and --help all read. Adding an
 * option is one row here and its field in tc_service_options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teectl/rfc3339.h"
#include "teectl/service.h"

#define FIELD(f) offsetof(tc_service_options, f), sizeof(((tc_service_options *)0)->f)
#define LIST(f, n) offsetof(tc_service_options, f), offsetof(tc_service_options, n)
#define TIME(f, has) offsetof(tc_service_options, f), offsetof(tc_service_options, has)

const tc_service_opt tc_service_opts[] = {
    {"listen", "HOST:PORT", TC_SOPT_STRING, FIELD(listen), 0, 0, "127.0.0.1:8443", 0,
     "address to listen on; port 0: any free port,\nprinted on stderr"},
    {"tls-cert", "FILE", TC_SOPT_STRING, FIELD(tls_cert), 0, 0, NULL, 0,
     "PEM certificate chain; with --tls-key: HTTPS"},
    {"tls-key", "FILE", TC_SOPT_STRING, FIELD(tls_key), 0, 0, NULL, 0, "PEM private key"},
    {"insecure-http", NULL, TC_SOPT_BOOL, FIELD(insecure_http), 0, 0, NULL, 0,
     "allow plain HTTP on a non-loopback address"},
    {"policy", "FILE", TC_SOPT_STRING, FIELD(policy), 0, 0, NULL, 0,
     "appraisal policy, JSON or YAML (docs/policy.md);\nreloaded when the file changes (default: "
     "the strict\ndefault policy)"},
    {"signing-key", "FILE", TC_SOPT_STRING, FIELD(signing_key), 0, 0, NULL, 0,
     "token signing key: EC P-256 private key, PEM or JWK\n(default: ephemeral)"},
    {"public-key", "FILE", TC_SOPT_LIST, LIST(public_keys, n_public_keys), 0, 16, NULL, 0,
     "extra public key for the JWKS (rotation); repeatable"},
    {"nonce-key", "FILE", TC_SOPT_STRING, FIELD(nonce_key), 0, 0, NULL, 0,
     "secret for nonce MACs, >= 32 bytes (default: ephemeral)"},
    {"trust-root", "FILE", TC_SOPT_LIST, LIST(trust_roots, n_trust_roots), 0, 16, NULL, 0,
     "also trust this root certificate (PEM or DER); repeatable"},
    {"collateral", "DIR", TC_SOPT_STRING, FIELD(collateral_dir), 0, 0, NULL, 0,
     "collateral folder (as for 'teectl verify')"},
    {"fetch", NULL, TC_SOPT_BOOL, FIELD(fetch), 0, 0, NULL, 0,
     "fetch collateral the request and folder lack (cache,\nthen AMD KDS / Intel PCS), as "
     "'teectl verify --fetch':"},
    {"kds-url", "URL", TC_SOPT_STRING, FIELD(kds_url), 0, 0, NULL, TC_SOPT_SUB, "AMD KDS base URL"},
    {"pcs-url", "URL", TC_SOPT_STRING, FIELD(pcs_url), 0, 0, NULL, TC_SOPT_SUB,
     "Intel PCS or PCCS base URL"},
    {"cache-dir", "DIR", TC_SOPT_STRING, FIELD(cache_dir), 0, 0, NULL, TC_SOPT_SUB,
     "collateral cache folder (default: the user cache)"},
    {"api-key-file", "FILE", TC_SOPT_STRING, FIELD(api_key_file), 0, 0, NULL, TC_SOPT_SUB,
     "Intel PCS subscription key"},
    {"pcs-ca-file", "FILE", TC_SOPT_STRING, FIELD(pcs_ca_file), 0, 0, NULL, TC_SOPT_SUB,
     "PEM CA bundle the --pcs-url server's certificate\nmust chain to (a PCCS with its own CA)"},
    {"offline", NULL, TC_SOPT_BOOL, FIELD(offline), 0, 0, NULL, TC_SOPT_SUB,
     "cache only, never the network"},
    {"kds-interval", "SECONDS", TC_SOPT_UINT, FIELD(kds_interval), 0, 3600, "10", TC_SOPT_SUB,
     "after a burst of 3, one request per this many\nseconds to a KDS host (0: no pacing)"},
    {"fetch-deadline", "SECONDS", TC_SOPT_UINT, FIELD(fetch_deadline), 1, 600, "10", TC_SOPT_SUB,
     "a request's fetching ends within this long,\nwhatever the servers do"},
    {"max-fetches", "N", TC_SOPT_UINT, FIELD(max_fetches), 0, 1024, "2", TC_SOPT_SUB,
     "fetches in progress at once; beyond, a request\nuses what is at hand (0: no limit)"},
    {"host-backoff", "SECONDS", TC_SOPT_UINT, FIELD(host_backoff), 0, 600, "2", TC_SOPT_SUB,
     "a KDS/PCS host found failing (no answer, 5xx) is\nskipped this long, doubling per failure "
     "in a row\n(0: no per-host back-off)"},
    {"host-backoff-max", "SECONDS", TC_SOPT_UINT, FIELD(host_backoff_max), 0, 3600, "30",
     TC_SOPT_SUB, "bound of that back-off"},
    {"require-tee", "TEE", TC_SOPT_LIST, LIST(require_tees, n_require_tees), 0, 3, NULL, 0,
     "snp, tdx or sgx: /readyz answers 503 unless the service\ncan verify this TEE; repeatable "
     "(default: 503 only\nwhen it can verify none)"},
    {"snp-client-certs", NULL, TC_SOPT_BOOL, FIELD(snp_client_certs), 0, 0, NULL, 0,
     "SEV-SNP clients send their VCEK/VLEK, ASK and ARK with\nthe evidence: /readyz counts SNP as "
     "verifiable without\n--collateral or --fetch"},
    {"metrics-listen", "HOST:PORT", TC_SOPT_STRING, FIELD(metrics_listen), 0, 0, NULL, 0,
     "serve /metrics on this address instead (plain HTTP,\nnothing else there; the main address "
     "then answers\n404 for /metrics); port 0: any free port"},
    {"at", "RFC3339", TC_SOPT_TIME, TIME(at, has_at), 0, 0, NULL, 0,
     "verification time (tests with old evidence; default now)"},
    {"resources", "DIR", TC_SOPT_STRING, FIELD(resources_dir), 0, 0, NULL, 0,
     "key broker resources DIR/<repository>/<type>/<tag>\n(KBS protocol routes under /kbs/v0; "
     "docs/kbs.md)"},
    {"session-key", "FILE", TC_SOPT_STRING, FIELD(session_key), 0, 0, NULL, 0,
     "secret for sealed KBS session cookies, >= 32 bytes\n(default: the nonce key)"},
    {"session-ttl", "SECONDS", TC_SOPT_UINT, FIELD(session_ttl), 1, 86400, "300", 0,
     "KBS session lifetime"},
    {"auth-rate", "N", TC_SOPT_UINT, FIELD(auth_rate), 1, 1000000, "60", 0,
     "KBS /auth requests, and /attest requests, per minute per client (IPv4 address, IPv6 /64)"},
    {"token-ttl", "SECONDS", TC_SOPT_UINT, FIELD(token_ttl), 1, 86400, "300", 0, "token lifetime"},
    {"nonce-ttl", "SECONDS", TC_SOPT_UINT, FIELD(nonce_ttl), 1, 86400, "300", 0, "nonce lifetime"},
    {"issuer", "TEXT", TC_SOPT_STRING, FIELD(issuer), 0, 0, "teectl", 0, "token \"iss\""},
    {"max-body-bytes", "N", TC_SOPT_UINT, FIELD(max_body_bytes), 1024, 64LL << 20, "1048576", 0,
     "request body limit"},
    {"max-connections", "N", TC_SOPT_UINT, FIELD(max_connections), 1, 65536, "256", 0,
     "concurrent connections"},
    {"max-connections-per-client", "N", TC_SOPT_UINT, FIELD(max_connections_per_client), 0, 65536,
     "64", 0, "connections from one client IP address; more are\nclosed at once (0: no limit)"},
    {"header-timeout", "S", TC_SOPT_UINT, FIELD(header_timeout), 1, 3600, "5", 0,
     "close a new connection that sent no request\nheaders this long"},
    {"connection-timeout", "S", TC_SOPT_UINT, FIELD(connection_timeout), 1, 3600, "10", 0,
     "close connections idle this long"},
    {"request-timeout", "S", TC_SOPT_UINT, FIELD(request_timeout), 1, 3600, "30", 0,
     "drop a request whose body takes longer"},
    {"threads", "N", TC_SOPT_UINT, FIELD(threads), 0, 1024, NULL, 0,
     "worker threads (default: one per core)"},
    {"cache-entries", "N", TC_SOPT_UINT, FIELD(cache_entries), 0, 1048576, "256", 0,
     "verified endorsements kept in memory (SNP chains;\nDCAP PCK chains and collateral sets), "
     "keyed by\ntheir exact bytes; least recently used dropped first\n(0: verify everything in "
     "full each time)"},
    {"drain-timeout", "S", TC_SOPT_UINT, FIELD(drain_timeout), 0, 3600, "10", 0,
     "on SIGTERM, wait this long for requests"},
    {"test-no-nonce", NULL, TC_SOPT_BOOL, FIELD(test_no_nonce), 0, 0, NULL, TC_SOPT_FLAG_ONLY,
     "TESTS ONLY: accept attest requests without a nonce"},
};
const size_t tc_service_n_opts = sizeof tc_service_opts / sizeof tc_service_opts[0];

const tc_service_opt *tc_service_opt_find(const char *name) {
  for (size_t i = 0; i < tc_service_n_opts; i++)
    if (strcmp(tc_service_opts[i].name, name) == 0)
      return &tc_service_opts[i];
  return NULL;
}

/* ------------------------------------------------------------------ setters */

static void *field(tc_service_options *o, size_t off) {
  return (char *)o + off;
}

static void set_uint(tc_service_options *o, const tc_service_opt *d, long long v) {
  void *p = field(o, d->offset);
  if (d->aux == sizeof(unsigned)) {
    unsigned u = (unsigned)v;
    memcpy(p, &u, sizeof u);
  } else { /* int64_t or size_t: 8 bytes, non-negative values */
    int64_t w = (int64_t)v;
    memcpy(p, &w, sizeof w);
  }
}

static void set_bool(tc_service_options *o, const tc_service_opt *d, int v) {
  memcpy(field(o, d->offset), &v, sizeof v);
}

/* Append one list entry; a first entry from a new source (append 0) replaces the list. */
static tc_status list_add(tc_service_options *o, const tc_service_opt *d, const char *text,
                          int append, const char *what, tc_error *err) {
  const char **items = field(o, d->offset);
  size_t *n = field(o, d->aux);
  if (!append)
    *n = 0;
  if (*n >= (size_t)d->max)
    return tc_fail(err, TC_ERR_USAGE, what[0] == '-' ? "bad_option" : "config_invalid",
                   "too many %s%s (at most %lld)", what, d->name, d->max);
  items[(*n)++] = text;
  return TC_OK;
}

tc_status tc_service_opt_set(tc_service_options *o, const tc_service_opt *d, const char *text,
                             int append, tc_error *err) {
  switch (d->kind) {
  case TC_SOPT_STRING:
    memcpy(field(o, d->offset), &text, sizeof text);
    return TC_OK;
  case TC_SOPT_BOOL:
    set_bool(o, d, 1);
    return TC_OK;
  case TC_SOPT_LIST:
    return list_add(o, d, text, append, "--", err);
  case TC_SOPT_TIME: {
    int64_t t;
    if (tc_rfc3339_parse(text, &t, err) != TC_OK)
      return tc_fail(err, TC_ERR_USAGE, "bad_option", "--%s: '%s' is not an RFC 3339 time", d->name,
                     text);
    int one = 1;
    memcpy(field(o, d->offset), &t, sizeof t);
    memcpy(field(o, d->aux), &one, sizeof one);
    return TC_OK;
  }
  case TC_SOPT_UINT: {
    char *end;
    long long v = strtoll(text, &end, 10);
    if (*text == '\0' || *end != '\0' || v < d->min || v > d->max)
      return tc_fail(err, TC_ERR_USAGE, "bad_option",
                     "--%s: '%s' is not an integer in [%lld, %lld]", d->name, text, d->min, d->max);
    set_uint(o, d, v);
    return TC_OK;
  }
  }
  return tc_fail(err, TC_ERR_INTERNAL, "internal_error", "option --%s", d->name);
}

static tc_status config_invalid(tc_error *err, const char *key, const char *what) {
  return tc_fail(err, TC_ERR_PARSE, "config_invalid", "config key '%s' must be %s", key, what);
}

tc_status tc_service_opt_set_json(tc_service_options *o, const tc_service_opt *d, json_t *v,
                                  tc_error *err) {
  char what[64];
  switch (d->kind) {
  case TC_SOPT_STRING:
  case TC_SOPT_TIME:
    if (!json_is_string(v))
      return config_invalid(err, d->name, "a string");
    if (tc_service_opt_set(o, d, json_string_value(v), 0, err) != TC_OK)
      return config_invalid(err, d->name, "an RFC 3339 time");
    return TC_OK;
  case TC_SOPT_BOOL:
    if (!json_is_boolean(v))
      return config_invalid(err, d->name, "a boolean");
    set_bool(o, d, json_is_true(v));
    return TC_OK;
  case TC_SOPT_UINT:
    if (!json_is_integer(v) || json_integer_value(v) < d->min || json_integer_value(v) > d->max) {
      snprintf(what, sizeof what, "an integer in [%lld, %lld]", d->min, d->max);
      return config_invalid(err, d->name, what);
    }
    set_uint(o, d, json_integer_value(v));
    return TC_OK;
  case TC_SOPT_LIST: {
    /* A single string is a list of one. The strings stay alive in the caller's holder. */
    if (json_is_string(v))
      return list_add(o, d, json_string_value(v), 0, "", err);
    snprintf(what, sizeof what, "a list of at most %lld file names", d->max);
    if (!json_is_array(v) || json_array_size(v) > (size_t)d->max)
      return config_invalid(err, d->name, what);
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
      if (!json_is_string(e))
        return tc_fail(err, TC_ERR_PARSE, "config_invalid", "config key '%s'[%zu] is not a string",
                       d->name, i);
    }
    *(size_t *)field(o, d->aux) = 0;
    json_array_foreach(v, i, e) list_add(o, d, json_string_value(e), 1, "", err);
    return TC_OK;
  }
  }
  return tc_fail(err, TC_ERR_INTERNAL, "internal_error", "option %s", d->name);
}

/* ------------------------------------------------------------------ defaults, file */

void tc_service_options_init(tc_service_options *o) {
  memset(o, 0, sizeof *o);
  tc_error err;
  for (size_t i = 0; i < tc_service_n_opts; i++)
    if (tc_service_opts[i].def != NULL)
      (void)tc_service_opt_set(o, &tc_service_opts[i], tc_service_opts[i].def, 0, &err);
}

tc_status tc_service_config_load(const char *path, tc_service_options *o, json_t **holder,
                                 tc_error *err) {
  json_error_t je;
  *holder = NULL;
  json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
  if (root == NULL) {
    if (je.line <= 0)
      return tc_fail(err, TC_ERR_IO, "file_unreadable", "config %s: %s", path, je.text);
    return tc_fail(err, TC_ERR_PARSE, "config_invalid", "config %s line %d column %d: %s", path,
                   je.line, je.column, je.text);
  }
  if (!json_is_object(root)) {
    json_decref(root);
    return tc_fail(err, TC_ERR_PARSE, "config_invalid", "config %s: not a JSON object", path);
  }
  const char *key;
  json_t *v;
  json_object_foreach(root, key, v) {
    const tc_service_opt *d = tc_service_opt_find(key);
    tc_status st = d == NULL || (d->flags & TC_SOPT_FLAG_ONLY)
                       ? tc_fail(err, TC_ERR_PARSE, "config_unknown_key",
                                 "config %s: unknown key '%s'", path, key)
                       : tc_service_opt_set_json(o, d, v, err);
    if (st != TC_OK) {
      json_decref(root);
      return st;
    }
  }
  *holder = root;
  return TC_OK;
}
