/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — Kata configuration linting, private to lint_kata.c (the file, its dialect and
 * key schema) and lint_kata_platform.c (what the file configures: SEV-SNP, TDX, SGX, legacy
 * SEV, judged against the templates and the node's probe). */
#ifndef TEECTL_CONFIG_LINT_KATA_INTERNAL_H
#define TEECTL_CONFIG_LINT_KATA_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "config/internal.h"

/* One Kata configuration file being linted. */
typedef struct kfile {
  lint_ctx *c;
  const char *file;
  const char *text;
  size_t len;
  const tc_toml_value *root;
  tc_lint_runtime dialect;
  int counting;      /* count unknown keys only (dialect detection) */
  size_t unknown;    /* keys unknown to `dialect` */
  size_t other_only; /* keys known only to the other dialect */
  unsigned hv;       /* TC_KHV_* bit of the [hypervisor.<name>] being checked, else 0 */
  const char *hv_name;
} kfile;

/* ---- value helpers ---- */

static inline const tc_toml_entry *ent(const tc_toml_value *t, const char *k) {
  return t ? tc_toml_get(t, k) : NULL;
}

static inline const char *str_of(const tc_toml_value *t, const char *k) {
  const tc_toml_entry *e = ent(t, k);
  return e && e->value->type == TC_TOML_STRING ? e->value->u.str.ptr : NULL;
}

/* 1 true, 0 false, -1 absent or not a bool */
static inline int bool_of(const tc_toml_value *t, const char *k) {
  const tc_toml_entry *e = ent(t, k);
  return e && e->value->type == TC_TOML_BOOL ? e->value->u.boolean : -1;
}

static inline int int_of(const tc_toml_value *t, const char *k, int64_t *out) {
  const tc_toml_entry *e = ent(t, k);
  if (!e || e->value->type != TC_TOML_INTEGER)
    return 0;
  *out = e->value->u.integer;
  return 1;
}

static inline const tc_toml_value *table_at(const tc_toml_value *root, const char *path) {
  const tc_toml_value *v = tc_toml_path(root, path);
  return v && v->type == TC_TOML_TABLE ? v : NULL;
}

static inline int strings_has(const tc_toml_value *t, const char *k, const char *want) {
  const tc_toml_entry *e = ent(t, k);
  if (!e || e->value->type != TC_TOML_ARRAY)
    return 0;
  for (size_t i = 0; i < e->value->u.array.len; i++) {
    const tc_toml_value *x = e->value->u.array.items[i];
    if (x->type == TC_TOML_STRING && strcmp(x->u.str.ptr, want) == 0)
      return 1;
  }
  return 0;
}

/* Finding at key k of table t (path tpath), or at the table header when k is absent. */
static inline void at(kfile *f, const tc_toml_value *t, const char *tpath, const char *k,
                      tc_lint_severity sev, const char *rule, const char *fix, const char *msg) {
  const tc_toml_entry *e = ent(t, k);
  unsigned line = e ? e->line : t ? t->line : 0;
  unsigned col = e ? e->column : t ? t->column : 0;
  lint_add(f->c, f->file, line, col, tpath, k, sev, rule, fix, "%s", msg);
}

static inline const char *basename_of(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

/* The platform rules of f (after its schema check): the TEE it configures against the
 * templates (and with a probe, the node), VM templating, the provenance header. */
void kata_platform_rules(kfile *f);

#endif
