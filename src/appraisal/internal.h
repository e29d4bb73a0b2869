/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to the appraisal area: the loaded policy. */
#ifndef TEECTL_APPRAISAL_INTERNAL_H
#define TEECTL_APPRAISAL_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "teectl/error.h"

struct tc_policy {
  char *id;           /* ear.appraisal-policy-id */
  bool require_nonce; /* "require_nonce" */
  json_t *eff;        /* effective policy JSON (defaults filled in); read-only after load */
};

/* NULL-terminated list of the Intel TCB status names the policy may map. */
extern const char *const tc_tcb_status_names[];

/* Convert a YAML policy document (one mapping) to JSON (new ref in *out). Errors:
 * TC_ERR_PARSE "policy_json_invalid" (detail: src:line:column: problem); TC_ERR_NOMEM. */
tc_status policy_yaml_to_json(const char *text, size_t len, const char *src, json_t **out,
                              tc_error *err);

#endif
