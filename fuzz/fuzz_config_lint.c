/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: `config lint` rules on arbitrary input, as a Kata / containerd TOML
 * file (auto-detected, both runtime dialects) and as RuntimeClass YAML, plus the JSON
 * report. Seeds: vectors/kata (rendered, lint, real-user-configs, deploy). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "teectl/lint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const struct {
    const char *name;
    tc_lint_runtime rt;
  } modes[] = {{"f.toml", TC_LINT_RUNTIME_AUTO},
               {"f.toml", TC_LINT_RUNTIME_RS},
               {"f.yaml", TC_LINT_RUNTIME_AUTO}};
  for (size_t m = 0; m < 3; m++) {
    tc_lint_input in = {modes[m].name, (const char *)data, size, TC_LINT_KIND_AUTO};
    tc_lint_opts o = {.runtime = modes[m].rt};
    tc_lint_report r = {0};
    tc_error err;
    if (tc_lint_run(&in, 1, &o, &r, &err) == TC_OK) {
      json_t *j = tc_lint_report_json(&r);
      json_decref(j);
    }
    tc_lint_report_free(&r);
  }
  return 0;
}
