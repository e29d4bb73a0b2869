/* SPDX-License-Identifier: Apache-2.0 */
/* Every case of the shared vectors (measure/INDEX.tsv) gives exactly the MEASUREMENT (or OVMF
 * hash) of its expected.json, computed by an independent implementation
 * (virtee/sev-snp-measure). The inputs come from expected.json "inputs" as that tool's command
 * line names them, so new cases need no code change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "teectl/crypto.h"
#include "teectl/measure.h"
#include "testlib.h"

static const char *g_dir;

static const char *input(json_t *in, const char *key) {
  return json_string_value(json_object_get(in, key));
}

/* SHA-256 of the file named by inputs[key] relative to the case folder; "(empty file)" or a
 * missing key hash as empty input. */
static void file_hash(const char *case_dir, json_t *in, const char *key, uint8_t out[32]) {
  const char *rel = input(in, key);
  tc_error err;
  if (rel == NULL || strcmp(rel, "(empty file)") == 0) {
    assert_int_equal(tc_sha256("", 0, out, &err), TC_OK);
    return;
  }
  char *p = test_path(case_dir, rel);
  if (tc_measure_sha256_file(p, out, &err) != TC_OK)
    fail_msg("%s: %s", p, err.detail);
  free(p);
}

static uint64_t num(json_t *v, uint64_t dflt) {
  if (json_is_integer(v))
    return (uint64_t)json_integer_value(v);
  if (json_is_string(v))
    return strtoull(json_string_value(v), NULL, 0);
  return dflt;
}

static void expect_hex(const char *name, const uint8_t d[48], const char *want) {
  char hex[97];
  assert_non_null(want);
  tc_hex_encode(d, 48, hex);
  if (strcmp(hex, want) != 0)
    fail_msg("%s: got %s, want %s", name, hex, want);
}

static void run_case(void **state) {
  const char *name = *state;
  char *case_dir = test_path(g_dir, name);
  char *exp_path = test_path(case_dir, "expected.json");
  json_error_t jerr;
  json_t *exp = json_load_file(exp_path, 0, &jerr);
  assert_non_null(exp);
  json_t *in = json_object_get(exp, "inputs");
  const char *mode = input(in, "mode");
  char *ovmf_path = test_path(case_dir, input(in, "ovmf"));
  tc_buf ovmf = test_read_file(ovmf_path), svsm = {0};
  uint8_t d[48], ovmf_hash[48];
  tc_error err;
  if (strcmp(mode, "snp:ovmf-hash") == 0) {
    assert_int_equal(tc_snp_ovmf_hash(ovmf.data, ovmf.len, d, &err), TC_OK);
    expect_hex(name, d, json_string_value(json_object_get(exp, "ovmf_hash_hex")));
  } else {
    tc_snp_kernel_hashes h;
    tc_snp_launch l = {.ovmf = ovmf.data,
                       .ovmf_len = ovmf.len,
                       .vcpus = (unsigned)num(json_object_get(in, "vcpus"), 0),
                       .guest_features = num(json_object_get(in, "guest_features"), 1)};
    if (tc_snp_vcpu_sig(input(in, "vcpu_type"), &l.vcpu_sig, &err) != TC_OK)
      fail_msg("%s: %s", name, err.detail);
    if (input(in, "vmm_type"))
      assert_int_equal(tc_snp_vmm_parse(input(in, "vmm_type"), &l.vmm, &err), TC_OK);
    if (input(in, "kernel")) {
      file_hash(case_dir, in, "kernel", h.kernel);
      file_hash(case_dir, in, "initrd", h.initrd);
      const char *append = input(in, "append");
      assert_int_equal(tc_snp_cmdline_sha256(append ? append : "", h.cmdline, &err), TC_OK);
      l.hashes = &h;
    }
    if (input(in, "snp_ovmf_hash")) {
      size_t n;
      assert_int_equal(tc_hex_decode(input(in, "snp_ovmf_hash"), ovmf_hash, 48, &n, &err), TC_OK);
      l.ovmf_hash = ovmf_hash;
    }
    if (input(in, "svsm")) {
      char *p = test_path(case_dir, input(in, "svsm"));
      svsm = test_read_file(p);
      free(p);
      l.svsm = svsm.data;
      l.svsm_len = svsm.len;
      l.vars_size = num(json_object_get(in, "vars_size"), 0);
    }
    if (tc_snp_launch_digest(&l, d, NULL, &err) != TC_OK)
      fail_msg("%s: %s: %s", name, err.reason, err.detail);
    expect_hex(name, d, json_string_value(json_object_get(exp, "measurement_hex")));
  }
  tc_buf_free(&ovmf);
  tc_buf_free(&svsm);
  free(ovmf_path);
  json_decref(exp);
  free(exp_path);
  free(case_dir);
}

int main(int argc, char **argv) {
  g_dir = test_vectors_dir(argc, argv, "measure");
  char *dir = test_path(g_dir, "measure");
  g_dir = dir;
  char *index = test_path(dir, "INDEX.tsv");
  char **names = test_index_names(index);
  size_t n = 0;
  while (names[n])
    n++;
  assert_true(n >= 11);
  struct CMUnitTest *tests = calloc(n, sizeof *tests);
  for (size_t i = 0; i < n; i++) {
    tests[i].name = names[i];
    tests[i].test_func = run_case;
    tests[i].initial_state = names[i];
  }
  int rc = _cmocka_run_group_tests("measure_vectors", tests, n, NULL, NULL);
  free(tests);
  test_free_list(names);
  free(index);
  free(dir);
  return rc;
}
