/* SPDX-License-Identifier: Apache-2.0 */
/* Intel PCS collateral: signed JSON span, TCB Info v3 parsing and TCB evaluation
 * (Intel PCS API v4 "TCB Info V3"; Intel QVL TcbLevelCheck / TdxModuleCheck semantics). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

tc_status tc_dcap_signed_json(const uint8_t *text, size_t len, const char *key, const char *what,
                              size_t *span_off, size_t *span_len, uint8_t sig[64], tc_error *err) {
  char reason[48];
  snprintf(reason, sizeof reason, "%s_unparsable", what);
  json_error_t je;
  json_t *doc = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &je);
  if (doc == NULL || !json_is_object(doc)) {
    json_decref(doc);
    return tc_fail(err, TC_ERR_PARSE, reason, "%s: not a JSON object (line %d column %d: %s)", what,
                   je.line, je.column, je.text);
  }
  const json_t *inner = json_object_get(doc, key);
  tc_status st = TC_OK;
  if (!json_is_object(inner)) {
    st =
        tc_fail(err, TC_ERR_PARSE, reason, "%s: member \"%s\" missing or not an object", what, key);
    goto out;
  }
  if ((st = dcap_json_hex(doc, "signature", sig, 64, reason, what, err)) != TC_OK)
    goto out;
  /* Find the span of the member's value in the text. */
  size_t klen = strlen(key), i = skip_ws(text, len, 0), found = 0, off = 0, end = 0;
  if (i >= len || text[i] != '{')
    goto bad;
  i = skip_ws(text, len, i + 1);
  while (i < len && text[i] != '}') {
    if (text[i] != '"')
      goto bad;
    size_t ks = i + 1;
    if (skip_string(text, len, &i) != 0)
      goto bad;
    size_t ke = i - 1;
    i = skip_ws(text, len, i);
    if (i >= len || text[i] != ':')
      goto bad;
    i = skip_ws(text, len, i + 1);
    size_t vs = i;
    if (skip_value(text, len, &i) != 0)
      goto bad;
    if (ke - ks == klen && memcmp(text + ks, key, klen) == 0) {
      found++;
      off = vs;
      end = i;
    }
    i = skip_ws(text, len, i);
    if (i < len && text[i] == ',')
      i = skip_ws(text, len, i + 1);
  }
  if (found != 1)
    goto bad;
  /* The span must be exactly the object jansson read for the member. */
  json_t *again = json_loadb((const char *)text + off, end - off, 0, &je);
  int same = again != NULL && json_equal(again, inner);
  json_decref(again);
  if (!same)
    goto bad;
  *span_off = off;
  *span_len = end - off;
  goto out;
bad:
  st = tc_fail(err, TC_ERR_PARSE, reason,
               "%s: cannot locate the exact text of the top-level \"%s\" object", what, key);
out:
  json_decref(doc);
  return st;
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

/* ---- TCB Info ---- */

#define TI_BAD "tcb_info_invalid"

static tc_status parse_components(const json_t *tcb, const char *key, uint8_t out[16],
                                  const char *what, tc_error *err) {
  const json_t *a = json_object_get(tcb, key);
  if (!json_is_array(a) || json_array_size(a) != 16)
    return tc_fail(err, TC_ERR_PARSE, TI_BAD, "%s.tcb.%s: expected an array of 16 components", what,
                   key);
  for (size_t i = 0; i < 16; i++) {
    long long v = 0;
    char w[96];
    snprintf(w, sizeof w, "%s.tcb.%s[%zu]", what, key, i);
    tc_status st = dcap_json_int(json_array_get(a, i), "svn", 0, 255, &v, TI_BAD, w, err);
    if (st != TC_OK)
      return st;
    out[i] = (uint8_t)v;
  }
  return TC_OK;
}

