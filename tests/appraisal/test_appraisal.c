/* SPDX-License-Identifier: Apache-2.0 */
/* Appraisal of verification results built from the shared vectors' expected.json (the
 * claim names the SNP and DCAP verifiers emit): default-policy outcomes, every policy rule
 * violated on its own, TCB status mapping, fail-closed on missing claims. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/testlib.h"
#include "teectl/appraisal.h"

static const char *vectors;

/* ---- building verification results the way verify.h documents them ---------------- */

static json_t *load_expected(const char *sub, const char *name) {
  char rel[512];
  snprintf(rel, sizeof rel, "%s/%s/expected.json", sub, name);
  char *path = test_path(vectors, rel);
  json_error_t jerr;
  json_t *e = json_load_file(path, 0, &jerr);
  if (!e)
    fail_msg("%s: %s", path, jerr.text);
  free(path);
  return e;
}

static void copy_if(json_t *dst, const char *to, const json_t *src, const char *from) {
  json_t *v = json_object_get(src, from);
  if (v && !json_is_null(v))
    json_object_set_new(dst, to, json_deep_copy(v));
}

/* SNP: verdict, reason, tee, product, signing_key, policy_flags, claims (= fields). */
static json_t *snp_result(const char *name) {
  json_t *e = load_expected("snp", name);
  json_t *r = json_pack("{s:s}", "tee", "snp");
  copy_if(r, "verdict", e, "verdict");
  copy_if(r, "reason", e, "reason");
  copy_if(r, "product", e, "product");
  copy_if(r, "signing_key", e, "signing_key");
  copy_if(r, "policy_flags", e, "policy_flags");
  copy_if(r, "claims", e, "fields");
  json_decref(e);
  return r;
}

/* DCAP: verdict, reason, tee, tcb_status, advisory_ids, fmspc, policy_flags, claims (= parsed). */
static json_t *dcap_result(const char *name) {
  json_t *e = load_expected("dcap", name);
  json_t *r = json_object();
  copy_if(r, "tee", e, "tee");
  copy_if(r, "verdict", e, "verdict");
  copy_if(r, "reason", e, "reason");
  copy_if(r, "tcb_status", e, "tcb_status");
  copy_if(r, "advisory_ids", e, "advisory_ids");
  copy_if(r, "fmspc", e, "fmspc");
  copy_if(r, "policy_flags", e, "policy_flags");
  copy_if(r, "claims", e, "parsed");
  json_decref(e);
  /* the TCB recovery counters of the vector's own TCB Info and QE Identity */
  static const char *const docs[2][3] = {{"tcb_info.json", "tcbInfo", "tcb_info"},
                                         {"qe_identity.json", "enclaveIdentity", "qe_identity"}};
  json_t *numbers = json_object();
  for (int d = 0; d < 2; d++) {
    char rel[512];
    snprintf(rel, sizeof rel, "dcap/%s/%s", name, docs[d][0]);
    char *path = test_path(vectors, rel);
    json_t *doc = json_load_file(path, 0, NULL);
    free(path);
    assert_non_null(doc);
    json_object_set(numbers, docs[d][2],
                    json_object_get(json_object_get(doc, docs[d][1]), "tcbEvaluationDataNumber"));
    json_decref(doc);
  }
  json_object_set_new(r, "tcb_evaluation_data_number", numbers);
  return r;
}

static const char *claim_str(const json_t *ver, const char *name) {
  const char *s = json_string_value(json_object_get(json_object_get(ver, "claims"), name));
  assert_non_null(s);
  return s;
}

/* ---- appraisal helpers ------------------------------------------------------------- */

static json_t *appraise_text(const char *policy_text, const json_t *ver) {
  tc_policy *p = NULL;
  tc_error err;
  if (policy_text) {
    if (tc_policy_parse(policy_text, strlen(policy_text), "test", &p, &err) != TC_OK)
      fail_msg("policy %s: %s: %s", policy_text, err.reason, err.detail);
  } else {
    p = tc_policy_default();
  }
  json_t *a = NULL;
  if (tc_appraise(p, ver, &a, &err) != TC_OK)
    fail_msg("tc_appraise: %s: %s", err.reason, err.detail);
  assert_string_equal(json_string_value(json_object_get(a, "ear.appraisal-policy-id")),
                      tc_policy_id(p));
  tc_policy_free(p);
  return a;
}

/* policy JSON: {"<tee>": section} */
static json_t *appraise_sec(const char *tee, const json_t *section, const json_t *ver) {
  json_t *doc = json_pack("{s:O}", tee, section);
  char *text = json_dumps(doc, 0);
  json_t *a = appraise_text(text, ver);
  free(text);
  json_decref(doc);
  return a;
}

static const char *status(const json_t *a) {
  return json_string_value(json_object_get(a, "ear.status"));
}

