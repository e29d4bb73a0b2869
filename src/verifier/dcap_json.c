/* SPDX-License-Identifier: Apache-2.0 */
/* Intel PCS collateral JSON: typed member readers, the exact text span of the signed
 * inner object (Intel PCS API v4: the signature covers the bytes of "tcbInfo" /
 * "enclaveIdentity" as served), and the TCB status names. */
#include <stdio.h>
#include <string.h>

#include "core/auto.h"
#include "teectl/bytes.h"
#include "teectl/dcap.h"
#include "teectl/rfc3339.h"
#include "verifier/dcap_internal.h"

/* ---- JSON helpers ---- */

tc_status dcap_json_hex(const json_t *obj, const char *key, uint8_t *out, size_t n,
                        const char *reason, const char *what, tc_error *err) {
  const char *s = json_string_value(json_object_get(obj, key));
  if (s == NULL || strlen(s) != 2 * n || (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))
    return tc_fail(err, TC_ERR_PARSE, reason, "%s.%s: expected a string of %zu hex digits", what,
                   key, 2 * n);
  size_t got;
  tc_error e2;
  if (tc_hex_decode(s, out, n, &got, &e2) != TC_OK || got != n)
    return tc_fail(err, TC_ERR_PARSE, reason, "%s.%s: %s", what, key, e2.detail);
  return TC_OK;
}

tc_status dcap_json_int(const json_t *obj, const char *key, long long min, long long max,
                        long long *out, const char *reason, const char *what, tc_error *err) {
  const json_t *v = json_object_get(obj, key);
  if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
    return tc_fail(err, TC_ERR_PARSE, reason, "%s.%s: expected an integer in %lld..%lld", what, key,
                   min, max);
  *out = json_integer_value(v);
  return TC_OK;
}

tc_status dcap_json_time(const json_t *obj, const char *key, int64_t *out, const char *reason,
                         const char *what, tc_error *err) {
  const char *s = json_string_value(json_object_get(obj, key));
  tc_error e2;
  if (s == NULL || tc_rfc3339_parse(s, out, &e2) != TC_OK)
    return tc_fail(err, TC_ERR_PARSE, reason, "%s.%s: expected an RFC 3339 date-time", what, key);
  return TC_OK;
}

tc_status dcap_json_advisories(const json_t *obj, json_t **out, const char *reason,
                               const char *what, tc_error *err) {
  *out = NULL;
  const json_t *a = json_object_get(obj, "advisoryIDs");
  if (a == NULL) {
    *out = json_array();
    return *out ? TC_OK : tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "advisory list");
  }
  size_t i;
  const json_t *v;
  if (!json_is_array(a))
    return tc_fail(err, TC_ERR_PARSE, reason, "%s.advisoryIDs is not an array", what);
  json_array_foreach(a, i, v) {
    if (!json_is_string(v))
      return tc_fail(err, TC_ERR_PARSE, reason, "%s.advisoryIDs[%zu] is not a string", what, i);
  }
  *out = json_deep_copy(a);
  return *out ? TC_OK : tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "advisory list");
}

/* ---- signed span ---- */

static size_t skip_ws(const uint8_t *t, size_t n, size_t i) {
  while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
    i++;
  return i;
}

/* t[*i] == '"': move past the closing quote. -1 if unterminated. */
static int skip_string(const uint8_t *t, size_t n, size_t *i) {
  size_t j = *i + 1;
  while (j < n) {
    if (t[j] == '\\')
      j += 2;
    else if (t[j] == '"') {
      *i = j + 1;
      return 0;
    } else
      j++;
  }
  return -1;
}

/* Skip one JSON value (balanced brackets, strings respected). -1 if malformed. */
static int skip_value(const uint8_t *t, size_t n, size_t *i) {
  size_t j = *i;
  if (j >= n)
    return -1;
  if (t[j] == '"')
    return skip_string(t, n, i);
  if (t[j] == '{' || t[j] == '[') {
    int depth = 0;
    while (j < n) {
      if (t[j] == '"') {
        if (skip_string(t, n, &j) != 0)
          return -1;
        continue;
      }
      if (t[j] == '{' || t[j] == '[')
        depth++;
      else if (t[j] == '}' || t[j] == ']') {
        if (--depth == 0) {
          *i = j + 1;
          return 0;
        }
      }
      j++;
    }
    return -1;
  }
  while (j < n && t[j] != ',' && t[j] != '}' && t[j] != ']' && t[j] != ' ' && t[j] != '\n' &&
         t[j] != '\r' && t[j] != '\t')
    j++;
  if (j == *i)
    return -1;
  *i = j;
  return 0;
}

/* The span [*off, *end) of the value of top-level member key in the text of a JSON object:
 * 0 when the key occurs exactly once, -1 otherwise or when the text is not walkable. */
