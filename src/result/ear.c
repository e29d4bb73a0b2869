/* SPDX-License-Identifier: Apache-2.0 */
/* EAR attestation results (draft-ietf-rats-ear) as JWTs (RFC 7519) signed ES256
 * (RFC 7518 section 3.4) with libjose; and their verification against a JWKS.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jose/jose.h>

#include "crypto/ecdsa.h"
#include "result/internal.h"
#include "teectl/appraisal.h"
#include "teectl/crypto.h"
#include "teectl/ear.h"
#include "teectl/rfc3339.h"
#include "teectl/version.h"

#define TOKEN_MAX_LEN 1048576 /* 1 MiB */

static tc_status nomem(tc_error *err) {
  return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "token");
}

static int valid_status_name(const json_t *v) {
  int s = tc_ear_status_from_name(json_string_value(v));
  return s >= 0;
}

/* The compact JWS (RFC 7515 section 7.1) of payload (len bytes): the keyset's protected
 * header {"alg":"ES256","kid","typ":"JWT"} (sorted, compact, base64url: made once at load),
 * the payload in base64url without padding (RFC 4648 section 5), and the ES256 signature
 * (RFC 7518 section 3.4: r || s, 32 bytes each) made with the keyset's signing key object,
 * made once at load. */
static tc_status sign_compact(const tc_keyset *ks, const char *payload, size_t pl, char **jwt,
                              tc_error *err) {
  size_t hb = strlen(ks->jws_header), pb = jose_b64_enc_buf(payload, pl, NULL, 0);
  uint8_t sig[64];
  size_t sb = jose_b64_enc_buf(sig, sizeof sig, NULL, 0);
  char *out = malloc(hb + pb + sb + 3);
  if (out == NULL)
    return nomem(err);
  memcpy(out, ks->jws_header, hb);
  out[hb] = '.';
  tc_status st = TC_OK;
  if (jose_b64_enc_buf(payload, pl, out + hb + 1, pb) != pb)
    st = tc_fail(err, TC_ERR_INTERNAL, "token_signing_failed", "base64url encoding failed");
  if (st == TC_OK) {
    st = tc_ecdsa_sign_raw(ks->signing_key, TC_EC_P256, TC_HASH_SHA256, (const uint8_t *)out,
                           hb + 1 + pb, sig, sizeof sig, err);
    if (st != TC_OK || jose_b64_enc_buf(sig, sizeof sig, out + hb + pb + 2, sb) != sb)
      st = tc_fail(err, TC_ERR_INTERNAL, "token_signing_failed", "ES256 signing failed");
  }
  if (st != TC_OK) {
    free(out);
    return st;
  }
  out[hb + 1 + pb] = '.';
  out[hb + pb + sb + 2] = '\0';
  *jwt = out;
  return TC_OK;
}

