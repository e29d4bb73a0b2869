#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "teectl/file.h"

tc_status tc_file_read(const char *path, size_t max_len, tc_buf *out, tc_error *err) {
  if (max_len == 0)
    max_len = 64u << 20;
  out->data = NULL;
  out->len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return tc_fail(err, TC_ERR_IO, "file_unreadable", "%s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    int e = S_ISDIR(st.st_mode) ? EISDIR : errno;
    close(fd);
    return tc_fail(err, TC_ERR_IO, "file_unreadable", "%s: %s", path, strerror(e));
  }
  size_t cap = 4096, len = 0;
  uint8_t *data = malloc(cap);
  if (data == NULL) {
    close(fd);
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "reading %s", path);
  }
  for (;;) {
    if (len == cap) {
      if (cap > max_len) {
        free(data);
        close(fd);
        return tc_fail(err, TC_ERR_PARSE, "file_too_large", "%s: larger than %zu bytes", path,
                       max_len);
      }
      uint8_t *n = realloc(data, cap * 2);
      if (n == NULL) {
        free(data);
        close(fd);
        return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "reading %s", path);
      }
      data = n;
      cap *= 2;
    }
    ssize_t r = read(fd, data + len, cap - len);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      int e = errno;
      free(data);
      close(fd);
      return tc_fail(err, TC_ERR_IO, "file_unreadable", "%s: %s", path, strerror(e));
    }
    if (r == 0)
      break;
    len += (size_t)r;
  }
  close(fd);
  if (len > max_len) {
    free(data);
    return tc_fail(err, TC_ERR_PARSE, "file_too_large", "%s: larger than %zu bytes", path, max_len);
  }
  out->data = data;
  out->len = len;
  return TC_OK;
}

tc_status tc_file_write_atomic(const char *path, const void *data, size_t len, tc_error *err) {
  size_t plen = strlen(path);
  char *tmp = malloc(plen + 16);
  if (tmp == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "writing %s", path);
  snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    int e = errno;
    free(tmp);
    return tc_fail(err, TC_ERR_IO, "file_unwritable", "%s: %s", path, strerror(e));
  }
  const uint8_t *p = data;
  size_t off = 0;
  while (off < len) {
    ssize_t w = write(fd, p + off, len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      goto fail;
    off += (size_t)w;
  }
  if (fchmod(fd, 0644) != 0 || fsync(fd) != 0)
    goto fail;
  if (close(fd) != 0) {
    fd = -1;
    goto fail;
  }
  fd = -1;
  if (rename(tmp, path) != 0)
    goto fail;
  free(tmp);
  return TC_OK;
fail : {
  int e = errno;
  if (fd >= 0)
    close(fd);
  unlink(tmp);
  free(tmp);
  return tc_fail(err, TC_ERR_IO, "file_unwritable", "%s: %s", path, strerror(e));
}
}

int tc_file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}
