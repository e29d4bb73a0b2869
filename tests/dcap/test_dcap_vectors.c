/* SPDX-License-Identifier: Apache-2.0 */
/* Real and derived DCAP quotes from ../shared/vectors/dcap: every case listed in INDEX.tsv
 * is verified at its expected.json verify_at and compared field by field with the ground
 * truth (verdict, tcb_status, advisory_ids, fmspc, pce_id, pck_tcb, tcb_detail,
 * policy_flags, validity_window, parsed). Comparison is generic over the keys expected.json
 * provides, so new cases need no code change. Every case is also verified through one
 * tc_dcap_cache shared by all cases (quotes of one platform share PCK chain, collateral and
 * QE report; the derived cases keep their source's QE report, attestation key or chain),
 * as each case comes and again once every case warmed it: status, reason, detail and the
 * whole result object equal the uncached verification's. */
#include <ctype.h>
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
static tc_dcap_cache *g_cache; /* shared by every case */

static char *lower(const char *s) {
  char *o = strdup(s ? s : "");
  for (char *p = o; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  return o;
}

/* Compare every key of `want` with `got` (objects recursively; strings case-insensitively,
 * because PCS JSON spells hex in upper case; arrays element-wise). */
static int json_matches(const json_t *want, const json_t *got, const char *path, char *why,
                        size_t cap) {
  if (json_is_object(want)) {
    if (!json_is_object(got)) {
      snprintf(why, cap, "%s: expected an object", path);
      return 0;
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)want, k, v) {
      char sub[256];
      snprintf(sub, sizeof sub, "%s.%s", path, k);
      if (!json_matches(v, json_object_get(got, k), sub, why, cap))
        return 0;
    }
    return 1;
  }
  if (json_is_array(want)) {
    if (!json_is_array(got) || json_array_size(got) != json_array_size(want)) {
      snprintf(why, cap, "%s: array length differs", path);
      return 0;
    }
    for (size_t i = 0; i < json_array_size(want); i++) {
      char sub[256];
      snprintf(sub, sizeof sub, "%s[%zu]", path, i);
      if (!json_matches(json_array_get(want, i), json_array_get(got, i), sub, why, cap))
        return 0;
    }
    return 1;
  }
  if (json_is_string(want) && json_is_string(got)) {
    char *a = lower(json_string_value(want)), *b = lower(json_string_value(got));
    int same = strcmp(a, b) == 0;
    if (!same)
      snprintf(why, cap, "%s: expected \"%s\", got \"%s\"", path, a, b);
    free(a);
    free(b);
    return same;
  }
  if (want == NULL || got == NULL || !json_equal((json_t *)want, (json_t *)got)) {
    char *a = want ? json_dumps(want, JSON_ENCODE_ANY) : NULL;
    char *b = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL;
    snprintf(why, cap, "%s: expected %s, got %s", path, a ? a : "(absent)", b ? b : "(absent)");
    free(a);
    free(b);
    return 0;
  }
  return 1;
}

static void expect_match(const json_t *want, const json_t *got, const char *path) {
  char why[600];
  if (!json_matches(want, got, path, why, sizeof why))
    fail_msg("%s", why);
}

/* Reason codes consistent with the expected reason text of a negative case. The table
 * is keyed by phrases of expected.json `reason` / `independent_check.reason`; a negative
 * case whose phrase is unknown fails, so new kinds of negatives get a mapping here. */
static const struct {
  const char *phrase;
  const char *codes[4];
} reason_map[] = {
    {"truncated", {"quote_truncated"}},
    {"unsupported quote version", {"quote_version_unsupported"}},
    {"unsupported version", {"quote_version_unsupported"}},
    {"qe report signature", {"qe_report_signature_invalid"}},
    {"qe report data", {"qe_report_data_mismatch"}},
    {"attestation-key signature", {"quote_signature_invalid"}},
    {"fmspc", {"fmspc_mismatch"}},
    {"pck certificate is not signed", {"pck_chain_invalid"}},
    {"tcb info issuer chain", {"tcb_info_chain_invalid"}},
    {"expired", {"tcb_info_expired", "qe_identity_expired", "crl_expired"}},
    {"tcb not supported", {"tcb_not_supported"}},
};

