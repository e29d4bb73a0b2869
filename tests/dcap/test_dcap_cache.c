/* SPDX-License-Identifier: Apache-2.0 */
/* The DCAP endorsement cache (tc_dcap_verify_cached) gives the verdict, reason and detail
 * of tc_dcap_verify for every input, warm or cold: real vector cases, each collateral file
 * with bits flipped and cut short, the case verified at other times; a failure is never
 * cached; a bounded cache keeps at most its entries; one cache serves two threads. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "crypto/ecdsa.h"
#include "dcap_test_util.h"
#include "teectl/dcap.h"
#include "teectl/rfc3339.h"

static const char *g_dir;

typedef dcap_test_case vcase;

static void load(const char *name, vcase *c) {
  dcap_test_case_load(g_dir, name, c);
}

static void unload(vcase *c) {
  dcap_test_case_free(c);
}

/* The cached verification of (c, at) equals the uncached one: status, reason, detail,
 * and the result's verdict, tcb_status and validity_window. */
static void same(const char *what, vcase *c, int64_t at, tc_dcap_cache *cache) {
  tc_error e1, e2;
  json_t *r1 = NULL, *r2 = NULL;
  tc_status s1 = tc_dcap_verify(c->quote.data, c->quote.len, &c->col, at, &r1, &e1);
  tc_status s2 = tc_dcap_verify_cached(c->quote.data, c->quote.len, &c->col, at, cache, &r2, &e2);
  if (s1 != s2 ||
      (s1 != TC_OK && (strcmp(e1.reason, e2.reason) != 0 || strcmp(e1.detail, e2.detail) != 0)))
    fail_msg("%s: uncached %d %s (%s), cached %d %s (%s)", what, s1, e1.reason, e1.detail, s2,
             e2.reason, e2.detail);
  const char *keys[] = {"verdict", "tcb_status", "validity_window", "trust_anchor"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (!json_equal(json_object_get(r1, keys[i]), json_object_get(r2, keys[i])) &&
        !(json_object_get(r1, keys[i]) == NULL && json_object_get(r2, keys[i]) == NULL))
      fail_msg("%s: result member %s differs", what, keys[i]);
  json_decref(r1);
  json_decref(r2);
}

static void test_same_as_uncached(void **state) {
  const char *name = *state;
  vcase c;
  load(name, &c);
  tc_dcap_cache *cache = NULL;
  tc_error err;
  assert_int_equal(tc_dcap_cache_new(64, &cache, &err), TC_OK);
  assert_int_equal(
      tc_dcap_verify_cached(c.quote.data, c.quote.len, &c.col, c.at, cache, NULL, &err), TC_OK);
  /* other times: before and after every window, on warm caches */
  const int64_t day = 86400;
  const int64_t times[] = {
      0,          c.at - 3650 * day, c.at - 400 * day, c.at - 40 * day,  c.at - day,
      c.at + day, c.at + 40 * day,   c.at + 400 * day, c.at + 3650 * day};
  for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
    same("time", &c, times[i], cache);
  /* every collateral item: bits flipped at spread offsets, then cut in half */
  tc_buf *items[] = {&c.col.tcb_info,    &c.col.tcb_info_issuer_chain,
                     &c.col.qe_identity, &c.col.qe_identity_issuer_chain,
                     &c.col.pck_crl,     &c.col.root_ca_crl};
  size_t cases = 0;
  for (size_t k = 0; k < sizeof items / sizeof items[0]; k++) {
    tc_buf *b = items[k];
    size_t step = b->len / 23 + 1;
    for (size_t off = 0; off < b->len; off += step) {
      char what[64];
      snprintf(what, sizeof what, "item %zu byte %zu", k, off);
      b->data[off] ^= 0x10;
      same(what, &c, c.at, cache);
      b->data[off] ^= 0x10;
      cases++;
    }
    size_t len = b->len;
    b->len = len / 2;
    same("cut", &c, c.at, cache);
    b->len = len;
    /* the valid quote is still valid, from the cache */
    assert_int_equal(
        tc_dcap_verify_cached(c.quote.data, c.quote.len, &c.col, c.at, cache, NULL, &err), TC_OK);
  }
  uint64_t hits, misses;
  size_t entries;
  tc_dcap_cache_counts(cache, &hits, &misses, &entries);
  print_message("  %s: %zu mutations, %llu hits, %llu misses, %zu entries\n", name, cases,
                (unsigned long long)hits, (unsigned long long)misses, entries);
  assert_true(hits > cases);
  tc_dcap_cache_free(cache);
  unload(&c);
}

/* A collateral set that fails is not cached: the cache holds the PCK chain only, the
 * failure repeats, and the valid set verifies after. */
static void test_failure_not_cached(void **state) {
  (void)state;
  vcase c;
  load("tdx-v4-gcp-cos-00806f050000", &c);
  tc_dcap_cache *cache = NULL;
  tc_error err;
  assert_int_equal(tc_dcap_cache_new(64, &cache, &err), TC_OK);
  /* a byte of the TCB Info signature member ("signature":"<hex>" at the end) */
  char *sig = strstr((char *)c.col.tcb_info.data, "\"signature\"");
  assert_non_null(sig);
  size_t at_sig = (size_t)(sig - (char *)c.col.tcb_info.data) + 20;
  uint8_t was = c.col.tcb_info.data[at_sig];
  c.col.tcb_info.data[at_sig] = was == '0' ? '1' : '0';
  for (int i = 0; i < 2; i++) {
    assert_int_equal(
        tc_dcap_verify_cached(c.quote.data, c.quote.len, &c.col, c.at, cache, NULL, &err),
        TC_ERR_VERIFY);
    assert_string_equal(err.reason, "tcb_info_signature_invalid");
    uint64_t hits, misses;
    size_t entries;
    tc_dcap_cache_counts(cache, &hits, &misses, &entries);
    assert_int_equal(entries, 1); /* the PCK chain; no collateral set, no pair */
  }
  c.col.tcb_info.data[at_sig] = was;
  assert_int_equal(
      tc_dcap_verify_cached(c.quote.data, c.quote.len, &c.col, c.at, cache, NULL, &err), TC_OK);
  tc_dcap_cache_free(cache);
  unload(&c);
}

/* max_entries 1: two platforms alternate, each verifies, at most one of each kind kept. */
static void test_bounded(void **state) {
  (void)state;
  vcase a, b;
  load("tdx-v4-gcp-cos-00806f050000", &a);
  load("sgx-v3-phala-00a067110000-2025", &b);
  tc_dcap_cache *cache = NULL;
  tc_error err;
  assert_int_equal(tc_dcap_cache_new(1, &cache, &err), TC_OK);
  for (int i = 0; i < 4; i++) {
    vcase *c = i % 2 ? &b : &a;
    assert_int_equal(
        tc_dcap_verify_cached(c->quote.data, c->quote.len, &c->col, c->at, cache, NULL, &err),
        TC_OK);
    uint64_t hits, misses;
    size_t entries;
    tc_dcap_cache_counts(cache, &hits, &misses, &entries);
    assert_true(entries <= 3);
  }
  tc_dcap_cache_free(cache);
  unload(&a);
  unload(&b);
}

typedef struct {
  vcase *c;
  tc_dcap_cache *cache;
  int failures;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  for (int i = 0; i < 60; i++) {
    tc_error err;
    json_t *res = NULL;
    /* every third call at a time after the TCB Info's nextUpdate: must fail */
    int64_t at = i % 3 == 2 ? w->c->at + 3650 * 86400 : w->c->at;
    tc_status st = tc_dcap_verify_cached(w->c->quote.data, w->c->quote.len, &w->c->col, at,
                                         w->cache, &res, &err);
    json_decref(res);
    if ((st == TC_OK) != (i % 3 != 2))
      w->failures++;
  }
  return NULL;
}

static void test_threads(void **state) {
  (void)state;
  vcase c;
  load("tdx-v4-gcp-cos-00806f050000", &c);
  tc_dcap_cache *cache = NULL;
  tc_error err;
  assert_int_equal(tc_dcap_cache_new(4, &cache, &err), TC_OK);
  worker w[2] = {{&c, cache, 0}, {&c, cache, 0}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
  for (int i = 0; i < 2; i++)
    pthread_join(t[i], NULL);
  assert_int_equal(w[0].failures + w[1].failures, 0);
  tc_dcap_cache_free(cache);
  unload(&c);
}

/* The attestation key made from ready P-256 parameters (the cached path) accepts exactly
 * the points tc_ec_key_from_raw accepts: a real point, and none of its 512 one-bit flips
 * that leave the curve, nor the zero point. */
static void test_key_from_params(void **state) {
  (void)state;
  EVP_PKEY *gen = EVP_EC_gen("P-256"), *params = tc_ec_params_new(TC_EC_P256);
  assert_non_null(gen);
  assert_non_null(params);
  uint8_t pub[65];
  size_t len = 0;
  assert_int_equal(EVP_PKEY_get_octet_string_param(gen, "encoded-pub-key", pub, sizeof pub, &len),
                   1);
  assert_int_equal(len, 65);
  size_t accepted = 0;
  for (int bit = -1; bit < 512; bit++) {
    uint8_t xy[64];
    memcpy(xy, pub + 1, 64);
    if (bit >= 0)
      xy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    EVP_PKEY *a = tc_ec_key_from_raw(TC_EC_P256, xy, 64),
             *b = tc_ec_key_from_raw_as(params, xy, 64);
    assert_int_equal(a != NULL, b != NULL);
    if (bit < 0) {
      assert_non_null(b);
      assert_int_equal(EVP_PKEY_eq(a, b), 1);
      assert_int_equal(tc_ec_key_on(b, TC_EC_P256), 1);
    }
    accepted += b != NULL;
    EVP_PKEY_free(a);
    EVP_PKEY_free(b);
  }
  assert_int_equal(accepted, 1); /* a flipped point is off the curve */
  uint8_t zero[64] = {0};
  assert_null(tc_ec_key_from_raw_as(params, zero, 64));
  EVP_PKEY_free(gen);
  EVP_PKEY_free(params);
}

/* tc_ecdsa_verify_raw accepts 600 real P-256 signatures given as r || s (some with a
 * leading zero byte or top bit in r or s, which the DER encoding must handle), and rejects
 * each with one bit of r || s flipped, or another message. */
static void test_raw_signatures(void **state) {
  (void)state;
  EVP_PKEY *key = EVP_EC_gen("P-256");
  assert_non_null(key);
  size_t short_ints = 0;
  for (int i = 0; i < 600; i++) {
    uint8_t msg[32], der[80], raw[64];
    memset(msg, 0, sizeof msg);
    memcpy(msg, &i, sizeof i);
    size_t dl = sizeof der;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(EVP_DigestSign(md, der, &dl, msg, sizeof msg), 1);
    EVP_MD_CTX_free(md);
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)dl);
    assert_non_null(sig);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32), 32);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32), 32);
    ECDSA_SIG_free(sig);
    short_ints += raw[0] == 0 || raw[32] == 0;
    assert_int_equal(
        tc_ecdsa_verify_raw(key, TC_EC_P256, TC_HASH_SHA256, msg, sizeof msg, raw, 64, NULL),
        TC_OK);
    if (i % 50 == 0)
      for (int bit = 0; bit < 512; bit++) {
        raw[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_equal(
            tc_ecdsa_verify_raw(key, TC_EC_P256, TC_HASH_SHA256, msg, sizeof msg, raw, 64, NULL),
            TC_ERR_VERIFY);
        raw[bit / 8] ^= (uint8_t)(1u << (bit % 8));
      }
    msg[31] ^= 1;
    assert_int_equal(
        tc_ecdsa_verify_raw(key, TC_EC_P256, TC_HASH_SHA256, msg, sizeof msg, raw, 64, NULL),
        TC_ERR_VERIFY);
  }
  print_message("  %zu of 600 signatures with a leading zero byte in r or s\n", short_ints);
  EVP_PKEY_free(key);
}

int main(int argc, char **argv) {
  const char *vec = test_vectors_dir(argc, argv, "dcap");
  char *dir = test_path(vec, "dcap");
  g_dir = dir;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_prestate(test_same_as_uncached, "tdx-v4-gcp-cos-00806f050000"),
      cmocka_unit_test_prestate(test_same_as_uncached, "sgx-v3-phala-00a067110000-2025"),
      cmocka_unit_test_prestate(test_same_as_uncached, "tdx-v5-gotdx-90c06f000000"),
      cmocka_unit_test(test_failure_not_cached),
      cmocka_unit_test(test_bounded),
      cmocka_unit_test(test_threads),
      cmocka_unit_test(test_key_from_params),
      cmocka_unit_test(test_raw_signatures),
  };
  int rc = cmocka_run_group_tests_name("dcap_cache", tests, NULL, NULL);
  free(dir);
  return rc;
}
