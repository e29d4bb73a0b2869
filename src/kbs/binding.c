/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — KBS runtime-data binding: the tee-pubkey JWK, its RFC 7638
 * thumbprint, and the REPORT_DATA a guest binds (guest-components attestation-agent
 * kbs_protocol rcar_client: hash over the RFC 8785 form of {"nonce", "tee-pubkey",
 * "additional-evidence"}, zero-padded to the TEE's 64-byte report data). The hash
 * algorithms are in kbs/hash.c.
 */
#include <jansson.h>
#include <jose/b64.h>
#include <stdlib.h>
#include <string.h>

#include "core/auto.h"
#include "crypto/jwk.h"
#include "teectl/base64.h"
#include "teectl/bytes.h"
#include "teectl/crypto.h"
#include "teectl/kbs.h"

/* ------------------------------------------------------------- tee-pubkey */

static int only_members(const json_t *o, const char *const *names, size_t n, const char **bad) {
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)o, key, v) {
    size_t i = 0;
    while (i < n && strcmp(key, names[i]) != 0)
      i++;
    if (i == n) {
      *bad = key;
      return 0;
    }
  }
  for (size_t i = 0; i < n; i++)
    if (!json_is_string(json_object_get(o, names[i]))) {
      *bad = names[i];
      return 0;
    }
  return 1;
}

/* Decoded length of a base64url member, SIZE_MAX if it is not base64url. */
static size_t b64_len(const json_t *o, const char *name) {
  return jose_b64_dec(json_object_get(o, name), NULL, 0);
}

tc_status tc_kbs_tee_pubkey_check(const json_t *jwk, tc_error *err) {
  static const char *const ec[] = {"kty", "crv", "alg", "x", "y"};
  static const char *const rsa[] = {"kty", "alg", "n", "e"};
  const char *bad = NULL;
  if (!json_is_object(jwk))
    return tc_fail(err, TC_ERR_PARSE, "tee_pubkey_invalid", "tee-pubkey is not a JSON object");
  const char *kty = json_string_value(json_object_get(jwk, "kty"));
  if (kty && strcmp(kty, "EC") == 0) {
    if (!only_members(jwk, ec, 5, &bad))
      return tc_fail(err, TC_ERR_PARSE, "tee_pubkey_invalid",
                     "EC tee-pubkey member \"%s\" unexpected or not a string (expected kty, "
                     "crv, alg, x, y)",
                     bad);
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    size_t flen = strcmp(crv, "P-256") == 0   ? 32
                  : strcmp(crv, "P-384") == 0 ? 48
                  : strcmp(crv, "P-521") == 0 ? 66
                                              : 0;
    if (!flen)
      return tc_fail(err, TC_ERR_PARSE, "tee_pubkey_invalid",
                     "EC curve \"%s\" (expected P-256, P-384 or P-521)", crv);
    if (strcmp(json_string_value(json_object_get(jwk, "alg")), "ECDH-ES+A256KW") != 0)
      return tc_fail(err, TC_ERR_PARSE, "tee_pubkey_invalid",
                     "EC tee-pubkey alg \"%s\" (expected ECDH-ES+A256KW)",
                     json_string_value(json_object_get(jwk, "alg")));
    if (b64_len(jwk, "x") != flen || b64_len(jwk, "y") != flen)
      return tc_fail(err, TC_ERR_PARSE, "tee_pubkey_invalid",
                     "EC coordinates must be base64url of %zu bytes each (%s)", flen, crv);
  } else if (kty && strcmp(kty, "RSA") == 0) {
    if (!only_members(jwk, rsa, 4, &bad))
      return tc_fail(err, TC_ERR_PARSE, "tee_pubkey_invalid",
                     "RSA tee-pubkey member \"%s\" unexpected or not a string (expected kty, "
                     "alg, n, e)",
                     bad);
    if (strcmp(json_string_value(json_object_get(jwk, "alg")), "RSA-OAEP-256") != 0)
      return tc_fail(err, TC_ERR_PARSE, "tee_pubkey_invalid",
                     "RSA tee-pubkey alg \"%s\" (expected RSA-OAEP-256; RSA1_5 is refused)",
                     json_string_value(json_object_get(jwk, "alg")));
    size_t nl = b64_len(jwk, "n"), el = b64_len(jwk, "e");
    if (nl == SIZE_MAX || el == SIZE_MAX || nl < 256 || nl > 1024 || el < 1 || el > 8)
      return tc_fail(err, TC_ERR_PARSE, "tee_pubkey_invalid",
                     "RSA modulus must be 2048..8192 bits and the exponent 1..8 bytes, "
                     "base64url");
  } else {
    return tc_fail(err, TC_ERR_PARSE, "tee_pubkey_invalid",
                   "tee-pubkey kty must be \"EC\" or \"RSA\"");
  }
  if (!tc_jwk_usable(jwk))
    return tc_fail(err, TC_ERR_PARSE, "tee_pubkey_invalid",
                   "tee-pubkey is not a valid %s public key (point not on the curve?)", kty);
  return TC_OK;
}

