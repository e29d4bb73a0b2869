/* SPDX-License-Identifier: Apache-2.0 */
/* DCAP endorsements of one verification: the checked PCK chain and collateral set
 * (dcap_chain.c, dcap_collateral.c) and, at the verification time, the validity of every
 * certificate, CRL, TCB Info and QE Identity, with the first failure of the checks that do
 * not depend on the time reported where it lies among them (Intel SGX PCK Certificate and
 * CRL Profile; Intel PCS API v4). Order of checks and reason codes: include/teectl/dcap.h. */
#include <string.h>

#include "core/vcache.h"
#include "crypto/trust.h"
#include "crypto/x509.h"
#include "teectl/rfc3339.h"
#include "verifier/dcap_internal.h"

void dcap_vctx_free(dcap_vctx *c) {
  dcap_pck_free(c->pck_owned);
  dcap_coll_free(c->coll_owned);
  tc_vcache_release(c->pck_ref);
  tc_vcache_release(c->coll_ref);
  tc_vcache_release(c->qe_ref);
  EVP_PKEY_free(c->ak_owned);
  EVP_PKEY_free(c->p256_owned);
  tc_trust_store_free(c->trust_owned);
  memset(c, 0, sizeof *c);
}

static void window(dcap_vctx *c, int64_t lo, int64_t hi) {
  if (lo > c->win_lo)
    c->win_lo = lo;
  if (hi < c->win_hi)
    c->win_hi = hi;
}

/* The kept failure, when it comes before `stage`. */
static tc_status before(const dcap_vctx *c, int stage, tc_error *err) {
  if (c->first.stage == DS_NONE || c->first.stage >= stage)
    return TC_OK;
  *err = c->first.err;
  return c->first.st;
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
  if (dcap_pck_chain_bytes(q, col, &chain, &chain_len) != 0)
    return tc_fail(err, TC_ERR_VERIFY, "pck_chain_missing",
                   "quote certification data type %u carries no PCK chain and the collateral "
                   "has no pck_chain.pem",
                   q->cert_data_type);
  if ((st = dcap_endorsements_for(c, chain, chain_len, err)) != TC_OK ||
      (st = before(c, DT_CHAIN_TIME, err)) != TC_OK ||
      (st = dcap_chain_check_time(&c->pck->chain, c->at, &c->win_lo, &c->win_hi, err)) != TC_OK)
    return st;
  return before(c, DS_ROOT_CRL, err);
}

/* A CRL valid at c->at (detail names it as tc_crl_check did, then `what`). */
static tc_status crl_time(dcap_vctx *c, const char *cn, int64_t tu, int64_t nu, const char *what,
                          tc_error *err) {
  tc_status st = tc_crl_window_at(cn, tu, nu, c->at, err);
  if (st != TC_OK) {
    size_t l = strlen(err->detail);
    snprintf(err->detail + l, sizeof err->detail - l, " (%s)", what);
    return st;
  }
  window(c, tu, nu);
  return TC_OK;
}

/* TCB Info / QE Identity at c->at: signing chain (at chain_stage), then issueDate ..
 * nextUpdate. */
static tc_status signed_time(dcap_vctx *c, const dcap_signed *s, int window_stage,
                             const char *reason, const char *what, tc_error *err) {
  tc_status st;
  if ((st = before(c, s->chain.time_stage, err)) != TC_OK ||
      (st = dcap_chain_check_time(&s->chain, c->at, &c->win_lo, &c->win_hi, err)) != TC_OK ||
      (st = before(c, window_stage, err)) != TC_OK)
    return st;
  char a[21], b[21], t[21];
  if (c->at < s->issue_date || c->at > s->next_update)
    return tc_fail(err, TC_ERR_VERIFY, reason,
                   "%s is valid from issueDate %s to nextUpdate %s, not at %s", what,
                   tc_rfc3339_format(s->issue_date, a), tc_rfc3339_format(s->next_update, b),
                   tc_rfc3339_format(c->at, t));
  window(c, s->issue_date, s->next_update);
  return TC_OK;
}

tc_status dcap_check_signed_collateral(dcap_vctx *c, tc_error *err) {
  const dcap_coll *k = c->coll;
  tc_status st;
  if ((st = before(c, DT_ROOT_CRL_TIME, err)) != TC_OK ||
      (st = crl_time(c, k->root_crl_cn, k->root_tu, k->root_nu, "Root CA CRL", err)) != TC_OK ||
      (st = before(c, DT_PCK_CRL_TIME, err)) != TC_OK ||
      (st = crl_time(c, k->pck_crl_cn, k->pck_tu, k->pck_nu, "PCK CRL", err)) != TC_OK ||
      (st = signed_time(c, &k->tcb, DT_TCB_WINDOW, "tcb_info_expired", "TCB Info", err)) != TC_OK ||
      (st = signed_time(c, &k->qe, DT_QE_WINDOW, "qe_identity_expired", "QE Identity", err)) !=
          TC_OK)
    return st;
  return before(c, DS_PCK_EXT, err);
}
