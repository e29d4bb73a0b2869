/* SPDX-License-Identifier: Apache-2.0 */
#include "core/verdict.h"

#include "teectl/rfc3339.h"

int tc_verdict_set(json_t *res, tc_status st, const tc_error *err, const char *ok_detail) {
  int rc = json_object_set_new(res, "verdict", json_string(st == TC_OK ? "valid" : "invalid"));
  if (st != TC_OK)
    rc |= json_object_set_new(res, "reason", json_string(err->reason));
  else
    json_object_del(res, "reason");
  rc |= json_object_set_new(res, "detail", json_string(st == TC_OK ? ok_detail : err->detail));
  return rc == 0 ? 0 : -1;
}

json_t *tc_verdict_new(tc_status st, const tc_error *err, const char *ok_detail, const char *tee,
                       int64_t at) {
  char ts[21];
  json_t *o = json_object();
  if (o == NULL || tc_verdict_set(o, st, err, ok_detail) != 0 ||
      json_object_set_new(o, "tee", json_string(tee)) != 0 ||
      json_object_set_new(o, "verified_at", json_string(tc_rfc3339_format(at, ts))) != 0) {
    json_decref(o);
    return NULL;
  }
  return o;
}

int tc_verdict_set_trust_anchor(json_t *res, tc_status st, int operator_root) {
  if (st != TC_OK) {
    json_object_del(res, "trust_anchor");
    return 0;
  }
  return json_object_set_new(
             res, "trust_anchor",
             json_string(operator_root ? TC_TRUST_ANCHOR_OPERATOR : TC_TRUST_ANCHOR_VENDOR)) == 0
             ? 0
             : -1;
}
