/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — the KBS resource store: DIR/<repository>/<type>/<tag> (Trustee's resource URI
 * kbs:///<repository>/<type>/<tag>, served at GET /kbs/v0/resource/<repository>/<type>/<tag>).
 * Names are restricted to [A-Za-z0-9._-] and may not start with '.', so no path can
 * climb out of DIR; the file is opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)
 * so that no symbolic link leads out of DIR either, and the resource itself with O_NOFOLLOW.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "teectl/kbs.h"

static int name_ok(const char *s, size_t n) {
  if (n == 0 || n > TC_KBS_NAME_MAX || s[0] == '.')
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return 0;
  }
  return 1;
}

tc_status tc_kbs_resource_path(const char *path, char repo[TC_KBS_NAME_MAX + 1],
                               char type[TC_KBS_NAME_MAX + 1], char tag[TC_KBS_NAME_MAX + 1],
                               tc_error *err) {
  char *parts[3] = {repo, type, tag};
  const char *p = path ? path : "";
  for (int i = 0; i < 3; i++) {
    const char *end = i < 2 ? strchr(p, '/') : p + strlen(p);
    if (!end || !name_ok(p, (size_t)(end - p)))
      return tc_fail(err, TC_ERR_USAGE, "resource_path_invalid",
                     "resource path must be <repository>/<type>/<tag>, each 1..%d characters "
                     "of [A-Za-z0-9._-] not starting with '.'",
                     TC_KBS_NAME_MAX);
    memcpy(parts[i], p, (size_t)(end - p));
    parts[i][end - p] = '\0';
    p = end + 1;
  }
  return TC_OK;
}

static int open_beneath(int dirfd, const char *rel, uint64_t flags) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
}

static tc_status open_error(const char *what, tc_error *err) {
  if (errno == ENOENT || errno == ENOTDIR)
    return tc_fail(err, TC_ERR_IO, "resource_not_found", "no resource %s", what);
  if (errno == EXDEV || errno == ELOOP)
    return tc_fail(err, TC_ERR_VERIFY, "resource_refused",
                   "resource %s: a symbolic link leads out of the resource folder or is the "
                   "resource itself",
                   what);
  return tc_fail(err, TC_ERR_IO, "resource_unreadable", "resource %s: %s", what, strerror(errno));
}

tc_status tc_kbs_resource_read(const char *dir, const char *repo, const char *type, const char *tag,
                               tc_buf *out, tc_error *err) {
  memset(out, 0, sizeof *out);
  char rel[3 * (TC_KBS_NAME_MAX + 1)];
  if (!name_ok(repo, strlen(repo)) || !name_ok(type, strlen(type)) || !name_ok(tag, strlen(tag)))
    return tc_fail(err, TC_ERR_USAGE, "resource_path_invalid", "invalid resource name");
  snprintf(rel, sizeof rel, "%s/%s", repo, type);
  char what[sizeof rel + TC_KBS_NAME_MAX + 2];
  snprintf(what, sizeof what, "%s/%s", rel, tag);
  int root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return tc_fail(err, TC_ERR_IO, "resource_unreadable", "resource folder %s: %s", dir,
                   strerror(errno));
  int sub = open_beneath(root, rel, O_PATH | O_DIRECTORY);
  int fd = -1;
  tc_status st = TC_OK;
  if (sub < 0)
    st = open_error(what, err);
  else if ((fd = open_beneath(sub, tag, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)) < 0)
    st = open_error(what, err);
  struct stat sb;
  if (st == TC_OK && fstat(fd, &sb) != 0)
    st = open_error(what, err);
  else if (st == TC_OK && !S_ISREG(sb.st_mode))
    st = tc_fail(err, TC_ERR_VERIFY, "resource_refused", "resource %s is not a regular file", what);
  else if (st == TC_OK && sb.st_size > (off_t)TC_KBS_RESOURCE_MAX)
    st = tc_fail(err, TC_ERR_PARSE, "resource_too_large", "resource %s has %lld bytes (max %d)",
                 what, (long long)sb.st_size, TC_KBS_RESOURCE_MAX);
  if (st == TC_OK) {
    size_t cap = (size_t)sb.st_size + 1, len = 0;
    out->data = malloc(cap);
    while (out->data && len < cap) {
      ssize_t r = read(fd, out->data + len, cap - len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      len += (size_t)r;
    }
    if (!out->data)
      st = tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "resource");
    else if (len != (size_t)sb.st_size) /* changed while read, or a read error */
      st = tc_fail(err, TC_ERR_IO, "resource_unreadable",
                   "resource %s changed or failed while "
                   "being read",
                   what);
    out->len = len;
    if (st != TC_OK)
      tc_buf_free(out);
  }
  if (fd >= 0)
    close(fd);
  if (sub >= 0)
    close(sub);
  close(root);
  return st;
}
