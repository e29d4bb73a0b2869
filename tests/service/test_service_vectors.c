/* SPDX-License-Identifier: Apache-2.0 */
/* The attestation service on the real evidence of ../shared/vectors: for every SNP and
 * DCAP case, a `teectl serve` with --at <verify_at> and the explicit test flag
 * --test-no-nonce (real evidence cannot carry our nonce) answers POST /v1/attest as the
 * case's expected.json and the documented strict default policy (docs/policy.md) say:
 *   verdict invalid                        -> 403 evidence_invalid (SNP: the expected reason)
 *   valid, but debug / migration agent /
 *   report version / TCB status not OK     -> 403 contraindicated naming exactly those rules
 *   valid and nothing failed               -> 200, token with ear.status "warning"
 *                                             (no reference values: unappraised)
 * Then, on real TDX and SGX evidence, every TDX/SGX policy rule is violated on its own
 * through the HTTP API (reference values taken from expected.json), with the policy file
 * reloaded between requests. Tokens are checked by check_token.py, not by teectl. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "teectl/file.h"
#include "testlib.h"

static const char *VEC;

static json_t *load_expected(const char *dir) {
  char *p = test_path(dir, "expected.json");
  json_t *j = json_load_file(p, 0, NULL);
  if (j == NULL)
    fail_msg("cannot read %s", p);
  free(p);
  return j;
}

static char *file_b64(const char *dir, const char *name) {
  char *p = test_path(dir, name);
  tc_buf b = test_read_file(p);
  char *out = b64_std(b.data, b.len);
  tc_buf_free(&b);
  free(p);
  return out;
}

static char *file_pem(const char *dir, const char *name) {
  char *p = test_path(dir, name);
  tc_buf b = test_read_file(p);
  free(p);
  char *out;
  if (strstr(name, ".der") != NULL)
    out = der_to_pem(b.data, b.len);
  else
    out = strndup((const char *)b.data, b.len);
  tc_buf_free(&b);
  return out;
}

static int exists(const char *dir, const char *name) {
  char *p = test_path(dir, name);
  int e = tc_file_exists(p);
  free(p);
  return e;
}

static json_t *sorted_strings(json_t *arr) {
  /* jansson has no sort: rebuild as a JSON array of the strings in sorted order. */
  size_t n = json_array_size(arr);
  const char **v = calloc(n + 1, sizeof *v);
  for (size_t i = 0; i < n; i++)
    v[i] = json_string_value(json_array_get(arr, i));
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      if (v[i] && v[j] && strcmp(v[i], v[j]) > 0) {
        const char *t = v[i];
        v[i] = v[j];
        v[j] = t;
      }
  json_t *out = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(out, json_string(v[i] ? v[i] : ""));
  free(v);
  return out;
}

static json_t *rule_names(json_t *failed_rules) {
  json_t *names = json_array();
  size_t i;
  json_t *r;
  json_array_foreach(failed_rules, i, r) json_array_append(names, json_object_get(r, "rule"));
  json_t *s = sorted_strings(names);
  json_decref(names);
  return s;
}

/* Start a server for one case; policy NULL: the default policy. */
static void start_case(srv *s, const char *verify_at, const char *collateral_dir,
                       const char *policy) {
  srv_init(s);
  const char *args[] = {"--test-no-nonce", "--at", verify_at, NULL, NULL, NULL, NULL, NULL};
  int n = 3;
  if (collateral_dir) {
    args[n++] = "--collateral";
    args[n++] = collateral_dir;
  }
  if (policy) {
    args[n++] = "--policy";
    args[n++] = policy;
  }
  assert_int_equal(srv_start(s, args), 0);
}

/* An SNP reason code and the expected.json check names it stands for (README: when a
 * case fails several checks, any of those failures is a correct rejection). */
static int snp_reason_ok(const char *reason, json_t *exp) {
  static const struct {
    const char *reason, *checks[3];
  } map[] = {{"report_signature_invalid", {"report_signature_ok"}},
             {"cert_chain_invalid", {"leaf_signed_by_ask", "ask_signed_by_ark"}},
             {"vcek_chip_mismatch", {"chip_id_matches_hwID"}},
             {"unsupported_report_version", {"version_supported_2_3_5"}},
             {"report_truncated", {"report_length_ok"}}};
  if (strcmp(reason, json_string_value(json_object_get(exp, "reason"))) == 0)
    return 1;
  json_t *failing = json_object_get(exp, "expected_failing_checks");
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
    if (strcmp(map[i].reason, reason) != 0)
      continue;
    for (int k = 0; k < 3 && map[i].checks[k]; k++) {
      size_t j;
      json_t *c;
      json_array_foreach(failing, j,
                         c) if (strcmp(json_string_value(c), map[i].checks[k]) == 0) return 1;
    }
  }
  return 0;
}

