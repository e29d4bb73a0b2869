/* SPDX-License-Identifier: Apache-2.0 */
/* Audit records: one compact JSON object per line on stdout, for the cluster's log
 * pipeline. Callers never put secrets or whole evidence in them (evidence SHA-256 only). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
  /* The line and its newline in one buffer (on the stack when it fits, as nearly all do),
   * handed to stdio at once and flushed: one write per record. */
  char small[2048], *line = small;
  size_t n = json_dumpb(obj, small, sizeof small - 1, JSON_COMPACT | JSON_SORT_KEYS);
  if (n == 0)
    return;
  if (n > sizeof small - 1) {
    line = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    if (line == NULL)
      return;
    n = strlen(line); /* the newline takes the place of its NUL */
  }
  line[n] = '\n';
  pthread_mutex_lock(&audit_lock);
  fwrite(line, 1, n + 1, stdout);
  fflush(stdout);
  pthread_mutex_unlock(&audit_lock);
  if (line != small)
    free(line);
}
