/* SPDX-License-Identifier: Apache-2.0 */
/* DCAP endorsements of one verification: the PCK certificate chain, the Intel CRLs and
 * the signed PCS collateral (TCB Info, QE Identity) with their signing chains (Intel SGX
 * PCK Certificate and CRL Profile; Intel PCS API v4). Order of checks and reason codes:
 * include/teectl/dcap.h. */
#include <openssl/x509v3.h>
#include <string.h>

#include "core/auto.h"
#include "crypto/ecdsa.h"
#include "crypto/trust.h"
#include "crypto/x509.h"
#include "teectl/rfc3339.h"
#include "verifier/dcap_internal.h"

void dcap_vctx_free(dcap_vctx *c) {
  sk_X509_pop_free(c->pck, X509_free);
  sk_X509_pop_free(c->tcb_chain, X509_free);
  sk_X509_pop_free(c->qe_chain, X509_free);
  X509_CRL_free(c->pck_crl);
  X509_CRL_free(c->root_crl);
  json_decref(c->tcb_doc);
  json_decref(c->qe_doc);
  tc_dcap_tcb_info_free(&c->ti);
  tc_dcap_qe_identity_free(&c->qi);
  EVP_PKEY_free(c->ak);
  tc_trust_store_free(c->trust_owned);
  memset(c, 0, sizeof *c);
}

static void window(dcap_vctx *c, int64_t lo, int64_t hi) {
  if (lo > c->win_lo)
    c->win_lo = lo;
  if (hi < c->win_hi)
    c->win_hi = hi;
}

/* Pinned Intel root, else an operator root (noted in c->operator_root). */
static int root_trusted(dcap_vctx *c, X509 *root) {
  uint8_t h[32];
  if (tc_x509_spki_sha256(root, h) != 0)
    return 0;
  if (memcmp(h, tc_dcap_intel_root_spki_sha256, 32) == 0)
    return 1;
  if (!tc_trust_has_spki(c->trust, h))
    return 0;
  c->operator_root = 1;
  return 1;
}

/* If the chain's last certificate is not self-issued, append the operator trust root
 * that issued it (chains may omit the root). */
static void complete_chain(const dcap_vctx *c, STACK_OF(X509) * sk) {
  X509 *last = sk_X509_value(sk, sk_X509_num(sk) - 1);
  if (X509_check_issued(last, last) == X509_V_OK)
    return;
  X509 *root = tc_trust_issuer_of(c->trust, last);
  if (root != NULL && X509_up_ref(root) == 1 && sk_X509_push(sk, root) <= 0)
    X509_free(root);
}

/* Links, self-signed pinned root, every certificate valid at c->at. want: exact length. */
static tc_status check_chain(dcap_vctx *c, STACK_OF(X509) * sk, int want, const char *what,
                             const char *r_sig, const char *r_untrusted, const char *r_time,
                             tc_error *err) {
  complete_chain(c, sk);
  int n = sk_X509_num(sk);
  if (n != want)
    return tc_fail(err, TC_ERR_VERIFY, r_sig, "%s has %d certificates, expected %d (leaf .. root)",
                   what, n, want);
  for (int i = 0; i < n; i++) {
    X509 *sub = sk_X509_value(sk, i), *iss = sk_X509_value(sk, i + 1 < n ? i + 1 : i);
    tc_status st = tc_x509_check_issued_by(sub, iss, r_sig, err);
    if (st != TC_OK) {
      size_t l = strlen(err->detail);
      snprintf(err->detail + l, sizeof err->detail - l, " (%s certificate %d)", what, i);
      return st;
    }
  }
  if (!root_trusted(c, sk_X509_value(sk, n - 1)))
    return tc_fail(err, TC_ERR_VERIFY, r_untrusted,
                   "%s ends in a root that is neither the pinned Intel SGX Root CA nor an "
                   "operator trust root",
                   what);
  for (int i = 0; i < n; i++) {
    X509 *x = sk_X509_value(sk, i);
    tc_status st = tc_x509_check_time(x, c->at, r_time, err);
    if (st != TC_OK)
      return st;
    int64_t nb, na;
    if (tc_x509_validity(x, &nb, &na) == 0)
      window(c, nb, na);
  }
  return TC_OK;
}

