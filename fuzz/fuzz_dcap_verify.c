/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: full DCAP verification of fuzzed quotes against fixed collateral.
 * At start-up the collateral of two real vector cases is loaded (TDX:
 * dcap/tdx-v4-phala-b0c06f000000, SGX: dcap/sgx-v3-phala-00a067110000-2025, from
 * $TEECTL_VECTORS_DIR, $TEECTL_VECTORS or ../shared/vectors); when absent, collateral from
 * the test forge is used instead. Seeds: dcap/<case>/quote.bin. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcap_forge.h"
#include "teectl/dcap.h"
#include "teectl/file.h"
#include "teectl/rfc3339.h"

static tc_collateral g_col[2]; /* [0] SGX, [1] TDX */
static int64_t g_at[2];
static dcap_forge *g_forge;

static int load_case(const char *vec, const char *name, tc_collateral *col) {
  static const char *files[] = {"tcb_info.json",    "tcb_info_issuer_chain.pem",
                                "qe_identity.json", "qe_identity_issuer_chain.pem",
                                "pck_crl.der",      "root_ca_crl.der"};
  tc_buf *dst[] = {&col->tcb_info,    &col->tcb_info_issuer_chain,
                   &col->qe_identity, &col->qe_identity_issuer_chain,
                   &col->pck_crl,     &col->root_ca_crl};
  for (size_t i = 0; i < 6; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/dcap/%s/%s", vec, name, files[i]);
    tc_error err;
    if (tc_file_read(path, 0, dst[i], &err) != TC_OK)
      return -1;
  }
  return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *vec = getenv("TEECTL_VECTORS_DIR");
  if (vec == NULL)
    vec = getenv("TEECTL_VECTORS");
  if (vec == NULL)
    vec = "../shared/vectors";
  tc_error err;
  if (load_case(vec, "sgx-v3-phala-00a067110000-2025", &g_col[0]) == 0 &&
      load_case(vec, "tdx-v4-phala-b0c06f000000", &g_col[1]) == 0) {
    tc_rfc3339_parse("2025-07-04T10:00:00Z", &g_at[0], &err);
    g_at[1] = g_at[0];
    return 0;
  }
  fprintf(stderr, "fuzz_dcap_verify: vectors not found under %s, using forged collateral\n", vec);
  dcap_forge_opts o;
  dcap_forge_opts_init(&o);
  g_forge = dcap_forge_new(&o);
  if (g_forge == NULL)
    abort();
  dcap_forge_collateral(g_forge, 0, &g_col[0]);
  dcap_forge_collateral(g_forge, 1, &g_col[1]);
  g_at[0] = g_at[1] = o.at;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int tdx = size >= 2 && data[0] != 3; /* version byte: 3 = SGX, else TDX collateral */
  json_t *res = NULL;
  tc_error err;
  tc_status st = tc_dcap_verify(data, size, &g_col[tdx], g_at[tdx], &res, &err);
  if (res == NULL && st != TC_ERR_NOMEM)
    abort(); /* a result object is always produced */
  const char *verdict = json_string_value(json_object_get(res, "verdict"));
  if (verdict == NULL || (strcmp(verdict, "valid") == 0) != (st == TC_OK))
    abort(); /* verdict and status agree */
  if (st != TC_OK && err.reason[0] == '\0')
    abort();
  char *s = json_dumps(res, JSON_COMPACT);
  free(s);
  json_decref(res);
  return 0;
}
