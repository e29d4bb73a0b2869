/* SPDX-License-Identifier: Apache-2.0 */
/* Output helpers shared by the CLI commands. */
#ifndef TEECTL_CLI_OUTPUT_H
#define TEECTL_CLI_OUTPUT_H

#include <jansson.h>
#include <stdio.h>

/* Pretty-printed JSON (2-space indent, key order preserved) and a newline. */
void cli_print_json(FILE *f, const json_t *value);

/* A verification result (verify.h shape) for humans: a verdict line, reason and
 * detail when invalid, then the remaining fields; objects of scalars on one line. */
void cli_print_result_text(FILE *f, const json_t *result);

/* 1 if the user's locale encodes characters as UTF-8, so that output may use symbols such as
 * check marks; else 0 (print ASCII). The locale is the first non-empty of the environment
 * variables LC_ALL, LC_CTYPE, LANG (POSIX precedence); UTF-8 when its codeset (after '.') is
 * "UTF-8" or "utf8" in any case. Unset, "C" and "POSIX" are not UTF-8. */
int cli_locale_is_utf8(void);

/* Load a `teectl probe --format json` file given with --probe (cmd: "config lint", ...):
 * *out gets the object. On failure prints one line naming the option, the file and what is
 * wrong (unreadable: the system's reason; not JSON: line and column) and returns -1. */
int cli_load_probe_file(const char *cmd, const char *path, json_t **out);

#endif
