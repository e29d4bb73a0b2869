/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz what the collateral provider does with bytes from the network before caching
 * them: validity of every object kind (certificates, chains, CRLs incl. hex text, TCB Info
 * / QE Identity JSON), issuer-chain header percent-decoding, CRL distribution points. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collateral/internal.h"
#include "teectl/collateral.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tc_error err;
  int64_t issued, expires;
  for (int k = TC_OBJ_KDS_VCEK; k <= TC_OBJ_PCS_ROOT_CA_CRL; k++)
    (void)tc_object_validity((tc_object_kind)k, data, size, NULL, 0, &issued, &expires, &err);
  /* the input as an issuer chain of a (certainly malformed) body */
  (void)tc_object_validity(TC_OBJ_PCS_TCB_INFO, (const uint8_t *)"{}", 2, data, size, &issued,
                           &expires, &err);
  tc_buf out;
  if (tc_url_decode((const char *)data, size, &out, &err) == TC_OK)
    tc_buf_free(&out);
  char url[512];
  (void)tc_x509_crl_dp_url(data, size, url, sizeof url, &err);
  tc_buf copy = {malloc(size + 1), size};
  if (copy.data != NULL) {
    memcpy(copy.data, data, size);
    (void)col_crl_normalize(&copy, &err);
    tc_buf_free(&copy);
  }
  return 0;
}
