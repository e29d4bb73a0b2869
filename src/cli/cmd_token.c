/* Placeholder until the token command lands: says so and exits 2. */
#include "cli/commands.h"

int cmd_token(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "teectl token: not implemented yet\n");
  return CLI_EXIT_USAGE;
}
