/* SPDX-License-Identifier: Apache-2.0 */
/* Test support shared by all test programs. */
#ifndef TEECTL_TESTLIB_H
#define TEECTL_TESTLIB_H

#include <stddef.h>
#include <stdint.h>

#include "teectl/bytes.h"

/** Exit code ctest treats as "skipped" (SKIP_RETURN_CODE). */
#define TEST_SKIP 77

/**
 * Folder of the shared vectors: argv option "--vectors DIR" (if given to the test),
 * else $TEECTL_VECTORS. When it does not exist: with CI=true prints an error and
 * exits 1 (a failure), otherwise prints a clear skip notice and exits TEST_SKIP.
 * sub: a subfolder that must exist too ("snp", "dcap", ...), or NULL.
 */
const char *test_vectors_dir(int argc, char **argv, const char *sub);

/** Read a whole file, aborting the test program (exit 1) if it cannot be read. */
tc_buf test_read_file(const char *path);

/** Join dir and name into a static-lifetime-free string (malloc'd, caller frees). */
char *test_path(const char *dir, const char *name);

/** A new private folder "<$TMPDIR or the system's temporary folder>/<prefix>-XXXXXX" into
 *  buf (cap bytes); aborts the test program (exit 1) if it cannot be made. Returns buf. */
char *test_mkdtemp(const char *prefix, char *buf, size_t cap);

/** A new private file "<$TMPDIR or the system's temporary folder>/<prefix>-XXXXXX" (empty,
 *  mode 0600), its path into buf (cap bytes); returns its open descriptor (the caller closes
 *  it). Aborts the test program (exit 1) if it cannot be made. */
int test_mkstemp(const char *prefix, char *buf, size_t cap);

/** Read a TSV index (header line skipped); returns the first column of each row,
 *  NULL-terminated, malloc'd (free with test_free_list). */
char **test_index_names(const char *index_path);
void test_free_list(char **list);

/** Path of the built teectl binary ($TEECTL_BIN), or NULL. */
const char *test_teectl_bin(void);

/** Wait up to 5 s for the log file at log_path to name the port a server listens on (the
 *  first "(port N)" in its first 4 KiB, as `teectl exporter` logs it). Returns N, or 0 if it
 *  did not appear in time. */
unsigned test_wait_log_port(const char *log_path);

#endif
