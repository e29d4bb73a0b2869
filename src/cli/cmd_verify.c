/* Placeholder until the verify command lands: says so and exits 2. */
#include "cli/commands.h"

int cmd_verify(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "teectl verify: not implemented yet\n");
  return CLI_EXIT_USAGE;
}
