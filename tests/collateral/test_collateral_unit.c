/* SPDX-License-Identifier: Apache-2.0 */
/* Collateral: URL construction against the AMD KDS spec (57230 ch. 4) and Intel PCS API v4
 * path forms, percent-decoding, Retry-After parsing, validity of synthetic objects. No
 * network, no vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "collateral/internal.h"
#include "teectl/collateral.h"
#include "teectl/rfc3339.h"
#include "testlib.h"

static void url_of(const tc_object_request *q, const char *kds, const char *pcs, char *out) {
  tc_error err;
  tc_status st = tc_object_url(kds, pcs, TC_PCS_AUTO, q, out, 512, &err);
  if (st != TC_OK)
    fail_msg("tc_object_url: %s: %s", err.reason, err.detail);
}

static void test_vcek_milan_genoa(void **state) {
  (void)state;
  tc_object_request q;
  memset(&q, 0, sizeof q);
  q.kind = TC_OBJ_KDS_VCEK;
  q.product = TC_SNP_GENOA;
  q.hwid_len = 64;
  for (int i = 0; i < 64; i++)
    q.hwid[i] = (uint8_t)(0xA0 + (i % 16));
  q.bl_spl = 7;
  q.tee_spl = 0;
  q.snp_spl = 14;
  q.ucode_spl = 72;
  q.fmc_spl = 9; /* not part of a Genoa URL */
  char url[512], want[512];
  char hex[129] = "";
  for (int i = 0; i < 64; i++)
    snprintf(hex + 2 * i, 3, "%02x", 0xA0 + (i % 16));
  snprintf(want, sizeof want,
           "https://kdsintf.amd.com/vcek/v1/Genoa/%s?blSPL=07&teeSPL=00&snpSPL=14&ucodeSPL=72",
           hex);
  url_of(&q, NULL, NULL, url);
  assert_string_equal(url, want);
  /* a base with a trailing slash */
  url_of(&q, "http://kds.example:8080/", NULL, url);
  assert_true(strncmp(url, "http://kds.example:8080/vcek/v1/Genoa/", 38) == 0);
  /* 8-byte hwid is Turin only */
  q.hwid_len = 8;
  tc_error err;
  assert_int_equal(tc_object_url(NULL, NULL, TC_PCS_AUTO, &q, url, sizeof url, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "bad_request");
}

static void test_vcek_turin(void **state) {
  (void)state;
  tc_object_request q;
  memset(&q, 0, sizeof q);
  q.kind = TC_OBJ_KDS_VCEK;
  q.product = TC_SNP_TURIN;
  q.hwid_len = 64; /* the report's CHIP_ID; KDS takes the first 8 bytes */
  const uint8_t id[8] = {0x3b, 0x42, 0x09, 0x2f, 0x69, 0xc6, 0x56, 0xd3};
  memcpy(q.hwid, id, 8);
  q.fmc_spl = 0;
  q.bl_spl = 1;
  q.tee_spl = 0;
  q.snp_spl = 2;
  q.ucode_spl = 71;
  char url[512];
  url_of(&q, NULL, NULL, url);
  assert_string_equal(url, "https://kdsintf.amd.com/vcek/v1/Turin/3b42092f69c656d3"
                           "?fmcSPL=00&blSPL=01&teeSPL=00&snpSPL=02&ucodeSPL=71");
}

