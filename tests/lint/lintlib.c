/* SPDX-License-Identifier: Apache-2.0 */
#include "lintlib.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/testlib.h"

tl_text tl_load(const char *path) {
  tc_buf b = test_read_file(path);
  tl_text t = {0};
  t.buf = malloc(b.len + 1);
  if (!t.buf)
    abort();
  memcpy(t.buf, b.data, b.len);
  t.buf[b.len] = 0;
  tc_buf_free(&b);
  size_t cap = 64;
  t.lines = malloc(cap * sizeof *t.lines);
  if (!t.lines)
    abort();
  t.lines[0] = NULL;
  char *p = t.buf;
  while (*p) {
    if (t.n + 2 >= cap) {
      cap *= 2;
      t.lines = realloc(t.lines, cap * sizeof *t.lines);
      if (!t.lines)
        abort();
    }
    t.lines[++t.n] = p;
    char *nl = strchr(p, '\n');
    if (!nl)
      break;
    *nl = 0;
    if (nl > p && nl[-1] == '\r')
      nl[-1] = 0;
    p = nl + 1;
  }
  return t;
}

void tl_free(tl_text *t) {
  free(t->buf);
  free(t->lines);
  memset(t, 0, sizeof *t);
}

static const char *base(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

tc_lint_report tl_lint(const char *const *paths, size_t n, tc_lint_runtime rt,
                       const char *probe_path) {
  tc_lint_input *in = calloc(n, sizeof *in);
  tc_buf *bufs = calloc(n, sizeof *bufs);
  if (!in || !bufs)
    abort();
  for (size_t i = 0; i < n; i++) {
    bufs[i] = test_read_file(paths[i]);
    in[i].name = base(paths[i]);
    in[i].text = (const char *)bufs[i].data;
    in[i].len = bufs[i].len;
  }
  json_t *probe = NULL;
  if (probe_path) {
    json_error_t je;
    probe = json_load_file(probe_path, 0, &je);
    if (!probe) {
      fprintf(stderr, "cannot load %s: %s\n", probe_path, je.text);
      exit(1);
    }
  }
  tc_lint_opts o = {.runtime = rt, .probe = probe};
  tc_lint_report r = {0};
  tc_error err;
  if (tc_lint_run(in, n, &o, &r, &err) != TC_OK) {
    fprintf(stderr, "tc_lint_run: %s\n", err.detail);
    exit(1);
  }
  for (size_t i = 0; i < n; i++)
    tc_buf_free(&bufs[i]);
  free(bufs);
  free(in);
  json_decref(probe);
  return r;
}

tc_lint_report tl_lint_text(const char *name, const char *text, tc_lint_runtime rt) {
  tc_lint_input in = {.name = name, .text = text, .len = strlen(text)};
  tc_lint_opts o = {.runtime = rt};
  tc_lint_report r = {0};
  tc_error err;
  if (tc_lint_run(&in, 1, &o, &r, &err) != TC_OK) {
    fprintf(stderr, "tc_lint_run: %s\n", err.detail);
    exit(1);
  }
  return r;
}

const tc_lint_finding *tl_find(const tc_lint_report *r, const char *file, unsigned line,
                               const char *key, const char *rule, int min_sev) {
  for (size_t i = 0; i < r->len; i++) {
    const tc_lint_finding *f = &r->items[i];
    if (file && strcmp(f->file, file) != 0)
      continue;
    if (line && f->line != line)
      continue;
    if (key && strcmp(f->key, key) != 0)
      continue;
    if (rule && strcmp(f->rule, rule) != 0)
      continue;
    if ((int)f->severity < min_sev)
      continue;
    return f;
  }
  return NULL;
}

size_t tl_count(const tc_lint_report *r, const char *file, int min_sev) {
  size_t n = 0;
  for (size_t i = 0; i < r->len; i++)
    if ((!file || strcmp(r->items[i].file, file) == 0) && (int)r->items[i].severity >= min_sev)
      n++;
  return n;
}

void tl_dump(const tc_lint_report *r) {
  for (size_t i = 0; i < r->len; i++) {
    const tc_lint_finding *f = &r->items[i];
    fprintf(stderr, "  %s:%u:%u: %s [%s] table=%s key=%s: %s\n", f->file, f->line, f->column,
            tc_lint_severity_name(f->severity), f->rule, f->table, f->key, f->message);
  }
}

unsigned tl_key_line(const tl_text *t, const char *key, size_t from, size_t to, int last) {
  unsigned found = 0;
  size_t kl = strlen(key);
  for (size_t i = from; i <= to && i <= t->n; i++) {
    const char *s = t->lines[i];
    while (*s == ' ' || *s == '\t')
      s++;
    if (strncmp(s, key, kl) != 0)
      continue;
    s += kl;
    while (*s == ' ' || *s == '\t')
      s++;
    if (*s != '=')
      continue;
    found = (unsigned)i;
    if (!last)
      return found;
  }
  return found;
}

unsigned tl_line_starting(const tl_text *t, const char *prefix, size_t from) {
  for (size_t i = from ? from : 1; i <= t->n; i++) {
    const char *s = t->lines[i];
    while (isspace((unsigned char)*s))
      s++;
    if (strncmp(s, prefix, strlen(prefix)) == 0)
      return (unsigned)i;
  }
  return 0;
}
