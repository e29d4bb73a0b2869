/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: SEV-SNP report parser and claims builder (no cryptography). */
#include <stddef.h>
#include <stdint.h>

#include "teectl/snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tc_snp_report r;
  tc_error err;
  if (tc_snp_parse(data, size, &r, &err) != TC_OK)
    return 0;
  for (tc_snp_product p = TC_SNP_PRODUCT_UNKNOWN; p <= TC_SNP_TURIN; p++) {
    json_t *claims = tc_snp_claims(&r, p);
    json_decref(claims);
  }
  json_decref(tc_snp_policy_flags(r.policy));
  return 0;
}
