/* SPDX-License-Identifier: Apache-2.0 */
/* Appraisal policy parsing: defaults, ids, and fail-closed rejection of unknown keys,
 * wrong types and out-of-range values (with the key path in the message). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "teectl/appraisal.h"
#include "teectl/file.h"

static const char *doc_path; /* docs/policy.md (argv[1]) */

static tc_status parse(const char *text, tc_policy **p, tc_error *err) {
  return tc_policy_parse(text, strlen(text), "policy.json", p, err);
}

static void test_default(void **state) {
  (void)state;
  tc_policy *p = tc_policy_default();
  assert_non_null(p);
  assert_string_equal(tc_policy_id(p), "teectl-default-strict");
  assert_true(tc_policy_require_nonce(p));
  const json_t *j = tc_policy_json(p);
  assert_false(json_is_true(json_object_get(json_object_get(j, "snp"), "allow_debug")));
  assert_string_equal(json_string_value(json_object_get(
                          json_object_get(json_object_get(j, "tdx"), "tcb_status"), "UpToDate")),
                      "affirming");
  assert_null(
      json_object_get(json_object_get(json_object_get(j, "tdx"), "tcb_status"), "OutOfDate"));
  tc_policy_free(p);
}

static void test_ids(void **state) {
  (void)state;
  tc_policy *p = NULL;
  tc_error err;
  /* SHA-256("{}") = 44136fa3...: a well-known constant */
  assert_int_equal(parse("{}", &p, &err), TC_OK);
  assert_string_equal(tc_policy_id(p),
                      "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  assert_true(tc_policy_require_nonce(p));
  tc_policy_free(p);
  assert_int_equal(parse("{\"id\": \"prod-2025-07\", \"require_nonce\": false}", &p, &err), TC_OK);
  assert_string_equal(tc_policy_id(p), "prod-2025-07");
  assert_false(tc_policy_require_nonce(p));
  tc_policy_free(p);
}

static void test_merge_and_normalise(void **state) {
  (void)state;
  tc_policy *p = NULL;
  tc_error err;
  const char *text = "{\"snp\": {\"allow_smt\": false, \"measurements\": "
                     "[\"C57729018B0A6FB90DC17BB138B0AA35E4401004283FF4A2C24D3739FF3750F5"
                     "2384370E77B7032862A08C440A9BC4DC\"]},"
                     " \"tdx\": {\"tcb_status\": {\"OutOfDate\": \"warning\"}}}";
  assert_int_equal(parse(text, &p, &err), TC_OK);
  const json_t *snp = json_object_get(tc_policy_json(p), "snp");
  /* untouched defaults stay */
  assert_false(json_is_true(json_object_get(snp, "allow_debug")));
  assert_int_equal(json_array_size(json_object_get(snp, "report_versions")), 3);
  assert_false(json_is_true(json_object_get(snp, "allow_smt")));
  assert_string_equal(json_string_value(json_array_get(json_object_get(snp, "measurements"), 0)),
                      "c57729018b0a6fb90dc17bb138b0aa35e4401004283ff4a2c24d3739ff3750f5"
                      "2384370e77b7032862a08c440a9bc4dc");
  const json_t *map = json_object_get(json_object_get(tc_policy_json(p), "tdx"), "tcb_status");
  assert_string_equal(json_string_value(json_object_get(map, "OutOfDate")), "warning");
  assert_string_equal(json_string_value(json_object_get(map, "UpToDate")), "affirming");
  tc_policy_free(p);
}

struct bad_case {
  const char *text;
  const char *reason;
  const char *in_detail;
};

static void test_rejections(void **state) {
  (void)state;
  static const struct bad_case cases[] = {
      {"", "policy_json_invalid", "policy.json:"},
      {"{\"snp\": {", "policy_json_invalid", "policy.json:1:"},
      {"[1, 2]", "policy_json_invalid", "expected a JSON object"},
      {"{\"id\": \"a\", \"id\": \"b\"}", "policy_json_invalid", "duplicate"},
      {"{\"snpp\": {}}", "policy_unknown_key", "'snpp'"},
      {"{\"snp\": {\"debugg\": false}}", "policy_unknown_key", "'snp.debugg'"},
      {"{\"snp\": {\"min_tcb\": {\"microcod\": 1}}}", "policy_unknown_key",
       "'snp.min_tcb.microcod'"},
      {"{\"sgx\": {\"mr_td\": []}}", "policy_unknown_key", "'sgx.mr_td'"},
      {"{\"tdx\": {\"tcb_status\": {\"Fine\": \"affirming\"}}}", "policy_unknown_key",
       "tdx.tcb_status.Fine"},
      {"{\"tdx\": {\"tcb_status\": {\"OutOfDate\": \"ok\"}}}", "policy_value_invalid",
       "tdx.tcb_status.OutOfDate"},
      {"{\"sgx\": {\"tcb_status\": {\"Revoked\": \"warning\"}}}", "policy_value_invalid",
       "sgx.tcb_status.Revoked"},
      {"{\"require_nonce\": \"yes\"}", "policy_value_invalid", "require_nonce"},
      {"{\"id\": \"\"}", "policy_value_invalid", "id"},
      {"{\"snp\": {\"allow_debug\": 0}}", "policy_value_invalid", "snp.allow_debug"},
      {"{\"snp\": []}", "policy_value_invalid", "snp: expected an object"},
      {"{\"snp\": {\"vmpls\": [4]}}", "policy_value_invalid", "snp.vmpls[0]"},
      {"{\"snp\": {\"vmpls\": []}}", "policy_value_invalid", "snp.vmpls"},
      {"{\"snp\": {\"report_versions\": [2, 3.5]}}", "policy_value_invalid",
       "snp.report_versions[1]"},
      {"{\"snp\": {\"min_tcb\": {\"snp\": 256}}}", "policy_value_invalid", "snp.min_tcb.snp"},
      {"{\"snp\": {\"min_tcb\": {}}}", "policy_value_invalid", "snp.min_tcb"},
      {"{\"snp\": {\"measurements\": [\"00\"]}}", "policy_value_invalid",
       "snp.measurements[0]: expected 96 hex digits (48 bytes)"},
      {"{\"snp\": {\"host_data\": "
       "[\"zz00000000000000000000000000000000000000000000000000000000000000"
       "\"]}}",
       "policy_value_invalid", "snp.host_data[0]"},
      {"{\"tdx\": {\"mr_td\": [\"" /* 48 bytes ok, then 47 */
       "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
       "000000\", \"00\"]}}",
       "policy_value_invalid", "tdx.mr_td[1]"},
      {"{\"tdx\": {\"min_tee_tcb_svn\": [1, 2, 3]}}", "policy_value_invalid",
       "tdx.min_tee_tcb_svn"},
      {"{\"sgx\": {\"isv_prod_id\": [65536]}}", "policy_value_invalid", "sgx.isv_prod_id[0]"},
      {"{\"sgx\": {\"min_isv_svn\": -1}}", "policy_value_invalid", "sgx.min_isv_svn"},
      {"{\"sgx\": {\"rejected_advisory_ids\": [\"\"]}}", "policy_value_invalid",
       "sgx.rejected_advisory_ids[0]"},
      {"{\"snp\": {\"vmpls\": 0}}", "policy_value_invalid", "snp.vmpls: expected an array"},
      {"{\"tdx\": {\"tcb_status\": [\"UpToDate\"]}}", "policy_value_invalid",
       "tdx.tcb_status: expected an object mapping TCB status names to ear.status"},
      {"{\"resources\": {}}", "policy_value_invalid", "resources: expected an array"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tc_policy *p = (tc_policy *)1;
    tc_error err;
    tc_status st = parse(cases[i].text, &p, &err);
    if (st != TC_ERR_PARSE || strcmp(err.reason, cases[i].reason) != 0 ||
        !strstr(err.detail, cases[i].in_detail))
      fail_msg("case %zu (%s): got status %d reason %s detail %s", i, cases[i].text, st, err.reason,
               err.detail);
    assert_null(p);
  }
}

/* The example in docs/policy.md (its first ```json block) is a valid policy. */
static void test_documented_example(void **state) {
  (void)state;
  if (!doc_path)
    skip();
  tc_buf b = {0};
  tc_error err;
  assert_int_equal(tc_file_read(doc_path, 1 << 20, &b, &err), TC_OK);
  char *text = malloc(b.len + 1);
  assert_non_null(text);
  memcpy(text, b.data, b.len);
  text[b.len] = '\0';
  char *start = strstr(text, "```json\n");
  assert_non_null(start);
  start += 8;
  char *end = strstr(start, "```");
  assert_non_null(end);
  tc_policy *p = NULL;
  if (tc_policy_parse(start, (size_t)(end - start), "docs/policy.md", &p, &err) != TC_OK)
    fail_msg("%s: %s", err.reason, err.detail);
  assert_string_equal(tc_policy_id(p), "prod-2025-07");
  const json_t *tdx = json_object_get(tc_policy_json(p), "tdx");
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(tdx, "tcb_status"), "SWHardeningNeeded")),
      "warning");
  tc_policy_free(p);
  /* and the YAML example (first ```yaml block) */
  start = strstr(text, "```yaml\n");
  assert_non_null(start);
  start += 8;
  end = strstr(start, "```");
  assert_non_null(end);
  if (tc_policy_parse(start, (size_t)(end - start), "docs/policy.md", &p, &err) != TC_OK)
    fail_msg("%s: %s", err.reason, err.detail);
  assert_string_equal(tc_policy_id(p), "prod-2025-07");
  tc_policy_free(p);
  free(text);
  tc_buf_free(&b);
}