tc_status tc_ear_issue(const tc_keyset *ks, const tc_ear_params *params, const char *tee,
                       const json_t *appraisal, const json_t *runtime_data, char **jwt,
                       tc_error *err) {
  if (!jwt)
    return tc_fail(err, TC_ERR_USAGE, "ear_params_invalid", "no output");
  *jwt = NULL;
  if (!ks || !params || !tee || !tee[0])
    return tc_fail(err, TC_ERR_USAGE, "ear_params_invalid", "keyset, parameters and tee needed");
  if (params->ttl <= 0 || params->ttl > TC_EAR_MAX_TTL)
    return tc_fail(err, TC_ERR_USAGE, "ear_params_invalid", "ttl must be 1..%d seconds (got %lld)",
                   TC_EAR_MAX_TTL, (long long)params->ttl);
  if (params->iat < 0 || params->iat > TC_EAR_MAX_IAT)
    return tc_fail(err, TC_ERR_USAGE, "ear_params_invalid",
                   "iat %lld is outside 1970..9999 (seconds since the epoch)",
                   (long long)params->iat);
  if (!json_is_object(appraisal) || !valid_status_name(json_object_get(appraisal, "ear.status")))
    return tc_fail(err, TC_ERR_USAGE, "ear_params_invalid",
                   "the appraisal has no valid \"ear.status\"");

  char jti[TC_TOKEN_ID_LEN + 1];
  if (!params->jti && tc_token_id(jti, NULL) != TC_OK)
    return tc_fail(err, TC_ERR_INTERNAL, "token_signing_failed", "no random bytes for jti");

  char build[64];
  snprintf(build, sizeof build, "teectl %s", TEECTL_VERSION);
  /* The appraisal goes in by reference; a shallow copy only to add runtime_data beside it
   * (the caller's object is never changed). */
  json_t *submod = runtime_data ? json_copy((json_t *)appraisal) : json_incref((json_t *)appraisal);
  json_t *claims = json_pack(
      "{s:s, s:I, s:I, s:I, s:s, s:{s:s, s:s}, s:{}}", "eat_profile",
      params->profile ? params->profile : TC_EAR_PROFILE, "iat", (json_int_t)params->iat, "nbf",
      (json_int_t)params->iat, "exp", (json_int_t)params->iat + (json_int_t)params->ttl, "jti",
      params->jti ? params->jti : jti, "ear.verifier-id", "build",
      params->verifier_build ? params->verifier_build : build, "developer",
      params->verifier_developer ? params->verifier_developer : "teectl", "submods");
  if (!submod || !claims)
    goto nomem;
  if (params->issuer && json_object_set_new(claims, "iss", json_string(params->issuer)) != 0)
    goto nomem;
  if (params->nonce && json_object_set_new(claims, "eat_nonce", json_string(params->nonce)) != 0)
    goto nomem;
  if (runtime_data && json_object_set(submod, "runtime_data", (json_t *)runtime_data) != 0)
    goto nomem;
  if (json_object_set_new(json_object_get(claims, "submods"), tee, submod) != 0) {
    submod = NULL;
    goto nomem;
  }
  submod = NULL;

  char *payload = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(claims);
  claims = NULL;
  if (!payload)
    goto nomem;
  tc_status st = sign_compact(ks, payload, strlen(payload), jwt, err);
  free(payload);
  return st;

nomem:
  json_decref(submod);
  json_decref(claims);
  return nomem(err);
}

/* ---- verification ---------------------------------------------------------------- */

/* Check one part of a compact JWS: non-empty base64url (RFC 7515 section 2, no padding);
 * the detail says what is wrong with which part. */
static tc_status check_b64url_part(const char *what, const char *s, size_t n, tc_error *err) {
  if (n == 0)
    return tc_fail(err, TC_ERR_PARSE, "token_malformed", "the %s part is empty", what);
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_')) {
      unsigned char u = (unsigned char)c;
      if (u >= 0x21 && u < 0x7f)
        return tc_fail(err, TC_ERR_PARSE, "token_malformed",
                       "the %s part is not base64url: '%c' at offset %zu", what, c, i);
      return tc_fail(err, TC_ERR_PARSE, "token_malformed",
                     "the %s part is not base64url: byte 0x%02x at offset %zu", what, u, i);
    }
  }
  if (n % 4 == 1)
    return tc_fail(err, TC_ERR_PARSE, "token_malformed",
                   "the %s part is not base64url: %zu characters is no possible length "
                   "(truncated?)",
                   what, n);
  return TC_OK;
}

/* Decode a base64url part (already checked) and parse it as a JSON object, saying what is
 * wrong on failure. */
static tc_status decode_json_part_err(const char *what, const char *s, size_t n, json_t **out,
                                      tc_error *err) {
  *out = NULL;
  size_t dl = jose_b64_dec_buf(s, n, NULL, 0);
  if (dl == SIZE_MAX)
    return tc_fail(err, TC_ERR_PARSE, "token_malformed", "the %s part is not base64url", what);
  char *buf = malloc(dl + 1);
  if (!buf)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "token %s", what);
  json_error_t jerr;
  json_t *j = NULL;
  if (jose_b64_dec_buf(s, n, buf, dl) != dl) {
    free(buf);
    return tc_fail(err, TC_ERR_PARSE, "token_malformed", "the %s part is not base64url", what);
  }
  j = json_loadb(buf, dl, JSON_REJECT_DUPLICATES, &jerr);
  free(buf);
  if (!j)
    return tc_fail(err, TC_ERR_PARSE, "token_malformed",
                   "the %s is not JSON: %s (line %d, column %d)", what, jerr.text, jerr.line,
                   jerr.column);
  if (!json_is_object(j)) {
    json_decref(j);
    return tc_fail(err, TC_ERR_PARSE, "token_malformed", "the %s is JSON but not an object", what);
  }
  *out = j;
  return TC_OK;
}

