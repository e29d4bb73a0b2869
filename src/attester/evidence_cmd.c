/* SPDX-License-Identifier: Apache-2.0 */
/* The evidence command (--evidence-cmd CMD --tee snp|tdx|sgx): for platforms teectl does not
 * drive itself (and for tests). CMD runs under /bin/sh -c with REPORT_DATA as 128 lower-case
 * hex digits and a newline on its standard input; its standard output is the evidence (an SNP
 * ATTESTATION_REPORT or a DCAP quote, raw bytes); its standard error goes to ours. Exit status
 * 0 and a non-empty output are required; it is killed after the timeout. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attester/internal.h"

extern char **environ;

#define CMD_OUT_MAX (1u << 20)

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Feed stdin, collect stdout until EOF or the deadline. Returns 0, -1 (timeout), -2 (too
 * large), -3 (memory). */
static int pump(int in_fd, const char *input, size_t in_len, int out_fd, tc_buf *out,
                double deadline) {
  size_t in_off = 0, cap = 0;
  struct pollfd p[2] = {{.fd = in_fd, .events = POLLOUT}, {.fd = out_fd, .events = POLLIN}};
  for (;;) {
    double left = deadline - now_s();
    if (left <= 0)
      return -1;
    int n = poll(p, 2, (int)(left * 1000) + 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    if (p[0].fd >= 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = (p[0].revents & POLLOUT) ? write(p[0].fd, input + in_off, in_len - in_off) : -1;
      if (w > 0)
        in_off += (size_t)w;
      if (w < 0 || in_off == in_len) { /* done, or the command does not read: fine */
        close(p[0].fd);
        p[0].fd = -1;
      }
    }
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (out->len == cap) {
        if (cap >= CMD_OUT_MAX)
          return -2;
        size_t ncap = cap ? cap * 2 : 8192;
        uint8_t *d = realloc(out->data, ncap);
        if (!d)
          return -3;
        out->data = d;
        cap = ncap;
      }
      ssize_t r = read(out_fd, out->data + out->len, cap - out->len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      out->len += (size_t)r;
    }
  }
  if (p[0].fd >= 0)
    close(p[0].fd);
  return 0;
}

tc_status att_evidence_cmd(const tc_attester_opts *o, const uint8_t rd[64], tc_evidence *out,
                           tc_error *err) {
  memset(out, 0, sizeof *out);
  const char *tee = o->tee;
  if (!tee || (strcmp(tee, "snp") != 0 && strcmp(tee, "tdx") != 0 && strcmp(tee, "sgx") != 0))
    return tc_fail(err, TC_ERR_USAGE, "tee_unsupported",
                   "--evidence-cmd needs --tee snp, tdx or sgx (got %s)", tee ? tee : "none");
  char input[130];
  tc_hex_encode(rd, 64, input);
  input[128] = '\n';
  input[129] = '\0';
  int in_p[2], out_p[2];
  if (pipe(in_p) != 0)
    return tc_fail(err, TC_ERR_INTERNAL, "evidence_cmd_failed", "pipe: %s", strerror(errno));
  if (pipe(out_p) != 0) {
    close(in_p[0]);
    close(in_p[1]);
    return tc_fail(err, TC_ERR_INTERNAL, "evidence_cmd_failed", "pipe: %s", strerror(errno));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_p[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out_p[1], 1);
  posix_spawn_file_actions_addclose(&fa, in_p[1]);
  posix_spawn_file_actions_addclose(&fa, out_p[0]);
  char *argv[] = {"sh", "-c", (char *)o->evidence_cmd, NULL};
  pid_t pid;
  int rc = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in_p[0]);
  close(out_p[1]);
  if (rc != 0) {
    close(in_p[1]);
    close(out_p[0]);
    return tc_fail(err, TC_ERR_IO, "evidence_cmd_failed", "cannot run /bin/sh: %s", strerror(rc));
  }
  /* A command that exits without reading its input must not kill us with SIGPIPE. */
  struct sigaction ign = {.sa_handler = SIG_IGN}, old;
  sigemptyset(&ign.sa_mask);
  sigaction(SIGPIPE, &ign, &old);
  unsigned timeout = o->cmd_timeout ? o->cmd_timeout : 60;
  int pr = pump(in_p[1], input, 129, out_p[0], &out->evidence, now_s() + timeout);
  sigaction(SIGPIPE, &old, NULL);
  close(out_p[0]);
  if (pr != 0)
    kill(pid, SIGKILL);
  int wst = 0;
  while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
    ;
  tc_status st = TC_OK;
  if (pr == -1)
    st = tc_fail(err, TC_ERR_IO, "evidence_cmd_timeout", "'%s' took longer than %u s (killed)",
                 o->evidence_cmd, timeout);
  else if (pr == -2)
    st = tc_fail(err, TC_ERR_IO, "evidence_cmd_failed", "'%s' wrote more than %u bytes",
                 o->evidence_cmd, CMD_OUT_MAX);
  else if (pr == -3)
    st = tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "evidence command output");
  else if (WIFSIGNALED(wst))
    st = tc_fail(err, TC_ERR_IO, "evidence_cmd_failed", "'%s' was killed by signal %d",
                 o->evidence_cmd, WTERMSIG(wst));
  else if (!WIFEXITED(wst) || WEXITSTATUS(wst) != 0)
    st = tc_fail(err, TC_ERR_IO, "evidence_cmd_failed", "'%s' exited with status %d",
                 o->evidence_cmd, WIFEXITED(wst) ? WEXITSTATUS(wst) : -1);
  else if (out->evidence.len == 0)
    st = tc_fail(err, TC_ERR_IO, "evidence_cmd_empty", "'%s' wrote no evidence", o->evidence_cmd);
  if (st != TC_OK) {
    tc_evidence_free(out);
    return st;
  }
  snprintf(out->tee, sizeof out->tee, "%s", tee);
  out->source = "evidence-cmd";
  return TC_OK;
}