tc_status tc_kbs_jwk_thumbprint(const json_t *jwk, char out[44], tc_error *err) {
  const char *kty = json_string_value(json_object_get(jwk, "kty"));
  json_t *req = NULL;
  /* RFC 7638 section 3.2: the required members only, in lexicographic order. */
  if (kty && strcmp(kty, "EC") == 0)
    req = json_pack("{s:O,s:s,s:O,s:O}", "crv", json_object_get(jwk, "crv"), "kty", "EC", "x",
                    json_object_get(jwk, "x"), "y", json_object_get(jwk, "y"));
  else if (kty && strcmp(kty, "RSA") == 0)
    req = json_pack("{s:O,s:s,s:O}", "e", json_object_get(jwk, "e"), "kty", "RSA", "n",
                    json_object_get(jwk, "n"));
  if (!req)
    return tc_fail(err, TC_ERR_PARSE, "tee_pubkey_invalid", "no thumbprint for this JWK");
  char *text = NULL;
  tc_status st = tc_kbs_jcs(req, &text, err);
  json_decref(req);
  if (st != TC_OK)
    return st;
  uint8_t d[64];
  st = tc_kbs_digest(TC_KBS_SHA256, text, strlen(text), d, err);
  free(text);
  if (st != TC_OK)
    return st;
  tc_b64_encode_to(d, 32, TC_B64_URL, out); /* 43 characters and a NUL */
  return TC_OK;
}

tc_status tc_kbs_jwk_akpub(const json_t *jwk, char **out, tc_error *err) {
  *out = NULL;
  TC_AUTO_BUF der = {0};
  tc_status st = tc_jwk_spki_der(jwk, &der, err);
  if (st != TC_OK)
    return st;
  if ((*out = tc_b64_encode(der.data, der.len, TC_B64_URL)) == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "akpub");
  return TC_OK;
}

/* ---------------------------------------------------------------- binding */

tc_status tc_kbs_runtime_data_digest(tc_kbs_hash h, const char *nonce, const json_t *jwk,
                                     const char *additional, uint8_t out[64], tc_error *err) {
  json_t *rd = json_pack("{s:s,s:O,s:s}", "nonce", nonce ? nonce : "", "tee-pubkey", jwk,
                         "additional-evidence", additional ? additional : "");
  if (!rd)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "runtime-data");
  char *text = NULL;
  tc_status st = tc_kbs_jcs(rd, &text, err);
  json_decref(rd);
  if (st != TC_OK)
    return st;
  st = tc_kbs_digest(h, text, strlen(text), out, err);
  free(text);
  return st;
}

tc_status tc_kbs_binding_check(tc_kbs_hash h, const uint8_t report_data[64], const char *nonce,
                               const json_t *jwk, const char *additional, tc_error *err) {
  uint8_t want[64];
  tc_status st = tc_kbs_runtime_data_digest(h, nonce, jwk, additional, want, err);
  if (st != TC_OK)
    return st;
  if (!tc_ct_equal(want, report_data, 64)) {
    char w[129], g[129];
    tc_hex_encode(want, 64, w);
    tc_hex_encode(report_data, 64, g);
    return tc_fail(err, TC_ERR_VERIFY, "binding_mismatch",
                   "report data is not %s of the canonical runtime-data zero-padded: expected "
                   "%s, evidence has %s",
                   tc_kbs_hash_name(h), w, g);
  }
  return TC_OK;
}
