/* SPDX-License-Identifier: Apache-2.0 */
/* DCAP quote verification with full collateral appraisal (Intel QVL semantics; see
 * include/teectl/dcap.h for the order of checks and the reason codes). */
#include <openssl/x509v3.h>
#include <string.h>

#include "core/verdict.h"
#include "crypto/ecdsa.h"
#include "crypto/trust.h"
#include "crypto/x509.h"
#include "teectl/bytes.h"
#include "teectl/dcap.h"
#include "teectl/rfc3339.h"
#include "verifier/dcap_internal.h"

/* SHA-256 over the DER SubjectPublicKeyInfo of the Intel SGX Root CA (CN "Intel SGX Root
 * CA", ECDSA P-256 key), computed with
 *   openssl x509 -in intel_sgx_root_ca.pem -pubkey -noout | openssl pkey -pubin -outform der
 *     | sha256sum
 * from the certificate Intel publishes (certificates.trustedservices.intel.com). A fact,
 * not a copied file. */
const uint8_t tc_dcap_intel_root_spki_sha256[32] = {
    0xa0, 0xaf, 0x03, 0x12, 0x89, 0xf5, 0xd5, 0xd4, 0x13, 0x2f, 0x91, 0x86, 0x06, 0x8a, 0x7f, 0xc1,
    0x36, 0x28, 0x63, 0x3b, 0xa2, 0x35, 0x77, 0x74, 0x72, 0xe2, 0x9b, 0x6b, 0x6c, 0x67, 0xa4, 0x9e};

/* ---- verification context ---- */

typedef struct {
  const tc_collateral *col;
  int64_t at;
  int64_t win_lo, win_hi; /* intersection of every validity window seen */
  STACK_OF(X509) * pck, *tcb_chain, *qe_chain;
  X509_CRL *pck_crl, *root_crl;
  json_t *tcb_doc, *qe_doc;
  tc_dcap_tcb_info ti;
  tc_dcap_qe_identity qi;
  EVP_PKEY *ak;
  const tc_trust_store *trust; /* operator roots (col->trust or trust_owned) */
  tc_trust_store *trust_owned;
  int operator_root; /* a chain ended at an operator root, not the pinned Intel root */
} vctx;

static void window(vctx *c, int64_t lo, int64_t hi) {
  if (lo > c->win_lo)
    c->win_lo = lo;
  if (hi < c->win_hi)
    c->win_hi = hi;
}

