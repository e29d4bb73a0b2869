/* SPDX-License-Identifier: Apache-2.0 */
/* The Kata key schema (src/config/kata_schema.c) against the upstream templates, read in
 * place, so that drift is caught both ways:
 * - every key of every rendered template (vectors/kata/rendered, Go runtime, and
 *   rendered/runtime-rs) is in the schema for that dialect and section, with the type the
 *   template's value has, and (hypervisor sections) with that hypervisor's bit;
 * - every schema row is used by some template with exactly the hypervisors it lists,
 *   except the rows documented as "not in templates";
 * - every uncommented "key =" line of the raw templates (templates/ and
 *   templates/runtime-rs/, *.toml.in with @PLACEHOLDERS@) is known to the schema. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>

#include "common/testlib.h"
#include "lintlib.h"
#include "teectl/toml.h"

static const char *g_kata;
static unsigned *g_seen; /* per schema row: hypervisor bits seen (bit 31: seen at all) */
static int g_fail;

static tc_kata_ktype value_ktype(const tc_toml_value *v) {
  switch (v->type) {
  case TC_TOML_BOOL:
    return TC_KTYPE_BOOL;
  case TC_TOML_INTEGER:
    return TC_KTYPE_INT;
  case TC_TOML_FLOAT:
    return TC_KTYPE_FLOAT;
  case TC_TOML_STRING:
    return TC_KTYPE_STRING;
  case TC_TOML_ARRAY:
    if (v->u.array.len > 0 && v->u.array.items[0]->type == TC_TOML_TABLE)
      return TC_KTYPE_TABLES;
    return TC_KTYPE_STRINGS;
  default:
    return (tc_kata_ktype)-1;
  }
}

static void check_keys(const char *file, tc_lint_runtime d, tc_kata_section sec, unsigned hv,
                       const char *tpath, const tc_toml_value *t) {
  size_t n;
  const tc_kata_key *base = tc_kata_schema(&n);
  for (size_t i = 0; i < t->u.table.len; i++) {
    const tc_toml_entry *e = &t->u.table.items[i];
    if (e->value->type == TC_TOML_TABLE) {
      if (sec == TC_KSEC_HYPERVISOR && strcmp(e->key, "factory") == 0)
        check_keys(file, d, TC_KSEC_HV_FACTORY, 0, "hypervisor.*.factory", e->value);
      else if (sec == TC_KSEC_AGENT && strcmp(e->key, "mem_agent") == 0)
        check_keys(file, d, TC_KSEC_AGENT_MEM, 0, "agent.kata.mem_agent", e->value);
      else {
        fprintf(stderr, "DRIFT %s: table [%s.%s] not modelled by the schema\n", file, tpath,
                e->key);
        g_fail++;
      }
      continue;
    }
    const tc_kata_key *row = tc_kata_schema_find(d, sec, e->key);
    if (!row) {
      fprintf(stderr, "DRIFT %s:%u: [%s] %s unknown to the schema\n", file, e->line, tpath, e->key);
      g_fail++;
      continue;
    }
    /* a FLOAT row accepts the integers the templates write (default_vcpus) */
    if (row->type != value_ktype(e->value) &&
        !(row->type == TC_KTYPE_FLOAT && value_ktype(e->value) == TC_KTYPE_INT)) {
      fprintf(stderr, "DRIFT %s:%u: [%s] %s is a %s in the template, schema type %d\n", file,
              e->line, tpath, e->key, tc_toml_type_name(e->value->type), (int)row->type);
      g_fail++;
    }
    if (sec == TC_KSEC_HYPERVISOR && !(row->hypervisors & hv)) {
      fprintf(stderr, "DRIFT %s:%u: [%s] %s: hypervisor not listed for the key\n", file, e->line,
              tpath, e->key);
      g_fail++;
    }
    g_seen[row - base] |= hv | (1u << 31);
  }
}

