/* SPDX-License-Identifier: Apache-2.0 */
/* Evidence -> collateral requests (via the SNP and DCAP parsers), filling a tc_collateral,
 * (folder.c writes a collateral folder for `teectl verify --collateral DIR`). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collateral/internal.h"
#include "teectl/crypto.h"
#include "teectl/dcap.h"
#include "teectl/file.h"
#include "teectl/rfc3339.h"
#include "teectl/snp.h"

/* ---- what evidence needs ---- */

static tc_snp_product product_from_cert_cn(const tc_buf *b, int issuer) {
  if (b->data == NULL)
    return TC_SNP_PRODUCT_UNKNOWN;
  char cn[128];
  if (tc_cert_cn(b->data, b->len, issuer, cn, sizeof cn, NULL) != TC_OK)
    return TC_SNP_PRODUCT_UNKNOWN;
  /* "SEV-Milan", "SEV-VLEK-Genoa", "ARK-Turin": the product is after the last '-'. */
  const char *dash = strrchr(cn, '-');
  return tc_snp_product_parse(dash ? dash + 1 : cn);
}

/* probe = 1: a VCEK report that does not name its product is accepted with product
 * UNKNOWN; the filler then asks KDS for the VCEK under each v2-era product line. */
static tc_status snp_needs(const uint8_t *ev, size_t len, tc_snp_product hint,
                           const tc_collateral *col, int probe, tc_collateral_needs *n,
                           tc_error *err) {
  tc_snp_report r;
  tc_status st = tc_snp_parse(ev, len, &r, err);
  if (st != TC_OK)
    return st;
  n->product = hint != TC_SNP_PRODUCT_UNKNOWN ? hint : r.product_from_report;
  if (n->product == TC_SNP_PRODUCT_UNKNOWN && col != NULL) {
    n->product = product_from_cert_cn(&col->ask, 0);
    if (n->product == TC_SNP_PRODUCT_UNKNOWN)
      n->product = product_from_cert_cn(&col->ark, 0);
    if (n->product == TC_SNP_PRODUCT_UNKNOWN)
      n->product = product_from_cert_cn(col->vcek.data ? &col->vcek : &col->vlek, 1);
    for (size_t i = 0; n->product == TC_SNP_PRODUCT_UNKNOWN && i < col->n_extra_certs; i++)
      n->product = product_from_cert_cn(&col->extra_certs[i], 1); /* issuer: SEV-/ARK-<p> */
  }
  if (n->product == TC_SNP_PRODUCT_UNKNOWN && !(probe && r.signing_key == TC_SNP_SIGNING_KEY_VCEK))
    return tc_fail(err, TC_ERR_PARSE, "snp_product_unknown",
                   "report version %u does not name its CPU generation (CPUID_FAM_ID/"
                   "CPUID_MOD_ID at 0x188 are v3+) and no ASK/ARK/VCEK was given: name the "
                   "product (Milan, Genoa, Turin)",
                   r.version);
  if (r.signing_key == TC_SNP_SIGNING_KEY_VLEK) {
    n->vlek = 1;
    return TC_OK;
  }
  if (r.signing_key != TC_SNP_SIGNING_KEY_VCEK)
    return tc_fail(err, TC_ERR_VERIFY, "report_unsigned",
                   "SIGNING_KEY (0x48 bits 4:2) is %u: no endorsement key to fetch", r.signing_key);
  tc_snp_tcb tcb;
  tc_snp_tcb_decode(r.reported_tcb,
                    n->product == TC_SNP_TURIN ? TC_SNP_TCB_TURIN : TC_SNP_TCB_MILAN_GENOA, &tcb);
  tc_object_request *q = &n->vcek;
  memset(q, 0, sizeof *q);
  q->kind = TC_OBJ_KDS_VCEK;
  q->product = n->product;
  q->hwid_len = n->product == TC_SNP_TURIN ? 8 : 64; /* UNKNOWN (v2): Milan or Genoa, 64 */
  memcpy(q->hwid, r.chip_id, q->hwid_len);
  if (tc_all_zero(r.chip_id, sizeof r.chip_id))
    return tc_fail(err, TC_ERR_VERIFY, "chip_id_masked",
                   "CHIP_ID (0x1A0) is zero (MASK_CHIP_ID): the VCEK cannot be named; "
                   "supply it with the evidence");
  q->fmc_spl = tcb.fmc;
  q->bl_spl = tcb.bootloader;
  q->tee_spl = tcb.tee;
  q->snp_spl = tcb.snp;
  q->ucode_spl = tcb.microcode;
  return TC_OK;
}