static void check_answer(const srv *s, const char *name, long st, json_t *resp, json_t *exp,
                         const char *tee, json_t *want_rules, int snp_reason) {
  const char *verdict = json_string_value(json_object_get(exp, "verdict"));
  char *t = json_dumps(resp, JSON_COMPACT);
  print_message("%s: %ld %.200s\n", name, st, t ? t : "");
  free(t);
  if (strcmp(verdict, "invalid") == 0) {
    assert_int_equal(st, 403);
    assert_string_equal(resp_error(resp), "evidence_invalid");
    const char *reason = json_string_value(json_object_get(resp, "reason"));
    assert_non_null(reason);
    assert_true(strlen(reason) > 0);
    if (snp_reason && !snp_reason_ok(reason, exp))
      fail_msg("%s: reason %s does not match expected.json reason/expected_failing_checks", name,
               reason);
    assert_null(json_object_get(resp, "token"));
    return;
  }
  if (json_array_size(want_rules) > 0) {
    if (st != 403)
      fail_msg("%s: expected 403 contraindicated, got %ld", name, st);
    assert_string_equal(resp_error(resp), "contraindicated");
    json_t *got = rule_names(json_object_get(resp, "failed_rules"));
    json_t *want = sorted_strings(want_rules);
    if (!json_equal(got, want)) {
      char *g = json_dumps(got, JSON_COMPACT), *w = json_dumps(want, JSON_COMPACT);
      fail_msg("%s: failed_rules %s, expected %s", name, g, w);
    }
    json_decref(got);
    json_decref(want);
    assert_null(json_object_get(resp, "token"));
    return;
  }
  if (st != 200)
    fail_msg("%s: expected 200 (warning), got %ld", name, st);
  const char *tok = json_string_value(json_object_get(resp, "token"));
  assert_non_null(tok);
  json_t *expect = json_pack("{s:s, s:s, s:b, s:[]}", "tee", tee, "status", "warning",
                             "unappraised_nonempty", 1, "failed_rules");
  token_batch_add(s, name, tok, expect);
}

/* ---------------------------------------------------------------- SNP, default policy */

static void test_snp_cases(void **state) {
  (void)state;
  char *snp = test_path(VEC, "snp");
  char *index = test_path(snp, "INDEX.tsv");
  char **names = test_index_names(index);
  int n = 0;
  for (char **nm = names; *nm; nm++, n++) {
    char *dir = test_path(snp, *nm);
    json_t *exp = load_expected(dir);
    const char *at = json_string_value(json_object_get(exp, "verify_at"));
    /* Every other valid case carries the endorsements in the request (as a guest that
     * got them from its host would; the verifier sorts them by role); the others, and
     * the negative cases (whose reason depends on which file holds which role), use the
     * server's collateral folder, as a node with a collateral cache would. */
    int in_request =
        n % 2 == 0 && strcmp(json_string_value(json_object_get(exp, "verdict")), "valid") == 0;
    srv s;
    start_case(&s, at, in_request ? NULL : dir, NULL);
    json_t *certs = json_array();
    if (in_request) {
      const char *leaf = exists(dir, "vlek.der") ? "vlek.der" : "vcek.der";
      const char *files[] = {"ark.pem", "ask.pem", leaf};
      for (int i = 0; i < 3; i++)
        if (exists(dir, files[i])) {
          char *pem = file_pem(dir, files[i]);
          json_array_append_new(certs, json_string(pem));
          free(pem);
        }
    }
    char *ev = file_b64(dir, "report.bin");
    json_t *resp = NULL;
    long st = http_json(&s, "/v1/attest",
                        json_pack("{s:s, s:s, s:{s:o}}", "tee", "snp", "evidence", ev, "collateral",
                                  "certificates", certs),
                        &resp);
    free(ev);
    /* Rules the strict default policy must fail, from the expected parsed fields. */
    json_t *fields = json_object_get(exp, "fields");
    json_t *pol = json_object_get(fields, "policy_decoded");
    json_int_t version = json_integer_value(json_object_get(fields, "version"));
    json_t *rules = json_array();
    if (version != 2 && version != 3 && version != 5)
      json_array_append_new(rules, json_string("snp.report_versions"));
    if (json_is_true(json_object_get(pol, "debug")))
      json_array_append_new(rules, json_string("snp.allow_debug"));
    if (json_is_true(json_object_get(pol, "migrate_ma")))
      json_array_append_new(rules, json_string("snp.allow_migration_agent"));
    check_answer(&s, *nm, st, resp, exp, "snp", rules, 1);
    json_decref(rules);
    json_decref(resp);
    assert_int_equal(srv_stop(&s), 0);
    srv_cleanup(&s);
    json_decref(exp);
    free(dir);
  }
  assert_true(n >= 20);
  test_free_list(names);
  free(index);
  free(snp);
}

