/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: Intel PCS collateral parsers. Each input is tried as a signed TCB
 * Info file (span finder, TCB Info v3 parser, TCB evaluation for a fixed PCK / TD report),
 * as a signed QE Identity file (span finder, Enclave Identity v2 parser, QE report check)
 * and as the DER of a PCK certificate's SGX extension.
 * Seeds: dcap/<case>/tcb_info.json, dcap/<case>/qe_identity.json. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "teectl/dcap.h"

static json_t *inner(const uint8_t *data, size_t size, const char *key, const char *what) {
  size_t off, len;
  uint8_t sig[64];
  tc_error err;
  if (tc_dcap_signed_json(data, size, key, what, &off, &len, sig, &err) != TC_OK)
    return NULL;
  if (off + len > size)
    __builtin_trap();
  return json_loadb((const char *)data + off, len, 0, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tc_error err;
  json_t *t = inner(data, size, "tcbInfo", "tcb_info");
  if (t != NULL) {
    tc_dcap_tcb_info ti;
    if (tc_dcap_tcb_info_parse(t, &ti, &err) == TC_OK) {
      tc_dcap_pck_info pck;
      memset(&pck, 0, sizeof pck);
      memset(pck.sgx_tcb_comp_svn, 3, 16);
      pck.pcesvn = 11;
      tc_td_report_body td;
      memset(&td, 0, sizeof td);
      td.tee_tcb_svn[0] = 5;
      td.tee_tcb_svn[1] = 3;
      td.tee_tcb_svn[2] = 2;
      tc_dcap_tcb_result r;
      (void)tc_dcap_tcb_evaluate(&ti, &pck, ti.is_tdx ? &td : NULL, TC_DCAP_TCB_UP_TO_DATE, NULL,
                                 &r, &err);
      tc_dcap_tcb_result_free(&r);
      tc_dcap_tcb_info_free(&ti);
    }
    json_decref(t);
  }
  json_t *q = inner(data, size, "enclaveIdentity", "qe_identity");
  if (q != NULL) {
    tc_dcap_qe_identity qi;
    if (tc_dcap_qe_identity_parse(q, &qi, &err) == TC_OK) {
      tc_sgx_report_body r;
      memset(&r, 0, sizeof r);
      r.isv_svn = 8;
      tc_dcap_tcb_status st;
      json_t *adv = NULL;
      (void)tc_dcap_qe_identity_check(&qi, &r, &st, &adv, &err);
      json_decref(adv);
      tc_dcap_qe_identity_free(&qi);
    }
    json_decref(q);
  }
  tc_dcap_pck_info pi;
  (void)tc_dcap_pck_info_from_der(data, size, &pi, &err);
  return 0;
}
