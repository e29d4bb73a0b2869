/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers for the exporter tests: temp trees, exposition lookups, child processes.
 * Header-only (static functions) so each test program stays self-contained. */
#ifndef TEECTL_EXPORTER_TEST_H
#define TEECTL_EXPORTER_TEST_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

/* A TCP connection to 127.0.0.1:port; aborts on failure. */
static inline int loopback_connect(unsigned port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    perror("connect to 127.0.0.1");
    abort();
  }
  return fd;
}

/* Create a fresh temp folder; aborts on failure. Caller frees and removes (tmp_rm). */
static inline char *tmp_dir(void) {
  char *p = malloc(4096);
  if (p == NULL)
    abort();
  return test_mkdtemp("teectl-exporter", p, 4096);
}

static inline void rm_tree(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0)
    return;
  if (S_ISDIR(st.st_mode)) {
    DIR *d = opendir(path);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
      if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
        continue;
      char sub[4096 + 512];
      int n = snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
      if (n > 0 && (size_t)n < sizeof sub)
        rm_tree(sub);
    }
    if (d)
      closedir(d);
    rmdir(path);
  } else {
    unlink(path);
  }
}

static inline void tmp_rm(char *dir) {
  if (dir) {
    rm_tree(dir);
    free(dir);
  }
}

/* mkdir -p for every parent of root/rel, then write len bytes of data there. */
static inline void put_file(const char *root, const char *rel, const void *data, size_t len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", root, rel);
  for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
    *p = '\0';
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
      perror(path);
      abort();
    }
    *p = '/';
  }
  FILE *f = fopen(path, "wb");
  if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
    perror(path);
    abort();
  }
}

static inline void put_text(const char *root, const char *rel, const char *text) {
  put_file(root, rel, text, strlen(text));
}

/* Value of the sample line "<series> <value>" in exposition text: 1 and *v when found. */
static inline int series_value(const char *text, const char *series, double *v) {
  size_t n = strlen(series);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
    if (strncmp(p, series, n) == 0 && p[n] == ' ') {
      char *end = NULL;
      *v = strtod(p + n + 1, &end);
      return end != p + n + 1 && (*end == '\n' || *end == '\0');
    }
  }
  return 0;
}

/* 1 if any line of text starts with prefix. */
static inline int has_line_prefix(const char *text, const char *prefix) {
  size_t n = strlen(prefix);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
    if (strncmp(p, prefix, n) == 0)
      return 1;
  return 0;
}

/* Run argv (argv[0] a path) with stdout captured into *out (malloc'd, NUL-terminated) and
 * stderr to stderr_path (or inherited when NULL); stdin from stdin_path or /dev/null.
 * Returns the exit status (or 128+signal). */
static inline int run_capture(char *const argv[], const char *stdin_path, const char *stderr_path,
                              char **out) {
  int fds[2];
  if (pipe(fds) != 0)
    abort();
  pid_t pid = fork();
  if (pid < 0)
    abort();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    FILE *in = freopen(stdin_path ? stdin_path : "/dev/null", "r", stdin);
    (void)in;
    if (stderr_path) {
      FILE *e = freopen(stderr_path, "w", stderr);
      (void)e;
    }
    execv(argv[0], argv);
    _exit(127);
  }
  close(fds[1]);
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (len + 1 >= cap) {
      cap *= 2;
      buf = realloc(buf, cap);
      if (buf == NULL)
        abort();
    }
    ssize_t r = read(fds[0], buf + len, cap - len - 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    len += (size_t)r;
  }
  buf[len] = '\0';
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (out)
    *out = buf;
  else
    free(buf);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Find an executable by name in PATH; malloc'd path or NULL. */
static inline char *which(const char *name) {
  const char *path = getenv("PATH");
  if (path == NULL)
    path = "/usr/bin:/bin";
  char *copy = strdup(path);
  char *save = NULL;
  for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
    char *full = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(full, "%s/%s", dir, name);
    if (access(full, X_OK) == 0) {
      free(copy);
      return full;
    }
    free(full);
  }
  free(copy);
  return NULL;
}

/* Missing tool: a failure with CI=true, else a skip (exit 77). */
static inline void require_tool(const char *name, char **out) {
  *out = which(name);
  if (*out)
    return;
  const char *ci = getenv("CI");
  int in_ci = ci && strcmp(ci, "true") == 0;
  fprintf(stderr, "%s: '%s' not found in PATH%s\n", in_ci ? "FAIL" : "SKIP", name,
          in_ci ? " (CI=true: install the Debian package 'prometheus')"
                : "; install the Debian package 'prometheus' to run this test");
  exit(in_ci ? 1 : 77);
}

/* Start argv in the background (stdout and stderr to log_path, stdin /dev/null); the child
 * is killed when the test program dies. Returns its pid. */
static inline pid_t spawn(char *const argv[], const char *log_path) {
  pid_t pid = fork();
  if (pid < 0)
    abort();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    FILE *in = freopen("/dev/null", "r", stdin);
    FILE *out = freopen(log_path, "w", stdout);
    (void)in;
    (void)out;
    dup2(1, 2);
    execv(argv[0], argv);
    _exit(127);
  }
  return pid;
}

/* Stop a child we started: SIGTERM, up to 5 s, then SIGKILL. Returns its exit status
 * (128+signal when killed by a signal). */
static inline int stop_child(pid_t pid) {
  int status = 0;
  if (pid <= 0)
    return -1;
  kill(pid, SIGTERM);
  for (int i = 0; i < 500; i++) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    usleep(10000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return 128 + SIGKILL;
}

#endif