/* ---------------------------------------------------------------- DCAP, default policy */

static void test_dcap_cases(void **state) {
  (void)state;
  char *dcap = test_path(VEC, "dcap");
  char *index = test_path(dcap, "INDEX.tsv");
  char **names = test_index_names(index);
  int n = 0;
  for (char **nm = names; *nm; nm++, n++) {
    char *dir = test_path(dcap, *nm);
    json_t *exp = load_expected(dir);
    const char *at = json_string_value(json_object_get(exp, "verify_at"));
    const char *tee = json_string_value(json_object_get(exp, "tee"));
    if (tee == NULL)
      tee = strncmp(*nm, "neg-sgx", 7) == 0 || strncmp(*nm, "sgx", 3) == 0 ? "sgx" : "tdx";
    srv s;
    start_case(&s, at, dir, NULL);
    char *ev = file_b64(dir, "quote.bin");
    json_t *resp = NULL;
    long st =
        http_json(&s, "/v1/attest", json_pack("{s:s, s:s}", "tee", tee, "evidence", ev), &resp);
    free(ev);
    json_t *rules = json_array();
    const char *tcb = json_string_value(json_object_get(exp, "tcb_status"));
    json_t *flags = json_object_get(exp, "policy_flags");
    char rule[64];
    if (tcb != NULL && strcmp(tcb, "UpToDate") != 0) {
      snprintf(rule, sizeof rule, "%s.tcb_status", tee);
      json_array_append_new(rules, json_string(rule));
    }
    if (json_is_true(json_object_get(flags, "debug"))) {
      snprintf(rule, sizeof rule, "%s.allow_debug", tee);
      json_array_append_new(rules, json_string(rule));
    }
    check_answer(&s, *nm, st, resp, exp, tee, rules, 0);
    json_decref(rules);
    json_decref(resp);
    assert_int_equal(srv_stop(&s), 0);
    srv_cleanup(&s);
    json_decref(exp);
    free(dir);
  }
  assert_true(n >= 30);
  test_free_list(names);
  free(index);
  free(dcap);
}

/* ---------------------------------------------------------------- each TDX/SGX rule alone */

struct variant {
  const char *rule;  /* the one rule that must fail */
  const char *patch; /* JSON merged into the TEE section of the base policy */
};

static char *flip_hex(const char *hex) {
  char *s = strdup(hex);
  s[0] = s[0] == '0' ? '1' : '0';
  return s;
}

static void write_policy(srv *s, const char *tee, json_t *section) {
  json_t *pol = json_pack("{s:s, s:O}", "id", "vectors-rules", tee, section);
  char *text = json_dumps(pol, JSON_COMPACT);
  free(srv_write(s, "policy.json", text, strlen(text)));
  free(text);
  json_decref(pol);
}

