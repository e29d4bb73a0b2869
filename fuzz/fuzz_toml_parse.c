/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: TOML reader, strict and recovering modes, plus the tagged-JSON
 * conversion of whatever parses. Seeds: toml-test/valid and toml-test/invalid. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "teectl/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  for (unsigned opt = 0; opt < 2; opt++) {
    tc_toml_doc *doc = NULL;
    tc_error err;
    if (tc_toml_parse((const char *)data, size, opt ? TC_TOML_RECOVER_DUPLICATES : 0, &doc, &err) ==
        TC_OK) {
      json_t *j = tc_toml_to_tagged_json(doc->root);
      char *s = json_dumps(j, JSON_COMPACT);
      free(s);
      json_decref(j);
      tc_toml_doc_free(doc);
    } else if (doc != NULL) {
      abort(); /* a failed parse must not hand out a document */
    }
  }
  return 0;
}