static tc_status needs_of(tc_tee tee, const uint8_t *evidence, size_t len,
                          tc_snp_product product_hint, const tc_collateral *col, int probe,
                          tc_collateral_needs *needs, tc_error *err) {
  memset(needs, 0, sizeof *needs);
  tc_tee seen = tc_tee_detect(evidence, len);
  if (tee == TC_TEE_UNKNOWN)
    tee = seen;
  needs->tee = tee;
  switch (tee) {
  case TC_TEE_SNP:
    return snp_needs(evidence, len, product_hint, col, probe, needs, err);
  case TC_TEE_SGX:
  case TC_TEE_TDX: {
    tc_dcap_pck_info pck;
    tc_tee qtee = TC_TEE_UNKNOWN;
    tc_status st = tc_dcap_quote_pck_info(evidence, len, col, &pck, &qtee, err);
    if (st != TC_OK)
      return st;
    needs->tee = qtee;
    memcpy(needs->fmspc, pck.fmspc, 6);
    needs->ca = pck.ca == TC_DCAP_CA_PROCESSOR  ? TC_PCK_CA_PROCESSOR
                : pck.ca == TC_DCAP_CA_PLATFORM ? TC_PCK_CA_PLATFORM
                                                : TC_PCK_CA_UNKNOWN;
    if (needs->ca == TC_PCK_CA_UNKNOWN)
      return tc_fail(err, TC_ERR_PARSE, "pck_cert_malformed",
                     "PCK issuer '%s' is neither the PCK Processor CA nor the Platform CA",
                     pck.issuer_ca);
    /* the root's CRL distribution point, from the quote's chain (or col->pck_chain) */
    tc_dcap_quote q;
    tc_error e2;
    const uint8_t *chain = NULL;
    size_t chain_len = 0;
    if (tc_dcap_parse(evidence, len, &q, &e2) == TC_OK && q.cert_data_type == 5) {
      chain = q.cert_data;
      chain_len = q.cert_data_len;
    } else if (col != NULL && col->pck_chain.data != NULL) {
      chain = col->pck_chain.data;
      chain_len = col->pck_chain.len;
    }
    if (chain == NULL || tc_x509_crl_dp_url(chain, chain_len, needs->root_ca_crl_url,
                                            sizeof needs->root_ca_crl_url, &e2) != TC_OK)
      needs->root_ca_crl_url[0] = 0;
    return TC_OK;
  }
  default:
    return tc_fail(err, TC_ERR_PARSE, "unknown_evidence_format",
                   "%zu bytes are neither an SEV-SNP report nor a DCAP quote", len);
  }
}

tc_status tc_collateral_needs_of(tc_tee tee, const uint8_t *evidence, size_t len,
                                 tc_snp_product product_hint, const tc_collateral *col,
                                 tc_collateral_needs *needs, tc_error *err) {
  return needs_of(tee, evidence, len, product_hint, col, 0, needs, err);
}

/* ---- filling ---- */

struct fill_ctx {
  tc_provider *p;
  int64_t now;
  double wait_left; /* the wait budget (max_wait_s) shared by every object of this fill */
  double deadline;  /* col_http_mono seconds this fill ends by (fill_deadline_s), 0: none */
  json_t *report;
  tc_status first;
  tc_error first_err;
};

