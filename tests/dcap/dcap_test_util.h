/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the DCAP test programs. */
#ifndef TEECTL_DCAP_TEST_UTIL_H
#define TEECTL_DCAP_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "teectl/bytes.h"
#include "teectl/file.h"
#include "teectl/rfc3339.h"
#include "teectl/verify.h"
#include "testlib.h"

/* Read the collateral files of a vector case folder (absent files stay absent). */
static inline void dcap_test_load_collateral(const char *dir, tc_collateral *col) {
  memset(col, 0, sizeof *col);
  struct {
    const char *name;
    tc_buf *dst;
  } files[] = {
      {"tcb_info.json", &col->tcb_info},
      {"tcb_info_issuer_chain.pem", &col->tcb_info_issuer_chain},
      {"qe_identity.json", &col->qe_identity},
      {"qe_identity_issuer_chain.pem", &col->qe_identity_issuer_chain},
      {"pck_crl.der", &col->pck_crl},
      {"pck_crl_issuer_chain.pem", &col->pck_crl_issuer_chain},
      {"root_ca_crl.der", &col->root_ca_crl},
      {"pck_chain.pem", &col->pck_chain},
  };
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char *p = test_path(dir, files[i].name);
    if (tc_file_exists(p))
      *files[i].dst = test_read_file(p);
    free(p);
  }
}

static inline void dcap_test_free_collateral(tc_collateral *col) {
  tc_buf *all[] = {&col->tcb_info,    &col->tcb_info_issuer_chain,
                   &col->qe_identity, &col->qe_identity_issuer_chain,
                   &col->pck_crl,     &col->pck_crl_issuer_chain,
                   &col->root_ca_crl, &col->pck_chain};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    tc_buf_free(all[i]);
  for (size_t i = 0; i < col->n_trust_roots; i++)
    tc_buf_free(&col->trust_roots[i]);
  free(col->trust_roots);
  col->trust_roots = NULL;
  col->n_trust_roots = 0;
}

/* A vector case: its quote.bin, collateral and expected.json verify_at (seconds). */
typedef struct {
  tc_buf quote;
  tc_collateral col;
  int64_t at;
} dcap_test_case;

/* Load the case folder dir/name; exits the test program when a file is missing. */
static inline void dcap_test_case_load(const char *dir, const char *name, dcap_test_case *c) {
  char *cdir = test_path(dir, name);
  char *p = test_path(cdir, "quote.bin");
  c->quote = test_read_file(p);
  free(p);
  dcap_test_load_collateral(cdir, &c->col);
  p = test_path(cdir, "expected.json");
  json_t *exp = json_load_file(p, 0, NULL);
  tc_error err;
  if (exp == NULL || tc_rfc3339_parse(json_string_value(json_object_get(exp, "verify_at")), &c->at,
                                      &err) != TC_OK) {
    fprintf(stderr, "%s: no readable verify_at\n", p);
    exit(1);
  }
  json_decref(exp);
  free(p);
  free(cdir);
}

static inline void dcap_test_case_free(dcap_test_case *c) {
  tc_buf_free(&c->quote);
  dcap_test_free_collateral(&c->col);
}

#endif
