/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: what the attester takes from the host or the guest's agent before any
 * verifier sees it: the SNP certificate table (GHCB GUID table, host-controlled) and the
 * report-to-JSON encoder of the KBS wire form (first 0x4A0 bytes as the report, the rest as
 * the table). */
#include <stddef.h>
#include <stdint.h>

#include "teectl/attester.h"
#include "teectl/snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tc_snp_cert certs[16];
  size_t n = 0;
  tc_error err;
  if (tc_snp_cert_table_parse(data, size, certs, 16, &n, &err) == TC_OK)
    for (size_t i = 0; i < n; i++)
      if (certs[i].der < data || certs[i].der + certs[i].len > data + size)
        __builtin_trap(); /* an entry outside the table it came from */
  if (size >= TC_SNP_REPORT_SIZE) {
    json_t *j = NULL;
    if (tc_snp_evidence_json(data, TC_SNP_REPORT_SIZE, data + TC_SNP_REPORT_SIZE,
                             size - TC_SNP_REPORT_SIZE, &j, &err) == TC_OK)
      json_decref(j);
  }
  return 0;
}
