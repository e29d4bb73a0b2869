/* SPDX-License-Identifier: Apache-2.0 */
/* The DCAP endorsement cache (tc_dcap_verify_cached) gives the verdict, reason and detail
 * of tc_dcap_verify for every input, warm or cold: real vector cases, each collateral file
 * with bits flipped and cut short, the case verified at other times, quotes whose QE report,
 * its signature, the attestation key, the QE authentication data or the PCK chain differ
 * from those of the quote that warmed the cache; a failure is never cached; a bounded
 * cache keeps at most its entries; one cache serves two threads. */
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

/* The cached verification of (quote, col, at) equals the uncached one: status, reason,
 * detail, and the result's verdict, tcb_status, validity_window and trust_anchor; the
 * uncached error is left in *uncached (may be NULL). */
static void same_quote(const char *what, const tc_buf *quote, const tc_collateral *col, int64_t at,
                       tc_dcap_cache *cache, tc_error *uncached) {
  tc_error e1, e2;
  json_t *r1 = NULL, *r2 = NULL;
  tc_status s1 = tc_dcap_verify(quote->data, quote->len, col, at, &r1, &e1);
  tc_status s2 = tc_dcap_verify_cached(quote->data, quote->len, col, at, cache, &r2, &e2);
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
  if (uncached != NULL)
    *uncached = e1;
}

static void same(const char *what, vcase *c, int64_t at, tc_dcap_cache *cache) {
  same_quote(what, &c->quote, &c->col, at, cache, NULL);
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

/* Where the parts of a v3 / v4 quote lie (Intel SGX ECDSA Quote Library API and Intel TDX
 * DCAP Quoting Library API, "Quote Format"): header + body (432 / 632 bytes), the u32
 * signature data length, the quote signature (64), the attestation key (64); v4 only: the
 * outer certification data type (u16, 6) and size (u32); then the QE report (384), its
 * signature (64), the u16 QE authentication data length and the data, the certification
 * data type (u16, 5) and size (u32), and the PEM chain. */
typedef struct {
  size_t sig_data_len, ak, outer_size, qe_report, qe_sig, auth, auth_end, cert_size, pem;
} layout;

static unsigned le16_at(const tc_buf *q, size_t off) {
  assert_true(off + 2 <= q->len);
  return q->data[off] | (unsigned)q->data[off + 1] << 8;
}

static void put_le32(uint8_t *p, size_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static void quote_layout(const tc_buf *q, layout *l) {
  unsigned version = le16_at(q, 0);
  assert_true(version == 3 || version == 4);
  l->sig_data_len = version == 3 ? 432 : 632;
  l->ak = l->sig_data_len + 4 + 64;
  size_t o = l->ak + 64;
  l->outer_size = 0;
  if (version == 4) {
    assert_int_equal(le16_at(q, o), 6);
    l->outer_size = o + 2;
    o += 6;
  }
  l->qe_report = o;
  l->qe_sig = o + 384;
  l->auth = o + 450;
  l->auth_end = l->auth + le16_at(q, o + 448);
  assert_int_equal(le16_at(q, l->auth_end), 5);
  l->cert_size = l->auth_end + 2;
  l->pem = l->auth_end + 6;
  assert_true(l->pem < q->len);
}

/* q with its PEM chain replaced by pem[0..n) and the three lengths that cover it set. */
static tc_buf with_chain(const tc_buf *q, const layout *l, const uint8_t *pem, size_t n) {
  tc_buf out = {malloc(l->pem + n), l->pem + n};
  assert_non_null(out.data);
  memcpy(out.data, q->data, l->pem);
  memcpy(out.data + l->pem, pem, n);
  put_le32(out.data + l->cert_size, n);
  if (l->outer_size != 0)
    put_le32(out.data + l->outer_size, out.len - (l->outer_size + 4));
  put_le32(out.data + l->sig_data_len, out.len - (l->sig_data_len + 4));
  return out;
}

/* A new P-256 key pair and its public point as x || y (32 bytes each, big-endian). */
static EVP_PKEY *p256_new(uint8_t xy[64]) {
  EVP_PKEY *key = EVP_EC_gen("P-256");
  assert_non_null(key);
  uint8_t pub[65];
  size_t len = 0;
  assert_int_equal(EVP_PKEY_get_octet_string_param(key, "encoded-pub-key", pub, sizeof pub, &len),
                   1);
  assert_int_equal(len, 65);
  assert_int_equal(pub[0], 0x04); /* uncompressed (SEC 1, 2.3.3) */
  memcpy(xy, pub + 1, 64);
  return key;
}

/* ECDSA P-256 / SHA-256 signature of msg by key as r || s (32 bytes each). */
static void sign_p256(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t out[64]) {
  uint8_t der[80];
  size_t dl = sizeof der;
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
  assert_int_equal(EVP_DigestSign(md, der, &dl, msg, len), 1);
  EVP_MD_CTX_free(md);
  const unsigned char *p = der;
  ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)dl);
  assert_non_null(sig);
  assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, 32), 32);
  assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + 32, 32), 32);
  ECDSA_SIG_free(sig);
}

