/* SPDX-License-Identifier: Apache-2.0 */
/* The probe's reads below its root folder (live "/" or a fixture): text files, module
 * parameters, folders, character devices (stat() S_ISCHR, or a declared DEVICES.txt list
 * for fixtures, which cannot hold device nodes), and the option inputs. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "node/internal.h"
#include "teectl/file.h"

char *probe_join(const probe_ctx *c, const char *rel) {
  size_t n = strlen(c->root) + strlen(rel) + 2;
  char *p = malloc(n);
  if (p != NULL)
    snprintf(p, n, "%s/%s", c->root, rel);
  return p;
}

/* Whole small text file under root, NUL-terminated; NULL when absent/unreadable. */
char *probe_read_text(const probe_ctx *c, const char *rel) {
  char *path = probe_join(c, rel);
  if (path == NULL)
    return NULL;
  tc_buf b = {0};
  tc_error e;
  tc_status st = tc_file_read(path, 16u << 20, &b, &e);
  free(path);
  if (st != TC_OK)
    return NULL;
  char *s = malloc(b.len + 1);
  if (s != NULL) {
    if (b.len)
      memcpy(s, b.data, b.len);
    s[b.len] = '\0';
  }
  tc_buf_free(&b);
  return s;
}

/* A character device on the real system: with a declared list, the path is listed (the
 * list is enough: no file needs to stand in for it under root); otherwise stat() must say
 * S_ISCHR. */
int probe_is_chardev(const probe_ctx *c, const char *rel) {
  if (c->chardevs != NULL) {
    for (size_t i = 0; i < c->chardevs->count; i++)
      if (strcmp(c->chardevs->paths[i], rel) == 0)
        return 1;
    return 0;
  }
  char *path = probe_join(c, rel);
  if (path == NULL)
    return 0;
  struct stat st;
  int r = stat(path, &st) == 0 && S_ISCHR(st.st_mode);
  free(path);
  return r;
}

/* Module parameter: 1 on, 0 off, -1 absent or unrecognised. */
int probe_param(const probe_ctx *c, const char *module, const char *name) {
  char rel[256];
  snprintf(rel, sizeof rel, "sys/module/%s/parameters/%s", module, name);
  char *t = probe_read_text(c, rel);
  int on = 0, r = t != NULL && node_param_bool(t, &on) ? on : -1;
  free(t);
  return r;
}

/* Number of entries in a folder (excluding . and ..); 0 when absent. */
int probe_dir_entries(const probe_ctx *c, const char *rel) {
  char *path = probe_join(c, rel);
  if (path == NULL)
    return 0;
  DIR *d = opendir(path);
  free(path);
  if (d == NULL)
    return 0;
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
      n++;
  closedir(d);
  return n;
}

int probe_cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in a folder matching prefix (malloc'd list, NULL-terminated). */
char **probe_dir_list(const probe_ctx *c, const char *rel, const char *prefix) {
  char *path = probe_join(c, rel);
  if (path == NULL)
    return NULL;
  DIR *d = opendir(path);
  free(path);
  if (d == NULL)
    return NULL;
  size_t n = 0, cap = 8;
  char **out = malloc(cap * sizeof *out);
  struct dirent *de;
  while (out != NULL && (de = readdir(d)) != NULL) {
    if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
      continue;
    if (n + 2 > cap) {
      char **no = realloc(out, (cap *= 2) * sizeof *out);
      if (no == NULL) {
        for (size_t i = 0; i < n; i++)
          free(out[i]);
        free(out);
        out = NULL;
        break;
      }
      out = no;
    }
    out[n++] = strdup(de->d_name);
  }
  closedir(d);
  if (out == NULL)
    return NULL;
  out[n] = NULL;
  for (size_t i = 0; i < n; i++)
    if (out[i] == NULL) { /* strdup failed: drop the whole list */
      for (size_t j = 0; j < n; j++)
        free(out[j]);
      free(out);
      return NULL;
    }
  qsort(out, n, sizeof *out, probe_cmp_str);
  return out;
}

void probe_list_free(char **l) {
  for (char **p = l; p && *p; p++)
    free(*p);
  free(l);
}

/* Parse a decimal file content (sysfs number); 1 on success. */
int probe_read_u64(const probe_ctx *c, const char *rel, int64_t *v) {
  char *t = probe_read_text(c, rel);
  if (t == NULL)
    return 0;
  size_t n = strlen(t);
  while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == ' '))
    t[--n] = '\0';
  /* reuse the misc parser: "x <number>" */
  char *line = malloc(n + 3);
  int ok = 0;
  if (line != NULL) {
    snprintf(line, n + 3, "x %s", t);
    ok = node_misc_lookup(line, "x", v);
    free(line);
  }
  free(t);
  return ok;
}

tc_status probe_load_inputs(const tc_probe_opts *opts, probe_ctx *c, node_cpuid_table *cpuid,
                            node_chardev_list *chardevs, int *have_chardevs, tc_error *err) {
  memset(cpuid, 0, sizeof *cpuid);
  memset(chardevs, 0, sizeof *chardevs);
  *have_chardevs = 0;
  const char *root = opts && opts->root ? opts->root : "/";
  struct stat st;
  if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
    return tc_fail(err, TC_ERR_USAGE, "probe_bad_options", "'%s' is not a folder (%s)", root,
                   errno ? strerror(errno) : "not a directory");
  c->root = strcmp(root, "/") == 0 ? "" : root;
  c->cpuid = cpuid;
  c->chardevs = NULL;
  if (opts && opts->cpuid_file) {
    tc_buf b = {0};
    tc_error e;
    if (tc_file_read(opts->cpuid_file, 1u << 20, &b, &e) != TC_OK)
      return tc_fail(err, TC_ERR_IO, "probe_file_unreadable", "--cpuid FILE: %s", e.detail);
    tc_status s = node_cpuid_parse((const char *)b.data, b.len, opts->cpuid_file, cpuid, err);
    tc_buf_free(&b);
    if (s != TC_OK)
      return s;
  } else {
    cpuid->live = 1;
  }
  if (opts && opts->char_devices_file) {
    tc_buf b = {0};
    tc_error e;
    if (tc_file_read(opts->char_devices_file, 1u << 20, &b, &e) != TC_OK) {
      node_cpuid_table_free(cpuid);
      return tc_fail(err, TC_ERR_IO, "probe_file_unreadable", "--char-devices FILE: %s", e.detail);
    }
    tc_status s =
        node_chardev_parse((const char *)b.data, b.len, opts->char_devices_file, chardevs, err);
    tc_buf_free(&b);
    if (s != TC_OK) {
      node_cpuid_table_free(cpuid);
      return s;
    }
    *have_chardevs = 1;
    c->chardevs = chardevs;
  }
  return TC_OK;
}