static void test_kds_chains_and_crls(void **state) {
  (void)state;
  struct {
    tc_object_kind k;
    tc_snp_product p;
    const char *want;
  } cases[] = {
      {TC_OBJ_KDS_VCEK_CHAIN, TC_SNP_MILAN, "https://kdsintf.amd.com/vcek/v1/Milan/cert_chain"},
      {TC_OBJ_KDS_VLEK_CHAIN, TC_SNP_GENOA, "https://kdsintf.amd.com/vlek/v1/Genoa/cert_chain"},
      {TC_OBJ_KDS_VCEK_CRL, TC_SNP_TURIN, "https://kdsintf.amd.com/vcek/v1/Turin/crl"},
      {TC_OBJ_KDS_VLEK_CRL, TC_SNP_MILAN, "https://kdsintf.amd.com/vlek/v1/Milan/crl"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tc_object_request q;
    memset(&q, 0, sizeof q);
    q.kind = cases[i].k;
    q.product = cases[i].p;
    char url[512];
    url_of(&q, NULL, NULL, url);
    assert_string_equal(url, cases[i].want);
  }
  tc_object_request q;
  memset(&q, 0, sizeof q);
  q.kind = TC_OBJ_KDS_VCEK_CHAIN;
  char url[512];
  tc_error err;
  assert_int_equal(tc_object_url(NULL, NULL, TC_PCS_AUTO, &q, url, sizeof url, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "bad_request");
  q.product = (tc_snp_product)(TC_SNP_TURIN + 1); /* not a product line */
  assert_int_equal(tc_object_url(NULL, NULL, TC_PCS_AUTO, &q, url, sizeof url, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "bad_request");
  /* A --product given in any case is spelled as KDS wants it in the URL. */
  q.product = tc_snp_product_parse("gEnOa");
  assert_int_equal(q.product, TC_SNP_GENOA);
  url_of(&q, NULL, NULL, url);
  assert_string_equal(url, "https://kdsintf.amd.com/vcek/v1/Genoa/cert_chain");
}

static void test_pcs_urls(void **state) {
  (void)state;
  tc_object_request q;
  memset(&q, 0, sizeof q);
  char url[512];
  q.kind = TC_OBJ_PCS_TCB_INFO;
  q.tee = TC_TEE_TDX;
  const uint8_t fmspc[6] = {0x00, 0x80, 0x6f, 0x05, 0x00, 0x00};
  memcpy(q.fmspc, fmspc, 6);
  url_of(&q, NULL, NULL, url);
  assert_string_equal(url, "https://api.trustedservices.intel.com/tdx/certification/v4/tcb"
                           "?fmspc=00806F050000");
  q.tee = TC_TEE_SGX;
  url_of(&q, NULL, "https://pccs.local:8081", url);
  assert_string_equal(url, "https://pccs.local:8081/sgx/certification/v4/tcb?fmspc=00806F050000");
  q.kind = TC_OBJ_PCS_QE_IDENTITY;
  url_of(&q, NULL, NULL, url);
  assert_string_equal(url, "https://api.trustedservices.intel.com/sgx/certification/v4/qe/"
                           "identity");
  q.tee = TC_TEE_TDX;
  url_of(&q, NULL, NULL, url);
  assert_string_equal(url, "https://api.trustedservices.intel.com/tdx/certification/v4/qe/"
                           "identity");
  q.kind = TC_OBJ_PCS_PCK_CRL;
  q.ca = TC_PCK_CA_PLATFORM;
  url_of(&q, NULL, NULL, url);
  assert_string_equal(url, "https://api.trustedservices.intel.com/sgx/certification/v4/pckcrl"
                           "?ca=platform&encoding=der");
  q.ca = TC_PCK_CA_PROCESSOR;
  url_of(&q, NULL, NULL, url);
  assert_string_equal(url, "https://api.trustedservices.intel.com/sgx/certification/v4/pckcrl"
                           "?ca=processor&encoding=der");
  /* Root CA CRL: PCCS endpoint; Intel PCS has none (the URL comes from the root cert). */
  memset(&q, 0, sizeof q);
  q.kind = TC_OBJ_PCS_ROOT_CA_CRL;
  url_of(&q, NULL, "https://pccs.local:8081", url);
  assert_string_equal(url, "https://pccs.local:8081/sgx/certification/v4/rootcacrl");
  tc_error err;
  assert_int_equal(tc_object_url(NULL, NULL, TC_PCS_AUTO, &q, url, sizeof url, &err), TC_ERR_USAGE);
  assert_int_equal(
      tc_object_url(NULL, "https://pccs.local", TC_PCS_INTEL, &q, url, sizeof url, &err),
      TC_ERR_USAGE);
  snprintf(q.url, sizeof q.url,
           "https://certificates.trustedservices.intel.com/"
           "IntelSGXRootCA.der");
  url_of(&q, NULL, NULL, url);
  assert_string_equal(url, "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der");
  /* keys do not depend on the base URL */
  char k1[512], k2[512];
  memset(&q, 0, sizeof q);
  q.kind = TC_OBJ_PCS_QE_IDENTITY;
  q.tee = TC_TEE_SGX;
  assert_int_equal(tc_object_key(&q, k1, sizeof k1, &err), TC_OK);
  assert_string_equal(k1, "pcs:/sgx/certification/v4/qe/identity");
  q.kind = TC_OBJ_PCS_ROOT_CA_CRL;
  assert_int_equal(tc_object_key(&q, k2, sizeof k2, &err), TC_OK);
  assert_string_equal(k2, "pcs:rootcacrl");
  /* TCB Info without a TEE */
  q.kind = TC_OBJ_PCS_TCB_INFO;
  q.tee = TC_TEE_SNP;
  assert_int_equal(tc_object_url(NULL, NULL, TC_PCS_AUTO, &q, url, sizeof url, &err), TC_ERR_USAGE);
}

static void test_url_decode(void **state) {
  (void)state;
  const char *in = "-----BEGIN%20CERTIFICATE-----%0AMIIC+abc%2Fd%3D%3D%0A";
  tc_buf out;
  tc_error err;
  assert_int_equal(tc_url_decode(in, strlen(in), &out, &err), TC_OK);
  assert_int_equal(out.len, strlen("-----BEGIN CERTIFICATE-----\nMIIC+abc/d==\n"));
  assert_memory_equal(out.data, "-----BEGIN CERTIFICATE-----\nMIIC+abc/d==\n", out.len);
  tc_buf_free(&out);
  assert_int_equal(tc_url_decode("ab%2", 4, &out, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "bad_percent_encoding");
  assert_non_null(strstr(err.detail, "offset 2"));
  assert_int_equal(tc_url_decode("%zz", 3, &out, &err), TC_ERR_PARSE);
}

static void test_retry_after(void **state) {
  (void)state;
  assert_true(col_http_retry_after("1", 0) == 1.0);
  assert_true(col_http_retry_after("120", 0) == 120.0);
  assert_true(col_http_retry_after("", 0) < 0);
  assert_true(col_http_retry_after("-3", 0) < 0);
  assert_true(col_http_retry_after("soon", 0) < 0);
  /* HTTP-date (RFC 9110 IMF-fixdate): 1994-11-06T08:49:37Z = 784111777 */
  assert_true(col_http_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30) == 30.0);
  assert_true(col_http_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 30) == 0.0);
}

/* A CRL signed by a throw-away P-256 key, with the given window. */
static tc_buf make_crl(int64_t this_update, int64_t next_update, int with_next) {
  EVP_PKEY *k = EVP_EC_gen("P-256");
  X509_CRL *crl = X509_CRL_new();
  X509_NAME *n = X509_NAME_new();
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"Test CA", -1, -1, 0);
  X509_CRL_set_issuer_name(crl, n);
  ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)this_update);
  X509_CRL_set1_lastUpdate(crl, t);
  ASN1_TIME_free(t);
  if (with_next) {
    t = ASN1_TIME_set(NULL, (time_t)next_update);
    X509_CRL_set1_nextUpdate(crl, t);
    ASN1_TIME_free(t);
  }
  X509_CRL_sign(crl, k, EVP_sha256());
  tc_buf b = {0};
  unsigned char *der = NULL;
  int len = i2d_X509_CRL(crl, &der);
  b.data = malloc((size_t)len);
  memcpy(b.data, der, (size_t)len);
  b.len = (size_t)len;
  OPENSSL_free(der);
  X509_NAME_free(n);
  X509_CRL_free(crl);
  EVP_PKEY_free(k);
  return b;
}

