/* SPDX-License-Identifier: Apache-2.0 */
#include "snp_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teectl/file.h"
#include "teectl/rfc3339.h"
#include "testlib.h"

static void load_opt(const char *dir, const char *file, tc_buf *out) {
  char *p = test_path(dir, file);
  if (tc_file_exists(p))
    *out = test_read_file(p);
  free(p);
}

void snp_case_load(const char *snp_dir, const char *name, snp_case *c) {
  memset(c, 0, sizeof *c);
  c->name = strdup(name);
  char *dir = test_path(snp_dir, name);
  char *rp = test_path(dir, "report.bin");
  c->report = test_read_file(rp);
  free(rp);
  load_opt(dir, "ark.pem", &c->col.ark);
  load_opt(dir, "ask.pem", &c->col.ask);
  load_opt(dir, "vcek.der", &c->col.vcek);
  load_opt(dir, "vlek.der", &c->col.vlek);
  char *ep = test_path(dir, "expected.json");
  json_error_t je;
  c->expected = json_load_file(ep, 0, &je);
  if (c->expected == NULL) {
    fprintf(stderr, "%s: %s (line %d)\n", ep, je.text, je.line);
    exit(1);
  }
  tc_error err;
  const char *at = json_string_value(json_object_get(c->expected, "verify_at"));
  if (at == NULL || tc_rfc3339_parse(at, &c->verify_at, &err) != TC_OK) {
    fprintf(stderr, "%s: bad verify_at\n", ep);
    exit(1);
  }
  free(ep);
  free(dir);
}

void snp_case_free(snp_case *c) {
  free(c->name);
  tc_buf_free(&c->report);
  tc_buf_free(&c->col.ark);
  tc_buf_free(&c->col.ask);
  tc_buf_free(&c->col.vcek);
  tc_buf_free(&c->col.vlek);
  json_decref(c->expected);
  memset(c, 0, sizeof *c);
}

char **snp_case_names(int argc, char **argv, char **snp_dir, size_t *n) {
  const char *vec = test_vectors_dir(argc, argv, "snp");
  *snp_dir = test_path(vec, "snp");
  char *index = test_path(*snp_dir, "INDEX.tsv");
  char **names = test_index_names(index);
  free(index);
  for (*n = 0; names[*n] != NULL;)
    (*n)++;
  return names;
}