/* The cached and uncached verifications of m agree and reject it with `reason`; the
 * cache then holds `entries` entries and still verifies the valid quote. */
static void rejected_as(const char *what, const tc_buf *m, vcase *c, tc_dcap_cache *cache,
                        const char *reason, size_t entries) {
  tc_error e;
  same_quote(what, m, &c->col, c->at, cache, &e);
  if (strcmp(e.reason, reason) != 0)
    fail_msg("%s: rejected with %s (%s), expected %s", what, e.reason, e.detail, reason);
  uint64_t hits, misses;
  size_t n;
  tc_dcap_cache_counts(cache, &hits, &misses, &n);
  if (n != entries)
    fail_msg("%s: %zu cache entries after it, expected %zu", what, n, entries);
  assert_int_equal(
      tc_dcap_verify_cached(c->quote.data, c->quote.len, &c->col, c->at, cache, NULL, &e), TC_OK);
}

/* The QE report step kept by the cache (its signature by the PCK key, its binding of the
 * attestation key) answers only for the exact bytes it was checked with. After the valid
 * quote warmed the cache (a second verification finds PCK chain, collateral set and QE
 * report step: 3 hits), quotes that keep its QE report but change one thing are rejected
 * exactly as without a cache and add no entry:
 *   another attestation key (the quote re-signed with it): its SHA-256 with the QE
 *     authentication data is no longer the report's report_data -> qe_report_data_mismatch
 *   a byte of the QE report signature, a byte of the QE report -> qe_report_signature_invalid
 *   a byte of the QE authentication data -> qe_report_data_mismatch
 * and with prestate `other` (a vector of another platform with the same FMSPC, PCK CA and
 * collateral) the QE report under that platform's PCK chain, which passes every chain and
 * collateral check but whose key did not sign it -> qe_report_signature_invalid (the new
 * chain and its pair with the collateral are cached: 2 entries more). */
typedef struct {
  const char *name, *other;
} qe_case;