static tc_status parse_status(const json_t *obj, tc_dcap_tcb_status *out, int qe_like,
                              const char *what, tc_error *err, const char *reason) {
  const char *s = json_string_value(json_object_get(obj, "tcbStatus"));
  tc_dcap_tcb_status st = tc_dcap_tcb_status_from_name(s);
  if (st == TC_DCAP_TCB_UNKNOWN || (qe_like && st != TC_DCAP_TCB_UP_TO_DATE &&
                                    st != TC_DCAP_TCB_OUT_OF_DATE && st != TC_DCAP_TCB_REVOKED))
    return tc_fail(err, TC_ERR_PARSE, reason, "%s.tcbStatus: unsupported status \"%s\"", what,
                   s ? s : "(missing)");
  *out = st;
  return TC_OK;
}

static int level_cmp_desc(const void *a, const void *b) {
  const tc_dcap_tcb_level *x = a, *y = b;
  int c = memcmp(x->sgx, y->sgx, 16);
  if (c == 0)
    c = (x->pcesvn > y->pcesvn) - (x->pcesvn < y->pcesvn);
  if (c == 0)
    c = memcmp(x->tdx, y->tdx, 16);
  return -c;
}

typedef tc_dcap_isv_level isv_level;

static int isv_level_cmp_desc(const void *a, const void *b) {
  uint16_t x = ((const isv_level *)a)->isvsvn, y = ((const isv_level *)b)->isvsvn;
  return (y > x) - (y < x);
}

/* Parse an array of {tcb:{isvsvn}, tcbDate, tcbStatus, advisoryIDs?} into *levels, sorted
 * by descending isvsvn, duplicates rejected. */
static tc_status parse_isv_levels(const json_t *arr, isv_level **levels, size_t *n,
                                  const char *reason, const char *what, tc_error *err) {
  *levels = NULL;
  *n = 0;
  if (!json_is_array(arr) || json_array_size(arr) == 0)
    return tc_fail(err, TC_ERR_PARSE, reason, "%s.tcbLevels: expected a non-empty array", what);
  size_t cnt = json_array_size(arr);
  isv_level *lv = calloc(cnt, sizeof *lv);
  if (lv == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "levels");
  *levels = lv;
  for (size_t i = 0; i < cnt; i++) {
    const json_t *l = json_array_get(arr, i);
    char w[96];
    snprintf(w, sizeof w, "%s.tcbLevels[%zu]", what, i);
    long long v = 0;
    tc_status st;
    if ((st = dcap_json_int(json_object_get(l, "tcb"), "isvsvn", 0, 65535, &v, reason, w, err)) !=
            TC_OK ||
        (st = dcap_json_time(l, "tcbDate", &lv[i].tcb_date, reason, w, err)) != TC_OK ||
        (st = parse_status(l, &lv[i].status, 1, w, err, reason)) != TC_OK ||
        (st = dcap_json_advisories(l, &lv[i].advisory_ids, reason, w, err)) != TC_OK) {
      *n = i + 1;
      return st;
    }
    lv[i].isvsvn = (uint16_t)v;
    *n = i + 1;
  }
  qsort(lv, cnt, sizeof *lv, isv_level_cmp_desc);
  for (size_t i = 1; i < cnt; i++)
    if (lv[i].isvsvn == lv[i - 1].isvsvn)
      return tc_fail(err, TC_ERR_PARSE, reason, "%s.tcbLevels: isvsvn %u listed twice", what,
                     lv[i].isvsvn);
  return TC_OK;
}

static void free_isv_levels(isv_level *lv, size_t n) {
  for (size_t i = 0; lv && i < n; i++)
    json_decref(lv[i].advisory_ids);
  free(lv);
}