static json_int_t tv(const json_t *a, const char *claim) {
  return json_integer_value(
      json_object_get(json_object_get(a, "ear.trustworthiness-vector"), claim));
}

static int has_rule(const json_t *a, const char *rule, const char *st) {
  size_t i;
  const json_t *r;
  json_array_foreach(json_object_get(a, "failed_rules"), i, r) {
    if (strcmp(json_string_value(json_object_get(r, "rule")), rule) == 0 &&
        (!st || strcmp(json_string_value(json_object_get(r, "status")), st) == 0))
      return 1;
  }
  return 0;
}

static void dump_on_fail(const json_t *a, const char *what) {
  char *t = json_dumps(a, JSON_INDENT(1));
  fprintf(stderr, "%s: appraisal: %s\n", what, t);
  free(t);
}

/* Exactly one failed rule, `rule`, and ear.status contraindicated. */
static void expect_only(const json_t *section, const char *tee, const json_t *ver,
                        const char *rule) {
  json_t *a = appraise_sec(tee, section, ver);
  if (json_array_size(json_object_get(a, "failed_rules")) != 1 ||
      !has_rule(a, rule, "contraindicated") || strcmp(status(a), "contraindicated") != 0) {
    dump_on_fail(a, rule);
    fail_msg("expected only rule %s to fail", rule);
  }
  json_decref(a);
}

static void expect_affirming(const json_t *section, const char *tee, const json_t *ver,
                             const char *what) {
  json_t *a = appraise_sec(tee, section, ver);
  if (strcmp(status(a), "affirming") != 0 || json_array_size(json_object_get(a, "failed_rules"))) {
    dump_on_fail(a, what);
    fail_msg("expected affirming: %s", what);
  }
  json_decref(a);
}

/* section + one key (new object) */
static json_t *with(const json_t *base, const char *key, json_t *value) {
  json_t *s = json_deep_copy(base);
  json_object_set_new(s, key, value);
  return s;
}

/* ---- SNP -------------------------------------------------------------------------- */

static void test_snp_default_all_vectors(void **state) {
  (void)state;
  char *index = test_path(vectors, "snp/INDEX.tsv");
  char **names = test_index_names(index);
  int n_valid = 0, n_invalid = 0;
  for (size_t i = 0; names[i]; i++) {
    json_t *ver = snp_result(names[i]);
    json_t *a = appraise_text(NULL, ver);
    const json_t *cl = json_object_get(ver, "claims");
    const json_t *pd = json_object_get(cl, "policy_decoded");
    if (strcmp(json_string_value(json_object_get(ver, "verdict")), "valid") == 0) {
      n_valid++;
      /* independent expectation from the vector's fields */
      json_int_t v = json_integer_value(json_object_get(cl, "version"));
      int debug = json_is_true(json_object_get(pd, "debug"));
      int ma = json_is_true(json_object_get(pd, "migrate_ma"));
      int bad = debug || ma || !(v == 2 || v == 3 || v == 5);
      if (strcmp(status(a), bad ? "contraindicated" : "warning") != 0) {
        dump_on_fail(a, names[i]);
        fail_msg("%s: unexpected ear.status", names[i]);
      }
      assert_int_equal(has_rule(a, "snp.allow_debug", NULL), debug);
      assert_int_equal(tv(a, "runtime-opaque"), debug ? 96 : 2);
      assert_int_equal(tv(a, "hardware"), 2);
      assert_int_equal(tv(a, "configuration"), bad ? 96 : 2);
      assert_null(json_object_get(json_object_get(a, "ear.trustworthiness-vector"), "executables"));
      assert_string_equal(json_string_value(json_array_get(json_object_get(a, "unappraised"), 0)),
                          "measurement");
      /* appraised claims carried over */
      assert_string_equal(json_string_value(json_object_get(a, "measurement")),
                          json_string_value(json_object_get(cl, "measurement")));
      assert_int_equal(json_integer_value(json_object_get(a, "report_version")), v);
      assert_true(
          json_equal(json_object_get(a, "reported_tcb"), json_object_get(cl, "reported_tcb")));
      assert_int_equal(json_is_true(json_object_get(a, "debug")), debug);
    } else {
      n_invalid++;
      assert_string_equal(status(a), "contraindicated");
      assert_true(has_rule(a, "verification", "contraindicated"));
      assert_int_equal(json_array_size(json_object_get(a, "failed_rules")), 1);
      assert_int_equal(tv(a, "hardware"), 99);
      assert_int_equal(tv(a, "configuration"), 99);
      assert_int_equal(tv(a, "executables"), 99);
      assert_int_equal(tv(a, "runtime-opaque"), 99);
    }
    json_decref(a);
    json_decref(ver);
  }
  assert_true(n_valid >= 10);
  assert_true(n_invalid >= 5);
  test_free_list(names);
  free(index);
}

