/* Placeholder until the collateral command lands: says so and exits 2. */
#include "cli/commands.h"

int cmd_collateral(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "teectl collateral: not implemented yet\n");
  return CLI_EXIT_USAGE;
}
