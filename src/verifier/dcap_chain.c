/* SPDX-License-Identifier: Apache-2.0 */
/* DCAP certificate chains, each certificate parsed once and each link checked once per
 * build (a pool shared by the PCK chain and the TCB Info / QE Identity signing chains, which
 * meet the same Intel root), and the PCK chain object: links, trust, leaf commonName and
 * SGX extension (Intel SGX PCK Certificate and CRL Profile). */
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "core/auto.h"
#include "crypto/ecdsa.h"
#include "crypto/trust.h"
#include "crypto/x509.h"
#include "teectl/crypto.h"
#include "teectl/rfc3339.h"
#include "verifier/dcap_internal.h"

tc_status dcap_fail_at(dcap_fail *f, int stage, tc_status st, const tc_error *err) {
  if (st != TC_OK && (f->stage == DS_NONE || stage < f->stage)) {
    f->stage = stage;
    f->st = st;
    f->err = *err;
  }
  return st;
}

/* ---- the pool ---- */

#define POOL_CERTS 8
#define POOL_LINKS 8

struct dcap_pool {
  const tc_trust_store *trust;
  const EVP_PKEY *p256; /* P-256 parameters for the certificates' keys */
  EVP_PKEY *p256_owned; /* made at the first certificate when none was given */
  size_t n_certs, n_links, n_roots;
  struct {
    uint8_t *der;
    size_t len;
    X509 *x;
    EVP_PKEY *key; /* its public key (tc_x509_parse_keyed), NULL if not decodable */
  } certs[POOL_CERTS];
  /* Remembered by pointer, so each holds a reference: a certificate the pool did not keep
   * (beyond POOL_CERTS) cannot be freed and its address reused while it is remembered. */
  struct {
    X509 *sub, *iss;
  } links[POOL_LINKS]; /* verified: sub is issued and signed by iss */
  struct {
    X509 *x;
    int trusted, operator_root;
  } roots[POOL_LINKS];
};

tc_status dcap_pool_new(const tc_trust_store *trust, const EVP_PKEY *p256, dcap_pool **out,
                        tc_error *err) {
  *out = calloc(1, sizeof **out);
  if (*out == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "certificate pool");
  (*out)->trust = trust;
  (*out)->p256 = p256;
  return TC_OK;
}

void dcap_pool_free(dcap_pool *p) {
  if (p == NULL)
    return;
  for (size_t i = 0; i < p->n_certs; i++) {
    free(p->certs[i].der);
    X509_free(p->certs[i].x);
    EVP_PKEY_free(p->certs[i].key);
  }
  EVP_PKEY_free(p->p256_owned);
  for (size_t i = 0; i < p->n_links; i++) {
    X509_free(p->links[i].sub);
    X509_free(p->links[i].iss);
  }
  for (size_t i = 0; i < p->n_roots; i++)
    X509_free(p->roots[i].x);
  free(p);
}

/* tc_x509_reuse_fn: the pool's certificate for these DER bytes, else parse and remember
 * (with its key: tc_x509_parse_keyed). A certificate the pool cannot keep (full, out of
 * memory) is parsed by d2i_X509, so that X509_get0_pubkey gives its key. */
static X509 *pool_cert(void *ctx, const uint8_t *der, size_t len) {
  dcap_pool *p = ctx;
  for (size_t i = 0; i < p->n_certs; i++)
    if (p->certs[i].len == len && memcmp(p->certs[i].der, der, len) == 0)
      return X509_up_ref(p->certs[i].x) == 1 ? p->certs[i].x : NULL;
  if (len > INT32_MAX)
    return NULL;
  uint8_t *copy = p->n_certs < POOL_CERTS ? malloc(len) : NULL;
  if (copy != NULL && p->p256 == NULL)
    p->p256 = p->p256_owned = tc_ec_params_new(TC_EC_P256);
  if (copy == NULL || p->p256 == NULL) {
    free(copy);
    const unsigned char *q = der;
    return d2i_X509(NULL, &q, (long)len);
  }
  EVP_PKEY *key = NULL;
  X509 *x = tc_x509_parse_keyed(der, len, p->p256, &key);
  if (x == NULL || X509_up_ref(x) != 1) {
    free(copy);
    EVP_PKEY_free(key);
    X509_free(x);
    return NULL;
  }
  memcpy(copy, der, len);
  p->certs[p->n_certs].der = copy;
  p->certs[p->n_certs].len = len;
  p->certs[p->n_certs].key = key;
  p->certs[p->n_certs++].x = x;
  return x;
}

/* The public key of x: the pool's for its certificates, else X509_get0_pubkey's (an
 * operator root, a certificate the pool could not keep). Borrowed. */
static EVP_PKEY *pool_key(const dcap_pool *p, X509 *x) {
  for (size_t i = 0; i < p->n_certs; i++)
    if (p->certs[i].x == x)
      return p->certs[i].key;
  return X509_get0_pubkey(x);
}

