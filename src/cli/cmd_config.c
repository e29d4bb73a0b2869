/* Placeholder until the config command lands: says so and exits 2. */
#include "cli/commands.h"

int cmd_config(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "teectl config: not implemented yet\n");
  return CLI_EXIT_USAGE;
}
