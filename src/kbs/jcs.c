/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — RFC 8785 JSON Canonicalization Scheme (JCS) for jansson values.
 *
 * The runtime-data binding hashes the canonical form the guest's attestation-agent makes
 * (serde_json_canonicalizer): section 3.2.3 sorts object members by the UTF-16 code units
 * of their names; section 3.2.2.2 fixes the string escapes; numbers follow ECMAScript,
 * which for the integers used here is plain decimal (non-integral numbers are refused).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "teectl/bytes.h"
#include "teectl/kbs.h"
#include "teectl/strbuf.h"

/* Next UTF-16 code unit of s (advancing *i and tracking a pending low surrogate). */
static unsigned next_unit(const char *s, size_t n, size_t *i, unsigned *pending) {
  if (*pending) {
    unsigned u = *pending;
    *pending = 0;
    return u;
  }
  uint32_t cp = 0;
  size_t k = tc_utf8_decode((const uint8_t *)s + *i, n - *i, &cp);
  if (k == 0) { /* jansson only holds valid UTF-8; treat a stray byte as itself */
    cp = (unsigned char)s[*i];
    k = 1;
  }
  *i += k;
  if (cp < 0x10000)
    return cp;
  cp -= 0x10000;
  *pending = 0xDC00 | (cp & 0x3FF);
  return 0xD800 | (cp >> 10);
}

static int utf16_cmp(const char *a, const char *b) {
  size_t na = strlen(a), nb = strlen(b), i = 0, j = 0;
  unsigned pa = 0, pb = 0;
  while ((i < na || pa) && (j < nb || pb)) {
    unsigned ua = next_unit(a, na, &i, &pa), ub = next_unit(b, nb, &j, &pb);
    if (ua != ub)
      return ua < ub ? -1 : 1;
  }
  int ra = i < na || pa, rb = j < nb || pb;
  return ra - rb;
}

static int key_cmp(const void *x, const void *y) {
  return utf16_cmp(*(const char *const *)x, *(const char *const *)y);
}

static void put_string(tc_strbuf *b, const char *s, size_t n) {
  tc_strbuf_append(b, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '"':
      tc_strbuf_append(b, "\\\"", 2);
      break;
    case '\\':
      tc_strbuf_append(b, "\\\\", 2);
      break;
    case '\b':
      tc_strbuf_append(b, "\\b", 2);
      break;
    case '\f':
      tc_strbuf_append(b, "\\f", 2);
      break;
    case '\n':
      tc_strbuf_append(b, "\\n", 2);
      break;
    case '\r':
      tc_strbuf_append(b, "\\r", 2);
      break;
    case '\t':
      tc_strbuf_append(b, "\\t", 2);
      break;
    default:
      if (c < 0x20)
        tc_strbuf_printf(b, "\\u%04x", c);
      else
        tc_strbuf_append(b, &s[i], 1);
    }
  }
  tc_strbuf_append(b, "\"", 1);
}

static tc_status put_value(tc_strbuf *b, const json_t *v, int depth, tc_error *err) {
  if (depth > 64)
    return tc_fail(err, TC_ERR_PARSE, "jcs_too_deep", "JSON nested deeper than 64 levels");
  switch (json_typeof(v)) {
  case JSON_OBJECT: {
    size_t n = json_object_size(v), k = 0;
    const char **keys = calloc(n ? n : 1, sizeof *keys);
    if (!keys)
      return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "canonical JSON");
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)v, key, val) keys[k++] = key;
    qsort(keys, n, sizeof *keys, key_cmp);
    tc_strbuf_append(b, "{", 1);
    for (size_t i = 0; i < n; i++) {
      if (i)
        tc_strbuf_append(b, ",", 1);
      put_string(b, keys[i], strlen(keys[i]));
      tc_strbuf_append(b, ":", 1);
      tc_status st = put_value(b, json_object_get(v, keys[i]), depth + 1, err);
      if (st != TC_OK) {
        free(keys);
        return st;
      }
    }
    free(keys);
    tc_strbuf_append(b, "}", 1);
    return TC_OK;
  }
  case JSON_ARRAY:
    tc_strbuf_append(b, "[", 1);
    for (size_t i = 0; i < json_array_size(v); i++) {
      if (i)
        tc_strbuf_append(b, ",", 1);
      tc_status st = put_value(b, json_array_get(v, i), depth + 1, err);
      if (st != TC_OK)
        return st;
    }
    tc_strbuf_append(b, "]", 1);
    return TC_OK;
  case JSON_STRING:
    put_string(b, json_string_value(v), json_string_length(v));
    return TC_OK;
  case JSON_INTEGER:
    tc_strbuf_printf(b, "%lld", (long long)json_integer_value(v));
    return TC_OK;
  case JSON_REAL:
    return tc_fail(err, TC_ERR_PARSE, "jcs_number_unsupported",
                   "a non-integral number has no canonical form here");
  case JSON_TRUE:
    tc_strbuf_append(b, "true", 4);
    return TC_OK;
  case JSON_FALSE:
    tc_strbuf_append(b, "false", 5);
    return TC_OK;
  case JSON_NULL:
    tc_strbuf_append(b, "null", 4);
    return TC_OK;
  }
  return tc_fail(err, TC_ERR_INTERNAL, "jcs_failed", "unknown JSON type");
}

tc_status tc_kbs_jcs(const json_t *v, char **out, tc_error *err) {
  tc_strbuf b = {0};
  *out = NULL;
  tc_status st = put_value(&b, v, 0, err);
  if (st != TC_OK) {
    tc_strbuf_free(&b);
    return st;
  }
  *out = tc_strbuf_take(&b);
  if (!*out)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "canonical JSON");
  return TC_OK;
}
