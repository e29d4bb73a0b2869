/* SPDX-License-Identifier: Apache-2.0 */
/* The linter against vectors/kata, read in place:
 * - every row of lint/expected-findings.tsv is reported in its file at the right line with
 *   at least its severity (rows are read from the TSV; the expected line is found by a
 *   plain text scan of the file: the key's line in its table, the last one for a
 *   duplicate, the table header when the key is missing);
 * - no error and no warning on any upstream rendered configuration (Go and runtime-rs),
 *   on kata-deploy's containerd drop-ins or on the helm-rendered RuntimeClasses;
 * - hardware rules with the host probe fixtures of vectors/hosts. */
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

static const char *g_kata, *g_hosts;

static char *kpath(const char *rel) {
  return test_path(g_kata, rel);
}

/* ---------- expected-findings.tsv ---------- */

static int sev_rank(const char *s) {
  if (strcmp(s, "error") == 0)
    return TC_LINT_ERROR;
  if (strcmp(s, "warn") == 0 || strcmp(s, "warning") == 0)
    return TC_LINT_WARNING;
  return TC_LINT_INFO;
}

/* Header name of a "[...]" / "[[...]]" line, or NULL. */
static int header_name(const char *line, char *out, size_t cap) {
  while (*line == ' ' || *line == '\t')
    line++;
  if (*line != '[')
    return 0;
  while (*line == '[')
    line++;
  const char *end = strchr(line, ']');
  if (!end)
    return 0;
  snprintf(out, cap, "%.*s", (int)(end - line), line);
  return 1;
}

/* Does header h match the TSV table t ("hypervisor.qemu", "...runtimes.kata", "...runtimes.*",
 * "plugins.\"x\"")? */
static int table_match(const char *h, const char *t) {
  if (strncmp(t, "...", 3) != 0)
    return strcmp(h, t) == 0;
  const char *suf = t + 3;
  const char *star = strchr(suf, '*');
  if (!star) {
    size_t hl = strlen(h), sl = strlen(suf);
    return hl >= sl && strcmp(h + hl - sl, suf) == 0 && (hl == sl || h[hl - sl - 1] == '.');
  }
  /* "runtimes.*": the header's last segment follows "runtimes." */
  size_t pl = (size_t)(star - suf);
  const char *last_dot = strrchr(h, '.');
  if (!last_dot || (size_t)(last_dot + 1 - h) < pl)
    return 0;
  return strncmp(last_dot + 1 - pl, suf, pl) == 0 && strchr(last_dot + 1, '"') == NULL;
}

typedef struct expect_line {
  unsigned lines[8]; /* acceptable lines (any of) */
  size_t n;
} expect_line;

/* Expected lines for one TOML row: one entry per matching table. */
static size_t toml_expect(const tl_text *t, const char *table, const char *key, int dup,
                          expect_line *out, size_t cap) {
  size_t n = 0;
  char keys[2][64];
  size_t nk = 0;
  const char *slash = strchr(key, '/');
  if (slash) {
    snprintf(keys[0], sizeof keys[0], "%.*s", (int)(slash - key), key);
    snprintf(keys[1], sizeof keys[1], "%s", slash + 1);
    nk = 2;
  } else {
    snprintf(keys[0], sizeof keys[0], "%s", key);
    nk = 1;
  }
  if (strcmp(table, "(root)") == 0) {
    size_t end = t->n;
    for (size_t i = 1; i <= t->n; i++) {
      char h[256];
      if (header_name(t->lines[i], h, sizeof h)) {
        end = i - 1;
        break;
      }
    }
    out[0].n = 0;
    for (size_t k = 0; k < nk; k++) {
      unsigned l = tl_key_line(t, keys[k], 1, end, dup);
      if (l)
        out[0].lines[out[0].n++] = l;
    }
    return 1;
  }
  for (size_t i = 1; i <= t->n && n < cap; i++) {
    char h[256];
    if (!header_name(t->lines[i], h, sizeof h) || !table_match(h, table))
      continue;
    /* region: until the next header that is not a sub-table of h */
    size_t end = t->n;
    for (size_t j = i + 1; j <= t->n; j++) {
      char h2[256];
      if (header_name(t->lines[j], h2, sizeof h2) &&
          !(strncmp(h2, h, strlen(h)) == 0 && h2[strlen(h)] == '.')) {
        end = j - 1;
        break;
      }
    }
    expect_line *e = &out[n++];
    e->n = 0;
    for (size_t k = 0; k < nk; k++) {
      unsigned l = tl_key_line(t, keys[k], i + 1, end, dup);
      if (l)
        e->lines[e->n++] = l;
    }
    if (e->n == 0)
      e->lines[e->n++] = (unsigned)i; /* missing key: the table header */
  }
  return n;
}

