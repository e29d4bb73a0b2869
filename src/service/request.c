/* SPDX-License-Identifier: Apache-2.0 */
/* Request bodies of POST /v1/attest and the compat POST /attest: JSON -> svc_attest_in.
 * Strict: unknown fields, wrong types and bad base64 are 400 answers naming the field. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "service/request.h"
#include "teectl/base64.h"
#include "teectl/crypto.h"

json_t *svc_error_body(const char *code, const char *detail) {
  /* detail may quote request bytes (a JSON key cut mid-character): keep it valid UTF-8 so
   * the body can always be built. */
  char d[1024];
  snprintf(d, sizeof d, "%s", detail ? detail : "");
  tc_utf8_sanitize(d);
  return json_pack("{s:s, s:s}", "error", code, "detail", d);
}

void svc_attest_in_free(struct svc_attest_in *in) {
  tc_buf_free(&in->evidence);
  tc_buf_free(&in->runtime_data);
  for (size_t i = 0; i < in->n_certs; i++)
    tc_buf_free(&in->certs[i]);
  in->n_certs = 0;
}

static int bad(unsigned *status, json_t **body, const char *code, const char *detail) {
  *status = 400;
  *body = svc_error_body(code, detail);
  return 0;
}

/* POST /v1/attest {"tee","evidence","nonce","runtime_data","collateral":{"certificates"}} */
static int parse_attest(json_t *root, struct svc_attest_in *in, unsigned *status, json_t **body) {
  const char *key;
  json_t *v;
  char d[256];
  tc_error err;
  json_object_foreach(root, key, v) {
    if (strcmp(key, "tee") && strcmp(key, "evidence") && strcmp(key, "nonce") &&
        strcmp(key, "runtime_data") && strcmp(key, "collateral")) {
      snprintf(d, sizeof d, "unknown field '%.100s'", key);
      return bad(status, body, "request_unknown_field", d);
    }
  }
  json_t *tee = json_object_get(root, "tee");
  if (!json_is_string(tee))
    return bad(status, body, "request_invalid",
               "field 'tee' (\"snp\", \"tdx\" or \"sgx\") is required");
  const char *t = json_string_value(tee);
  if (strcmp(t, "snp") == 0)
    in->tee = TC_TEE_SNP;
  else if (strcmp(t, "tdx") == 0)
    in->tee = TC_TEE_TDX;
  else if (strcmp(t, "sgx") == 0)
    in->tee = TC_TEE_SGX;
  else {
    snprintf(d, sizeof d, "tee '%.40s' is not one of snp, tdx, sgx", t);
    return bad(status, body, "tee_unsupported", d);
  }
  json_t *ev = json_object_get(root, "evidence");
  if (!json_is_string(ev) || json_string_length(ev) == 0)
    return bad(status, body, "request_invalid", "field 'evidence' (base64) is required");
  if (tc_b64_decode(json_string_value(ev), json_string_length(ev), TC_B64_ANY, "evidence",
                    "evidence_not_base64", &in->evidence, &err) != TC_OK)
    return bad(status, body, err.reason, err.detail);
  json_t *nonce = json_object_get(root, "nonce");
  if (nonce != NULL && !json_is_string(nonce))
    return bad(status, body, "nonce_malformed", "field 'nonce' must be a string");
  in->nonce = json_string_value(nonce);
  json_t *rd = json_object_get(root, "runtime_data");
  if (rd != NULL) {
    if (!json_is_string(rd))
      return bad(status, body, "runtime_data_not_base64", "field 'runtime_data' must be a string");
    if (tc_b64_decode(json_string_value(rd), json_string_length(rd), TC_B64_ANY, "runtime_data",
                      "runtime_data_not_base64", &in->runtime_data, &err) != TC_OK)
      return bad(status, body, err.reason, err.detail);
    in->has_runtime_data = 1;
  }
  json_t *col = json_object_get(root, "collateral");
  if (col != NULL) {
    json_t *certs = json_object_get(col, "certificates");
    if (!json_is_object(col) || json_object_size(col) != (certs ? 1u : 0u) ||
        (certs && !json_is_array(certs)))
      return bad(status, body, "request_invalid",
                 "field 'collateral' must be {\"certificates\": [PEM, ...]}");
    size_t max = sizeof in->certs / sizeof in->certs[0];
    if (json_array_size(certs) > max) {
      snprintf(d, sizeof d, "collateral.certificates: at most %zu certificates", max);
      return bad(status, body, "request_invalid", d);
    }
    size_t i;
    json_t *c;
    json_array_foreach(certs, i, c) {
      if (!json_is_string(c) ||
          strstr(json_string_value(c), "-----BEGIN CERTIFICATE-----") == NULL) {
        snprintf(d, sizeof d, "collateral.certificates[%zu] is not a PEM certificate", i);
        return bad(status, body, "request_invalid", d);
      }
      size_t n = json_string_length(c);
      tc_error xe;
      if (tc_cert_check((const uint8_t *)json_string_value(c), n, &xe) != TC_OK) {
        snprintf(d, sizeof d, "collateral.certificates[%zu] does not parse: %.180s", i, xe.detail);
        return bad(status, body, "request_invalid", d);
      }
      in->certs[i].data = malloc(n);
      if (in->certs[i].data == NULL)
        return bad(status, body, "internal_error", "out of memory");
      memcpy(in->certs[i].data, json_string_value(c), n);
      in->certs[i].len = n;
      in->n_certs = i + 1;
    }
  }
  return 1;
}