static void note_present(struct fill_ctx *c, const char *item) {
  if (c->report)
    json_array_append_new(c->report, json_pack("{s:s, s:s}", "item", item, "origin",
                                               tc_origin_name(TC_ORIGIN_DIRECTORY)));
}

static void note_failure(struct fill_ctx *c, const char *item, tc_status st, const tc_error *e) {
  if (c->report)
    json_array_append_new(c->report, json_pack("{s:s, s:s, s:s, s:s}", "item", item, "origin",
                                               "none", "error", e->reason, "detail", e->detail));
  if (c->first == TC_OK) {
    c->first = st;
    c->first_err = *e;
  }
}

static void note_answer(struct fill_ctx *c, const char *item, const tc_collateral_answer *a) {
  if (c->report == NULL)
    return;
  char f[21], x[21], r[21];
  json_t *o = json_pack(
      "{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "item", item, "origin", tc_origin_name(a->origin),
      "url", a->url, "fetched_at", tc_rfc3339_format(a->fetched_at, f), "expires_at",
      tc_rfc3339_format(a->expires_at, x), "refresh_at", tc_rfc3339_format(a->refresh_at, r),
      "stale", a->stale, "expired", a->expired);
  if (o && a->note[0])
    json_object_set_new(o, "note", json_string(a->note));
  if (o)
    json_array_append_new(c->report, o);
}

/* Get one object; on success move the body into *slot and the issuer chain into *chain
 * (each only if absent). */
static int get_into(struct fill_ctx *c, const tc_object_request *req, const char *item,
                    tc_buf *slot, tc_buf *chain) {
  tc_collateral_answer a;
  tc_error e;
  tc_status st = col_provider_get_until(c->p, req, c->now, &c->wait_left, c->deadline, &a, &e);
  if (st != TC_OK) {
    note_failure(c, item, st, &e);
    return 0;
  }
  note_answer(c, item, &a);
  if (slot && slot->data == NULL) {
    *slot = a.body;
    a.body.data = NULL;
  }
  if (chain && chain->data == NULL && a.issuer_chain.data != NULL) {
    *chain = a.issuer_chain;
    a.issuer_chain.data = NULL;
  }
  tc_collateral_answer_free(&a);
  return 1;
}

/* Roles of the certificates that came with the evidence (col->extra_certs), by subject CN
 * as AMD names them (KDS spec): "ARK-<product>", "SEV-<product>" (ASK),
 * "SEV-VLEK-<product>" (ASVK), "SEV-VCEK", "SEV-VLEK". */
enum { ROLE_ARK = 1, ROLE_ASK = 2, ROLE_ASVK = 4, ROLE_VCEK = 8, ROLE_VLEK = 16 };

static int extra_roles(const tc_collateral *col) {
  int roles = 0;
  for (size_t i = 0; i < col->n_extra_certs; i++) {
    char cn[128];
    if (tc_cert_cn(col->extra_certs[i].data, col->extra_certs[i].len, 0, cn, sizeof cn, NULL) !=
        TC_OK)
      continue;
    if (strncmp(cn, "ARK-", 4) == 0)
      roles |= ROLE_ARK;
    else if (strcmp(cn, "SEV-VCEK") == 0)
      roles |= ROLE_VCEK;
    else if (strcmp(cn, "SEV-VLEK") == 0)
      roles |= ROLE_VLEK;
    else if (strncmp(cn, "SEV-VLEK-", 9) == 0)
      roles |= ROLE_ASVK;
    else if (strncmp(cn, "SEV-", 4) == 0)
      roles |= ROLE_ASK;
  }
  return roles;
}

/* KDS cert_chain: ASK (or ASVK) first, then ARK (KDS spec, cert_chain). Only slots that
 * neither col nor its extra certificates fill are fetched. */
