/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: verify-from-bytes. The report comes from the fuzzer; the collateral
 * is fixed: a real case of the shared vectors when present ($TEECTL_VECTORS,
 * $TEECTL_VECTORS_DIR or ../shared/vectors, case milan-v3-oak-oc-release, verified at its
 * verify_at), else a hierarchy forged at start-up (tests/common/snp_forge). The first input
 * byte's low bit picks the VCEK or the VLEK collateral of the forge when forged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snp_forge.h"
#include "teectl/file.h"
#include "teectl/rfc3339.h"
#include "teectl/snp.h"

static tc_collateral g_col[2];
static int64_t g_at;
static int g_forged;
static snp_forge *g_forge[2];

static int load_real(const char *vec) {
  const char *files[3] = {"ark.pem", "ask.pem", "vcek.der"};
  tc_buf *dst[3] = {&g_col[0].ark, &g_col[0].ask, &g_col[0].vcek};
  char path[4096];
  tc_error err;
  for (int i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s/snp/milan-v3-oak-oc-release/%s", vec, files[i]);
    if (tc_file_read(path, 0, dst[i], &err) != TC_OK)
      return -1;
  }
  g_at = tc_utc_seconds(2025, 1, 16, 0, 0, 0); /* the case's expected.json verify_at */
  g_col[1] = g_col[0];
  return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *vec = getenv("TEECTL_VECTORS");
  if (vec == NULL)
    vec = getenv("TEECTL_VECTORS_DIR");
  if (vec == NULL)
    vec = "../shared/vectors";
  if (load_real(vec) == 0)
    return 0;
  g_forged = 1;
  for (int k = 0; k < 2; k++) {
    snp_forge_opts o;
    snp_forge_opts_init(&o, TC_SNP_MILAN, k);
    o.reuse_keys = g_forge[0];
    g_forge[k] = snp_forge_new(&o);
    if (g_forge[k] == NULL)
      abort();
    snp_forge_collateral(g_forge[k], &g_col[k]);
    g_at = o.at;
  }
  fprintf(stderr, "fuzz_snp_verify: shared vectors not found; using a forged hierarchy\n");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_t *res = NULL;
  tc_error err;
  const tc_collateral *col = &g_col[size > 0 && g_forged ? (data[0] & 1) : 0];
  tc_status st = tc_snp_verify(data, size, col, g_at, &res, &err);
  if (st == TC_OK && res == NULL)
    abort();
  json_decref(res);
  return 0;
}