static void test_snp_debug_vector(void **state) {
  (void)state;
  json_t *ver = snp_result("milan-v2-gsg-debug-policy");
  json_t *a = appraise_text(NULL, ver);
  assert_string_equal(status(a), "contraindicated");
  assert_true(has_rule(a, "snp.allow_debug", "contraindicated"));
  assert_int_equal(json_array_size(json_object_get(a, "failed_rules")), 1);
  assert_int_equal(tv(a, "runtime-opaque"), 96);
  json_decref(a);
  /* an owner who allows debug and pins the measurement gets affirming */
  json_t *sec =
      json_pack("{s:b, s:[s]}", "allow_debug", 1, "measurements", claim_str(ver, "measurement"));
  expect_affirming(sec, "snp", ver, "debug allowed");
  a = appraise_sec("snp", sec, ver);
  assert_int_equal(tv(a, "executables"), 3);
  assert_int_equal(json_array_size(json_object_get(a, "unappraised")), 0);
  json_decref(a);
  /* the debug bit is still seen without the verifier's policy_flags (policy_decoded) */
  json_object_del(ver, "policy_flags");
  json_decref(sec);
  sec = json_pack("{s:[s]}", "measurements", claim_str(ver, "measurement"));
  expect_only(sec, "snp", ver, "snp.allow_debug");
  json_decref(sec);
  json_decref(ver);
}

static const char *const ZERO32 =
    "0000000000000000000000000000000000000000000000000000000000000000";
static const char *const ONES32 =
    "1111111111111111111111111111111111111111111111111111111111111111";

static void test_snp_each_rule(void **state) {
  (void)state;
  json_t *ver = snp_result("genoa-v5-oak-oc");
  const json_t *cl = json_object_get(ver, "claims");
  const char *m = claim_str(ver, "measurement");
  json_t *base = json_pack("{s:[s]}", "measurements", m);
  expect_affirming(base, "snp", ver, "measurement pinned");

  /* a measurement that differs in its last hex digit */
  char other[97];
  snprintf(other, sizeof other, "%s", m);
  other[95] = other[95] == '0' ? '1' : '0';
  json_t *s;
  s = with(base, "measurements", json_pack("[s]", other));
  expect_only(s, "snp", ver, "snp.measurements");
  json_decref(s);
  s = with(base, "report_versions", json_pack("[i,i]", 2, 3));
  expect_only(s, "snp", ver, "snp.report_versions");
  json_decref(s);
  s = with(base, "allow_smt", json_false()); /* the vector's guest policy allows SMT */
  expect_only(s, "snp", ver, "snp.allow_smt");
  json_decref(s);
  s = with(base, "min_abi", json_pack("{s:i}", "major", 1)); /* vector: abi 0.0 */
  expect_only(s, "snp", ver, "snp.min_abi");
  json_decref(s);
  s = with(base, "min_firmware", json_pack("{s:i, s:i}", "major", 1, "minor", 56)); /* 1.55.43 */
  expect_only(s, "snp", ver, "snp.min_firmware");
  json_decref(s);
  s = with(base, "min_firmware",
           json_pack("{s:i, s:i, s:i}", "major", 1, "minor", 55, "build", 44));
  expect_only(s, "snp", ver, "snp.min_firmware");
  json_decref(s);
  s = with(base, "vmpls", json_pack("[i,i]", 1, 2)); /* vector: VMPL 0 */
  expect_only(s, "snp", ver, "snp.vmpls");
  json_decref(s);
  s = with(base, "host_data", json_pack("[s]", ONES32)); /* vector: zero */
  expect_only(s, "snp", ver, "snp.host_data");
  json_decref(s);
  s = with(base, "family_id", json_pack("[s]", "01000000000000000000000000000000"));
  expect_only(s, "snp", ver, "snp.family_id");
  json_decref(s);
  s = with(base, "image_id", json_pack("[s]", "ffffffffffffffffffffffffffffffff"));
  expect_only(s, "snp", ver, "snp.image_id");
  json_decref(s);
  s = with(base, "min_guest_svn", json_integer(1)); /* vector: 0 */
  expect_only(s, "snp", ver, "snp.min_guest_svn");
  json_decref(s);
  s = with(base, "min_tcb", json_pack("{s:i}", "snp", 26)); /* vector: snp 25 */
  expect_only(s, "snp", ver, "snp.min_tcb");
  json_decref(s);
  s = with(base, "min_tcb", json_pack("{s:i}", "microcode", 85)); /* vector: ucode 84 */
  expect_only(s, "snp", ver, "snp.min_tcb");
  json_decref(s);
  s = with(base, "min_tcb", json_pack("{s:i}", "fmc", 0)); /* Genoa has no FMC: fail closed */
  expect_only(s, "snp", ver, "snp.min_tcb");
  json_decref(s);

  /* every constraint at the vector's own values: affirming (no false rejections) */
  json_t *tcb = json_object_get(cl, "reported_tcb");
  s = json_pack("{s:[s], s:[i,i,i], s:b, s:b, s:b, s:{s:i, s:i}, s:{s:i, s:i, s:i}, s:[i], s:[s,s],"
                " s:[s], s:[s], s:i, s:{s:O, s:O, s:O, s:O}}",
                "measurements", m, "report_versions", 2, 3, 5, "allow_debug", 0,
                "allow_migration_agent", 0, "allow_smt", 1, "min_abi", "major", 0, "minor", 0,
                "min_firmware", "major", 1, "minor", 55, "build", 43, "vmpls", 0, "host_data",
                ONES32, claim_str(ver, "host_data"), "family_id", claim_str(ver, "family_id"),
                "image_id", claim_str(ver, "image_id"), "min_guest_svn", 0, "min_tcb", "bootloader",
                json_object_get(tcb, "bootloader"), "tee", json_object_get(tcb, "tee"), "snp",
                json_object_get(tcb, "snp"), "microcode", json_object_get(tcb, "microcode"));
  assert_non_null(s);
  expect_affirming(s, "snp", ver, "all constraints at the vector's values");
  json_decref(s);
  assert_string_equal(claim_str(ver, "host_data"), ZERO32);

  /* guest policy facts changed in the result built here */
  json_t *v2 = json_deep_copy(ver);
  json_t *pd = json_object_get(json_object_get(v2, "claims"), "policy_decoded");
  json_object_set_new(pd, "migrate_ma", json_true());
  expect_only(base, "snp", v2, "snp.allow_migration_agent");
  s = with(base, "allow_migration_agent", json_true());
  expect_affirming(s, "snp", v2, "migration agent allowed");
  json_decref(s);
  json_object_set_new(pd, "migrate_ma", json_false());
  json_object_set_new(pd, "debug", json_true());
  expect_only(base, "snp", v2, "snp.allow_debug");
  json_object_set_new(pd, "debug", json_false());
  json_object_set_new(json_object_get(v2, "claims"), "version", json_integer(4));
  expect_only(base, "snp", v2, "snp.report_versions");
  json_object_set_new(json_object_get(v2, "claims"), "version", json_integer(5));
  json_object_del(json_object_get(v2, "claims"), "measurement");
  expect_only(base, "snp", v2, "snp.measurements"); /* missing claim: fail closed */
  json_object_del(json_object_get(v2, "claims"), "policy_decoded");
  json_t *a = appraise_sec("snp", base, v2);
  assert_string_equal(status(a), "contraindicated"); /* debug/migration/SMT state unknown */
  assert_true(has_rule(a, "snp.allow_debug", "contraindicated"));
  assert_true(has_rule(a, "snp.allow_migration_agent", "contraindicated"));
  json_decref(a);
  json_decref(v2);

  json_decref(base);
  json_decref(ver);
}