/* 1 if x is a certificate of the pool whose DER bytes are exactly the Intel SGX Root CA's
 * (tc_dcap_intel_root_cert_sha256). */
static int pinned_root_bytes(const dcap_pool *p, const X509 *x) {
  for (size_t i = 0; i < p->n_certs; i++)
    if (p->certs[i].x == x) {
      uint8_t h[32];
      return tc_sha256(p->certs[i].der, p->certs[i].len, h, NULL) == TC_OK &&
             memcmp(h, tc_dcap_intel_root_cert_sha256, sizeof h) == 0;
    }
  return 0;
}

/* tc_x509_check_issued_by, once per (subject, issuer) of the pool. The self-link of the
 * Intel SGX Root CA given as its exact pinned bytes is not checked again: names, key
 * identifiers, key usage and self-signature are a function of those bytes, which pass them
 * (tests/dcap/test_dcap_root.c checks that they do); a root with any other bytes (the
 * pinned key in another certificate included) is checked as every link is. */
static tc_status check_link(dcap_pool *p, X509 *sub, X509 *iss, const char *r_sig, tc_error *err) {
  for (size_t i = 0; i < p->n_links; i++)
    if (p->links[i].sub == sub && p->links[i].iss == iss)
      return TC_OK;
  tc_status st = sub == iss && pinned_root_bytes(p, sub)
                     ? TC_OK
                     : tc_x509_check_issued_with(sub, iss, pool_key(p, iss), r_sig, err);
  if (st == TC_OK && p->n_links < POOL_LINKS && X509_up_ref(sub) == 1) {
    if (X509_up_ref(iss) != 1) {
      X509_free(sub);
      return st;
    }
    p->links[p->n_links].sub = sub;
    p->links[p->n_links++].iss = iss;
  }
  return st;
}

/* Pinned Intel root, else an operator root (*operator_root = 1); once per root. */
static int root_trusted(dcap_pool *p, X509 *root, int *operator_root) {
  for (size_t i = 0; i < p->n_roots; i++)
    if (p->roots[i].x == root) {
      *operator_root = p->roots[i].operator_root;
      return p->roots[i].trusted;
    }
  uint8_t h[32];
  int trusted = 0, op = 0;
  if (tc_x509_spki_sha256(root, h) == 0) {
    if (memcmp(h, tc_dcap_intel_root_spki_sha256, 32) == 0)
      trusted = 1;
    else if (tc_trust_has_spki(p->trust, h))
      trusted = op = 1;
  }
  if (p->n_roots < POOL_LINKS && X509_up_ref(root) == 1) {
    p->roots[p->n_roots].x = root;
    p->roots[p->n_roots].trusted = trusted;
    p->roots[p->n_roots++].operator_root = op;
  }
  *operator_root = op;
  return trusted;
}

/* ---- chains ---- */

static tc_status with_what(tc_status st, tc_error *err, const char *what) {
  if (st != TC_OK && err != NULL) {
    size_t l = strlen(err->detail);
    snprintf(err->detail + l, sizeof err->detail - l, " (%s)", what);
  }
  return st;
}

/* If the chain's last certificate is not self-issued, append the operator trust root
 * that issued it (chains may omit the root). */
static void complete_chain(const dcap_pool *p, STACK_OF(X509) * sk) {
  X509 *last = sk_X509_value(sk, sk_X509_num(sk) - 1);
  if (tc_x509_issued(last, pool_key(p, last), last) == X509_V_OK)
    return;
  X509 *root = tc_trust_issuer_of(p->trust, last);
  if (root != NULL && X509_up_ref(root) == 1 && sk_X509_push(sk, root) <= 0)
    X509_free(root);
}

void dcap_chain_clear(dcap_chain *c) {
  for (int i = 0; i < c->n; i++) {
    X509_free(c->cert[i].x);
    EVP_PKEY_free(c->cert[i].key);
  }
  memset(c, 0, sizeof *c);
}

