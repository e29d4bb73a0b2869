/* SPDX-License-Identifier: Apache-2.0 */
/* Audit records: one compact JSON object per line on stdout, for the cluster's log
 * pipeline. Callers never put secrets or whole evidence in them (evidence SHA-256 only). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "service/audit.h"
#include "teectl/rfc3339.h"

static pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;

void svc_audit(json_t *obj) {
  if (obj == NULL)
    return;
  if (json_object_get(obj, "ts") == NULL) {
    char ts[21];
    json_object_set_new(obj, "ts", json_string(tc_rfc3339_format((int64_t)time(NULL), ts)));
  }
  char *line = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
  if (line == NULL)
    return;
  pthread_mutex_lock(&audit_lock);
  fputs(line, stdout);
  fputc('\n', stdout);
  fflush(stdout);
  pthread_mutex_unlock(&audit_lock);
  free(line);
}
