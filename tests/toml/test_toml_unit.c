/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the TOML reader beyond toml-test: positions of keys and values, error
 * reasons with line:col, duplicate recovery for the linter, depth limit, lookups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "teectl/toml.h"

static tc_toml_doc *parse_ok(const char *s, unsigned opt) {
  tc_toml_doc *d = NULL;
  tc_error err;
  tc_status st = tc_toml_parse(s, strlen(s), opt, &d, &err);
  if (st != TC_OK)
    fprintf(stderr, "unexpected error: %s %s\n", err.reason, err.detail);
  assert_int_equal(st, TC_OK);
  return d;
}

static void parse_bad(const char *s, const char *reason, const char *detail_prefix) {
  tc_toml_doc *d = NULL;
  tc_error err;
  tc_status st = tc_toml_parse(s, strlen(s), 0, &d, &err);
  assert_int_equal(st, TC_ERR_PARSE);
  assert_null(d);
  assert_string_equal(err.reason, reason);
  if (strncmp(err.detail, detail_prefix, strlen(detail_prefix)) != 0)
    fail_msg("detail '%s' does not start with '%s'", err.detail, detail_prefix);
}

static void test_positions(void **state) {
  (void)state;
  const char *s = "# c\n"
                  "top = 1\n"
                  "\n"
                  "  [hypervisor.qemu]\n"
                  "path = \"/usr/bin/qemu\"\n"
                  "  kernel_params =   \"\"\"\n"
                  "a\n"
                  "b\"\"\"\n"
                  "x.y = true\n";
  tc_toml_doc *d = parse_ok(s, 0);
  const tc_toml_entry *top = tc_toml_get(d->root, "top");
  assert_non_null(top);
  assert_int_equal(top->line, 2);
  assert_int_equal(top->column, 1);
  assert_int_equal(top->value->line, 2);
  assert_int_equal(top->value->column, 7);
  const tc_toml_value *q = tc_toml_path(d->root, "hypervisor.qemu");
  assert_non_null(q);
  assert_int_equal(q->type, TC_TOML_TABLE);
  assert_int_equal(q->line, 4);
  assert_int_equal(q->column, 3);
  const tc_toml_entry *kp = tc_toml_get(q, "kernel_params");
  assert_int_equal(kp->line, 6);
  assert_int_equal(kp->column, 3);
  assert_int_equal(kp->value->column, 21);
  assert_string_equal(kp->value->u.str.ptr, "a\nb");
  const tc_toml_entry *y = tc_toml_get(tc_toml_get(q, "x")->value, "y");
  assert_int_equal(y->line, 9);
  assert_int_equal(y->column, 3);
  assert_int_equal(tc_toml_path(d->root, "hypervisor.qemu.x.y")->u.boolean, 1);
  assert_null(tc_toml_path(d->root, "hypervisor.clh"));
  assert_null(tc_toml_path(d->root, "top.x"));
  tc_toml_doc_free(d);
}

static void test_values(void **state) {
  (void)state;
  parse_bad("a = -0o17\n", "toml_syntax", "1:5:");
  tc_toml_doc *d = parse_ok("a = 0xDEAD_beef\nb = 0b1010\nc = 1_000\nd = -9223372036854775808\n"
                            "e = 6.626e-34\nf = -inf\ng = 1979-05-27 07:32:00.5-07:30\n"
                            "h = 'C:\\x'\ni = \"\\u00e9\\U0001F600\"\n",
                            0);
  assert_int_equal(tc_toml_get(d->root, "a")->value->u.integer, 0xdeadbeef);
  assert_int_equal(tc_toml_get(d->root, "b")->value->u.integer, 10);
  assert_int_equal(tc_toml_get(d->root, "c")->value->u.integer, 1000);
  assert_true(tc_toml_get(d->root, "d")->value->u.integer == INT64_MIN);
  assert_true(tc_toml_get(d->root, "e")->value->u.flt == 6.626e-34);
  const tc_toml_value *g = tc_toml_get(d->root, "g")->value;
  assert_int_equal(g->type, TC_TOML_DATETIME);
  assert_int_equal(g->u.dt.hour, 7);
  assert_int_equal(g->u.dt.nanosecond, 500000000);
  assert_int_equal(g->u.dt.offset_minutes, -450);
  assert_string_equal(tc_toml_get(d->root, "h")->value->u.str.ptr, "C:\\x");
  assert_string_equal(tc_toml_get(d->root, "i")->value->u.str.ptr, "\xc3\xa9\xf0\x9f\x98\x80");
  tc_toml_doc_free(d);
  parse_bad("a = 9223372036854775808\n", "toml_range", "1:5:");
  parse_bad("a = 2023-02-29\n", "toml_range", "1:5:");
  parse_bad("a = 01\n", "toml_syntax", "1:5:");
  parse_bad("a = 1__0\n", "toml_syntax", "1:5:");
  parse_bad("\n\na = \"x\\q\"\n", "toml_syntax", "3:7:");
  parse_bad("a = 1 b = 2\n", "toml_syntax", "1:7:");
  parse_bad("a = \"\xff\"\n", "toml_utf8", "1:6:");
}

