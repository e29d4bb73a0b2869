/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the DCAP parser and verifier: every rejection path with its reason code,
 * on quotes, hierarchies and signed collateral generated at test time (tests/common/
 * dcap_forge), and the TCB matching rules on tables of hand-made levels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "crypto/x509.h"
#include "dcap_forge.h"
#include "teectl/dcap.h"
#include "teectl/file.h"
#include "teectl/rfc3339.h"
#include "testlib.h"

#include <sys/wait.h>
#include <unistd.h>

static dcap_forge *g_forge; /* default forge, shared by the tests that do not break it */
static dcap_forge_opts g_opts;

/* Expected quote layout facts (Intel SGX ECDSA Quote Library API / TDX DCAP Quoting
 * Library API), written here independently of the parser. */
#define V3_SIGNED 432
#define V4_SIGNED 632
#define V5_SIGNED 702

static tc_buf forge_quote(const dcap_forge *f, int version) {
  uint8_t rd[64];
  for (int i = 0; i < 64; i++)
    rd[i] = (uint8_t)(0xd0 ^ i);
  tc_buf q;
  assert_int_equal(dcap_forge_quote(f, version, rd, &q), 0);
  return q;
}

static void put16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static void expect_parse_error(const uint8_t *q, size_t len, const char *reason) {
  tc_dcap_quote pq;
  tc_error err;
  tc_status st = tc_dcap_parse(q, len, &pq, &err);
  if (st != TC_ERR_PARSE || strcmp(err.reason, reason) != 0)
    fail_msg("expected parse error %s, got status %d reason %s (%s)", reason, st, err.reason,
             err.detail);
}

/* ---- parser ---- */

static void test_parse_forged(void **state) {
  (void)state;
  for (int v = 3; v <= 5; v++) {
    tc_buf q = forge_quote(g_forge, v);
    tc_dcap_quote pq;
    tc_error err;
    assert_int_equal(tc_dcap_parse(q.data, q.len, &pq, &err), TC_OK);
    assert_int_equal(pq.header.version, v);
    assert_int_equal(pq.signed_len, v == 3 ? V3_SIGNED : v == 4 ? V4_SIGNED : V5_SIGNED);
    assert_int_equal(pq.trailing_zero_len, 0);
    assert_int_equal(pq.cert_data_type, 5);
    assert_int_equal(pq.outer_cert_data_type, v == 3 ? 0 : 6);
    assert_int_equal(pq.qe_auth_data_len, 32);
    assert_int_equal(pq.qe_report.isv_svn, g_opts.qe_isvsvn);
    if (v == 3) {
      assert_int_equal(pq.body_kind, TC_DCAP_BODY_SGX);
      assert_int_equal(pq.sgx.report_data[0], 0xd0);
      assert_int_equal(pq.sgx.isv_prod_id, 7);
      assert_int_equal(pq.sgx.isv_svn, 9);
    } else {
      assert_int_equal(pq.body_kind, v == 4 ? TC_DCAP_BODY_TD10 : TC_DCAP_BODY_TD15);
      assert_memory_equal(pq.td.tee_tcb_svn, g_opts.tee_tcb_svn, 16);
      assert_int_equal(pq.td.report_data[63], 0xd0 ^ 63);
      assert_int_equal(pq.td.mr_td[0], 0x60);
      assert_int_equal(pq.td.rtmr[3][0], 0x90 + 48);
    }
    json_t *claims = tc_dcap_claims(&pq), *flags = tc_dcap_policy_flags(&pq);
    assert_non_null(claims);
    assert_non_null(flags);
    assert_string_equal(json_string_value(json_object_get(claims, "body")), v == 3   ? "sgx"
                                                                            : v == 4 ? "td10"
                                                                                     : "td15");
    assert_string_equal(json_string_value(json_object_get(claims, "tee_type")),
                        v == 3 ? "0x00000000" : "0x00000081");
    assert_false(json_is_true(json_object_get(flags, "debug")));
    if (v != 3)
      assert_true(json_is_true(json_object_get(flags, "sept_ve_disable")));
    json_decref(claims);
    json_decref(flags);
    tc_buf_free(&q);
  }
}

static void test_parse_header_rejections(void **state) {
  (void)state;
  tc_buf q = forge_quote(g_forge, 4);
  uint8_t *b = q.data;
  put16(b, 2);
  expect_parse_error(b, q.len, "quote_version_unsupported");
  put16(b, 6);
  expect_parse_error(b, q.len, "quote_version_unsupported");
  put16(b, 4);
  put16(b + 2, 3); /* ECDSA-384 */
  expect_parse_error(b, q.len, "att_key_type_unsupported");
  put16(b + 2, 2);
  put32(b + 4, 0);
  expect_parse_error(b, q.len, "tee_type_unsupported");
  put32(b + 4, 0x81);
  tc_buf_free(&q);

  q = forge_quote(g_forge, 3);
  put32(q.data + 4, 0x81);
  expect_parse_error(q.data, q.len, "tee_type_unsupported");
  tc_buf_free(&q);

  q = forge_quote(g_forge, 5);
  put16(q.data + 48, 4);
  expect_parse_error(q.data, q.len, "body_type_unsupported");
  put16(q.data + 48, 2); /* TD 1.0 type with the 1.5 size */
  expect_parse_error(q.data, q.len, "body_size_mismatch");
  put16(q.data + 48, 1); /* SGX body type with tee_type TDX */
  expect_parse_error(q.data, q.len, "tee_type_unsupported");
  tc_buf_free(&q);
}

static void test_parse_truncation_everywhere(void **state) {
  (void)state;
  for (int v = 3; v <= 5; v++) {
    tc_buf q = forge_quote(g_forge, v);
    for (size_t n = 0; n < q.len; n++) {
      uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees any overread */
      memcpy(copy, q.data, n);
      expect_parse_error(copy, n, "quote_truncated");
      free(copy);
    }
    tc_buf_free(&q);
  }
}

static void test_parse_trailing_and_lengths(void **state) {
  (void)state;
  tc_buf q = forge_quote(g_forge, 4);
  uint8_t *b = calloc(1, q.len + 100);
  memcpy(b, q.data, q.len);
  tc_dcap_quote pq;
  tc_error err;
  /* zero padding is fine (fixed-size buffers) */
  assert_int_equal(tc_dcap_parse(b, q.len + 100, &pq, &err), TC_OK);
  assert_int_equal(pq.trailing_zero_len, 100);
  b[q.len + 57] = 'x';
  expect_parse_error(b, q.len + 100, "quote_trailing_bytes");
  b[q.len + 57] = 0;
  /* signature data length larger than its parts (zero bytes inside it) */
  uint32_t sdl = (uint32_t)(q.len - V4_SIGNED - 4);
  put32(b + V4_SIGNED, sdl + 10);
  expect_parse_error(b, q.len + 100, "sig_data_malformed");
  put32(b + V4_SIGNED, sdl + 1000); /* beyond the end */
  expect_parse_error(b, q.len + 100, "quote_truncated");
  put32(b + V4_SIGNED, sdl);
  /* outer certification data: type 6 required, its length must match its parts */
  size_t outer = V4_SIGNED + 4 + 128;
  put16(b + outer, 5);
  expect_parse_error(b, q.len, "cert_data_type_unsupported");
  put16(b + outer, 6);
  uint32_t olen = (uint32_t)(sdl - 128 - 6);
  put32(b + outer + 2, olen - 1); /* inner parts overrun the outer container */
  expect_parse_error(b, q.len, "quote_truncated");
  put32(b + outer + 2, olen + 1); /* outer container longer than its parts */
  put32(b + V4_SIGNED, sdl + 1);
  expect_parse_error(b, q.len + 1, "sig_data_malformed");
  put32(b + V4_SIGNED, sdl);
  put32(b + outer + 2, olen);
  /* inner certification data type 7 (unknown) */
  size_t inner = outer + 6 + 384 + 64 + 2 + 32;
  put16(b + inner, 7);
  expect_parse_error(b, q.len, "cert_data_type_unsupported");
  put16(b + inner, 5);
  /* QE auth data size running past the end */
  put16(b + outer + 6 + 384 + 64, 0xffff);
  expect_parse_error(b, q.len, "quote_truncated");
  put16(b + outer + 6 + 384 + 64, 32);
  assert_int_equal(tc_dcap_parse(b, q.len, &pq, &err), TC_OK);
  free(b);
  tc_buf_free(&q);
}

