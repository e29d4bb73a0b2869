/* SPDX-License-Identifier: Apache-2.0 */
/* teectl: one multicall program. `teectl <command> [options]`; also callable as
 * teectl-<command> through a symlink.
 *
 * It is built three times from these sources, with three link sets (src/CMakeLists.txt), so
 * that a command loads only the libraries it uses; TEECTL_CLI_PROGRAM says which program
 * this is (cli/commands.h), each runs the commands of its level and below:
 *  - teectl (TEECTL_CLI_CORE), the program on PATH: the commands that only read files and
 *    compute (probe, config, verify, measure), with OpenSSL's libcrypto, jansson, libyaml;
 *  - teectl-token (TEECTL_CLI_TOKEN): and `token`, with libjose;
 *  - teectl-full (TEECTL_CLI_FULL): every command, with libcurl and libmicrohttpd as well.
 * The last two live in one folder, TEECTL_PROGRAM_DIR relative to the folder of the program
 * running (teectl: ../libexec/teectl by default; teectl-token: the same folder). teectl hands a
 * command of a higher level (and `verify --fetch`, `token verify --jwks URL`) to the program
 * of that level by exec with the same arguments (same process id, standard streams and
 * signals), so a caller never sees the difference. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "teectl/crypto.h"
#include "teectl/version.h"

struct command {
  const char *name;
  int (*fn)(int, char **); /* NULL: in the program of `level` */
  int level;               /* TEECTL_CLI_CORE, _TOKEN or _FULL */
  const char *summary;
};

/* A command of level L: its function where this program has it, else NULL (not even
 * referenced, so that its libraries are not linked). */
#if TEECTL_CLI_PROGRAM >= TEECTL_CLI_TOKEN
#define AT_TOKEN(fn) fn, TEECTL_CLI_TOKEN
#else
#define AT_TOKEN(fn) NULL, TEECTL_CLI_TOKEN
#endif
#if TEECTL_CLI_PROGRAM >= TEECTL_CLI_FULL
#define AT_FULL(fn) fn, TEECTL_CLI_FULL
#else
#define AT_FULL(fn) NULL, TEECTL_CLI_FULL
#endif
#define AT_CORE(fn) fn, TEECTL_CLI_CORE

static const struct command commands[] = {
    {"probe", AT_CORE(cmd_probe), "report what this node's CPU, firmware, kernel and KVM enable"},
    {"config", AT_CORE(cmd_config),
     "generate and lint Kata, containerd and RuntimeClass configuration"},
    {"verify", AT_CORE(cmd_verify), "verify SEV-SNP reports and TDX/SGX DCAP quotes offline"},
    {"collateral", AT_FULL(cmd_collateral), "fetch and cache AMD KDS / Intel PCS endorsements"},
    {"serve", AT_FULL(cmd_serve),
     "run the attestation service (challenge, verify, appraise, EAR token)"},
    {"token", AT_TOKEN(cmd_token), "verify an attestation result token (for relying parties)"},
    {"attest", AT_FULL(cmd_attest),
     "in a confidential guest: prove the TEE, get a token or secrets"},
    {"exporter", AT_FULL(cmd_exporter),
     "serve Prometheus metrics for TEE capacity and Kata sandboxes"},
    {"measure", AT_CORE(cmd_measure),
     "compute the SEV-SNP launch digest (reference value) of a guest"},
};

#if TEECTL_CLI_PROGRAM < TEECTL_CLI_FULL
/* A copy of the command line as main() got it (getopt_long permutes argv in place and a
 * symlink's argv[0] is replaced): what cli_forward hands on. Set once in main, before any
 * command runs. */
static int g_argc;
static char **g_argv;

static const char *program_name(int level) {
  return level == TEECTL_CLI_TOKEN ? "teectl-token" : "teectl-full";
}

int cli_program_path(int level, char *buf, size_t cap) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0)
    self[n] = '\0';
  else if (g_argv[0] == NULL || strchr(g_argv[0], '/') == NULL || !realpath(g_argv[0], self))
    return -1; /* no /proc, and started through PATH */
  char *slash = strrchr(self, '/');
  if (slash == NULL)
    return -1;
  *slash = '\0';
  int w = snprintf(buf, cap, "%s/%s/%s", self, TEECTL_PROGRAM_DIR, program_name(level));
  return w > 0 && (size_t)w < cap ? 0 : -1;
}

int cli_forward(const char *cmd, int level) {
  char path[PATH_MAX + 64];
  if (cli_program_path(level, path, sizeof path) != 0) {
    fprintf(stderr,
            "teectl %s: cannot find teectl's own program folder (neither /proc/self/exe nor "
            "the path it was started by names it)\n",
            cmd);
    return CLI_EXIT_USAGE;
  }
  /* teectl-<command> through a symlink: the program gets `teectl <command> ...` */
  const char *self = strrchr(g_argv[0], '/');
  self = self ? self + 1 : g_argv[0];
  int sym = strncmp(self, "teectl-", 7) == 0 && strcmp(self + 7, cmd) == 0;
  char **args = calloc((size_t)g_argc + 2, sizeof *args);
  if (args == NULL) {
    fprintf(stderr, "teectl %s: out of memory\n", cmd);
    return CLI_EXIT_USAGE;
  }
  args[0] = "teectl";
  int k = 1;
  if (sym)
    args[k++] = (char *)cmd;
  for (int i = 1; i < g_argc; i++)
    args[k++] = g_argv[i];
  args[k] = NULL;
  fflush(NULL);
  execv(path, args);
  int e = errno;
  free(args);
  fprintf(stderr,
          "teectl %s: this command runs in %s, which %s (%s); install teectl whole "
          "(cmake --install)\n",
          cmd, path, e == ENOENT ? "is missing" : "cannot be started", strerror(e));
  return CLI_EXIT_USAGE;
}
#endif

