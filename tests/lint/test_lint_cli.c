/* SPDX-License-Identifier: Apache-2.0 */
/* `teectl config lint` end to end through the built binary ($TEECTL_BIN): options, exit
 * codes (0 clean or info only, 1 errors or warnings, 2 usage / unreadable / unparsable),
 * text and JSON output, --probe. Inputs are written to a temporary folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/testlib.h"

static char g_dir[256];
static const char *g_bin;

static char *write_tmp(const char *name, const char *text) {
  char *p = test_path(g_dir, name);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  return p;
}

/* Run teectl with args; stdout/stderr captured into malloc'd strings. Returns exit code. */
static int run(const char *args, char **out, char **err) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "cd %s && '%s' %s >out.txt 2>err.txt", g_dir, g_bin, args);
  int st = system(cmd);
  assert_true(WIFEXITED(st));
  char *po = test_path(g_dir, "out.txt"), *pe = test_path(g_dir, "err.txt");
  tc_buf bo = test_read_file(po), be = test_read_file(pe);
  *out = strndup((const char *)bo.data, bo.len);
  *err = strndup((const char *)be.data, be.len);
  tc_buf_free(&bo);
  tc_buf_free(&be);
  free(po);
  free(pe);
  return WEXITSTATUS(st);
}

static const char clean[] = "[hypervisor.qemu]\npath = \"/opt/kata/bin/qemu-system-x86_64\"\n"
                            "[runtime]\nenable_debug = false\n";
static const char warn_only[] = "[hypervisor.qemu]\npath = \"/opt/kata/bin/qemu-system-x86_64\"\n"
                                "memory_slotz = 10\n";
static const char info_only[] = "[hypervisor.qemu]\nenable_iommu_platform = true\n";
static const char snp[] = "[hypervisor.qemu]\nconfidential_guest = true\nsev_snp_guest = true\n"
                          "firmware = \"/opt/kata/share/ovmf/AMDSEV.fd\"\nshared_fs = \"none\"\n"
                          "[runtime]\nstatic_sandbox_resource_mgmt = true\n";

static void test_usage(void **state) {
  (void)state;
  char *o, *e;
  assert_int_equal(run("config lint --help", &o, &e), 0);
  assert_non_null(strstr(o, "Usage: teectl config lint"));
  assert_non_null(strstr(o, "Exit codes"));
  free(o), free(e);
  assert_int_equal(run("config lint --bogus x.toml", &o, &e), 2);
  assert_non_null(strstr(e, "unknown option '--bogus'"));
  assert_int_equal(strchr(e, '\n') - e + 1, (long)strlen(e)); /* one line */
  free(o), free(e);
  assert_int_equal(run("config lint", &o, &e), 2);
  free(o), free(e);
  assert_int_equal(run("config lint --format xml clean.toml", &o, &e), 2);
  free(o), free(e);
  assert_int_equal(run("config lint --runtime java clean.toml", &o, &e), 2);
  free(o), free(e);
  assert_int_equal(run("config lint --probe", &o, &e), 2);
  free(o), free(e);
  assert_int_equal(run("config lint --probe probe.json --live-probe snp.toml", &o, &e), 2);
  assert_string_equal(e, "teectl config lint: --probe and --live-probe exclude each other (see "
                         "'teectl config lint --help')\n");
  free(o), free(e);
  /* --runtime auto is the default: the same findings as without it */
  char *o2, *e2;
  assert_int_equal(run("config lint --runtime auto --format json warn.toml", &o, &e), 1);
  assert_int_equal(run("config lint --format json warn.toml", &o2, &e2), 1);
  assert_non_null(strstr(o, "\"key\": \"memory_slotz\""));
  assert_string_equal(o, o2);
  free(o), free(e), free(o2), free(e2);
}

static void test_exit_codes(void **state) {
  (void)state;
  char *o, *e;
  assert_int_equal(run("config lint clean.toml", &o, &e), 0);
  assert_string_equal(o, "");
  free(o), free(e);
  assert_int_equal(run("config lint info.toml", &o, &e), 0);
  assert_non_null(strstr(o, "info.toml:2:1: info: "));
  free(o), free(e);
  assert_int_equal(run("config lint warn.toml", &o, &e), 1);
  assert_non_null(strstr(o, "warn.toml:3:1: warning: unknown key 'memory_slotz'"));
  assert_non_null(strstr(o, "\n    fix: "));
  free(o), free(e);
  assert_int_equal(run("config lint clean.toml missing.toml", &o, &e), 2);
  assert_non_null(strstr(e, "missing.toml"));
  free(o), free(e);
  assert_int_equal(run("config lint bad.toml", &o, &e), 2);
  assert_non_null(strstr(o, "bad.toml:2:"));
  free(o), free(e);
}

