/* SPDX-License-Identifier: Apache-2.0 */
/* Every case of the shared vectors (snp/INDEX.tsv) gets its expected verdict at its
 * verify_at; valid cases: every value of expected.json "fields" equals our claims (generic
 * JSON comparison: new cases need no code change); invalid cases: our reason code maps to a
 * check named in expected_failing_checks. Each case again on a chain cache shared by all
 * of them: the same result object. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "snp_testutil.h"
#include "teectl/snp.h"
#include "testlib.h"

static const char *g_snp_dir;
static tc_snp_chain_cache *g_cache;
static uint64_t g_valid; /* valid cases seen: each is a cache hit at least once */

/* Our reason codes -> the check names of expected.json independent_checks /
 * expected_failing_checks that they stand for. */
static const struct {
  const char *reason;
  const char *checks[3];
} reason_checks[] = {
    {"report_signature_invalid", {"report_signature_ok", "openssl_report_sig"}},
    {"vcek_chip_mismatch", {"chip_id_matches_hwID"}},
    {"cert_chain_invalid", {"ask_signed_by_ark", "leaf_signed_by_ask", "openssl_verify_chain"}},
    {"ark_not_trusted", {"ark_self_signed", "openssl_verify_chain"}},
    {"report_truncated", {"report_length_ok"}},
    {"report_length_invalid", {"report_length_ok"}},
    {"unsupported_report_version", {"version_supported_2_3_5"}},
    {"cert_expired_at_verify_at", {"chain_time_valid_at_verify_at"}},
    {"tcb_mismatch", {"reported_tcb_matches_cert_spl"}},
    {"signing_key_mismatch", {"signing_key_field_matches_leaf"}},
    {"product_mismatch", {"cpuid_product_matches_chain"}},
};

static int reason_matches(const char *reason, json_t *failing) {
  for (size_t i = 0; i < sizeof reason_checks / sizeof reason_checks[0]; i++) {
    if (strcmp(reason_checks[i].reason, reason) != 0)
      continue;
    for (int k = 0; k < 3 && reason_checks[i].checks[k]; k++) {
      size_t idx;
      json_t *v;
      json_array_foreach(failing, idx, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), reason_checks[i].checks[k]) == 0)
          return 1;
      }
    }
  }
  return 0;
}

static void run_case(void **state) {
  const char *name = *state;
  snp_case c;
  snp_case_load(g_snp_dir, name, &c);
  const char *verdict = json_string_value(json_object_get(c.expected, "verdict"));
  assert_non_null(verdict);
  json_t *res = NULL;
  tc_error err;
  tc_status st = tc_snp_verify(c.report.data, c.report.len, &c.col, c.verify_at, &res, &err);
  assert_non_null(res);
  if (strcmp(verdict, "valid") == 0) {
    if (st != TC_OK)
      fail_msg("%s: expected valid, got %s: %s", name, err.reason, err.detail);
    assert_string_equal(json_string_value(json_object_get(res, "verdict")), "valid");
    /* Real reports: the ARK is AMD's pinned one (no operator root given). */
    assert_string_equal(json_string_value(json_object_get(res, "trust_anchor")), "vendor_pinned");
    assert_string_equal(json_string_value(json_object_get(res, "product")),
                        json_string_value(json_object_get(c.expected, "product")));
    assert_string_equal(json_string_value(json_object_get(res, "signing_key")),
                        json_string_value(json_object_get(c.expected, "signing_key")));
    json_t *fields = json_object_get(c.expected, "fields");
    json_t *claims = json_object_get(res, "claims");
    assert_true(json_is_object(fields) && json_object_size(fields) > 0);
    assert_non_null(claims);
    const char *key;
    json_t *want;
    int bad = 0;
    json_object_foreach(fields, key, want) {
      json_t *got = json_object_get(claims, key);
      if (got == NULL || !json_equal(got, want)) {
        char *w = json_dumps(want, JSON_ENCODE_ANY | JSON_COMPACT);
        char *g = got ? json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        print_error("%s: field %s: expected %s, got %s\n", name, key, w, g ? g : "(absent)");
        free(w);
        free(g);
        bad++;
      }
    }
    assert_int_equal(bad, 0);
    json_t *pf = json_object_get(res, "policy_flags");
    json_t *pd = json_object_get(json_object_get(fields, "policy_decoded"), "debug");
    assert_non_null(pf);
    assert_true(json_equal(json_object_get(pf, "debug"), pd));
    g_valid++;
  } else {
    assert_string_equal(verdict, "invalid");
    if (st == TC_OK)
      fail_msg("%s: expected invalid, got valid", name);
    assert_true(st == TC_ERR_VERIFY || st == TC_ERR_PARSE);
    assert_string_equal(json_string_value(json_object_get(res, "verdict")), "invalid");
    assert_string_equal(json_string_value(json_object_get(res, "reason")), err.reason);
    assert_null(json_object_get(res, "trust_anchor"));
    print_message("%s: rejected: %s: %s\n", name, err.reason, err.detail);
    json_t *failing = json_object_get(c.expected, "expected_failing_checks");
    if (!reason_matches(err.reason, failing)) {
      char *f = json_dumps(failing, JSON_COMPACT);
      fail_msg("%s: our reason %s (%s) is not among expected_failing_checks %s", name, err.reason,
               err.detail, f);
    }
  }
  /* The same result, to the byte, from one chain cache shared by every case (cases with
   * the same chain meet it warm), twice each. */
  for (int k = 0; k < 2; k++) {
    json_t *warm = NULL;
    tc_error werr;
    tc_status wst = tc_snp_verify_cached(c.report.data, c.report.len, &c.col, c.verify_at, g_cache,
                                         &warm, &werr);
    assert_int_equal(wst, st);
    if (!json_equal(warm, res)) {
      char *a = json_dumps(warm, JSON_COMPACT), *b = json_dumps(res, JSON_COMPACT);
      fail_msg("%s: warm %s\ncold %s", name, a, b);
    }
    json_decref(warm);
  }
  json_decref(res);
  snp_case_free(&c);
}

int main(int argc, char **argv) {
  char *snp = NULL;
  size_t n = 0;
  char **names = snp_case_names(argc, argv, &snp, &n);
  g_snp_dir = snp;
  if (n == 0) {
    fprintf(stderr, "FAIL: %s/INDEX.tsv lists no cases\n", snp);
    return 1;
  }
  struct CMUnitTest *tests = calloc(n, sizeof *tests);
  assert_non_null(tests);
  for (size_t i = 0; i < n; i++) {
    tests[i].name = names[i];
    tests[i].test_func = run_case;
    tests[i].initial_state = names[i];
  }
  if (tc_snp_chain_cache_new(64, &g_cache, NULL) != TC_OK)
    return 1;
  int rc = _cmocka_run_group_tests("snp_vectors", tests, n, NULL, NULL);
  uint64_t hits, misses;
  size_t entries;
  tc_snp_chain_cache_counts(g_cache, &hits, &misses, &entries);
  tc_snp_chain_cache_free(g_cache);
  if (rc == 0 && (hits < g_valid || entries == 0)) {
    fprintf(stderr, "FAIL: %llu cache hits, %zu chains cached\n", (unsigned long long)hits,
            entries);
    rc = 1;
  }
  free(tests);
  test_free_list(names);
  free(snp);
  return rc;
}
