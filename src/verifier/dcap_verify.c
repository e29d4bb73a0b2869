/* SPDX-License-Identifier: Apache-2.0 */
/* DCAP quote verification with full collateral appraisal (Intel QVL semantics; see
 * include/teectl/dcap.h for the order of checks and the reason codes). */
#include <string.h>

#include "core/auto.h"
#include "core/verdict.h"
#include "crypto/ecdsa.h"
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

/* SHA-256 over the whole DER certificate of the same Intel SGX Root CA (serial
 * 22650CD65A9D3489F383B49552BF501B392706AC, valid 2018-05-21 to 2049-12-31), computed with
 *   openssl x509 -in intel_sgx_root_ca.pem -outform der | sha256sum
 * A fact, not a copied file: a root with exactly these bytes has a known-good self-signature. */
const uint8_t tc_dcap_intel_root_cert_sha256[32] = {
    0x44, 0xa0, 0x19, 0x6b, 0x2b, 0x99, 0xf8, 0x89, 0xb8, 0xe1, 0x49, 0xe9, 0x5b, 0x80, 0x7a, 0x35,
    0x0e, 0x74, 0x24, 0x96, 0x43, 0x99, 0xe8, 0x85, 0xa7, 0xcb, 0xb8, 0xcc, 0xfa, 0xb6, 0x74, 0xd3};

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

/* The attestation key's signature over header + body first: it needs nothing but the
 * quote, and rejects altered evidence before any collateral work. The key object comes
 * from the QE report step's cache entry when there is one (dcap_qe_lookup). */
static tc_status check_quote_signature(dcap_vctx *c, const tc_dcap_quote *q, tc_error *err) {
  if (c->ak == NULL)
    c->ak = c->ak_owned =
        dcap_attestation_key(dcap_vctx_p256(c), q->attestation_key, TC_DCAP_ECDSA_KEY_LEN);
  if (c->ak == NULL)
    return tc_fail(err, TC_ERR_VERIFY, "attestation_key_invalid",
                   "attestation key is not a P-256 curve point");
  tc_status st = tc_ecdsa_verify_raw(c->ak, TC_EC_P256, TC_HASH_SHA256, q->signed_data,
                                     q->signed_len, q->quote_signature, TC_DCAP_ECDSA_SIG_LEN, err);
  if (st != TC_OK)
    return st != TC_ERR_VERIFY
               ? st
               : tc_fail(
                     err, TC_ERR_VERIFY, "quote_signature_invalid",
                     "attestation key signature over the %zu bytes of header+body does not verify",
                     q->signed_len);
  return TC_OK;
}

/* TCB match: the PCK SGX extension, and TCB Info / QE Identity that fit the quote and PCK. */
static tc_status match_tcb(const dcap_vctx *c, const tc_dcap_quote *q, tc_dcap_pck_info *pck,
                           json_t *res, tc_error *err) {
  int is_tdx = q->body_kind != TC_DCAP_BODY_SGX;
  const tc_dcap_tcb_info *ti = &c->coll->ti;
  const tc_dcap_qe_identity *qi = &c->coll->qi;
  if (c->first.stage == DS_PCK_EXT) {
    *err = c->first.err;
    return c->first.st;
  }
  *pck = c->pck->info;
  char hx[13], hy[13];
  json_object_set_new(res, "fmspc", hexj(pck->fmspc, 6));
  json_object_set_new(res, "pce_id", hexj(pck->pce_id, 2));
  json_object_set_new(res, "pck_tcb", pck_tcb_json(pck));
  if (ti->is_tdx != is_tdx)
    return tc_fail(err, TC_ERR_VERIFY, "tcb_info_mismatch", "TCB Info id is %s but the quote is %s",
                   ti->is_tdx ? "TDX" : "SGX", is_tdx ? "TDX" : "SGX");
  if (memcmp(pck->fmspc, ti->fmspc, 6) != 0)
    return tc_fail(err, TC_ERR_VERIFY, "fmspc_mismatch",
                   "FMSPC of the PCK certificate (%s) differs from the TCB Info FMSPC (%s)",
                   tc_hex_encode(pck->fmspc, 6, hx), tc_hex_encode(ti->fmspc, 6, hy));
  if (memcmp(pck->pce_id, ti->pce_id, 2) != 0)
    return tc_fail(err, TC_ERR_VERIFY, "pce_id_mismatch",
                   "PCE-ID of the PCK certificate (%s) differs from the TCB Info pceId (%s)",
                   tc_hex_encode(pck->pce_id, 2, hx), tc_hex_encode(ti->pce_id, 2, hy));
  if (qi->is_td_qe != is_tdx)
    return tc_fail(err, TC_ERR_VERIFY, "qe_identity_mismatch",
                   "QE Identity id is %s but the quote is %s", qi->is_td_qe ? "TD_QE" : "QE",
                   is_tdx ? "TDX" : "SGX");
  return TC_OK;
}

/* The QE report's signature by the PCK key and its binding of the attestation key; kept
 * in the cache when both pass (dcap_qe_keep). */