static const char YAML_POLICY[] =
    "# production policy\n"
    "id: prod-yaml\n"
    "require_nonce: true\n"
    "snp:\n"
    "  measurements:\n"
    "    - c57729018b0a6fb90dc17bb138b0aa35e4401004283ff4a2c24d3739ff3750f5"
    "2384370e77b7032862a08c440a9bc4dc\n"
    "  host_data: [0000000000000000000000000000000000000000000000000000000000000000]\n"
    "  allow_smt: false\n"
    "  min_tcb: {bootloader: 10, snp: 25}\n"
    "  vmpls: [0, 1]\n"
    "tdx:\n"
    "  tcb_status:\n"
    "    OutOfDate: warning\n"
    "  min_tee_tcb_svn: [3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]\n"
    "sgx:\n"
    "  isv_prod_id: [0]\n"
    "  min_isv_svn: 2\n";

static const char JSON_POLICY[] =
    "# the same policy as JSON\n"
    "{\"id\": \"prod-yaml\", \"require_nonce\": true,"
    " \"snp\": {\"measurements\": [\"c57729018b0a6fb90dc17bb138b0aa35e4401004283ff4a2c24d3739"
    "ff3750f52384370e77b7032862a08c440a9bc4dc\"],"
    " \"host_data\": [\"0000000000000000000000000000000000000000000000000000000000000000\"],"
    " \"allow_smt\": false, \"min_tcb\": {\"bootloader\": 10, \"snp\": 25}, \"vmpls\": [0, 1]},"
    " \"tdx\": {\"tcb_status\": {\"OutOfDate\": \"warning\"},"
    " \"min_tee_tcb_svn\": [3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]},"
    " \"sgx\": {\"isv_prod_id\": [0], \"min_isv_svn\": 2}}";

