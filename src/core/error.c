/* SPDX-License-Identifier: Apache-2.0 */
#include "teectl/error.h"

#include "teectl/bytes.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

tc_status tc_fail(tc_error *err, tc_status status, const char *reason, const char *fmt, ...) {
  if (err == NULL)
    return status;
  /* Format into locals first: callers may pass err->reason or err->detail as arguments
   * (re-tagging an error with more context), and an overlapping snprintf is undefined. */
  char r[sizeof err->reason], d[sizeof err->detail];
  snprintf(r, sizeof r, "%s", reason ? reason : "");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d, sizeof d, fmt, ap);
  va_end(ap);
  err->status = status;
  memcpy(err->reason, r, sizeof r);
  memcpy(err->detail, d, sizeof d);
  tc_utf8_sanitize(err->reason);
  tc_utf8_sanitize(err->detail); /* names from certificates or JSON keys; cut characters */
  return status;
}

void tc_error_clear(tc_error *err) {
  if (err == NULL)
    return;
  err->status = TC_OK;
  err->reason[0] = '\0';
  err->detail[0] = '\0';
}
