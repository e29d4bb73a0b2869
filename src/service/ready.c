/* SPDX-License-Identifier: Apache-2.0 */
/* Readiness per TEE (GET /readyz, docs/service.md): can this service verify SEV-SNP, TDX
 * and SGX evidence now, and by which way?
 *   - SEV-SNP: the AMD roots are pinned; the VCEK/VLEK chain comes from the --collateral
 *     folder (ARK, ASK/ASVK and a VCEK or VLEK), from AMD KDS (--fetch: the Milan, Genoa
 *     and Turin VCEK certificate chains, one is enough to show KDS answers), or from the
 *     clients (--snp-client-certs: the operator says they send them).
 *   - TDX, SGX: TCB Info and QE Identity of that TEE plus the PCK CRL and Root CA CRL in
 *     the folder (unexpired at the verification time), or Intel PCS / the PCCS answering
 *     (--fetch: that TEE's QE Identity, Intel PCS API v4 "Get QE Identity", unexpired).
 * Fetched objects go through the service's provider, so they are cached (a chain for its
 * lifetime, a QE Identity for a day) and a failed host is held off: a probe every few
 * seconds costs no request most of the time. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "service/state.h"
#include "teectl/collateral.h"
#include "teectl/rfc3339.h"

/* What one TEE's check found: the ways that work, and the first failure. */
typedef struct tee_state {
  json_t *via; /* array of "directory", "fetch", "client_certificates" */
  char reason[64];
  char detail[512];
} tee_state;

__attribute__((format(printf, 3, 4))) static void problem(tee_state *t, const char *reason,
                                                          const char *fmt, ...) {
  if (t->reason[0] != '\0')
    return; /* the first failure is the one reported */
  snprintf(t->reason, sizeof t->reason, "%s", reason);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->detail, sizeof t->detail, fmt, ap);
  va_end(ap);
}

/* An item of the folder: present and unexpired at `at`. Returns 1 when usable. */
static int folder_item(tee_state *t, tc_object_kind kind, const tc_buf *b, const tc_buf *chain,
                       const char *file, const char *tee, int64_t at) {
  if (b->data == NULL) {
    problem(t, "collateral_missing", "the collateral folder has no %s for %s", file, tee);
    return 0;
  }
  int64_t issued, expires;
  tc_error err;
  if (tc_object_validity(kind, b->data, b->len, chain ? chain->data : NULL, chain ? chain->len : 0,
                         &issued, &expires, &err) != TC_OK) {
    problem(t, err.reason, "collateral folder %s: %s", file, err.detail);
    return 0;
  }
  if (expires <= at) {
    char ts[21];
    problem(t, "collateral_expired", "collateral folder %s expired at %s", file,
            tc_rfc3339_format(expires, ts));
    return 0;
  }
  return 1;
}

/* The TEE a TCB Info or QE Identity JSON is about: its "id" under obj ("TDX" / "TD_QE"
 * for TDX; "SGX" / "QE", or no id in TCB Info v2, for SGX), else TC_TEE_UNKNOWN. */
static tc_tee json_tee(const tc_buf *b, const char *obj, const char *tdx_id, const char *sgx_id) {
  json_t *root = json_loadb((const char *)b->data, b->len, 0, NULL);
  const char *id = json_string_value(json_object_get(json_object_get(root, obj), "id"));
  tc_tee tee = TC_TEE_UNKNOWN;
  if (id != NULL && strcmp(id, tdx_id) == 0)
    tee = TC_TEE_TDX;
  else if ((id != NULL && strcmp(id, sgx_id) == 0) ||
           (id == NULL && json_object_get(root, obj) != NULL && strcmp(obj, "tcbInfo") == 0))
    tee = TC_TEE_SGX;
  json_decref(root);
  return tee;
}

static int folder_dcap(tee_state *t, const tc_collateral *c, tc_tee tee, int64_t at) {
  const char *name = tc_tee_name(tee);
  if (c->tcb_info.data != NULL && json_tee(&c->tcb_info, "tcbInfo", "TDX", "SGX") != tee) {
    problem(t, "collateral_missing", "the collateral folder's tcb_info.json is not for %s", name);
    return 0;
  }
  if (c->qe_identity.data != NULL &&
      json_tee(&c->qe_identity, "enclaveIdentity", "TD_QE", "QE") != tee) {
    problem(t, "collateral_missing", "the collateral folder's qe_identity.json is not for %s",
            name);
    return 0;
  }
  return folder_item(t, TC_OBJ_PCS_TCB_INFO, &c->tcb_info, &c->tcb_info_issuer_chain,
                     "tcb_info.json", name, at) &&
         folder_item(t, TC_OBJ_PCS_QE_IDENTITY, &c->qe_identity, &c->qe_identity_issuer_chain,
                     "qe_identity.json", name, at) &&
         folder_item(t, TC_OBJ_PCS_PCK_CRL, &c->pck_crl, NULL, "pck_crl.der", name, at) &&
         folder_item(t, TC_OBJ_PCS_ROOT_CA_CRL, &c->root_ca_crl, NULL, "root_ca_crl.der", name, at);
}

