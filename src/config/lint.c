/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — `config lint` core: findings, file kind detection, TOML diagnostics, JSON
 * output, cross-file rules. The per-kind rules live in lint_kata.c, lint_containerd.c
 * and lint_runtimeclass.c. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/internal.h"

static char *dup_or_empty(lint_ctx *c, const char *s) {
  char *d = strdup(s ? s : "");
  if (!d)
    c->nomem = 1;
  return d;
}

void lint_add(lint_ctx *c, const char *file, unsigned line, unsigned col, const char *table,
              const char *key, tc_lint_severity sev, const char *rule, const char *fix,
              const char *fmt, ...) {
  tc_lint_report *r = c->rep;
  if (c->nomem)
    return;
  if (r->len == r->cap) {
    size_t nc = r->cap ? r->cap * 2 : 32;
    tc_lint_finding *ni = realloc(r->items, nc * sizeof *ni);
    if (!ni) {
      c->nomem = 1;
      return;
    }
    r->items = ni;
    r->cap = nc;
  }
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  tc_lint_finding *f = &r->items[r->len];
  memset(f, 0, sizeof *f);
  f->file = dup_or_empty(c, file);
  f->line = line;
  f->column = col;
  f->table = dup_or_empty(c, table);
  f->key = dup_or_empty(c, key);
  f->severity = sev;
  f->rule = dup_or_empty(c, rule);
  f->message = dup_or_empty(c, msg);
  f->fix = dup_or_empty(c, fix);
  r->len++; /* freed by tc_lint_report_free even when a strdup failed */
}