static void check_rendered(const char *rel, tc_lint_runtime d, size_t *files) {
  char *dir = test_path(g_kata, rel);
  DIR *dd = opendir(dir);
  assert_non_null(dd);
  struct dirent *de;
  while ((de = readdir(dd)) != NULL) {
    size_t l = strlen(de->d_name);
    if (l < 5 || strcmp(de->d_name + l - 5, ".toml") != 0)
      continue;
    char *p = test_path(dir, de->d_name);
    tc_buf b = test_read_file(p);
    tc_toml_doc *doc = NULL;
    tc_error err;
    assert_int_equal(tc_toml_parse((const char *)b.data, b.len, 0, &doc, &err), TC_OK);
    const tc_toml_value *r = doc->root;
    for (size_t i = 0; i < r->u.table.len; i++) {
      const tc_toml_entry *e = &r->u.table.items[i];
      if (strcmp(e->key, "hypervisor") == 0 || strcmp(e->key, "agent") == 0) {
        for (size_t j = 0; j < e->value->u.table.len; j++) {
          const tc_toml_entry *s = &e->value->u.table.items[j];
          char tp[128];
          snprintf(tp, sizeof tp, "%s.%s", e->key, s->key);
          if (e->key[0] == 'h') {
            unsigned bit = tc_kata_hypervisor_bit(d, s->key);
            if (!bit) {
              fprintf(stderr, "DRIFT %s: hypervisor %s unknown to the schema\n", de->d_name,
                      s->key);
              g_fail++;
            }
            check_keys(de->d_name, d, TC_KSEC_HYPERVISOR, bit, tp, s->value);
          } else {
            if (strcmp(s->key, "kata") != 0) {
              fprintf(stderr, "DRIFT %s: agent %s\n", de->d_name, s->key);
              g_fail++;
            }
            check_keys(de->d_name, d, TC_KSEC_AGENT, 0, tp, s->value);
          }
        }
      } else if (strcmp(e->key, "runtime") == 0) {
        check_keys(de->d_name, d, TC_KSEC_RUNTIME, 0, "runtime", e->value);
      } else if (strcmp(e->key, "factory") == 0) {
        check_keys(de->d_name, d, TC_KSEC_FACTORY, 0, "factory", e->value);
      } else {
        fprintf(stderr, "DRIFT %s: top-level [%s] not modelled\n", de->d_name, e->key);
        g_fail++;
      }
    }
    tc_toml_doc_free(doc);
    tc_buf_free(&b);
    free(p);
    (*files)++;
  }
  closedir(dd);
  free(dir);
}

static void test_schema_matches_rendered(void **state) {
  (void)state;
  size_t n;
  const tc_kata_key *rows = tc_kata_schema(&n);
  g_seen = calloc(n, sizeof *g_seen);
  assert_non_null(g_seen);
  size_t files = 0;
  check_rendered("rendered", TC_LINT_RUNTIME_GO, &files);
  check_rendered("rendered/runtime-rs", TC_LINT_RUNTIME_RS, &files);
  assert_int_equal(files, 29);
  /* reverse: rows not in any template must be the documented exceptions */
  for (size_t i = 0; i < n; i++) {
    unsigned seen = g_seen[i] & ~(1u << 31);
    int any = (g_seen[i] >> 31) & 1;
    if (!any) {
      int documented = rows[i].dialect == TC_LINT_RUNTIME_GO &&
                       rows[i].section == TC_KSEC_HYPERVISOR && strcmp(rows[i].key, "initrd") == 0;
      documented |= rows[i].dialect == TC_LINT_RUNTIME_RS &&
                    rows[i].section == TC_KSEC_HYPERVISOR && strcmp(rows[i].key, "initrd") == 0;
      if (!documented) {
        fprintf(stderr, "DRIFT schema row %s/%d/%s is in no template\n",
                rows[i].dialect == TC_LINT_RUNTIME_GO ? "go" : "rs", (int)rows[i].section,
                rows[i].key);
        g_fail++;
      }
    } else if (rows[i].section == TC_KSEC_HYPERVISOR && seen != rows[i].hypervisors) {
      fprintf(stderr, "DRIFT schema row %s %s: hypervisors 0x%x, templates 0x%x\n",
              rows[i].dialect == TC_LINT_RUNTIME_GO ? "go" : "rs", rows[i].key, rows[i].hypervisors,
              seen);
      g_fail++;
    }
  }
  printf("schema: %zu rows checked against %zu rendered templates\n", n, files);
  free(g_seen);
  assert_int_equal(g_fail, 0);
}

