/* SPDX-License-Identifier: Apache-2.0 */
/* Start-up and stop of the attestation service: the options' checks, then the state it
 * serves from, one loader per piece (token keys, nonce key, policy, collateral and trust
 * roots, TLS files), then the HTTP layer (service/http.c). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/http.h"
#include "teectl/crypto.h"
#include "teectl/file.h"

static void loud(const char *what) {
  fprintf(stderr,
          "teectl serve: WARNING: DEVELOPMENT MODE: %s is EPHEMERAL (random, lost on restart; "
          "not for production)\n",
          what);
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

/* ------------------------------------------------------------------ state loaders */

/* Token keys: the signing key and extra public keys, or an ephemeral key; the JWKS text. */
static tc_status load_keys(tc_service *svc, tc_error *err) {
  const tc_service_options *o = &svc->opts;
  tc_status s;
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
  return TC_OK;
}

/* Nonce MAC key: from a file (>= TC_NONCE_KEY_MIN bytes), or ephemeral. */
static tc_status load_nonce_key(tc_service *svc, tc_error *err) {
  const char *path = svc->opts.nonce_key;
  if (path == NULL) {
    svc->nonce_key_len = 32;
    if (tc_random_bytes(svc->nonce_key, 32, NULL) != TC_OK)
      return tc_fail(err, TC_ERR_INTERNAL, "internal_error", "no random bytes for the nonce key");
    loud("the nonce key");
    return TC_OK;
  }
  tc_buf k = {0};
  tc_status s = tc_file_read(path, 4096, &k, err);
  if (s != TC_OK)
    return s;
  if (k.len < TC_NONCE_KEY_MIN) {
    size_t n = k.len;
    tc_buf_free(&k);
    return tc_fail(err, TC_ERR_USAGE, "nonce_key_too_short",
                   "nonce key %s has %zu bytes, at least %d are needed", path, n, TC_NONCE_KEY_MIN);
  }
  /* Keys longer than the HMAC-SHA-256 block are hashed by HMAC anyway; keep 64. */
  svc->nonce_key_len = k.len < sizeof svc->nonce_key ? k.len : sizeof svc->nonce_key;
  memcpy(svc->nonce_key, k.data, svc->nonce_key_len);
  tc_cleanse(k.data, k.len);
  tc_buf_free(&k);
  return TC_OK;
}

/* Policy: the file, or the strict default policy. */
static tc_status load_policy(tc_service *svc, tc_error *err) {
  tc_policy *pol = NULL;
  if (svc->opts.policy != NULL) {
    tc_status s = svc_policy_load_file(svc->opts.policy, &pol, &svc->policy_stat, err);
    if (s != TC_OK)
      return s;
  } else if ((pol = tc_policy_default()) == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "default policy");
  if ((svc->policy = svc_policy_ref_new(pol)) == NULL) {
    tc_policy_free(pol);
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "policy reference");
  }
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

/* Collateral folder and extra trust roots (each must be a certificate: a wrong file must
 * not start a server that silently trusts nothing extra). */
static tc_status load_collateral(tc_service *svc, tc_error *err) {
  const tc_service_options *o = &svc->opts;
  tc_status s;
  if (o->collateral_dir != NULL) {
    /* Checked here too so that the message names the flag: a folder that is missing, not
     * a folder or not readable stops the server (it would otherwise serve without it). */
    if ((s = check_collateral_dir(o->collateral_dir, err)) != TC_OK)
      return s;
    if ((s = tc_collateral_load_dir(o->collateral_dir, &svc->collateral, err)) != TC_OK)
      return s;
    svc->have_collateral_dir = 1;
  }
  if (o->n_trust_roots == 0)
    return TC_OK;
  svc->collateral.trust_roots = calloc(o->n_trust_roots, sizeof(tc_buf));
  if (svc->collateral.trust_roots == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "trust roots");
  for (size_t i = 0; i < o->n_trust_roots; i++) {
    tc_buf *root = &svc->collateral.trust_roots[i];
    if ((s = tc_file_read(o->trust_roots[i], 1u << 20, root, err)) != TC_OK)
      return s;
    svc->collateral.n_trust_roots = i + 1;
    tc_error xerr;
    if (tc_cert_check(root->data, root->len, &xerr) != TC_OK)
      return tc_fail(err, TC_ERR_PARSE, "trust_root_invalid",
                     "--trust-root %s: not a certificate (PEM or DER): %s", o->trust_roots[i],
                     xerr.detail);
  }
  /* parsed once here, not by every verification (the requests' shallow copies share it) */
  if ((s = tc_trust_store_new(svc->collateral.trust_roots, svc->collateral.n_trust_roots,
                              &svc->trust_store, err)) != TC_OK)
    return s;
  svc->collateral.trust = svc->trust_store;
  return TC_OK;
}