/* The JWK with this kid in jwks ({"keys": [...]} or a single JWK). */
static const json_t *find_kid(const json_t *jwks, const char *kid) {
  const json_t *keys = json_object_get(jwks, "keys");
  if (!keys) {
    const char *k = json_string_value(json_object_get(jwks, "kid"));
    return k && strcmp(k, kid) == 0 ? jwks : NULL;
  }
  size_t i;
  const json_t *k;
  json_array_foreach(keys, i, k) {
    const char *id = json_string_value(json_object_get(k, "kid"));
    if (id && strcmp(id, kid) == 0)
      return k;
  }
  return NULL;
}

static tc_status check_ear_claims(const json_t *claims, int64_t now, int64_t leeway,
                                  tc_error *err) {
  const json_t *exp = json_object_get(claims, "exp");
  const json_t *iat = json_object_get(claims, "iat");
  const json_t *nbf = json_object_get(claims, "nbf");
  char a[21], b[21];
  if (!json_is_integer(exp) || !json_is_integer(iat) || (nbf && !json_is_integer(nbf)))
    return tc_fail(err, TC_ERR_VERIFY, "token_claims_invalid",
                   "exp and iat must be integers (seconds), nbf an integer if present");
  /* comparisons arranged so that no claim value can overflow them */
  json_int_t e = json_integer_value(exp), i = json_integer_value(iat);
  json_int_t nb = nbf ? json_integer_value(nbf) : INT64_MIN;
  if (e <= INT64_MAX - leeway && now >= e + leeway)
    return tc_fail(err, TC_ERR_VERIFY, "token_expired", "token expired at %s (now %s)",
                   tc_rfc3339_format(e, a), tc_rfc3339_format(now, b));
  if (nb >= INT64_MIN + leeway && now < nb - leeway)
    return tc_fail(err, TC_ERR_VERIFY, "token_not_yet_valid", "token valid from %s (now %s)",
                   tc_rfc3339_format(nb, a), tc_rfc3339_format(now, b));
  if (i >= INT64_MIN + leeway && i - leeway > now)
    return tc_fail(err, TC_ERR_VERIFY, "token_not_yet_valid", "token issued at %s (now %s)",
                   tc_rfc3339_format(i, a), tc_rfc3339_format(now, b));
  if (!json_is_string(json_object_get(claims, "eat_profile")))
    return tc_fail(err, TC_ERR_VERIFY, "token_claims_invalid", "eat_profile missing");
  const json_t *submods = json_object_get(claims, "submods");
  if (!json_is_object(submods) || json_object_size(submods) == 0)
    return tc_fail(err, TC_ERR_VERIFY, "token_claims_invalid", "submods missing or empty");
  const char *name;
  const json_t *sm;
  json_object_foreach((json_t *)submods, name, sm) {
    if (!valid_status_name(json_object_get(sm, "ear.status")))
      return tc_fail(err, TC_ERR_VERIFY, "token_claims_invalid",
                     "submods.%s has no valid ear.status", name);
  }
  return TC_OK;
}

