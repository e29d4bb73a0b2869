/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: launch inputs and kernel command line from an arbitrary Kata
 * configuration (TOML reader, then tc_kata_snp_inputs). */
#include "teectl/measure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tc_toml_doc *doc = NULL;
  tc_error err;
  if (tc_toml_parse((const char *)data, size, 0, &doc, &err) != TC_OK)
    return 0;
  tc_kata_snp k;
  if (tc_kata_snp_inputs(doc->root, &k, &err) == TC_OK)
    tc_kata_snp_free(&k);
  tc_toml_doc_free(doc);
  return 0;
}
