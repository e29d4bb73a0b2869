/* SPDX-License-Identifier: Apache-2.0 */
/* Collateral objects: names, URLs (AMD KDS spec 57230 ch. 4, Intel PCS API v4), cache keys,
 * percent-decoding of issuer-chain headers, validity of fetched bytes. No I/O. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collateral/internal.h"
#include "teectl/collateral.h"
#include "teectl/crypto.h"
#include "teectl/rfc3339.h"

const char *tc_object_kind_name(tc_object_kind kind) {
  switch (kind) {
  case TC_OBJ_KDS_VCEK:
    return "vcek";
  case TC_OBJ_KDS_VCEK_CHAIN:
    return "vcek_chain";
  case TC_OBJ_KDS_VLEK_CHAIN:
    return "vlek_chain";
  case TC_OBJ_KDS_VCEK_CRL:
    return "vcek_crl";
  case TC_OBJ_KDS_VLEK_CRL:
    return "vlek_crl";
  case TC_OBJ_PCS_TCB_INFO:
    return "tcb_info";
  case TC_OBJ_PCS_QE_IDENTITY:
    return "qe_identity";
  case TC_OBJ_PCS_PCK_CRL:
    return "pck_crl";
  case TC_OBJ_PCS_ROOT_CA_CRL:
    return "root_ca_crl";
  }
  return "unknown";
}

const char *tc_origin_name(tc_origin origin) {
  switch (origin) {
  case TC_ORIGIN_DIRECTORY:
    return "directory";
  case TC_ORIGIN_CACHE:
    return "cache";
  case TC_ORIGIN_NETWORK:
    return "network";
  case TC_ORIGIN_NONE:
    break;
  }
  return "none";
}

static int is_kds_kind(tc_object_kind k) {
  return k >= TC_OBJ_KDS_VCEK && k <= TC_OBJ_KDS_VLEK_CRL;
}

/* Path and query of an object relative to its service base ("" base for the Root CA CRL
 * of Intel's PCS, whose URL comes from the certificate). */
