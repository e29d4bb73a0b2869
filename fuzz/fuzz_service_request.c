/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the attestation service's request handling before verification.
 * First byte: 0 = POST /v1/attest body, 1 = compat POST /attest body, 2 = a nonce text,
 * 3 = base64 text. Parsed requests then go through the nonce check and the binding, as
 * svc_attest does. Any crash, leak or sanitizer report is a finding; a parse error is not. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "service/request.h"
#include "teectl/base64.h"
#include "teectl/service.h"

static const uint8_t KEY[32] = "fuzz-nonce-key-fuzz-nonce-key-32";

static void nonce_and_binding(const char *nonce, const struct svc_attest_in *in) {
  uint8_t raw[TC_NONCE_RAW_LEN], rd[64];
  int64_t exp = 0;
  tc_error err;
  int have =
      nonce != NULL && tc_nonce_check(KEY, sizeof KEY, nonce, 1700000000, raw, &exp, &err) == TC_OK;
  if (in != NULL && in->evidence.len >= 64)
    tc_binding_check(in->tee, in->evidence.data, have ? raw : NULL, have ? sizeof raw : 0,
                     in->runtime_data.data, in->runtime_data.len, &err);
  else
    tc_binding_compute(TC_TEE_SNP, have ? raw : NULL, have ? sizeof raw : 0, NULL, 0, rd, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  int mode = data[0] % 4;
  const char *text = (const char *)data + 1;
  size_t len = size - 1;
  if (mode <= 1) {
    json_t *root = NULL, *body = NULL;
    unsigned status = 0;
    struct svc_attest_in in = {0};
    if (svc_request_parse(text, len, mode, &root, &in, &status, &body))
      nonce_and_binding(in.nonce, &in);
    else if (status != 400 || json_string_value(json_object_get(body, "error")) == NULL)
      abort(); /* every refusal is a 400 with a code */
    svc_attest_in_free(&in);
    json_decref(body);
    json_decref(root);
    return 0;
  }
  char *s = malloc(len + 1);
  if (s == NULL)
    return 0;
  memcpy(s, text, len);
  s[len] = '\0';
  if (mode == 2) {
    nonce_and_binding(s, NULL);
  } else {
    tc_buf out;
    tc_error err;
    if (tc_b64_decode(s, strlen(s), TC_B64_ANY, "f", "bad", &out, &err) == TC_OK) {
      char *enc = tc_b64_encode(out.data, out.len, TC_B64_URL);
      tc_buf back;
      /* What the encoder writes, the decoder reads back to the same bytes. */
      if (enc == NULL ||
          tc_b64_decode(enc, strlen(enc), TC_B64_ANY, "f", "bad", &back, &err) != TC_OK ||
          back.len != out.len || memcmp(back.data, out.data, out.len) != 0)
        abort();
      tc_buf_free(&back);
      free(enc);
      tc_buf_free(&out);
    }
  }
  free(s);
  return 0;
}
