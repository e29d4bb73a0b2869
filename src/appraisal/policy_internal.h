/* Internal to the appraisal area: the loaded policy. */
#ifndef TEECTL_APPRAISAL_POLICY_INTERNAL_H
#define TEECTL_APPRAISAL_POLICY_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

struct tc_policy {
  char *id;           /* ear.appraisal-policy-id */
  bool require_nonce; /* "require_nonce" */
  json_t *eff;        /* effective policy JSON (defaults filled in); read-only after load */
};

/* NULL-terminated list of the Intel TCB status names the policy may map. */
extern const char *const tc_tcb_status_names[];

#endif
