/* SPDX-License-Identifier: Apache-2.0 */
/* Private helpers shared by the DCAP verifier files (not a public API). */
#ifndef TEECTL_VERIFIER_DCAP_INTERNAL_H
#define TEECTL_VERIFIER_DCAP_INTERNAL_H

#include <jansson.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "teectl/dcap.h"
#include "teectl/error.h"

/* Exactly n bytes of hex (2n characters, no prefix) from member key of obj.
 * Errors: TC_ERR_PARSE with `reason`, detail "<what>.<key>". */
tc_status dcap_json_hex(const json_t *obj, const char *key, uint8_t *out, size_t n,
                        const char *reason, const char *what, tc_error *err);
/* Integer member in [min, max]. */
tc_status dcap_json_int(const json_t *obj, const char *key, long long min, long long max,
                        long long *out, const char *reason, const char *what, tc_error *err);
/* RFC 3339 string member as seconds since the epoch. */
tc_status dcap_json_time(const json_t *obj, const char *key, int64_t *out, const char *reason,
                         const char *what, tc_error *err);
/* advisoryIDs member: a new reference to the array of strings (empty when absent). */
tc_status dcap_json_advisories(const json_t *obj, json_t **out, const char *reason,
                               const char *what, tc_error *err);

/* tc_dcap_signed_json that also hands back the parsed document (*doc, a new reference) and
 * does not parse the span a second time (the verifier parses each input once). */
tc_status dcap_signed_json_doc(const uint8_t *text, size_t len, const char *key, const char *what,
                               size_t *span_off, size_t *span_len, uint8_t sig[64], json_t **doc,
                               tc_error *err);

/**
 * Read the SGX extensions of a PCK leaf certificate (DER walked with bounds checks; Intel
 * SGX PCK Certificate and CRL Profile, OID 1.2.840.113741.1.13.1) and the CA type from its
 * issuer CN. Errors: TC_ERR_VERIFY "pck_extension_invalid" (absent, malformed, missing one
 * of PPID / TCB / PCE-ID / FMSPC / SGX Type, wrong sizes, duplicated entries).
 */
tc_status dcap_pck_info_from_cert(X509 *pck, tc_dcap_pck_info *out, tc_error *err);

/* ---- endorsements, checked once (dcap_chain.c, dcap_collateral.c) ----
 *
 * The checks of the PCK chain, the CRLs and the signed PCS collateral that depend only on
 * their bytes (and the operator trust roots) are made once when their object is built;
 * the first that fails is kept as a dcap_fail with its stage. The checks that depend on
 * the verification time are made for each verification (dcap_endorsements.c), and the
 * kept failure is reported where its stage lies among them, so the verdict, reason and
 * detail are those of the checks in the order of include/teectl/dcap.h. */

/* Stages in the order of the checks; DT_* depend on the time. */
enum {
  DS_NONE = 0,
  DS_CHAIN = 10,          /* PCK chain: parse, length, links, root trusted */
  DT_CHAIN_TIME = 14,     /* every PCK chain certificate valid at `at` */
  DS_CHAIN_CN = 15,       /* PCK leaf commonName */
  DS_ROOT_CRL = 20,       /* Root CA CRL parses */
  DS_ROOT_CRL_SIG = 21,   /* issued and signed by the PCK chain's root (pair) */
  DS_ROOT_CRL_DATES = 22, /* thisUpdate / nextUpdate readable */
  DT_ROOT_CRL_TIME = 23,
  DS_PCK_CRL = 30,
  DS_PCK_CRL_SIG = 31, /* issued and signed by the PCK CA (pair) */
  DS_PCK_CRL_DATES = 32,
  DT_PCK_CRL_TIME = 33,
  DS_REVOKED = 40, /* PCK CA / leaf revoked (pair) */
  DS_TCB = 50,     /* TCB Info: span, signing chain parse, length, links, trust */
  DT_TCB_CHAIN_TIME = 53,
  DS_TCB_SIGNED = 54, /* signer not revoked, root is the CRL issuer, signature, structure */
  DT_TCB_WINDOW = 59,
  DS_QE = 60,
  DT_QE_CHAIN_TIME = 63,
  DS_QE_SIGNED = 64,
  DT_QE_WINDOW = 69,
  DS_PCK_EXT = 70, /* the PCK leaf's SGX extension (reported by the TCB match step) */
};

/* The first failure (lowest stage) of the checks made so far; stage DS_NONE: none. */
typedef struct dcap_fail {
  int stage;
  tc_status st;
  tc_error err;
} dcap_fail;

/* Keep (stage, st, *err) in f if it is the first failure so far; returns st. */
tc_status dcap_fail_at(dcap_fail *f, int stage, tc_status st, const tc_error *err);

/* A certificate with what its validity check needs. */
typedef struct dcap_cert {
  X509 *x;
  EVP_PKEY *key;  /* its public key (use it, not X509_get0_pubkey: see tc_x509_parse_keyed);
                     NULL if not decodable */
  int dates_ok;   /* notBefore / notAfter readable */
  int64_t nb, na; /* seconds since the epoch */
  char cn[128];   /* subject commonName */
} dcap_cert;

