/* SPDX-License-Identifier: Apache-2.0 */
/* Intel DCAP quote parser (SGX ECDSA quote v3, TDX quote v4/v5) and claims JSON.
 * Layouts: Intel SGX ECDSA Quote Library API (v3), Intel TDX DCAP Quoting Library API
 * (v4, v5). No cryptography here; every read is bounds-checked against the input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/auto.h"
#include "teectl/bytes.h"
#include "teectl/dcap.h"

/* A bounded reader over the quote bytes. */
typedef struct {
  const uint8_t *p;
  size_t len, off;
} rd;

static tc_status need(rd *r, size_t n, const char *field, tc_error *err) {
  if (n > r->len || r->off > r->len - n)
    return tc_fail(err, TC_ERR_PARSE, "quote_truncated",
                   "%s at offset %zu needs %zu bytes, only %zu remain (quote length %zu)", field,
                   r->off, n, r->len - r->off, r->len);
  return TC_OK;
}

static void parse_sgx_body(const uint8_t *b, tc_sgx_report_body *o) {
  memcpy(o->cpu_svn, b + 0, 16);
  memcpy(o->misc_select, b + 16, 4);
  memcpy(o->isv_ext_prod_id, b + 32, 16);
  memcpy(o->attributes, b + 48, 16);
  memcpy(o->mr_enclave, b + 64, 32);
  memcpy(o->mr_signer, b + 128, 32);
  memcpy(o->config_id, b + 192, 64);
  o->isv_prod_id = tc_le16(b + 256);
  o->isv_svn = tc_le16(b + 258);
  o->config_svn = tc_le16(b + 260);
  memcpy(o->isv_family_id, b + 304, 16);
  memcpy(o->report_data, b + 320, 64);
}

static void parse_td_body(const uint8_t *b, int v15, tc_td_report_body *o) {
  memcpy(o->tee_tcb_svn, b + 0, 16);
  memcpy(o->mr_seam, b + 16, 48);
  memcpy(o->mr_signer_seam, b + 64, 48);
  memcpy(o->seam_attributes, b + 112, 8);
  memcpy(o->td_attributes, b + 120, 8);
  memcpy(o->xfam, b + 128, 8);
  memcpy(o->mr_td, b + 136, 48);
  memcpy(o->mr_config_id, b + 184, 48);
  memcpy(o->mr_owner, b + 232, 48);
  memcpy(o->mr_owner_config, b + 280, 48);
  for (int i = 0; i < 4; i++)
    memcpy(o->rtmr[i], b + 328 + (size_t)48 * (size_t)i, 48);
  memcpy(o->report_data, b + 520, 64);
  o->is_td15 = v15;
  if (v15) {
    memcpy(o->tee_tcb_svn2, b + 584, 16);
    memcpy(o->mr_service_td, b + 600, 48);
  }
}

static size_t body_len(tc_dcap_body_kind k) {
  return k == TC_DCAP_BODY_SGX    ? TC_DCAP_SGX_BODY_LEN
         : k == TC_DCAP_BODY_TD10 ? TC_DCAP_TD10_BODY_LEN
                                  : TC_DCAP_TD15_BODY_LEN;
}

/* QE report certification data: QE report, its signature, QE auth data, and the nested
 * certification data (type, size, data). Consumes exactly `avail` bytes from r. */
