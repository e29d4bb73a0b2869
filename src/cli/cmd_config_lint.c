/* Placeholder until `teectl config lint` lands: says so and exits 2. */
#include "cli/commands.h"

int cmd_config_lint(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "teectl config lint: not implemented yet\n");
  return CLI_EXIT_USAGE;
}