static tc_status object_path(const tc_object_request *req, char *out, size_t cap, tc_error *err) {
  int n = -1;
  int known =
      req->product == TC_SNP_MILAN || req->product == TC_SNP_GENOA || req->product == TC_SNP_TURIN;
  const char *product = tc_snp_product_name(req->product); /* KDS spelling */
  if (is_kds_kind(req->kind) && !known)
    return tc_fail(err, TC_ERR_USAGE, "bad_request", "%s request without an AMD product",
                   tc_object_kind_name(req->kind));
  switch (req->kind) {
  case TC_OBJ_KDS_VCEK: {
    char hwid[129];
    size_t hl = req->hwid_len;
    if (req->product == TC_SNP_TURIN && hl == 64)
      hl = 8; /* Turin KDS names the chip by the first 8 bytes of CHIP_ID */
    if (!(hl == 64 && req->product != TC_SNP_TURIN) && !(hl == 8 && req->product == TC_SNP_TURIN))
      return tc_fail(err, TC_ERR_USAGE, "bad_request",
                     "VCEK request for %s with a %zu-byte hardware id (want %s)", product,
                     req->hwid_len, req->product == TC_SNP_TURIN ? "8" : "64");
    tc_hex_encode(req->hwid, hl, hwid);
    if (req->product == TC_SNP_TURIN)
      n = snprintf(
          out, cap, "/vcek/v1/%s/%s?fmcSPL=%02u&blSPL=%02u&teeSPL=%02u&snpSPL=%02u&ucodeSPL=%02u",
          product, hwid, req->fmc_spl, req->bl_spl, req->tee_spl, req->snp_spl, req->ucode_spl);
    else
      n = snprintf(out, cap, "/vcek/v1/%s/%s?blSPL=%02u&teeSPL=%02u&snpSPL=%02u&ucodeSPL=%02u",
                   product, hwid, req->bl_spl, req->tee_spl, req->snp_spl, req->ucode_spl);
    break;
  }
  case TC_OBJ_KDS_VCEK_CHAIN:
    n = snprintf(out, cap, "/vcek/v1/%s/cert_chain", product);
    break;
  case TC_OBJ_KDS_VLEK_CHAIN:
    n = snprintf(out, cap, "/vlek/v1/%s/cert_chain", product);
    break;
  case TC_OBJ_KDS_VCEK_CRL:
    n = snprintf(out, cap, "/vcek/v1/%s/crl", product);
    break;
  case TC_OBJ_KDS_VLEK_CRL:
    n = snprintf(out, cap, "/vlek/v1/%s/crl", product);
    break;
  case TC_OBJ_PCS_TCB_INFO:
  case TC_OBJ_PCS_QE_IDENTITY: {
    const char *tee = req->tee == TC_TEE_SGX ? "sgx" : req->tee == TC_TEE_TDX ? "tdx" : NULL;
    if (tee == NULL)
      return tc_fail(err, TC_ERR_USAGE, "bad_request", "%s request needs tee sgx or tdx",
                     tc_object_kind_name(req->kind));
    if (req->kind == TC_OBJ_PCS_QE_IDENTITY) {
      n = snprintf(out, cap, "/%s/certification/v4/qe/identity", tee);
    } else {
      char f[13];
      tc_hex_encode(req->fmspc, 6, f);
      for (char *c = f; *c; c++)
        *c = (char)toupper((unsigned char)*c);
      n = snprintf(out, cap, "/%s/certification/v4/tcb?fmspc=%s", tee, f);
    }
    break;
  }
  case TC_OBJ_PCS_PCK_CRL:
    if (req->ca != TC_PCK_CA_PROCESSOR && req->ca != TC_PCK_CA_PLATFORM)
      return tc_fail(err, TC_ERR_USAGE, "bad_request",
                     "PCK CRL request needs ca "
                     "processor or platform");
    n = snprintf(out, cap, "/sgx/certification/v4/pckcrl?ca=%s&encoding=der",
                 req->ca == TC_PCK_CA_PROCESSOR ? "processor" : "platform");
    break;
  case TC_OBJ_PCS_ROOT_CA_CRL:
    n = snprintf(out, cap, "/sgx/certification/v4/rootcacrl");
    break;
  default:
    return tc_fail(err, TC_ERR_USAGE, "bad_request", "unknown collateral kind %d", (int)req->kind);
  }
  if (n < 0 || (size_t)n >= cap)
    return tc_fail(err, TC_ERR_USAGE, "url_too_long", "%s URL does not fit in %zu bytes",
                   tc_object_kind_name(req->kind), cap);
  return TC_OK;
}

static int base_is_intel_pcs(const char *base) {
  const char *h = strstr(base, "://");
  h = h ? h + 3 : base;
  return strncasecmp(h, "api.trustedservices.intel.com", 29) == 0 &&
         (h[29] == '\0' || h[29] == '/' || h[29] == ':');
}

tc_status tc_object_url(const char *kds_base, const char *pcs_base, tc_pcs_flavour flavour,
                        const tc_object_request *req, char *out, size_t cap, tc_error *err) {
  if (kds_base == NULL)
    kds_base = TC_KDS_DEFAULT_URL;
  if (pcs_base == NULL)
    pcs_base = TC_PCS_DEFAULT_URL;
  if (req->kind == TC_OBJ_PCS_ROOT_CA_CRL) {
    if (req->url[0] != '\0') {
      int n = snprintf(out, cap, "%s", req->url);
      if (n < 0 || (size_t)n >= cap)
        return tc_fail(err, TC_ERR_USAGE, "url_too_long", "Root CA CRL URL too long");
      return TC_OK;
    }
    if (flavour == TC_PCS_INTEL || (flavour == TC_PCS_AUTO && base_is_intel_pcs(pcs_base)))
      return tc_fail(err, TC_ERR_USAGE, "bad_request",
                     "Intel PCS serves no Root CA CRL endpoint: the URL comes from the CRL "
                     "distribution point of the Intel SGX Root CA certificate");
  }
  char path[400];
  tc_status st = object_path(req, path, sizeof path, err);
  if (st != TC_OK)
    return st;
  const char *base = is_kds_kind(req->kind) ? kds_base : pcs_base;
  size_t bl = strlen(base);
  while (bl > 0 && base[bl - 1] == '/')
    bl--;
  int n = snprintf(out, cap, "%.*s%s", (int)bl, base, path);
  if (n < 0 || (size_t)n >= cap)
    return tc_fail(err, TC_ERR_USAGE, "url_too_long", "URL of %s does not fit in %zu bytes",
                   tc_object_kind_name(req->kind), cap);
  return TC_OK;
}