static void test_redefinition(void **state) {
  (void)state;
  parse_bad("[runtime]\nx = 1\n\nx = 2\n", "toml_duplicate_key",
            "4:1: duplicate key 'x' "
            "(first defined at 2:1)");
  parse_bad("[a]\n[a]\n", "toml_duplicate_table", "2:1:");
  parse_bad("a = {b = 1}\n[a]\n", "toml_redefinition", "2:1:");
  parse_bad("[a]\nb.c = 1\n[a.b]\n", "toml_redefinition", "3:1:");
  parse_bad("a = [1]\n[[a]]\n", "toml_redefinition", "2:1:");
  parse_bad("[a.b]\n[a]\nb = 1\n", "toml_duplicate_key", "3:1:");
  /* allowed: implicit super-table defined later; sub-table under dotted-key table */
  tc_toml_doc *d = parse_ok("[a.b.c]\n[a]\nx=1\n[f]\napple.color = 1\n[f.apple.texture]\n"
                            "s = 1\n[[t]]\n[t.u]\n[[t]]\n",
                            0);
  tc_toml_doc_free(d);
}

static void test_recover_duplicates(void **state) {
  (void)state;
  const char *s = "[runtime]\nenable_pprof = false\nx = 1\nenable_pprof = true\n[runtime]\ny = 2\n";
  tc_toml_doc *d = parse_ok(s, TC_TOML_RECOVER_DUPLICATES);
  assert_int_equal(d->n_diags, 2);
  assert_string_equal(d->diags[0].reason, "duplicate_key");
  assert_int_equal(d->diags[0].line, 4);
  assert_int_equal(d->diags[0].column, 1);
  assert_string_equal(d->diags[0].key_path, "runtime.enable_pprof");
  assert_string_equal(d->diags[1].key_path, "runtime");
  assert_string_equal(d->diags[1].reason, "duplicate_table");
  assert_int_equal(d->diags[1].line, 5);
  /* the first definition is kept, later keys still land in the table */
  const tc_toml_value *rt = tc_toml_path(d->root, "runtime");
  assert_int_equal(tc_toml_get(rt, "enable_pprof")->value->u.boolean, 0);
  assert_int_equal(tc_toml_get(rt, "y")->value->u.integer, 2);
  tc_toml_doc_free(d);
}

static void test_depth(void **state) {
  (void)state;
  size_t n = 1000;
  char *s = malloc(n * 2 + 8);
  assert_non_null(s);
  strcpy(s, "a = ");
  size_t o = 4;
  for (size_t i = 0; i < n; i++)
    s[o++] = '[';
  for (size_t i = 0; i < n; i++)
    s[o++] = ']';
  s[o] = 0;
  parse_bad(s, "toml_too_deep", "1:");
  free(s);
  tc_toml_doc *d = parse_ok("a = [[[[1]]]]\n", 0);
  tc_toml_doc_free(d);
}

/* Tables past the linear-search size use a hash index: every key is found, a duplicate
 * among thousands is still caught at its line. */
static void test_large_table(void **state) {
  (void)state;
  size_t n = 5000;
  char *s = malloc(n * 24 + 64);
  assert_non_null(s);
  size_t o = 0;
  for (size_t i = 0; i < n; i++)
    o += (size_t)sprintf(s + o, "k%zu = %zu\n", i, i);
  tc_toml_doc *d = parse_ok(s, 0);
  assert_int_equal(d->root->u.table.len, n);
  for (size_t i = 0; i < n; i += 7) {
    char k[16];
    snprintf(k, sizeof k, "k%zu", i);
    const tc_toml_entry *e = tc_toml_get(d->root, k);
    assert_non_null(e);
    assert_int_equal(e->value->u.integer, (int64_t)i);
    assert_int_equal(e->line, i + 1);
  }
  assert_null(tc_toml_get(d->root, "k5000"));
  tc_toml_doc_free(d);
  sprintf(s + o, "k4321 = 1\n");
  parse_bad(s, "toml_duplicate_key", "5001:1: duplicate key 'k4321' (first defined at 4322:1)");
  free(s);
}

static void test_tagged_json(void **state) {
  (void)state;
  tc_toml_doc *d = parse_ok("t = 07:32:00.120\nd = 1979-05-27t00:00:00z\nf = 0.5\n", 0);
  json_t *j = tc_toml_to_tagged_json(d->root);
  char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
  assert_string_equal(s, "{\"d\":{\"type\":\"datetime\",\"value\":\"1979-05-27T00:00:00Z\"},"
                         "\"f\":{\"type\":\"float\",\"value\":\"0.5\"},"
                         "\"t\":{\"type\":\"time-local\",\"value\":\"07:32:00.120\"}}");
  free(s);
  json_decref(j);
  tc_toml_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_positions),    cmocka_unit_test(test_values),
      cmocka_unit_test(test_redefinition), cmocka_unit_test(test_recover_duplicates),
      cmocka_unit_test(test_depth),        cmocka_unit_test(test_large_table),
      cmocka_unit_test(test_tagged_json),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
