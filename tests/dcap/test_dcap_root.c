/* SPDX-License-Identifier: Apache-2.0 */
/* The Intel SGX Root CA checked by its exact bytes (../shared/vectors/dcap): the pinned
 * certificate hash is that of the root every vector case carries, those bytes pass the
 * self-check the verifier no longer repeats for them (names, key identifiers, key usage,
 * self-signature), and a root with the pinned key but any other bytes is still checked and
 * rejected (PCK chain and TCB Info signing chain, cold and on a warm cache). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "crypto/x509.h"
#include "dcap_test_util.h"
#include "teectl/crypto.h"
#include "teectl/dcap.h"
#include "teectl/rfc3339.h"

#define CASE "tdx-v4-gcp-cos-00806f050000"

static const char *g_dir;

typedef dcap_test_case vcase;

static void load_case(vcase *c) {
  dcap_test_case_load(g_dir, CASE, c);
}

static void free_case(vcase *c) {
  dcap_test_case_free(c);
}

/* The DER of the last PEM certificate block in text[0..len) into der (cap bytes); its
 * length, and the block's base64 characters' span in *b64 / *b64_end. */
static size_t last_block_der(const uint8_t *text, size_t len, uint8_t *der, size_t cap, size_t *b64,
                             size_t *b64_end) {
  static const char begin[] = "-----BEGIN CERTIFICATE-----\n", end[] = "-----END CERTIFICATE-----";
  size_t at = SIZE_MAX;
  for (size_t i = 0; i + sizeof begin - 1 <= len; i++)
    if (memcmp(text + i, begin, sizeof begin - 1) == 0)
      at = i;
  assert_true(at != SIZE_MAX);
  *b64 = at + sizeof begin - 1;
  size_t e = *b64;
  while (e + sizeof end - 1 <= len && memcmp(text + e, end, sizeof end - 1) != 0)
    e++;
  assert_true(e + sizeof end - 1 <= len);
  *b64_end = e;
  char chars[4096];
  size_t n = 0;
  for (size_t i = *b64; i < e; i++)
    if (text[i] != '\n' && text[i] != '\r') {
      assert_true(n < sizeof chars);
      chars[n++] = (char)text[i];
    }
  assert_true(n % 4 == 0 && n / 4 * 3 <= cap);
  int dl = EVP_DecodeBlock(der, (const unsigned char *)chars, (int)n);
  assert_true(dl > 0);
  size_t pad = (n >= 1 && chars[n - 1] == '=') + (n >= 2 && chars[n - 2] == '=');
  return (size_t)dl - pad;
}

/* Write der (same length as the block's) back as the block's base64, keeping its line
 * breaks, so the text keeps its length. */
static void put_block_der(uint8_t *text, size_t b64, size_t b64_end, const uint8_t *der, size_t n) {
  char chars[4200];
  assert_true((n + 2) / 3 * 4 < sizeof chars);
  int cl = EVP_EncodeBlock((unsigned char *)chars, der, (int)n);
  size_t k = 0;
  for (size_t i = b64; i < b64_end; i++)
    if (text[i] != '\n' && text[i] != '\r') {
      assert_true(k < (size_t)cl);
      text[i] = (uint8_t)chars[k++];
    }
  assert_int_equal(k, cl);
}

/* The root's serial number's last byte changed: other bytes, the same key (its
 * SubjectPublicKeyInfo, so the key pin still matches), the self-signature now wrong. */
static void change_root_serial(uint8_t *der, size_t n) {
  /* Certificate SEQUENCE (4) tbs SEQUENCE (4) version [0] (5) serial INTEGER of 20 bytes */
  assert_true(n > 40 && der[13] == 0x02 && der[14] == 0x14);
  der[15 + 19] ^= 0x01;
}