tc_status tc_object_key(const tc_object_request *req, char *out, size_t cap, tc_error *err) {
  if (req->kind == TC_OBJ_PCS_ROOT_CA_CRL) {
    int n = snprintf(out, cap, "pcs:rootcacrl");
    return n < 0 || (size_t)n >= cap ? tc_fail(err, TC_ERR_USAGE, "url_too_long", "key") : TC_OK;
  }
  char path[400];
  tc_status st = object_path(req, path, sizeof path, err);
  if (st != TC_OK)
    return st;
  int n = snprintf(out, cap, "%s:%s", is_kds_kind(req->kind) ? "kds" : "pcs", path);
  if (n < 0 || (size_t)n >= cap)
    return tc_fail(err, TC_ERR_USAGE, "url_too_long", "cache key does not fit");
  return TC_OK;
}

tc_status tc_url_decode(const char *in, size_t len, tc_buf *out, tc_error *err) {
  out->data = malloc(len + 1);
  out->len = 0;
  if (out->data == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "URL-decoding %zu bytes", len);
  for (size_t i = 0; i < len; i++) {
    if (in[i] != '%') {
      out->data[out->len++] = (uint8_t)in[i];
      continue;
    }
    int h = i + 2 < len ? tc_hex_digit((unsigned char)in[i + 1]) : -1;
    int l = i + 2 < len ? tc_hex_digit((unsigned char)in[i + 2]) : -1;
    if (h < 0 || l < 0) {
      tc_buf_free(out);
      return tc_fail(err, TC_ERR_PARSE, "bad_percent_encoding", "bad percent escape at offset %zu",
                     i);
    }
    out->data[out->len++] = (uint8_t)((unsigned)h << 4 | (unsigned)l);
    i += 2;
  }
  out->data[out->len] = 0;
  return TC_OK;
}

/* ---- validity ---- */

static int looks_hex_text(const uint8_t *p, size_t len) {
  while (len > 0 && isspace(p[len - 1]))
    len--;
  if (len == 0 || len % 2 != 0)
    return 0;
  for (size_t i = 0; i < len; i++)
    if (tc_hex_digit(p[i]) < 0)
      return 0;
  return 1;
}

tc_status col_crl_normalize(tc_buf *body, tc_error *err) {
  if (body->data == NULL || !looks_hex_text(body->data, body->len))
    return TC_OK;
  size_t hl = body->len;
  while (hl > 0 && isspace(body->data[hl - 1]))
    hl--;
  for (size_t i = 0; i < hl / 2; i++)
    body->data[i] = (uint8_t)((unsigned)tc_hex_digit(body->data[2 * i]) << 4 |
                              (unsigned)tc_hex_digit(body->data[2 * i + 1]));
  body->len = hl / 2;
  (void)err;
  return TC_OK;
}

static tc_status crl_validity(const uint8_t *body, size_t len, int64_t *issued, int64_t *expires,
                              tc_error *err) {
  uint8_t *bin = NULL;
  if (looks_hex_text(body, len)) {
    size_t hl = len;
    while (hl > 0 && isspace(body[hl - 1]))
      hl--;
    bin = malloc(hl / 2 + 1);
    if (bin == NULL)
      return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "CRL");
    for (size_t i = 0; i < hl / 2; i++)
      bin[i] = (uint8_t)((unsigned)tc_hex_digit(body[2 * i]) << 4 |
                         (unsigned)tc_hex_digit(body[2 * i + 1]));
    body = bin;
    len = hl / 2;
  }
  tc_error e;
  tc_status st = tc_crl_update_times(body, len, issued, expires, &e);
  free(bin);
  if (st != TC_OK && strcmp(e.reason, "crl_next_update_missing") == 0)
    return tc_fail(err, TC_ERR_PARSE, "collateral_malformed", "%s", e.detail);
  if (st != TC_OK)
    return tc_fail(err, TC_ERR_PARSE, "collateral_malformed", "CRL: %s", e.detail);
  return TC_OK;
}

