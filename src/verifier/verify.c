/* SPDX-License-Identifier: Apache-2.0 */
/* Dispatch evidence to the SNP or DCAP verifier; collateral folder loading. */
#include "teectl/verify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/verdict.h"
#include "teectl/dcap.h"
#include "teectl/file.h"
#include "teectl/rfc3339.h"
#include "teectl/snp.h"

const char *tc_tee_name(tc_tee tee) {
  switch (tee) {
  case TC_TEE_SNP:
    return "snp";
  case TC_TEE_TDX:
    return "tdx";
  case TC_TEE_SGX:
    return "sgx";
  case TC_TEE_UNKNOWN:
    break;
  }
  return "unknown";
}

tc_tee tc_tee_from_name(const char *name) {
  if (name == NULL)
    return TC_TEE_UNKNOWN;
  if (strcasecmp(name, "snp") == 0 || strcasecmp(name, "sev") == 0 ||
      strcasecmp(name, "sev-snp") == 0)
    return TC_TEE_SNP;
  if (strcasecmp(name, "tdx") == 0)
    return TC_TEE_TDX;
  if (strcasecmp(name, "sgx") == 0)
    return TC_TEE_SGX;
  return TC_TEE_UNKNOWN;
}

/* SNP ATTESTATION_REPORT starts with VERSION (u32 LE, small); a DCAP quote header
 * starts with version (u16 LE) then att_key_type (u16 LE, 2 = ECDSA P-256, never 0)
 * and tee_type (u32 LE at offset 4: 0x00 SGX, 0x81 TDX). So bytes 2..3 tell them apart. */
tc_tee tc_tee_detect(const uint8_t *ev, size_t len) {
  if (ev == NULL || len < 8)
    return TC_TEE_UNKNOWN;
  if (tc_le16(ev + 2) != 0) {
    uint32_t tee_type = tc_le32(ev + 4);
    if (tee_type == 0x81)
      return TC_TEE_TDX;
    if (tee_type == 0x00)
      return TC_TEE_SGX;
    return TC_TEE_UNKNOWN;
  }
  uint32_t version = tc_le32(ev);
  return version >= 1 && version <= 255 ? TC_TEE_SNP : TC_TEE_UNKNOWN;
}

static json_t *invalid_result(tc_tee tee, int64_t at, const tc_error *err) {
  return tc_verdict_new(err->status == TC_OK ? TC_ERR_INTERNAL : err->status, err, NULL,
                        tc_tee_name(tee), at);
}

struct tc_verifier {
  tc_snp_chain_cache *snp; /* verified SNP chains */
  tc_dcap_cache *dcap;     /* checked DCAP PCK chains and collateral sets */
};

tc_status tc_verifier_new(size_t cache_entries, tc_verifier **out, tc_error *err) {
  *out = NULL;
  if (cache_entries > TC_VERIFIER_MAX_CACHE_ENTRIES)
    return tc_fail(err, TC_ERR_USAGE, "bad_argument", "%zu cache entries: at most %u",
                   cache_entries, TC_VERIFIER_MAX_CACHE_ENTRIES);
  tc_verifier *v = calloc(1, sizeof *v);
  if (v == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "verifier");
  tc_status st = tc_snp_chain_cache_new(cache_entries, &v->snp, err);
  if (st == TC_OK)
    st = tc_dcap_cache_new(cache_entries, &v->dcap, err);
  if (st != TC_OK) {
    tc_verifier_free(v);
    return st;
  }
  *out = v;
  return TC_OK;
}

void tc_verifier_free(tc_verifier *v) {
  if (v == NULL)
    return;
  tc_snp_chain_cache_free(v->snp);
  tc_dcap_cache_free(v->dcap);
  free(v);
}

tc_snp_chain_cache *tc_verifier_snp_cache(tc_verifier *v) {
  return v != NULL ? v->snp : NULL;
}

tc_dcap_cache *tc_verifier_dcap_cache(tc_verifier *v) {
  return v != NULL ? v->dcap : NULL;
}

tc_status tc_verify_evidence(tc_tee tee, const uint8_t *evidence, size_t len,
                             const tc_collateral *col, int64_t at, json_t **result, tc_error *err) {
  return tc_verifier_verify(NULL, tee, evidence, len, col, at, result, err);
}