static tc_status parse_qe_part(rd *r, tc_dcap_quote *q, int nested, tc_error *err) {
  tc_status st;
  if ((st = need(r, TC_DCAP_SGX_BODY_LEN, "QE report", err)) != TC_OK)
    return st;
  q->qe_report_raw = r->p + r->off;
  parse_sgx_body(r->p + r->off, &q->qe_report);
  r->off += TC_DCAP_SGX_BODY_LEN;
  if ((st = need(r, 64, "QE report signature", err)) != TC_OK)
    return st;
  memcpy(q->qe_report_signature, r->p + r->off, 64);
  r->off += 64;
  if ((st = need(r, 2, "QE authentication data size", err)) != TC_OK)
    return st;
  q->qe_auth_data_len = tc_le16(r->p + r->off);
  r->off += 2;
  if ((st = need(r, q->qe_auth_data_len, "QE authentication data", err)) != TC_OK)
    return st;
  q->qe_auth_data = r->p + r->off;
  r->off += q->qe_auth_data_len;
  if ((st = need(r, 6, nested ? "inner certification data header" : "certification data header",
                 err)) != TC_OK)
    return st;
  size_t type_off = r->off;
  q->cert_data_type = tc_le16(r->p + r->off);
  q->cert_data_len = tc_le32(r->p + r->off + 2);
  r->off += 6;
  if (q->cert_data_type < 1 || q->cert_data_type > 5)
    return tc_fail(err, TC_ERR_PARSE, "cert_data_type_unsupported",
                   "%scertification data type %u at offset %zu: expected 1..5 (5 = PCK chain)",
                   nested ? "inner " : "", q->cert_data_type, type_off);
  if ((st = need(r, q->cert_data_len, "certification data", err)) != TC_OK)
    return st;
  q->cert_data = r->p + r->off;
  r->off += q->cert_data_len;
  return TC_OK;
}

/* Header (48 bytes) and, for v5, the body descriptor: version, key type, TEE type and
 * the body kind they give. Leaves r at the report body. */
static tc_status parse_header(rd *r, tc_dcap_quote *q, tc_error *err) {
  tc_status st;
  tc_dcap_header *h = &q->header;
  h->version = tc_le16(r->p);
  h->att_key_type = tc_le16(r->p + 2);
  h->tee_type = tc_le32(r->p + 4);
  h->qe_svn = tc_le16(r->p + 8);
  h->pce_svn = tc_le16(r->p + 10);
  memcpy(h->qe_vendor_id, r->p + 12, 16);
  memcpy(h->user_data, r->p + 28, 20);
  if (h->version < 3 || h->version > 5)
    return tc_fail(err, TC_ERR_PARSE, "quote_version_unsupported",
                   "quote version %u at offset 0: supported are 3 (SGX), 4 and 5 (TDX)",
                   h->version);
  if (h->att_key_type != TC_DCAP_ATT_KEY_ECDSA_P256)
    return tc_fail(err, TC_ERR_PARSE, "att_key_type_unsupported",
                   "attestation key type %u at offset 2: only 2 (ECDSA-256-with-P-256) is "
                   "supported",
                   h->att_key_type);
  r->off = TC_DCAP_HEADER_LEN;
  if (h->version == 3) {
    if (h->tee_type != TC_DCAP_TEE_SGX)
      return tc_fail(err, TC_ERR_PARSE, "tee_type_unsupported",
                     "v3 quote with tee_type 0x%08x at offset 4: v3 is SGX only (0)", h->tee_type);
    q->body_kind = TC_DCAP_BODY_SGX;
  } else if (h->version == 4) {
    if (h->tee_type != TC_DCAP_TEE_TDX)
      return tc_fail(err, TC_ERR_PARSE, "tee_type_unsupported",
                     "v4 quote with tee_type 0x%08x at offset 4: expected 0x81 (TDX)", h->tee_type);
    q->body_kind = TC_DCAP_BODY_TD10;
  } else {
    if ((st = need(r, 6, "v5 body descriptor", err)) != TC_OK)
      return st;
    q->v5_body_type = tc_le16(r->p + r->off);
    q->v5_body_size = tc_le32(r->p + r->off + 2);
    if (q->v5_body_type < 1 || q->v5_body_type > 3)
      return tc_fail(err, TC_ERR_PARSE, "body_type_unsupported",
                     "v5 body type %u at offset %zu: expected 1 (SGX), 2 (TD 1.0) or 3 (TD 1.5)",
                     q->v5_body_type, r->off);
    q->body_kind = (tc_dcap_body_kind)q->v5_body_type;
    uint32_t want_tee = q->body_kind == TC_DCAP_BODY_SGX ? TC_DCAP_TEE_SGX : TC_DCAP_TEE_TDX;
    if (h->tee_type != want_tee)
      return tc_fail(err, TC_ERR_PARSE, "tee_type_unsupported",
                     "v5 quote with body type %u has tee_type 0x%08x, expected 0x%08x",
                     q->v5_body_type, h->tee_type, want_tee);
    if (q->v5_body_size != body_len(q->body_kind))
      return tc_fail(err, TC_ERR_PARSE, "body_size_mismatch",
                     "v5 body size %u at offset %zu: body type %u is %zu bytes", q->v5_body_size,
                     r->off + 2, q->v5_body_type, body_len(q->body_kind));
    r->off += 6;
  }
  return TC_OK;
}