static int folder_snp(tee_state *t, const tc_collateral *c, int64_t at) {
  int vlek = c->vcek.data == NULL && c->vlek.data != NULL;
  return folder_item(t, TC_OBJ_KDS_VCEK_CHAIN, &c->ark, NULL, "ark.pem", "SEV-SNP", at) &&
         folder_item(t, TC_OBJ_KDS_VCEK_CHAIN, &c->ask, NULL, vlek ? "ask.pem (ASVK)" : "ask.pem",
                     "SEV-SNP", at) &&
         folder_item(t, TC_OBJ_KDS_VCEK, vlek ? &c->vlek : &c->vcek, NULL,
                     vlek ? "vlek.der" : "vcek.der", "SEV-SNP", at);
}

/* One object from the provider (cache or network), unexpired at `at`. */
static int fetched(tee_state *t, tc_provider *p, const tc_object_request *q, int64_t now,
                   int64_t at) {
  tc_collateral_answer ans = {0};
  tc_error err;
  double budget = 0; /* no back-off sleep: a probe answers in one attempt's time */
  tc_status s = tc_provider_get_within(p, q, now, &budget, &ans, &err);
  int ok = s == TC_OK && ans.expires_at > at;
  if (s != TC_OK)
    problem(t, err.reason, "%s: %s", tc_object_kind_name(q->kind), err.detail);
  else if (!ok)
    problem(t, "collateral_expired", "%s from %s has expired", tc_object_kind_name(q->kind),
            ans.url);
  tc_collateral_answer_free(&ans);
  return ok;
}

static int fetch_snp(tee_state *t, tc_provider *p, int64_t now, int64_t at) {
  static const tc_snp_product lines[] = {TC_SNP_MILAN, TC_SNP_GENOA, TC_SNP_TURIN};
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
    tc_object_request q;
    memset(&q, 0, sizeof q);
    q.kind = TC_OBJ_KDS_VCEK_CHAIN;
    q.product = lines[i];
    if (fetched(t, p, &q, now, at))
      return 1;
  }
  return 0;
}

static int fetch_dcap(tee_state *t, tc_provider *p, tc_tee tee, int64_t now, int64_t at) {
  tc_object_request q;
  memset(&q, 0, sizeof q);
  q.kind = TC_OBJ_PCS_QE_IDENTITY;
  q.tee = tee;
  return fetched(t, p, &q, now, at);
}

static json_t *check_tee(tc_service *svc, tc_tee tee, int64_t now, int64_t at, int *ready) {
  tee_state t = {.via = json_array()};
  const tc_service_options *o = &svc->opts;
  int dcap = tee != TC_TEE_SNP;
  if (svc->have_collateral_dir &&
      (dcap ? folder_dcap(&t, &svc->collateral, tee, at) : folder_snp(&t, &svc->collateral, at)))
    json_array_append_new(t.via, json_string("directory"));
  if (o->provider != NULL &&
      (dcap ? fetch_dcap(&t, o->provider, tee, now, at) : fetch_snp(&t, o->provider, now, at)))
    json_array_append_new(t.via, json_string("fetch"));
  if (!dcap && o->snp_client_certs)
    json_array_append_new(t.via, json_string("client_certificates"));
  if (json_array_size(t.via) == 0 && t.reason[0] == '\0')
    problem(&t, "collateral_source_missing",
            "no --collateral folder%s and no --fetch: %s evidence cannot be verified",
            dcap ? "" : ", no --snp-client-certs", tc_tee_name(tee));
  *ready = json_array_size(t.via) > 0;
  json_t *v = json_pack("{s:b, s:o}", "ready", *ready, "via", t.via);
  if (t.reason[0] != '\0') {
    json_object_set_new(v, "reason", json_string(t.reason));
    json_object_set_new(v, "detail", json_string(t.detail));
  }
  return v;
}

json_t *svc_ready_report(tc_service *svc, int64_t now, int *ready) {
  static const tc_tee tees[] = {TC_TEE_SNP, TC_TEE_TDX, TC_TEE_SGX};
  int64_t at = svc->opts.has_at ? svc->opts.at : now;
  json_t *per = json_object();
  json_t *missing = json_array();
  int any = 0;
  for (size_t i = 0; i < sizeof tees / sizeof tees[0]; i++) {
    int ok = 0;
    json_object_set_new(per, tc_tee_name(tees[i]), check_tee(svc, tees[i], now, at, &ok));
    any |= ok;
    for (size_t k = 0; k < svc->opts.n_require_tees; k++)
      if (!ok && tc_tee_from_name(svc->opts.require_tees[k]) == tees[i])
        json_array_append_new(missing, json_string(tc_tee_name(tees[i])));
  }
  *ready = any && json_array_size(missing) == 0;
  json_t *v = json_pack("{s:s, s:o}", "status", *ready ? "ready" : "not_ready", "tees", per);
  if (!any) {
    json_object_set_new(v, "error", json_string("no_tee_verifiable"));
    json_object_set_new(v, "detail", json_string("the service can verify no TEE's evidence"));
  } else if (!*ready) {
    json_object_set_new(v, "error", json_string("required_tee_not_verifiable"));
    json_object_set_new(v, "detail", json_string("a --require-tee TEE cannot be verified"));
    json_object_set_new(v, "required_not_ready", missing);
    missing = NULL;
  }
  json_decref(missing);
  return v;
}