/* snp.min_committed_tcb judges COMMITTED_TCB, not REPORTED_TCB: the real AWS VLEK report
 * commits microcode SPL 219 but reports 217 (expected.json). */
static void test_snp_committed_tcb(void **state) {
  (void)state;
  json_t *ver = snp_result("milan-v3-vlek-aws-trustee");
  const json_t *cl = json_object_get(ver, "claims");
  assert_int_equal(
      json_integer_value(json_object_get(json_object_get(cl, "committed_tcb"), "microcode")), 219);
  assert_int_equal(
      json_integer_value(json_object_get(json_object_get(cl, "reported_tcb"), "microcode")), 217);
  json_t *base = json_pack("{s:[s]}", "measurements", claim_str(ver, "measurement"));
  json_t *s = with(base, "min_committed_tcb", json_pack("{s:i, s:i}", "microcode", 219, "snp", 24));
  expect_affirming(s, "snp", ver, "committed TCB at its own values");
  json_decref(s);
  s = with(base, "min_committed_tcb", json_pack("{s:i}", "microcode", 220));
  expect_only(s, "snp", ver, "snp.min_committed_tcb");
  json_decref(s);
  s = with(base, "min_tcb", json_pack("{s:i}", "microcode", 219)); /* reported: 217 */
  expect_only(s, "snp", ver, "snp.min_tcb");
  json_decref(s);
  s = with(base, "min_committed_tcb", json_pack("{s:i}", "fmc", 0)); /* Milan: no FMC */
  expect_only(s, "snp", ver, "snp.min_committed_tcb");
  json_decref(s);
  /* the four TCBs are claims of the submodule */
  json_t *a = appraise_sec("snp", base, ver);
  static const char *const tcbs[] = {"current_tcb", "reported_tcb", "committed_tcb", "launch_tcb"};
  for (size_t i = 0; i < 4; i++)
    assert_true(json_equal(json_object_get(a, tcbs[i]), json_object_get(cl, tcbs[i])));
  json_decref(a);
  json_decref(base);
  json_decref(ver);
}