/* Signature data (after its u32 length) read with s limited to it: quote signature,
 * attestation key, then the QE report certification data (v3: directly; v4/v5: inside a
 * type-6 certification data). */
static tc_status parse_sig_data(rd *s, tc_dcap_quote *q, tc_error *err) {
  tc_status st;
  if ((st = need(s, 128, "quote signature and attestation key", err)) != TC_OK)
    return st;
  memcpy(q->quote_signature, s->p + s->off, 64);
  memcpy(q->attestation_key, s->p + s->off + 64, 64);
  s->off += 128;
  if (q->header.version == 3) {
    q->outer_cert_data_type = 0;
    if ((st = parse_qe_part(s, q, 0, err)) != TC_OK)
      return st;
  } else {
    if ((st = need(s, 6, "certification data header", err)) != TC_OK)
      return st;
    size_t type_off = s->off;
    uint16_t outer = tc_le16(s->p + s->off);
    uint32_t outer_len = tc_le32(s->p + s->off + 2);
    s->off += 6;
    q->outer_cert_data_type = outer;
    if (outer != 6)
      return tc_fail(err, TC_ERR_PARSE, "cert_data_type_unsupported",
                     "certification data type %u at offset %zu: v%u quotes need type 6 (QE "
                     "report certification data)",
                     outer, type_off, q->header.version);
    if ((st = need(s, outer_len, "QE report certification data", err)) != TC_OK)
      return st;
    rd in = {s->p, s->off + outer_len, s->off};
    if ((st = parse_qe_part(&in, q, 1, err)) != TC_OK)
      return st;
    if (in.off != in.len)
      return tc_fail(err, TC_ERR_PARSE, "sig_data_malformed",
                     "QE report certification data (type 6) is %u bytes but its parts end %zu "
                     "bytes earlier (offset %zu)",
                     outer_len, in.len - in.off, in.off);
    s->off = in.off;
  }
  return TC_OK;
}

tc_status tc_dcap_parse(const uint8_t *quote, size_t len, tc_dcap_quote *q, tc_error *err) {
  memset(q, 0, sizeof *q);
  rd r = {quote, len, 0};
  tc_status st;
  if (quote == NULL)
    return tc_fail(err, TC_ERR_USAGE, "bad_argument", "quote is NULL");
  if ((st = need(&r, TC_DCAP_HEADER_LEN, "quote header", err)) != TC_OK)
    return st;
  if ((st = parse_header(&r, q, err)) != TC_OK)
    return st;
  size_t blen = body_len(q->body_kind);
  if ((st = need(&r, blen, "report body", err)) != TC_OK)
    return st;
  if (q->body_kind == TC_DCAP_BODY_SGX)
    parse_sgx_body(quote + r.off, &q->sgx);
  else
    parse_td_body(quote + r.off, q->body_kind == TC_DCAP_BODY_TD15, &q->td);
  r.off += blen;
  q->signed_data = quote;
  q->signed_len = r.off;

  if ((st = need(&r, 4, "signature data length", err)) != TC_OK)
    return st;
  q->sig_data_len = tc_le32(quote + r.off);
  r.off += 4;
  if (q->sig_data_len > r.len - r.off)
    return tc_fail(err, TC_ERR_PARSE, "quote_truncated",
                   "signature data length %u at offset %zu exceeds the %zu remaining bytes",
                   q->sig_data_len, r.off - 4, r.len - r.off);
  size_t sig_end = r.off + q->sig_data_len;
  /* Parse the signature data with a reader limited to it. */
  rd s = {quote, sig_end, r.off};
  if ((st = parse_sig_data(&s, q, err)) != TC_OK)
    return st;
  if (s.off != sig_end)
    return tc_fail(err, TC_ERR_PARSE, "sig_data_malformed",
                   "signature data length is %u but its parts end %zu bytes earlier (offset %zu)",
                   q->sig_data_len, sig_end - s.off, s.off);
  for (size_t i = sig_end; i < len; i++)
    if (quote[i] != 0)
      return tc_fail(err, TC_ERR_PARSE, "quote_trailing_bytes",
                     "non-zero byte 0x%02x at offset %zu after the signature data (which ends at "
                     "%zu; only zero padding may follow)",
                     quote[i], i, sig_end);
  q->trailing_zero_len = len - sig_end;
  return TC_OK;
}