/* ---- verification against forged hierarchies ---- */

static tc_status verify(const dcap_forge *f, const dcap_forge_opts *o, int version, json_t **res,
                        tc_error *err) {
  tc_buf q = forge_quote(f, version);
  tc_collateral col;
  dcap_forge_collateral(f, version != 3, &col);
  tc_status st = tc_dcap_verify(q.data, q.len, &col, o->at, res, err);
  tc_buf_free(&q);
  return st;
}

static void expect_reason(const dcap_forge_opts *o, int version, const char *reason) {
  dcap_forge *f = dcap_forge_new(o);
  assert_non_null(f);
  json_t *res = NULL;
  tc_error err;
  tc_status st = verify(f, o, version, &res, &err);
  if (st == TC_OK || strcmp(err.reason, reason) != 0)
    fail_msg("v%d: expected %s, got %s (%s)", version, reason, st == TC_OK ? "valid" : err.reason,
             err.detail);
  assert_non_null(res);
  assert_string_equal(json_string_value(json_object_get(res, "verdict")), "invalid");
  assert_string_equal(json_string_value(json_object_get(res, "reason")), reason);
  assert_null(json_object_get(res, "trust_anchor")); /* only a valid verdict names one */
  json_decref(res);
  dcap_forge_free(f);
}

static void test_verify_valid(void **state) {
  (void)state;
  for (int v = 3; v <= 5; v++) {
    json_t *res = NULL;
    tc_error err;
    tc_status st = verify(g_forge, &g_opts, v, &res, &err);
    if (st != TC_OK)
      fail_msg("v%d: %s: %s", v, err.reason, err.detail);
    assert_string_equal(json_string_value(json_object_get(res, "verdict")), "valid");
    assert_string_equal(json_string_value(json_object_get(res, "tcb_status")), "UpToDate");
    assert_string_equal(json_string_value(json_object_get(res, "tee")), v == 3 ? "sgx" : "tdx");
    assert_string_equal(json_string_value(json_object_get(res, "fmspc")), "00906ed50000");
    assert_int_equal(json_array_size(json_object_get(res, "advisory_ids")), 0);
    const char *rd =
        json_string_value(json_object_get(json_object_get(res, "claims"), "report_data"));
    assert_non_null(rd);
    assert_memory_equal(rd, "d0d1d2d3", 8);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(res, "pck_tcb"), "issuer_ca")),
        "TEST-ONLY SGX PCK Platform CA");
    /* The forged chains end at the test root, trusted only as an operator root. */
    assert_string_equal(json_string_value(json_object_get(res, "trust_anchor")),
                        "operator_trust_root");
    json_decref(res);
  }
}