static void test_validity(void **state) {
  (void)state;
  int64_t t0 = tc_utc_seconds(2025, 1, 2, 3, 4, 5);
  tc_buf crl = make_crl(t0, t0 + 86400 * 7, 1);
  int64_t issued = 0, expires = 0;
  tc_error err;
  assert_int_equal(
      tc_object_validity(TC_OBJ_KDS_VCEK_CRL, crl.data, crl.len, NULL, 0, &issued, &expires, &err),
      TC_OK);
  assert_int_equal(issued, t0);
  assert_int_equal(expires, t0 + 86400 * 7);
  /* hex text of the DER (older PCCS rootcacrl) */
  char *hex = malloc(crl.len * 2 + 2);
  tc_hex_encode(crl.data, crl.len, hex);
  strcat(hex, "\n");
  assert_int_equal(tc_object_validity(TC_OBJ_PCS_ROOT_CA_CRL, (uint8_t *)hex, strlen(hex), NULL, 0,
                                      &issued, &expires, &err),
                   TC_OK);
  assert_int_equal(expires, t0 + 86400 * 7);
  tc_buf hb = {(uint8_t *)hex, strlen(hex)};
  assert_int_equal(col_crl_normalize(&hb, &err), TC_OK);
  assert_int_equal(hb.len, crl.len);
  assert_memory_equal(hb.data, crl.data, crl.len);
  free(hex);
  tc_buf_free(&crl);
  /* a CRL without nextUpdate is malformed for caching purposes */
  crl = make_crl(t0, 0, 0);
  assert_int_equal(
      tc_object_validity(TC_OBJ_PCS_PCK_CRL, crl.data, crl.len, NULL, 0, &issued, &expires, &err),
      TC_ERR_PARSE);
  assert_string_equal(err.reason, "collateral_malformed");
  tc_buf_free(&crl);
  /* TCB Info / QE Identity JSON */
  const char *ti = "{\"tcbInfo\":{\"id\":\"TDX\",\"issueDate\":\"2025-10-01T00:00:00Z\","
                   "\"nextUpdate\":\"2025-10-31T00:00:00Z\"},\"signature\":\"00\"}";
  assert_int_equal(tc_object_validity(TC_OBJ_PCS_TCB_INFO, (const uint8_t *)ti, strlen(ti), NULL, 0,
                                      &issued, &expires, &err),
                   TC_OK);
  assert_int_equal(issued, tc_utc_seconds(2025, 10, 1, 0, 0, 0));
  assert_int_equal(expires, tc_utc_seconds(2025, 10, 31, 0, 0, 0));
  assert_int_equal(tc_object_validity(TC_OBJ_PCS_QE_IDENTITY, (const uint8_t *)ti, strlen(ti), NULL,
                                      0, &issued, &expires, &err),
                   TC_ERR_PARSE);
  assert_non_null(strstr(err.detail, "enclaveIdentity.nextUpdate"));
  assert_int_equal(tc_object_validity(TC_OBJ_PCS_TCB_INFO, (const uint8_t *)"{", 1, NULL, 0,
                                      &issued, &expires, &err),
                   TC_ERR_PARSE);
  assert_int_equal(tc_object_validity(TC_OBJ_KDS_VCEK, (const uint8_t *)"junk", 4, NULL, 0, &issued,
                                      &expires, &err),
                   TC_ERR_PARSE);
  assert_string_equal(err.reason, "collateral_malformed");
}

