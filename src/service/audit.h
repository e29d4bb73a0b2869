/* SPDX-License-Identifier: Apache-2.0 */
/* Audit records: one JSON object per line on stdout (src/service, not a public API). */
#ifndef TEECTL_SERVICE_AUDIT_H
#define TEECTL_SERVICE_AUDIT_H

#include <jansson.h>

/** Write obj as one compact JSON line (adds "ts" if absent) with a single write; thread-safe. */
void svc_audit(json_t *obj);

#endif