/* Raw *.toml.in: sections from "[a.b]" lines, keys from uncommented "key =" lines. */
static void check_raw_dir(const char *rel, tc_lint_runtime d, size_t *files, size_t *keys) {
  char *dir = test_path(g_kata, rel);
  DIR *dd = opendir(dir);
  assert_non_null(dd);
  struct dirent *de;
  while ((de = readdir(dd)) != NULL) {
    size_t l = strlen(de->d_name);
    if (l < 8 || strcmp(de->d_name + l - 8, ".toml.in") != 0)
      continue;
    char *p = test_path(dir, de->d_name);
    tl_text t = tl_load(p);
    char sec[128] = "";
    for (size_t i = 1; i <= t.n; i++) {
      const char *s = t.lines[i];
      if (s[0] == '[') {
        const char *e = strchr(s, ']');
        snprintf(sec, sizeof sec, "%.*s", e ? (int)(e - s - 1) : 0, s + 1);
        while (sec[0] == '[')
          memmove(sec, sec + 1, strlen(sec));
        continue;
      }
      size_t k = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");
      if (k == 0)
        continue;
      const char *q = s + k;
      while (*q == ' ')
        q++;
      if (*q != '=')
        continue;
      char key[96];
      snprintf(key, sizeof key, "%.*s", (int)k, s);
      tc_kata_section cls;
      int nd = 0;
      for (const char *c = sec; *c; c++)
        nd += *c == '.';
      if (strncmp(sec, "hypervisor.", 11) == 0)
        cls = nd >= 2 ? TC_KSEC_HV_FACTORY : TC_KSEC_HYPERVISOR;
      else if (strcmp(sec, "agent.kata") == 0)
        cls = TC_KSEC_AGENT;
      else if (strcmp(sec, "agent.kata.mem_agent") == 0)
        cls = TC_KSEC_AGENT_MEM;
      else if (strcmp(sec, "runtime") == 0)
        cls = TC_KSEC_RUNTIME;
      else if (strcmp(sec, "factory") == 0)
        cls = TC_KSEC_FACTORY;
      else
        continue; /* e.g. keys of [[...guest_extension_images]] entries */
      if (strstr(sec, "guest_extension_images"))
        continue;
      (*keys)++;
      if (!tc_kata_schema_find(d, cls, key)) {
        fprintf(stderr, "DRIFT %s/%s:%zu: [%s] %s unknown to the schema\n", rel, de->d_name, i, sec,
                key);
        g_fail++;
      }
    }
    tl_free(&t);
    free(p);
    (*files)++;
  }
  closedir(dd);
  free(dir);
}

static void test_schema_knows_raw_templates(void **state) {
  (void)state;
  g_fail = 0;
  size_t files = 0, keys = 0;
  check_raw_dir("templates", TC_LINT_RUNTIME_GO, &files, &keys);
  check_raw_dir("templates/runtime-rs", TC_LINT_RUNTIME_RS, &files, &keys);
  printf("raw templates: %zu files, %zu key lines, all known\n", files, keys);
  assert_int_equal(files, 29);
  assert_true(keys > 2000);
  assert_int_equal(g_fail, 0);
}

static void test_schema_lookup(void **state) {
  (void)state;
  /* facts from the templates: sev_snp_guest is a qemu key in both runtimes, a bool */
  const tc_kata_key *k =
      tc_kata_schema_find(TC_LINT_RUNTIME_GO, TC_KSEC_HYPERVISOR, "sev_snp_guest");
  assert_non_null(k);
  assert_int_equal(k->type, TC_KTYPE_BOOL);
  assert_true(k->hypervisors & TC_KHV_QEMU);
  assert_null(tc_kata_schema_find(TC_LINT_RUNTIME_GO, TC_KSEC_HYPERVISOR, "mem_prealloc"));
  assert_null(tc_kata_schema_find(TC_LINT_RUNTIME_GO, TC_KSEC_HYPERVISOR, "file_mem_backend"));
  /* runtime-rs only: [runtime] name, hypervisor_name, agent_name */
  assert_non_null(tc_kata_schema_find(TC_LINT_RUNTIME_RS, TC_KSEC_RUNTIME, "hypervisor_name"));
  assert_null(tc_kata_schema_find(TC_LINT_RUNTIME_GO, TC_KSEC_RUNTIME, "hypervisor_name"));
  assert_int_equal(tc_kata_hypervisor_bit(TC_LINT_RUNTIME_GO, "dragonball"), 0);
  assert_int_equal(tc_kata_hypervisor_bit(TC_LINT_RUNTIME_RS, "dragonball"), TC_KHV_DRAGONBALL);
}

int main(int argc, char **argv) {
  const char *v = test_vectors_dir(argc, argv, "kata");
  g_kata = test_path(v, "kata");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_schema_matches_rendered),
      cmocka_unit_test(test_schema_knows_raw_templates),
      cmocka_unit_test(test_schema_lookup),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  free((void *)g_kata);
  return rc;
}