tc_status tc_verifier_verify(tc_verifier *v, tc_tee tee, const uint8_t *evidence, size_t len,
                             const tc_collateral *col, int64_t at, json_t **result, tc_error *err) {
  *result = NULL;
  tc_tee seen = tc_tee_detect(evidence, len);
  tc_tee declared = tee;
  if (tee == TC_TEE_UNKNOWN)
    tee = seen;
  tc_status st;
  if (declared != TC_TEE_UNKNOWN && seen != TC_TEE_UNKNOWN && seen != declared) {
    static const char *const kind[] = {"unknown evidence", "an SEV-SNP report", "a TDX quote",
                                       "an SGX quote"};
    st = tc_fail(err, TC_ERR_PARSE, "tee_mismatch",
                 "evidence was declared %s but its first bytes are those of %s",
                 tc_tee_name(declared), kind[seen]);
  } else if (tee == TC_TEE_SNP) {
    st = tc_snp_verify_cached(evidence, len, col, at, tc_verifier_snp_cache(v), result, err);
  } else if (tee == TC_TEE_TDX || tee == TC_TEE_SGX) {
    st = tc_dcap_verify_cached(evidence, len, col, at, tc_verifier_dcap_cache(v), result, err);
  } else {
    st = tc_fail(err, TC_ERR_PARSE, "unknown_evidence_format",
                 "%zu bytes are neither an SEV-SNP report nor a DCAP quote header "
                 "(bytes 0..7); name the TEE explicitly with --tee",
                 len);
  }
  if (*result == NULL) {
    *result = invalid_result(declared != TC_TEE_UNKNOWN ? declared : tee, at, err);
  } else if (declared != TC_TEE_UNKNOWN) {
    /* Evidence too damaged to show its kind is named as the caller declared it. */
    json_object_set_new(*result, "tee", json_string(tc_tee_name(declared)));
  }
  return st;
}

/* One collateral item: the first existing name in the list is read. */
struct item {
  size_t offset;
  const char *names[3];
};

#define ITEM(field, ...)                                                                           \
  {                                                                                                \
    offsetof(tc_collateral, field), {                                                              \
      __VA_ARGS__                                                                                  \
    }                                                                                              \
  }
static const struct item items[] = {
    ITEM(ark, "ark.pem", "ark.der", NULL),
    ITEM(ask, "ask.pem", "ask.der", "asvk.pem"),
    ITEM(vcek, "vcek.der", "vcek.pem", NULL),
    ITEM(vlek, "vlek.der", "vlek.pem", NULL),
    ITEM(amd_crl, "crl.der", "crl.pem", NULL),
    ITEM(tcb_info, "tcb_info.json", NULL, NULL),
    ITEM(tcb_info_issuer_chain, "tcb_info_issuer_chain.pem", NULL, NULL),
    ITEM(qe_identity, "qe_identity.json", NULL, NULL),
    ITEM(qe_identity_issuer_chain, "qe_identity_issuer_chain.pem", NULL, NULL),
    ITEM(pck_crl, "pck_crl.der", "pck_crl.pem", NULL),
    ITEM(pck_crl_issuer_chain, "pck_crl_issuer_chain.pem", NULL, NULL),
    ITEM(root_ca_crl, "root_ca_crl.der", "root_ca_crl.pem", NULL),
    ITEM(pck_chain, "pck_chain.pem", NULL, NULL),
};

tc_status tc_collateral_load_dir(const char *dir, tc_collateral *col, tc_error *err) {
  struct stat st;
  if (stat(dir, &st) != 0)
    return tc_fail(err, TC_ERR_IO, "collateral_unreadable", "%s: %s", dir, strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return tc_fail(err, TC_ERR_IO, "collateral_unreadable", "%s: not a folder", dir);
  for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
    tc_buf *slot = (tc_buf *)((char *)col + items[i].offset);
    for (size_t j = 0; j < 3 && items[i].names[j] != NULL; j++) {
      char path[4096];
      int n = snprintf(path, sizeof path, "%s/%s", dir, items[i].names[j]);
      if (n < 0 || (size_t)n >= sizeof path)
        return tc_fail(err, TC_ERR_USAGE, "collateral_unreadable", "path too long: %s", dir);
      if (!tc_file_exists(path))
        continue;
      tc_error ferr;
      if (tc_file_read(path, 16u << 20, slot, &ferr) != TC_OK)
        return tc_fail(err, TC_ERR_IO, "collateral_unreadable", "%s", ferr.detail);
      break;
    }
  }
  return TC_OK;
}

void tc_collateral_free(tc_collateral *col) {
  if (col == NULL)
    return;
  for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
    tc_buf_free((tc_buf *)((char *)col + items[i].offset));
  for (size_t i = 0; i < col->n_extra_certs; i++)
    tc_buf_free(&col->extra_certs[i]);
  free(col->extra_certs);
  for (size_t i = 0; i < col->n_trust_roots; i++)
    tc_buf_free(&col->trust_roots[i]);
  free(col->trust_roots);
  memset(col, 0, sizeof *col);
}
