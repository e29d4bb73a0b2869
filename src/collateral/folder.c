/* SPDX-License-Identifier: Apache-2.0 */
/* Writing a collateral folder for `teectl verify --collateral DIR`, all or nothing: the files
 * go into a fresh hidden folder next to DIR, which then takes DIR's place in one rename
 * (rename(2); renameat2(2) RENAME_EXCHANGE when DIR exists). A run killed or failing half-way
 * leaves DIR as it was (at most a hidden ".NAME.tmpXXXXXX" folder beside it). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "teectl/collateral.h"
#include "teectl/file.h"

/* The file names, DER or PEM by content; the order of tc_collateral's items. */
static const struct {
  size_t offset;
  const char *der, *pem;
} names[] = {
    {offsetof(tc_collateral, ark), "ark.der", "ark.pem"},
    {offsetof(tc_collateral, ask), "ask.der", "ask.pem"},
    {offsetof(tc_collateral, vcek), "vcek.der", "vcek.pem"},
    {offsetof(tc_collateral, vlek), "vlek.der", "vlek.pem"},
    {offsetof(tc_collateral, amd_crl), "crl.der", "crl.pem"},
    {offsetof(tc_collateral, tcb_info), "tcb_info.json", "tcb_info.json"},
    {offsetof(tc_collateral, tcb_info_issuer_chain), "tcb_info_issuer_chain.pem",
     "tcb_info_issuer_chain.pem"},
    {offsetof(tc_collateral, qe_identity), "qe_identity.json", "qe_identity.json"},
    {offsetof(tc_collateral, qe_identity_issuer_chain), "qe_identity_issuer_chain.pem",
     "qe_identity_issuer_chain.pem"},
    {offsetof(tc_collateral, pck_crl), "pck_crl.der", "pck_crl.pem"},
    {offsetof(tc_collateral, pck_crl_issuer_chain), "pck_crl_issuer_chain.pem",
     "pck_crl_issuer_chain.pem"},
    {offsetof(tc_collateral, root_ca_crl), "root_ca_crl.der", "root_ca_crl.pem"},
    {offsetof(tc_collateral, pck_chain), "pck_chain.pem", "pck_chain.pem"},
};

static int is_pem(const tc_buf *b) {
  size_t lim = b->len < 64 ? b->len : 64;
  for (size_t i = 0; i + 10 <= lim; i++)
    if (memcmp(b->data + i, "-----BEGIN", 10) == 0)
      return 1;
  return 0;
}

static int collateral_name(const char *n) {
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(n, names[i].der) == 0 || strcmp(n, names[i].pem) == 0)
      return 1;
  return 0;
}

/* An existing dir may be replaced when it holds only regular files under collateral names
 * (an earlier fetch, or an empty folder); anything else might be the user's and is refused. */
static tc_status check_replaceable(const char *dir, tc_error *err) {
  DIR *d = opendir(dir);
  if (d == NULL)
    return tc_fail(err, TC_ERR_IO, "file_unwritable", "%s: %s", dir, strerror(errno));
  tc_status st = TC_OK;
  for (struct dirent *e; st == TC_OK && (e = readdir(d)) != NULL;) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    struct stat s;
    if (!collateral_name(e->d_name) || fstatat(dirfd(d), e->d_name, &s, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(s.st_mode))
      st = tc_fail(err, TC_ERR_USAGE, "folder_not_collateral",
                   "%s holds '%s', which is not a collateral file of teectl; the folder is "
                   "replaced as a whole, so give a new or empty folder, or one an earlier "
                   "fetch wrote",
                   dir, e->d_name);
  }
  closedir(d);
  return st;
}

/* Remove a folder this module filled: its regular files, then the folder. Best effort. */
static void remove_folder(const char *dir) {
  DIR *d = opendir(dir);
  if (d != NULL) {
    for (struct dirent *e; (e = readdir(d)) != NULL;)
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
        (void)unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
  }
  (void)rmdir(dir);
}

static void fsync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
}

