/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — a TOML value in the tagged JSON encoding of the toml-test suite (teectl/toml.h,
 * tc_toml_to_tagged_json), used by the suite's tests, the fuzzer and the configuration
 * tests; the reader itself is toml.c. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teectl/toml.h"

static void fmt_time(char *o, size_t cap, const tc_toml_datetime *d) {
  int n = snprintf(o, cap, "%02d:%02d:%02d", d->hour, d->minute, d->second);
  if (d->frac_digits > 0 && n > 0 && (size_t)n < cap) {
    char frac[16];
    snprintf(frac, sizeof frac, "%09" PRId32, d->nanosecond);
    snprintf(o + n, cap - (size_t)n, ".%.*s", d->frac_digits, frac);
  }
}

json_t *tc_toml_to_tagged_json(const tc_toml_value *v) {
  char buf[80];
  const char *sval = buf;
  size_t slen = 0;
  switch (v->type) {
  case TC_TOML_TABLE: {
    json_t *o = json_object();
    if (!o)
      return NULL;
    for (size_t i = 0; i < v->u.table.len; i++) {
      const tc_toml_entry *e = &v->u.table.items[i];
      json_t *c = tc_toml_to_tagged_json(e->value);
      if (!c || json_object_setn_new(o, e->key, e->key_len, c)) {
        json_decref(o);
        return NULL;
      }
    }
    return o;
  }
  case TC_TOML_ARRAY: {
    json_t *a = json_array();
    if (!a)
      return NULL;
    for (size_t i = 0; i < v->u.array.len; i++) {
      json_t *c = tc_toml_to_tagged_json(v->u.array.items[i]);
      if (!c || json_array_append_new(a, c)) {
        json_decref(a);
        return NULL;
      }
    }
    return a;
  }
  case TC_TOML_STRING:
    sval = v->u.str.ptr;
    slen = v->u.str.len;
    break;
  case TC_TOML_INTEGER:
    snprintf(buf, sizeof buf, "%" PRId64, v->u.integer);
    break;
  case TC_TOML_FLOAT:
    if (isnan(v->u.flt))
      snprintf(buf, sizeof buf, "nan");
    else if (isinf(v->u.flt))
      snprintf(buf, sizeof buf, "%sinf", v->u.flt < 0 ? "-" : "");
    else
      snprintf(buf, sizeof buf, "%.17g", v->u.flt);
    break;
  case TC_TOML_BOOL:
    snprintf(buf, sizeof buf, "%s", v->u.boolean ? "true" : "false");
    break;
  case TC_TOML_DATE_LOCAL:
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", v->u.dt.year, v->u.dt.month, v->u.dt.day);
    break;
  case TC_TOML_TIME_LOCAL:
    fmt_time(buf, sizeof buf, &v->u.dt);
    break;
  case TC_TOML_DATETIME_LOCAL:
  case TC_TOML_DATETIME: {
    char t[32];
    fmt_time(t, sizeof t, &v->u.dt);
    int n =
        snprintf(buf, sizeof buf, "%04d-%02d-%02dT%s", v->u.dt.year, v->u.dt.month, v->u.dt.day, t);
    if (v->type == TC_TOML_DATETIME && n > 0 && (size_t)n < sizeof buf) {
      int off = v->u.dt.offset_minutes;
      if (off == 0)
        snprintf(buf + n, sizeof buf - (size_t)n, "Z");
      else
        snprintf(buf + n, sizeof buf - (size_t)n, "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 60,
                 abs(off) % 60);
    }
    break;
  }
  }
  if (sval == buf)
    slen = strlen(buf);
  json_t *o = json_object();
  if (!o)
    return NULL;
  if (json_object_set_new(o, "type", json_string(tc_toml_type_name(v->type))) ||
      json_object_set_new(o, "value", json_stringn(sval, slen))) {
    json_decref(o);
    return NULL;
  }
  return o;
}
