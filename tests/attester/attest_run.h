/* SPDX-License-Identifier: Apache-2.0 */
/* Running `teectl attest` from the tests: the real binary ($TEECTL_BIN), its standard output
 * and error kept in files. */
#ifndef TEECTL_TESTS_ATTEST_RUN_H
#define TEECTL_TESTS_ATTEST_RUN_H

#include <stddef.h>

/** Run `teectl attest ARGS...` (NULL-terminated) with stdout to out_path and stderr to
 *  err_path; returns the exit code (or -1 if it did not exit normally). */
int attest_run(const char *const *args, const char *out_path, const char *err_path);

/** Read a small file as text (malloc'd, NUL-terminated); NULL if missing. */
char *attest_slurp(const char *path);

#endif