/* YAML: documents split by "---"; a RuntimeClass is found by "name: <table>" ("*": every
 * document with "kind: RuntimeClass"). Key "a.b": the line of "b:" in the document; a
 * missing key: the document's first content line. */
static size_t yaml_expect(const tl_text *t, const char *table, const char *key, expect_line *out,
                          size_t cap) {
  size_t n = 0;
  size_t start = 1;
  const char *leaf = strrchr(key, '.');
  leaf = leaf ? leaf + 1 : key;
  char leafc[64];
  snprintf(leafc, sizeof leafc, "%s:", leaf);
  for (size_t i = 1; i <= t->n + 1; i++) {
    if (i <= t->n && strcmp(t->lines[i], "---") != 0)
      continue;
    size_t end = i - 1;
    int match = 0, is_rc = 0;
    unsigned first = 0, leafline = 0;
    for (size_t j = start; j <= end; j++) {
      const char *s = t->lines[j];
      if (!first && s[0] && s[0] != '#')
        first = (unsigned)j;
      if (strstr(s, "kind: RuntimeClass"))
        is_rc = 1;
      char want[128];
      snprintf(want, sizeof want, "name: %s", table);
      const char *q = s;
      while (*q == ' ')
        q++;
      if (strcmp(q, want) == 0)
        match = 1;
      if (!leafline && strncmp(q, leafc, strlen(leafc)) == 0)
        leafline = (unsigned)j;
    }
    if (is_rc && (match || strcmp(table, "*") == 0) && n < cap) {
      out[n].n = 1;
      out[n].lines[0] = leafline ? leafline : first;
      n++;
    }
    start = i + 1;
  }
  return n;
}

static void test_expected_findings(void **state) {
  (void)state;
  char *tsv_path = kpath("lint/expected-findings.tsv");
  tl_text tsv = tl_load(tsv_path);
  free(tsv_path);
  /* all files named in the TSV, linted together (cross-file rules) */
  const char *files[16];
  size_t nf = 0;
  for (size_t i = 1; i <= tsv.n; i++) {
    if (tsv.lines[i][0] == '#' || tsv.lines[i][0] == 0)
      continue;
    char f[128];
    snprintf(f, sizeof f, "%.*s", (int)strcspn(tsv.lines[i], "\t"), tsv.lines[i]);
    int seen = 0;
    for (size_t k = 0; k < nf; k++)
      if (strcmp(files[k] + strlen(files[k]) - strlen(f), f) == 0)
        seen = 1;
    if (!seen) {
      char rel[160];
      snprintf(rel, sizeof rel, "lint/%s", f);
      assert_true(nf < 16);
      files[nf++] = kpath(rel);
    }
  }
  assert_true(nf >= 4);
  tc_lint_report rep = tl_lint(files, nf, TC_LINT_RUNTIME_AUTO, NULL);
  int rows = 0, failures = 0;
  for (size_t i = 1; i <= tsv.n; i++) {
    char *line = tsv.lines[i];
    if (line[0] == '#' || line[0] == 0)
      continue;
    char *col[6] = {0};
    char *copy = strdup(line);
    assert_non_null(copy);
    char *p = copy;
    for (int c = 0; c < 6 && p; c++) {
      col[c] = p;
      char *tab = strchr(p, '\t');
      if (tab)
        *tab = 0;
      p = tab ? tab + 1 : NULL;
    }
    assert_non_null(col[4]);
    rows++;
    const char *file = col[0], *table = col[1], *key = col[2];
    int sev = sev_rank(col[3]);
    int dup = strncmp(col[4], "duplicate-key", 13) == 0;
    char rel[160];
    snprintf(rel, sizeof rel, "lint/%s", file);
    char *path = kpath(rel);
    tl_text t = tl_load(path);
    free(path);
    expect_line ex[16];
    size_t nex;
    int yaml = strstr(file, ".yaml") != NULL;
    if (strcmp(table, "(absent)") == 0) {
      ex[0].n = 0; /* not in the file: any line */
      nex = 1;
    } else if (yaml) {
      nex = yaml_expect(&t, table, key, ex, 16);
    } else {
      nex = toml_expect(&t, table, key, dup, ex, 16);
    }
    if (nex == 0) {
      fprintf(stderr, "FAIL row %d (%s %s %s): table not found in the file\n", rows, file, table,
              key);
      failures++;
    }
    const char *slash = strchr(key, '/');
    for (size_t e = 0; e < nex; e++) {
      int ok = 0;
      for (size_t r = 0; r < rep.len && !ok; r++) {
        const tc_lint_finding *f = &rep.items[r];
        if (strcmp(f->file, file) != 0 || (int)f->severity < sev)
          continue;
        int key_ok = strcmp(f->key, key) == 0 ||
                     (slash && (strncmp(f->key, key, (size_t)(slash - key)) == 0 ||
                                strcmp(f->key, slash + 1) == 0));
        if (!key_ok)
          continue;
        if (ex[e].n == 0) {
          ok = 1;
          break;
        }
        for (size_t l = 0; l < ex[e].n; l++)
          if (f->line == ex[e].lines[l])
            ok = 1;
      }
      if (!ok) {
        fprintf(stderr, "FAIL row %d: %s [%s] %s: no finding of severity >= %s at line %u\n", rows,
                file, table, key, col[3], ex[e].n ? ex[e].lines[0] : 0);
        failures++;
      }
    }
    tl_free(&t);
    free(copy);
  }
  printf("expected-findings.tsv: %d rows checked, %d failures\n", rows, failures);
  if (failures)
    tl_dump(&rep);
  assert_true(rows >= 30);
  assert_int_equal(failures, 0);
  tc_lint_report_free(&rep);
  tl_free(&tsv);
  for (size_t k = 0; k < nf; k++)
    free((void *)files[k]);
}