static tc_status parse_module(const json_t *m, tc_dcap_tdx_module *out, int with_levels,
                              const char *what, tc_error *err) {
  tc_status st;
  if (!json_is_object(m))
    return tc_fail(err, TC_ERR_PARSE, TI_BAD, "%s: expected an object", what);
  if ((st = dcap_json_hex(m, "mrsigner", out->mrsigner, 48, TI_BAD, what, err)) != TC_OK ||
      (st = dcap_json_hex(m, "attributes", out->attributes, 8, TI_BAD, what, err)) != TC_OK ||
      (st = dcap_json_hex(m, "attributesMask", out->attributes_mask, 8, TI_BAD, what, err)) !=
          TC_OK)
    return st;
  if (!with_levels)
    return TC_OK;
  const char *id = json_string_value(json_object_get(m, "id"));
  if (id == NULL || strlen(id) >= sizeof out->id)
    return tc_fail(err, TC_ERR_PARSE, TI_BAD, "%s.id: expected a short string", what);
  memcpy(out->id, id, strlen(id) + 1);
  return parse_isv_levels(json_object_get(m, "tcbLevels"), &out->levels, &out->n_levels, TI_BAD,
                          what, err);
}

void tc_dcap_tcb_info_free(tc_dcap_tcb_info *ti) {
  if (ti == NULL)
    return;
  for (size_t i = 0; ti->levels && i < ti->n_levels; i++)
    json_decref(ti->levels[i].advisory_ids);
  free(ti->levels);
  for (size_t i = 0; ti->modules && i < ti->n_modules; i++)
    free_isv_levels(ti->modules[i].levels, ti->modules[i].n_levels);
  free(ti->modules);
  memset(ti, 0, sizeof *ti);
}