tc_status dcap_chain_build(dcap_pool *pool, const uint8_t *pem, size_t len, int want,
                           const char *what, const char *r_sig, const char *r_untrusted,
                           dcap_chain *out, tc_error *err) {
  memset(out, 0, sizeof *out);
  TC_AUTO(tc_x509_stack) *sk = NULL;
  tc_status st = tc_x509_parse_chain_reuse(pem, len, pool_cert, pool, &sk, err);
  if (st != TC_OK)
    return with_what(st, err, what);
  complete_chain(pool, sk);
  int n = sk_X509_num(sk);
  if (n != want || n > 3)
    return tc_fail(err, TC_ERR_VERIFY, r_sig, "%s has %d certificates, expected %d (leaf .. root)",
                   what, n, want);
  for (int i = 0; i < n; i++) {
    X509 *sub = sk_X509_value(sk, i), *iss = sk_X509_value(sk, i + 1 < n ? i + 1 : i);
    if ((st = check_link(pool, sub, iss, r_sig, err)) != TC_OK) {
      size_t l = strlen(err->detail);
      snprintf(err->detail + l, sizeof err->detail - l, " (%s certificate %d)", what, i);
      return st;
    }
  }
  X509 *path[3];
  for (int i = 0; i < n; i++)
    path[i] = sk_X509_value(sk, i);
  if ((st = tc_x509_check_path_len(path, n, r_sig, err)) != TC_OK)
    return with_what(st, err, what);
  if (!root_trusted(pool, sk_X509_value(sk, n - 1), &out->operator_root))
    return tc_fail(err, TC_ERR_VERIFY, r_untrusted,
                   "%s ends in a root that is neither the pinned Intel SGX Root CA nor an "
                   "operator trust root",
                   what);
  for (int i = 0; i < n; i++) {
    dcap_cert *c = &out->cert[i];
    c->x = sk_X509_value(sk, i);
    if ((c->key = pool_key(pool, c->x)) != NULL && EVP_PKEY_up_ref(c->key) != 1)
      c->key = NULL;
    c->dates_ok = tc_x509_validity(c->x, &c->nb, &c->na) == 0;
    tc_x509_subject_cn(c->x, c->cn, sizeof c->cn);
  }
  /* the stack's references become the chain's */
  while (sk_X509_num(sk) > 0)
    sk_X509_pop(sk);
  out->n = n;
  out->what = what;
  return TC_OK;
}

int dcap_chain_share(const dcap_chain *from, const char *what, dcap_chain *out) {
  memset(out, 0, sizeof *out);
  int ok = 1;
  for (int i = 0; i < from->n && ok; i++) {
    if (X509_up_ref(from->cert[i].x) != 1) {
      ok = 0;
      break;
    }
    out->cert[i] = from->cert[i];
    out->n = i + 1;
    if (out->cert[i].key != NULL && EVP_PKEY_up_ref(out->cert[i].key) != 1) {
      out->cert[i].key = NULL;
      ok = 0;
    }
  }
  if (!ok) {
    dcap_chain_clear(out);
    return -1;
  }
  out->operator_root = from->operator_root;
  out->what = what;
  return 0;
}

tc_status dcap_chain_check_time(const dcap_chain *c, int64_t at, int64_t *lo, int64_t *hi,
                                tc_error *err) {
  for (int i = 0; i < c->n; i++) {
    const dcap_cert *x = &c->cert[i];
    char a[21], b[21], t[21];
    if (!x->dates_ok)
      return tc_fail(err, TC_ERR_VERIFY, c->r_time, "'%s': unreadable validity period", x->cn);
    if (at < x->nb || at > x->na)
      return tc_fail(err, TC_ERR_VERIFY, c->r_time, "'%s' is valid from %s to %s, not at %s", x->cn,
                     tc_rfc3339_format(x->nb, a), tc_rfc3339_format(x->na, b),
                     tc_rfc3339_format(at, t));
    if (x->nb > *lo)
      *lo = x->nb;
    if (x->na < *hi)
      *hi = x->na;
  }
  return TC_OK;
}

/* ---- the PCK chain ---- */

void dcap_pck_free(void *pck) {
  dcap_pck *p = pck;
  if (p == NULL)
    return;
  dcap_chain_clear(&p->chain);
  free(p);
}

tc_status dcap_pck_build(dcap_pool *pool, const uint8_t *pem, size_t len, dcap_pck **out,
                         tc_error *err) {
  *out = NULL;
  dcap_pck *p = calloc(1, sizeof *p);
  if (p == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "PCK chain");
  tc_error e;
  tc_error_clear(&e);
  tc_status st = dcap_chain_build(pool, pem, len, 3, "PCK chain", "pck_chain_invalid",
                                  "pck_chain_untrusted", &p->chain, &e);
  p->chain.time_stage = DT_CHAIN_TIME;
  p->chain.r_time = "pck_cert_expired";
  if (dcap_fail_at(&p->fail, DS_CHAIN, st, &e) == TC_OK) {
    const char *cn = p->chain.cert[0].cn;
    if (strstr(cn, "SGX PCK Certificate") == NULL)
      dcap_fail_at(&p->fail, DS_CHAIN_CN,
                   tc_fail(&e, TC_ERR_VERIFY, "pck_chain_invalid",
                           "PCK leaf commonName \"%s\" does not contain \"SGX PCK Certificate\"",
                           cn),
                   &e);
    else
      dcap_fail_at(&p->fail, DS_PCK_EXT, dcap_pck_info_from_cert(p->chain.cert[0].x, &p->info, &e),
                   &e);
  }
  *out = p;
  return TC_OK;
}