static void fill_amd_chain(struct fill_ctx *c, tc_snp_product product, int vlek, int roles,
                           tc_collateral *col) {
  int have_ark = col->ark.data != NULL || (roles & ROLE_ARK);
  int have_ask = col->ask.data != NULL || (roles & (vlek ? ROLE_ASVK : ROLE_ASK));
  if (have_ark && have_ask) {
    note_present(c, "ark.pem");
    note_present(c, "ask.pem");
    return;
  }
  tc_object_request q;
  memset(&q, 0, sizeof q);
  q.kind = vlek ? TC_OBJ_KDS_VLEK_CHAIN : TC_OBJ_KDS_VCEK_CHAIN;
  q.product = product;
  tc_buf chain = {0};
  if (!get_into(c, &q, "ark.pem+ask.pem", &chain, NULL))
    return;
  tc_buf *pems = NULL;
  size_t n = 0;
  tc_error e;
  if (tc_cert_chain_pems(chain.data, chain.len, &pems, &n, &e) != TC_OK || n != 2) {
    if (pems != NULL)
      tc_fail(&e, TC_ERR_PARSE, "collateral_malformed",
              "KDS cert_chain holds %zu certificates, want 2 (ASK/ASVK, ARK)", n);
    note_failure(c, "ark.pem+ask.pem", TC_ERR_PARSE, &e);
  } else {
    /* the slot takes the buffer; a slot already filled keeps its own */
    if (!have_ask) {
      col->ask = pems[0];
      pems[0] = (tc_buf){0};
    }
    if (!have_ark) {
      col->ark = pems[1];
      pems[1] = (tc_buf){0};
    }
  }
  for (size_t i = 0; i < n; i++)
    tc_buf_free(&pems[i]);
  free(pems);
  tc_buf_free(&chain);
}

/* A version-2 report does not name its product line: ask KDS for the VCEK as Milan, then
 * as Genoa (KDS answers 404 for a chip of another line). Returns the product or UNKNOWN
 * (failure noted). */
static tc_snp_product probe_vcek(struct fill_ctx *c, const tc_collateral_needs *n,
                                 tc_collateral *col) {
  const tc_snp_product lines[] = {TC_SNP_MILAN, TC_SNP_GENOA};
  tc_error e;
  for (size_t i = 0; i < 2; i++) {
    tc_object_request q = n->vcek;
    q.product = lines[i];
    q.hwid_len = 64;
    tc_collateral_answer a;
    tc_status st = col_provider_get_until(c->p, &q, c->now, &c->wait_left, c->deadline, &a, &e);
    if (st == TC_OK) {
      note_answer(c, "vcek.der", &a);
      col->vcek = a.body;
      a.body.data = NULL;
      tc_collateral_answer_free(&a);
      return lines[i];
    }
    if (strcmp(e.reason, "collateral_not_found") != 0) {
      note_failure(c, "vcek.der", st, &e);
      return TC_SNP_PRODUCT_UNKNOWN;
    }
  }
  tc_fail(&e, TC_ERR_IO, "snp_product_unknown",
          "report version 2 does not name its CPU generation and KDS has no VCEK for this "
          "CHIP_ID and TCB as Milan or Genoa; name the product");
  note_failure(c, "vcek.der", TC_ERR_IO, &e);
  return TC_SNP_PRODUCT_UNKNOWN;
}