tc_status tc_dcap_tcb_info_parse(const json_t *t, tc_dcap_tcb_info *out, tc_error *err) {
  memset(out, 0, sizeof *out);
  tc_status st;
  long long v = 0;
  const char *w = "tcbInfo";
  if (!json_is_object(t))
    return tc_fail(err, TC_ERR_PARSE, TI_BAD, "tcbInfo is not an object");
  if ((st = dcap_json_int(t, "version", 0, 1000, &v, TI_BAD, w, err)) != TC_OK)
    return st;
  out->version = (int)v;
  if (v != 3)
    return tc_fail(err, TC_ERR_PARSE, "tcb_info_version_unsupported",
                   "tcbInfo.version %lld: only version 3 is supported", v);
  const char *id = json_string_value(json_object_get(t, "id"));
  if (id == NULL || (strcmp(id, "SGX") != 0 && strcmp(id, "TDX") != 0))
    return tc_fail(err, TC_ERR_PARSE, TI_BAD, "tcbInfo.id \"%s\": expected SGX or TDX",
                   id ? id : "(missing)");
  out->is_tdx = strcmp(id, "TDX") == 0;
  if ((st = dcap_json_time(t, "issueDate", &out->issue_date, TI_BAD, w, err)) != TC_OK ||
      (st = dcap_json_time(t, "nextUpdate", &out->next_update, TI_BAD, w, err)) != TC_OK ||
      (st = dcap_json_hex(t, "fmspc", out->fmspc, 6, TI_BAD, w, err)) != TC_OK ||
      (st = dcap_json_hex(t, "pceId", out->pce_id, 2, TI_BAD, w, err)) != TC_OK ||
      (st = dcap_json_int(t, "tcbType", 0, 0, &v, TI_BAD, w, err)) != TC_OK ||
      (st = dcap_json_int(t, "tcbEvaluationDataNumber", 0, INT32_MAX, &v, TI_BAD, w, err)) != TC_OK)
    return st;
  out->tcb_evaluation_data_number = (int)v;
  const json_t *mod = json_object_get(t, "tdxModule");
  const json_t *ids = json_object_get(t, "tdxModuleIdentities");
  if (!out->is_tdx && (mod != NULL || ids != NULL))
    return tc_fail(err, TC_ERR_PARSE, TI_BAD, "SGX tcbInfo must not have tdxModule(Identities)");
  if (out->is_tdx) {
    if (mod == NULL)
      return tc_fail(err, TC_ERR_PARSE, TI_BAD, "TDX tcbInfo lacks tdxModule");
    if ((st = parse_module(mod, &out->tdx_module, 0, "tcbInfo.tdxModule", err)) != TC_OK)
      return st;
    out->has_tdx_module = 1;
    if (ids != NULL) {
      if (!json_is_array(ids) || json_array_size(ids) == 0)
        return tc_fail(err, TC_ERR_PARSE, TI_BAD,
                       "tcbInfo.tdxModuleIdentities: expected a non-empty array");
      out->modules = calloc(json_array_size(ids), sizeof *out->modules);
      if (out->modules == NULL)
        return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "module identities");
      for (size_t i = 0; i < json_array_size(ids); i++) {
        char mw[64];
        snprintf(mw, sizeof mw, "tcbInfo.tdxModuleIdentities[%zu]", i);
        out->n_modules = i + 1;
        if ((st = parse_module(json_array_get(ids, i), &out->modules[i], 1, mw, err)) != TC_OK) {
          tc_dcap_tcb_info_free(out);
          return st;
        }
      }
    }
  }
  const json_t *levels = json_object_get(t, "tcbLevels");
  if (!json_is_array(levels) || json_array_size(levels) == 0) {
    tc_dcap_tcb_info_free(out);
    return tc_fail(err, TC_ERR_PARSE, TI_BAD, "tcbInfo.tcbLevels: expected a non-empty array");
  }
  size_t n = json_array_size(levels);
  out->levels = calloc(n, sizeof *out->levels);
  if (out->levels == NULL) {
    tc_dcap_tcb_info_free(out);
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "levels");
  }
  for (size_t i = 0; i < n; i++) {
    const json_t *l = json_array_get(levels, i);
    tc_dcap_tcb_level *L = &out->levels[i];
    out->n_levels = i + 1;
    char lw[48];
    snprintf(lw, sizeof lw, "tcbInfo.tcbLevels[%zu]", i);
    const json_t *tcb = json_object_get(l, "tcb");
    if (!json_is_object(tcb)) {
      st = tc_fail(err, TC_ERR_PARSE, TI_BAD, "%s.tcb: expected an object", lw);
      goto fail;
    }
    if ((st = parse_components(tcb, "sgxtcbcomponents", L->sgx, lw, err)) != TC_OK ||
        (st = dcap_json_int(tcb, "pcesvn", 0, 65535, &v, TI_BAD, lw, err)) != TC_OK)
      goto fail;
    L->pcesvn = (uint16_t)v;
    if (out->is_tdx) {
      if ((st = parse_components(tcb, "tdxtcbcomponents", L->tdx, lw, err)) != TC_OK)
        goto fail;
      L->has_tdx = 1;
    }
    if ((st = dcap_json_time(l, "tcbDate", &L->tcb_date, TI_BAD, lw, err)) != TC_OK ||
        (st = parse_status(l, &L->status, 0, lw, err, TI_BAD)) != TC_OK ||
        (st = dcap_json_advisories(l, &L->advisory_ids, TI_BAD, lw, err)) != TC_OK)
      goto fail;
  }
  qsort(out->levels, n, sizeof *out->levels, level_cmp_desc);
  for (size_t i = 1; i < n; i++)
    if (level_cmp_desc(&out->levels[i - 1], &out->levels[i]) == 0) {
      st = tc_fail(err, TC_ERR_PARSE, TI_BAD, "tcbInfo.tcbLevels: duplicated TCB level");
      goto fail;
    }
  return TC_OK;
fail:
  tc_dcap_tcb_info_free(out);
  return st;
}

/* ---- evaluation ---- */

void tc_dcap_tcb_result_free(tc_dcap_tcb_result *r) {
  if (r == NULL)
    return;
  json_decref(r->advisory_ids);
  json_decref(r->tdx_module_advisory_ids);
  memset(r, 0, sizeof *r);
}

static void add_advisories(json_t *dst, const json_t *src) {
  size_t i, j;
  const json_t *v, *w;
  json_array_foreach(src, i, v) {
    int dup = 0;
    json_array_foreach(dst, j, w) {
      if (json_equal(v, w))
        dup = 1;
    }
    if (!dup)
      json_array_append_new(dst, json_deep_copy(v));
  }
}