const char *tc_dcap_body_name(tc_dcap_body_kind kind) {
  switch (kind) {
  case TC_DCAP_BODY_SGX:
    return "sgx";
  case TC_DCAP_BODY_TD10:
    return "td10";
  case TC_DCAP_BODY_TD15:
    return "td15";
  }
  return "unknown";
}

/* ---- claims ---- */

/* Member k (an ASCII literal): b[0..n) as lower-case hex, an ASCII string, so neither needs
 * jansson's UTF-8 check; up to 64 bytes without an allocation. */
static int set_hex(json_t *o, const char *k, const uint8_t *b, size_t n) {
  char small[2 * 64 + 1], *buf = n <= 64 ? small : malloc(2 * n + 1);
  if (buf == NULL)
    return -1;
  int rc = json_object_set_new_nocheck(o, k, json_stringn_nocheck(tc_hex_encode(b, n, buf), 2 * n));
  if (buf != small)
    free(buf);
  return rc;
}

static int set_int(json_t *o, const char *k, long long v) {
  return json_object_set_new(o, k, json_integer(v));
}

/* The fields of an SGX report body into o. 0, or -1 on allocation failure. */
static int sgx_body_json(const tc_sgx_report_body *b, json_t *o, int full) {
  int rc = 0;
  rc |= set_hex(o, "cpu_svn", b->cpu_svn, 16);
  rc |= set_hex(o, "misc_select", b->misc_select, 4);
  rc |= set_hex(o, "attributes", b->attributes, 16);
  rc |= set_hex(o, "mr_enclave", b->mr_enclave, 32);
  rc |= set_hex(o, "mr_signer", b->mr_signer, 32);
  rc |= set_int(o, "isv_prod_id", b->isv_prod_id);
  rc |= set_int(o, "isv_svn", b->isv_svn);
  if (full) {
    rc |= set_int(o, "config_svn", b->config_svn);
    rc |= set_hex(o, "isv_ext_prod_id", b->isv_ext_prod_id, 16);
    rc |= set_hex(o, "isv_family_id", b->isv_family_id, 16);
    rc |= set_hex(o, "config_id", b->config_id, 64);
  }
  rc |= set_hex(o, "report_data", b->report_data, 64);
  return rc != 0 ? -1 : 0;
}

