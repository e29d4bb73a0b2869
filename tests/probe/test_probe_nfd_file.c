/* SPDX-License-Identifier: Apache-2.0 */
/* The NFD feature file as `teectl probe --nfd --out FILE [--interval N]` writes it for NFD's
 * local source (issue 18): the temporary file of the atomic write is dot-prefixed (NFD skips
 * dot-files while it watches features.d; seen here with inotify), the file carries
 * "# +expiry-time=<RFC 3339>" (NFD's local source directive) at 3 x the interval when
 * refreshed, and the probe removes its file when stopped with SIGTERM. Expected times are
 * computed here from the clock around the run. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "teectl/probe.h"
#include "teectl/rfc3339.h"
#include "testlib.h"

typedef struct fixture {
  char dir[256], root[300], cpuid[300], out[300];
} fixture;

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* A small AMD host: only proc/cpuinfo and a CPUID dump (no TEE: exit code 1). */
static void fixture_new(fixture *x) {
  assert_non_null(test_mkdtemp("teectl-nfd", x->dir, sizeof x->dir));
  snprintf(x->root, sizeof x->root, "%s/root", x->dir);
  snprintf(x->cpuid, sizeof x->cpuid, "%s/cpuid.txt", x->dir);
  char sub[400];
  snprintf(sub, sizeof sub, "%s/proc", x->root);
  assert_int_equal(mkdir(x->root, 0755), 0);
  assert_int_equal(mkdir(sub, 0755), 0);
  snprintf(sub, sizeof sub, "%s/proc/cpuinfo", x->root);
  write_file(sub, "processor\t: 0\nflags\t\t: fpu svm\n");
  write_file(x->cpuid, "0 0 10 68747541 444d4163 69746e65\n1 0 00a00f11 0 7ef8320b 178bfbff\n");
  snprintf(x->out, sizeof x->out, "%s/features.d", x->dir);
  assert_int_equal(mkdir(x->out, 0755), 0);
  snprintf(x->out, sizeof x->out, "%s/features.d/teectl", x->dir);
}

static void fixture_free(fixture *x) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", x->dir);
  assert_int_equal(system(cmd), 0);
}

/* Start teectl probe with args (NULL-terminated, after "probe"); returns the pid. */
static pid_t spawn_probe(const char *const *args) {
  const char *argv[24] = {test_teectl_bin(), "probe"};
  size_t n = 2;
  for (; *args && n < 23; args++)
    argv[n++] = *args;
  argv[n] = NULL;
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  return pid;
}

