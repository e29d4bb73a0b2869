/* SPDX-License-Identifier: Apache-2.0 */
/* Client of teectl's own attestation API (docs/service.md): challenge, evidence bound to the
 * nonce and runtime data, attest, token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attester/internal.h"
#include "teectl/base64.h"
#include "teectl/crypto.h"

/* docs/service.md "Binding": SNP and TDX SHA-512(nonce || runtime_data); SGX
 * SHA-256(nonce || runtime_data) followed by 32 zero bytes. */
static tc_status bind(const char *tee, const uint8_t *nonce, size_t nl, const uint8_t *rd,
                      size_t rl, uint8_t out[64], tc_error *err) {
  int sgx = strcmp(tee, "sgx") == 0;
  const tc_span parts[2] = {{nonce, nl}, {rd, rl}};
  memset(out, 0, 64);
  return tc_hash(sgx ? TC_HASH_SHA256 : TC_HASH_SHA512, parts, 2, out, err);
}

/* RFC 7468 text of a DER certificate: base64 in lines of 64 between the CERTIFICATE labels. */
static char *der_to_pem(const uint8_t *der, size_t len) {
  char *b64 = tc_b64_encode(der, len, TC_B64_STD);
  size_t n = b64 ? strlen(b64) : 0;
  char *pem = b64 ? malloc(n + n / 64 + 64) : NULL;
  if (pem) {
    size_t o = (size_t)sprintf(pem, "-----BEGIN CERTIFICATE-----\n");
    for (size_t i = 0; i < n; i += 64)
      o += (size_t)sprintf(pem + o, "%.*s\n", (int)(n - i < 64 ? n - i : 64), b64 + i);
    sprintf(pem + o, "-----END CERTIFICATE-----\n");
  }
  free(b64);
  return pem;
}

/* The SNP certificates the source gave (the host's certificate table, or the
 * attestation-agent's cert_chain) as PEM texts for "collateral": {"certificates": [...]}
 * (at most 8, the service's limit); NULL when there are none. */
static json_t *collateral_json(const tc_evidence *ev, tc_error *err) {
  tc_snp_cert table[16];
  size_t n = 0;
  if (ev->aux.len != 0 &&
      tc_snp_cert_table_parse(ev->aux.data, ev->aux.len, table, 16, &n, err) != TC_OK)
    return NULL;
  json_t *list = json_array();
  for (size_t i = 0; list && i < n + ev->n_certs && json_array_size(list) < 8; i++) {
    const uint8_t *der = i < n ? table[i].der : ev->certs[i - n].data;
    size_t len = i < n ? table[i].len : ev->certs[i - n].len;
    if (i < n && !table[i].type)
      continue;
    char *pem = der_to_pem(der, len);
    if (pem)
      json_array_append_new(list, json_string(pem));
    free(pem);
  }
  if (json_array_size(list) == 0) {
    json_decref(list);
    return NULL;
  }
  return json_pack("{s:o}", "certificates", list);
}

static tc_status challenge(att_http *c, char **nonce_text, uint8_t **nonce, size_t *nl,
                           tc_error *err) {
  long code;
  char *ans;
  tc_status st = att_http_do(c, "POST", "/v1/challenge", NULL, &code, &ans, err);
  if (st != TC_OK)
    return st;
  json_t *j = json_loads(ans, 0, NULL);
  const char *n = json_string_value(json_object_get(j, "nonce"));
  if (code != 200 || !n) {
    if (code == 200)
      st = tc_fail(err, TC_ERR_PARSE, "service_answer_invalid",
                   "POST /v1/challenge: no nonce in the answer");
    else {
      att_refusal(code, ans, err);
      st = err->status;
    }
  } else {
    *nl = tc_b64_decode_to(n, strlen(n), TC_B64_URL, NULL, 0);
    *nonce = *nl != SIZE_MAX ? malloc(*nl ? *nl : 1) : NULL;
    if (!*nonce || tc_b64_decode_to(n, strlen(n), TC_B64_URL, *nonce, *nl) != *nl)
      st = tc_fail(err, TC_ERR_PARSE, "service_answer_invalid",
                   "POST /v1/challenge: nonce is not base64url");
    else
      *nonce_text = strdup(n);
  }
  json_decref(j);
  free(ans);
  return st;
}

tc_status tc_attest_service(const char *url, const tc_attest_http *h, const tc_attester_opts *o,
                            const uint8_t *runtime_data, size_t rd_len, char **token,
                            tc_error *err) {
  *token = NULL;
  att_http *c = att_http_new(url, h);
  if (!c)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "HTTP client");
  char *nonce_text = NULL, *ans = NULL, *body = NULL, *ev_b64 = NULL, *rd_b64 = NULL;
  uint8_t *nonce = NULL, rd[64];
  size_t nl = 0;
  tc_evidence ev = {0};
  json_t *req = NULL;
  const char *tee = NULL;
  /* Before the network: the TEE (SGX binds differently) and that there is a source. */
  tc_status st = tc_attester_tee(o, &tee, err);
  if (st == TC_OK)
    st = challenge(c, &nonce_text, &nonce, &nl, err);
  if (st == TC_OK)
    st = bind(tee, nonce, nl, runtime_data, rd_len, rd, err);
  if (st == TC_OK)
    st = tc_attester_evidence(o, rd, &ev, err);
  if (st != TC_OK)
    goto out;
  ev_b64 = tc_b64_encode(ev.evidence.data, ev.evidence.len, TC_B64_STD);
  rd_b64 = rd_len ? tc_b64_encode(runtime_data, rd_len, TC_B64_STD) : NULL;
  req = json_pack("{s:s, s:s?, s:s}", "tee", ev.tee, "evidence", ev_b64, "nonce", nonce_text);
  if (req && rd_b64)
    json_object_set_new(req, "runtime_data", json_string(rd_b64));
  json_t *col = req && strcmp(ev.tee, "snp") == 0 ? collateral_json(&ev, err) : NULL;
  if (col)
    json_object_set_new(req, "collateral", col);
  body = req ? json_dumps(req, JSON_COMPACT) : NULL;
  if (!body) {
    st = tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "attest request");
    goto out;
  }
  long code;
  st = att_http_do(c, "POST", "/v1/attest", body, &code, &ans, err);
  if (st != TC_OK)
    goto out;
  if (code != 200) {
    att_refusal(code, ans, err);
    st = err->status;
    goto out;
  }
  json_t *j = json_loads(ans, 0, NULL);
  const char *t = json_string_value(json_object_get(j, "token"));
  if (t && *t)
    *token = strdup(t);
  else
    st = tc_fail(err, TC_ERR_PARSE, "service_answer_invalid",
                 "POST /v1/attest: 200 without a token");
  json_decref(j);
out:
  json_decref(req);
  free(body);
  free(ans);
  free(ev_b64);
  free(rd_b64);
  free(nonce);
  free(nonce_text);
  tc_evidence_free(&ev);
  att_http_free(c);
  return st;
}