/* The verifier's trust_anchor (verify.h) goes into the submodule as a claim, and
 * "require_vendor_pinned" refuses evidence valid only through an operator trust root. */
static void test_trust_anchor(void **state) {
  (void)state;
  json_t *ver = snp_result("genoa-v5-oak-oc");
  json_t *base = json_pack("{s:[s]}", "measurements", claim_str(ver, "measurement"));
  json_t *pinned = json_deep_copy(ver), *operator_root = json_deep_copy(ver);
  json_object_set_new(pinned, "trust_anchor", json_string("vendor_pinned"));
  json_object_set_new(operator_root, "trust_anchor", json_string("operator_trust_root"));

  json_t *a = appraise_sec("snp", base, operator_root); /* not required: a claim only */
  assert_string_equal(status(a), "affirming");
  assert_string_equal(json_string_value(json_object_get(a, "trust_anchor")), "operator_trust_root");
  json_decref(a);
  a = appraise_sec("snp", base, pinned);
  assert_string_equal(json_string_value(json_object_get(a, "trust_anchor")), "vendor_pinned");
  json_decref(a);

  char text[400];
  snprintf(text, sizeof text,
           "{\"require_vendor_pinned\": true, \"snp\": {\"measurements\": [\"%s\"]}}",
           claim_str(ver, "measurement"));
  a = appraise_text(text, pinned);
  assert_string_equal(status(a), "affirming");
  json_decref(a);
  a = appraise_text(text, operator_root);
  if (json_array_size(json_object_get(a, "failed_rules")) != 1 ||
      !has_rule(a, "require_vendor_pinned", "contraindicated"))
    dump_on_fail(a, "require_vendor_pinned");
  assert_true(has_rule(a, "require_vendor_pinned", "contraindicated"));
  assert_int_equal(json_array_size(json_object_get(a, "failed_rules")), 1);
  assert_string_equal(status(a), "contraindicated");
  assert_int_equal(tv(a, "hardware"), 97); /* ar4si: hardware not recognised as genuine */
  json_decref(a);
  a = appraise_text(text, ver); /* no trust_anchor in the result: fail closed */
  assert_true(has_rule(a, "require_vendor_pinned", "contraindicated"));
  json_decref(a);
  /* a DCAP result is judged the same way */
  json_t *tdx = dcap_result("tdx-v4-phala-b0c06f000000");
  json_object_set_new(tdx, "trust_anchor", json_string("operator_trust_root"));
  a = appraise_text("{\"require_vendor_pinned\": true}", tdx);
  assert_true(has_rule(a, "require_vendor_pinned", "contraindicated"));
  assert_string_equal(json_string_value(json_object_get(a, "trust_anchor")), "operator_trust_root");
  json_decref(a);
  json_decref(tdx);

  /* the key is a boolean */
  tc_policy *p = NULL;
  tc_error err;
  const char *bad = "{\"require_vendor_pinned\": \"yes\"}";
  assert_int_equal(tc_policy_parse(bad, strlen(bad), "test", &p, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "policy_value_invalid");
  assert_null(p);

  json_decref(pinned);
  json_decref(operator_root);
  json_decref(base);
  json_decref(ver);
}

/* ---- TDX -------------------------------------------------------------------------- */

static void test_tdx(void **state) {
  (void)state;
  json_t *ver = dcap_result("tdx-v4-phala-b0c06f000000"); /* UpToDate, no debug */
  json_t *a = appraise_text(NULL, ver);
  assert_string_equal(status(a), "warning");
  assert_int_equal(json_array_size(json_object_get(a, "failed_rules")), 0);
  assert_string_equal(json_string_value(json_array_get(json_object_get(a, "unappraised"), 0)),
                      "mr_td");
  assert_string_equal(json_string_value(json_object_get(a, "tcb_status")), "UpToDate");
  assert_string_equal(json_string_value(json_object_get(a, "mr_td")), claim_str(ver, "mr_td"));
  assert_string_equal(json_string_value(json_object_get(a, "fmspc")), "b0c06f000000");
  json_decref(a);

  json_t *base = json_pack("{s:[s]}", "mr_td", claim_str(ver, "mr_td"));
  expect_affirming(base, "tdx", ver, "mr_td pinned");
  a = appraise_sec("tdx", base, ver);
  assert_int_equal(tv(a, "executables"), 3);
  assert_int_equal(tv(a, "hardware"), 2);
  json_decref(a);

  json_t *s;
  char other[97];
  snprintf(other, sizeof other, "%s", claim_str(ver, "mr_td"));
  other[0] = other[0] == '0' ? '1' : '0';
  s = with(base, "mr_td", json_pack("[s]", other));
  expect_only(s, "tdx", ver, "tdx.mr_td");
  json_decref(s);
  s = with(base, "rtmr0", json_pack("[s]", other));
  expect_only(s, "tdx", ver, "tdx.rtmr0");
  json_decref(s);
  s = with(base, "rtmr3", json_pack("[s]", other));
  expect_only(s, "tdx", ver, "tdx.rtmr3");
  json_decref(s);
  s = with(base, "mr_seam", json_pack("[s]", other));
  expect_only(s, "tdx", ver, "tdx.mr_seam");
  json_decref(s);
  s = with(base, "mr_config_id", json_pack("[s]", other));
  expect_only(s, "tdx", ver, "tdx.mr_config_id");
  json_decref(s);
  static const char *const more[] = {"rtmr1", "rtmr2", "mr_owner", "mr_owner_config"};
  for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
    char rule[32];
    snprintf(rule, sizeof rule, "tdx.%s", more[i]);
    s = with(base, more[i], json_pack("[s]", other));
    expect_only(s, "tdx", ver, rule);
    json_decref(s);
    s = with(base, more[i], json_pack("[s]", claim_str(ver, more[i])));
    expect_affirming(s, "tdx", ver, rule);
    json_decref(s);
  }
  s = with(base, "quote_versions", json_pack("[i]", 5));
  expect_only(s, "tdx", ver, "tdx.quote_versions");
  json_decref(s);
  s = with(base, "rtmr1", json_pack("[s,s]", other, claim_str(ver, "rtmr1")));
  expect_affirming(s, "tdx", ver, "rtmr1 among two reference values");
  json_decref(s);

  /* min_tee_tcb_svn: component by component against tee_tcb_svn (decoded here) */
  const char *svnhex = claim_str(ver, "tee_tcb_svn");
  int svn[16];
  for (int i = 0; i < 16; i++)
    sscanf(svnhex + 2 * i, "%2x", (unsigned *)&svn[i]);
  json_t *arr = json_array();
  for (int i = 0; i < 16; i++)
    json_array_append_new(arr, json_integer(svn[i]));
  s = with(base, "min_tee_tcb_svn", json_deep_copy(arr));
  expect_affirming(s, "tdx", ver, "min_tee_tcb_svn equal");
  json_decref(s);
  json_array_set_new(arr, 2, json_integer(svn[2] + 1));
  s = with(base, "min_tee_tcb_svn", arr);
  expect_only(s, "tdx", ver, "tdx.min_tee_tcb_svn");
  json_decref(s);

  /* min_tcb_evaluation_data_number: both documents' numbers (from the vector's files) */
  const json_t *ten = json_object_get(ver, "tcb_evaluation_data_number");
  json_int_t lo = json_integer_value(json_object_get(ten, "tcb_info"));
  json_int_t qe = json_integer_value(json_object_get(ten, "qe_identity"));
  assert_true(lo > 0 && qe > 0);
  if (qe < lo)
    lo = qe;
  s = with(base, "min_tcb_evaluation_data_number", json_integer(lo));
  expect_affirming(s, "tdx", ver, "tcbEvaluationDataNumber at the minimum");
  json_decref(s);
  s = with(base, "min_tcb_evaluation_data_number", json_integer(lo + 1));
  expect_only(s, "tdx", ver, "tdx.min_tcb_evaluation_data_number");
  json_decref(s);
  json_t *stripped = json_deep_copy(ver);
  json_object_del(stripped, "tcb_evaluation_data_number");
  s = with(base, "min_tcb_evaluation_data_number", json_integer(0));
  expect_only(s, "tdx", stripped, "tdx.min_tcb_evaluation_data_number");
  json_decref(s);
  json_decref(stripped);

  /* SEPT_VE_DISABLE: on in this vector */
  s = with(base, "require_sept_ve_disable", json_true());
  expect_affirming(s, "tdx", ver, "sept_ve_disable on");
  json_decref(s);

  /* tcb_status missing from the result: fail closed */
  json_t *v2 = json_deep_copy(ver);
  json_object_del(v2, "tcb_status");
  expect_only(base, "tdx", v2, "tdx.tcb_status");
  json_decref(v2);
  json_decref(base);
  json_decref(ver);

  /* DEBUG TD (UpToDate otherwise) */
  ver = dcap_result("tdx-v4-coco-debug-50806f000000");
  base = json_pack("{s:[s]}", "mr_td", claim_str(ver, "mr_td"));
  expect_only(base, "tdx", ver, "tdx.allow_debug");
  json_object_del(ver, "policy_flags"); /* TD_ATTRIBUTES bit 0 is enough */
  expect_only(base, "tdx", ver, "tdx.allow_debug");
  json_decref(base);
  json_decref(ver);

  /* OutOfDate: contraindicated by default, a warning when the owner maps it so */
  ver = dcap_result("tdx-v4-automata-00806f050000");
  base = json_pack("{s:[s]}", "mr_td", claim_str(ver, "mr_td"));
  expect_only(base, "tdx", ver, "tdx.tcb_status");
  s = with(base, "tcb_status", json_pack("{s:s}", "OutOfDate", "warning"));
  a = appraise_sec("tdx", s, ver);
  assert_string_equal(status(a), "warning");
  assert_true(has_rule(a, "tdx.tcb_status", "warning"));
  assert_int_equal(json_array_size(json_object_get(a, "failed_rules")), 1);
  assert_int_equal(tv(a, "hardware"), 32);
  json_decref(a);
  json_t *s2 = with(s, "rejected_advisory_ids", json_pack("[s]", "INTEL-SA-00982"));
  a = appraise_sec("tdx", s2, ver);
  assert_string_equal(status(a), "contraindicated");
  assert_true(has_rule(a, "tdx.rejected_advisory_ids", "contraindicated"));
  assert_int_equal(tv(a, "hardware"), 96);
  json_decref(a);
  json_decref(s2);
  s2 = with(s, "tcb_status", json_pack("{s:s}", "OutOfDate", "affirming"));
  expect_affirming(s2, "tdx", ver, "OutOfDate mapped to affirming");
  json_decref(s2);
  json_decref(s);
  json_decref(base);
  json_decref(ver);

  /* SEPT_VE_DISABLE off (Azure) */
  ver = dcap_result("tdx-v4-azure-septve-off-00806f050000");
  base = json_pack("{s:[s], s:{s:s}}", "mr_td", claim_str(ver, "mr_td"), "tcb_status", "OutOfDate",
                   "affirming");
  expect_affirming(base, "tdx", ver, "sept_ve_disable not required");
  s = with(base, "require_sept_ve_disable", json_true());
  expect_only(s, "tdx", ver, "tdx.require_sept_ve_disable");
  json_decref(s);
  json_decref(base);
  json_decref(ver);
}