/* TLS: certificate chain and key, both or neither. */
static tc_status load_tls(tc_service *svc, tc_error *err) {
  const tc_service_options *o = &svc->opts;
  tc_status s;
  if ((o->tls_cert == NULL) != (o->tls_key == NULL))
    return tc_fail(err, TC_ERR_USAGE, "tls_incomplete", "--tls-cert and --tls-key go together");
  if (o->tls_cert != NULL && ((s = read_text(o->tls_cert, &svc->tls_cert_pem, err)) != TC_OK ||
                              (s = read_text(o->tls_key, &svc->tls_key_pem, err)) != TC_OK))
    return s;
  return TC_OK;
}

static void service_free(tc_service *svc) {
  if (svc == NULL)
    return;
  svc_kbs_free(svc);
  tc_keyset_free(svc->keys);
  free(svc->jwks_text);
  svc_policy_release(svc->policy);
  tc_collateral_free(&svc->collateral);
  tc_trust_store_free(svc->trust_store);
  tc_verifier_free(svc->verifier);
  svc_metrics_free(svc->metrics);
  pthread_mutex_destroy(&svc->policy_mu);
  pthread_mutex_destroy(&svc->reload_lock);
  free(svc->tls_cert_pem);
  free(svc->tls_key_pem);
  tc_cleanse(svc->nonce_key, sizeof svc->nonce_key);
  free(svc);
}

/* ------------------------------------------------------------------ start / stop */

static tc_status check_options(const tc_service_options *opts, int loopback, tc_error *err) {
  if (opts->tls_cert == NULL && !loopback && !opts->insecure_http)
    return tc_fail(err, TC_ERR_USAGE, "insecure_http_refused",
                   "plain HTTP on the non-loopback address '%s' needs --insecure-http "
                   "(or use --tls-cert/--tls-key)",
                   opts->listen);
  if (opts->token_ttl <= 0 || opts->nonce_ttl <= 0 || opts->max_body_bytes == 0 ||
      opts->max_connections == 0 || opts->header_timeout == 0)
    return tc_fail(err, TC_ERR_USAGE, "bad_option", "ttl, body and connection limits must be > 0");
  for (size_t i = 0; i < opts->n_require_tees; i++)
    if (tc_tee_from_name(opts->require_tees[i]) == TC_TEE_UNKNOWN)
      return tc_fail(err, TC_ERR_USAGE, "bad_option", "--require-tee: '%s' is not snp, tdx or sgx",
                     opts->require_tees[i]);
  return TC_OK;
}

tc_status tc_service_start(const tc_service_options *opts, tc_service **out, tc_error *err) {
  *out = NULL;
  tc_listen_addr addr;
  tc_status s = tc_listen_parse(opts->listen, &addr, err);
  if (s != TC_OK || (s = check_options(opts, addr.loopback, err)) != TC_OK)
    return s;
  tc_service *svc = calloc(1, sizeof *svc);
  if (svc == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "service");
  svc->opts = *opts;
  pthread_mutex_init(&svc->policy_mu, NULL);
  pthread_mutex_init(&svc->reload_lock, NULL);
  svc->metrics = svc_metrics_new();
  if (svc->metrics == NULL)
    s = tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "metrics");
  if (s != TC_OK || (s = load_keys(svc, err)) != TC_OK || (s = load_nonce_key(svc, err)) != TC_OK ||
      (s = load_policy(svc, err)) != TC_OK || (s = load_collateral(svc, err)) != TC_OK ||
      (s = tc_verifier_new(opts->cache_entries, &svc->verifier, err)) != TC_OK ||
      (s = load_tls(svc, err)) != TC_OK || (s = svc_kbs_start(svc, err)) != TC_OK) {
    service_free(svc);
    return s;
  }
  if (opts->test_no_nonce)
    fprintf(stderr, "teectl serve: WARNING: TEST MODE: attest requests without a nonce are "
                    "accepted (--test-no-nonce)\n");
  if ((s = svc_http_start(svc, &addr, err)) != TC_OK) {
    service_free(svc);
    return s;
  }
  *out = svc;
  return TC_OK;
}

unsigned tc_service_port(const tc_service *svc) {
  return svc->port;
}

unsigned tc_service_metrics_port(const tc_service *svc) {
  return svc->metrics_port;
}

unsigned tc_service_stop(tc_service *svc) {
  if (svc == NULL)
    return 0;
  atomic_store(&svc->draining, 1);
  unsigned abandoned = svc_http_stop(svc);
  if (abandoned == 0)
    service_free(svc);
  return abandoned;
}