static void check_reason(const json_t *exp, const char *got) {
  char *text = lower(json_string_value(json_object_get(exp, "reason")));
  for (size_t i = 0; i < sizeof reason_map / sizeof reason_map[0]; i++) {
    if (strstr(text, reason_map[i].phrase) == NULL)
      continue;
    for (int j = 0; j < 4 && reason_map[i].codes[j]; j++)
      if (strcmp(got, reason_map[i].codes[j]) == 0) {
        free(text);
        return;
      }
    /* A case whose note says the quote also carries non-zero trailing bytes may be
     * rejected for them first (teectl rejects them; see README of the vectors). */
    char *note = lower(json_string_value(json_object_get(exp, "quote_note")));
    int trailing = strstr(note, "trailing") != NULL && strcmp(got, "quote_trailing_bytes") == 0;
    free(note);
    if (trailing) {
      free(text);
      return;
    }
    fail_msg("reason \"%s\" is not consistent with expected \"%s\"", got, text);
  }
  fail_msg("no reason mapping for expected reason \"%s\" (got %s): extend reason_map", text, got);
}

typedef struct {
  tc_buf quote;
  tc_collateral col;
  int64_t at;
  json_t *exp;
} vcase;

static void load_case(const char *name, vcase *c) {
  char *dir = test_path(g_dir, name);
  char *p = test_path(dir, "expected.json");
  json_error_t je;
  c->exp = json_load_file(p, 0, &je);
  free(p);
  assert_non_null(c->exp);
  p = test_path(dir, "quote.bin");
  c->quote = test_read_file(p);
  free(p);
  dcap_test_load_collateral(dir, &c->col);
  free(dir);
  tc_error err;
  assert_int_equal(
      tc_rfc3339_parse(json_string_value(json_object_get(c->exp, "verify_at")), &c->at, &err),
      TC_OK);
}

static void unload_case(vcase *c) {
  json_decref(c->exp);
  tc_buf_free(&c->quote);
  dcap_test_free_collateral(&c->col);
}

/* Through g_cache, the case gives st / err / res of the uncached verification. */
static void same_cached(const char *name, const vcase *c, tc_status st, const tc_error *err,
                        const json_t *res) {
  tc_error e;
  json_t *r = NULL;
  tc_status s = tc_dcap_verify_cached(c->quote.data, c->quote.len, &c->col, c->at, g_cache, &r, &e);
  if (s != st ||
      (st != TC_OK && (strcmp(e.reason, err->reason) != 0 || strcmp(e.detail, err->detail) != 0)))
    fail_msg("%s: uncached %d %s (%s), cached %d %s (%s)", name, st, err->reason, err->detail, s,
             e.reason, e.detail);
  if (!json_equal((json_t *)res, r)) {
    char *a = json_dumps(res, JSON_SORT_KEYS), *b = json_dumps(r, JSON_SORT_KEYS);
    fail_msg("%s: the cached result differs:\n%s\n%s", name, a, b);
  }
  json_decref(r);
}

/* Once every case went through g_cache: each again, warm, as uncached. */
static void run_warm(void **state) {
  char **names = *state;
  size_t n = 0;
  for (; names[n] != NULL; n++) {
    vcase c;
    load_case(names[n], &c);
    tc_error err;
    json_t *res = NULL;
    tc_status st = tc_dcap_verify(c.quote.data, c.quote.len, &c.col, c.at, &res, &err);
    same_cached(names[n], &c, st, &err, res);
    json_decref(res);
    unload_case(&c);
  }
  uint64_t hits, misses;
  size_t entries;
  tc_dcap_cache_counts(g_cache, &hits, &misses, &entries);
  print_message("  %zu cases warm: %llu hits, %llu misses, %zu entries\n", n,
                (unsigned long long)hits, (unsigned long long)misses, entries);
  assert_true(hits > misses);
}

