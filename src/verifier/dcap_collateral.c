/* SPDX-License-Identifier: Apache-2.0 */
/* A DCAP collateral set checked once: Root CA CRL and PCK CRL parsed, TCB Info and QE
 * Identity checked against their signing chains and parsed (Intel PCS API v4), each input
 * parsed once; and what joins it to a PCK chain (CRL issuers, revocation). Order of checks
 * and reason codes: include/teectl/dcap.h. */
#include <stdlib.h>
#include <string.h>

#include "core/auto.h"
#include "crypto/ecdsa.h"
#include "crypto/x509.h"
#include "verifier/dcap_internal.h"

static tc_status with_what(tc_status st, tc_error *err, const char *what) {
  if (st != TC_OK) {
    size_t l = strlen(err->detail);
    snprintf(err->detail + l, sizeof err->detail - l, " (%s)", what);
  }
  return st;
}

void dcap_coll_free(void *coll) {
  dcap_coll *c = coll;
  if (c == NULL)
    return;
  X509_CRL_free(c->root_crl);
  X509_CRL_free(c->pck_crl);
  dcap_chain_clear(&c->tcb.chain);
  dcap_chain_clear(&c->qe.chain);
  tc_dcap_tcb_info_free(&c->ti);
  tc_dcap_qe_identity_free(&c->qi);
  free(c);
}

/* A CRL: parsed (stage), its dates readable (stage + 2). */
static void crl_build(dcap_coll *c, const tc_buf *b, const char *file, const char *what, int stage,
                      X509_CRL **crl, int64_t *tu, int64_t *nu, char *cn, size_t cn_cap) {
  tc_error e;
  tc_error_clear(&e);
  if (dcap_fail_at(&c->fail, stage, with_what(tc_crl_parse(b->data, b->len, crl, &e), &e, file),
                   &e) != TC_OK)
    return;
  tc_crl_issuer_cn(*crl, cn, cn_cap);
  dcap_fail_at(&c->fail, stage + 2, with_what(tc_crl_dates(*crl, cn, tu, nu, &e), &e, what), &e);
}

/* Signed PCS JSON (TCB Info or QE Identity) from stage: the exact span of the inner object
 * and its signature, the signing chain (links, trust), then (stage + 4) the signer not
 * revoked by the Root CA CRL, the chain's root the CRL's issuer, the signature over the
 * span, and the document handed back in *doc. The time checks are the caller's. same: a
 * chain that passed dcap_chain_build from the same bytes as chain_pem (it is shared, not
 * built again), or NULL. */
static tc_status signed_build(dcap_coll *c, dcap_pool *pool, const tc_buf *text,
                              const tc_buf *chain_pem, const dcap_chain *same, const char *key,
                              const char *what, int stage, dcap_signed *out, json_t **doc,
                              tc_error *err) {
  char r_chain[48], r_sig[48];
  snprintf(r_chain, sizeof r_chain, "%s_chain_invalid", what);
  snprintf(r_sig, sizeof r_sig, "%s_signature_invalid", what);
  size_t off, len;
  uint8_t sig[64];
  json_auto_t *d = NULL;
  tc_status st = dcap_signed_json_doc(text->data, text->len, key, what, &off, &len, sig, &d, err);
  if (st == TC_OK && (same == NULL || dcap_chain_share(same, what, &out->chain) != 0))
    st = dcap_chain_build(pool, chain_pem->data, chain_pem->len, 2, what, r_chain, r_chain,
                          &out->chain, err);
  out->chain.time_stage = stage + 3;
  out->chain.r_time = stage == DS_TCB ? "tcb_info_chain_invalid" : "qe_identity_chain_invalid";
  if (dcap_fail_at(&c->fail, stage, st, err) != TC_OK)
    return st;
  if (c->root_crl == NULL) /* an earlier stage failed */
    return TC_ERR_VERIFY;
  X509 *signer = out->chain.cert[0].x, *root = out->chain.cert[1].x;
  const EVP_PKEY *signer_key = out->chain.cert[0].key;
  if (tc_crl_revokes(c->root_crl, signer))
    st = tc_fail(err, TC_ERR_VERIFY, r_chain,
                 "%s signing certificate is revoked by the Root CA CRL", what);
  else if (X509_NAME_cmp(X509_CRL_get_issuer(c->root_crl), X509_get_subject_name(root)) != 0)
    st = tc_fail(err, TC_ERR_VERIFY, r_chain, "%s chain root is not the Root CA CRL issuer", what);
  else if ((st = tc_ecdsa_verify_raw(signer_key, TC_EC_P256, TC_HASH_SHA256, text->data + off, len,
                                     sig, sizeof sig, err)) == TC_ERR_VERIFY)
    st = tc_fail(err, TC_ERR_VERIFY, r_sig,
                 "%s signature does not verify over the %zu bytes of the \"%s\" object at offset "
                 "%zu with the signing certificate's P-256 key",
                 what, len, key, off);
  if (dcap_fail_at(&c->fail, stage + 4, st, err) != TC_OK)
    return st;
  *doc = d;
  d = NULL;
  return TC_OK;
}