static void run_rules(const char *case_name, const char *tee, json_t *base, const struct variant *v,
                      size_t nv, const char *base_status) {
  char *dir = test_path(VEC, "dcap");
  char *cdir = test_path(dir, case_name);
  json_t *exp = load_expected(cdir);
  srv s;
  srv_init(&s);
  write_policy(&s, tee, base);
  char *policy = strdup(srv_path(&s, "policy.json"));
  const char *args[] = {"--test-no-nonce",
                        "--at",
                        json_string_value(json_object_get(exp, "verify_at")),
                        "--collateral",
                        cdir,
                        "--policy",
                        policy,
                        NULL};
  assert_int_equal(srv_start(&s, args), 0);
  char *ev = file_b64(cdir, "quote.bin");
  /* Base policy: reference values all match. */
  json_t *resp;
  long st = http_json(&s, "/v1/attest", json_pack("{s:s, s:s}", "tee", tee, "evidence", ev), &resp);
  if (st != 200) {
    char *t = json_dumps(resp, JSON_COMPACT);
    fail_msg("%s base policy: %ld %s", case_name, st, t);
  }
  /* Real quotes: the token names the pinned Intel root as the trust anchor. */
  json_t *expect =
      json_pack("{s:s, s:s, s:s, s:{s:s}}", "tee", tee, "status", base_status, "policy_id",
                "vectors-rules", "claims", "trust_anchor", "vendor_pinned");
  assert_int_equal(check_token(&s, json_string_value(json_object_get(resp, "token")), expect), 0);
  json_decref(resp);
  for (size_t i = 0; i < nv; i++) {
    json_t *section = json_deep_copy(base);
    json_t *patch = json_loads(v[i].patch, 0, NULL);
    assert_non_null(patch);
    json_object_update(section, patch);
    json_decref(patch);
    write_policy(&s, tee, section);
    json_decref(section);
    st = http_json(&s, "/v1/attest", json_pack("{s:s, s:s}", "tee", tee, "evidence", ev), &resp);
    json_t *names = rule_names(json_object_get(resp, "failed_rules"));
    char *got = json_dumps(names, JSON_COMPACT);
    print_message("%s %s: %ld %s\n", case_name, v[i].rule, st, got);
    if (st != 403 || json_array_size(names) != 1 ||
        strcmp(json_string_value(json_array_get(names, 0)), v[i].rule) != 0)
      fail_msg("%s: violating %s alone gave %ld %s", case_name, v[i].rule, st, got);
    assert_string_equal(resp_error(resp), "contraindicated");
    free(got);
    json_decref(names);
    json_decref(resp);
  }
  free(ev);
  assert_int_equal(srv_stop(&s), 0);
  srv_cleanup(&s);
  free(policy);
  json_decref(exp);
  free(cdir);
  free(dir);
}

static void test_tdx_rules(void **state) {
  (void)state;
  char *dir = test_path(VEC, "dcap");
  char *cdir = test_path(dir, "tdx-v4-gcp-cos-00806f050000");
  json_t *exp = load_expected(cdir);
  json_t *p = json_object_get(exp, "parsed");
  const char *fields[] = {"mr_td",   "rtmr0",        "rtmr1",    "rtmr2",          "rtmr3",
                          "mr_seam", "mr_config_id", "mr_owner", "mr_owner_config"};
  json_t *base = json_object();
  for (size_t i = 0; i < 9; i++)
    json_object_set_new(base, fields[i],
                        json_pack("[s]", json_string_value(json_object_get(p, fields[i]))));
  /* min_tee_tcb_svn = the quote's TEE_TCB_SVN bytes */
  const char *svn = json_string_value(json_object_get(p, "tee_tcb_svn"));
  json_t *svns = json_array();
  for (int i = 0; i < 16; i++) {
    unsigned b;
    sscanf(svn + 2 * i, "%2x", &b);
    json_array_append_new(svns, json_integer(b));
  }
  unsigned first;
  sscanf(svn, "%2x", &first);
  json_object_set_new(base, "min_tee_tcb_svn", svns);
  struct variant v[16];
  char patches[16][256];
  size_t n = 0;
  v[n++] = (struct variant){"tdx.quote_versions", "{\"quote_versions\": [5]}"};
  v[n++] =
      (struct variant){"tdx.tcb_status", "{\"tcb_status\": {\"UpToDate\": \"contraindicated\"}}"};
  snprintf(patches[n], sizeof patches[n],
           "{\"min_tee_tcb_svn\": [%u,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}", first + 1);
  v[n] = (struct variant){"tdx.min_tee_tcb_svn", patches[n]};
  n++;
  for (size_t i = 0; i < 9; i++) {
    char *bad = flip_hex(json_string_value(json_object_get(p, fields[i])));
    snprintf(patches[n], sizeof patches[n], "{\"%s\": [\"%s\"]}", fields[i], bad);
    free(bad);
    static char rules[9][32];
    snprintf(rules[i], sizeof rules[i], "tdx.%s", fields[i]);
    v[n] = (struct variant){rules[i], patches[n]};
    n++;
  }
  run_rules("tdx-v4-gcp-cos-00806f050000", "tdx", base, v, n, "affirming");
  json_decref(base);
  json_decref(exp);
  free(cdir);
  /* SEPT_VE_DISABLE and advisories: real evidence with sept_ve_disable=false and
   * OutOfDate advisories; the base policy accepts OutOfDate (so the rest is warning). */
  json_t *base2 =
      json_pack("{s:{s:s, s:s}}", "tcb_status", "UpToDate", "affirming", "OutOfDate", "affirming");
  const struct variant v2[] = {
      {"tdx.require_sept_ve_disable", "{\"require_sept_ve_disable\": true}"},
      {"tdx.rejected_advisory_ids", "{\"rejected_advisory_ids\": [\"INTEL-SA-00982\"]}"},
  };
  run_rules("tdx-v4-azure-septve-off-00806f050000", "tdx", base2, v2, 2, "warning");
  json_decref(base2);
  free(dir);
}

