/* SPDX-License-Identifier: Apache-2.0 */
/* The DCAP endorsement cache (teectl/dcap.h tc_dcap_cache): checked PCK chains, collateral
 * sets and the pairs of them found to fit, keyed by the SHA-256 of their exact bytes and
 * the operator trust roots (core/vcache.h), and the QE report steps that passed; how one
 * verification gets its checked endorsements, from the cache or built, and its QE report
 * step (dcap_internal.h dcap_qe_lookup). */
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
  tc_vcache *qe;   /* key: qe_key; value: a dcap_qe, the QE report step passed */
  tc_vcache *memo; /* the keys over PCK chain and collateral bytes (tc_vcache_key_memo) */
  EVP_PKEY *p256;  /* P-256 parameters: each quote's attestation key is made from them */
};

/* A QE report step that passed: the attestation key object made from the key's bytes. */
typedef struct dcap_qe {
  EVP_PKEY *ak;
} dcap_qe;

static void marker_free(void *m) {
  free(m);
}

static void qe_free(void *v) {
  dcap_qe *e = v;
  if (e == NULL)
    return;
  EVP_PKEY_free(e->ak);
  free(e);
}

tc_status tc_dcap_cache_new(size_t max_entries, tc_dcap_cache **out, tc_error *err) {
  *out = NULL;
  tc_dcap_cache *dc = calloc(1, sizeof *dc);
  if (dc == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "DCAP cache");
  tc_status st;
  /* a PCK chain and a collateral set each */
  size_t memo_entries =
      max_entries <= TC_VCACHE_MAX_ENTRIES / 2 ? 2 * max_entries : TC_VCACHE_MAX_ENTRIES;
  if ((st = tc_vcache_new(max_entries, dcap_pck_free, &dc->pck, err)) != TC_OK ||
      (st = tc_vcache_new(max_entries, dcap_coll_free, &dc->coll, err)) != TC_OK ||
      (st = tc_vcache_new(max_entries, marker_free, &dc->pair, err)) != TC_OK ||
      (st = tc_vcache_new(max_entries, qe_free, &dc->qe, err)) != TC_OK ||
      (st = tc_vcache_new(memo_entries, free, &dc->memo, err)) != TC_OK ||
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
  tc_vcache_free(dc->qe);
  tc_vcache_free(dc->memo);
  EVP_PKEY_free(dc->p256);
  free(dc);
}

void tc_dcap_cache_counts(tc_dcap_cache *dc, uint64_t *hits, uint64_t *misses, size_t *entries) {
  tc_vcache_counters p, c, q, r;
  tc_vcache_stats(dc != NULL ? dc->pck : NULL, &p);
  tc_vcache_stats(dc != NULL ? dc->coll : NULL, &c);
  tc_vcache_stats(dc != NULL ? dc->pair : NULL, &q);
  tc_vcache_stats(dc != NULL ? dc->qe : NULL, &r);
  *hits = p.hits + c.hits + r.hits;
  *misses = p.misses + c.misses + r.misses;
  *entries = p.entries + c.entries + q.entries + r.entries;
}

const EVP_PKEY *dcap_vctx_p256(dcap_vctx *c) {
  if (c->cache != NULL)
    return c->cache->p256;
  if (c->p256_owned == NULL)
    c->p256_owned = tc_ec_params_new(TC_EC_P256);
  return c->p256_owned;
}

EVP_PKEY *dcap_attestation_key(const EVP_PKEY *p256, const uint8_t *xy, size_t len) {
  return p256 != NULL ? tc_ec_key_from_raw_as(p256, xy, len)
                      : tc_ec_key_from_raw(TC_EC_P256, xy, len);
}

/* c->chain_id: the chain's bytes as a key (tc_vcache_key "dcap-pck-chain-bytes", through
 * the cache's memo), once per verification (c->cache is set). -1 when it failed. */
static int chain_id(dcap_vctx *c, const uint8_t *chain, size_t chain_len) {
  if (c->chain_id_ok && c->chain == chain && c->chain_len == chain_len)
    return 0;
  c->chain = chain;
  c->chain_len = chain_len;
  const tc_span bytes = {chain, chain_len};
  c->chain_id_ok = tc_vcache_key_memo(c->cache->memo, "dcap-pck-chain-bytes", &bytes, 1,
                                      c->chain_id, NULL) == TC_OK;
  return c->chain_id_ok ? 0 : -1;
}

/* Keys: the chain's bytes (by chain_id), the six collateral items' bytes (through the
 * memo: the same key without hashing 12 to 17 KB again), each with the trust roots'
 * identity (they decide complete_chain and root trust); the pair: both keys. */
static int keys(dcap_vctx *c, const uint8_t *chain, size_t chain_len, uint8_t kp[TC_VCACHE_KEY_LEN],
                uint8_t kc[TC_VCACHE_KEY_LEN], uint8_t kq[TC_VCACHE_KEY_LEN]) {
  const tc_collateral *col = c->col;
  uint8_t trust[32];
  if (chain_id(c, chain, chain_len) != 0)
    return -1;
  tc_trust_id(c->trust, trust);
  const tc_span pp[] = {{c->chain_id, sizeof c->chain_id}, {trust, sizeof trust}};
  const tc_span cp[] = {{col->tcb_info.data, col->tcb_info.len},
                        {col->tcb_info_issuer_chain.data, col->tcb_info_issuer_chain.len},
                        {col->qe_identity.data, col->qe_identity.len},
                        {col->qe_identity_issuer_chain.data, col->qe_identity_issuer_chain.len},
                        {col->pck_crl.data, col->pck_crl.len},
                        {col->root_ca_crl.data, col->root_ca_crl.len},
                        {trust, sizeof trust}};
  if (tc_vcache_key("dcap-pck-chain", pp, 2, kp, NULL) != TC_OK ||
      tc_vcache_key_memo(c->cache->memo, "dcap-collateral", cp, sizeof cp / sizeof cp[0], kc,
                         NULL) != TC_OK)
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
    if ((st = dcap_pool_new(c->trust, dcap_vctx_p256(c), &pool, err)) == TC_OK && c->pck == NULL &&
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

int dcap_pck_chain_bytes(const tc_dcap_quote *q, const tc_collateral *col, const uint8_t **chain,
                         size_t *len) {
  if (q->cert_data_type == 5) {
    *chain = q->cert_data;
    *len = q->cert_data_len;
  } else if (col != NULL && col->pck_chain.data != NULL) {
    *chain = col->pck_chain.data;
    *len = col->pck_chain.len;
  } else {
    return -1;
  }
  return 0;
}

void dcap_qe_lookup(dcap_vctx *c, const tc_dcap_quote *q) {
  const uint8_t *chain;
  size_t chain_len;
  if (c->cache == NULL || dcap_pck_chain_bytes(q, c->col, &chain, &chain_len) != 0 ||
      chain_id(c, chain, chain_len) != 0)
    return;
  const tc_span parts[] = {{c->chain_id, sizeof c->chain_id},
                           {q->qe_report_raw, TC_DCAP_SGX_BODY_LEN},
                           {q->qe_report_signature, TC_DCAP_ECDSA_SIG_LEN},
                           {q->attestation_key, TC_DCAP_ECDSA_KEY_LEN},
                           {q->qe_auth_data, q->qe_auth_data_len}};
  if (tc_vcache_key("dcap-qe-report", parts, sizeof parts / sizeof parts[0], c->qe_key, NULL) !=
      TC_OK)
    return;
  c->qe_keyed = 1;
  if ((c->qe_ref = tc_vcache_get(c->cache->qe, c->qe_key)) != NULL)
    c->ak = ((const dcap_qe *)tc_vcache_value(c->qe_ref))->ak;
}

void dcap_qe_keep(dcap_vctx *c) {
  if (!c->qe_keyed || c->qe_ref != NULL || c->ak_owned == NULL)
    return;
  dcap_qe *e = calloc(1, sizeof *e);
  if (e == NULL || EVP_PKEY_up_ref(c->ak_owned) != 1) {
    free(e);
    return;
  }
  e->ak = c->ak_owned;
  tc_vcache_ref *ref = NULL;
  if (tc_vcache_put(c->cache->qe, c->qe_key, e, &ref, NULL) == TC_OK)
    tc_vcache_release(ref);
}