static tc_status chain_validity(const uint8_t *data, size_t len, const char *what, int64_t *issued,
                                int64_t *expires, tc_error *err) {
  size_t n = 0;
  int64_t first_nb = 0, earliest_na = 0;
  tc_error e;
  if (tc_cert_chain_validity(data, len, &n, &first_nb, &earliest_na, &e) != TC_OK)
    return tc_fail(err, TC_ERR_PARSE, "collateral_malformed", "%s: %s", what, e.detail);
  if (n == 0)
    return tc_fail(err, TC_ERR_PARSE, "collateral_malformed", "%s: no certificate", what);
  *expires = earliest_na;
  if (issued)
    *issued = first_nb;
  return TC_OK;
}

static tc_status json_validity(const uint8_t *body, size_t len, const char *top, int64_t *issued,
                               int64_t *expires, tc_error *err) {
  json_error_t je;
  json_t *root = json_loadb((const char *)body, len, 0, &je);
  if (root == NULL)
    return tc_fail(err, TC_ERR_PARSE, "collateral_malformed", "%s JSON: %s at line %d", top,
                   je.text, je.line);
  json_t *obj = json_object_get(root, top);
  const char *nu = json_string_value(json_object_get(obj, "nextUpdate"));
  const char *iss = json_string_value(json_object_get(obj, "issueDate"));
  tc_error e;
  tc_status st = TC_OK;
  if (!json_is_object(obj) || nu == NULL)
    st = tc_fail(err, TC_ERR_PARSE, "collateral_malformed", "JSON has no %s.nextUpdate", top);
  else if (tc_rfc3339_parse(nu, expires, &e) != TC_OK)
    st = tc_fail(err, TC_ERR_PARSE, "collateral_malformed", "%s.nextUpdate: %s", top, e.detail);
  else if (iss == NULL || tc_rfc3339_parse(iss, issued, &e) != TC_OK)
    *issued = 0;
  json_decref(root);
  return st;
}

tc_status tc_object_validity(tc_object_kind kind, const uint8_t *body, size_t len,
                             const uint8_t *issuer_chain, size_t chain_len, int64_t *issued_at,
                             int64_t *expires_at, tc_error *err) {
  int64_t issued = 0, expires = 0;
  tc_status st;
  if (body == NULL || len == 0)
    return tc_fail(err, TC_ERR_PARSE, "collateral_malformed", "%s: empty body",
                   tc_object_kind_name(kind));
  switch (kind) {
  case TC_OBJ_KDS_VCEK:
    st = chain_validity(body, len, "VCEK", &issued, &expires, err);
    break;
  case TC_OBJ_KDS_VCEK_CHAIN:
  case TC_OBJ_KDS_VLEK_CHAIN:
    st = chain_validity(body, len, "KDS cert_chain", &issued, &expires, err);
    break;
  case TC_OBJ_KDS_VCEK_CRL:
  case TC_OBJ_KDS_VLEK_CRL:
  case TC_OBJ_PCS_PCK_CRL:
  case TC_OBJ_PCS_ROOT_CA_CRL:
    st = crl_validity(body, len, &issued, &expires, err);
    break;
  case TC_OBJ_PCS_TCB_INFO:
    st = json_validity(body, len, "tcbInfo", &issued, &expires, err);
    break;
  case TC_OBJ_PCS_QE_IDENTITY:
    st = json_validity(body, len, "enclaveIdentity", &issued, &expires, err);
    break;
  default:
    return tc_fail(err, TC_ERR_USAGE, "bad_request", "unknown collateral kind %d", (int)kind);
  }
  if (st != TC_OK)
    return st;
  if (issuer_chain != NULL && chain_len > 0) {
    int64_t cexp = INT64_MAX;
    st = chain_validity(issuer_chain, chain_len, "issuer chain", NULL, &cexp, err);
    if (st != TC_OK)
      return st;
    if (cexp < expires)
      expires = cexp;
  }
  if (issued_at)
    *issued_at = issued;
  *expires_at = expires;
  return TC_OK;
}
