/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "teectl/file.h"

static const char *file_type_name(mode_t m) {
  if (S_ISCHR(m))
    return "a character device";
  if (S_ISBLK(m))
    return "a block device";
  if (S_ISFIFO(m))
    return "a FIFO";
  if (S_ISSOCK(m))
    return "a socket";
  if (S_ISDIR(m))
    return "a directory";
  return "not a regular file";
}

/* Read fd to its end (at most max_len bytes); name is the path for error details. Closes fd. */
static tc_status read_fd(int fd, const char *name, size_t max_len, tc_buf *out, tc_error *err) {
  size_t cap = 4096, len = 0;
  uint8_t *data = malloc(cap);
  if (data == NULL) {
    close(fd);
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "reading %s", name);
  }
  for (;;) {
    if (len == cap) {
      if (cap > max_len) {
        free(data);
        close(fd);
        return tc_fail(err, TC_ERR_PARSE, "file_too_large", "%s: larger than %zu bytes", name,
                       max_len);
      }
      uint8_t *n = realloc(data, cap * 2);
      if (n == NULL) {
        free(data);
        close(fd);
        return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "reading %s", name);
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
      return tc_fail(err, TC_ERR_IO, "file_unreadable", "%s: %s", name, strerror(e));
    }
    if (r == 0)
      break;
    len += (size_t)r;
  }
  close(fd);
  if (len > max_len) {
    free(data);
    return tc_fail(err, TC_ERR_PARSE, "file_too_large", "%s: larger than %zu bytes", name, max_len);
  }
  out->data = data;
  out->len = len;
  return TC_OK;
}

tc_status tc_file_read(const char *path, size_t max_len, tc_buf *out, tc_error *err) {
  if (max_len == 0)
    max_len = 64u << 20;
  out->data = NULL;
  out->len = 0;
  /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0)
    return tc_fail(err, TC_ERR_IO, "file_unreadable", "%s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return tc_fail(err, TC_ERR_IO, "file_unreadable", "%s: %s", path, strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return tc_fail(err, TC_ERR_IO, "file_not_regular", "%s: is %s; give a regular file", path,
                   file_type_name(st.st_mode));
  }
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
    int e = errno;
    close(fd);
    return tc_fail(err, TC_ERR_IO, "file_unreadable", "%s: %s", path, strerror(e));
  }
  return read_fd(fd, path, max_len, out, err);
}

tc_status tc_file_read_input(const char *path, size_t max_len, tc_buf *out, tc_error *err) {
  if (strcmp(path, "-") != 0)
    return tc_file_read(path, max_len, out, err);
  if (max_len == 0)
    max_len = 64u << 20;
  out->data = NULL;
  out->len = 0;
  int fd = dup(STDIN_FILENO);
  if (fd < 0)
    return tc_fail(err, TC_ERR_IO, "file_unreadable", "standard input: %s", strerror(errno));
  return read_fd(fd, "standard input", max_len, out, err);
}

/* Decide where the atomic write lands. A missing target or a regular file: the path itself.
 * A symbolic link to a regular file: the link's target (so the link survives the rename).
 * Anything else (device, FIFO, socket, directory, dangling link) is refused: renaming over it
 * would replace a device node such as /dev/null with a regular file. *resolved is malloc'd
 * when the target differs from path. */
static tc_status write_target(const char *path, char **resolved, tc_error *err) {
  *resolved = NULL;
  struct stat lst, st;
  if (lstat(path, &lst) != 0) {
    if (errno == ENOENT)
      return TC_OK;
    return tc_fail(err, TC_ERR_IO, "file_unwritable", "%s: %s", path, strerror(errno));
  }
  if (S_ISREG(lst.st_mode))
    return TC_OK;
  if (!S_ISLNK(lst.st_mode))
    return tc_fail(err, TC_ERR_IO, "file_not_regular",
                   "%s: is %s; refusing to replace it (give a regular file path)", path,
                   file_type_name(lst.st_mode));
  if (stat(path, &st) != 0)
    return tc_fail(err, TC_ERR_IO, "file_not_regular", "%s: symbolic link to a missing target",
                   path);
  if (!S_ISREG(st.st_mode))
    return tc_fail(err, TC_ERR_IO, "file_not_regular",
                   "%s: links to %s; refusing to replace it (give a regular file path)", path,
                   file_type_name(st.st_mode));
  *resolved = realpath(path, NULL);
  if (*resolved == NULL)
    return tc_fail(err, TC_ERR_IO, "file_unwritable", "%s: %s", path, strerror(errno));
  return TC_OK;
}

tc_status tc_file_write_atomic(const char *path, const void *data, size_t len, tc_error *err) {
  return tc_file_write_atomic_mode(path, data, len, 0644, err);
}

tc_status tc_file_write_atomic_mode(const char *path, const void *data, size_t len, unsigned mode,
                                    tc_error *err) {
  char *resolved = NULL;
  tc_status rs = write_target(path, &resolved, err);
  if (rs != TC_OK)
    return rs;
  if (resolved != NULL) {
    rs = tc_file_write_atomic_mode(resolved, data, len, mode, err);
    free(resolved);
    return rs;
  }
  /* the temporary file is hidden (".NAME.tmpXXXXXX" beside NAME): folder watchers such as
   * Node Feature Discovery's features.d reader skip dot-files, so they never see it */
  size_t plen = strlen(path);
  const char *slash = strrchr(path, '/');
  int dlen = slash ? (int)(slash - path + 1) : 0;
  char *tmp = malloc(plen + 17);
  if (tmp == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "writing %s", path);
  snprintf(tmp, plen + 17, "%.*s.%s.tmpXXXXXX", dlen, path, path + dlen);
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
  if (fchmod(fd, (mode_t)(mode & 07777)) != 0 || fsync(fd) != 0)
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

tc_status tc_file_check_write_target(const char *path, tc_error *err) {
  char *resolved = NULL;
  tc_status st = write_target(path, &resolved, err);
  if (st != TC_OK)
    return st;
  /* the folder the temporary file goes into: the link's target's when path is a link */
  const char *p = resolved ? resolved : path;
  const char *slash = strrchr(p, '/');
  char *dir = slash ? strndup(p, slash == p ? 1 : (size_t)(slash - p)) : strdup(".");
  free(resolved);
  if (dir == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "checking %s", path);
  struct stat ds;
  if (stat(dir, &ds) != 0)
    st =
        tc_fail(err, TC_ERR_IO, "file_unwritable", "%s: folder %s: %s", path, dir, strerror(errno));
  else if (!S_ISDIR(ds.st_mode))
    st = tc_fail(err, TC_ERR_IO, "file_unwritable", "%s: %s is not a folder", path, dir);
  free(dir);
  return st;
}

int tc_file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}