/* POST /attest (the seed client): {"nonce","quote","measurement","tee_type"}. */
static int parse_compat(json_t *root, struct svc_attest_in *in, unsigned *status, json_t **body) {
  tc_error err;
  json_t *tt = json_object_get(root, "tee_type"), *q = json_object_get(root, "quote");
  json_t *n = json_object_get(root, "nonce"), *m = json_object_get(root, "measurement");
  const char *tts = json_string_value(tt);
  in->tee = tts == NULL                   ? TC_TEE_UNKNOWN
            : strcasecmp(tts, "SEV") == 0 ? TC_TEE_SNP
            : strcasecmp(tts, "SGX") == 0 ? TC_TEE_SGX
            : strcasecmp(tts, "TDX") == 0 ? TC_TEE_TDX
                                          : TC_TEE_UNKNOWN;
  if (in->tee == TC_TEE_UNKNOWN)
    return bad(status, body, "tee_unsupported",
               "field 'tee_type' must be \"SGX\", \"SEV\" or \"TDX\"");
  if (!json_is_string(q) || json_string_length(q) == 0)
    return bad(status, body, "request_invalid", "field 'quote' (base64) is required");
  if (tc_b64_decode(json_string_value(q), json_string_length(q), TC_B64_ANY, "quote",
                    "evidence_not_base64", &in->evidence, &err) != TC_OK)
    return bad(status, body, err.reason, err.detail);
  if (n != NULL && !json_is_string(n))
    return bad(status, body, "nonce_malformed", "field 'nonce' must be a string");
  if (!json_is_string(m) || json_string_length(m) == 0)
    return bad(status, body, "request_invalid", "field 'measurement' (hex) is required");
  in->nonce = json_string_value(n);
  in->expect_measurement = json_string_value(m);
  return 1;
}

int svc_request_parse(const char *text, size_t len, int compat, json_t **root,
                      struct svc_attest_in *in, unsigned *status, json_t **body) {
  json_error_t je;
  *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  if (*root == NULL) {
    char d[256];
    snprintf(d, sizeof d, "request body is not JSON: line %d column %d: %s", je.line, je.column,
             je.text);
    return bad(status, body, "json_invalid", d);
  }
  if (!json_is_object(*root))
    return bad(status, body, "request_invalid", "request body must be a JSON object");
  return compat ? parse_compat(*root, in, status, body) : parse_attest(*root, in, status, body);
}