/* QVL convergeTcbStatusWithTdxModuleStatus / convergeTcbStatusWithQeTcbStatus. */
static tc_dcap_tcb_status converge(tc_dcap_tcb_status level, tc_dcap_tcb_status other) {
  if (other == TC_DCAP_TCB_OUT_OF_DATE) {
    if (level == TC_DCAP_TCB_UP_TO_DATE || level == TC_DCAP_TCB_SW_HARDENING_NEEDED)
      return TC_DCAP_TCB_OUT_OF_DATE;
    if (level == TC_DCAP_TCB_CONFIGURATION_NEEDED ||
        level == TC_DCAP_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED)
      return TC_DCAP_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
  }
  if (other == TC_DCAP_TCB_REVOKED)
    return TC_DCAP_TCB_REVOKED;
  if (other == TC_DCAP_TCB_NOT_SUPPORTED)
    return TC_DCAP_TCB_NOT_SUPPORTED;
  return level;
}

static int components_ge(const uint8_t have[16], const uint8_t level[16], int from) {
  for (int i = from; i < 16; i++)
    if (have[i] < level[i])
      return 0;
  return 1;
}

static int config_needed(tc_dcap_tcb_status s) {
  return s == TC_DCAP_TCB_CONFIGURATION_NEEDED ||
         s == TC_DCAP_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED ||
         s == TC_DCAP_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED ||
         s == TC_DCAP_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED;
}

/* QVL checkForRelaunch (TD 1.5 bodies): *st is the TDX status after module convergence. */
static tc_status relaunch(const tc_dcap_tcb_info *ti, const tc_td_report_body *td,
                          tc_dcap_tcb_status sgx, tc_dcap_tcb_status module, tc_dcap_tcb_status qe,
                          tc_dcap_tcb_status *st, tc_error *err) {
  if (qe == TC_DCAP_TCB_OUT_OF_DATE || qe == TC_DCAP_TCB_REVOKED || qe == TC_DCAP_TCB_NOT_SUPPORTED)
    return TC_OK;
  if (sgx != TC_DCAP_TCB_UP_TO_DATE && sgx != TC_DCAP_TCB_SW_HARDENING_NEEDED &&
      sgx != TC_DCAP_TCB_CONFIGURATION_NEEDED &&
      sgx != TC_DCAP_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED)
    return TC_OK;
  if ((*st != TC_DCAP_TCB_OUT_OF_DATE && *st != TC_DCAP_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED) ||
      module != TC_DCAP_TCB_OUT_OF_DATE || ti->n_levels == 0)
    return TC_OK;
  const tc_dcap_tcb_level *latest = &ti->levels[0];
  const uint8_t *svn2 = td->tee_tcb_svn2;
  int newer;
  if (svn2[1] == 0) {
    newer = svn2[0] >= latest->tdx[0] && svn2[2] >= latest->tdx[2];
  } else {
    char id[16];
    snprintf(id, sizeof id, "TDX_%02X", svn2[1]);
    const tc_dcap_tdx_module *m = NULL;
    for (size_t i = 0; i < ti->n_modules && m == NULL; i++)
      if (strcasecmp(ti->modules[i].id, id) == 0)
        m = &ti->modules[i];
    if (m == NULL)
      return tc_fail(err, TC_ERR_VERIFY, "tdx_module_mismatch",
                     "TCB Info has no tdxModuleIdentities entry %s for tee_tcb_svn2[1] = %u", id,
                     svn2[1]);
    if (m->n_levels == 0) {
      *st = TC_DCAP_TCB_NOT_SUPPORTED;
      return tc_fail(err, TC_ERR_VERIFY, "tcb_not_supported", "module identity %s has no level",
                     id);
    }
    newer = svn2[0] >= m->levels[0].isvsvn && svn2[2] >= latest->tdx[2];
  }
  if (newer)
    *st = config_needed(sgx) || config_needed(*st)
              ? TC_DCAP_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED
              : TC_DCAP_TCB_TD_RELAUNCH_ADVISED;
  return TC_OK;
}