/* ---- SGX -------------------------------------------------------------------------- */

static void test_sgx(void **state) {
  (void)state;
  json_t *ver = dcap_result("sgx-v3-phala-00a067110000-2025");
  json_t *a = appraise_text(NULL, ver); /* ConfigurationAndSWHardeningNeeded */
  assert_string_equal(status(a), "contraindicated");
  assert_true(has_rule(a, "sgx.tcb_status", "contraindicated"));
  assert_int_equal(json_array_size(json_object_get(a, "failed_rules")), 1);
  assert_int_equal(json_array_size(json_object_get(a, "unappraised")), 2);
  json_t *adv = json_pack("[s,s]", "INTEL-SA-00289", "INTEL-SA-00615"); /* expected.json */
  assert_true(json_equal(json_object_get(a, "advisory_ids"), adv));
  json_decref(adv);
  json_decref(a);

  json_t *base = json_pack("{s:{s:s}, s:[s], s:[s], s:[i], s:i}", "tcb_status",
                           "ConfigurationAndSWHardeningNeeded", "affirming", "mr_enclave",
                           claim_str(ver, "mr_enclave"), "mr_signer", claim_str(ver, "mr_signer"),
                           "isv_prod_id", 0, "min_isv_svn", 0);
  expect_affirming(base, "sgx", ver, "SGX identity pinned");
  json_t *s =
      with(base, "tcb_status", json_pack("{s:s}", "ConfigurationAndSWHardeningNeeded", "warning"));
  a = appraise_sec("sgx", s, ver);
  assert_string_equal(status(a), "warning");
  assert_true(has_rule(a, "sgx.tcb_status", "warning"));
  json_decref(a);
  json_decref(s);

  char other[65];
  snprintf(other, sizeof other, "%s", claim_str(ver, "mr_enclave"));
  other[63] = other[63] == '0' ? '1' : '0';
  s = with(base, "mr_enclave", json_pack("[s]", other));
  expect_only(s, "sgx", ver, "sgx.mr_enclave");
  json_decref(s);
  s = with(base, "mr_signer", json_pack("[s]", other));
  expect_only(s, "sgx", ver, "sgx.mr_signer");
  json_decref(s);
  s = with(base, "isv_prod_id", json_pack("[i,i]", 1, 2));
  expect_only(s, "sgx", ver, "sgx.isv_prod_id");
  json_decref(s);
  s = with(base, "min_isv_svn", json_integer(1));
  expect_only(s, "sgx", ver, "sgx.min_isv_svn");
  json_decref(s);
  s = with(base, "min_tcb_evaluation_data_number", json_integer(1000000));
  expect_only(s, "sgx", ver, "sgx.min_tcb_evaluation_data_number");
  json_decref(s);
  s = with(base, "quote_versions", json_pack("[i]", 4));
  expect_only(s, "sgx", ver, "sgx.quote_versions");
  json_decref(s);
  s = with(base, "rejected_advisory_ids", json_pack("[s]", "INTEL-SA-00615"));
  expect_only(s, "sgx", ver, "sgx.rejected_advisory_ids");
  json_decref(s);
  /* MRSIGNER + product id alone appraise the enclave identity */
  s = json_pack("{s:{s:s}, s:[s], s:[i]}", "tcb_status", "ConfigurationAndSWHardeningNeeded",
                "affirming", "mr_signer", claim_str(ver, "mr_signer"), "isv_prod_id", 0);
  expect_affirming(s, "sgx", ver, "MRSIGNER identity");
  json_decref(s);
  json_decref(base);
  json_decref(ver);

  /* DEBUG enclave (OutOfDate mapped away, so only the debug rule fails) */
  ver = dcap_result("sgx-v3-occlum-debug-00606a000000");
  base = json_pack("{s:{s:s}, s:[s]}", "tcb_status", "OutOfDate", "affirming", "mr_enclave",
                   claim_str(ver, "mr_enclave"));
  expect_only(base, "sgx", ver, "sgx.allow_debug");
  json_object_del(ver, "policy_flags"); /* ATTRIBUTES.DEBUG is enough */
  expect_only(base, "sgx", ver, "sgx.allow_debug");
  json_decref(base);
  json_decref(ver);
}