static void run_case(void **state) {
  const char *name = *state;
  char *dir = test_path(g_dir, name);
  char *p = test_path(dir, "expected.json");
  json_error_t je;
  json_t *exp = json_load_file(p, 0, &je);
  free(p);
  assert_non_null(exp);
  p = test_path(dir, "quote.bin");
  tc_buf quote = test_read_file(p);
  free(p);
  tc_collateral col;
  dcap_test_load_collateral(dir, &col);
  int64_t at;
  tc_error err;
  assert_int_equal(
      tc_rfc3339_parse(json_string_value(json_object_get(exp, "verify_at")), &at, &err), TC_OK);

  json_t *res = NULL;
  tc_status st = tc_dcap_verify(quote.data, quote.len, &col, at, &res, &err);
  assert_non_null(res);
  {
    const vcase c = {quote, col, at, exp};
    same_cached(name, &c, st, &err, res);
  }
  const char *verdict = json_string_value(json_object_get(exp, "verdict"));
  print_message("  %s: %s / %s %s\n", name, json_string_value(json_object_get(res, "verdict")),
                st == TC_OK ? "ok" : err.reason, st == TC_OK ? "" : err.detail);
  assert_string_equal(json_string_value(json_object_get(res, "verdict")), verdict);
  assert_int_equal(st == TC_OK, strcmp(verdict, "valid") == 0);
  expect_match(json_object_get(exp, "tcb_status"), json_object_get(res, "tcb_status"),
               "tcb_status");
  expect_match(json_object_get(exp, "tee"), json_object_get(res, "tee"), "tee");
  expect_match(json_object_get(exp, "quote_version"), json_object_get(res, "quote_version"),
               "quote_version");

  if (strcmp(verdict, "valid") == 0) {
    /* Real quotes: every chain ends at the pinned Intel SGX Root CA (no --trust-root). */
    assert_string_equal(json_string_value(json_object_get(res, "trust_anchor")), "vendor_pinned");
    /* Intel's TCB recovery counters, as the vector's own signed documents give them */
    static const char *const docs[2][3] = {{"tcb_info.json", "tcbInfo", "tcb_info"},
                                           {"qe_identity.json", "enclaveIdentity", "qe_identity"}};
    for (int d = 0; d < 2; d++) {
      char path[1024];
      snprintf(path, sizeof path, "%s/%s", dir, docs[d][0]);
      json_t *doc = json_load_file(path, 0, NULL);
      assert_non_null(doc);
      json_t *want = json_object_get(json_object_get(doc, docs[d][1]), "tcbEvaluationDataNumber");
      assert_true(json_is_integer(want));
      json_t *got = json_object_get(json_object_get(res, "tcb_evaluation_data_number"), docs[d][2]);
      assert_true(json_is_integer(got));
      assert_int_equal(json_integer_value(got), json_integer_value(want));
      json_decref(doc);
    }
    static const char *keys[] = {"advisory_ids", "fmspc",      "pce_id",       "qe_vendor_id",
                                 "pck_tcb",      "tcb_detail", "policy_flags", "validity_window"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
      if (json_object_get(exp, keys[i]) != NULL)
        expect_match(json_object_get(exp, keys[i]), json_object_get(res, keys[i]), keys[i]);
  } else {
    assert_string_equal(json_string_value(json_object_get(res, "reason")), err.reason);
    check_reason(exp, err.reason);
    /* Where verification got that far, what it found must agree too. */
    static const char *keys[] = {"fmspc", "pce_id", "pck_tcb", "tcb_detail", "policy_flags"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
      if (json_object_get(exp, keys[i]) != NULL && json_object_get(res, keys[i]) != NULL)
        expect_match(json_object_get(exp, keys[i]), json_object_get(res, keys[i]), keys[i]);
  }

  /* Parsed fields: a parse_error case must not parse; otherwise the claims agree. */
  const json_t *parsed = json_object_get(exp, "parsed");
  tc_dcap_quote q;
  tc_status pst = tc_dcap_parse(quote.data, quote.len, &q, &err);
  if (json_object_get(parsed, "parse_error") != NULL) {
    assert_int_equal(pst, TC_ERR_PARSE);
  } else if (pst == TC_OK) {
    json_t *claims = tc_dcap_claims(&q);
    assert_non_null(claims);
    expect_match(parsed, claims, "parsed");
    expect_match(parsed, json_object_get(res, "claims"), "claims");
    json_decref(claims);
  } else {
    /* Only the trailing-bytes case may fail to parse while expected.json decoded it. */
    assert_string_equal(err.reason, "quote_trailing_bytes");
    assert_true(json_integer_value(json_object_get(parsed, "trailing_bytes_after_sig_data")) > 0);
  }
  json_decref(res);
  json_decref(exp);
  tc_buf_free(&quote);
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
  size_t n = 0;
  while (names[n])
    n++;
  assert_true(n > 0);
  tc_error err;
  assert_int_equal(tc_dcap_cache_new(64, &g_cache, &err), TC_OK);
  struct CMUnitTest *tests = calloc(n + 1, sizeof *tests);
  for (size_t i = 0; i < n; i++) {
    tests[i].name = names[i];
    tests[i].test_func = run_case;
    tests[i].initial_state = names[i];
  }
  tests[n].name = "every case again, warm";
  tests[n].test_func = run_warm;
  tests[n].initial_state = names;
  int rc = _cmocka_run_group_tests("dcap_vectors", tests, n + 1, NULL, NULL);
  tc_dcap_cache_free(g_cache);
  free(tests);
  test_free_list(names);
  free(dir);
  return rc;
}