json_t *tc_dcap_claims(const tc_dcap_quote *q) {
  json_auto_t *o = json_object();
  if (o == NULL)
    return NULL;
  const tc_dcap_header *h = &q->header;
  char tt[16];
  snprintf(tt, sizeof tt, "0x%08x", h->tee_type);
  int rc = 0;
  rc |= set_int(o, "quote_version", h->version);
  rc |= set_int(o, "att_key_type", h->att_key_type);
  rc |= json_object_set_new(o, "tee_type", json_string(tt));
  rc |= set_int(o, "qe_svn", h->qe_svn);
  rc |= set_int(o, "pce_svn", h->pce_svn);
  rc |= set_hex(o, "qe_vendor_id", h->qe_vendor_id, 16);
  rc |= set_hex(o, "user_data", h->user_data, 20);
  if (h->version == 5) {
    rc |= set_int(o, "v5_body_type", q->v5_body_type);
    rc |= set_int(o, "v5_body_size", q->v5_body_size);
  }
  rc |= json_object_set_new(o, "body", json_string(tc_dcap_body_name(q->body_kind)));
  if (q->body_kind == TC_DCAP_BODY_SGX) {
    rc |= sgx_body_json(&q->sgx, o, 1);
  } else {
    const tc_td_report_body *t = &q->td;
    rc |= set_hex(o, "tee_tcb_svn", t->tee_tcb_svn, 16);
    rc |= set_hex(o, "mr_seam", t->mr_seam, 48);
    rc |= set_hex(o, "mr_signer_seam", t->mr_signer_seam, 48);
    rc |= set_hex(o, "seam_attributes", t->seam_attributes, 8);
    rc |= set_hex(o, "td_attributes", t->td_attributes, 8);
    rc |= set_hex(o, "xfam", t->xfam, 8);
    rc |= set_hex(o, "mr_td", t->mr_td, 48);
    rc |= set_hex(o, "mr_config_id", t->mr_config_id, 48);
    rc |= set_hex(o, "mr_owner", t->mr_owner, 48);
    rc |= set_hex(o, "mr_owner_config", t->mr_owner_config, 48);
    for (int i = 0; i < 4; i++) {
      char k[8];
      snprintf(k, sizeof k, "rtmr%d", i);
      rc |= set_hex(o, k, t->rtmr[i], 48);
    }
    rc |= set_hex(o, "report_data", t->report_data, 64);
    if (q->body_kind == TC_DCAP_BODY_TD15) {
      rc |= set_hex(o, "tee_tcb_svn2", t->tee_tcb_svn2, 16);
      rc |= set_hex(o, "mr_service_td", t->mr_service_td, 48);
    }
  }
  rc |= set_int(o, "signed_len", (long long)q->signed_len);
  rc |= set_int(o, "sig_data_len", q->sig_data_len);
  rc |= set_int(o, "trailing_bytes_after_sig_data", (long long)q->trailing_zero_len);
  rc |= set_int(o, "certification_data_type", q->cert_data_type);
  rc |= json_object_set_new(o, "outer_certification_data_type",
                            q->outer_cert_data_type ? json_integer(q->outer_cert_data_type)
                                                    : json_null());
  json_auto_t *qe = json_object();
  if (qe == NULL || sgx_body_json(&q->qe_report, qe, 0) != 0)
    return NULL;
  rc |= json_object_set(o, "qe_report", qe);
  rc |= set_hex(o, "qe_auth_data", q->qe_auth_data, q->qe_auth_data_len);
  rc |= set_hex(o, "attestation_key", q->attestation_key, 64);
  if (rc != 0)
    return NULL;
  json_t *out = o;
  o = NULL;
  return out;
}

json_t *tc_dcap_policy_flags(const tc_dcap_quote *q) {
  if (q->body_kind == TC_DCAP_BODY_SGX) {
    uint64_t f = tc_le64(q->sgx.attributes);
    return json_pack("{s:b,s:b,s:b,s:b,s:b}", "debug", (int)((f >> 1) & 1), "mode64bit",
                     (int)((f >> 2) & 1), "provision_key", (int)((f >> 4) & 1), "einittoken_key",
                     (int)((f >> 5) & 1), "kss", (int)((f >> 7) & 1));
  }
  uint64_t a = tc_le64(q->td.td_attributes);
  return json_pack("{s:b,s:b,s:b,s:b,s:b}", "debug", (int)(a & 1), "sept_ve_disable",
                   (int)((a >> 28) & 1), "pks", (int)((a >> 30) & 1), "kl", (int)((a >> 31) & 1),
                   "perfmon", (int)((a >> 63) & 1));
}
