/* SPDX-License-Identifier: Apache-2.0 */
/* SHA-256 (FIPS 180-4) of the measured direct boot inputs, as QEMU puts them into the SEV
 * hash table: whole kernel and initrd files, and the command line with its terminating NUL.
 * Digests go through the crypto module (teectl/crypto.h); files are streamed through its
 * incremental digest, since an initrd may be larger than is sensible to hold in memory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "teectl/crypto.h"
#include "teectl/measure.h"

tc_status tc_snp_cmdline_sha256(const char *cmdline, uint8_t out[32], tc_error *err) {
  return tc_sha256(cmdline, strlen(cmdline) + 1, out, err);
}

static tc_status hash_fd(int fd, const char *path, uint8_t out[32], tc_error *err) {
  tc_hash_ctx *ctx = NULL;
  if (tc_hash_begin(TC_HASH_SHA256, &ctx, NULL) != TC_OK)
    return tc_fail(err, TC_ERR_INTERNAL, "internal_error", "SHA-256 failed");
  uint8_t buf[1 << 16];
  tc_status st = TC_OK;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      st = tc_fail(err, TC_ERR_IO, "file_unreadable", "%s: %s", path, strerror(errno));
      break;
    }
    if (n == 0)
      break;
    if (tc_hash_update(ctx, buf, (size_t)n, NULL) != TC_OK) {
      st = tc_fail(err, TC_ERR_INTERNAL, "internal_error", "SHA-256 failed");
      break;
    }
  }
  if (st == TC_OK && tc_hash_end(ctx, out, NULL) != TC_OK)
    st = tc_fail(err, TC_ERR_INTERNAL, "internal_error", "SHA-256 failed");
  tc_hash_ctx_free(ctx);
  return st;
}

tc_status tc_measure_sha256_file(const char *path, uint8_t out[32], tc_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return tc_fail(err, TC_ERR_IO, "file_unreadable", "%s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return tc_fail(err, TC_ERR_IO, "file_not_regular", "%s: not a regular file", path);
  }
  tc_status s = hash_fd(fd, path, out, err);
  close(fd);
  return s;
}
