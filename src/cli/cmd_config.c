/* SPDX-License-Identifier: Apache-2.0 */
/* teectl config: dispatches to `config generate` and `config lint`. */
#include <string.h>

#include "cli/commands.h"

static void usage(FILE *f) {
  fprintf(f, "Usage: teectl config generate kata|containerd|runtimeclass [options]\n"
             "       teectl config lint [options] FILE...\n\n"
             "Generate Kata, containerd and RuntimeClass configuration for this node, or\n"
             "find mistakes in existing files. 'teectl config <sub> --help' for options\n"
             "and exit codes.\nExit codes: 2 missing or unknown subcommand.\n");
}

int cmd_config(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return CLI_EXIT_USAGE;
  }
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    usage(stdout);
    return CLI_EXIT_OK;
  }
  if (strcmp(argv[1], "generate") == 0)
    return cmd_config_generate(argc - 1, argv + 1);
  if (strcmp(argv[1], "lint") == 0)
    return cmd_config_lint(argc - 1, argv + 1);
  return cli_usage_error("config", "unknown subcommand '%s'", argv[1]);
}