tc_status tc_ear_verify(const char *jwt, const json_t *jwks, int64_t now, int64_t leeway,
                        json_t **claims, tc_error *err) {
  if (!claims)
    return tc_fail(err, TC_ERR_USAGE, "token_malformed", "no output");
  *claims = NULL;
  if (leeway < 0 || leeway > 3600)
    return tc_fail(err, TC_ERR_USAGE, "token_malformed", "leeway %lld s is not in 0..3600",
                   (long long)leeway);
  if (!json_is_object(jwks) ||
      (json_object_get(jwks, "keys") ? !json_is_array(json_object_get(jwks, "keys"))
                                     : !json_is_string(json_object_get(jwks, "kty"))))
    return tc_fail(err, TC_ERR_PARSE, "jwks_invalid",
                   "expected a JWK set {\"keys\": [...]} or a single JWK");
  if (!jwt)
    return tc_fail(err, TC_ERR_PARSE, "token_malformed", "no token");
  size_t len = strnlen(jwt, TOKEN_MAX_LEN + 1);
  if (len > TOKEN_MAX_LEN)
    return tc_fail(err, TC_ERR_PARSE, "token_malformed", "token longer than %d bytes",
                   TOKEN_MAX_LEN);
  /* Shape first (three parts), then the header alone: a token whose header names another
   * alg (e.g. "none" with an empty signature) is token_alg_unsupported whatever follows. */
  size_t dots = 0;
  for (size_t i = 0; i < len; i++)
    dots += jwt[i] == '.';
  if (dots != 2)
    return tc_fail(err, TC_ERR_PARSE, "token_malformed",
                   "expected 3 parts separated by '.' (JWS compact form header.payload.signature), "
                   "found %zu",
                   dots + 1);
  const char *d1 = memchr(jwt, '.', len);
  const char *d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jwt));
  size_t hl = (size_t)(d1 - jwt), pl = (size_t)(d2 - d1 - 1), sl = len - (size_t)(d2 + 1 - jwt);
  tc_status pst = check_b64url_part("header", jwt, hl, err);
  if (pst != TC_OK)
    return pst;
  json_t *hdr = NULL;
  if ((pst = decode_json_part_err("header", jwt, hl, &hdr, err)) != TC_OK)
    return pst;
  const char *alg = json_string_value(json_object_get(hdr, "alg"));
  const char *typ = json_string_value(json_object_get(hdr, "typ"));
  const json_t *typv = json_object_get(hdr, "typ");
  char kid[256] = "";
  const char *k = json_string_value(json_object_get(hdr, "kid"));
  if (k)
    snprintf(kid, sizeof kid, "%s", k);
  tc_status st = TC_OK;
  if (!alg || strcmp(alg, "ES256") != 0)
    st = tc_fail(err, TC_ERR_VERIFY, "token_alg_unsupported",
                 "alg \"%s\" is not accepted: only ES256", alg ? alg : "(missing)");
  else if (json_object_get(hdr, "crit"))
    st = tc_fail(err, TC_ERR_VERIFY, "token_alg_unsupported",
                 "header has \"crit\" extensions, none are supported");
  else if (typv && (!typ || strcmp(typ, "JWT") != 0))
    st = tc_fail(err, TC_ERR_VERIFY, "token_alg_unsupported", "typ is not \"JWT\"");
  else if (!k || !k[0] || strlen(k) >= sizeof kid)
    st = tc_fail(err, TC_ERR_VERIFY, "token_kid_unknown", "header has no usable \"kid\"");
  json_decref(hdr);
  if (st != TC_OK)
    return st;
  if ((st = check_b64url_part("payload", d1 + 1, pl, err)) != TC_OK ||
      (st = check_b64url_part("signature", d2 + 1, sl, err)) != TC_OK)
    return st;

  const json_t *key = find_kid(jwks, kid);
  const char *why = NULL;
  if (!key)
    return tc_fail(err, TC_ERR_VERIFY, "token_kid_unknown", "kid \"%s\" is not in the JWKS", kid);
  if (!result_jwk_is_es256(key, 0, &why))
    return tc_fail(err, TC_ERR_VERIFY, "token_kid_unknown", "JWKS key \"%s\" is unusable: %s", kid,
                   why);
  /* Only the public parameters, pinned to ES256, go to libjose. */
  json_t *vkey =
      json_pack("{s:s, s:s, s:O, s:O, s:s}", "kty", "EC", "crv", "P-256", "x",
                json_object_get(key, "x"), "y", json_object_get(key, "y"), "alg", "ES256");
  json_t *jws = json_pack("{s:s%, s:s%, s:s%}", "protected", jwt, hl, "payload", d1 + 1, pl,
                          "signature", d2 + 1, sl);
  if (!vkey || !jws) {
    json_decref(vkey);
    json_decref(jws);
    return nomem(err);
  }
  bool ok = jose_jws_ver(NULL, jws, NULL, vkey, false);
  json_decref(vkey);
  json_decref(jws);
  if (!ok)
    return tc_fail(err, TC_ERR_VERIFY, "token_signature_invalid",
                   "ES256 signature does not verify with JWKS key \"%s\"", kid);

  json_t *payload = NULL;
  if ((st = decode_json_part_err("payload", d1 + 1, pl, &payload, err)) != TC_OK)
    return st;
  st = check_ear_claims(payload, now, leeway, err);
  if (st != TC_OK) {
    json_decref(payload);
    return st;
  }
  *claims = payload;
  return TC_OK;
}
