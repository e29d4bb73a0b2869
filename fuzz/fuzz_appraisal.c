/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: appraisal policy parsing, appraisal of arbitrary verification
 * results, and EAR token verification. The first input byte picks the target. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "teectl/appraisal.h"
#include "teectl/ear.h"

/* A fixed P-256 public JWK (a valid point generated once; its private key was not kept). */
static const char JWKS[] =
    "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"k1\",\"alg\":\"ES256\","
    "\"x\":\"k6VCD3XugjqRmVNbsuFGIeK_WNJlguSvwU8Z4O5ECYM\","
    "\"y\":\"fEE-hD846VaxeKzSNnuUvocAe_JgQdjuoOFQLHrwtXQ\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t mode = data[0] % 3;
  const char *text = (const char *)data + 1;
  size_t len = size - 1;
  tc_error err;
  if (mode == 0) {
    tc_policy *p = NULL;
    if (tc_policy_parse(text, len, "fuzz", &p, &err) == TC_OK) {
      json_t *ver = json_pack("{s:s, s:s, s:{s:i}}", "verdict", "valid", "tee", "snp", "claims",
                              "version", 5);
      json_t *a = NULL;
      if (ver && tc_appraise(p, ver, &a, &err) == TC_OK && tc_appraisal_status(a) == TC_EAR_NONE)
        abort(); /* every appraisal has a status */
      json_decref(a);
      json_decref(ver);
      tc_policy_free(p);
    }
  } else if (mode == 1) {
    json_t *ver = json_loadb(text, len, 0, NULL);
    tc_policy *p = tc_policy_default();
    json_t *a = NULL;
    if (ver && p && tc_appraise(p, ver, &a, &err) == TC_OK &&
        tc_appraisal_status(a) == TC_EAR_AFFIRMING)
      abort(); /* the default policy never affirms (measurements unappraised) */
    json_decref(a);
    json_decref(ver);
    tc_policy_free(p);
  } else {
    char *tok = malloc(len + 1);
    json_t *jwks = json_loads(JWKS, 0, NULL);
    json_t *claims = NULL;
    if (tok && jwks) {
      memcpy(tok, text, len);
      tok[len] = '\0';
      if (tc_ear_verify(tok, jwks, 1751623200, 60, &claims, &err) == TC_OK)
        abort(); /* nobody holds the private key of JWKS */
    }
    json_decref(claims);
    json_decref(jwks);
    free(tok);
  }
  return 0;
}
