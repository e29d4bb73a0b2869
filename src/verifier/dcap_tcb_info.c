/* SPDX-License-Identifier: Apache-2.0 */
/* Intel PCS collateral parsing: TCB Info v3 and Enclave Identity (QE Identity) v2
 * (Intel PCS API v4 "TCB Info V3" / "Enclave Identity V2"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teectl/dcap.h"
#include "verifier/dcap_internal.h"

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
  if ((st = dcap_json_int(q, "tcbEvaluationDataNumber", 0, INT32_MAX, &v, QI_BAD, w, err)) != TC_OK)
    return st;
  out->tcb_evaluation_data_number = (int)v;
  st = parse_isv_levels(json_object_get(q, "tcbLevels"), &out->levels, &out->n_levels, QI_BAD, w,
                        err);
  if (st != TC_OK)
    tc_dcap_qe_identity_free(out);
  return st;
}