static void test_provider_options(void **state) {
  (void)state;
  tc_provider_options o;
  tc_provider_options_default(&o);
  assert_int_equal(o.max_attempts, 4);
  assert_int_equal(o.offline, 0);
  tc_provider *p = NULL;
  tc_error err;
  o.kds_url = "ftp://kds";
  assert_int_equal(tc_provider_new(&o, &p, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "bad_option");
  o.kds_url = NULL;
  o.max_attempts = 0;
  assert_int_equal(tc_provider_new(&o, &p, &err), TC_ERR_USAGE);
  o.max_attempts = 1;
  o.offline = 1;
  assert_int_equal(tc_provider_new(&o, &p, &err), TC_OK);
  /* offline and nothing cached: a clear failure, no network */
  tc_object_request q;
  memset(&q, 0, sizeof q);
  q.kind = TC_OBJ_KDS_VCEK_CHAIN;
  q.product = TC_SNP_MILAN;
  tc_collateral_answer a;
  assert_int_equal(tc_provider_get(p, &q, 0, &a, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "collateral_unavailable");
  assert_non_null(strstr(err.detail, "offline"));
  tc_provider_free(p);
}

/* A cache write that fails keeps its reason: the index entry's path is a directory here, so
 * the atomic write refuses it and the detail must say so (it used to be empty: the detail was
 * formatted from itself, "(not cached: )"). */
static void test_cache_store_failure_detail(void **state) {
  (void)state;
  char dir[256];
  assert_non_null(test_mkdtemp("teectl-cache", dir, sizeof dir));
  tc_error err;
  assert_int_equal(col_cache_open(dir, &err), TC_OK);
  const char *key = "kds:/vcek/v1/Milan/crl";
  uint8_t h[SHA256_DIGEST_LENGTH];
  SHA256((const uint8_t *)key, strlen(key), h);
  char idx[512];
  int n = snprintf(idx, sizeof idx, "%s/index/", dir);
  for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
    n += snprintf(idx + n, sizeof idx - (size_t)n, "%02x", h[i]);
  snprintf(idx + n, sizeof idx - (size_t)n, ".json");
  assert_int_equal(mkdir(idx, 0700), 0);
  col_cache_entry e;
  memset(&e, 0, sizeof e);
  snprintf(e.key, sizeof e.key, "%s", key);
  snprintf(e.url, sizeof e.url, "http://kds.test/vcek/v1/Milan/crl");
  e.kind = TC_OBJ_KDS_VCEK_CRL;
  e.expires_at = e.refresh_at = 2000000000;
  e.body.data = (uint8_t *)"crl";
  e.body.len = 3;
  assert_int_equal(col_cache_store(dir, &e, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "cache_unwritable");
  assert_non_null(strstr(err.detail, idx));
  assert_non_null(strstr(err.detail, "a directory"));
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vcek_milan_genoa),
      cmocka_unit_test(test_vcek_turin),
      cmocka_unit_test(test_kds_chains_and_crls),
      cmocka_unit_test(test_pcs_urls),
      cmocka_unit_test(test_url_decode),
      cmocka_unit_test(test_retry_after),
      cmocka_unit_test(test_validity),
      cmocka_unit_test(test_provider_options),
      cmocka_unit_test(test_cache_store_failure_detail),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
