/* Placeholder until the probe command lands: says so and exits 2. */
#include "cli/commands.h"

int cmd_probe(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "teectl probe: not implemented yet\n");
  return CLI_EXIT_USAGE;
}