/* A checked chain leaf .. root (PCK chain: 3; TCB Info / QE Identity signing chain: 2). */
typedef struct dcap_chain {
  int n;
  dcap_cert cert[3];
  int operator_root; /* ends at an operator root, not the pinned Intel root */
  int time_stage;    /* DT_* of its validity check */
  const char *r_time, *what;
} dcap_chain;

/* The certificates met in one build, each parsed once (by its DER bytes), with the links
 * and roots already checked. */
typedef struct dcap_pool dcap_pool;
/* p256: P-256 parameters for the certificates' keys (borrowed; NULL: the pool makes its own). */
tc_status dcap_pool_new(const tc_trust_store *trust, const EVP_PKEY *p256, dcap_pool **out,
                        tc_error *err);
void dcap_pool_free(dcap_pool *p);

/* Parse chain_pem through the pool and check it: exactly `want` certificates after the
 * operator root that issued an incomplete chain is appended, every link verifies
 * (r_sig), the root is the pinned Intel root or an operator root (r_untrusted). The
 * failures are those of the full verification (detail names `what`). */
tc_status dcap_chain_build(dcap_pool *pool, const uint8_t *pem, size_t len, int want,
                           const char *what, const char *r_sig, const char *r_untrusted,
                           dcap_chain *out, tc_error *err);
void dcap_chain_clear(dcap_chain *c);
/* *out holds what from holds (new references), named `what`: a chain that passed
 * dcap_chain_build, for another input of the same bytes. 0; -1 (*out empty) when a
 * reference could not be taken. */
int dcap_chain_share(const dcap_chain *from, const char *what, dcap_chain *out);
/* Every certificate of c valid at `at` (detail as tc_x509_check_time); the window
 * [*lo, *hi] narrowed to theirs. */
tc_status dcap_chain_check_time(const dcap_chain *c, int64_t at, int64_t *lo, int64_t *hi,
                                tc_error *err);

/* The PCK chain of a quote, checked: links, trust, leaf commonName, SGX extension. */
typedef struct dcap_pck {
  dcap_chain chain;
  tc_dcap_pck_info info; /* valid unless fail.stage <= DS_PCK_EXT */
  dcap_fail fail;
} dcap_pck;
tc_status dcap_pck_build(dcap_pool *pool, const uint8_t *pem, size_t len, dcap_pck **out,
                         tc_error *err);
void dcap_pck_free(void *pck);

/* Signed PCS collateral (TCB Info or QE Identity), checked except for the time. */
typedef struct dcap_signed {
  dcap_chain chain;
  int64_t issue_date, next_update;
} dcap_signed;

/* The collateral set: both CRLs parsed, TCB Info and QE Identity checked and parsed. */
typedef struct dcap_coll {
  X509_CRL *root_crl, *pck_crl;
  int64_t root_tu, root_nu, pck_tu, pck_nu; /* thisUpdate, nextUpdate */
  char root_crl_cn[128], pck_crl_cn[128];   /* issuer commonName (for details) */
  dcap_signed tcb, qe;
  tc_dcap_tcb_info ti;
  tc_dcap_qe_identity qi;
  dcap_fail fail;
} dcap_coll;
tc_status dcap_coll_build(dcap_pool *pool, const tc_collateral *col, dcap_coll **out,
                          tc_error *err);
void dcap_coll_free(void *coll);

/* What joins a PCK chain and a collateral set: the CRLs issued and signed by the chain's
 * root and PCK CA, the PCK CA and leaf not revoked. f gets the first failure. */
void dcap_pair_check(const dcap_pck *pck, const dcap_coll *coll, dcap_fail *f);

/* ---- one verification (dcap_verify.c runs the steps, dcap_endorsements.c checks the
 * endorsements at the verification time) ---- */

typedef struct dcap_vctx {
  const tc_collateral *col;
  int64_t at;             /* verification time, seconds since the epoch */
  int64_t win_lo, win_hi; /* intersection of every validity window seen */
  const dcap_pck *pck;    /* the checked PCK chain */
  const dcap_coll *coll;  /* the checked collateral set */
  dcap_fail first;        /* first time-independent failure of chain, collateral and pair */
  dcap_pck *pck_owned;    /* not cached: this verification's own */
  dcap_coll *coll_owned;
  struct tc_dcap_cache *cache;              /* NULL: nothing cached */
  struct tc_vcache_ref *pck_ref, *coll_ref; /* held cache entries of pck / coll */
  /* The PCK chain bytes of the quote (dcap_pck_chain_bytes) and their key (tc_vcache_key
   * "dcap-pck-chain-bytes"), once. */
  const uint8_t *chain;
  size_t chain_len;
  uint8_t chain_id[32];
  int chain_id_ok;
  /* The QE report step (dcap_qe_lookup): its key, and its entry when it passed before. */
  uint8_t qe_key[32];
  int qe_keyed;
  struct tc_vcache_ref *qe_ref;
  const EVP_PKEY *ak; /* attestation key of the quote: ak_owned or the qe_ref entry's */
  EVP_PKEY *ak_owned;
  EVP_PKEY *p256_owned;        /* P-256 parameters when no cache holds them (dcap_vctx_p256) */
  const tc_trust_store *trust; /* operator roots (col->trust or trust_owned) */
  tc_trust_store *trust_owned;
  int operator_root; /* a chain ended at an operator root, not the pinned Intel root */
} dcap_vctx;

