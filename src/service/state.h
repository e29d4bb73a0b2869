/* SPDX-License-Identifier: Apache-2.0 */
/* State of a running attestation service, shared by server.c (HTTP) and attest.c
 * (the attest pipeline). Not a public API. */
#ifndef TEECTL_SERVICE_STATE_H
#define TEECTL_SERVICE_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "service/internal.h"
#include "teectl/appraisal.h"
#include "teectl/ear.h"
#include "teectl/service.h"

struct MHD_Daemon;

struct tc_service {
  tc_service_options opts;
  struct MHD_Daemon *daemon;
  unsigned port;
  svc_metrics *metrics;
  /* token keys and their JWKS text (immutable after start) */
  tc_keyset *keys;
  char *jwks_text;
  /* nonce MAC key */
  uint8_t nonce_key[64];
  size_t nonce_key_len;
  /* collateral from --collateral DIR and roots from --trust-root (immutable) */
  tc_collateral collateral;
  int have_collateral_dir;
  /* appraisal policy, swapped on reload; requests hold a reference while they use it, so a
   * reload never waits for (or starves behind) in-flight requests */
  pthread_mutex_t policy_mu;
  struct svc_policy_ref *policy;
  pthread_mutex_t reload_lock;
  struct stat policy_stat; /* of the file last loaded or last tried */
  atomic_long inflight;
  atomic_int draining;
  char *tls_cert_pem, *tls_key_pem;
};

/** One attest request, already decoded from its JSON body. */
struct svc_attest_in {
  tc_tee tee;
  tc_buf evidence;
  const char *nonce; /* base64url text or NULL */
  tc_buf runtime_data;
  int has_runtime_data;
  tc_buf certs[8]; /* PEM certificates from the request */
  size_t n_certs;
  const char *expect_measurement; /* compat route: hex the evidence must carry, or NULL */
  const char *remote;             /* client address for the audit record */
  const char *route;
};

/**
 * Run challenge-checked verification, binding, appraisal and token issuance.
 * Returns the HTTP status; *body gets the JSON answer ({"token"} or an error object
 * {"error", "detail", ["reason"], ["failed_rules"]}). Writes the audit record.
 */
unsigned svc_attest(tc_service *svc, const struct svc_attest_in *in, json_t **body);

/**
 * Parse a request body (len bytes of JSON) of POST /v1/attest (compat 0) or the compat
 * POST /attest (compat 1) into *in. *root gets the parsed JSON (caller json_decref, after
 * *in is no longer used: in->nonce and in->expect_measurement point into it), also on
 * failure (may be NULL). Returns 1, or 0 with *status (400) and *body (error object) set:
 * codes json_invalid, request_invalid, request_unknown_field, tee_unsupported,
 * evidence_not_base64, runtime_data_not_base64, nonce_malformed. Free *in with
 * svc_attest_in_free in every case.
 */
int svc_request_parse(const char *text, size_t len, int compat, json_t **root,
                      struct svc_attest_in *in, unsigned *status, json_t **body);
void svc_attest_in_free(struct svc_attest_in *in);

/** An error body {"error": code, "detail": detail}. */
json_t *svc_error_body(const char *code, const char *detail);

/** A loaded policy and the number of holders (the service itself holds one). */
struct svc_policy_ref {
  tc_policy *policy;
  atomic_int refs;
};

/** Read and parse the policy file at path; *st gets its stat (what a reload compares).
 *  Errors: TC_ERR_IO "file_unreadable", those of tc_file_read and tc_policy_parse. */
tc_status svc_policy_load_file(const char *path, tc_policy **out, struct stat *st, tc_error *err);

/** A reference holding p (one holder: the service), or NULL on allocation failure. */
struct svc_policy_ref *svc_policy_ref_new(tc_policy *p);

/** Reload the policy file if it changed (stat: inode, size, mtime). Thread-safe. */
void svc_policy_maybe_reload(tc_service *svc);

/** Take a reference to the current policy / give it back (frees a replaced policy when
 *  its last holder is done). */
struct svc_policy_ref *svc_policy_acquire(tc_service *svc);
void svc_policy_release(struct svc_policy_ref *ref);

#endif
