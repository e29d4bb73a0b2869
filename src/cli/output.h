/* SPDX-License-Identifier: Apache-2.0 */
/* Output helpers shared by the CLI commands. */
#ifndef TEECTL_CLI_OUTPUT_H
#define TEECTL_CLI_OUTPUT_H

#include <jansson.h>
#include <stdio.h>

/* Pretty-printed JSON (2-space indent, key order preserved) and a newline. */
void cli_print_json(FILE *f, const json_t *value);

/* A verification result (verify.h shape) for humans: a verdict line, reason and
 * detail when invalid, then the remaining fields; objects of scalars on one line. */
void cli_print_result_text(FILE *f, const json_t *result);

#endif