static tc_status write_items(const tc_collateral *col, const char *tmp, tc_error *err) {
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    const tc_buf *b = (const tc_buf *)((const char *)col + names[i].offset);
    if (b->data == NULL)
      continue;
    char path[8400];
    int n = snprintf(path, sizeof path, "%s/%s", tmp, is_pem(b) ? names[i].pem : names[i].der);
    if (n < 0 || (size_t)n >= sizeof path)
      return tc_fail(err, TC_ERR_IO, "file_unwritable", "path too long: %s", tmp);
    tc_status st = tc_file_write_atomic(path, b->data, b->len, err);
    if (st != TC_OK)
      return st;
  }
  fsync_dir(tmp);
  return TC_OK;
}

/* Put the filled folder tmp in place of the existing folder dir; on success tmp is gone. */
static tc_status swap_in(const char *tmp, const char *dir, const char *parent, const char *base,
                         tc_error *err) {
  if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) == 0) {
    remove_folder(tmp); /* now holds the old contents */
    return TC_OK;
  }
  if (errno != EINVAL && errno != ENOSYS)
    return tc_fail(err, TC_ERR_IO, "file_unwritable", "%s: %s", dir, strerror(errno));
  /* No atomic exchange on this file system: move the old folder aside, then rename. DIR is
   * briefly absent, never partial. */
  char old[8300];
  int n = snprintf(old, sizeof old, "%s/.%s.oldXXXXXX", parent, base);
  if (n < 0 || (size_t)n >= sizeof old || mkdtemp(old) == NULL || rename(dir, old) != 0) {
    int e = errno;
    (void)rmdir(old);
    return tc_fail(err, TC_ERR_IO, "file_unwritable", "%s: %s", dir, strerror(e));
  }
  if (rename(tmp, dir) != 0) {
    int e = errno;
    (void)rename(old, dir);
    return tc_fail(err, TC_ERR_IO, "file_unwritable", "%s: %s", dir, strerror(e));
  }
  remove_folder(old);
  return TC_OK;
}

tc_status tc_collateral_write_dir(const tc_collateral *col, const char *dir, tc_error *err) {
  size_t dl = strlen(dir);
  while (dl > 1 && dir[dl - 1] == '/')
    dl--;
  if (dl == 0 || dl >= 4000)
    return tc_fail(err, TC_ERR_USAGE, "file_unwritable", "collateral folder path '%s' unusable",
                   dir);
  char path[4096], parent[4096], tmp[8300];
  memcpy(path, dir, dl);
  path[dl] = '\0';
  struct stat st;
  int exists = 0;
  if (stat(path, &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      return tc_fail(err, TC_ERR_USAGE, "folder_not_collateral", "%s: exists and is not a folder",
                     path);
    char *real = realpath(path, NULL); /* a symbolic link: replace its target, keep the link */
    if (real == NULL || strlen(real) >= sizeof path) {
      free(real);
      return tc_fail(err, TC_ERR_IO, "file_unwritable", "%s: %s", path, strerror(errno));
    }
    snprintf(path, sizeof path, "%s", real);
    free(real);
    tc_status cs = check_replaceable(path, err);
    if (cs != TC_OK)
      return cs;
    exists = 1;
  } else if (errno != ENOENT) {
    return tc_fail(err, TC_ERR_IO, "file_unwritable", "%s: %s", path, strerror(errno));
  }
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  if (slash == NULL)
    snprintf(parent, sizeof parent, ".");
  else if (slash == path)
    snprintf(parent, sizeof parent, "/");
  else
    snprintf(parent, sizeof parent, "%.*s", (int)(slash - path), path);
  int n = snprintf(tmp, sizeof tmp, "%s/.%s.tmpXXXXXX", parent, base);
  if (n < 0 || (size_t)n >= sizeof tmp || mkdtemp(tmp) == NULL)
    return tc_fail(err, TC_ERR_IO, "file_unwritable", "%s: %s", path, strerror(errno));
  tc_status ws = chmod(tmp, 0755) == 0
                     ? write_items(col, tmp, err)
                     : tc_fail(err, TC_ERR_IO, "file_unwritable", "%s: %s", tmp, strerror(errno));
  if (ws == TC_OK) {
    if (exists)
      ws = swap_in(tmp, path, parent, base, err);
    else if (rename(tmp, path) != 0)
      ws = tc_fail(err, TC_ERR_IO, "file_unwritable", "%s: %s", path, strerror(errno));
  }
  if (ws != TC_OK) {
    remove_folder(tmp);
    return ws;
  }
  fsync_dir(parent);
  return TC_OK;
}
