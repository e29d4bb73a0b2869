/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the in-process benchmarks: one case of the shared vectors read in place. */
#ifndef TEECTL_BENCH_CASE_H
#define TEECTL_BENCH_CASE_H

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "teectl/file.h"
#include "teectl/rfc3339.h"
#include "teectl/verify.h"

/* <vec>/<sub>/<name>/<file> into *evidence, the case's folder into *col and its
 * expected.json verify_at (seconds) into *at. 0 on success; -1 with a message on stderr. */
static inline int bench_case_load(const char *vec, const char *sub, const char *name,
                                  const char *file, tc_buf *evidence, tc_collateral *col,
                                  int64_t *at) {
  char dir[1024], path[1100];
  tc_error err;
  memset(evidence, 0, sizeof *evidence);
  memset(col, 0, sizeof *col);
  snprintf(dir, sizeof dir, "%s/%s/%s", vec, sub, name);
  snprintf(path, sizeof path, "%s/%s", dir, file);
  if (tc_file_read(path, 0, evidence, &err) != TC_OK ||
      tc_collateral_load_dir(dir, col, &err) != TC_OK) {
    fprintf(stderr, "bench: %s/%s: %s\n", sub, name, err.detail);
    return -1;
  }
  snprintf(path, sizeof path, "%s/expected.json", dir);
  json_t *exp = json_load_file(path, 0, NULL);
  const char *t = json_string_value(json_object_get(exp, "verify_at"));
  int rc = t != NULL && tc_rfc3339_parse(t, at, &err) == TC_OK ? 0 : -1;
  json_decref(exp);
  if (rc != 0)
    fprintf(stderr, "bench: %s/%s: expected.json has no verify_at\n", sub, name);
  return rc;
}

#endif
