/* SPDX-License-Identifier: Apache-2.0 */
/* Every single-bit flip in the signed part (header + body) of every valid vector quote
 * (../shared/vectors/dcap, verdict "valid"; identical quotes once), and one bit in bytes of
 * its signature data up to the end of the QE authentication data (each byte of the
 * signature data length, quote signature, attestation key, v4/v5 outer certification data
 * header and QE authentication data length, and of the QE report, its signature and the QE
 * authentication data: these take a full cold verification each, so the sanitizer build,
 * about three times slower, takes every 5th of those three), is rejected by
 * tc_dcap_verify with the case's own collateral at its verify_at; and again by
 * tc_dcap_verify_cached on one cache warmed by the valid quote first (PCK chain, collateral
 * set and QE report step cached), with the same reason, the valid quote still valid after. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "dcap_test_util.h"
#include "teectl/dcap.h"
#include "teectl/rfc3339.h"

static const char *g_dir;

/* Bytes of the QE report, its signature and authentication data taken: every byte, every
 * 5th under AddressSanitizer (GCC: __SANITIZE_ADDRESS__, clang: __has_feature). */
#if defined(__SANITIZE_ADDRESS__)
#define QE_STRIDE 5
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QE_STRIDE 5
#endif
#endif
#ifndef QE_STRIDE
#define QE_STRIDE 1
#endif

static void flip_case(void **state) {
  const char *name = *state;
  char *dir = test_path(g_dir, name);
  char *p = test_path(dir, "expected.json");
  json_t *exp = json_load_file(p, 0, NULL);
  free(p);
  assert_non_null(exp);
  p = test_path(dir, "quote.bin");
  tc_buf q = test_read_file(p);
  free(p);
  tc_collateral col;
  dcap_test_load_collateral(dir, &col);
  int64_t at;
  tc_error err;
  assert_int_equal(
      tc_rfc3339_parse(json_string_value(json_object_get(exp, "verify_at")), &at, &err), TC_OK);
  /* the unmodified quote is valid; its signed length comes from the expected parse */
  assert_int_equal(tc_dcap_verify(q.data, q.len, &col, at, NULL, &err), TC_OK);
  size_t signed_len =
      (size_t)json_integer_value(json_object_get(json_object_get(exp, "parsed"), "signed_len"));
  assert_true(signed_len >= 432 && signed_len < q.len);
  /* a cache warmed by the valid quote: PCK chain, collateral set, their pair */
  tc_dcap_cache *cache = NULL;
  assert_int_equal(tc_dcap_cache_new(8, &cache, &err), TC_OK);
  assert_int_equal(tc_dcap_verify_cached(q.data, q.len, &col, at, cache, NULL, &err), TC_OK);
  uint64_t hits, misses;
  size_t entries;
  tc_dcap_cache_counts(cache, &hits, &misses, &entries);
  assert_int_equal(entries, 4);
  /* the end of the QE authentication data, from the expected parse: signature data length
   * (4), quote signature (64), attestation key (64), outer certification data type and
   * size (v4/v5: 6), QE report (384), its signature (64), the data's length (2) and the
   * data (Intel SGX ECDSA Quote Library API / TDX DCAP Quoting Library API, "Quote Format") */
  const json_t *parsed = json_object_get(exp, "parsed");
  size_t auth_len = strlen(json_string_value(json_object_get(parsed, "qe_auth_data"))) / 2;
  int outer = json_is_integer(json_object_get(parsed, "outer_certification_data_type"));
  size_t qe_report = signed_len + 4 + 64 + 64 + (outer ? 6 : 0), auth_len_at = qe_report + 448;
  size_t auth_end = auth_len_at + 2 + auth_len;
  assert_true(auth_end < q.len);
  size_t rejected = 0, n_bits = signed_len * 8 + (auth_end - signed_len);
  for (size_t i = 0; i < n_bits; i++) {
    /* every bit of header + body, then bit (byte % 8) of the following bytes */
    size_t byte = i < signed_len * 8 ? i / 8 : signed_len + (i - signed_len * 8);
    unsigned bit = i < signed_len * 8 ? i % 8 : byte % 8;
    int strided = byte >= qe_report && (byte < auth_len_at || byte >= auth_len_at + 2);
    if (strided && (byte - qe_report) % QE_STRIDE != 0)
      continue;
    tc_error warm;
    q.data[byte] ^= (uint8_t)(1u << bit);
    tc_status st = tc_dcap_verify(q.data, q.len, &col, at, NULL, &err);
    tc_status st_warm = tc_dcap_verify_cached(q.data, q.len, &col, at, cache, NULL, &warm);
    q.data[byte] ^= (uint8_t)(1u << bit);
    if (st == TC_OK || st_warm == TC_OK)
      fail_msg("%s: flipping bit %u of byte %zu still verifies%s", name, bit, byte,
               st == TC_OK ? "" : " with warm caches");
    assert_int_equal(st, st_warm);
    if (strcmp(err.reason, warm.reason) != 0 || strcmp(err.detail, warm.detail) != 0)
      fail_msg("%s: bit %u of byte %zu: cold %s (%s), warm %s (%s)", name, bit, byte, err.reason,
               err.detail, warm.reason, warm.detail);
    rejected++;
  }
  print_message("  %s: %zu flips rejected, cold and warm\n", name, rejected);
  assert_int_equal(tc_dcap_verify_cached(q.data, q.len, &col, at, cache, NULL, &err), TC_OK);
  tc_dcap_cache_free(cache);
  json_decref(exp);
  tc_buf_free(&q);
  dcap_test_free_collateral(&col);
  free(dir);
}

int main(int argc, char **argv) {
  const char *vec = test_vectors_dir(argc, argv, "dcap");
  char *dir = test_path(vec, "dcap");
  g_dir = dir;
  char *index = test_path(dir, "INDEX.tsv");
  char **names = test_index_names(index);
  free(index);
  size_t n = 0, k = 0;
  while (names[n])
    n++;
  /* valid cases only; a quote that appears in several cases (same bytes, other
   * collateral) is flipped once */
  struct CMUnitTest *tests = calloc(n ? n : 1, sizeof *tests);
  tc_buf *seen = calloc(n ? n : 1, sizeof *seen);
  for (size_t i = 0; i < n; i++) {
    char *cdir = test_path(dir, names[i]);
    char *p = test_path(cdir, "expected.json");
    json_t *exp = json_load_file(p, 0, NULL);
    free(p);
    int valid = exp && strcmp(json_string_value(json_object_get(exp, "verdict")), "valid") == 0;
    json_decref(exp);
    if (valid) {
      p = test_path(cdir, "quote.bin");
      seen[k] = test_read_file(p);
      free(p);
      for (size_t j = 0; j < k && valid; j++)
        if (seen[j].len == seen[k].len && memcmp(seen[j].data, seen[k].data, seen[k].len) == 0)
          valid = 0;
      if (valid) {
        tests[k].name = names[i];
        tests[k].test_func = flip_case;
        tests[k].initial_state = names[i];
        k++;
      } else {
        tc_buf_free(&seen[k]);
      }
    }
    free(cdir);
  }
  int rc = _cmocka_run_group_tests("dcap_bitflip", tests, k, NULL, NULL);
  for (size_t j = 0; j < k; j++)
    tc_buf_free(&seen[j]);
  free(seen);
  free(tests);
  test_free_list(names);
  free(dir);
  return rc;
}