static void fill_snp(struct fill_ctx *c, const tc_collateral_needs *n_in, tc_collateral *col) {
  tc_collateral_needs nn = *n_in;
  const tc_collateral_needs *n = &nn;
  if (nn.product == TC_SNP_PRODUCT_UNKNOWN) {
    nn.product = probe_vcek(c, n_in, col);
    if (nn.product == TC_SNP_PRODUCT_UNKNOWN)
      return;
    nn.vcek.product = nn.product;
  }
  int roles = extra_roles(col);
  fill_amd_chain(c, n->product, n->vlek, roles, col);
  if (n->vlek) {
    if (col->vlek.data || (roles & ROLE_VLEK))
      note_present(c, "vlek.der");
    else if (c->report)
      json_array_append_new(c->report, json_pack("{s:s, s:s, s:s}", "item", "vlek.der", "origin",
                                                 "none", "note",
                                                 "AMD KDS does not publish VLEKs: the VLEK comes "
                                                 "with the evidence (host certificate table)"));
  } else if (col->vcek.data || (roles & ROLE_VCEK)) {
    note_present(c, "vcek.der");
  } else {
    get_into(c, &n->vcek, "vcek.der", &col->vcek, NULL);
  }
  if (col->amd_crl.data) {
    note_present(c, "crl.der");
  } else {
    tc_object_request q;
    memset(&q, 0, sizeof q);
    q.kind = n->vlek ? TC_OBJ_KDS_VLEK_CRL : TC_OBJ_KDS_VCEK_CRL;
    q.product = n->product;
    get_into(c, &q, "crl.der", &col->amd_crl, NULL);
  }
}

static void fill_pcs(struct fill_ctx *c, tc_object_kind kind, const tc_collateral_needs *n,
                     const char *item, tc_buf *slot, tc_buf *chain) {
  if (slot->data) {
    note_present(c, item);
    return;
  }
  tc_object_request q;
  memset(&q, 0, sizeof q);
  q.kind = kind;
  q.tee = n->tee;
  memcpy(q.fmspc, n->fmspc, 6);
  q.ca = n->ca;
  get_into(c, &q, item, slot, chain);
}

static int flavour_is_intel(const tc_provider_options *o) {
  if (o->pcs_flavour != TC_PCS_AUTO)
    return o->pcs_flavour == TC_PCS_INTEL;
  char url[512];
  tc_object_request q;
  memset(&q, 0, sizeof q);
  q.kind = TC_OBJ_PCS_ROOT_CA_CRL;
  return tc_object_url(NULL, o->pcs_url, o->pcs_flavour, &q, url, sizeof url, NULL) != TC_OK;
}

static void fill_dcap(struct fill_ctx *c, const tc_provider_options *o,
                      const tc_collateral_needs *n, tc_collateral *col) {
  fill_pcs(c, TC_OBJ_PCS_TCB_INFO, n, "tcb_info.json", &col->tcb_info, &col->tcb_info_issuer_chain);
  fill_pcs(c, TC_OBJ_PCS_QE_IDENTITY, n, "qe_identity.json", &col->qe_identity,
           &col->qe_identity_issuer_chain);
  fill_pcs(c, TC_OBJ_PCS_PCK_CRL, n, "pck_crl.der", &col->pck_crl, &col->pck_crl_issuer_chain);
  if (col->root_ca_crl.data) {
    note_present(c, "root_ca_crl.der");
    return;
  }
  tc_object_request q;
  memset(&q, 0, sizeof q);
  q.kind = TC_OBJ_PCS_ROOT_CA_CRL;
  if (flavour_is_intel(o)) {
    /* Intel PCS: the CRL distribution point of the Intel SGX Root CA (last cert of an
     * issuer chain). */
    const tc_buf *chains[] = {&col->tcb_info_issuer_chain, &col->qe_identity_issuer_chain,
                              &col->pck_crl_issuer_chain, &col->pck_chain};
    tc_error e;
    tc_fail(&e, TC_ERR_IO, "collateral_unavailable",
            "no Intel SGX Root CA certificate to read the Root CA CRL location from");
    int found = 0;
    for (size_t i = 0; i < 4 && !found; i++)
      if (chains[i]->data &&
          tc_x509_crl_dp_url(chains[i]->data, chains[i]->len, q.url, sizeof q.url, &e) == TC_OK)
        found = 1;
    if (!found && n->root_ca_crl_url[0] != 0) {
      snprintf(q.url, sizeof q.url, "%s", n->root_ca_crl_url);
      found = 1;
    }
    if (!found) {
      note_failure(c, "root_ca_crl.der", TC_ERR_IO, &e);
      return;
    }
  }
  get_into(c, &q, "root_ca_crl.der", &col->root_ca_crl, NULL);
}