static void test_sgx_rules(void **state) {
  (void)state;
  char *dir = test_path(VEC, "dcap");
  char *cdir = test_path(dir, "sgx-v3-phala-00a067110000-2025");
  json_t *exp = load_expected(cdir);
  json_t *p = json_object_get(exp, "parsed");
  const char *mre = json_string_value(json_object_get(p, "mr_enclave"));
  const char *mrs = json_string_value(json_object_get(p, "mr_signer"));
  json_int_t prod = json_integer_value(json_object_get(p, "isv_prod_id"));
  json_int_t isvsvn = json_integer_value(json_object_get(p, "isv_svn"));
  const char *tcb = json_string_value(json_object_get(exp, "tcb_status"));
  json_t *base = json_pack("{s:{s:s, s:s}, s:[s], s:[s], s:[I], s:I}", "tcb_status", "UpToDate",
                           "affirming", tcb, "affirming", "mr_enclave", mre, "mr_signer", mrs,
                           "isv_prod_id", prod, "min_isv_svn", isvsvn);
  char *bad_e = flip_hex(mre), *bad_s = flip_hex(mrs);
  char pe[160], ps[160], pp[64], pv[64];
  snprintf(pe, sizeof pe, "{\"mr_enclave\": [\"%s\"]}", bad_e);
  snprintf(ps, sizeof ps, "{\"mr_signer\": [\"%s\"]}", bad_s);
  snprintf(pp, sizeof pp, "{\"isv_prod_id\": [%lld]}", (long long)prod + 1);
  snprintf(pv, sizeof pv, "{\"min_isv_svn\": %lld}", (long long)isvsvn + 1);
  const char *adv = json_string_value(json_array_get(json_object_get(exp, "advisory_ids"), 0));
  char pa[128];
  snprintf(pa, sizeof pa, "{\"rejected_advisory_ids\": [\"%s\"]}", adv);
  const struct variant v[] = {
      {"sgx.quote_versions", "{\"quote_versions\": [4]}"},
      {"sgx.tcb_status", "{\"tcb_status\": {\"UpToDate\": \"affirming\"}}"},
      {"sgx.rejected_advisory_ids", pa},
      {"sgx.mr_enclave", pe},
      {"sgx.mr_signer", ps},
      {"sgx.isv_prod_id", pp},
      {"sgx.min_isv_svn", pv},
  };
  run_rules("sgx-v3-phala-00a067110000-2025", "sgx", base, v, sizeof v / sizeof v[0], "affirming");
  free(bad_e);
  free(bad_s);
  json_decref(base);
  json_decref(exp);
  free(cdir);
  free(dir);
}

/* Runs last: every token the cases above collected, verified in one python process. */
static void test_tokens_independently_verified(void **state) {
  (void)state;
  assert_int_equal(token_batch_run(), 0);
}

int main(int argc, char **argv) {
  VEC = test_vectors_dir(argc, argv, NULL);
  char *snp = test_path(VEC, "snp"), *dcap = test_path(VEC, "dcap");
  test_vectors_dir(argc, argv, "snp");
  test_vectors_dir(argc, argv, "dcap");
  free(snp);
  free(dcap);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_snp_cases),
      cmocka_unit_test(test_dcap_cases),
      cmocka_unit_test(test_tdx_rules),
      cmocka_unit_test(test_sgx_rules),
      cmocka_unit_test(test_tokens_independently_verified),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