/* Every collateral item DCAP verification needs; all missing ones are named at once. */
static tc_status need_items(const tc_collateral *col, tc_error *err) {
  const struct {
    const tc_buf *b;
    const char *name;
  } items[] = {{&col->tcb_info, "tcb_info.json"},
               {&col->tcb_info_issuer_chain, "tcb_info_issuer_chain.pem"},
               {&col->qe_identity, "qe_identity.json"},
               {&col->qe_identity_issuer_chain, "qe_identity_issuer_chain.pem"},
               {&col->pck_crl, "pck_crl.der"},
               {&col->root_ca_crl, "root_ca_crl.der"}};
  char missing[256] = "";
  size_t used = 0;
  for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
    if (items[i].b->data == NULL || items[i].b->len == 0) {
      int w =
          snprintf(missing + used, sizeof missing - used, "%s%s", used ? ", " : "", items[i].name);
      if (w > 0 && (size_t)w < sizeof missing - used)
        used += (size_t)w;
    }
  if (used > 0)
    return tc_fail(err, TC_ERR_VERIFY, "collateral_missing", "missing %s", missing);
  return TC_OK;
}

static void crl_window(dcap_vctx *c, X509_CRL *crl) {
  int64_t tu, nu;
  if (tc_asn1_time_seconds(X509_CRL_get0_lastUpdate(crl), &tu) == 0 &&
      X509_CRL_get0_nextUpdate(crl) != NULL &&
      tc_asn1_time_seconds(X509_CRL_get0_nextUpdate(crl), &nu) == 0)
    window(c, tu, nu);
}

static tc_status with_what(tc_status st, tc_error *err, const char *what) {
  if (st != TC_OK && err != NULL) {
    size_t l = strlen(err->detail);
    snprintf(err->detail + l, sizeof err->detail - l, " (%s)", what);
  }
  return st;
}

tc_status dcap_check_pck_chain(dcap_vctx *c, const tc_dcap_quote *q, tc_error *err) {
  const tc_collateral *col = c->col;
  tc_status st;
  if (col == NULL)
    return tc_fail(err, TC_ERR_VERIFY, "collateral_missing", "no collateral given");
  if ((st = need_items(col, err)) != TC_OK ||
      (st = tc_trust_for(col, &c->trust_owned, &c->trust, err)) != TC_OK)
    return st;
  /* From the quote (type 5), else from the collateral. */
  const uint8_t *chain = NULL;
  size_t chain_len = 0;
  if (q->cert_data_type == 5) {
    chain = q->cert_data;
    chain_len = q->cert_data_len;
  } else if (col->pck_chain.data != NULL) {
    chain = col->pck_chain.data;
    chain_len = col->pck_chain.len;
  } else
    return tc_fail(err, TC_ERR_VERIFY, "pck_chain_missing",
                   "quote certification data type %u carries no PCK chain and the collateral "
                   "has no pck_chain.pem",
                   q->cert_data_type);
  if ((st = tc_x509_parse_chain(chain, chain_len, &c->pck, err)) != TC_OK)
    return with_what(st, err, "PCK chain");
  if ((st = check_chain(c, c->pck, 3, "PCK chain", "pck_chain_invalid", "pck_chain_untrusted",
                        "pck_cert_expired", err)) != TC_OK)
    return st;
  char cn[128];
  tc_x509_subject_cn(sk_X509_value(c->pck, 0), cn, sizeof cn);
  if (strstr(cn, "SGX PCK Certificate") == NULL)
    return tc_fail(err, TC_ERR_VERIFY, "pck_chain_invalid",
                   "PCK leaf commonName \"%s\" does not contain \"SGX PCK Certificate\"", cn);
  return TC_OK;
}

/* Root CA CRL (revokes intermediates and signing certificates, issued by the root) and PCK
 * CRL (revokes leaves, issued by the PCK CA), then the revocation of the PCK chain. */
static tc_status check_crls(dcap_vctx *c, tc_error *err) {
  const tc_collateral *col = c->col;
  X509 *leaf = sk_X509_value(c->pck, 0), *inter = sk_X509_value(c->pck, 1),
       *root = sk_X509_value(c->pck, 2);
  tc_status st;
  TC_AUTO(X509_CRL) *root_crl = NULL, *pck_crl = NULL;
  if ((st = tc_crl_parse(col->root_ca_crl.data, col->root_ca_crl.len, &root_crl, err)) != TC_OK)
    return with_what(st, err, "root_ca_crl.der");
  if ((st = with_what(tc_crl_check(root_crl, root, c->at, err), err, "Root CA CRL")) != TC_OK)
    return st;
  crl_window(c, root_crl);
  if ((st = tc_crl_parse(col->pck_crl.data, col->pck_crl.len, &pck_crl, err)) != TC_OK)
    return with_what(st, err, "pck_crl.der");
  if ((st = with_what(tc_crl_check(pck_crl, inter, c->at, err), err, "PCK CRL")) != TC_OK)
    return st;
  crl_window(c, pck_crl);
  if (tc_crl_revokes(root_crl, inter))
    return tc_fail(err, TC_ERR_VERIFY, "pck_revoked",
                   "the PCK CA certificate is revoked by the Root CA CRL");
  if (tc_crl_revokes(pck_crl, leaf))
    return tc_fail(err, TC_ERR_VERIFY, "pck_revoked",
                   "the PCK certificate is revoked by the PCK CRL");
  c->root_crl = root_crl;
  c->pck_crl = pck_crl;
  root_crl = pck_crl = NULL;
  return TC_OK;
}