/* The command c: in this program, or handed to the program of its level. */
static int dispatch(const struct command *c, int argc, char **argv) {
#if TEECTL_CLI_PROGRAM < TEECTL_CLI_FULL
  if (c->fn == NULL)
    return cli_forward(c->name, c->level);
#endif
#if TEECTL_CLI_PROGRAM == TEECTL_CLI_CORE
  /* One command, then exit: OpenSSL without what such a process does not use
   * (teectl/crypto.h). Only here: in teectl-token libjose's constructors start OpenSSL
   * before main, and in teectl-full libcurl formats OpenSSL's error texts itself. */
  tc_crypto_init_oneshot();
#endif
  return c->fn(argc, argv);
}

static void usage(FILE *f) {
  fprintf(f, "Usage: teectl <command> [options]\n\n"
             "Confidential computing with Kata Containers on Kubernetes: probe, configure,\n"
             "verify, attest.\n\nCommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\nOptions:\n  -h, --help     show this help\n  -V, --version  show the version\n"
             "\nRun 'teectl <command> --help' for a command's options.\n"
             "Exit codes: 0 success, 1 negative answer (invalid evidence, findings, no TEE),\n"
             "2 usage error or unreadable input.\n");
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "teectl%s%s: ", cmd ? " " : "", cmd ? cmd : "");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, " (see 'teectl%s%s --help')\n", cmd ? " " : "", cmd ? cmd : "");
  return CLI_EXIT_USAGE;
}

void cli_listening(const char *cmd, const char *scheme, const char *listen, unsigned port) {
  /* the address with the port bound (port 0 asked for any free one) */
  const char *colon = strrchr(listen, ':');
  int host_len = colon != NULL ? (int)(colon - listen) : (int)strlen(listen);
  fprintf(stderr, "teectl %s: listening on %s://%.*s:%u (port %u)\n", cmd, scheme, host_len, listen,
          port, port);
}

void cli_getopt_reset(void) {
  optind = 1;
  opterr = 0;
}

/* Output that did not reach its destination (a full disk, a closed pipe, /dev/full) is a
 * failure, not a success with nothing printed: flush and close standard output once the
 * command is done and, if that fails, say so and exit 2 whatever the command answered. A
 * standard output that was never open (EBADF with nothing written) is not an error. */
static int finish(const char *cmd, int rc) {
  int bad = fflush(stdout) != 0 || ferror(stdout);
  int e = errno;
  if (fclose(stdout) != 0 && !bad && errno != EBADF) {
    bad = 1;
    e = errno;
  }
  if (!bad)
    return rc;
  fprintf(stderr, "teectl%s%s: writing standard output: %s\n", cmd ? " " : "", cmd ? cmd : "",
          e ? strerror(e) : "write error");
  return CLI_EXIT_USAGE;
}

static int run(int argc, char **argv) {
  const char *self = basename(argv[0]);
  if (strncmp(self, "teectl-", 7) == 0) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
      if (strcmp(self + 7, commands[i].name) == 0) {
        argv[0] = (char *)commands[i].name;
        return dispatch(&commands[i], argc, argv);
      }
  }
  if (argc < 2) {
    usage(stderr);
    return CLI_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
    usage(stdout);
    return CLI_EXIT_OK;
  }
  if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
    printf("teectl %s\n", TEECTL_VERSION);
    return CLI_EXIT_OK;
  }
  if (cmd[0] == '-')
    return cli_usage_error(NULL, "unknown option '%s'", cmd);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(cmd, commands[i].name) == 0)
      return dispatch(&commands[i], argc - 1, argv + 1);
  return cli_usage_error(NULL, "unknown command '%s'", cmd);
}

int main(int argc, char **argv) {
  /* the command's name for the message, taken before the command sees argv */
  const char *slash = strrchr(argv[0], '/');
  const char *self = slash ? slash + 1 : argv[0];
  const char *cmd = strncmp(self, "teectl-", 7) == 0 ? self + 7 : argc > 1 ? argv[1] : NULL;
#if TEECTL_CLI_PROGRAM < TEECTL_CLI_FULL
  g_argc = argc;
  g_argv = malloc(((size_t)argc + 1) * sizeof *g_argv);
  if (g_argv == NULL) {
    fprintf(stderr, "teectl: out of memory\n");
    return CLI_EXIT_USAGE;
  }
  memcpy(g_argv, argv, ((size_t)argc + 1) * sizeof *g_argv);
#endif
  int rc = run(argc, argv);
  return finish(cmd != NULL && cmd[0] != '-' ? cmd : NULL, rc);
}
