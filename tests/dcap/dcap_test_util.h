/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the DCAP test programs. */
#ifndef TEECTL_DCAP_TEST_UTIL_H
#define TEECTL_DCAP_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teectl/bytes.h"
#include "teectl/file.h"
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

#endif