static void test_invalid_results(void **state) {
  (void)state;
  const char *dcap_neg[] = {"neg-tdx-v4-attsig-altered", "neg-sgx-v3-truncated"};
  for (size_t i = 0; i < 2; i++) {
    json_t *ver = dcap_result(dcap_neg[i]);
    json_t *a = appraise_text(NULL, ver);
    assert_string_equal(status(a), "contraindicated");
    assert_true(has_rule(a, "verification", "contraindicated"));
    assert_int_equal(tv(a, "hardware"), 99);
    json_decref(a);
    json_decref(ver);
  }
  tc_policy *p = tc_policy_default();
  json_t *a = (json_t *)1;
  tc_error err;
  json_t *bad = json_pack("{s:s}", "verdict", "valid");
  assert_int_equal(tc_appraise(p, bad, &a, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "verification_result_invalid");
  assert_null(a);
  json_object_set_new(bad, "tee", json_string("sev-es"));
  assert_int_equal(tc_appraise(p, bad, &a, &err), TC_ERR_USAGE);
  json_decref(bad);
  bad = json_string("valid");
  assert_int_equal(tc_appraise(p, bad, &a, &err), TC_ERR_USAGE);
  json_decref(bad);
  /* valid verdict but no claims at all: everything needed fails closed */
  bad = json_pack("{s:s, s:s}", "verdict", "valid", "tee", "snp");
  assert_int_equal(tc_appraise(p, bad, &a, &err), TC_OK);
  assert_string_equal(status(a), "contraindicated");
  assert_true(has_rule(a, "snp.report_versions", NULL));
  assert_true(has_rule(a, "snp.allow_debug", NULL));
  json_decref(a);
  json_decref(bad);
  /* a long non-ASCII claim in a rule's detail: still an appraisal, not an error */
  bad = json_pack("{s:s, s:s, s:{s:i, s:s}}", "verdict", "valid", "tee", "snp", "claims", "version",
                  9, "measurement", "\u00e9");
  char big[1200] = "";
  for (int i = 0; i < 500; i++)
    strcat(big, "\xc3\xa9"); /* U+00E9, two bytes each: the detail gets truncated */
  json_object_set_new(json_object_get(bad, "claims"), "measurement", json_string(big));
  tc_policy *pm = NULL;
  const char *pt = "{\"snp\": {\"measurements\": [\"00000000000000000000000000000000000000000000"
                   "0000000000000000000000000000000000000000000000000000\"]}}";
  assert_int_equal(tc_policy_parse(pt, strlen(pt), "t", &pm, &err), TC_OK);
  assert_int_equal(tc_appraise(pm, bad, &a, &err), TC_OK);
  assert_true(has_rule(a, "snp.measurements", "contraindicated"));
  json_decref(a);
  json_decref(bad);
  tc_policy_free(pm);
  tc_policy_free(p);
}

int main(int argc, char **argv) {
  vectors = test_vectors_dir(argc, argv, "snp");
  (void)test_vectors_dir(argc, argv, "dcap");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_snp_default_all_vectors),
      cmocka_unit_test(test_snp_debug_vector),
      cmocka_unit_test(test_snp_each_rule),
      cmocka_unit_test(test_snp_committed_tcb),
      cmocka_unit_test(test_trust_anchor),
      cmocka_unit_test(test_tdx),
      cmocka_unit_test(test_sgx),
      cmocka_unit_test(test_invalid_results),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
