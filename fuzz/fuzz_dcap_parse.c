/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: DCAP quote parser (SGX v3, TDX v4/v5), claims and policy-flag JSON,
 * and the PCK SGX extension of a chain carried in the quote. Seeds: dcap/<case>/quote.bin. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "teectl/dcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tc_dcap_quote q;
  tc_error err;
  if (tc_dcap_parse(data, size, &q, &err) == TC_OK) {
    if (q.signed_len > size || q.cert_data + q.cert_data_len > data + size)
      abort(); /* a parsed quote points only inside the input */
    json_t *c = tc_dcap_claims(&q), *f = tc_dcap_policy_flags(&q);
    char *s = json_dumps(c, JSON_COMPACT);
    free(s);
    json_decref(c);
    json_decref(f);
    tc_dcap_pck_info pi;
    tc_tee tee;
    (void)tc_dcap_quote_pck_info(data, size, NULL, &pi, &tee, &err);
  } else if (err.reason[0] == '\0') {
    abort(); /* every rejection names its reason */
  }
  return 0;
}
