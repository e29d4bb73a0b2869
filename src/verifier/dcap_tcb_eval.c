/* SPDX-License-Identifier: Apache-2.0 */
/* TCB evaluation of a quote against parsed TCB Info and QE Identity (Intel QVL
 * TcbLevelCheck / TdxModuleCheck / QE identity semantics). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "teectl/bytes.h"
#include "teectl/dcap.h"
#include "verifier/dcap_internal.h"

typedef tc_dcap_isv_level isv_level;

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

/* TDX module identity of tee_tcb_svn[1] (none for 0: tdxModule) and its MRSIGNER / SEAM
 * attributes against the TD report (QVL 4.1.2.4.11). *mod: the identity or NULL; mod_id
 * (16 bytes): its id "TDX_%02X". Errors: TC_ERR_VERIFY "tdx_module_mismatch". */
static tc_status match_module(const tc_dcap_tcb_info *ti, const tc_td_report_body *td,
                              const tc_dcap_tdx_module **mod, char mod_id[16], tc_error *err) {
  uint8_t ver = td->tee_tcb_svn[1];
  const uint8_t *mrsigner = ti->tdx_module.mrsigner, *attrs = ti->tdx_module.attributes;
  if (ver > 0) {
    snprintf(mod_id, 16, "TDX_%02X", ver);
    for (size_t i = 0; i < ti->n_modules && *mod == NULL; i++)
      if (strcasecmp(ti->modules[i].id, mod_id) == 0)
        *mod = &ti->modules[i];
    if (*mod == NULL)
      return tc_fail(err, TC_ERR_VERIFY, "tdx_module_mismatch",
                     "TCB Info has no tdxModuleIdentities entry %s for tee_tcb_svn[1] = %u", mod_id,
                     ver);
    mrsigner = (*mod)->mrsigner;
    attrs = (*mod)->attributes;
  }
  if (memcmp(mrsigner, td->mr_signer_seam, 48) != 0)
    return tc_fail(err, TC_ERR_VERIFY, "tdx_module_mismatch",
                   "TD report mr_signer_seam differs from the TCB Info TDX module mrsigner");
  for (int i = 0; i < 8; i++)
    if (td->seam_attributes[i] != 0 || attrs[i] != 0)
      return tc_fail(err, TC_ERR_VERIFY, "tdx_module_mismatch",
                     "SEAM attributes (report) / TDX module attributes (TCB Info) not zero");
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
  tc_status mst;
  if (is_tdx && (mst = match_module(ti, td, &mod, mod_id, err)) != TC_OK)
    return mst;
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
        *advisories = json_deep_copy(lv[i].advisory_ids); /* a copy: lv may be shared */
      return TC_OK;
    }
  *status = TC_DCAP_TCB_NOT_SUPPORTED;
  return TC_OK;
}
