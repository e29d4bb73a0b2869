/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — whole-file I/O for the edges (CLI, collateral directory, probe, tests). */
#ifndef TEECTL_FILE_H
#define TEECTL_FILE_H

#include <stddef.h>

#include "teectl/bytes.h"
#include "teectl/error.h"

/**
 * Read a whole regular file (at most max_len bytes; 0 means 64 MiB) into out.
 * The file is opened non-blocking and checked with fstat before any read, so a FIFO, socket,
 * device or directory is refused at once instead of blocking forever (a FIFO without a writer)
 * or reading without end (/dev/zero). Symbolic links to regular files are followed.
 * Errors: TC_ERR_IO reason "file_not_regular" (detail names path and what it is),
 * "file_unreadable" (detail names path and errno text), TC_ERR_PARSE reason "file_too_large".
 */
tc_status tc_file_read(const char *path, size_t max_len, tc_buf *out, tc_error *err);

/**
 * As tc_file_read, except that path "-" reads standard input to its end, whatever it is
 * (pipe, terminal, file): the command-line convention for "evidence on stdin". Errors as
 * tc_file_read; for stdin the detail says "standard input".
 */
tc_status tc_file_read_input(const char *path, size_t max_len, tc_buf *out, tc_error *err);

/**
 * Write len bytes to path atomically: a hidden temporary file in the same folder
 * (".NAME.tmpXXXXXX", which folder watchers that skip dot-files never pick up), fsync,
 * rename over path. On failure nothing is left at path that was not there before.
 * path must be missing, a regular file, or a symbolic link to a regular file (then the link's
 * target is replaced and the link kept). A device node, FIFO, socket or directory is never
 * replaced: run as root, renaming over /dev/null would turn it into a regular file.
 * Errors: TC_ERR_IO reason "file_not_regular" (detail names the path and what it is),
 * "file_unwritable" (detail names path and errno text).
 */
tc_status tc_file_write_atomic(const char *path, const void *data, size_t len, tc_error *err);

/**
 * tc_file_write_atomic with the file's permission bits given (e.g. 0400 for a secret, 0600
 * for a token): the temporary file is created 0600 (mkstemp), written, then set to mode before
 * the fsync and rename, so the data is never readable with wider permissions. Same rules and
 * errors as tc_file_write_atomic.
 */
tc_status tc_file_write_atomic_mode(const char *path, const void *data, size_t len, unsigned mode,
                                    tc_error *err);

/**
 * Check, writing nothing, what tc_file_write_atomic would check before it writes: path is
 * missing, a regular file or a symbolic link to one, and its folder exists. For commands that
 * learn where their output goes long before they have it (teectl attest: secrets received
 * over the network), so a destination that can never be written is a usage error before any
 * exchange. It does not reserve anything: the write itself checks again.
 * Errors: TC_ERR_IO reason "file_not_regular" (detail names the path and what it is),
 * "file_unwritable" (the folder is missing or not a folder, or lstat failed; detail names
 * path and errno text).
 */
tc_status tc_file_check_write_target(const char *path, tc_error *err);

/** 1 if path exists (any type), else 0. */
int tc_file_exists(const char *path);

#endif
