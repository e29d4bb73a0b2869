/* SPDX-License-Identifier: Apache-2.0 */
/* `teectl config lint --policy`: a Kata SEV-SNP configuration's launch digest (computed by
 * the caller with teectl measure's machinery) against the policy's snp.measurements
 * (docs/policy.md, docs/measure.md). */
#include <string.h>
#include <strings.h>

#include "config/internal.h"
#include "teectl/bytes.h"

#define DIGEST_LEN 48

tc_status tc_lint_snp_measurement(const tc_lint_launch *l, const json_t *measurements,
                                  const char *policy_name, tc_lint_report *report, tc_error *err) {
  lint_ctx c = {.rep = report};
  const char *file = l->file ? l->file : "<input>";
  const char *table = "hypervisor.qemu";
  size_t n = json_is_array(measurements) ? json_array_size(measurements) : 0;
  char fix[400];
  snprintf(fix, sizeof fix,
           "add its digest to snp.measurements: teectl measure snp --kata-config %s "
           "--vcpu-type TYPE --policy-snippet",
           file);
  if (l->digest == NULL) {
    lint_add(&c, file, 0, 0, table, "", TC_LINT_INFO, "snp-measurement-not-checked",
             "give the files the configuration names (--kata-root) and --vcpu-type",
             "the launch digest was not compared with the snp.measurements of policy %s: %s",
             policy_name, l->why ? l->why : "it could not be computed");
  } else {
    char hex[2 * DIGEST_LEN + 1];
    tc_hex_encode(l->digest, DIGEST_LEN, hex);
    int listed = 0;
    for (size_t i = 0; i < n && !listed; i++) {
      const char *m = json_string_value(json_array_get(measurements, i));
      listed = m != NULL && strlen(m) == sizeof hex - 1 && strcasecmp(m, hex) == 0;
    }
    if (n == 0)
      lint_add(&c, file, 0, 0, table, "", TC_LINT_INFO, "snp-measurement-unappraised", fix,
               "policy %s has no snp.measurements: guests of this configuration (MEASUREMENT "
               "%s%s%s) are appraised without reference values, so never better than warning",
               policy_name, hex, l->how ? ", " : "", l->how ? l->how : "");
    else if (!listed)
      lint_add(&c, file, 0, 0, table, "", TC_LINT_WARNING, "snp-measurement-not-in-policy", fix,
               "guests of this configuration launch with MEASUREMENT %s%s%s%s, which is none of "
               "the %zu snp.measurements of policy %s: the appraisal contraindicates them "
               "(rule snp.measurements)",
               hex, l->how ? " (" : "", l->how ? l->how : "", l->how ? ")" : "", n, policy_name);
  }
  if (c.nomem)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "lint finding");
  return TC_OK;
}