/* Signed PCS JSON (TCB Info or QE Identity): chain, signature over the exact inner
 * object bytes, then the JSON document. */
static tc_status check_signed_json(dcap_vctx *c, const tc_buf *text, const tc_buf *chain_pem,
                                   const char *key, const char *what, STACK_OF(X509) * *chain,
                                   json_t **doc, tc_error *err) {
  char r_chain[48], r_sig[48];
  snprintf(r_chain, sizeof r_chain, "%s_chain_invalid", what);
  snprintf(r_sig, sizeof r_sig, "%s_signature_invalid", what);
  size_t off, len;
  uint8_t sig[64];
  tc_status st = tc_dcap_signed_json(text->data, text->len, key, what, &off, &len, sig, err);
  if (st != TC_OK)
    return st;
  TC_AUTO(tc_x509_stack) *sk = NULL;
  if ((st = tc_x509_parse_chain(chain_pem->data, chain_pem->len, &sk, err)) != TC_OK)
    return with_what(st, err, what);
  if ((st = check_chain(c, sk, 2, what, r_chain, r_chain, r_chain, err)) != TC_OK)
    return st;
  X509 *signer = sk_X509_value(sk, 0);
  X509 *root = sk_X509_value(sk, 1);
  if (tc_crl_revokes(c->root_crl, signer))
    return tc_fail(err, TC_ERR_VERIFY, r_chain,
                   "%s signing certificate is revoked by the Root CA CRL", what);
  if (X509_NAME_cmp(X509_CRL_get_issuer(c->root_crl), X509_get_subject_name(root)) != 0)
    return tc_fail(err, TC_ERR_VERIFY, r_chain, "%s chain root is not the Root CA CRL issuer",
                   what);
  st = tc_ecdsa_verify_raw(X509_get0_pubkey(signer), TC_EC_P256, TC_HASH_SHA256, text->data + off,
                           len, sig, sizeof sig, err);
  if (st != TC_OK)
    return st != TC_ERR_VERIFY
               ? st
               : tc_fail(err, TC_ERR_VERIFY, r_sig,
                         "%s signature does not verify over the %zu bytes of the \"%s\" object at "
                         "offset %zu with the signing certificate's P-256 key",
                         what, len, key, off);
  json_error_t je;
  *doc = json_loadb((const char *)text->data, text->len, JSON_REJECT_DUPLICATES, &je);
  if (*doc == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "%s JSON", what);
  *chain = sk;
  sk = NULL;
  return TC_OK;
}

static tc_status check_window(dcap_vctx *c, int64_t issue, int64_t next, const char *reason,
                              const char *what, tc_error *err) {
  char a[21], b[21], t[21];
  if (c->at < issue || c->at > next)
    return tc_fail(
        err, TC_ERR_VERIFY, reason, "%s is valid from issueDate %s to nextUpdate %s, not at %s",
        what, tc_rfc3339_format(issue, a), tc_rfc3339_format(next, b), tc_rfc3339_format(c->at, t));
  window(c, issue, next);
  return TC_OK;
}

tc_status dcap_check_signed_collateral(dcap_vctx *c, tc_error *err) {
  const tc_collateral *col = c->col;
  tc_status st;
  if ((st = check_crls(c, err)) != TC_OK)
    return st;
  if ((st = check_signed_json(c, &col->tcb_info, &col->tcb_info_issuer_chain, "tcbInfo", "tcb_info",
                              &c->tcb_chain, &c->tcb_doc, err)) != TC_OK ||
      (st = tc_dcap_tcb_info_parse(json_object_get(c->tcb_doc, "tcbInfo"), &c->ti, err)) != TC_OK ||
      (st = check_window(c, c->ti.issue_date, c->ti.next_update, "tcb_info_expired", "TCB Info",
                         err)) != TC_OK)
    return st;
  if ((st = check_signed_json(c, &col->qe_identity, &col->qe_identity_issuer_chain,
                              "enclaveIdentity", "qe_identity", &c->qe_chain, &c->qe_doc, err)) !=
          TC_OK ||
      (st = tc_dcap_qe_identity_parse(json_object_get(c->qe_doc, "enclaveIdentity"), &c->qi,
                                      err)) != TC_OK)
    return st;
  return check_window(c, c->qi.issue_date, c->qi.next_update, "qe_identity_expired", "QE Identity",
                      err);
}