static void fill_from_dir(const char *dir, tc_collateral *col, struct fill_ctx *c) {
  tc_collateral d;
  memset(&d, 0, sizeof d);
  tc_error e;
  if (tc_collateral_load_dir(dir, &d, &e) != TC_OK) {
    note_failure(c, dir, e.status, &e);
    return;
  }
  tc_buf *src = (tc_buf *)&d, *dst = (tc_buf *)col;
  /* tc_collateral starts with the thirteen tc_buf items (verify.h). */
  size_t n_items = offsetof(tc_collateral, extra_certs) / sizeof(tc_buf);
  for (size_t i = 0; i < n_items; i++)
    if (dst[i].data == NULL && src[i].data != NULL) {
      dst[i] = src[i];
      src[i].data = NULL;
      src[i].len = 0;
    }
  tc_collateral_free(&d);
}

static tc_status fill_common(tc_provider *p, tc_tee tee, const uint8_t *evidence, size_t len,
                             tc_snp_product product_hint, const tc_collateral_needs *given,
                             int64_t now, tc_collateral *col, json_t **report, tc_error *err) {
  struct fill_ctx c;
  memset(&c, 0, sizeof c);
  c.p = p;
  c.now = now;
  c.first = TC_OK;
  if (report) {
    *report = NULL;
    c.report = json_array();
    if (c.report == NULL)
      return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "fill report");
  }
  const tc_provider_options *o = col_provider_options_of(p);
  c.wait_left = o->max_wait_s;
  c.deadline = o->fill_deadline_s > 0 ? col_http_mono() + o->fill_deadline_s : 0;
  if (o->dir)
    fill_from_dir(o->dir, col, &c);
  tc_collateral_needs n;
  tc_error e;
  tc_status st = TC_OK;
  if (given != NULL)
    n = *given;
  else
    st = needs_of(tee, evidence, len, product_hint, col, 1, &n, &e);
  if (st != TC_OK) {
    note_failure(&c, "evidence", st, &e);
  } else if (n.tee == TC_TEE_SNP) {
    fill_snp(&c, &n, col);
  } else if (n.tee == TC_TEE_SGX || n.tee == TC_TEE_TDX) {
    fill_dcap(&c, o, &n, col);
  } else {
    tc_fail(&e, TC_ERR_USAGE, "bad_request", "needs name no TEE");
    note_failure(&c, "evidence", TC_ERR_USAGE, &e);
  }
  if (report)
    *report = c.report;
  if (c.first != TC_OK) {
    if (err)
      *err = c.first_err;
    return c.first;
  }
  return TC_OK;
}

tc_status tc_provider_fill(tc_provider *p, tc_tee tee, const uint8_t *evidence, size_t len,
                           tc_snp_product product_hint, int64_t now, tc_collateral *col,
                           json_t **report, tc_error *err) {
  return fill_common(p, tee, evidence, len, product_hint, NULL, now, col, report, err);
}

tc_status tc_provider_fill_needs(tc_provider *p, const tc_collateral_needs *needs, int64_t now,
                                 tc_collateral *col, json_t **report, tc_error *err) {
  return fill_common(p, needs->tee, NULL, 0, needs->product, needs, now, col, report, err);
}

void tc_collateral_free_added(tc_collateral *col, const tc_collateral *base) {
  tc_buf *c = (tc_buf *)col;
  const tc_buf *b = (const tc_buf *)base;
  size_t n_items = offsetof(tc_collateral, extra_certs) / sizeof(tc_buf);
  for (size_t i = 0; i < n_items; i++)
    if (c[i].data != NULL && c[i].data != b[i].data)
      tc_buf_free(&c[i]);
}
