/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — internals shared by the linter's source files (src/config/lint*.c). */
#ifndef TEECTL_CONFIG_INTERNAL_H
#define TEECTL_CONFIG_INTERNAL_H

#include "teectl/lint.h"
#include "teectl/toml.h"

/* State of one tc_lint_run. */
typedef struct lint_ctx {
  tc_lint_report *rep;
  const tc_lint_opts *opts;
  int nomem;
  /* cross-file facts */
  char **cd_handlers; /* Kata handlers declared by containerd files */
  size_t n_cd_handlers;
  char **rc_handlers; /* handlers of RuntimeClasses */
  size_t n_rc_handlers;
  const char *first_rc_file; /* first RuntimeClass file, for cross-file findings */
  const char *first_cd_file;
} lint_ctx;

/* Append a finding (strings copied). line 0 = whole file. */
void lint_add(lint_ctx *c, const char *file, unsigned line, unsigned col, const char *table,
              const char *key, tc_lint_severity sev, const char *rule, const char *fix,
              const char *fmt, ...) __attribute__((format(printf, 10, 11)));

/* Remember a string in a list (for cross-file facts). */
void lint_list_add(lint_ctx *c, char ***list, size_t *n, const char *s);

/* Dotted path of table path + key, non-bare parts quoted (as the TOML reader prints). */
void lint_join(char *out, size_t cap, const char *table, const char *key);

/* Case-insensitive substring test. */
int lint_contains(const char *hay, const char *needle);

/* Per-kind linters. */
void lint_kata(lint_ctx *c, const char *file, const char *text, size_t len, const tc_toml_doc *doc);
void lint_containerd(lint_ctx *c, const char *file, const tc_toml_doc *doc);
void lint_runtimeclass(lint_ctx *c, const char *file, const char *text, size_t len);

/* Shared by the TOML linters: report a parse error / the reader's recovered diagnostics. */
void lint_toml_diags(lint_ctx *c, const char *file, const tc_toml_doc *doc);

#endif
