/* SPDX-License-Identifier: Apache-2.0 */
/* teectl: one multicall binary. `teectl <command> [options]`; also callable as
 * teectl-<command> through a symlink. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "teectl/version.h"

struct command {
  const char *name;
  int (*fn)(int, char **);
  const char *summary;
};

static const struct command commands[] = {
    {"probe", cmd_probe, "report what this node's CPU, firmware, kernel and KVM enable"},
    {"config", cmd_config, "generate and lint Kata, containerd and RuntimeClass configuration"},
    {"verify", cmd_verify, "verify SEV-SNP reports and TDX/SGX DCAP quotes offline"},
    {"collateral", cmd_collateral, "fetch and cache AMD KDS / Intel PCS endorsements"},
    {"serve", cmd_serve, "run the attestation service (challenge, verify, appraise, EAR token)"},
    {"token", cmd_token, "verify an attestation result token (for relying parties)"},
    {"attest", cmd_attest, "in a confidential guest: prove the TEE, get a token or secrets"},
    {"exporter", cmd_exporter, "serve Prometheus metrics for TEE capacity and Kata sandboxes"},
    {"measure", cmd_measure, "compute the SEV-SNP launch digest (reference value) of a guest"},
};

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
  fprintf(stderr, "teectl %s: listening on %s://%s (port %u)\n", cmd, scheme, listen, port);
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
        return commands[i].fn(argc, argv);
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
      return commands[i].fn(argc - 1, argv + 1);
  return cli_usage_error(NULL, "unknown command '%s'", cmd);
}

int main(int argc, char **argv) {
  /* the command's name for the message, taken before the command sees argv */
  const char *slash = strrchr(argv[0], '/');
  const char *self = slash ? slash + 1 : argv[0];
  const char *cmd = strncmp(self, "teectl-", 7) == 0 ? self + 7 : argc > 1 ? argv[1] : NULL;
  int rc = run(argc, argv);
  return finish(cmd != NULL && cmd[0] != '-' ? cmd : NULL, rc);
}