static void test_pinned_bytes_are_the_vector_root(void **state) {
  (void)state;
  vcase c;
  load_case(&c);
  char *dir = test_path(g_dir, CASE), *p = test_path(dir, "intel_sgx_root_ca.pem");
  tc_buf pem = test_read_file(p);
  free(p);
  free(dir);
  uint8_t der[2048], h[32];
  size_t b, e, n = last_block_der(pem.data, pem.len, der, sizeof der, &b, &e);
  assert_int_equal(tc_sha256(der, n, h, NULL), TC_OK);
  assert_memory_equal(h, tc_dcap_intel_root_cert_sha256, 32);
  /* the check the verifier skips for these bytes: they pass it */
  X509 *root = NULL;
  tc_error err;
  assert_int_equal(tc_x509_parse(der, n, &root, &err), TC_OK);
  assert_int_equal(tc_x509_check_issued_by(root, root, "pck_chain_invalid", &err), TC_OK);
  assert_int_equal(tc_x509_spki_sha256(root, h), 0);
  assert_memory_equal(h, tc_dcap_intel_root_spki_sha256, 32);
  X509_free(root);
  /* and the real quote still verifies through them, cold and cached */
  assert_int_equal(tc_dcap_verify(c.quote.data, c.quote.len, &c.col, c.at, NULL, &err), TC_OK);
  tc_buf_free(&pem);
  free_case(&c);
}

/* Verify cold and on a cache warmed by the intact case; both reject with `reason` and a
 * detail naming the root's signature. */
static void expect_rejected(const vcase *good, const vcase *bad, const char *reason) {
  tc_error err, warm, e;
  tc_status st = tc_dcap_verify(bad->quote.data, bad->quote.len, &bad->col, bad->at, NULL, &err);
  assert_int_equal(st, TC_ERR_VERIFY);
  assert_string_equal(err.reason, reason);
  assert_non_null(strstr(err.detail, "signature of 'Intel SGX Root CA' does not verify"));
  tc_dcap_cache *cache = NULL;
  assert_int_equal(tc_dcap_cache_new(8, &cache, &e), TC_OK);
  assert_int_equal(tc_dcap_verify_cached(good->quote.data, good->quote.len, &good->col, good->at,
                                         cache, NULL, &e),
                   TC_OK);
  st = tc_dcap_verify_cached(bad->quote.data, bad->quote.len, &bad->col, bad->at, cache, NULL,
                             &warm);
  assert_int_equal(st, TC_ERR_VERIFY);
  assert_string_equal(warm.reason, err.reason);
  assert_string_equal(warm.detail, err.detail);
  tc_dcap_cache_free(cache);
}

static void test_same_key_other_bytes_in_pck_chain(void **state) {
  (void)state;
  vcase good, bad;
  load_case(&good);
  load_case(&bad);
  /* the quote carries its PCK chain (certification data type 5), outside the signed part */
  uint8_t der[2048];
  size_t b, e, n = last_block_der(bad.quote.data, bad.quote.len, der, sizeof der, &b, &e);
  uint8_t h[32];
  assert_int_equal(tc_sha256(der, n, h, NULL), TC_OK);
  assert_memory_equal(h, tc_dcap_intel_root_cert_sha256, 32);
  change_root_serial(der, n);
  put_block_der(bad.quote.data, b, e, der, n);
  X509 *root = NULL;
  tc_error err;
  assert_int_equal(tc_x509_parse(der, n, &root, &err), TC_OK);
  assert_int_equal(tc_x509_spki_sha256(root, h), 0);
  assert_memory_equal(h, tc_dcap_intel_root_spki_sha256, 32); /* the key pin still matches */
  X509_free(root);
  expect_rejected(&good, &bad, "pck_chain_invalid");
  free_case(&good);
  free_case(&bad);
}

static void test_same_key_other_bytes_in_tcb_chain(void **state) {
  (void)state;
  vcase good, bad;
  load_case(&good);
  load_case(&bad);
  uint8_t der[2048];
  tc_buf *chain = &bad.col.tcb_info_issuer_chain;
  size_t b, e, n = last_block_der(chain->data, chain->len, der, sizeof der, &b, &e);
  change_root_serial(der, n);
  put_block_der(chain->data, b, e, der, n);
  expect_rejected(&good, &bad, "tcb_info_chain_invalid");
  free_case(&good);
  free_case(&bad);
}

int main(int argc, char **argv) {
  const char *vec = test_vectors_dir(argc, argv, "dcap");
  char *dir = test_path(vec, "dcap");
  g_dir = dir;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pinned_bytes_are_the_vector_root),
      cmocka_unit_test(test_same_key_other_bytes_in_pck_chain),
      cmocka_unit_test(test_same_key_other_bytes_in_tcb_chain),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  free(dir);
  return rc;
}