tc_status tc_dcap_tcb_evaluate(const tc_dcap_tcb_info *ti, const tc_dcap_pck_info *pck,
                               const tc_td_report_body *td, tc_dcap_tcb_status qe_status,
                               const json_t *qe_advisories, tc_dcap_tcb_result *out,
                               tc_error *err) {
  memset(out, 0, sizeof *out);
  out->qe_status = qe_status;
  out->advisory_ids = json_array();
  if (out->advisory_ids == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "advisories");
  int is_tdx = td != NULL;
  if (is_tdx && !ti->is_tdx)
    return tc_fail(err, TC_ERR_VERIFY, "tcb_info_mismatch", "TDX quote needs TDX TCB Info");
  const tc_dcap_tdx_module *mod = NULL;
  char mod_id[16] = "";
  if (is_tdx) {
    /* Module identity and MRSIGNER / SEAM attributes (QVL 4.1.2.4.11). */
    uint8_t ver = td->tee_tcb_svn[1];
    const uint8_t *mrsigner = ti->tdx_module.mrsigner, *attrs = ti->tdx_module.attributes;
    if (ver > 0) {
      snprintf(mod_id, sizeof mod_id, "TDX_%02X", ver);
      for (size_t i = 0; i < ti->n_modules && mod == NULL; i++)
        if (strcasecmp(ti->modules[i].id, mod_id) == 0)
          mod = &ti->modules[i];
      if (mod == NULL)
        return tc_fail(err, TC_ERR_VERIFY, "tdx_module_mismatch",
                       "TCB Info has no tdxModuleIdentities entry %s for tee_tcb_svn[1] = %u",
                       mod_id, ver);
      mrsigner = mod->mrsigner;
      attrs = mod->attributes;
    }
    if (memcmp(mrsigner, td->mr_signer_seam, 48) != 0)
      return tc_fail(err, TC_ERR_VERIFY, "tdx_module_mismatch",
                     "TD report mr_signer_seam differs from the TCB Info TDX module mrsigner");
    for (int i = 0; i < 8; i++)
      if (td->seam_attributes[i] != 0 || attrs[i] != 0)
        return tc_fail(err, TC_ERR_VERIFY, "tdx_module_mismatch",
                       "SEAM attributes (report) / TDX module attributes (TCB Info) not zero");
  }
  const tc_dcap_tcb_level *sgx_level = NULL, *tdx_level = NULL;
  for (size_t i = 0; i < ti->n_levels; i++) {
    const tc_dcap_tcb_level *L = &ti->levels[i];
    if (!components_ge(pck->sgx_tcb_comp_svn, L->sgx, 0) || pck->pcesvn < L->pcesvn)
      continue;
    if (!is_tdx) {
      sgx_level = L;
      break;
    }
    if (sgx_level == NULL)
      sgx_level = L;
    if (components_ge(td->tee_tcb_svn, L->tdx, td->tee_tcb_svn[1] > 0 ? 2 : 0)) {
      tdx_level = L;
      break;
    }
  }
  if (sgx_level == NULL || (is_tdx && tdx_level == NULL)) {
    out->status = TC_DCAP_TCB_NOT_SUPPORTED;
    return tc_fail(err, TC_ERR_VERIFY, "tcb_not_supported",
                   "no TCB level matches the PCK %s (pcesvn %u)%s",
                   sgx_level == NULL ? "SGX TCB components" : "SGX TCB", pck->pcesvn,
                   sgx_level == NULL ? "" : " and the TD report tee_tcb_svn");
  }
  out->sgx_level_status = sgx_level->status;
  const tc_dcap_tcb_level *level = is_tdx ? tdx_level : sgx_level;
  out->platform_status = level->status;
  out->matched_tcb_date = level->tcb_date;
  add_advisories(out->advisory_ids, level->advisory_ids);
  tc_dcap_tcb_status st = level->status;
  if (is_tdx) {
    out->tdx_module_advisory_ids = json_array();
    if (out->tdx_module_advisory_ids == NULL)
      return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "advisories");
    tc_dcap_tcb_status ms = TC_DCAP_TCB_UP_TO_DATE;
    if (mod != NULL) {
      const isv_level *ml = mod->levels, *hit = NULL;
      for (size_t i = 0; i < mod->n_levels && hit == NULL; i++)
        if (td->tee_tcb_svn[0] >= ml[i].isvsvn)
          hit = &ml[i];
      if (hit == NULL) {
        out->tdx_module_status = TC_DCAP_TCB_NOT_SUPPORTED;
        out->status = TC_DCAP_TCB_NOT_SUPPORTED;
        return tc_fail(err, TC_ERR_VERIFY, "tcb_not_supported",
                       "no TCB level of TDX module identity %s matches its ISVSVN %u", mod_id,
                       td->tee_tcb_svn[0]);
      }
      ms = hit->status;
      add_advisories(out->tdx_module_advisory_ids, hit->advisory_ids);
      add_advisories(out->advisory_ids, hit->advisory_ids);
    }
    out->tdx_module_status = ms;
    st = converge(st, ms);
    if (td->is_td15 && st != TC_DCAP_TCB_REVOKED) {
      tc_status rs = relaunch(ti, td, sgx_level->status, ms, qe_status, &st, err);
      if (rs != TC_OK) {
        out->status = st;
        return rs;
      }
    }
  }
  if (st != TC_DCAP_TCB_REVOKED && qe_status != TC_DCAP_TCB_UNKNOWN)
    st = converge(st, qe_status);
  if (qe_advisories != NULL)
    add_advisories(out->advisory_ids, qe_advisories);
  out->status = st;
  if (st == TC_DCAP_TCB_NOT_SUPPORTED)
    return tc_fail(err, TC_ERR_VERIFY, "tcb_not_supported",
                   "the QE identity has no TCB level for the QE's ISVSVN");
  if (st == TC_DCAP_TCB_REVOKED)
    return tc_fail(err, TC_ERR_VERIFY, "tcb_revoked",
                   "TCB status is Revoked (platform %s%s%s, QE %s)",
                   tc_dcap_tcb_status_name(out->platform_status), is_tdx ? ", TDX module " : "",
                   is_tdx ? tc_dcap_tcb_status_name(out->tdx_module_status) : "",
                   tc_dcap_tcb_status_name(qe_status));
  return TC_OK;
}

