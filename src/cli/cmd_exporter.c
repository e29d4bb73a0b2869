/* Placeholder until the exporter command lands: says so and exits 2. */
#include "cli/commands.h"

int cmd_exporter(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "teectl exporter: not implemented yet\n");
  return CLI_EXIT_USAGE;
}