void lint_list_add(lint_ctx *c, char ***list, size_t *n, const char *s) {
  char **nl = realloc(*list, (*n + 1) * sizeof *nl);
  char *d = strdup(s);
  if (!nl || !d) {
    free(d);
    if (nl)
      *list = nl;
    c->nomem = 1;
    return;
  }
  *list = nl;
  nl[(*n)++] = d;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Membership in a list sorted with cmp_str. */
static int sorted_has(char *const *list, size_t n, const char *s) {
  return n > 0 && bsearch(&s, list, n, sizeof *list, cmp_str) != NULL;
}

static int bare_key(const char *k) {
  if (!*k)
    return 0;
  for (; *k; k++)
    if (!(isalnum((unsigned char)*k) || *k == '_' || *k == '-'))
      return 0;
  return 1;
}

void lint_join(char *out, size_t cap, const char *table, const char *key) {
  int b = bare_key(key);
  snprintf(out, cap, "%s%s%s%s%s", table, *table ? "." : "", b ? "" : "\"", key, b ? "" : "\"");
}

int lint_contains(const char *hay, const char *needle) {
  if (!hay || !needle)
    return 0;
  size_t n = strlen(needle);
  for (const char *p = hay; *p; p++)
    if (strncasecmp(p, needle, n) == 0)
      return 1;
  return 0;
}

void lint_toml_diags(lint_ctx *c, const char *file, const tc_toml_doc *doc) {
  for (size_t i = 0; i < doc->n_diags; i++) {
    const tc_toml_diag *d = &doc->diags[i];
    /* split "a.b.key" into table "a.b" and key (last part; quoted parts kept whole) */
    const char *path = d->key_path;
    const char *last = path;
    int inq = 0;
    for (const char *p = path; *p; p++) {
      if (*p == '"')
        inq = !inq;
      else if (*p == '.' && !inq)
        last = p + 1;
    }
    char table[512];
    size_t tl = last > path ? (size_t)(last - path - 1) : 0;
    snprintf(table, sizeof table, "%.*s", (int)tl, path);
    if (strcmp(d->reason, "duplicate_key") == 0)
      lint_add(c, file, d->line, d->column, table, last, TC_LINT_ERROR, "duplicate-key",
               "define the key once (delete this line or the earlier one)",
               "%s; TOML forbids redefining a key: the Go runtime (BurntSushi/toml) fails with "
               "\"Key '%s' has already been defined.\" and runtime-rs (toml crate) with "
               "\"duplicate key\", so no sandbox starts",
               d->message, path);
    else
      lint_add(c, file, d->line, d->column, path, "", TC_LINT_ERROR, "duplicate-table",
               "merge the two tables into one", "%s; TOML forbids defining a table twice",
               d->message);
  }
}

/* One decimal number 0..UINT_MAX at *s followed by `sep` (strtoul, range and end checked);
 * advances *s past the separator. 0 ok, -1 otherwise. */
static int number_then(const char **s, char sep, unsigned *out) {
  if (**s < '0' || **s > '9')
    return -1;
  char *end = NULL;
  errno = 0;
  unsigned long v = strtoul(*s, &end, 10);
  if (errno != 0 || end == *s || *end != sep || v > UINT_MAX)
    return -1;
  *out = (unsigned)v;
  *s = end + 1;
  return 0;
}

/* "line:col:" at the start of a parser's detail. 0 and both set, or -1 (both left alone). */
static int line_col(const char *detail, unsigned *line, unsigned *col) {
  unsigned l, c;
  const char *p = detail;
  if (number_then(&p, ':', &l) != 0 || number_then(&p, ':', &c) != 0)
    return -1;
  *line = l;
  *col = c;
  return 0;
}

/* Report a parse failure: err.detail is "line:col: message". */
static void syntax_finding(lint_ctx *c, const char *file, const tc_error *err, const char *what) {
  unsigned line = 0, col = 0;
  const char *msg = err->detail;
  if (line_col(err->detail, &line, &col) == 0) {
    const char *p = strstr(err->detail, ": ");
    if (p)
      msg = p + 2;
  }
  lint_add(c, file, line, col, "", "", TC_LINT_ERROR, "syntax",
           "fix the syntax; the runtime cannot load this file", "%s syntax error: %s", what, msg);
  c->rep->unparsable++;
}

static int ends_with(const char *s, const char *suf) {
  size_t n = strlen(s), m = strlen(suf);
  return n >= m && strcasecmp(s + n - m, suf) == 0;
}

static void lint_one(lint_ctx *c, const tc_lint_input *in) {
  const char *file = in->name ? in->name : "<input>";
  tc_lint_kind kind = in->kind;
  if (kind == TC_LINT_KIND_AUTO && (ends_with(file, ".yaml") || ends_with(file, ".yml")))
    kind = TC_LINT_KIND_RUNTIMECLASS;
  if (kind == TC_LINT_KIND_RUNTIMECLASS) {
    if (!c->first_rc_file)
      c->first_rc_file = file;
    lint_runtimeclass(c, file, in->text, in->len);
    return;
  }
  tc_toml_doc *doc = NULL;
  tc_error err;
  tc_status st = tc_toml_parse(in->text, in->len, TC_TOML_RECOVER_DUPLICATES, &doc, &err);
  if (st == TC_ERR_NOMEM) {
    c->nomem = 1;
    return;
  }
  if (st != TC_OK) {
    /* Not TOML: maybe YAML without a .yaml name */
    if (kind == TC_LINT_KIND_AUTO && in->len < (64u << 20)) {
      char *t = strndup(in->text, in->len);
      int yamlish = t && (strstr(t, "kind: RuntimeClass") || strstr(t, "apiVersion:"));
      free(t);
      if (yamlish) {
        if (!c->first_rc_file)
          c->first_rc_file = file;
        lint_runtimeclass(c, file, in->text, in->len);
        return;
      }
    }
    syntax_finding(c, file, &err, "TOML");
    return;
  }
  if (kind == TC_LINT_KIND_AUTO) {
    const tc_toml_value *r = doc->root;
    if (tc_toml_get(r, "plugins") || tc_toml_get(r, "imports") ||
        (tc_toml_get(r, "version") && !tc_toml_get(r, "hypervisor")))
      kind = TC_LINT_KIND_CONTAINERD;
    else if (tc_toml_get(r, "hypervisor") || tc_toml_get(r, "runtime") || tc_toml_get(r, "agent") ||
             tc_toml_get(r, "factory"))
      kind = TC_LINT_KIND_KATA;
  }
  lint_toml_diags(c, file, doc);
  if (kind == TC_LINT_KIND_CONTAINERD) {
    if (!c->first_cd_file)
      c->first_cd_file = file;
    lint_containerd(c, file, doc);
  } else if (kind == TC_LINT_KIND_KATA) {
    lint_kata(c, file, in->text, in->len, doc);
  } else {
    lint_add(c, file, 0, 0, "", "", TC_LINT_ERROR, "unknown-kind",
             "pass a Kata configuration-*.toml, a containerd config.toml / drop-in or a "
             "RuntimeClass YAML",
             "not a Kata configuration (no [hypervisor], [runtime], [agent] or [factory] "
             "table), not a containerd configuration (no [plugins] table) and not YAML: "
             "nothing was checked");
    c->rep->unparsable++;
  }
  tc_toml_doc_free(doc);
}

/* Cross-file: Kata handlers in containerd without a RuntimeClass, and RuntimeClasses whose
 * handler no containerd file declares. Only when both kinds were given. */
static void cross_file(lint_ctx *c) {
  if (!c->first_rc_file || !c->first_cd_file)
    return;
  /* sorted copies for lookups; findings keep the declaration order */
  char **cd = malloc((c->n_cd_handlers + 1) * sizeof *cd);
  char **rc = malloc((c->n_rc_handlers + 1) * sizeof *rc);
  if (!cd || !rc) {
    free(cd);
    free(rc);
    c->nomem = 1;
    return;
  }
  memcpy(cd, c->cd_handlers, c->n_cd_handlers * sizeof *cd);
  memcpy(rc, c->rc_handlers, c->n_rc_handlers * sizeof *rc);
  qsort(cd, c->n_cd_handlers, sizeof *cd, cmp_str);
  qsort(rc, c->n_rc_handlers, sizeof *rc, cmp_str);
  for (size_t i = 0; i < c->n_cd_handlers; i++)
    if (!sorted_has(rc, c->n_rc_handlers, c->cd_handlers[i]))
      lint_add(c, c->first_rc_file, 0, 0, "", c->cd_handlers[i], TC_LINT_INFO,
               "handler-without-runtimeclass",
               "add a RuntimeClass with this handler, or remove the handler from containerd",
               "containerd declares the Kata handler '%s' (in %s) but no RuntimeClass given "
               "here uses it: pods cannot select it",
               c->cd_handlers[i], c->first_cd_file);
  for (size_t i = 0; i < c->n_rc_handlers; i++)
    if (!sorted_has(cd, c->n_cd_handlers, c->rc_handlers[i]))
      lint_add(c, c->first_rc_file, 0, 0, "", c->rc_handlers[i], TC_LINT_WARNING,
               "runtimeclass-without-handler",
               "declare the handler in containerd (kata-deploy drop-in) or fix the handler name",
               "RuntimeClass handler '%s' is not declared by any containerd file given here: "
               "pods using it fail with \"no runtime for ... is configured\"",
               c->rc_handlers[i]);
  free(cd);
  free(rc);
}

typedef struct sort_item {
  tc_lint_finding f;
  size_t seq;
} sort_item;

static int cmp_item(const void *a, const void *b) {
  const sort_item *x = a, *y = b;
  if (x->f.line != y->f.line)
    return x->f.line < y->f.line ? -1 : 1;
  if (x->f.column != y->f.column)
    return x->f.column < y->f.column ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Stable sort of items[start..len) by line, then column. */
static void sort_findings(lint_ctx *c, size_t start) {
  tc_lint_report *r = c->rep;
  size_t n = r->len - start;
  if (n < 2)
    return;
  sort_item *tmp = malloc(n * sizeof *tmp);
  if (!tmp) {
    c->nomem = 1;
    return;
  }
  for (size_t i = 0; i < n; i++) {
    tmp[i].f = r->items[start + i];
    tmp[i].seq = i;
  }
  qsort(tmp, n, sizeof *tmp, cmp_item);
  for (size_t i = 0; i < n; i++)
    r->items[start + i] = tmp[i].f;
  free(tmp);
}

tc_status tc_lint_run(const tc_lint_input *inputs, size_t n, const tc_lint_opts *opts,
                      tc_lint_report *report, tc_error *err) {
  if (n == 0)
    return tc_fail(err, TC_ERR_USAGE, "lint_no_input", "no file to lint");
  tc_lint_opts dflt = {0};
  lint_ctx c = {.rep = report, .opts = opts ? opts : &dflt};
  for (size_t i = 0; i < n && !c.nomem; i++) {
    size_t start = report->len;
    lint_one(&c, &inputs[i]);
    if (!c.nomem) /* stable order within the file: by line, then column */
      sort_findings(&c, start);
  }
  if (!c.nomem)
    cross_file(&c);
  for (size_t i = 0; i < c.n_cd_handlers; i++)
    free(c.cd_handlers[i]);
  for (size_t i = 0; i < c.n_rc_handlers; i++)
    free(c.rc_handlers[i]);
  free(c.cd_handlers);
  free(c.rc_handlers);
  if (c.nomem)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "out of memory while linting");
  return TC_OK;
}

void tc_lint_report_free(tc_lint_report *r) {
  if (!r)
    return;
  for (size_t i = 0; i < r->len; i++) {
    tc_lint_finding *f = &r->items[i];
    free(f->file);
    free(f->table);
    free(f->key);
    free(f->rule);
    free(f->message);
    free(f->fix);
  }
  free(r->items);
  memset(r, 0, sizeof *r);
}

const char *tc_lint_severity_name(tc_lint_severity s) {
  return s == TC_LINT_ERROR ? "error" : s == TC_LINT_WARNING ? "warning" : "info";
}

int tc_lint_max_severity(const tc_lint_report *r) {
  int m = -1;
  for (size_t i = 0; i < r->len; i++)
    if ((int)r->items[i].severity > m)
      m = (int)r->items[i].severity;
  return m;
}

json_t *tc_lint_report_json(const tc_lint_report *r) {
  json_t *arr = json_array();
  json_t *root = json_object();
  if (!arr || !root || json_object_set_new(root, "findings", arr)) {
    json_decref(root);
    return NULL;
  }
  for (size_t i = 0; i < r->len; i++) {
    const tc_lint_finding *f = &r->items[i];
    json_t *o = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "file", f->file, "line",
                          (json_int_t)f->line, "column", (json_int_t)f->column, "table",
                          f->table ? f->table : "", "key", f->key ? f->key : "", "severity",
                          tc_lint_severity_name(f->severity), "rule", f->rule ? f->rule : "",
                          "message", f->message ? f->message : "", "fix", f->fix ? f->fix : "");
    if (!o || json_array_append_new(arr, o)) {
      json_decref(root);
      return NULL;
    }
  }
  return root;
}
