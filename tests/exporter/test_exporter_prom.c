/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the exposition-format writer: exact output text for HELP/TYPE lines,
 * label escaping and value formatting, as the text format 0.0.4 specifies them
 * (prometheus.io/docs/instrumenting/exposition_formats/), and every rejection. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "teectl/exporter.h"

static void test_family_and_samples(void **state) {
  (void)state;
  tc_prom_writer w;
  tc_prom_init(&w);
  tc_error err;
  assert_int_equal(tc_prom_family(&w, "teectl_x_bytes", TC_PROM_GAUGE, "Size in bytes.", &err),
                   TC_OK);
  tc_prom_label l[] = {{"a", "1"}, {"b", "two"}};
  assert_int_equal(tc_prom_sample(&w, l, 2, 68308434944.0, &err), TC_OK);
  assert_int_equal(tc_prom_sample(&w, NULL, 0, 0.5, &err), TC_OK);
  assert_int_equal(tc_prom_family(&w, "teectl_y_total", TC_PROM_COUNTER, "Count.", &err), TC_OK);
  assert_int_equal(tc_prom_sample(&w, NULL, 0, 3, &err), TC_OK);
  assert_string_equal(w.text, "# HELP teectl_x_bytes Size in bytes.\n"
                              "# TYPE teectl_x_bytes gauge\n"
                              "teectl_x_bytes{a=\"1\",b=\"two\"} 68308434944\n"
                              "teectl_x_bytes 0.5\n"
                              "# HELP teectl_y_total Count.\n"
                              "# TYPE teectl_y_total counter\n"
                              "teectl_y_total 3\n");
  assert_int_equal(w.len, strlen(w.text));
  tc_prom_free(&w);
}

static void test_escaping(void **state) {
  (void)state;
  tc_prom_writer w;
  tc_prom_init(&w);
  tc_error err;
  /* HELP escapes backslash and line feed, but not double quotes. */
  assert_int_equal(tc_prom_family(&w, "m", TC_PROM_GAUGE, "a\\b\n\"c\"", &err), TC_OK);
  /* Label values escape backslash, double quote and line feed; UTF-8 passes through. */
  tc_prom_label l[] = {{"v", "x\\y\"z\nw\xc3\xa9"}};
  assert_int_equal(tc_prom_sample(&w, l, 1, 1, &err), TC_OK);
  assert_string_equal(w.text, "# HELP m a\\\\b\\n\"c\"\n"
                              "# TYPE m gauge\n"
                              "m{v=\"x\\\\y\\\"z\\nw\xc3\xa9\"} 1\n");
  tc_prom_free(&w);
}

static void test_values(void **state) {
  (void)state;
  tc_prom_writer w;
  tc_prom_init(&w);
  tc_error err;
  assert_int_equal(tc_prom_family(&w, "v", TC_PROM_GAUGE, "h", &err), TC_OK);
  assert_int_equal(tc_prom_sample(&w, NULL, 0, NAN, &err), TC_OK);
  assert_int_equal(tc_prom_sample(&w, NULL, 0, INFINITY, &err), TC_OK);
  assert_int_equal(tc_prom_sample(&w, NULL, 0, -INFINITY, &err), TC_OK);
  assert_int_equal(tc_prom_sample(&w, NULL, 0, -42, &err), TC_OK);
  assert_int_equal(tc_prom_sample(&w, NULL, 0, 9007199254740992.0, &err), TC_OK); /* 2^53 */
  assert_int_equal(tc_prom_sample(&w, NULL, 0, 0.1, &err), TC_OK);
  assert_string_equal(w.text, "# HELP v h\n# TYPE v gauge\n"
                              "v NaN\nv +Inf\nv -Inf\nv -42\nv 9007199254740992\n"
                              "v 0.10000000000000001\n");
  tc_prom_free(&w);
}

static void test_rejections(void **state) {
  (void)state;
  tc_prom_writer w;
  tc_prom_init(&w);
  tc_error err;
  /* sample before family */
  assert_int_equal(tc_prom_sample(&w, NULL, 0, 1, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "prom_no_family");
  /* bad metric names */
  const char *bad[] = {"", "1abc", "a-b", "a b", "é"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(tc_prom_family(&w, bad[i], TC_PROM_GAUGE, "h", &err), TC_ERR_USAGE);
    assert_string_equal(err.reason, "prom_bad_metric_name");
  }
  char longname[200];
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  assert_int_equal(tc_prom_family(&w, longname, TC_PROM_GAUGE, "h", &err), TC_ERR_USAGE);
  /* counter without _total */
  assert_int_equal(tc_prom_family(&w, "c", TC_PROM_COUNTER, "h", &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "prom_bad_metric_name");
  /* HELP not UTF-8 */
  assert_int_equal(tc_prom_family(&w, "u", TC_PROM_GAUGE, "\xff", &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "prom_bad_text");
  assert_null(w.text); /* nothing written by any rejection */

  assert_int_equal(tc_prom_family(&w, "ns:m", TC_PROM_GAUGE, "h", &err), TC_OK);
  size_t len = w.len;
  assert_int_equal(tc_prom_family(&w, "ns:m", TC_PROM_GAUGE, "h", &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "prom_duplicate_family");
  /* label names: bad syntax, reserved "__" prefix, duplicates */
  const char *badl[] = {"", "1a", "a:b", "__name", "a-b"};
  for (size_t i = 0; i < sizeof badl / sizeof badl[0]; i++) {
    tc_prom_label l = {badl[i], "x"};
    assert_int_equal(tc_prom_sample(&w, &l, 1, 1, &err), TC_ERR_USAGE);
    assert_string_equal(err.reason, "prom_bad_label_name");
  }
  tc_prom_label dup[] = {{"a", "1"}, {"a", "2"}};
  assert_int_equal(tc_prom_sample(&w, dup, 2, 1, &err), TC_ERR_USAGE);
  /* label values: invalid UTF-8 (bad continuation, overlong, surrogate, > U+10FFFF) */
  const char *badv[] = {"\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"};
  for (size_t i = 0; i < sizeof badv / sizeof badv[0]; i++) {
    tc_prom_label l = {"a", badv[i]};
    assert_int_equal(tc_prom_sample(&w, &l, 1, 1, &err), TC_ERR_USAGE);
    assert_string_equal(err.reason, "prom_bad_text");
  }
  tc_prom_label nullv = {"a", NULL};
  assert_int_equal(tc_prom_sample(&w, &nullv, 1, 1, &err), TC_ERR_USAGE);
  assert_int_equal(w.len, len); /* rejections append nothing */
  tc_prom_free(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_family_and_samples),
      cmocka_unit_test(test_escaping),
      cmocka_unit_test(test_values),
      cmocka_unit_test(test_rejections),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
