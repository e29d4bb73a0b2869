/* SPDX-License-Identifier: Apache-2.0 */
/* Options of the attestation service: defaults and the JSON config file (keys are the
 * long flag names; the CLI applies flags after the file, so flags win). */
#include <string.h>

#include "teectl/rfc3339.h"
#include "teectl/service.h"

void tc_service_options_init(tc_service_options *o) {
  memset(o, 0, sizeof *o);
  o->listen = "127.0.0.1:8443";
  o->token_ttl = 300;
  o->nonce_ttl = 300;
  o->max_body_bytes = 1024 * 1024;
  o->max_connections = 256;
  o->connection_timeout = 10;
  o->request_timeout = 30;
  o->drain_timeout = 10;
  o->issuer = "teectl";
}

static tc_status want_string(json_t *v, const char *key, const char **dst, tc_error *err) {
  if (!json_is_string(v))
    return tc_fail(err, TC_ERR_PARSE, "config_invalid", "config key '%s' must be a string", key);
  *dst = json_string_value(v);
  return TC_OK;
}

static tc_status want_uint(json_t *v, const char *key, long long min, long long max, long long *dst,
                           tc_error *err) {
  if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
    return tc_fail(err, TC_ERR_PARSE, "config_invalid",
                   "config key '%s' must be an integer in [%lld, %lld]", key, min, max);
  *dst = json_integer_value(v);
  return TC_OK;
}

static tc_status want_list(json_t *v, const char *key, const char **dst, size_t cap, size_t *n,
                           tc_error *err) {
  if (json_is_string(v))
    v = json_pack("[O]", v); /* a single string is a list of one */
  else
    json_incref(v);
  if (!json_is_array(v) || json_array_size(v) > cap) {
    json_decref(v);
    return tc_fail(err, TC_ERR_PARSE, "config_invalid",
                   "config key '%s' must be a list of at most %zu file names", key, cap);
  }
  size_t i;
  json_t *e;
  json_array_foreach(v, i, e) {
    if (!json_is_string(e)) {
      json_decref(v);
      return tc_fail(err, TC_ERR_PARSE, "config_invalid", "config key '%s'[%zu] is not a string",
                     key, i);
    }
  }
  /* The strings stay alive in the caller's holder: borrow them from the original
   * value (a packed one-element list borrows the same string object). */
  *n = 0;
  json_array_foreach(v, i, e) dst[(*n)++] = json_string_value(e);
  json_decref(v);
  return TC_OK;
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
  tc_status st = TC_OK;
  long long n = 0;
  json_object_foreach(root, key, v) {
    if (strcmp(key, "listen") == 0)
      st = want_string(v, key, &o->listen, err);
    else if (strcmp(key, "tls-cert") == 0)
      st = want_string(v, key, &o->tls_cert, err);
    else if (strcmp(key, "tls-key") == 0)
      st = want_string(v, key, &o->tls_key, err);
    else if (strcmp(key, "insecure-http") == 0) {
      if (!json_is_boolean(v))
        st = tc_fail(err, TC_ERR_PARSE, "config_invalid", "config key '%s' must be a boolean", key);
      else
        o->insecure_http = json_is_true(v);
    } else if (strcmp(key, "trust-root") == 0)
      st = want_list(v, key, o->trust_roots, 16, &o->n_trust_roots, err);
    else if (strcmp(key, "collateral") == 0)
      st = want_string(v, key, &o->collateral_dir, err);
    else if (strcmp(key, "at") == 0) {
      const char *t = NULL;
      st = want_string(v, key, &t, err);
      if (st == TC_OK && (st = tc_rfc3339_parse(t, &o->at, err)) == TC_OK)
        o->has_at = 1;
    } else if (strcmp(key, "fetch") == 0 || strcmp(key, "offline") == 0) {
      if (!json_is_boolean(v))
        st = tc_fail(err, TC_ERR_PARSE, "config_invalid", "config key '%s' must be a boolean", key);
      else if (key[0] == 'f')
        o->fetch = json_is_true(v);
      else
        o->offline = json_is_true(v);
    } else if (strcmp(key, "kds-url") == 0)
      st = want_string(v, key, &o->kds_url, err);
    else if (strcmp(key, "pcs-url") == 0)
      st = want_string(v, key, &o->pcs_url, err);
    else if (strcmp(key, "cache-dir") == 0)
      st = want_string(v, key, &o->cache_dir, err);
    else if (strcmp(key, "api-key-file") == 0)
      st = want_string(v, key, &o->api_key_file, err);
    else if (strcmp(key, "policy") == 0)
      st = want_string(v, key, &o->policy, err);
    else if (strcmp(key, "signing-key") == 0)
      st = want_string(v, key, &o->signing_key, err);
    else if (strcmp(key, "public-key") == 0)
      st = want_list(v, key, o->public_keys, 16, &o->n_public_keys, err);
    else if (strcmp(key, "nonce-key") == 0)
      st = want_string(v, key, &o->nonce_key, err);
    else if (strcmp(key, "issuer") == 0)
      st = want_string(v, key, &o->issuer, err);
    else if (strcmp(key, "token-ttl") == 0) {
      if ((st = want_uint(v, key, 1, 86400, &n, err)) == TC_OK)
        o->token_ttl = n;
    } else if (strcmp(key, "nonce-ttl") == 0) {
      if ((st = want_uint(v, key, 1, 86400, &n, err)) == TC_OK)
        o->nonce_ttl = n;
    } else if (strcmp(key, "max-body-bytes") == 0) {
      if ((st = want_uint(v, key, 1024, 64LL << 20, &n, err)) == TC_OK)
        o->max_body_bytes = (size_t)n;
    } else if (strcmp(key, "max-connections") == 0) {
      if ((st = want_uint(v, key, 1, 65536, &n, err)) == TC_OK)
        o->max_connections = (unsigned)n;
    } else if (strcmp(key, "connection-timeout") == 0) {
      if ((st = want_uint(v, key, 1, 3600, &n, err)) == TC_OK)
        o->connection_timeout = (unsigned)n;
    } else if (strcmp(key, "request-timeout") == 0) {
      if ((st = want_uint(v, key, 1, 3600, &n, err)) == TC_OK)
        o->request_timeout = (unsigned)n;
    } else if (strcmp(key, "threads") == 0) {
      if ((st = want_uint(v, key, 0, 1024, &n, err)) == TC_OK)
        o->threads = (unsigned)n;
    } else if (strcmp(key, "drain-timeout") == 0) {
      if ((st = want_uint(v, key, 0, 3600, &n, err)) == TC_OK)
        o->drain_timeout = (unsigned)n;
    } else
      st = tc_fail(err, TC_ERR_PARSE, "config_unknown_key", "config %s: unknown key '%s'", path,
                   key);
    if (st != TC_OK) {
      json_decref(root);
      return st;
    }
  }
  *holder = root;
  return TC_OK;
}
