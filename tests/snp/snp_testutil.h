/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the SNP tests: load a shared vector case. */
#ifndef TEECTL_TESTS_SNP_TESTUTIL_H
#define TEECTL_TESTS_SNP_TESTUTIL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "teectl/bytes.h"
#include "teectl/verify.h"

/** One vector case folder: report.bin, ark.pem, ask.pem, vcek.der | vlek.der, expected.json. */
typedef struct snp_case {
  char *name;
  tc_buf report;
  tc_collateral col; /* ark, ask, vcek or vlek: owned here */
  json_t *expected;  /* expected.json */
  int64_t verify_at; /* expected.json verify_at, seconds */
} snp_case;

/** Load dir/name; aborts the test program on unreadable files (the vectors must be whole). */
void snp_case_load(const char *vectors_snp_dir, const char *name, snp_case *c);
void snp_case_free(snp_case *c);

/** The case names of <vectors>/snp/INDEX.tsv (NULL-terminated, free with test_free_list),
 *  their count in *n, and <vectors>/snp in *snp_dir (free it). Exits with the skip code
 *  when the vectors are absent (test_vectors_dir). */
char **snp_case_names(int argc, char **argv, char **snp_dir, size_t *n);

#endif