/* ---------- no false positives on upstream files ---------- */

static void lint_dir_clean(const char *rel, const char *suffix, tc_lint_runtime rt, size_t *count) {
  char *dir = kpath(rel);
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    size_t n = strlen(de->d_name), m = strlen(suffix);
    if (n < m || strcmp(de->d_name + n - m, suffix) != 0)
      continue;
    char *p = test_path(dir, de->d_name);
    const char *one[1] = {p};
    tc_lint_report r = tl_lint(one, 1, rt, NULL);
    if (tl_count(&r, NULL, TC_LINT_WARNING) != 0) {
      fprintf(stderr, "false positive(s) on %s/%s:\n", rel, de->d_name);
      tl_dump(&r);
    }
    assert_int_equal(tl_count(&r, NULL, TC_LINT_ERROR), 0);
    assert_int_equal(tl_count(&r, NULL, TC_LINT_WARNING), 0);
    (*count)++;
    tc_lint_report_free(&r);
    free(p);
  }
  closedir(d);
  free(dir);
}

static void test_rendered_clean(void **state) {
  (void)state;
  size_t n = 0;
  lint_dir_clean("rendered", ".toml", TC_LINT_RUNTIME_AUTO, &n);
  lint_dir_clean("rendered/runtime-rs", ".toml", TC_LINT_RUNTIME_AUTO, &n);
  assert_int_equal(n, 29); /* SOURCE.txt: "all 29 parse with python3 tomllib" */
  /* with the dialect forced, too */
  size_t m = 0;
  lint_dir_clean("rendered", ".toml", TC_LINT_RUNTIME_GO, &m);
  lint_dir_clean("rendered/runtime-rs", ".toml", TC_LINT_RUNTIME_RS, &m);
  assert_int_equal(m, 29);
  printf("rendered: %zu upstream configurations, no error or warning\n", n);
}

static void test_deploy_clean(void **state) {
  (void)state;
  static const char *const rel[] = {"deploy/containerd-v2-kata-deploy-dropin.toml",
                                    "deploy/containerd-v3-kata-deploy-dropin.toml",
                                    "deploy/runtimeclasses-rendered-default.yaml",
                                    "deploy/runtimeclasses-rendered-tee-nfd.yaml"};
  for (size_t i = 0; i < 4; i++) {
    char *p = kpath(rel[i]);
    const char *one[1] = {p};
    tc_lint_report r = tl_lint(one, 1, TC_LINT_RUNTIME_AUTO, NULL);
    if (r.len)
      tl_dump(&r);
    assert_int_equal(r.len, 0);
    tc_lint_report_free(&r);
    free(p);
  }
  /* the removed kata-qemu-sev RuntimeClass (historical, removed in 3.19.0) is an error */
  char *p = kpath("deploy/historical-runtimeclasses/kata-qemu-sev.yaml");
  const char *one[1] = {p};
  tc_lint_report r = tl_lint(one, 1, TC_LINT_RUNTIME_AUTO, NULL);
  assert_non_null(tl_find(&r, "kata-qemu-sev.yaml", 0, "handler", "removed-handler", 2));
  tc_lint_report_free(&r);
  free(p);
}

/* ---------- hardware rules with vectors/hosts probes ---------- */