/* ---- QE Identity ---- */

#define QI_BAD "qe_identity_invalid"

void tc_dcap_qe_identity_free(tc_dcap_qe_identity *qi) {
  if (qi == NULL)
    return;
  free_isv_levels(qi->levels, qi->n_levels);
  memset(qi, 0, sizeof *qi);
}

tc_status tc_dcap_qe_identity_parse(const json_t *q, tc_dcap_qe_identity *out, tc_error *err) {
  memset(out, 0, sizeof *out);
  tc_status st;
  long long v = 0;
  const char *w = "enclaveIdentity";
  if (!json_is_object(q))
    return tc_fail(err, TC_ERR_PARSE, QI_BAD, "enclaveIdentity is not an object");
  if ((st = dcap_json_int(q, "version", 0, 1000, &v, QI_BAD, w, err)) != TC_OK)
    return st;
  out->version = (int)v;
  if (v != 2)
    return tc_fail(err, TC_ERR_PARSE, "qe_identity_version_unsupported",
                   "enclaveIdentity.version %lld: only version 2 is supported", v);
  const char *id = json_string_value(json_object_get(q, "id"));
  if (id == NULL || (strcmp(id, "QE") != 0 && strcmp(id, "TD_QE") != 0))
    return tc_fail(err, TC_ERR_PARSE, QI_BAD, "enclaveIdentity.id \"%s\": expected QE or TD_QE",
                   id ? id : "(missing)");
  out->is_td_qe = strcmp(id, "TD_QE") == 0;
  if ((st = dcap_json_time(q, "issueDate", &out->issue_date, QI_BAD, w, err)) != TC_OK ||
      (st = dcap_json_time(q, "nextUpdate", &out->next_update, QI_BAD, w, err)) != TC_OK ||
      (st = dcap_json_hex(q, "miscselect", out->miscselect, 4, QI_BAD, w, err)) != TC_OK ||
      (st = dcap_json_hex(q, "miscselectMask", out->miscselect_mask, 4, QI_BAD, w, err)) != TC_OK ||
      (st = dcap_json_hex(q, "attributes", out->attributes, 16, QI_BAD, w, err)) != TC_OK ||
      (st = dcap_json_hex(q, "attributesMask", out->attributes_mask, 16, QI_BAD, w, err)) !=
          TC_OK ||
      (st = dcap_json_hex(q, "mrsigner", out->mrsigner, 32, QI_BAD, w, err)) != TC_OK ||
      (st = dcap_json_int(q, "isvprodid", 0, 65535, &v, QI_BAD, w, err)) != TC_OK)
    return st;
  out->isvprodid = (uint16_t)v;
  st = parse_isv_levels(json_object_get(q, "tcbLevels"), &out->levels, &out->n_levels, QI_BAD, w,
                        err);
  if (st != TC_OK)
    tc_dcap_qe_identity_free(out);
  return st;
}