static void test_yaml_equals_json(void **state) {
  (void)state;
  tc_policy *py = NULL, *pj = NULL;
  tc_error err;
  if (parse(YAML_POLICY, &py, &err) != TC_OK)
    fail_msg("yaml: %s: %s", err.reason, err.detail);
  if (parse(JSON_POLICY, &pj, &err) != TC_OK)
    fail_msg("json: %s: %s", err.reason, err.detail);
  assert_true(json_equal(tc_policy_json(py), tc_policy_json(pj)));
  assert_int_equal(
      json_integer_value(json_object_get(
          json_object_get(json_object_get(tc_policy_json(py), "snp"), "min_tcb"), "snp")),
      25);
  tc_policy_free(py);
  tc_policy_free(pj);
}

static void test_yaml_rejections(void **state) {
  (void)state;
  static const struct bad_case cases[] = {
      {"snp:\n  debugg: false\n", "policy_unknown_key", "'snp.debugg'"},
      {"snp:\n  allow_debug: yes\n", "policy_value_invalid", "snp.allow_debug"}, /* not a bool */
      {"sgx:\n  min_isv_svn: \"3\"\n", "policy_value_invalid", "sgx.min_isv_svn"},
      {"sgx:\n  min_isv_svn: 0x10\n", "policy_value_invalid", "sgx.min_isv_svn"},
      {"sgx:\n  min_isv_svn: 007\n", "policy_value_invalid", "sgx.min_isv_svn"},
      {"snp:\n  vmpls: [0]\n  vmpls: [1]\n", "policy_json_invalid", "duplicate key 'vmpls'"},
      {"a: &x 1\nb: *x\n", "policy_json_invalid", "anchors"},
      {"id: a\n---\nid: b\n", "policy_json_invalid", "only one YAML document"},
      {"id: !!str a\n", "policy_json_invalid", "explicit tags"},
      {"? [a]\n: 1\n", "policy_json_invalid", "mapping keys"},
      {"snp: [unclosed\n", "policy_json_invalid", "policy.json:"},
      {"- 1\n- 2\n", "policy_json_invalid", "YAML mapping"},
      {"# only a comment\n", "policy_json_invalid", "empty document"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tc_policy *p = (tc_policy *)1;
    tc_error err;
    tc_status st = parse(cases[i].text, &p, &err);
    if (st != TC_ERR_PARSE || strcmp(err.reason, cases[i].reason) != 0 ||
        !strstr(err.detail, cases[i].in_detail))
      fail_msg("case %zu (%s): got status %d reason %s detail %s", i, cases[i].text, st, err.reason,
               err.detail);
    assert_null(p);
  }
  /* a plain all-digit value longer than 64 bits stays a string (a hex digest) */
  tc_policy *p = NULL;
  tc_error err;
  const char *digits = "snp:\n  host_data: [1234567890123456789012345678901234567890123456789012"
                       "345678901234]\n";
  if (parse(digits, &p, &err) != TC_OK)
    fail_msg("%s: %s", err.reason, err.detail);
  tc_policy_free(p);
}

int main(int argc, char **argv) {
  doc_path = argc > 1 ? argv[1] : NULL;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_documented_example),
      cmocka_unit_test(test_yaml_equals_json),
      cmocka_unit_test(test_yaml_rejections),
      cmocka_unit_test(test_default),
      cmocka_unit_test(test_ids),
      cmocka_unit_test(test_merge_and_normalise),
      cmocka_unit_test(test_rejections),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
