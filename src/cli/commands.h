/* SPDX-License-Identifier: Apache-2.0 */
/* teectl CLI: one entry point per subcommand (src/cli/cmd_<name>.c).
 * Each returns the process exit code; argv[0] is the subcommand name, so getopt_long
 * can be used directly (reset optind = 1 first, which cli_getopt_reset does). */
#ifndef TEECTL_CLI_COMMANDS_H
#define TEECTL_CLI_COMMANDS_H

#include <stdio.h>

/* Exit codes shared by all commands (documented in README and --help). */
enum {
  CLI_EXIT_OK = 0,    /* success; for verify: evidence valid; for lint: clean */
  CLI_EXIT_FAIL = 1,  /* the answer is "no": evidence invalid, findings, no TEE usable */
  CLI_EXIT_USAGE = 2, /* bad usage or unreadable input */
};

int cmd_verify(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_config_generate(int argc, char **argv); /* argv[0] == "generate" */
int cmd_config_lint(int argc, char **argv);     /* argv[0] == "lint" */
int cmd_serve(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_exporter(int argc, char **argv);
int cmd_collateral(int argc, char **argv);
int cmd_attest(int argc, char **argv);
int cmd_measure(int argc, char **argv);

/* Print the one-line "teectl <cmd>: <message> (see 'teectl <cmd> --help')" to stderr;
 * returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The one "listening on" line of the HTTP servers, on stderr:
 * "teectl CMD: listening on SCHEME://HOST:N (port N)": LISTEN's host and N the port bound
 * (also when LISTEN asked for port 0). */
void cli_listening(const char *cmd, const char *scheme, const char *listen, unsigned port);

/* The programs the CLI is built as (src/cli/main.c, src/CMakeLists.txt): TEECTL_CLI_PROGRAM
 * is one of these levels (the build defines it; without it, the full program); each runs the
 * commands of its level and below and hands the others to the program of their level. */
#define TEECTL_CLI_CORE 0  /* teectl: probe, config, verify, measure */
#define TEECTL_CLI_TOKEN 1 /* teectl-token: and token (libjose) */
#define TEECTL_CLI_FULL 2  /* teectl-full: every command (libcurl, libmicrohttpd) */
#ifndef TEECTL_CLI_PROGRAM
#define TEECTL_CLI_PROGRAM TEECTL_CLI_FULL
#endif

#if TEECTL_CLI_PROGRAM < TEECTL_CLI_FULL
/* Run this command line, as main() got it, in the program of `level` (TEECTL_CLI_TOKEN or
 * TEECTL_CLI_FULL) by exec. Returns only when that fails: the message on stderr names the
 * program's file and why (missing, not executable), and the result is CLI_EXIT_USAGE.
 * cmd: the command's name. */
int cli_forward(const char *cmd, int level);

/* The path of the program of `level`: in TEECTL_PROGRAM_DIR relative to the folder of this
 * program's own file (/proc/self/exe; without /proc, the path it was started by when that
 * has a slash), in buf (cap bytes). Returns 0, or -1 when it cannot
 * be named. */
int cli_program_path(int level, char *buf, size_t cap);
#endif

/* Reset getopt state before a subcommand parses its own argv. */
void cli_getopt_reset(void);

#endif