tc_status tc_dcap_qe_identity_check(const tc_dcap_qe_identity *qi, const tc_sgx_report_body *qe,
                                    tc_dcap_tcb_status *status, json_t **advisories,
                                    tc_error *err) {
  *status = TC_DCAP_TCB_UNKNOWN;
  if (advisories)
    *advisories = NULL;
  /* miscselect is a u32 LE in the report and a big-endian hex u32 in the JSON
   * ("00000000" / "FFFFFFFF"): compare as integers. */
  uint32_t rm = tc_le32(qe->misc_select);
  uint32_t im = (uint32_t)qi->miscselect[0] << 24 | (uint32_t)qi->miscselect[1] << 16 |
                (uint32_t)qi->miscselect[2] << 8 | qi->miscselect[3];
  uint32_t mm = (uint32_t)qi->miscselect_mask[0] << 24 | (uint32_t)qi->miscselect_mask[1] << 16 |
                (uint32_t)qi->miscselect_mask[2] << 8 | qi->miscselect_mask[3];
  if ((rm & mm) != (im & mm))
    return tc_fail(err, TC_ERR_VERIFY, "qe_identity_mismatch",
                   "QE report MISCSELECT 0x%08x & mask 0x%08x != 0x%08x", rm, mm, im & mm);
  for (int i = 0; i < 16; i++)
    if ((qe->attributes[i] & qi->attributes_mask[i]) !=
        (qi->attributes[i] & qi->attributes_mask[i]))
      return tc_fail(err, TC_ERR_VERIFY, "qe_identity_mismatch",
                     "QE report ATTRIBUTES byte %d differs from the QE identity under its mask", i);
  if (memcmp(qe->mr_signer, qi->mrsigner, 32) != 0)
    return tc_fail(err, TC_ERR_VERIFY, "qe_identity_mismatch",
                   "QE report MRSIGNER differs from the QE identity mrsigner");
  if (qe->isv_prod_id != qi->isvprodid)
    return tc_fail(err, TC_ERR_VERIFY, "qe_identity_mismatch",
                   "QE report ISVPRODID %u differs from the QE identity isvprodid %u",
                   qe->isv_prod_id, qi->isvprodid);
  const isv_level *lv = qi->levels;
  for (size_t i = 0; i < qi->n_levels; i++)
    if (qe->isv_svn >= lv[i].isvsvn) {
      *status = lv[i].status;
      if (advisories)
        *advisories = json_incref(lv[i].advisory_ids);
      return TC_OK;
    }
  *status = TC_DCAP_TCB_NOT_SUPPORTED;
  return TC_OK;
}
