/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — KBS error bodies: RFC 7807 problem details. The guest reads them as kbs-types
 * ErrorInformation {"type", "detail"} (extra members are ignored). Statuses follow the
 * protocol document and Trustee's kbs/src/error.rs (401 for what a new attestation can
 * cure, 404 for an unknown resource), with 403 for a policy denial. */
#include <jansson.h>
#include <string.h>

#include "teectl/kbs.h"

static const char *phrase(unsigned status) {
  switch (status) {
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 413:
    return "Content Too Large";
  case 429:
    return "Too Many Requests";
  case 503:
    return "Service Unavailable";
  default:
    return "Internal Server Error";
  }
}

char *tc_kbs_problem(unsigned status, const char *reason, const char *detail) {
  char type[128];
  snprintf(type, sizeof type, "urn:teectl:kbs:error:%s", reason ? reason : "internal_error");
  json_t *o = json_pack("{s:s,s:s,s:i,s:s}", "type", type, "title", phrase(status), "status",
                        (int)status, "detail", detail ? detail : "");
  char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  return text;
}

unsigned tc_kbs_status_of(const tc_error *err) {
  static const struct {
    const char *reason;
    unsigned status;
  } map[] = {
      {"policy_denied", 403},    {"resource_not_found", 404}, {"resource_path_invalid", 404},
      {"resource_refused", 404}, {"body_too_large", 413},     {"rate_limited", 429},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp(err->reason, map[i].reason) == 0)
      return map[i].status;
  if (err->status == TC_ERR_NOMEM || err->status == TC_ERR_INTERNAL || err->status == TC_ERR_IO)
    return 500;
  return 401;
}