static tc_status check_qe_report_signature(dcap_vctx *c, const tc_dcap_quote *q, tc_error *err) {
  tc_status st =
      tc_ecdsa_verify_raw(c->pck->chain.cert[0].key, TC_EC_P256, TC_HASH_SHA256, q->qe_report_raw,
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
  dcap_qe_keep(c);
  return TC_OK;
}

/* QE report: signature by the PCK key and binding of the attestation key (skipped when
 * the cache holds this step for the same bytes: dcap_qe_lookup), then the QE Identity. */
static tc_status check_qe_report(dcap_vctx *c, const tc_dcap_quote *q,
                                 tc_dcap_tcb_status *qe_status, json_t **qe_adv, json_t *res,
                                 tc_error *err) {
  tc_status st;
  if (c->qe_ref == NULL && (st = check_qe_report_signature(c, q, err)) != TC_OK)
    return st;
  if ((st = tc_dcap_qe_identity_check(&c->coll->qi, &q->qe_report, qe_status, qe_adv, err)) !=
      TC_OK)
    return st;
  json_t *detail = json_object();
  json_object_set_new(res, "tcb_detail", detail);
  json_object_set_new(detail, "qe_tcb_status", json_string(tc_dcap_tcb_status_name(*qe_status)));
  /* Intel's TCB recovery counters of the two signed documents used (a policy can require a
   * minimum: an older Intel-signed document inside its nextUpdate is otherwise accepted) */
  json_object_set_new(res, "tcb_evaluation_data_number",
                      json_pack("{s:i, s:i}", "tcb_info", c->coll->ti.tcb_evaluation_data_number,
                                "qe_identity", c->coll->qi.tcb_evaluation_data_number));
  return TC_OK;
}

/* TCB evaluation: statuses and advisories into the result (also when no level matched). */
static tc_status evaluate_tcb(const dcap_vctx *c, const tc_dcap_quote *q,
                              const tc_dcap_pck_info *pck, tc_dcap_tcb_status qe_status,
                              const json_t *qe_adv, json_t *res, tc_error *err) {
  int is_tdx = q->body_kind != TC_DCAP_BODY_SGX;
  tc_dcap_tcb_result tr;
  json_t *detail = json_object_get(res, "tcb_detail");
  tc_status st =
      tc_dcap_tcb_evaluate(&c->coll->ti, pck, is_tdx ? &q->td : NULL, qe_status, qe_adv, &tr, err);
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

/* The steps in the order of include/teectl/dcap.h; each one's failure is the verdict. */
static tc_status run(dcap_vctx *c, const tc_dcap_quote *q, json_t *res, tc_error *err) {
  tc_status st;
  tc_dcap_pck_info pck;
  tc_dcap_tcb_status qe_status;
  json_auto_t *qe_adv = NULL;
  dcap_qe_lookup(c, q);
  if ((st = check_quote_signature(c, q, err)) != TC_OK ||
      (st = dcap_check_pck_chain(c, q, err)) != TC_OK ||
      (st = dcap_check_signed_collateral(c, err)) != TC_OK ||
      (st = match_tcb(c, q, &pck, res, err)) != TC_OK ||
      (st = check_qe_report(c, q, &qe_status, &qe_adv, res, err)) != TC_OK)
    return st;
  return evaluate_tcb(c, q, &pck, qe_status, qe_adv, res, err);
}

/* Result fields that come from the quote alone (the claims only when the caller wants
 * the result object). -1 on allocation failure. */
static int quote_fields(const tc_dcap_quote *q, int full, json_t *res) {
  int is_tdx = q->body_kind != TC_DCAP_BODY_SGX;
  json_object_set_new(res, "tee", json_string(is_tdx ? "tdx" : "sgx"));
  json_object_set_new(res, "quote_version", json_integer(q->header.version));
  json_object_set_new(res, "qe_vendor_id", hexj(q->header.qe_vendor_id, 16));
  json_auto_t *claims = full ? tc_dcap_claims(q) : json_object();
  json_auto_t *flags = full ? tc_dcap_policy_flags(q) : json_object();
  if (claims == NULL || flags == NULL)
    return -1;
  json_object_set(res, "policy_flags", flags);
  json_object_set(res, "claims", claims);
  return 0;
}

tc_status tc_dcap_verify(const uint8_t *quote, size_t len, const tc_collateral *col, int64_t at,
                         json_t **result, tc_error *err) {
  return tc_dcap_verify_cached(quote, len, col, at, NULL, result, err);
}

tc_status tc_dcap_verify_cached(const uint8_t *quote, size_t len, const tc_collateral *col,
                                int64_t at, tc_dcap_cache *cache, json_t **result, tc_error *err) {
  tc_error local;
  if (err == NULL)
    err = &local;
  tc_error_clear(err);
  if (result)
    *result = NULL;
  json_auto_t *res = json_object();
  if (res == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "result");
  char ts[21];
  json_object_set_new(res, "verified_at", json_string(tc_rfc3339_format(at, ts)));
  json_object_set_new(res, "tcb_status", json_null());
  json_object_set_new(res, "advisory_ids", json_null());
  tc_dcap_quote q;
  tc_status st = tc_dcap_parse(quote, len, &q, err);
  __attribute__((cleanup(dcap_vctx_free)))
  dcap_vctx c = {.col = col, .at = at, .win_lo = INT64_MIN, .win_hi = INT64_MAX, .cache = cache};
  if (st == TC_OK) {
    if (quote_fields(&q, result != NULL, res) != 0)
      return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "claims");
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
  tc_verdict_set(res, st, err, "all checks passed");
  tc_verdict_set_trust_anchor(res, st, c.operator_root);
  if (result) {
    *result = res;
    res = NULL;
  }
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
  TC_AUTO(tc_x509_stack) *sk = NULL;
  if ((st = tc_x509_parse_chain(chain, chain_len, &sk, err)) != TC_OK)
    return st;
  return dcap_pck_info_from_cert(sk_X509_value(sk, 0), out, err);
}
