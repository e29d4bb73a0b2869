/* SPDX-License-Identifier: Apache-2.0 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "teectl/file.h"

static int is_dir(const char *p) {
  struct stat st;
  return p != NULL && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *test_vectors_dir(int argc, char **argv, const char *sub) {
  const char *dir = getenv("TEECTL_VECTORS");
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--vectors") == 0)
      dir = argv[i + 1];
  char *full = dir && sub ? test_path(dir, sub) : NULL;
  int ok = is_dir(dir) && (sub == NULL || is_dir(full));
  if (!ok) {
    const char *ci = getenv("CI");
    int in_ci = ci != NULL && strcmp(ci, "true") == 0;
    fprintf(stderr, "%s: vectors folder '%s%s%s' not found%s\n", in_ci ? "FAIL" : "SKIP",
            dir ? dir : "(unset)", sub ? "/" : "", sub ? sub : "",
            in_ci ? " (CI=true: the shared vectors must be present)"
                  : "; set TEECTL_VECTORS or pass --vectors DIR to run these tests");
    free(full);
    exit(in_ci ? 1 : TEST_SKIP);
  }
  free(full);
  return dir;
}

tc_buf test_read_file(const char *path) {
  tc_buf b = {0};
  tc_error err;
  if (tc_file_read(path, 0, &b, &err) != TC_OK) {
    fprintf(stderr, "cannot read %s: %s\n", path, err.detail);
    exit(1);
  }
  return b;
}

char *test_path(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (p == NULL)
    abort();
  snprintf(p, n, "%s/%s", dir, name);
  return p;
}

/* "<$TMPDIR or the system's temporary folder>/<prefix>-XXXXXX" into buf; 0, or -1 when it
 * does not fit in cap bytes. */
static int tmp_template(const char *prefix, char *buf, size_t cap) {
  const char *tmp = getenv("TMPDIR");
  int n = snprintf(buf, cap, "%s/%s-XXXXXX", tmp && *tmp ? tmp : P_tmpdir, prefix);
  return n < 0 || (size_t)n >= cap ? -1 : 0;
}

char *test_mkdtemp(const char *prefix, char *buf, size_t cap) {
  if (tmp_template(prefix, buf, cap) != 0 || mkdtemp(buf) == NULL) {
    fprintf(stderr, "test: cannot make a temporary folder for %s\n", prefix);
    exit(1);
  }
  return buf;
}

int test_mkstemp(const char *prefix, char *buf, size_t cap) {
  int fd = tmp_template(prefix, buf, cap) == 0 ? mkstemp(buf) : -1;
  if (fd < 0) {
    fprintf(stderr, "test: cannot make a temporary file for %s\n", prefix);
    exit(1);
  }
  return fd;
}

char **test_index_names(const char *index_path) {
  tc_buf b = test_read_file(index_path);
  size_t cap = 16, n = 0;
  char **out = malloc(cap * sizeof *out);
  char *text = malloc(b.len + 1);
  if (out == NULL || text == NULL)
    abort();
  memcpy(text, b.data, b.len);
  text[b.len] = '\0';
  tc_buf_free(&b);
  int first = 1;
  for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    if (first || line[0] == '#' || line[0] == '\0') {
      first = 0;
      continue;
    }
    char *tab = strchr(line, '\t');
    if (tab)
      *tab = '\0';
    if (n + 2 > cap) {
      cap *= 2;
      out = realloc(out, cap * sizeof *out);
      if (out == NULL)
        abort();
    }
    out[n++] = strdup(line);
  }
  out[n] = NULL;
  free(text);
  return out;
}

void test_free_list(char **list) {
  for (char **p = list; p && *p; p++)
    free(*p);
  free(list);
}

const char *test_teectl_bin(void) {
  return getenv("TEECTL_BIN");
}

unsigned test_wait_log_port(const char *log_path) {
  for (int i = 0; i < 500; i++) {
    tc_buf b = {0};
    tc_error e;
    if (tc_file_read(log_path, 0, &b, &e) == TC_OK) {
      char text[4096];
      size_t n = b.len < sizeof text - 1 ? b.len : sizeof text - 1;
      memcpy(text, b.data, n);
      text[n] = '\0';
      tc_buf_free(&b);
      const char *p = strstr(text, "(port ");
      if (p)
        return (unsigned)strtoul(p + 6, NULL, 10);
    }
    usleep(10000);
  }
  return 0;
}