static int find_span(const uint8_t *text, size_t len, const char *key, size_t *off, size_t *end) {
  size_t klen = strlen(key), i = skip_ws(text, len, 0), found = 0;
  if (i >= len || text[i] != '{')
    return -1;
  i = skip_ws(text, len, i + 1);
  while (i < len && text[i] != '}') {
    if (text[i] != '"')
      return -1;
    size_t ks = i + 1;
    if (skip_string(text, len, &i) != 0)
      return -1;
    size_t ke = i - 1;
    i = skip_ws(text, len, i);
    if (i >= len || text[i] != ':')
      return -1;
    i = skip_ws(text, len, i + 1);
    size_t vs = i;
    if (skip_value(text, len, &i) != 0)
      return -1;
    if (ke - ks == klen && memcmp(text + ks, key, klen) == 0) {
      found++;
      *off = vs;
      *end = i;
    }
    i = skip_ws(text, len, i);
    if (i < len && text[i] == ',')
      i = skip_ws(text, len, i + 1);
  }
  return found == 1 ? 0 : -1;
}

tc_status dcap_signed_json_doc(const uint8_t *text, size_t len, const char *key, const char *what,
                               size_t *span_off, size_t *span_len, uint8_t sig[64], json_t **doc,
                               tc_error *err) {
  char reason[48];
  snprintf(reason, sizeof reason, "%s_unparsable", what);
  *doc = NULL;
  json_error_t je;
  json_auto_t *d = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &je);
  if (d == NULL || !json_is_object(d))
    return tc_fail(err, TC_ERR_PARSE, reason, "%s: not a JSON object (line %d column %d: %s)", what,
                   je.line, je.column, je.text);
  if (!json_is_object(json_object_get(d, key)))
    return tc_fail(err, TC_ERR_PARSE, reason, "%s: member \"%s\" missing or not an object", what,
                   key);
  tc_status st = dcap_json_hex(d, "signature", sig, 64, reason, what, err);
  if (st != TC_OK)
    return st;
  /* jansson read the whole text as one object without duplicate keys, and find_span walks
   * the same top-level grammar: the span is the text of that object member. */
  size_t off = 0, end = 0;
  if (find_span(text, len, key, &off, &end) != 0 || end - off < 2 || text[off] != '{' ||
      text[end - 1] != '}')
    return tc_fail(err, TC_ERR_PARSE, reason,
                   "%s: cannot locate the exact text of the top-level \"%s\" object", what, key);
  *span_off = off;
  *span_len = end - off;
  *doc = d;
  d = NULL;
  return TC_OK;
}

tc_status tc_dcap_signed_json(const uint8_t *text, size_t len, const char *key, const char *what,
                              size_t *span_off, size_t *span_len, uint8_t sig[64], tc_error *err) {
  json_auto_t *doc = NULL;
  tc_status st = dcap_signed_json_doc(text, len, key, what, span_off, span_len, sig, &doc, err);
  if (st != TC_OK)
    return st;
  /* The span parsed alone is exactly the object jansson read for the member. */
  json_error_t je;
  json_auto_t *again = json_loadb((const char *)text + *span_off, *span_len, 0, &je);
  if (again == NULL || !json_equal(again, json_object_get(doc, key))) {
    char reason[48];
    snprintf(reason, sizeof reason, "%s_unparsable", what);
    return tc_fail(err, TC_ERR_PARSE, reason,
                   "%s: cannot locate the exact text of the top-level \"%s\" object", what, key);
  }
  return TC_OK;
}

/* ---- statuses ---- */

static const char *const status_names[] = {
    [TC_DCAP_TCB_UNKNOWN] = "Unknown",
    [TC_DCAP_TCB_UP_TO_DATE] = "UpToDate",
    [TC_DCAP_TCB_SW_HARDENING_NEEDED] = "SWHardeningNeeded",
    [TC_DCAP_TCB_CONFIGURATION_NEEDED] = "ConfigurationNeeded",
    [TC_DCAP_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED] = "ConfigurationAndSWHardeningNeeded",
    [TC_DCAP_TCB_OUT_OF_DATE] = "OutOfDate",
    [TC_DCAP_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED] = "OutOfDateConfigurationNeeded",
    [TC_DCAP_TCB_REVOKED] = "Revoked",
    [TC_DCAP_TCB_NOT_SUPPORTED] = "TcbNotSupported",
    [TC_DCAP_TCB_TD_RELAUNCH_ADVISED] = "TDRelaunchAdvised",
    [TC_DCAP_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED] = "TDRelaunchAdvisedConfigurationNeeded",
};

const char *tc_dcap_tcb_status_name(tc_dcap_tcb_status s) {
  if ((unsigned)s >= sizeof status_names / sizeof status_names[0])
    return "Unknown";
  return status_names[s];
}

tc_dcap_tcb_status tc_dcap_tcb_status_from_name(const char *name) {
  if (name == NULL)
    return TC_DCAP_TCB_UNKNOWN;
  for (int s = TC_DCAP_TCB_UP_TO_DATE; s <= TC_DCAP_TCB_REVOKED; s++)
    if (strcmp(name, status_names[s]) == 0)
      return (tc_dcap_tcb_status)s;
  return TC_DCAP_TCB_UNKNOWN;
}