static void test_qe_report_entry(void **state) {
  const qe_case *k = *state;
  vcase c;
  load(k->name, &c);
  layout l;
  quote_layout(&c.quote, &l);
  tc_dcap_cache *cache = NULL;
  tc_error err;
  assert_int_equal(tc_dcap_cache_new(64, &cache, &err), TC_OK);
  assert_int_equal(
      tc_dcap_verify_cached(c.quote.data, c.quote.len, &c.col, c.at, cache, NULL, &err), TC_OK);
  uint64_t h0, m0, h1, m1;
  size_t entries;
  tc_dcap_cache_counts(cache, &h0, &m0, &entries);
  assert_int_equal(entries, 4); /* PCK chain, collateral set, their pair, QE report step */
  assert_int_equal(
      tc_dcap_verify_cached(c.quote.data, c.quote.len, &c.col, c.at, cache, NULL, &err), TC_OK);
  tc_dcap_cache_counts(cache, &h1, &m1, &entries);
  assert_int_equal(h1 - h0, 3);
  assert_int_equal(m1 - m0, 0);

  tc_buf m = {malloc(c.quote.len), c.quote.len};
  assert_non_null(m.data);
  /* another attestation key, header + body signed with it */
  memcpy(m.data, c.quote.data, m.len);
  EVP_PKEY *key = p256_new(m.data + l.ak);
  sign_p256(key, m.data, l.sig_data_len, m.data + l.sig_data_len + 4);
  EVP_PKEY_free(key);
  rejected_as("other attestation key", &m, &c, cache, "qe_report_data_mismatch", 4);
  /* one byte of the QE report signature, of the QE report, of the authentication data */
  const struct {
    size_t from, to;
    const char *what, *reason;
  } parts[] = {{l.qe_sig, l.qe_sig + 64, "QE report signature", "qe_report_signature_invalid"},
               {l.qe_report, l.qe_report + 384, "QE report", "qe_report_signature_invalid"},
               {l.auth, l.auth_end, "QE authentication data", "qe_report_data_mismatch"}};
  size_t flips = 0;
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
    for (size_t off = parts[i].from; off < parts[i].to; off += 7) {
      char what[96];
      snprintf(what, sizeof what, "%s byte %zu", parts[i].what, off - parts[i].from);
      memcpy(m.data, c.quote.data, m.len);
      m.data[off] ^= (uint8_t)(1u << (off % 8));
      rejected_as(what, &m, &c, cache, parts[i].reason, 4);
      flips++;
    }
  assert_true(flips > 60);
  free(m.data);
  if (k->other != NULL) {
    vcase o;
    load(k->other, &o);
    layout lo;
    quote_layout(&o.quote, &lo);
    size_t n = le16_at(&o.quote, lo.cert_size) | (size_t)le16_at(&o.quote, lo.cert_size + 2) << 16;
    assert_true(lo.pem + n <= o.quote.len);
    tc_buf swapped = with_chain(&c.quote, &l, o.quote.data + lo.pem, n);
    /* the other quote's own chain verifies with this case's collateral */
    assert_int_equal(tc_dcap_verify(o.quote.data, o.quote.len, &c.col, c.at, NULL, &err), TC_OK);
    rejected_as("QE report under another PCK chain", &swapped, &c, cache,
                "qe_report_signature_invalid", 6);
    tc_buf_free(&swapped);
    unload(&o);
  }
  print_message("  %s: %zu QE report mutations rejected, cached as uncached\n", k->name,
                flips + 1 + (k->other != NULL));
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
    assert_true(entries <= 4);
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
  uint8_t pub[64];
  EVP_PKEY *gen = p256_new(pub), *params = tc_ec_params_new(TC_EC_P256);
  assert_non_null(params);
  size_t accepted = 0;
  for (int bit = -1; bit < 512; bit++) {
    uint8_t xy[64];
    memcpy(xy, pub, 64);
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
    uint8_t msg[32], raw[64];
    memset(msg, 0, sizeof msg);
    memcpy(msg, &i, sizeof i);
    sign_p256(key, msg, sizeof msg, raw);
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
  static const qe_case qe_tdx = {"tdx-v4-automata-00806f050000",
                                 "tdx-v4-azure-septve-off-00806f050000"},
                       qe_sgx = {"sgx-v3-phala-00a067110000-2025", NULL};
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_prestate(test_same_as_uncached, "tdx-v4-gcp-cos-00806f050000"),
      cmocka_unit_test_prestate(test_same_as_uncached, "sgx-v3-phala-00a067110000-2025"),
      cmocka_unit_test_prestate(test_same_as_uncached, "tdx-v5-gotdx-90c06f000000"),
      cmocka_unit_test_prestate(test_qe_report_entry, (void *)&qe_tdx),
      cmocka_unit_test_prestate(test_qe_report_entry, (void *)&qe_sgx),
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