static int wait_exit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char *read_all(const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return NULL;
  char *buf = calloc(1, 65536);
  size_t n = fread(buf, 1, 65535, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

/* Every file the probe creates in the features.d folder is dot-prefixed until it is renamed
 * to its final name. */
static void test_temporary_file_is_hidden(void **state) {
  (void)state;
  fixture x;
  fixture_new(&x);
  char watched[300];
  snprintf(watched, sizeof watched, "%s/features.d", x.dir);
  int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  assert_true(in >= 0);
  assert_true(inotify_add_watch(in, watched, IN_CREATE | IN_MOVED_TO) >= 0);
  const char *const args[] = {"--root", x.root, "--cpuid", x.cpuid, "--nfd", "--out", x.out, NULL};
  assert_int_equal(wait_exit(spawn_probe(args)), 1); /* no TEE on this host */
  char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
  ssize_t len = read(in, buf, sizeof buf);
  assert_true(len > 0);
  int created = 0, moved = 0;
  for (char *p = buf; p < buf + len;) {
    const struct inotify_event *ev = (const struct inotify_event *)p;
    if (ev->len > 0 && (ev->mask & IN_CREATE)) {
      if (ev->name[0] != '.')
        fail_msg("created '%s' in features.d: not dot-prefixed", ev->name);
      created++;
    }
    if (ev->len > 0 && (ev->mask & IN_MOVED_TO)) {
      assert_string_equal(ev->name, "teectl");
      moved++;
    }
    p += sizeof *ev + ev->len;
  }
  close(in);
  assert_int_equal(created, 1);
  assert_int_equal(moved, 1);
  /* one-shot: no expiry (nothing would refresh the file before it) */
  char *text = read_all(x.out);
  assert_non_null(text);
  assert_null(strstr(text, "expiry-time"));
  assert_non_null(strstr(text, "teectl.io/role=host\n"));
  free(text);
  fixture_free(&x);
}

/* With --interval N: "# +expiry-time=" first, 3 x N seconds after the write; SIGTERM ends
 * the loop with exit 0 and removes the file. */
static void test_expiry_and_removal(void **state) {
  (void)state;
  fixture x;
  fixture_new(&x);
  const char *const args[] = {"--root", x.root, "--cpuid",    x.cpuid, "--nfd",
                              "--out",  x.out,  "--interval", "100",   NULL};
  int64_t before = (int64_t)time(NULL);
  pid_t pid = spawn_probe(args);
  char *text = NULL;
  for (int i = 0; i < 200 && text == NULL; i++) { /* up to 10 s */
    text = read_all(x.out);
    if (text == NULL)
      usleep(50000);
  }
  int64_t after = (int64_t)time(NULL);
  assert_non_null(text);
  const char *key = "# +expiry-time=";
  assert_memory_equal(text, key, strlen(key));
  char stamp[32];
  const char *nl = strchr(text, '\n');
  assert_non_null(nl);
  size_t n = (size_t)(nl - text) - strlen(key);
  assert_true(n == 20);
  memcpy(stamp, text + strlen(key), n);
  stamp[n] = '\0';
  int64_t expiry = 0;
  tc_error err;
  assert_int_equal(tc_rfc3339_parse(stamp, &expiry, &err), TC_OK);
  assert_true(expiry >= before + 300 && expiry <= after + 300);
  assert_non_null(strstr(nl, "\nteectl.io/role=host\n"));
  free(text);
  assert_int_equal(kill(pid, SIGTERM), 0);
  assert_int_equal(wait_exit(pid), 0);
  struct stat st;
  assert_int_equal(lstat(x.out, &st), -1); /* removed on shutdown: labels go with the probe */
  fixture_free(&x);
}

/* The renderer itself: the directive only when asked, with the given instant. */
static void test_nfd_text_expiry_line(void **state) {
  (void)state;
  json_t *p = json_pack("{s:s, s:{}, s:{s:s}}", "role", "host", "nfd_labels", "teectl_labels",
                        "teectl.io/role", "host");
  char *t = tc_probe_nfd_text(p, 0);
  assert_string_equal(t, "teectl.io/role=host\n");
  free(t);
  /* 1700000000 s after the epoch = 2023-11-14 22:13:20 UTC (19675 days + 80000 s) */
  t = tc_probe_nfd_text(p, 1700000000);
  assert_string_equal(t, "# +expiry-time=2023-11-14T22:13:20Z\nteectl.io/role=host\n");
  free(t);
  json_decref(p);
}

/* --prepare-dir (the DaemonSet's init container, no shell): a folder of another group and
 * mode 0755 becomes this process's group with g+rwx and other bits kept; a missing one is
 * created; a symbolic link to a folder, a regular file and another option with it are
 * refused (exit 2) and change nothing. As root the first case starts from group 12345, so
 * the chgrp is really exercised. */
static void test_prepare_dir(void **state) {
  (void)state;
  fixture x;
  fixture_new(&x);
  char d[300], link[300], file[300], missing[300];
  snprintf(d, sizeof d, "%s/features.d", x.dir);
  assert_int_equal(chmod(d, 0755), 0);
  if (geteuid() == 0)
    assert_int_equal(chown(d, (uid_t)-1, 12345), 0);
  const char *const a1[] = {"--prepare-dir", d, NULL};
  assert_int_equal(wait_exit(spawn_probe(a1)), 0);
  struct stat st;
  assert_int_equal(stat(d, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0775);
  assert_int_equal(st.st_gid, getegid());
  /* a symbolic link is refused: its target keeps its mode */
  snprintf(link, sizeof link, "%s/link", x.dir);
  snprintf(file, sizeof file, "%s/target", x.dir);
  assert_int_equal(mkdir(file, 0700), 0);
  assert_int_equal(symlink(file, link), 0);
  const char *const a2[] = {"--prepare-dir", link, NULL};
  assert_int_equal(wait_exit(spawn_probe(a2)), 2);
  assert_int_equal(stat(file, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0700);
  snprintf(file, sizeof file, "%s/plain", x.dir);
  write_file(file, "x");
  const char *const a3[] = {"--prepare-dir", file, NULL};
  assert_int_equal(wait_exit(spawn_probe(a3)), 2);
  /* created when missing */
  snprintf(missing, sizeof missing, "%s/new", x.dir);
  const char *const a4[] = {"--prepare-dir", missing, NULL};
  assert_int_equal(wait_exit(spawn_probe(a4)), 0);
  assert_int_equal(stat(missing, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
  assert_int_equal(st.st_mode & 0070, 0070);
  const char *const a5[] = {"--prepare-dir", missing, "--nfd", NULL};
  assert_int_equal(wait_exit(spawn_probe(a5)), 2);
  fixture_free(&x);
}

int main(void) {
  if (test_teectl_bin() == NULL) {
    fprintf(stderr, "TEECTL_BIN is not set\n");
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nfd_text_expiry_line),
      cmocka_unit_test(test_temporary_file_is_hidden),
      cmocka_unit_test(test_expiry_and_removal),
      cmocka_unit_test(test_prepare_dir),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
