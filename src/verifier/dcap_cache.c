/* SPDX-License-Identifier: Apache-2.0 */
/* The DCAP endorsement cache (teectl/dcap.h tc_dcap_cache): checked PCK chains, collateral
 * sets and the pairs of them found to fit, keyed by the SHA-256 of their exact bytes and
 * the operator trust roots (core/vcache.h); and how one verification gets its checked
 * endorsements, from the cache or built. */
#include <stdlib.h>
#include <string.h>

#include "core/vcache.h"
#include "crypto/ecdsa.h"
#include "crypto/trust.h"
#include "verifier/dcap_internal.h"

struct tc_dcap_cache {
  tc_vcache *pck;  /* key: pck_key; value: a dcap_pck without failure */
  tc_vcache *coll; /* key: coll_key; value: a dcap_coll without failure */
  tc_vcache *pair; /* key: pair_key; value: a marker, the pair passed dcap_pair_check */
  EVP_PKEY *p256;  /* P-256 parameters: each quote's attestation key is made from them */
};

static void marker_free(void *m) {
  free(m);
}

tc_status tc_dcap_cache_new(size_t max_entries, tc_dcap_cache **out, tc_error *err) {
  *out = NULL;
  tc_dcap_cache *dc = calloc(1, sizeof *dc);
  if (dc == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "DCAP cache");
  tc_status st;
  if ((st = tc_vcache_new(max_entries, dcap_pck_free, &dc->pck, err)) != TC_OK ||
      (st = tc_vcache_new(max_entries, dcap_coll_free, &dc->coll, err)) != TC_OK ||
      (st = tc_vcache_new(max_entries, marker_free, &dc->pair, err)) != TC_OK ||
      ((dc->p256 = tc_ec_params_new(TC_EC_P256)) == NULL &&
       (st = tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "P-256 parameters")) != TC_OK)) {
    tc_dcap_cache_free(dc);
    return st;
  }
  *out = dc;
  return TC_OK;
}

void tc_dcap_cache_free(tc_dcap_cache *dc) {
  if (dc == NULL)
    return;
  tc_vcache_free(dc->pck);
  tc_vcache_free(dc->coll);
  tc_vcache_free(dc->pair);
  EVP_PKEY_free(dc->p256);
  free(dc);
}

void tc_dcap_cache_counts(tc_dcap_cache *dc, uint64_t *hits, uint64_t *misses, size_t *entries) {
  tc_vcache_counters p, c, q;
  tc_vcache_stats(dc != NULL ? dc->pck : NULL, &p);
  tc_vcache_stats(dc != NULL ? dc->coll : NULL, &c);
  tc_vcache_stats(dc != NULL ? dc->pair : NULL, &q);
  *hits = p.hits + c.hits;
  *misses = p.misses + c.misses;
  *entries = p.entries + c.entries + q.entries;
}

EVP_PKEY *dcap_attestation_key(const tc_dcap_cache *dc, const uint8_t *xy, size_t len) {
  return dc != NULL ? tc_ec_key_from_raw_as(dc->p256, xy, len)
                    : tc_ec_key_from_raw(TC_EC_P256, xy, len);
}

/* Keys: the chain's bytes, the six collateral items' bytes, each with the trust roots'
 * identity (they decide complete_chain and root trust); the pair: both keys. */
static int keys(const dcap_vctx *c, const uint8_t *chain, size_t chain_len,
                uint8_t kp[TC_VCACHE_KEY_LEN], uint8_t kc[TC_VCACHE_KEY_LEN],
                uint8_t kq[TC_VCACHE_KEY_LEN]) {
  const tc_collateral *col = c->col;
  uint8_t trust[32];
  tc_trust_id(c->trust, trust);
  const tc_span pp[] = {{chain, chain_len}, {trust, sizeof trust}};
  const tc_span cp[] = {{col->tcb_info.data, col->tcb_info.len},
                        {col->tcb_info_issuer_chain.data, col->tcb_info_issuer_chain.len},
                        {col->qe_identity.data, col->qe_identity.len},
                        {col->qe_identity_issuer_chain.data, col->qe_identity_issuer_chain.len},
                        {col->pck_crl.data, col->pck_crl.len},
                        {col->root_ca_crl.data, col->root_ca_crl.len},
                        {trust, sizeof trust}};
  if (tc_vcache_key("dcap-pck-chain", pp, 2, kp, NULL) != TC_OK ||
      tc_vcache_key("dcap-collateral", cp, sizeof cp / sizeof cp[0], kc, NULL) != TC_OK)
    return -1;
  const tc_span qp[] = {{kp, TC_VCACHE_KEY_LEN}, {kc, TC_VCACHE_KEY_LEN}};
  return tc_vcache_key("dcap-pair", qp, 2, kq, NULL) == TC_OK ? 0 : -1;
}

