/* Placeholder until the serve command lands: says so and exits 2. */
#include "cli/commands.h"

int cmd_serve(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "teectl serve: not implemented yet\n");
  return CLI_EXIT_USAGE;
}