/* Release everything c holds (for the cleanup attribute: takes its address). */
void dcap_vctx_free(dcap_vctx *c);

/**
 * PCK chain step: the collateral items DCAP needs are present (else "collateral_missing",
 * all missing ones named), the PCK chain (from the quote's type-5 certification data, else
 * col->pck_chain.pem; "pck_chain_missing") parses, has leaf, PCK CA and a root that is the
 * pinned Intel SGX Root CA or an operator root, every link verifies ("pck_chain_invalid",
 * "pck_chain_untrusted") and every certificate is valid at c->at ("pck_cert_expired").
 */
tc_status dcap_check_pck_chain(dcap_vctx *c, const tc_dcap_quote *q, tc_error *err);

/* The PCK chain of quote q: its type-5 certification data, else col->pck_chain (col may
 * be NULL). 0 with *chain / *len set, -1 when neither is there. */
int dcap_pck_chain_bytes(const tc_dcap_quote *q, const tc_collateral *col, const uint8_t **chain,
                         size_t *len);

/* The P-256 parameters every key of this verification is made from (the attestation key,
 * the certificates' keys): the cache's, else made once for c; NULL when out of memory. */
const EVP_PKEY *dcap_vctx_p256(dcap_vctx *c);

/* The attestation key x || y (P-256, 64 bytes) as an EVP_PKEY: from ready P-256
 * parameters p256 (a third of the cost; NULL: built from the curve's name); NULL if not a
 * point of the curve. */
EVP_PKEY *dcap_attestation_key(const EVP_PKEY *p256, const uint8_t *xy, size_t len);

/*
 * The QE report step of a cached verification (c->cache set; nothing happens without it).
 * The step checks, from the quote's bytes alone and the PCK leaf's public key: the QE
 * report's ECDSA signature by that key over the 384 report bytes, and the report's
 * report_data = SHA-256(attestation key || QE authentication data) || 32 zero bytes; and
 * the attestation key's 64 bytes make a P-256 point (the key object). For one platform's
 * quoting enclave these bytes are the same in every quote (they change with the
 * attestation key), so the step's outcome is kept: the key of an entry is the SHA-256
 * (tc_vcache_key "dcap-qe-report") over the key of the PCK chain's exact bytes (they
 * determine the leaf and its key), the 384 QE report bytes, the 64-byte QE report
 * signature, the 64-byte attestation key and the QE authentication data (with its length);
 * its value is the attestation key object. An entry is put only after the signature and
 * the binding both passed with the chain built from those same bytes, so on a hit the
 * skipped checks would pass again. Per request stay: the quote's own signature by the
 * attestation key, the chain, collateral and their time checks, the QE Identity
 * evaluation of the report and the TCB evaluation.
 *
 * dcap_qe_lookup (before the quote signature step): selects and hashes the PCK chain
 * bytes (c->chain, c->chain_id), computes c->qe_key and, when the entry is there, holds it
 * (c->qe_ref) and takes its attestation key (c->ak). A failure to hash only means no entry.
 * dcap_qe_keep (after the signature and the binding passed): puts the entry (c->ak_owned,
 * up-referenced) when it was not found; failures to put are ignored (checked again next
 * time).
 */
void dcap_qe_lookup(dcap_vctx *c, const tc_dcap_quote *q);
void dcap_qe_keep(dcap_vctx *c);

/* The checked PCK chain (chain[0..chain_len)) and collateral set of c: from c->cache when
 * it holds them (their pair checked once), else built (each input parsed once) and put
 * there when they passed; c->first gets the first failure of chain, collateral and pair.
 * Errors: only resource failures (TC_ERR_NOMEM); a failing check is kept in c->first. */
tc_status dcap_endorsements_for(dcap_vctx *c, const uint8_t *chain, size_t chain_len,
                                tc_error *err);

/**
 * Signed collateral step (after the PCK chain): Root CA CRL and PCK CRL (issuer, signature,
 * window: "crl_invalid", "crl_expired"; revocation of the PCK CA and leaf: "pck_revoked"),
 * then TCB Info and QE Identity: signing chain, signature over the exact inner object,
 * structure and issueDate..nextUpdate window ("tcb_info_*", "qe_identity_*").
 */
tc_status dcap_check_signed_collateral(dcap_vctx *c, tc_error *err);

#endif
