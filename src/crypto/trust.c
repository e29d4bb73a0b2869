/* SPDX-License-Identifier: Apache-2.0 */
/* Operator trust roots, parsed once at load (teectl/verify.h, crypto/trust.h). */
#include "crypto/trust.h"

#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "core/auto.h"
#include "crypto/x509.h"

struct tc_trust_store {
  size_t n;
  X509 **roots;        /* n parsed roots (NULL where one did not parse) */
  uint8_t (*spki)[32]; /* SHA-256 of each root's SubjectPublicKeyInfo */
  int has_error;
  tc_error error; /* the first root that did not parse */
  uint8_t id[32]; /* SHA-256 over the DER of the parsed roots, in order */
};

void tc_trust_store_free(tc_trust_store *ts) {
  if (ts == NULL)
    return;
  for (size_t i = 0; i < ts->n; i++)
    X509_free(ts->roots[i]);
  free(ts->roots);
  free(ts->spki);
  free(ts);
}

/* ts->id: SHA-256 over each parsed root's DER preceded by its length (8 bytes big-endian). */
static int trust_digest(tc_trust_store *ts) {
  TC_AUTO(EVP_MD_CTX) *md = EVP_MD_CTX_new();
  if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
    return -1;
  for (size_t i = 0; i < ts->n; i++) {
    if (ts->roots[i] == NULL)
      continue;
    TC_AUTO(tc_ossl_bytes) *der = NULL;
    int n = i2d_X509(ts->roots[i], &der);
    uint8_t l[8];
    for (int k = 0; k < 8; k++)
      l[k] = (uint8_t)((uint64_t)(n > 0 ? n : 0) >> (56 - 8 * k));
    if (n <= 0 || EVP_DigestUpdate(md, l, 8) != 1 || EVP_DigestUpdate(md, der, (size_t)n) != 1)
      return -1;
  }
  return EVP_DigestFinal_ex(md, ts->id, NULL) == 1 ? 0 : -1;
}

void tc_trust_id(const tc_trust_store *ts, uint8_t out[32]) {
  static const uint8_t none[32] = {0};
  memcpy(out, ts != NULL ? ts->id : none, 32);
}

/* Parse every root; strict: the first that does not parse fails the call, else keep it. */
static tc_status build(const tc_buf *roots, size_t n, int strict, tc_trust_store **out,
                       tc_error *err) {
  *out = NULL;
  tc_trust_store *ts = calloc(1, sizeof *ts);
  if (ts == NULL || (n > 0 && ((ts->roots = calloc(n, sizeof *ts->roots)) == NULL ||
                               (ts->spki = calloc(n, sizeof *ts->spki)) == NULL))) {
    tc_trust_store_free(ts);
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "trust roots");
  }
  ts->n = n;
  for (size_t i = 0; i < n; i++) {
    tc_error e;
    tc_error_clear(&e);
    if (tc_x509_parse(roots[i].data, roots[i].len, &ts->roots[i], &e) != TC_OK ||
        tc_x509_spki_sha256(ts->roots[i], ts->spki[i]) != 0) {
      if (e.status == TC_OK)
        tc_fail(&e, TC_ERR_PARSE, "cert_unparsable", "unreadable public key");
      if (strict) {
        tc_trust_store_free(ts);
        return tc_fail(err, TC_ERR_PARSE, "trust_root_invalid",
                       "trust root #%zu is not a certificate (PEM or DER): %s", i, e.detail);
      }
      X509_free(ts->roots[i]);
      ts->roots[i] = NULL;
      if (!ts->has_error)
        tc_fail(&ts->error, TC_ERR_PARSE, "cert_unparsable", "trust root #%zu: %s", i, e.detail);
      ts->has_error = 1;
    }
  }
  if (trust_digest(ts) != 0) {
    tc_trust_store_free(ts);
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "trust roots");
  }
  *out = ts;
  return TC_OK;
}

tc_status tc_trust_store_new(const tc_buf *roots, size_t n, tc_trust_store **out, tc_error *err) {
  return build(roots, n, 1, out, err);
}

int tc_trust_has_spki(const tc_trust_store *ts, const uint8_t spki_sha256[32]) {
  for (size_t i = 0; ts != NULL && i < ts->n; i++)
    if (ts->roots[i] != NULL && memcmp(ts->spki[i], spki_sha256, 32) == 0)
      return 1;
  return 0;
}

X509 *tc_trust_issuer_of(const tc_trust_store *ts, X509 *cert) {
  for (size_t i = 0; ts != NULL && i < ts->n; i++)
    if (ts->roots[i] != NULL && X509_check_issued(ts->roots[i], cert) == X509_V_OK)
      return ts->roots[i];
  return NULL;
}

const tc_error *tc_trust_error(const tc_trust_store *ts) {
  return ts != NULL && ts->has_error ? &ts->error : NULL;
}

tc_status tc_trust_for(const tc_collateral *col, tc_trust_store **owned, const tc_trust_store **use,
                       tc_error *err) {
  *owned = NULL;
  *use = NULL;
  if (col == NULL)
    return TC_OK;
  if (col->trust == NULL && col->n_trust_roots == 0)
    return TC_OK; /* trusts what an empty store trusts: nothing */
  if (col->trust != NULL) {
    *use = col->trust;
    return TC_OK;
  }
  tc_status st = build(col->trust_roots, col->n_trust_roots, 0, owned, err);
  *use = *owned;
  return st;
}
