/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the lint tests: run the linter on files read in place, look for
 * findings, and locate keys in a file by plain text scanning (independent of the TOML
 * reader under test). */
#ifndef TEECTL_TESTS_LINTLIB_H
#define TEECTL_TESTS_LINTLIB_H

#include <stddef.h>

#include "teectl/lint.h"

/** A file's text split into lines (1-based: lines[1..n]). */
typedef struct tl_text {
  char *buf;
  char **lines;
  size_t n;
} tl_text;

tl_text tl_load(const char *path);
void tl_free(tl_text *t);

/** Lint the given paths together; names in findings are the basenames. */
tc_lint_report tl_lint(const char *const *paths, size_t n, tc_lint_runtime rt,
                       const char *probe_path);

/** Lint an in-memory text under a name. */
tc_lint_report tl_lint_text(const char *name, const char *text, tc_lint_runtime rt);

/** First finding with file (basename; NULL = any), line (0 = any), key (NULL = any),
 *  rule (NULL = any) and severity >= min; NULL if none. */
const tc_lint_finding *tl_find(const tc_lint_report *r, const char *file, unsigned line,
                               const char *key, const char *rule, int min_sev);

/** Number of findings with severity >= min_sev (file NULL = any). */
size_t tl_count(const tc_lint_report *r, const char *file, int min_sev);

/** Print all findings (for failure diagnostics). */
void tl_dump(const tc_lint_report *r);

/** Line of the first (or last, when last != 0) line that assigns key ("key =" after
 *  optional indentation) between lines from..to (inclusive); 0 if none. */
unsigned tl_key_line(const tl_text *t, const char *key, size_t from, size_t to, int last);

/** Index of the first line whose trimmed text starts with prefix; 0 if none. */
unsigned tl_line_starting(const tl_text *t, const char *prefix, size_t from);

#endif
