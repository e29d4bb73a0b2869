/* SPDX-License-Identifier: Apache-2.0 */
/* Evidence from the guest's own attestation-agent, through the Confidential Containers API
 * server that a CoCo guest exposes to the pod's containers (guest-components api-server-rest,
 * 127.0.0.1:8006): GET /info -> {"tee", ...}; GET /aa/evidence?runtime_data=<base64url, no
 * padding>&encoding=base64 -> the TEE's evidence in the JSON wire form the agent sends to a KBS
 * (the attester pads runtime data of at most 64 bytes with zeros into REPORT_DATA). For the KBS
 * flow that JSON is the primary evidence as it is; for teectl's /v1 API it is turned back into
 * the binary report or quote with the broker's decoders (src/kbs/evidence.c), and the SNP
 * cert_chain's certificates go with it as the request's collateral. */
#include <stdlib.h>
#include <string.h>

#include "attester/internal.h"
#include "teectl/base64.h"
#include "teectl/kbs.h"
#include "teectl/snp.h"
#include "teectl/verify.h"

static tc_status aa_get(const tc_attester_opts *o, const char *path, json_t **out, tc_error *err) {
  tc_attest_http h = {.deadline_s = o->cmd_timeout ? o->cmd_timeout : 60};
  att_http *c = att_http_new(o->aa_url, &h);
  if (!c)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "HTTP client");
  long code = 0;
  char *ans = NULL;
  tc_status st = att_http_do(c, "GET", path, NULL, &code, &ans, err);
  att_http_free(c);
  if (st == TC_OK && code != 200)
    st = tc_fail(err, TC_ERR_IO, "aa_evidence_failed", "attestation-agent %s%s: HTTP %ld: %.200s",
                 o->aa_url, path, code, ans);
  if (st == TC_OK) {
    json_error_t je;
    *out = json_loads(ans, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(*out)) {
      json_decref(*out);
      *out = NULL;
      st = tc_fail(err, TC_ERR_PARSE, "aa_evidence_failed",
                   "attestation-agent %s%s: the answer is not a JSON object", o->aa_url, path);
    }
  }
  free(ans);
  return st;
}

tc_status att_aa_tee(const tc_attester_opts *o, const char **tee, tc_error *err) {
  json_t *info = NULL;
  tc_status st = aa_get(o, "/info", &info, err);
  if (st != TC_OK)
    return st;
  const char *t = json_string_value(json_object_get(info, "tee"));
  *tee = !t                      ? NULL
         : strcmp(t, "snp") == 0 ? "snp"
         : strcmp(t, "tdx") == 0 ? "tdx"
         : strcmp(t, "sgx") == 0 ? "sgx"
                                 : NULL;
  if (!*tee)
    st = tc_fail(err, TC_ERR_USAGE, "tee_unsupported",
                 "attestation-agent %s/info: tee '%s' (teectl takes snp, tdx, sgx)", o->aa_url,
                 t ? t : "(none)");
  json_decref(info);
  return st;
}

tc_status att_aa_evidence(const tc_attester_opts *o, const uint8_t rd[64], tc_evidence *out,
                          tc_error *err) {
  memset(out, 0, sizeof *out);
  const char *tee = o->tee;
  tc_status st = tee ? TC_OK : att_aa_tee(o, &tee, err);
  if (st != TC_OK)
    return st;
  char b64[100], path[160];
  tc_b64_encode_to(rd, 64, TC_B64_URL, b64); /* 86 characters and a NUL */
  snprintf(path, sizeof path, "/aa/evidence?runtime_data=%s&encoding=base64", b64);
  json_t *ev = NULL;
  if ((st = aa_get(o, path, &ev, err)) != TC_OK)
    return st;
  if (strcmp(tee, "snp") == 0) {
    uint8_t rep[TC_SNP_REPORT_SIZE];
    /* the agent's cert_chain (the host's certificate table): kept for the service, which can
     * then verify without fetching */
    st = tc_kbs_snp_evidence(ev, rep, &out->certs, &out->n_certs, err);
    if (st == TC_OK && memcmp(rep + 0x50, rd, 64) != 0)
      st = tc_fail(err, TC_ERR_IO, "aa_evidence_unbound",
                   "attestation-agent %s: the report's REPORT_DATA is not the 64 bytes asked for "
                   "(an API server without encoding=base64?)",
                   o->aa_url);
    if (st == TC_OK) {
      out->evidence.data = malloc(sizeof rep);
      if (!out->evidence.data)
        st = tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "SNP report");
      else {
        memcpy(out->evidence.data, rep, sizeof rep);
        out->evidence.len = sizeof rep;
      }
    }
  } else {
    st = tc_kbs_dcap_evidence(strcmp(tee, "tdx") == 0 ? TC_TEE_TDX : TC_TEE_SGX, ev, &out->evidence,
                              err);
  }
  if (st != TC_OK) {
    json_decref(ev);
    tc_evidence_free(out);
    return st;
  }
  out->json = ev;
  snprintf(out->tee, sizeof out->tee, "%s", tee);
  out->source = "attestation-agent";
  return TC_OK;
}