static void test_json(void **state) {
  (void)state;
  char *o, *e;
  assert_int_equal(run("config lint --format json warn.toml info.toml", &o, &e), 1);
  json_error_t je;
  json_t *j = json_loads(o, 0, &je);
  assert_non_null(j);
  json_t *arr = json_object_get(j, "findings");
  assert_int_equal(json_array_size(arr), 2);
  json_t *f = json_array_get(arr, 0);
  assert_string_equal(json_string_value(json_object_get(f, "file")), "warn.toml");
  assert_int_equal(json_integer_value(json_object_get(f, "line")), 3);
  assert_int_equal(json_integer_value(json_object_get(f, "column")), 1);
  assert_string_equal(json_string_value(json_object_get(f, "table")), "hypervisor.qemu");
  assert_string_equal(json_string_value(json_object_get(f, "key")), "memory_slotz");
  assert_string_equal(json_string_value(json_object_get(f, "severity")), "warning");
  assert_string_equal(json_string_value(json_object_get(f, "rule")), "unknown-key");
  json_decref(j);
  free(o), free(e);
}

static void test_probe(void **state) {
  (void)state;
  char *o, *e;
  /* an AMD host without SNP (shape of vectors/hosts/<case>/expected.json) */
  assert_int_equal(run("config lint --probe probe.json snp.toml", &o, &e), 1);
  assert_non_null(strstr(o, "snp.toml:3:1: error: "));
  assert_non_null(strstr(o, "[platform-mismatch]"));
  free(o), free(e);
  assert_int_equal(run("config lint snp.toml", &o, &e), 0);
  free(o), free(e);
  assert_int_equal(run("config lint --probe nothere.json snp.toml", &o, &e), 2);
  free(o), free(e);
  /* a probe that is no file: one clear line, no "none:-1: unable to open" */
  assert_int_equal(run("config lint --probe none snp.toml", &o, &e), 2);
  assert_string_equal(e, "teectl config lint: --probe none: No such file or directory (a "
                         "'teectl probe --format json' file, or live)\n");
  free(o), free(e);
  assert_int_equal(run("config generate runtimeclass --platform snp --probe none", &o, &e), 2);
  assert_string_equal(e, "teectl config generate: --probe none: No such file or directory (a "
                         "'teectl probe --format json' file, or live)\n");
  free(o), free(e);
}

/* '-' reads the file from standard input, like the other commands (issue 13 item 16) */
static void test_stdin(void **state) {
  (void)state;
  char *o, *e;
  assert_int_equal(run("config lint - < warn.toml", &o, &e), 1);
  assert_non_null(strstr(o, "<stdin>:3:1: "));
  free(o), free(e);
  assert_int_equal(run("config lint - < clean.toml", &o, &e), 0);
  free(o), free(e);
  /* with the same findings as the file itself */
  char *o2, *e2;
  assert_int_equal(run("config lint --format json - < snp.toml", &o, &e), 0);
  assert_int_equal(run("config lint --format json snp.toml", &o2, &e2), 0);
  assert_string_equal(o, o2);
  free(o), free(e), free(o2), free(e2);
  assert_int_equal(run("config lint - - < clean.toml", &o, &e), 2);
  assert_string_equal(e, "teectl config lint: '-' (standard input) given more than once (see "
                         "'teectl config lint --help')\n");
  assert_string_equal(o, "");
  free(o), free(e);
}

int main(void) {
  g_bin = test_teectl_bin();
  if (!g_bin) {
    fprintf(stderr, "SKIP: TEECTL_BIN not set\n");
    return TEST_SKIP;
  }
  assert_non_null(test_mkdtemp("teectl-lint-cli", g_dir, sizeof g_dir));
  char *p[6] = {write_tmp("clean.toml", clean),
                write_tmp("warn.toml", warn_only),
                write_tmp("info.toml", info_only),
                write_tmp("bad.toml", "[runtime]\nx = \n"),
                write_tmp("snp.toml", snp),
                write_tmp("probe.json",
                          "{\"role\":\"host\",\"kvm\":true,\"sev\":{\"supported\":true,"
                          "\"snp\":false,\"cbitpos\":51},\"tdx\":{},\"sgx\":{}}")};
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_usage), cmocka_unit_test(test_exit_codes), cmocka_unit_test(test_json),
      cmocka_unit_test(test_probe), cmocka_unit_test(test_stdin),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  for (size_t i = 0; i < 6; i++) {
    unlink(p[i]);
    free(p[i]);
  }
  char *o = test_path(g_dir, "out.txt"), *e = test_path(g_dir, "err.txt");
  unlink(o);
  unlink(e);
  free(o);
  free(e);
  rmdir(g_dir);
  return rc;
}
