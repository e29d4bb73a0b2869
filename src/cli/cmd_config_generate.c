/* Placeholder until `teectl config generate` lands: says so and exits 2. */
#include "cli/commands.h"

int cmd_config_generate(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "teectl config generate: not implemented yet\n");
  return CLI_EXIT_USAGE;
}