static void test_verify_breakages(void **state) {
  (void)state;
  static const struct {
    dcap_forge_break br;
    const char *reason;
  } cases[] = {
      {DCAP_BREAK_CA_WRONG_SIGNER, "pck_chain_invalid"},
      {DCAP_BREAK_PCK_WRONG_SIGNER, "pck_chain_invalid"},
      {DCAP_BREAK_PCK_NO_EXTENSION, "pck_extension_invalid"},
      {DCAP_BREAK_PCK_REVOKED, "pck_revoked"},
      {DCAP_BREAK_CA_REVOKED, "pck_revoked"},
      {DCAP_BREAK_TCB_SIGNER_REVOKED, "tcb_info_chain_invalid"},
      {DCAP_BREAK_TCB_SIGNER_WRONG_ROOT, "tcb_info_chain_invalid"},
      {DCAP_BREAK_TCB_INFO_SIGNATURE, "tcb_info_signature_invalid"},
      {DCAP_BREAK_QE_IDENTITY_SIGNATURE, "qe_identity_signature_invalid"},
      {DCAP_BREAK_PCK_CRL_SIGNER, "crl_invalid"},
      {DCAP_BREAK_QE_REPORT_SIGNATURE, "qe_report_signature_invalid"},
      {DCAP_BREAK_QE_REPORT_DATA, "qe_report_data_mismatch"},
      {DCAP_BREAK_QUOTE_SIGNATURE, "quote_signature_invalid"},
      {DCAP_BREAK_CA_NOT_CA, "pck_chain_invalid"},
      {DCAP_BREAK_ROOT_PATHLEN0, "pck_chain_invalid"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    dcap_forge_opts o = g_opts;
    o.breakage = cases[i].br;
    expect_reason(&o, i % 2 ? 3 : 4, cases[i].reason);
  }
}

static void test_verify_windows(void **state) {
  (void)state;
  dcap_forge_opts o = g_opts;
  o.at = tc_utc_seconds(2041, 1, 1, 0, 0, 0); /* after every certificate */
  expect_reason(&o, 4, "pck_cert_expired");
  o = g_opts;
  o.at = tc_utc_seconds(2025, 3, 1, 0, 0, 0); /* after the CRLs' nextUpdate */
  expect_reason(&o, 4, "crl_expired");
  o.crl_this_update = g_opts.issue_date;
  o.crl_next_update = tc_utc_seconds(2026, 1, 1, 0, 0, 0);
  expect_reason(&o, 4, "tcb_info_expired");
  o = g_opts;
  o.at = tc_utc_seconds(2024, 12, 31, 0, 0, 0); /* before issueDate (CRL window widened) */
  o.crl_this_update = tc_utc_seconds(2024, 1, 1, 0, 0, 0);
  o.crl_next_update = g_opts.next_update;
  expect_reason(&o, 3, "tcb_info_expired");
  o = g_opts;
  o.qe_issue_date = g_opts.issue_date;
  o.qe_next_update = tc_utc_seconds(2025, 1, 10, 0, 0, 0);
  expect_reason(&o, 5, "qe_identity_expired");
}

static void test_verify_mismatches(void **state) {
  (void)state;
  dcap_forge_opts o = g_opts;
  o.tcb_info_fmspc[5] = 0x01;
  expect_reason(&o, 4, "fmspc_mismatch");
  o = g_opts;
  o.tcb_info_pce_id[1] = 0x01;
  expect_reason(&o, 3, "pce_id_mismatch");

  /* SGX collateral for a TDX quote and vice versa */
  tc_buf q = forge_quote(g_forge, 4);
  tc_collateral col, sgx;
  dcap_forge_collateral(g_forge, 1, &col);
  dcap_forge_collateral(g_forge, 0, &sgx);
  tc_collateral mixed = col;
  mixed.tcb_info = sgx.tcb_info;
  tc_error err;
  json_t *res = NULL;
  assert_int_equal(tc_dcap_verify(q.data, q.len, &mixed, g_opts.at, &res, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "tcb_info_mismatch");
  json_decref(res);
  mixed = col;
  mixed.qe_identity = sgx.qe_identity;
  assert_int_equal(tc_dcap_verify(q.data, q.len, &mixed, g_opts.at, NULL, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "qe_identity_mismatch");

  /* no operator root and not Intel's: untrusted */
  mixed = col;
  mixed.n_trust_roots = 0;
  assert_int_equal(tc_dcap_verify(q.data, q.len, &mixed, g_opts.at, NULL, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "pck_chain_untrusted");

  /* collateral missing, one item at a time */
  tc_buf *items[] = {&mixed.tcb_info,    &mixed.tcb_info_issuer_chain,
                     &mixed.qe_identity, &mixed.qe_identity_issuer_chain,
                     &mixed.pck_crl,     &mixed.root_ca_crl};
  for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
    mixed = col;
    items[i]->data = NULL;
    items[i]->len = 0;
    assert_int_equal(tc_dcap_verify(q.data, q.len, &mixed, g_opts.at, NULL, &err), TC_ERR_VERIFY);
    assert_string_equal(err.reason, "collateral_missing");
  }
  assert_int_equal(tc_dcap_verify(q.data, q.len, NULL, g_opts.at, NULL, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "collateral_missing");

  /* unparsable collateral */
  mixed = col;
  tc_buf junk = {(uint8_t *)"{\"tcbInfo\":{}, \"signature\":\"zz\"}", 31};
  mixed.tcb_info = junk;
  assert_int_equal(tc_dcap_verify(q.data, q.len, &mixed, g_opts.at, NULL, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "tcb_info_unparsable");
  mixed = col;
  tc_buf notjson = {(uint8_t *)"not json", 8};
  mixed.qe_identity = notjson;
  assert_int_equal(tc_dcap_verify(q.data, q.len, &mixed, g_opts.at, NULL, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "qe_identity_unparsable");
  mixed = col;
  tc_buf badcrl = {(uint8_t *)"\x30\x03\x02\x01\x01", 5};
  mixed.pck_crl = badcrl;
  assert_int_equal(tc_dcap_verify(q.data, q.len, &mixed, g_opts.at, NULL, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "crl_unparsable");
  mixed = col;
  mixed.pck_crl = col.root_ca_crl; /* issued by the root, not the PCK CA */
  assert_int_equal(tc_dcap_verify(q.data, q.len, &mixed, g_opts.at, NULL, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "crl_invalid");
  tc_buf_free(&q);
}

static void test_verify_pck_chain_from_collateral(void **state) {
  (void)state;
  tc_buf q = forge_quote(g_forge, 3);
  /* certification data type field of a v3 quote: after signature, key, QE report, its
   * signature, auth size (2) and 32 bytes of auth data */
  size_t type_off = V3_SIGNED + 4 + 64 + 64 + 384 + 64 + 2 + 32;
  assert_int_equal(q.data[type_off], 5);
  q.data[type_off] = 3; /* PPID + CPUSVN + PCESVN, encrypted: no chain in the quote */
  tc_collateral col;
  dcap_forge_collateral(g_forge, 0, &col);
  tc_error err;
  assert_int_equal(tc_dcap_verify(q.data, q.len, &col, g_opts.at, NULL, &err), TC_OK);
  col.pck_chain.data = NULL;
  col.pck_chain.len = 0;
  assert_int_equal(tc_dcap_verify(q.data, q.len, &col, g_opts.at, NULL, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "pck_chain_missing");
  tc_dcap_pck_info pi;
  tc_tee tee;
  assert_int_equal(tc_dcap_quote_pck_info(q.data, q.len, NULL, &pi, &tee, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "pck_chain_missing");
  tc_buf_free(&q);
}

static void test_quote_pck_info(void **state) {
  (void)state;
  for (int proc = 0; proc < 2; proc++) {
    dcap_forge_opts o = g_opts;
    o.processor_ca = proc;
    dcap_forge *f = proc ? dcap_forge_new(&o) : g_forge;
    assert_non_null(f);
    tc_buf q = forge_quote(f, proc ? 3 : 5);
    tc_dcap_pck_info pi;
    tc_tee tee;
    tc_error err;
    assert_int_equal(tc_dcap_quote_pck_info(q.data, q.len, NULL, &pi, &tee, &err), TC_OK);
    assert_int_equal(tee, proc ? TC_TEE_SGX : TC_TEE_TDX);
    assert_memory_equal(pi.fmspc, o.fmspc, 6);
    assert_memory_equal(pi.pce_id, o.pce_id, 2);
    assert_memory_equal(pi.sgx_tcb_comp_svn, o.sgx_tcb_comp_svn, 16);
    assert_memory_equal(pi.cpusvn, o.sgx_tcb_comp_svn, 16);
    assert_int_equal(pi.pcesvn, o.pcesvn);
    assert_int_equal(pi.sgx_type, proc ? 0 : 1);
    assert_int_equal(pi.ca, proc ? TC_DCAP_CA_PROCESSOR : TC_DCAP_CA_PLATFORM);
    assert_string_equal(tc_dcap_ca_name(pi.ca), proc ? "processor" : "platform");
    tc_buf_free(&q);
    if (proc)
      dcap_forge_free(f);
  }
}

/* The SGX extension DER: every truncation and a few corruptions are rejected. */
static void test_pck_extension_der(void **state) {
  (void)state;
  tc_collateral col;
  dcap_forge_collateral(g_forge, 1, &col);
  STACK_OF(X509) *sk = NULL;
  tc_error err;
  assert_int_equal(tc_x509_parse_chain(col.pck_chain.data, col.pck_chain.len, &sk, &err), TC_OK);
  const uint8_t *der;
  size_t n;
  assert_int_equal(tc_x509_extension(sk_X509_value(sk, 0), "1.2.840.113741.1.13.1", &der, &n), 1);
  uint8_t *copy = malloc(n);
  tc_dcap_pck_info pi;
  assert_int_equal(tc_dcap_pck_info_from_der(der, n, &pi, &err), TC_OK);
  for (size_t k = 0; k < n; k++) {
    memcpy(copy, der, k);
    assert_int_equal(tc_dcap_pck_info_from_der(copy, k, &pi, &err), TC_ERR_VERIFY);
    assert_string_equal(err.reason, "pck_extension_invalid");
  }
  /* each byte changed: never a crash; a changed tag/length/FMSPC-size byte is rejected */
  int rejected = 0;
  for (size_t k = 0; k < n; k++) {
    memcpy(copy, der, n);
    copy[k] ^= 0x80;
    if (tc_dcap_pck_info_from_der(copy, n, &pi, &err) != TC_OK) {
      assert_string_equal(err.reason, "pck_extension_invalid");
      rejected++;
    }
  }
  assert_true(rejected > 0);
  memcpy(copy, der, n);
  assert_int_equal(tc_dcap_pck_info_from_der(copy, n - 1, &pi, &err), TC_ERR_VERIFY);
  free(copy);
  sk_X509_pop_free(sk, X509_free);
}

/* ---- signed JSON span ---- */

static void test_signed_json_span(void **state) {
  (void)state;
  const char *sig = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
                    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  char text[512];
  const char *inner = "{\"a\":\"}{\\\"\",\"b\":[1,{\"c\":2}]}";
  snprintf(text, sizeof text, "  {\"x\":1, \"tcbInfo\" : %s ,\"signature\":\"%s\"}\n", inner, sig);
  size_t off, len;
  uint8_t s[64];
  tc_error err;
  assert_int_equal(tc_dcap_signed_json((const uint8_t *)text, strlen(text), "tcbInfo", "tcb_info",
                                       &off, &len, s, &err),
                   TC_OK);
  assert_int_equal(len, strlen(inner));
  assert_memory_equal(text + off, inner, len);
  assert_int_equal(s[1], 0x11);
  /* duplicated member, missing signature, short signature, not an object */
  const char *bad[] = {
      "{\"tcbInfo\":{},\"tcbInfo\":{},\"signature\":\"00\"}",
      "{\"tcbInfo\":{}}",
      "{\"tcbInfo\":{},\"signature\":\"0011\"}",
      "{\"tcbInfo\":[],\"signature\":\"0011\"}",
      "[1,2]",
      "{\"tcbInfo\":{\"a\":1}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(tc_dcap_signed_json((const uint8_t *)bad[i], strlen(bad[i]), "tcbInfo",
                                         "tcb_info", &off, &len, s, &err),
                     TC_ERR_PARSE);
    assert_string_equal(err.reason, "tcb_info_unparsable");
  }
}

/* ---- TCB evaluation on hand-made levels ---- */

/* One level as JSON: 16 SGX components (given: first `n`, rest 0), pcesvn, optional TDX
 * components, status and advisory IDs. */
static void level_json(char *out, size_t cap, const uint8_t *sgx, int pcesvn, const uint8_t *tdx,
                       const char *status, const char *advisory) {
  size_t n = (size_t)snprintf(out, cap, "{\"tcb\":{\"sgxtcbcomponents\":[");
  for (int i = 0; i < 16; i++)
    n += (size_t)snprintf(out + n, cap - n, "%s{\"svn\":%u}", i ? "," : "", sgx[i]);
  n += (size_t)snprintf(out + n, cap - n, "],\"pcesvn\":%d", pcesvn);
  if (tdx) {
    n += (size_t)snprintf(out + n, cap - n, ",\"tdxtcbcomponents\":[");
    for (int i = 0; i < 16; i++)
      n += (size_t)snprintf(out + n, cap - n, "%s{\"svn\":%u}", i ? "," : "", tdx[i]);
    n += (size_t)snprintf(out + n, cap - n, "]");
  }
  snprintf(out + n, cap - n, "},\"tcbDate\":\"2024-01-01T00:00:00Z\",\"tcbStatus\":\"%s\"%s%s%s}",
           status, advisory ? ",\"advisoryIDs\":[\"" : "", advisory ? advisory : "",
           advisory ? "\"]" : "");
}

static json_t *tcb_info_json(int tdx, const char *levels, const char *modules) {
  char buf[16384];
  snprintf(buf, sizeof buf,
           "{\"id\":\"%s\",\"version\":3,\"issueDate\":\"2025-01-01T00:00:00Z\",\"nextUpdate\":"
           "\"2025-02-01T00:00:00Z\",\"fmspc\":\"00906ED50000\",\"pceId\":\"0000\",\"tcbType\":0,"
           "\"tcbEvaluationDataNumber\":17%s%s%s,\"tcbLevels\":[%s]}",
           tdx ? "TDX" : "SGX", tdx ? ",\"tdxModule\":{\"mrsigner\":\"" : "",
           tdx ? "000000000000000000000000000000000000000000000000000000000000000000000000000000"
                 "000000000000000000\",\"attributes\":\"0000000000000000\",\"attributesMask\":"
                 "\"FFFFFFFFFFFFFFFF\"}"
               : "",
           modules ? modules : "", levels);
  json_error_t je;
  json_t *j = json_loads(buf, 0, &je);
  if (j == NULL)
    fail_msg("test JSON: %s", je.text);
  return j;
}

/* Evaluate: returns the converged status (NOT_SUPPORTED / error reason in *reason). */
static tc_dcap_tcb_status eval(const json_t *ti_json, const uint8_t pck_sgx[16], int pcesvn,
                               const uint8_t *tee_tcb_svn, tc_dcap_tcb_status qe, char reason[64],
                               json_t **adv) {
  tc_dcap_tcb_info ti;
  tc_error err;
  if (tc_dcap_tcb_info_parse(ti_json, &ti, &err) != TC_OK)
    fail_msg("tcb info parse: %s", err.detail);
  tc_dcap_pck_info pck;
  memset(&pck, 0, sizeof pck);
  memcpy(pck.sgx_tcb_comp_svn, pck_sgx, 16);
  pck.pcesvn = (uint16_t)pcesvn;
  tc_td_report_body td;
  memset(&td, 0, sizeof td);
  if (tee_tcb_svn)
    memcpy(td.tee_tcb_svn, tee_tcb_svn, 16);
  tc_dcap_tcb_result r;
  tc_status st = tc_dcap_tcb_evaluate(&ti, &pck, tee_tcb_svn ? &td : NULL, qe, NULL, &r, &err);
  strcpy(reason, st == TC_OK ? "" : err.reason);
  tc_dcap_tcb_status s = r.status;
  if (adv)
    *adv = json_incref(r.advisory_ids);
  tc_dcap_tcb_result_free(&r);
  tc_dcap_tcb_info_free(&ti);
  return s;
}

static void test_tcb_componentwise_not_lexicographic(void **state) {
  (void)state;
  char l1[1024], l2[1024], levels[2100], reason[64];
  /* PCK [5,0,...]: lexicographically above [4,9] but component 1 is lower. */
  const uint8_t pck[16] = {5, 0}, a[16] = {4, 9}, b[16] = {1, 0};
  level_json(l1, sizeof l1, a, 10, NULL, "UpToDate", NULL);
  level_json(l2, sizeof l2, b, 10, NULL, "OutOfDate", "INTEL-SA-00001");
  snprintf(levels, sizeof levels, "%s,%s", l1, l2);
  json_t *ti = tcb_info_json(0, levels, NULL);
  json_t *adv = NULL;
  assert_int_equal(eval(ti, pck, 10, NULL, TC_DCAP_TCB_UP_TO_DATE, reason, &adv),
                   TC_DCAP_TCB_OUT_OF_DATE);
  assert_string_equal(reason, "");
  assert_int_equal(json_array_size(adv), 1);
  assert_string_equal(json_string_value(json_array_get(adv, 0)), "INTEL-SA-00001");
  json_decref(adv);
  /* equal components: the higher level matches */
  const uint8_t pck2[16] = {4, 9};
  assert_int_equal(eval(ti, pck2, 10, NULL, TC_DCAP_TCB_UP_TO_DATE, reason, NULL),
                   TC_DCAP_TCB_UP_TO_DATE);
  json_decref(ti);
}

static void test_tcb_pcesvn_direction(void **state) {
  (void)state;
  char l1[1024], l2[1024], levels[2100], reason[64];
  const uint8_t c[16] = {2, 2, 2};
  level_json(l1, sizeof l1, c, 11, NULL, "UpToDate", NULL);
  level_json(l2, sizeof l2, c, 9, NULL, "SWHardeningNeeded", NULL);
  snprintf(levels, sizeof levels, "%s,%s", l1, l2);
  json_t *ti = tcb_info_json(0, levels, NULL);
  assert_int_equal(eval(ti, c, 10, NULL, TC_DCAP_TCB_UP_TO_DATE, reason, NULL),
                   TC_DCAP_TCB_SW_HARDENING_NEEDED);
  assert_int_equal(eval(ti, c, 11, NULL, TC_DCAP_TCB_UP_TO_DATE, reason, NULL),
                   TC_DCAP_TCB_UP_TO_DATE);
  assert_int_equal(eval(ti, c, 12, NULL, TC_DCAP_TCB_UP_TO_DATE, reason, NULL),
                   TC_DCAP_TCB_UP_TO_DATE);
  assert_int_equal(eval(ti, c, 8, NULL, TC_DCAP_TCB_UP_TO_DATE, reason, NULL),
                   TC_DCAP_TCB_NOT_SUPPORTED);
  assert_string_equal(reason, "tcb_not_supported");
  json_decref(ti);
}

static void test_tcb_unsorted_levels(void **state) {
  (void)state;
  char l1[1024], l2[1024], l3[1024], levels[3200], reason[64];
  const uint8_t lo[16] = {1, 1}, mid[16] = {3, 3}, hi[16] = {5, 5};
  level_json(l1, sizeof l1, lo, 5, NULL, "OutOfDate", NULL);
  level_json(l2, sizeof l2, hi, 5, NULL, "UpToDate", NULL);
  level_json(l3, sizeof l3, mid, 5, NULL, "ConfigurationNeeded", NULL);
  snprintf(levels, sizeof levels, "%s,%s,%s", l1, l2, l3);
  json_t *ti = tcb_info_json(0, levels, NULL);
  const uint8_t p_hi[16] = {6, 5}, p_mid[16] = {4, 9}, p_lo[16] = {2, 2}, p_none[16] = {0, 9};
  assert_int_equal(eval(ti, p_hi, 5, NULL, TC_DCAP_TCB_UP_TO_DATE, reason, NULL),
                   TC_DCAP_TCB_UP_TO_DATE);
  assert_int_equal(eval(ti, p_mid, 5, NULL, TC_DCAP_TCB_UP_TO_DATE, reason, NULL),
                   TC_DCAP_TCB_CONFIGURATION_NEEDED);
  assert_int_equal(eval(ti, p_lo, 5, NULL, TC_DCAP_TCB_UP_TO_DATE, reason, NULL),
                   TC_DCAP_TCB_OUT_OF_DATE);
  assert_int_equal(eval(ti, p_none, 5, NULL, TC_DCAP_TCB_UP_TO_DATE, reason, NULL),
                   TC_DCAP_TCB_NOT_SUPPORTED);
  assert_string_equal(reason, "tcb_not_supported");
  json_decref(ti);
  /* duplicated level */
  snprintf(levels, sizeof levels, "%s,%s", l1, l1);
  ti = tcb_info_json(0, levels, NULL);
  tc_dcap_tcb_info parsed;
  tc_error err;
  assert_int_equal(tc_dcap_tcb_info_parse(ti, &parsed, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "tcb_info_invalid");
  json_decref(ti);
}

static void test_tcb_tdx_skip_and_modules(void **state) {
  (void)state;
  char l1[1024], l2[1024], levels[2100], reason[64];
  const uint8_t sgx[16] = {2, 2};
  const uint8_t tdx_hi[16] = {9, 9, 4}, tdx_lo[16] = {0, 0, 1};
  level_json(l1, sizeof l1, sgx, 5, tdx_hi, "UpToDate", "INTEL-SA-00100");
  level_json(l2, sizeof l2, sgx, 5, tdx_lo, "OutOfDate", NULL);
  snprintf(levels, sizeof levels, "%s,%s", l1, l2);
  const char *mods =
      ",\"tdxModuleIdentities\":[{\"id\":\"TDX_03\",\"mrsigner\":\"00000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000000000\",\"attributes\":"
      "\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\",\"tcbLevels\":["
      "{\"tcb\":{\"isvsvn\":2},\"tcbDate\":\"2023-01-01T00:00:00Z\",\"tcbStatus\":\"OutOfDate\","
      "\"advisoryIDs\":[\"INTEL-SA-00200\"]},"
      "{\"tcb\":{\"isvsvn\":5},\"tcbDate\":\"2024-01-01T00:00:00Z\",\"tcbStatus\":\"UpToDate\"}]}]";
  json_t *ti = tcb_info_json(1, levels, mods);
  json_t *adv = NULL;
  /* module 3, ISVSVN 6: components 0,1 skipped -> high level; module UpToDate */
  const uint8_t t1[16] = {6, 3, 4};
  assert_int_equal(eval(ti, sgx, 5, t1, TC_DCAP_TCB_UP_TO_DATE, reason, &adv),
                   TC_DCAP_TCB_UP_TO_DATE);
  assert_int_equal(json_array_size(adv), 1);
  json_decref(adv);
  /* module ISVSVN 3: module level isvsvn 2 OutOfDate -> converged OutOfDate; advisories
   * of the platform level and of the module level */
  const uint8_t t2[16] = {3, 3, 4};
  assert_int_equal(eval(ti, sgx, 5, t2, TC_DCAP_TCB_UP_TO_DATE, reason, &adv),
                   TC_DCAP_TCB_OUT_OF_DATE);
  assert_int_equal(json_array_size(adv), 2);
  json_decref(adv);
  /* module ISVSVN 1: no module level */
  const uint8_t t3[16] = {1, 3, 4};
  assert_int_equal(eval(ti, sgx, 5, t3, TC_DCAP_TCB_UP_TO_DATE, reason, NULL),
                   TC_DCAP_TCB_NOT_SUPPORTED);
  assert_string_equal(reason, "tcb_not_supported");
  /* module 4: no identity TDX_04 */
  const uint8_t t4[16] = {6, 4, 4};
  eval(ti, sgx, 5, t4, TC_DCAP_TCB_UP_TO_DATE, reason, NULL);
  assert_string_equal(reason, "tdx_module_mismatch");
  /* tee_tcb_svn[1] == 0: no skip, components 0,1 compared -> only the low level */
  const uint8_t t5[16] = {6, 0, 4};
  assert_int_equal(eval(ti, sgx, 5, t5, TC_DCAP_TCB_UP_TO_DATE, reason, NULL),
                   TC_DCAP_TCB_OUT_OF_DATE);
  /* TDX component 2 below every level */
  const uint8_t t6[16] = {6, 3, 0};
  assert_int_equal(eval(ti, sgx, 5, t6, TC_DCAP_TCB_UP_TO_DATE, reason, NULL),
                   TC_DCAP_TCB_NOT_SUPPORTED);
  json_decref(ti);
}

/* One tdxModuleIdentities entry with one level (isvsvn 1, the given status). */
static int module_json(char *out, size_t cap, const char *id, const char *status) {
  return snprintf(out, cap,
                  "{\"id\":\"%s\",\"mrsigner\":\"%096d\",\"attributes\":\"0000000000000000\","
                  "\"attributesMask\":\"FFFFFFFFFFFFFFFF\",\"tcbLevels\":[{\"tcb\":{\"isvsvn\":1},"
                  "\"tcbDate\":\"2024-01-01T00:00:00Z\",\"tcbStatus\":\"%s\"}]}",
                  id, 0, status);
}

/* The module identity of tee_tcb_svn[1] is "TDX_" and that byte in hexadecimal (Intel QVL
 * TdxModuleCheck: "TDX_" + bytesToHexString(version), ids compared upper-cased; Intel PCS
 * TCB Info v3 tdxModuleIdentities ids "TDX_01", "TDX_03"): from major version 10 on, the
 * two spellings differ. Version 0x0A is "TDX_0A" (any case), never "TDX_10"; "TDX_10" is
 * version 0x10 (16). */
static void test_tcb_tdx_module_id_hex(void **state) {
  (void)state;
  char l1[1024], m1[512], m2[512], mods[1200], reason[64];
  const uint8_t sgx[16] = {2, 2}, tdx[16] = {0, 0, 1};
  level_json(l1, sizeof l1, sgx, 5, tdx, "UpToDate", NULL);
  module_json(m1, sizeof m1, "TDX_0a", "UpToDate");
  module_json(m2, sizeof m2, "TDX_10", "OutOfDate");
  snprintf(mods, sizeof mods, ",\"tdxModuleIdentities\":[%s,%s]", m1, m2);
  json_t *ti = tcb_info_json(1, l1, mods);
  const uint8_t v10[16] = {1, 0x0A, 1}, v16[16] = {1, 0x10, 1};
  assert_int_equal(eval(ti, sgx, 5, v10, TC_DCAP_TCB_UP_TO_DATE, reason, NULL),
                   TC_DCAP_TCB_UP_TO_DATE);
  assert_int_equal(eval(ti, sgx, 5, v16, TC_DCAP_TCB_UP_TO_DATE, reason, NULL),
                   TC_DCAP_TCB_OUT_OF_DATE);
  json_decref(ti);
  /* Only a decimal-looking "TDX_10": module 0x0A has no identity. */
  snprintf(mods, sizeof mods, ",\"tdxModuleIdentities\":[%s]", m2);
  ti = tcb_info_json(1, l1, mods);
  eval(ti, sgx, 5, v10, TC_DCAP_TCB_UP_TO_DATE, reason, NULL);
  assert_string_equal(reason, "tdx_module_mismatch");
  json_decref(ti);
}

/* Intel QVL convergence (convergeTcbStatusWithQeTcbStatus / ...WithTdxModuleStatus),
 * written out as a table. Columns: other status UpToDate, OutOfDate, Revoked. */
static void test_tcb_status_combinations(void **state) {
  (void)state;
  static const struct {
    const char *level;
    tc_dcap_tcb_status with_utd, with_ood, with_revoked;
  } table[] = {
      {"UpToDate", TC_DCAP_TCB_UP_TO_DATE, TC_DCAP_TCB_OUT_OF_DATE, TC_DCAP_TCB_REVOKED},
      {"SWHardeningNeeded", TC_DCAP_TCB_SW_HARDENING_NEEDED, TC_DCAP_TCB_OUT_OF_DATE,
       TC_DCAP_TCB_REVOKED},
      {"ConfigurationNeeded", TC_DCAP_TCB_CONFIGURATION_NEEDED,
       TC_DCAP_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED, TC_DCAP_TCB_REVOKED},
      {"ConfigurationAndSWHardeningNeeded", TC_DCAP_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
       TC_DCAP_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED, TC_DCAP_TCB_REVOKED},
      {"OutOfDate", TC_DCAP_TCB_OUT_OF_DATE, TC_DCAP_TCB_OUT_OF_DATE, TC_DCAP_TCB_REVOKED},
      {"OutOfDateConfigurationNeeded", TC_DCAP_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
       TC_DCAP_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED, TC_DCAP_TCB_REVOKED},
      {"Revoked", TC_DCAP_TCB_REVOKED, TC_DCAP_TCB_REVOKED, TC_DCAP_TCB_REVOKED},
  };
  const uint8_t c[16] = {1};
  const uint8_t tee[16] = {4, 1, 1};
  char l[1024], reason[64];
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    const tc_dcap_tcb_status want[3] = {table[i].with_utd, table[i].with_ood,
                                        table[i].with_revoked};
    const char *other[3] = {"UpToDate", "OutOfDate", "Revoked"};
    const tc_dcap_tcb_status other_st[3] = {TC_DCAP_TCB_UP_TO_DATE, TC_DCAP_TCB_OUT_OF_DATE,
                                            TC_DCAP_TCB_REVOKED};
    for (int k = 0; k < 3; k++) {
      /* SGX: platform level x QE status */
      level_json(l, sizeof l, c, 1, NULL, table[i].level, NULL);
      json_t *ti = tcb_info_json(0, l, NULL);
      tc_dcap_tcb_status got = eval(ti, c, 1, NULL, other_st[k], reason, NULL);
      if (got != want[k])
        fail_msg("SGX level %s, QE %s: expected %s, got %s", table[i].level, other[k],
                 tc_dcap_tcb_status_name(want[k]), tc_dcap_tcb_status_name(got));
      assert_string_equal(reason, want[k] == TC_DCAP_TCB_REVOKED ? "tcb_revoked" : "");
      json_decref(ti);
      /* TDX: platform level x module status (QE UpToDate) */
      level_json(l, sizeof l, c, 1, tee, table[i].level, NULL);
      char mods[1024];
      snprintf(mods, sizeof mods,
               ",\"tdxModuleIdentities\":[{\"id\":\"TDX_01\",\"mrsigner\":\"%096d"
               "\",\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\","
               "\"tcbLevels\":[{\"tcb\":{\"isvsvn\":1},\"tcbDate\":\"2024-01-01T00:00:00Z\","
               "\"tcbStatus\":\"%s\"}]}]",
               0, other[k]);
      ti = tcb_info_json(1, l, mods);
      got = eval(ti, c, 1, tee, TC_DCAP_TCB_UP_TO_DATE, reason, NULL);
      if (got != want[k])
        fail_msg("TDX level %s, module %s: expected %s, got %s", table[i].level, other[k],
                 tc_dcap_tcb_status_name(want[k]), tc_dcap_tcb_status_name(got));
      json_decref(ti);
    }
  }
  /* QE without a matching level: not supported */
  level_json(l, sizeof l, c, 1, NULL, "UpToDate", NULL);
  json_t *ti = tcb_info_json(0, l, NULL);
  assert_int_equal(eval(ti, c, 1, NULL, TC_DCAP_TCB_NOT_SUPPORTED, reason, NULL),
                   TC_DCAP_TCB_NOT_SUPPORTED);
  assert_string_equal(reason, "tcb_not_supported");
  json_decref(ti);
}

/* QVL checkForRelaunch on TD 1.5 bodies (tee_tcb_svn2). */
static tc_dcap_tcb_status relaunch_eval(const json_t *ti_json, int td15, const uint8_t svn2[16],
                                        tc_dcap_tcb_status qe, char reason[64]) {
  tc_dcap_tcb_info ti;
  tc_error err;
  if (tc_dcap_tcb_info_parse(ti_json, &ti, &err) != TC_OK)
    fail_msg("tcb info parse: %s", err.detail);
  tc_dcap_pck_info pck;
  memset(&pck, 0, sizeof pck);
  pck.sgx_tcb_comp_svn[0] = 2;
  pck.pcesvn = 5;
  tc_td_report_body td;
  memset(&td, 0, sizeof td);
  td.tee_tcb_svn[0] = 3; /* module 1.x ISVSVN 3: module level OutOfDate */
  td.tee_tcb_svn[1] = 1;
  td.tee_tcb_svn[2] = 2; /* below the newest level's component 2 (4) */
  td.is_td15 = td15;
  memcpy(td.tee_tcb_svn2, svn2, 16);
  tc_dcap_tcb_result r;
  tc_status st = tc_dcap_tcb_evaluate(&ti, &pck, &td, qe, NULL, &r, &err);
  strcpy(reason, st == TC_OK ? "" : err.reason);
  tc_dcap_tcb_status s = r.status;
  tc_dcap_tcb_result_free(&r);
  tc_dcap_tcb_info_free(&ti);
  return s;
}

static void test_tcb_td_relaunch(void **state) {
  (void)state;
  const char *statuses[] = {"UpToDate", "ConfigurationNeeded"};
  for (int k = 0; k < 2; k++) {
    char l1[1024], l2[1024], levels[2100], mods[1024], reason[64];
    const uint8_t sgx[16] = {2};
    const uint8_t newest[16] = {5, 0, 4}, older[16] = {3, 0, 2};
    level_json(l1, sizeof l1, sgx, 5, newest, statuses[k], NULL);
    level_json(l2, sizeof l2, sgx, 5, older, "OutOfDate", NULL);
    /* the SGX level (first SGX match) is the newest level, status statuses[k] */
    snprintf(levels, sizeof levels, "%s,%s", l1, l2);
    snprintf(mods, sizeof mods,
             ",\"tdxModuleIdentities\":[{\"id\":\"TDX_01\",\"mrsigner\":\"%096d\","
             "\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\","
             "\"tcbLevels\":[{\"tcb\":{\"isvsvn\":5},\"tcbDate\":\"2024-01-01T00:00:00Z\","
             "\"tcbStatus\":\"UpToDate\"},{\"tcb\":{\"isvsvn\":3},\"tcbDate\":"
             "\"2023-01-01T00:00:00Z\",\"tcbStatus\":\"OutOfDate\"}]}]",
             0);
    json_t *ti = tcb_info_json(1, levels, mods);
    const tc_dcap_tcb_status advised = k == 0
                                           ? TC_DCAP_TCB_TD_RELAUNCH_ADVISED
                                           : TC_DCAP_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED;
    const uint8_t now_current[16] = {5, 1, 4}, not_yet[16] = {4, 1, 4}, comp2_low[16] = {5, 1, 3},
                  no_identity[16] = {5, 2, 4}, module0[16] = {5, 0, 4};
    assert_int_equal(relaunch_eval(ti, 1, now_current, TC_DCAP_TCB_UP_TO_DATE, reason), advised);
    assert_string_equal(reason, "");
    assert_int_equal(relaunch_eval(ti, 1, module0, TC_DCAP_TCB_UP_TO_DATE, reason), advised);
    assert_int_equal(relaunch_eval(ti, 1, not_yet, TC_DCAP_TCB_UP_TO_DATE, reason),
                     TC_DCAP_TCB_OUT_OF_DATE);
    assert_int_equal(relaunch_eval(ti, 1, comp2_low, TC_DCAP_TCB_UP_TO_DATE, reason),
                     TC_DCAP_TCB_OUT_OF_DATE);
    /* a TD 1.0 body never gets the relaunch status; nor with an out-of-date QE */
    assert_int_equal(relaunch_eval(ti, 0, now_current, TC_DCAP_TCB_UP_TO_DATE, reason),
                     TC_DCAP_TCB_OUT_OF_DATE);
    assert_int_equal(relaunch_eval(ti, 1, now_current, TC_DCAP_TCB_OUT_OF_DATE, reason),
                     TC_DCAP_TCB_OUT_OF_DATE);
    relaunch_eval(ti, 1, no_identity, TC_DCAP_TCB_UP_TO_DATE, reason);
    assert_string_equal(reason, "tdx_module_mismatch");
    json_decref(ti);
  }
  assert_string_equal(tc_dcap_tcb_status_name(TC_DCAP_TCB_TD_RELAUNCH_ADVISED),
                      "TDRelaunchAdvised");
}

static void test_tcb_info_structure(void **state) {
  (void)state;
  char l[1024];
  const uint8_t c[16] = {1};
  level_json(l, sizeof l, c, 1, NULL, "Bogus", NULL);
  json_t *ti = tcb_info_json(0, l, NULL);
  tc_dcap_tcb_info p;
  tc_error err;
  assert_int_equal(tc_dcap_tcb_info_parse(ti, &p, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "tcb_info_invalid");
  json_object_set_new(ti, "version", json_integer(2));
  assert_int_equal(tc_dcap_tcb_info_parse(ti, &p, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "tcb_info_version_unsupported");
  json_decref(ti);
  level_json(l, sizeof l, c, 1, NULL, "UpToDate", NULL);
  ti = tcb_info_json(0, l, NULL);
  json_object_set_new(ti, "tcbType", json_integer(1));
  assert_int_equal(tc_dcap_tcb_info_parse(ti, &p, &err), TC_ERR_PARSE);
  json_object_set_new(ti, "tcbType", json_integer(0));
  json_object_set_new(ti, "fmspc", json_string("00906ED500"));
  assert_int_equal(tc_dcap_tcb_info_parse(ti, &p, &err), TC_ERR_PARSE);
  json_object_set_new(ti, "fmspc", json_string("00906ED50000"));
  json_object_set_new(ti, "id", json_string("TDX")); /* TDX without tdxModule */
  assert_int_equal(tc_dcap_tcb_info_parse(ti, &p, &err), TC_ERR_PARSE);
  json_object_set_new(ti, "id", json_string("SGX"));
  assert_int_equal(tc_dcap_tcb_info_parse(ti, &p, &err), TC_OK);
  tc_dcap_tcb_info_free(&p);
  json_decref(ti);
}

static void test_qe_identity(void **state) {
  (void)state;
  const char *text =
      "{\"id\":\"QE\",\"version\":2,\"issueDate\":\"2025-01-01T00:00:00Z\",\"nextUpdate\":"
      "\"2025-02-01T00:00:00Z\",\"tcbEvaluationDataNumber\":17,\"miscselect\":\"00000000\","
      "\"miscselectMask\":\"FFFFFFFF\",\"attributes\":\"11000000000000000000000000000000\","
      "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":"
      "\"8C4F5775D796503E96137F77C68A829A0056AC8DED70140B081B094490C57BFF\",\"isvprodid\":1,"
      "\"tcbLevels\":[{\"tcb\":{\"isvsvn\":6},\"tcbDate\":\"2022-01-01T00:00:00Z\",\"tcbStatus\":"
      "\"OutOfDate\",\"advisoryIDs\":[\"INTEL-SA-00300\"]},{\"tcb\":{\"isvsvn\":8},\"tcbDate\":"
      "\"2024-01-01T00:00:00Z\",\"tcbStatus\":\"UpToDate\"},{\"tcb\":{\"isvsvn\":4},\"tcbDate\":"
      "\"2021-01-01T00:00:00Z\",\"tcbStatus\":\"Revoked\"}]}";
  json_t *j = json_loads(text, 0, NULL);
  assert_non_null(j);
  tc_dcap_qe_identity qi;
  tc_error err;
  assert_int_equal(tc_dcap_qe_identity_parse(j, &qi, &err), TC_OK);
  tc_sgx_report_body r;
  memset(&r, 0, sizeof r);
  static const uint8_t mrs[32] = {0x8c, 0x4f, 0x57, 0x75, 0xd7, 0x96, 0x50, 0x3e, 0x96, 0x13, 0x7f,
                                  0x77, 0xc6, 0x8a, 0x82, 0x9a, 0x00, 0x56, 0xac, 0x8d, 0xed, 0x70,
                                  0x14, 0x0b, 0x08, 0x1b, 0x09, 0x44, 0x90, 0xc5, 0x7b, 0xff};
  memcpy(r.mr_signer, mrs, 32);
  r.isv_prod_id = 1;
  r.attributes[0] = 0x15; /* bit 2 is masked out */
  r.attributes[8] = 0xe7; /* XFRM not under the mask */
  const struct {
    int svn;
    tc_dcap_tcb_status st;
  } svns[] = {{9, TC_DCAP_TCB_UP_TO_DATE},
              {8, TC_DCAP_TCB_UP_TO_DATE},
              {7, TC_DCAP_TCB_OUT_OF_DATE},
              {5, TC_DCAP_TCB_REVOKED},
              {3, TC_DCAP_TCB_NOT_SUPPORTED}};
  for (size_t i = 0; i < sizeof svns / sizeof svns[0]; i++) {
    r.isv_svn = (uint16_t)svns[i].svn;
    tc_dcap_tcb_status st;
    json_t *adv = NULL;
    assert_int_equal(tc_dcap_qe_identity_check(&qi, &r, &st, &adv, &err), TC_OK);
    assert_int_equal(st, svns[i].st);
    if (svns[i].svn == 7)
      assert_string_equal(json_string_value(json_array_get(adv, 0)), "INTEL-SA-00300");
    json_decref(adv);
  }
  tc_dcap_tcb_status st;
  r.attributes[0] = 0x13; /* bit 1 (DEBUG) is under the mask */
  assert_int_equal(tc_dcap_qe_identity_check(&qi, &r, &st, NULL, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "qe_identity_mismatch");
  r.attributes[0] = 0x15;
  r.misc_select[0] = 1;
  assert_int_equal(tc_dcap_qe_identity_check(&qi, &r, &st, NULL, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "qe_identity_mismatch");
  r.misc_select[0] = 0;
  r.isv_prod_id = 2;
  assert_int_equal(tc_dcap_qe_identity_check(&qi, &r, &st, NULL, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "qe_identity_mismatch");
  r.isv_prod_id = 1;
  r.mr_signer[31] ^= 1;
  assert_int_equal(tc_dcap_qe_identity_check(&qi, &r, &st, NULL, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "qe_identity_mismatch");
  tc_dcap_qe_identity_free(&qi);
  json_object_set_new(j, "version", json_integer(1));
  assert_int_equal(tc_dcap_qe_identity_parse(j, &qi, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "qe_identity_version_unsupported");
  json_object_set_new(j, "version", json_integer(2));
  json_object_set_new(j, "mrsigner", json_string("00"));
  assert_int_equal(tc_dcap_qe_identity_parse(j, &qi, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "qe_identity_invalid");
  json_decref(j);
}

/* End to end with a forged TCB Info whose level is above the PCK: not supported; a
 * Revoked level: tcb_revoked with tcb_status "Revoked" in the result. */
static void test_verify_tcb_outcomes(void **state) {
  (void)state;
  char l[1024];
  uint8_t above[16];
  memcpy(above, g_opts.sgx_tcb_comp_svn, 16);
  above[7]++;
  level_json(l, sizeof l, above, g_opts.pcesvn, NULL, "UpToDate", NULL);
  char levels[1100];
  snprintf(levels, sizeof levels, "[%s]", l);
  dcap_forge_opts o = g_opts;
  o.tcb_levels_json = levels;
  expect_reason(&o, 3, "tcb_not_supported");
  level_json(l, sizeof l, g_opts.sgx_tcb_comp_svn, g_opts.pcesvn, NULL, "Revoked", NULL);
  snprintf(levels, sizeof levels, "[%s]", l);
  dcap_forge *f = dcap_forge_new(&o);
  assert_non_null(f);
  json_t *res = NULL;
  tc_error err;
  assert_int_equal(verify(f, &o, 3, &res, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "tcb_revoked");
  assert_string_equal(json_string_value(json_object_get(res, "tcb_status")), "Revoked");
  json_decref(res);
  dcap_forge_free(f);
  /* TDX module identity absent for the quote's module version */
  o = g_opts;
  o.tdx_module_identities_json =
      "[{\"id\":\"TDX_07\",\"mrsigner\":\"000000000000000000000000000000000000000000000000000000"
      "000000000000000000000000000000000000000000\",\"attributes\":\"0000000000000000\","
      "\"attributesMask\":\"FFFFFFFFFFFFFFFF\",\"tcbLevels\":[{\"tcb\":{\"isvsvn\":1},"
      "\"tcbDate\":\"2024-01-01T00:00:00Z\",\"tcbStatus\":\"UpToDate\"}]}]";
  expect_reason(&o, 4, "tdx_module_mismatch");
  /* QE out of date: converged status OutOfDate, still a valid verdict */
  o = g_opts;
  o.qe_tcb_levels_json = "[{\"tcb\":{\"isvsvn\":9},\"tcbDate\":\"2024-01-01T00:00:00Z\","
                         "\"tcbStatus\":\"UpToDate\"},{\"tcb\":{\"isvsvn\":2},\"tcbDate\":"
                         "\"2023-01-01T00:00:00Z\",\"tcbStatus\":\"OutOfDate\"}]";
  f = dcap_forge_new(&o);
  assert_non_null(f);
  assert_int_equal(verify(f, &o, 5, &res, &err), TC_OK);
  assert_string_equal(json_string_value(json_object_get(res, "tcb_status")), "OutOfDate");
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(res, "tcb_detail"), "qe_tcb_status")),
      "OutOfDate");
  json_decref(res);
  dcap_forge_free(f);
}

/* An attestation key that is not a P-256 point (outside the signed region). */
static void test_verify_bad_attestation_key(void **state) {
  (void)state;
  tc_buf q = forge_quote(g_forge, 4);
  memset(q.data + V4_SIGNED + 4 + 64, 0x01, 64);
  tc_collateral col;
  dcap_forge_collateral(g_forge, 1, &col);
  tc_error err;
  assert_int_equal(tc_dcap_verify(q.data, q.len, &col, g_opts.at, NULL, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "attestation_key_invalid");
  tc_buf_free(&q);
}

static int run_cli(const char *bin, const char *dir, const char *quote) {
  char root[4200], cmd[9000];
  snprintf(root, sizeof root, "%s/intel_sgx_root_ca.pem", dir);
  snprintf(cmd, sizeof cmd,
           "'%s' verify --format json --collateral '%s' --trust-root '%s' "
           "--at 2025-01-15T00:00:00Z '%s' >/dev/null 2>&1",
           bin, dir, root, quote);
  int rc = system(cmd);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* dcap_forge_write_dir gives a collateral folder of the vector layout; the teectl binary
 * verifies a forged quote against it with the test root as --trust-root (exit 0), rejects
 * a quote with a flipped REPORTDATA bit (exit 1) and, without the trust root, the chain. */
static void test_forge_dir_with_cli(void **state) {
  (void)state;
  const char *bin = test_teectl_bin();
  if (bin == NULL || access(bin, X_OK) != 0)
    skip();
  char dir[256];
  assert_non_null(test_mkdtemp("teectl-dcap", dir, sizeof dir));
  assert_int_equal(dcap_forge_write_dir(g_forge, 1, dir), 0);
  char quote[sizeof dir + 16];
  snprintf(quote, sizeof quote, "%s/quote.bin", dir);
  tc_buf q = forge_quote(g_forge, 4);
  tc_error err;
  assert_int_equal(tc_file_write_atomic(quote, q.data, q.len, &err), TC_OK);
  assert_int_equal(run_cli(bin, dir, quote), 0);
  q.data[48 + 520] ^= 0x01; /* REPORTDATA */
  assert_int_equal(tc_file_write_atomic(quote, q.data, q.len, &err), TC_OK);
  assert_int_equal(run_cli(bin, dir, quote), 1);
  tc_buf_free(&q);
  const char *names[] = {"tcb_info.json",         "tcb_info_issuer_chain.pem",
                         "qe_identity.json",      "qe_identity_issuer_chain.pem",
                         "pck_crl.der",           "pck_crl_issuer_chain.pem",
                         "root_ca_crl.der",       "pck_chain.pem",
                         "intel_sgx_root_ca.pem", "quote.bin"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char *p = test_path(dir, names[i]);
    unlink(p);
    free(p);
  }
  rmdir(dir);
}

static int setup(void **state) {
  (void)state;
  dcap_forge_opts_init(&g_opts);
  g_forge = dcap_forge_new(&g_opts);
  return g_forge ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  dcap_forge_free(g_forge);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_forged),
      cmocka_unit_test(test_parse_header_rejections),
      cmocka_unit_test(test_parse_truncation_everywhere),
      cmocka_unit_test(test_parse_trailing_and_lengths),
      cmocka_unit_test(test_verify_valid),
      cmocka_unit_test(test_verify_breakages),
      cmocka_unit_test(test_verify_windows),
      cmocka_unit_test(test_verify_mismatches),
      cmocka_unit_test(test_verify_pck_chain_from_collateral),
      cmocka_unit_test(test_quote_pck_info),
      cmocka_unit_test(test_pck_extension_der),
      cmocka_unit_test(test_signed_json_span),
      cmocka_unit_test(test_tcb_componentwise_not_lexicographic),
      cmocka_unit_test(test_tcb_pcesvn_direction),
      cmocka_unit_test(test_tcb_unsorted_levels),
      cmocka_unit_test(test_tcb_tdx_skip_and_modules),
      cmocka_unit_test(test_tcb_tdx_module_id_hex),
      cmocka_unit_test(test_tcb_status_combinations),
      cmocka_unit_test(test_tcb_td_relaunch),
      cmocka_unit_test(test_tcb_info_structure),
      cmocka_unit_test(test_qe_identity),
      cmocka_unit_test(test_verify_tcb_outcomes),
      cmocka_unit_test(test_verify_bad_attestation_key),
      cmocka_unit_test(test_forge_dir_with_cli),
  };
  return cmocka_run_group_tests_name("dcap_unit", tests, setup, teardown);
}