/* Pinned Intel root, else an operator root (noted in c->operator_root). */
static int root_trusted(vctx *c, X509 *root) {
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
static void complete_chain(const vctx *c, STACK_OF(X509) * sk) {
  X509 *last = sk_X509_value(sk, sk_X509_num(sk) - 1);
  if (X509_check_issued(last, last) == X509_V_OK)
    return;
  X509 *root = tc_trust_issuer_of(c->trust, last);
  if (root != NULL && X509_up_ref(root) == 1 && sk_X509_push(sk, root) <= 0)
    X509_free(root);
}

/* Links, self-signed pinned root, every certificate valid at c->at. want: exact length. */
static tc_status check_chain(vctx *c, STACK_OF(X509) * sk, int want, const char *what,
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

static tc_status crl_window(vctx *c, X509_CRL *crl) {
  int64_t tu, nu;
  if (tc_asn1_time_seconds(X509_CRL_get0_lastUpdate(crl), &tu) == 0 &&
      X509_CRL_get0_nextUpdate(crl) != NULL &&
      tc_asn1_time_seconds(X509_CRL_get0_nextUpdate(crl), &nu) == 0)
    window(c, tu, nu);
  return TC_OK;
}

static tc_status with_what(tc_status st, tc_error *err, const char *what) {
  if (st != TC_OK && err != NULL) {
    size_t l = strlen(err->detail);
    snprintf(err->detail + l, sizeof err->detail - l, " (%s)", what);
  }
  return st;
}

/* Signed PCS JSON (TCB Info or QE Identity): chain, signature over the exact inner
 * object bytes, then the JSON document. */
static tc_status check_signed_json(vctx *c, const tc_buf *text, const tc_buf *chain_pem,
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
  if ((st = tc_x509_parse_chain(chain_pem->data, chain_pem->len, chain, err)) != TC_OK)
    return with_what(st, err, what);
  if ((st = check_chain(c, *chain, 2, what, r_chain, r_chain, r_chain, err)) != TC_OK)
    return st;
  X509 *signer = sk_X509_value(*chain, 0);
  X509 *root = sk_X509_value(*chain, 1);
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
  return TC_OK;
}

static tc_status check_window(vctx *c, int64_t issue, int64_t next, const char *reason,
                              const char *what, tc_error *err) {
  char a[21], b[21], t[21];
  if (c->at < issue || c->at > next)
    return tc_fail(
        err, TC_ERR_VERIFY, reason, "%s is valid from issueDate %s to nextUpdate %s, not at %s",
        what, tc_rfc3339_format(issue, a), tc_rfc3339_format(next, b), tc_rfc3339_format(c->at, t));
  window(c, issue, next);
  return TC_OK;
}

static json_t *hexj(const uint8_t *b, size_t n) {
  char buf[129];
  if (n > 64)
    return NULL;
  return json_string(tc_hex_encode(b, n, buf));
}

static json_t *pck_tcb_json(const tc_dcap_pck_info *p) {
  json_t *svn = json_array();
  for (int i = 0; svn && i < 16; i++)
    json_array_append_new(svn, json_integer(p->sgx_tcb_comp_svn[i]));
  return json_pack("{s:o,s:i,s:o,s:i,s:s,s:s}", "sgx_tcb_comp_svn", svn, "pcesvn", p->pcesvn,
                   "cpusvn", hexj(p->cpusvn, 16), "sgx_type", p->sgx_type, "issuer_ca",
                   p->issuer_ca, "ca", tc_dcap_ca_name(p->ca));
}

static json_t *time_json(int64_t t) {
  char b[21];
  return json_string(tc_rfc3339_format(t, b));
}

static tc_status run(vctx *c, const tc_dcap_quote *q, json_t *res, tc_error *err) {
  const tc_collateral *col = c->col;
  tc_status st;
  int is_tdx = q->body_kind != TC_DCAP_BODY_SGX;
  /* Attestation key signature over header + body first: it needs nothing but the quote,
   * and rejects altered evidence before any collateral work. */
  c->ak = tc_ec_key_from_raw(TC_EC_P256, q->attestation_key, TC_DCAP_ECDSA_KEY_LEN);
  if (c->ak == NULL)
    return tc_fail(err, TC_ERR_VERIFY, "attestation_key_invalid",
                   "attestation key is not a P-256 curve point");
  st = tc_ecdsa_verify_raw(c->ak, TC_EC_P256, TC_HASH_SHA256, q->signed_data, q->signed_len,
                           q->quote_signature, TC_DCAP_ECDSA_SIG_LEN, err);
  if (st != TC_OK)
    return st != TC_ERR_VERIFY
               ? st
               : tc_fail(
                     err, TC_ERR_VERIFY, "quote_signature_invalid",
                     "attestation key signature over the %zu bytes of header+body does not verify",
                     q->signed_len);
  if (col == NULL)
    return tc_fail(err, TC_ERR_VERIFY, "collateral_missing", "no collateral given");
  if ((st = need_items(col, err)) != TC_OK ||
      (st = tc_trust_for(col, &c->trust_owned, &c->trust, err)) != TC_OK)
    return st;

  /* PCK chain: from the quote (type 5), else from the collateral. */
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
  X509 *leaf = sk_X509_value(c->pck, 0), *inter = sk_X509_value(c->pck, 1),
       *root = sk_X509_value(c->pck, 2);
  char cn[128];
  tc_x509_subject_cn(leaf, cn, sizeof cn);
  if (strstr(cn, "SGX PCK Certificate") == NULL)
    return tc_fail(err, TC_ERR_VERIFY, "pck_chain_invalid",
                   "PCK leaf commonName \"%s\" does not contain \"SGX PCK Certificate\"", cn);

  /* CRLs: Root CA CRL (revokes intermediates, signing certs), PCK CRL (revokes leaves). */
  if ((st = tc_crl_parse(col->root_ca_crl.data, col->root_ca_crl.len, &c->root_crl, err)) != TC_OK)
    return with_what(st, err, "root_ca_crl.der");
  if ((st = with_what(tc_crl_check(c->root_crl, root, c->at, err), err, "Root CA CRL")) != TC_OK)
    return st;
  crl_window(c, c->root_crl);
  if ((st = tc_crl_parse(col->pck_crl.data, col->pck_crl.len, &c->pck_crl, err)) != TC_OK)
    return with_what(st, err, "pck_crl.der");
  if ((st = with_what(tc_crl_check(c->pck_crl, inter, c->at, err), err, "PCK CRL")) != TC_OK)
    return st;
  crl_window(c, c->pck_crl);
  if (tc_crl_revokes(c->root_crl, inter))
    return tc_fail(err, TC_ERR_VERIFY, "pck_revoked",
                   "the PCK CA certificate is revoked by the Root CA CRL");
  if (tc_crl_revokes(c->pck_crl, leaf))
    return tc_fail(err, TC_ERR_VERIFY, "pck_revoked",
                   "the PCK certificate is revoked by the PCK CRL");

  /* TCB Info and QE Identity: signing chain, signature, window, structure. */
  if ((st = check_signed_json(c, &col->tcb_info, &col->tcb_info_issuer_chain, "tcbInfo", "tcb_info",
                              &c->tcb_chain, &c->tcb_doc, err)) != TC_OK)
    return st;
  if ((st = tc_dcap_tcb_info_parse(json_object_get(c->tcb_doc, "tcbInfo"), &c->ti, err)) != TC_OK)
    return st;
  if ((st = check_window(c, c->ti.issue_date, c->ti.next_update, "tcb_info_expired", "TCB Info",
                         err)) != TC_OK)
    return st;
  if ((st = check_signed_json(c, &col->qe_identity, &col->qe_identity_issuer_chain,
                              "enclaveIdentity", "qe_identity", &c->qe_chain, &c->qe_doc, err)) !=
      TC_OK)
    return st;
  if ((st = tc_dcap_qe_identity_parse(json_object_get(c->qe_doc, "enclaveIdentity"), &c->qi,
                                      err)) != TC_OK)
    return st;
  if ((st = check_window(c, c->qi.issue_date, c->qi.next_update, "qe_identity_expired",
                         "QE Identity", err)) != TC_OK)
    return st;

  /* PCK SGX extension against the TCB Info. */
  tc_dcap_pck_info pck;
  if ((st = dcap_pck_info_from_cert(leaf, &pck, err)) != TC_OK)
    return st;
  char hx[13], hy[13];
  json_object_set_new(res, "fmspc", hexj(pck.fmspc, 6));
  json_object_set_new(res, "pce_id", hexj(pck.pce_id, 2));
  json_object_set_new(res, "pck_tcb", pck_tcb_json(&pck));
  if (c->ti.is_tdx != is_tdx)
    return tc_fail(err, TC_ERR_VERIFY, "tcb_info_mismatch", "TCB Info id is %s but the quote is %s",
                   c->ti.is_tdx ? "TDX" : "SGX", is_tdx ? "TDX" : "SGX");
  if (memcmp(pck.fmspc, c->ti.fmspc, 6) != 0)
    return tc_fail(err, TC_ERR_VERIFY, "fmspc_mismatch",
                   "FMSPC of the PCK certificate (%s) differs from the TCB Info FMSPC (%s)",
                   tc_hex_encode(pck.fmspc, 6, hx), tc_hex_encode(c->ti.fmspc, 6, hy));
  if (memcmp(pck.pce_id, c->ti.pce_id, 2) != 0)
    return tc_fail(err, TC_ERR_VERIFY, "pce_id_mismatch",
                   "PCE-ID of the PCK certificate (%s) differs from the TCB Info pceId (%s)",
                   tc_hex_encode(pck.pce_id, 2, hx), tc_hex_encode(c->ti.pce_id, 2, hy));
  if (c->qi.is_td_qe != is_tdx)
    return tc_fail(err, TC_ERR_VERIFY, "qe_identity_mismatch",
                   "QE Identity id is %s but the quote is %s", c->qi.is_td_qe ? "TD_QE" : "QE",
                   is_tdx ? "TDX" : "SGX");

  /* QE report: PCK signature, binding of the attestation key. */
  st =
      tc_ecdsa_verify_raw(X509_get0_pubkey(leaf), TC_EC_P256, TC_HASH_SHA256, q->qe_report_raw,
                          TC_DCAP_SGX_BODY_LEN, q->qe_report_signature, TC_DCAP_ECDSA_SIG_LEN, err);
  if (st != TC_OK)
    return st != TC_ERR_VERIFY ? st
                               : tc_fail(err, TC_ERR_VERIFY, "qe_report_signature_invalid",
                                         "QE report signature does not verify with the PCK "
                                         "certificate's key");
  uint8_t h[TC_SHA256_LEN];
  const tc_span qe_data[2] = {{q->attestation_key, TC_DCAP_ECDSA_KEY_LEN},
                              {q->qe_auth_data, q->qe_auth_data_len}};
  if ((st = tc_hash(TC_HASH_SHA256, qe_data, 2, h, err)) != TC_OK)
    return st;
  if (memcmp(h, q->qe_report.report_data, 32) != 0 ||
      !tc_all_zero(q->qe_report.report_data + 32, 32))
    return tc_fail(err, TC_ERR_VERIFY, "qe_report_data_mismatch",
                   "QE report data is not SHA-256(attestation key || QE authentication data) "
                   "followed by 32 zero bytes");

  /* QE identity. */
  tc_dcap_tcb_status qe_status;
  json_t *qe_adv = NULL;
  if ((st = tc_dcap_qe_identity_check(&c->qi, &q->qe_report, &qe_status, &qe_adv, err)) != TC_OK)
    return st;
  json_t *detail = json_object();
  json_object_set_new(res, "tcb_detail", detail);
  json_object_set_new(detail, "qe_tcb_status", json_string(tc_dcap_tcb_status_name(qe_status)));

  /* TCB evaluation. */
  tc_dcap_tcb_result tr;
  st = tc_dcap_tcb_evaluate(&c->ti, &pck, is_tdx ? &q->td : NULL, qe_status, qe_adv, &tr, err);
  json_decref(qe_adv);
  if (tr.status != TC_DCAP_TCB_UNKNOWN && tr.status != TC_DCAP_TCB_NOT_SUPPORTED) {
    json_object_set_new(res, "tcb_status", json_string(tc_dcap_tcb_status_name(tr.status)));
    json_object_set(res, "advisory_ids", tr.advisory_ids);
    json_object_set_new(detail, "platform_tcb_status",
                        json_string(tc_dcap_tcb_status_name(tr.platform_status)));
    if (is_tdx) {
      json_object_set_new(detail, "sgx_level_status",
                          json_string(tc_dcap_tcb_status_name(tr.sgx_level_status)));
      json_object_set_new(detail, "tdx_module_tcb_status",
                          json_string(tc_dcap_tcb_status_name(tr.tdx_module_status)));
      json_object_set(detail, "tdx_module_advisory_ids", tr.tdx_module_advisory_ids);
    }
    json_object_set_new(detail, "matched_tcb_date", time_json(tr.matched_tcb_date));
  }
  tc_dcap_tcb_result_free(&tr);
  return st;
}

static void vctx_free(vctx *c) {
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
}

tc_status tc_dcap_verify(const uint8_t *quote, size_t len, const tc_collateral *col, int64_t at,
                         json_t **result, tc_error *err) {
  tc_error local;
  if (err == NULL)
    err = &local;
  tc_error_clear(err);
  if (result)
    *result = NULL;
  json_t *res = json_object();
  if (res == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "result");
  char ts[21];
  json_object_set_new(res, "verified_at", json_string(tc_rfc3339_format(at, ts)));
  json_object_set_new(res, "tcb_status", json_null());
  json_object_set_new(res, "advisory_ids", json_null());
  tc_dcap_quote q;
  tc_status st = tc_dcap_parse(quote, len, &q, err);
  vctx c = {.col = col, .at = at, .win_lo = INT64_MIN, .win_hi = INT64_MAX};
  if (st == TC_OK) {
    int is_tdx = q.body_kind != TC_DCAP_BODY_SGX;
    json_object_set_new(res, "tee", json_string(is_tdx ? "tdx" : "sgx"));
    json_object_set_new(res, "quote_version", json_integer(q.header.version));
    json_object_set_new(res, "qe_vendor_id", hexj(q.header.qe_vendor_id, 16));
    /* Claims only when the caller wants the result object. */
    json_t *claims = result ? tc_dcap_claims(&q) : json_object();
    json_t *flags = result ? tc_dcap_policy_flags(&q) : json_object();
    if (claims == NULL || flags == NULL) {
      json_decref(claims);
      json_decref(flags);
      json_decref(res);
      return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "claims");
    }
    json_object_set_new(res, "policy_flags", flags);
    json_object_set_new(res, "claims", claims);
    st = run(&c, &q, res, err);
  } else if (quote != NULL && len >= 8) {
    /* Name the TEE as far as the header tells. */
    uint16_t v = tc_le16(quote);
    uint32_t tt = tc_le32(quote + 4);
    json_object_set_new(res, "tee", json_string(v >= 4 && tt == TC_DCAP_TEE_TDX ? "tdx" : "sgx"));
    json_object_set_new(res, "quote_version", json_integer(v));
  }
  if (st == TC_OK && c.win_lo <= c.win_hi)
    json_object_set_new(res, "validity_window",
                        json_pack("{s:o,s:o}", "not_before", time_json(c.win_lo), "not_after",
                                  time_json(c.win_hi)));
  vctx_free(&c);
  tc_verdict_set(res, st, err, "all checks passed");
  tc_verdict_set_trust_anchor(res, st, c.operator_root);
  if (result)
    *result = res;
  else
    json_decref(res);
  return st;
}

tc_status tc_dcap_quote_pck_info(const uint8_t *quote, size_t len, const tc_collateral *col,
                                 tc_dcap_pck_info *out, tc_tee *tee, tc_error *err) {
  tc_dcap_quote q;
  memset(out, 0, sizeof *out);
  tc_status st = tc_dcap_parse(quote, len, &q, err);
  if (st != TC_OK)
    return st;
  if (tee)
    *tee = q.body_kind == TC_DCAP_BODY_SGX ? TC_TEE_SGX : TC_TEE_TDX;
  const uint8_t *chain = q.cert_data_type == 5 ? q.cert_data : NULL;
  size_t chain_len = q.cert_data_type == 5 ? q.cert_data_len : 0;
  if (chain == NULL && col != NULL && col->pck_chain.data != NULL) {
    chain = col->pck_chain.data;
    chain_len = col->pck_chain.len;
  }
  if (chain == NULL)
    return tc_fail(err, TC_ERR_VERIFY, "pck_chain_missing", "no PCK certificate chain available");
  STACK_OF(X509) *sk = NULL;
  if ((st = tc_x509_parse_chain(chain, chain_len, &sk, err)) != TC_OK)
    return st;
  st = dcap_pck_info_from_cert(sk_X509_value(sk, 0), out, err);
  sk_X509_pop_free(sk, X509_free);
  return st;
}