static int mismatch(const char *config_rel, const char *host) {
  char *cfg = kpath(config_rel);
  char hrel[128];
  snprintf(hrel, sizeof hrel, "%s/expected.json", host);
  char *probe = test_path(g_hosts, hrel);
  const char *one[1] = {cfg};
  tc_lint_report r = tl_lint(one, 1, TC_LINT_RUNTIME_AUTO, probe);
  int n = tl_find(&r, NULL, 0, NULL, "platform-mismatch", TC_LINT_ERROR) != NULL;
  tc_lint_report_free(&r);
  free(cfg);
  free(probe);
  return n;
}

static void test_probe_rules(void **state) {
  (void)state;
  /* vectors/hosts: milan-snp-host has sev.snp; tdx-host has TDX; sgx-host-icelake has SGX */
  assert_false(mismatch("rendered/configuration-qemu-snp.toml", "milan-snp-host"));
  assert_true(mismatch("rendered/configuration-qemu-snp.toml", "tdx-host"));
  assert_true(mismatch("rendered/configuration-qemu-snp.toml", "sev-host-snp-disabled"));
  assert_false(mismatch("rendered/configuration-qemu-tdx.toml", "tdx-host"));
  assert_true(mismatch("rendered/configuration-qemu-tdx.toml", "milan-snp-host"));
  assert_true(
      mismatch("rendered/runtime-rs/configuration-qemu-tdx-runtime-rs.toml", "plain-no-tee"));
  assert_false(mismatch("rendered/configuration-qemu.toml", "plain-no-tee"));
  assert_false(mismatch("lint/user-sgx-guide.toml", "sgx-host-icelake"));
  assert_true(mismatch("lint/user-sgx-guide.toml", "milan-snp-host"));
  /* user-sev-guide writes cbitpos=47 by hand; the Milan host's C-bit is 51 (expected.json) */
  char *cfg = kpath("lint/user-sev-guide.toml");
  char *probe = test_path(g_hosts, "milan-snp-host/expected.json");
  const char *one[1] = {cfg};
  tc_lint_report r = tl_lint(one, 1, TC_LINT_RUNTIME_AUTO, probe);
  tl_text t = tl_load(cfg);
  unsigned ma = tl_key_line(&t, "machine_accelerators", 1, t.n, 0);
  assert_non_null(tl_find(&r, NULL, ma, "machine_accelerators", "cbitpos-mismatch", 2));
  tc_lint_report_free(&r);

  /* The cbitpos value is read as a whole number 0..63 (strtol, checked): the host's 51 is
   * right, but "51x" or an overflowing number is not a bit position QEMU accepts, where atoi
   * read the first as 51 and the second as whatever it wrapped to. */
  json_error_t je;
  json_t *pj = json_load_file(probe, 0, &je);
  assert_non_null(pj);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(pj, "sev"), "cbitpos")), 51);
  tc_buf raw = test_read_file(cfg);
  char *orig = strndup((const char *)raw.data, raw.len);
  assert_non_null(orig);
  const char *values[] = {"51,", "51\"", "51x,", "4294967347,", "-1,"};
  const int wrong[] = {0, 0, 1, 1, 1};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    char *text = malloc(raw.len + 64);
    assert_non_null(text);
    const char *at = strstr(orig, "cbitpos=47,");
    assert_non_null(at);
    size_t pre = (size_t)(at - orig) + strlen("cbitpos=");
    const char *rest = at + strlen("cbitpos=47,");
    /* values ending in '"' close the string themselves: drop the rest of the value */
    if (strchr(values[i], '"') != NULL)
      rest = strchr(rest, '"') + 1;
    snprintf(text, raw.len + 64, "%.*s%s%s", (int)pre, orig, values[i], rest);
    tc_lint_input in = {.name = "cbit.toml", .text = text, .len = strlen(text)};
    tc_lint_opts o = {.probe = pj};
    tc_lint_report rr = {0};
    tc_error err;
    assert_int_equal(tc_lint_run(&in, 1, &o, &rr, &err), TC_OK);
    const tc_lint_finding *f = tl_find(&rr, NULL, 0, "machine_accelerators", "cbitpos-mismatch", 2);
    if ((f != NULL) != wrong[i])
      fail_msg("cbitpos=%s: cbitpos-mismatch %s", values[i], f ? "reported" : "not reported");
    tc_lint_report_free(&rr);
    free(text);
  }
  json_decref(pj);
  free(orig);
  tc_buf_free(&raw);
  tl_free(&t);
  free(cfg);
  free(probe);
}

int main(int argc, char **argv) {
  const char *v = test_vectors_dir(argc, argv, "kata");
  g_kata = test_path(v, "kata");
  g_hosts = test_path(v, "hosts");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_expected_findings),
      cmocka_unit_test(test_rendered_clean),
      cmocka_unit_test(test_deploy_clean),
      cmocka_unit_test(test_probe_rules),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  free((void *)g_kata);
  free((void *)g_hosts);
  return rc;
}