tc_status dcap_coll_build(dcap_pool *pool, const tc_collateral *col, dcap_coll **out,
                          tc_error *err) {
  *out = NULL;
  dcap_coll *c = calloc(1, sizeof *c);
  if (c == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "collateral");
  crl_build(c, &col->root_ca_crl, "root_ca_crl.der", "Root CA CRL", DS_ROOT_CRL, &c->root_crl,
            &c->root_tu, &c->root_nu, c->root_crl_cn, sizeof c->root_crl_cn);
  crl_build(c, &col->pck_crl, "pck_crl.der", "PCK CRL", DS_PCK_CRL, &c->pck_crl, &c->pck_tu,
            &c->pck_nu, c->pck_crl_cn, sizeof c->pck_crl_cn);
  tc_error e;
  tc_error_clear(&e);
  json_auto_t *tcb_doc = NULL, *qe_doc = NULL;
  if (signed_build(c, pool, &col->tcb_info, &col->tcb_info_issuer_chain, NULL, "tcbInfo",
                   "tcb_info", DS_TCB, &c->tcb, &tcb_doc, &e) == TC_OK &&
      dcap_fail_at(&c->fail, DS_TCB_SIGNED,
                   tc_dcap_tcb_info_parse(json_object_get(tcb_doc, "tcbInfo"), &c->ti, &e),
                   &e) == TC_OK) {
    c->tcb.issue_date = c->ti.issue_date;
    c->tcb.next_update = c->ti.next_update;
  }
  /* PCS serves both documents with the same issuer chain: the same bytes give the same
   * checked chain, so the TCB Info's is shared when it passed */
  const tc_buf *tp = &col->tcb_info_issuer_chain, *qp = &col->qe_identity_issuer_chain;
  const dcap_chain *same =
      c->tcb.chain.n == 2 && tp->len == qp->len && memcmp(tp->data, qp->data, qp->len) == 0
          ? &c->tcb.chain
          : NULL;
  if (signed_build(c, pool, &col->qe_identity, qp, same, "enclaveIdentity", "qe_identity", DS_QE,
                   &c->qe, &qe_doc, &e) == TC_OK &&
      dcap_fail_at(
          &c->fail, DS_QE_SIGNED,
          tc_dcap_qe_identity_parse(json_object_get(qe_doc, "enclaveIdentity"), &c->qi, &e),
          &e) == TC_OK) {
    c->qe.issue_date = c->qi.issue_date;
    c->qe.next_update = c->qi.next_update;
  }
  *out = c;
  return TC_OK;
}

void dcap_pair_check(const dcap_pck *pck, const dcap_coll *coll, dcap_fail *f) {
  memset(f, 0, sizeof *f);
  if (pck->chain.n != 3)
    return; /* the chain failed before: that failure comes first */
  X509 *leaf = pck->chain.cert[0].x, *inter = pck->chain.cert[1].x, *root = pck->chain.cert[2].x;
  tc_error e;
  tc_error_clear(&e);
  if (coll->root_crl != NULL)
    dcap_fail_at(
        f, DS_ROOT_CRL_SIG,
        with_what(tc_crl_check_signature_with(coll->root_crl, root, pck->chain.cert[2].key, &e), &e,
                  "Root CA CRL"),
        &e);
  if (coll->pck_crl != NULL)
    dcap_fail_at(
        f, DS_PCK_CRL_SIG,
        with_what(tc_crl_check_signature_with(coll->pck_crl, inter, pck->chain.cert[1].key, &e), &e,
                  "PCK CRL"),
        &e);
  if (coll->root_crl == NULL || coll->pck_crl == NULL)
    return;
  if (tc_crl_revokes(coll->root_crl, inter))
    dcap_fail_at(f, DS_REVOKED,
                 tc_fail(&e, TC_ERR_VERIFY, "pck_revoked",
                         "the PCK CA certificate is revoked by the Root CA CRL"),
                 &e);
  else if (tc_crl_revokes(coll->pck_crl, leaf))
    dcap_fail_at(
        f, DS_REVOKED,
        tc_fail(&e, TC_ERR_VERIFY, "pck_revoked", "the PCK certificate is revoked by the PCK CRL"),
        &e);
}