/* Put a checked object that has no failure; else keep it as this verification's own. */
static tc_status keep(tc_vcache *vc, const uint8_t key[TC_VCACHE_KEY_LEN], void *obj, int ok,
                      void **owned, tc_vcache_ref **ref, const void **use, tc_error *err) {
  if (!ok) {
    *owned = obj;
    *use = obj;
    return TC_OK;
  }
  tc_status st = tc_vcache_put(vc, key, obj, ref, err);
  if (st == TC_OK)
    *use = tc_vcache_value(*ref);
  return st;
}

tc_status dcap_endorsements_for(dcap_vctx *c, const uint8_t *chain, size_t chain_len,
                                tc_error *err) {
  tc_dcap_cache *dc = c->cache;
  uint8_t kp[TC_VCACHE_KEY_LEN], kc[TC_VCACHE_KEY_LEN], kq[TC_VCACHE_KEY_LEN];
  int keyed = dc != NULL && keys(c, chain, chain_len, kp, kc, kq) == 0;
  if (keyed) {
    if ((c->pck_ref = tc_vcache_get(dc->pck, kp)) != NULL)
      c->pck = tc_vcache_value(c->pck_ref);
    if ((c->coll_ref = tc_vcache_get(dc->coll, kc)) != NULL)
      c->coll = tc_vcache_value(c->coll_ref);
  }
  tc_status st = TC_OK;
  if (c->pck == NULL || c->coll == NULL) {
    dcap_pool *pool = NULL;
    dcap_pck *p = NULL;
    dcap_coll *k = NULL;
    if ((st = dcap_pool_new(c->trust, &pool, err)) == TC_OK && c->pck == NULL &&
        (st = dcap_pck_build(pool, chain, chain_len, &p, err)) == TC_OK)
      st = keep(dc != NULL ? dc->pck : NULL, kp, p, keyed && p->fail.stage == DS_NONE,
                (void **)&c->pck_owned, &c->pck_ref, (const void **)&c->pck, err);
    if (st == TC_OK && c->coll == NULL && (st = dcap_coll_build(pool, c->col, &k, err)) == TC_OK)
      st = keep(dc != NULL ? dc->coll : NULL, kc, k, keyed && k->fail.stage == DS_NONE,
                (void **)&c->coll_owned, &c->coll_ref, (const void **)&c->coll, err);
    dcap_pool_free(pool);
    if (st != TC_OK)
      return st;
  }
  c->first = c->pck->fail;
  dcap_fail_at(&c->first, c->coll->fail.stage, c->coll->fail.st, &c->coll->fail.err);
  /* The pair: checked once for a cached chain and collateral set. */
  int both_cached = keyed && c->pck_ref != NULL && c->coll_ref != NULL;
  tc_vcache_ref *q = both_cached ? tc_vcache_get(dc->pair, kq) : NULL;
  if (q == NULL) {
    dcap_fail pair;
    dcap_pair_check(c->pck, c->coll, &pair);
    dcap_fail_at(&c->first, pair.stage, pair.st, &pair.err);
    void *marker = both_cached && pair.stage == DS_NONE ? malloc(1) : NULL;
    if (marker != NULL && tc_vcache_put(dc->pair, kq, marker, &q, err) != TC_OK)
      q = NULL; /* not kept: checked again next time */
  }
  tc_vcache_release(q);
  c->operator_root = c->pck->chain.operator_root || c->coll->tcb.chain.operator_root ||
                     c->coll->qe.chain.operator_root;
  return TC_OK;
}
