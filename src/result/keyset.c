/* SPDX-License-Identifier: Apache-2.0 */
/* Token keys: the ES256 signing key and the public keys of the JWKS (RFC 7517),
 * loaded from PEM or JWK files, or generated for development mode (libjose).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jose/jose.h>

#include "crypto/jwk.h"
#include "result/internal.h"
#include "teectl/ear.h"
#include "teectl/file.h"

#define KEY_FILE_MAX 65536

static tc_status nomem(tc_error *err) {
  return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "keyset");
}

/* 1 if jwk is an EC P-256 JWK with x and y (and d if need_private), alg absent or ES256,
 * use absent or "sig"; and libjose/OpenSSL accept it as a key (point on the curve). */
int result_jwk_is_es256(const json_t *jwk, int need_private, const char **why) {
  const char *kty = json_string_value(json_object_get(jwk, "kty"));
  const char *crv = json_string_value(json_object_get(jwk, "crv"));
  const json_t *alg = json_object_get(jwk, "alg");
  const json_t *use = json_object_get(jwk, "use");
  *why = NULL;
  if (!json_is_object(jwk))
    *why = "not a JSON object";
  else if (!kty || strcmp(kty, "EC") != 0)
    *why = "kty is not \"EC\"";
  else if (!crv || strcmp(crv, "P-256") != 0)
    *why = "crv is not \"P-256\"";
  else if (!json_is_string(json_object_get(jwk, "x")) || !json_is_string(json_object_get(jwk, "y")))
    *why = "x or y missing";
  else if (need_private && !json_is_string(json_object_get(jwk, "d")))
    *why = "no private part \"d\" (a public key cannot sign)";
  else if (alg && (!json_is_string(alg) || strcmp(json_string_value(alg), "ES256") != 0))
    *why = "alg is not \"ES256\"";
  else if (use && (!json_is_string(use) || strcmp(json_string_value(use), "sig") != 0))
    *why = "use is not \"sig\"";
  if (*why)
    return 0;
  if (!tc_jwk_usable(jwk)) {
    *why = "not a valid P-256 key";
    return 0;
  }
  return 1;
}

/* Public JWK {"kty","crv","x","y","kid","alg","use"} of an ES256 JWK (never "d"). */
static json_t *public_jwk(const json_t *jwk, const char *kid) {
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-256", "x",
                   json_string_value(json_object_get(jwk, "x")), "y",
                   json_string_value(json_object_get(jwk, "y")), "kid", kid, "alg", "ES256", "use",
                   "sig");
}

/* kid of jwk: its "kid" string, else the RFC 7638 SHA-256 thumbprint. New string. */
static char *jwk_kid(const json_t *jwk) {
  const char *kid = json_string_value(json_object_get(jwk, "kid"));
  if (kid && kid[0])
    return strdup(kid);
  json_t *thp = jose_jwk_thp(NULL, jwk, "S256");
  char *out = json_is_string(thp) ? strdup(json_string_value(thp)) : NULL;
  json_decref(thp);
  return out;
}

static void wipe_private(json_t *jwk) {
  json_t *d = json_object_get(jwk, "d");
  if (json_is_string(d))
    explicit_bzero((char *)json_string_value(d), json_string_length(d));
}

void tc_keyset_free(tc_keyset *ks) {
  if (!ks)
    return;
  if (ks->signing) {
    wipe_private(ks->signing);
    json_decref(ks->signing);
  }
  json_decref(ks->keys);
  EVP_PKEY_free(ks->signing_key);
  free(ks->kid);
  free(ks->jws_header);
  free(ks);
}

const char *tc_keyset_signing_kid(const tc_keyset *ks) {
  return ks ? ks->kid : NULL;
}

json_t *tc_keyset_jwks(const tc_keyset *ks) {
  if (!ks)
    return NULL;
  json_t *keys = json_deep_copy(ks->keys);
  return keys ? json_pack("{s:o}", "keys", keys) : NULL;
}

/* The protected header of every token signed with kid (RFC 7515 section 4, RFC 7519
 * section 5.1): {"alg":"ES256","kid":kid,"typ":"JWT"}, compact with sorted keys, in base64url
 * without padding (RFC 4648 section 5). New string, or NULL (out of memory). */
static char *jws_header_b64(const char *kid) {
  json_t *hdr = json_pack("{s:s, s:s, s:s}", "alg", "ES256", "kid", kid, "typ", "JWT");
  char *text = hdr ? json_dumps(hdr, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(hdr);
  size_t n = text ? jose_b64_enc_buf(text, strlen(text), NULL, 0) : SIZE_MAX;
  char *out = n != SIZE_MAX ? malloc(n + 1) : NULL;
  if (out != NULL && jose_b64_enc_buf(text, strlen(text), out, n) != n) {
    free(out);
    out = NULL;
  }
  if (out != NULL)
    out[n] = '\0';
  free(text);
  return out;
}

/* Append the public half of jwk under kid; same kid + same key: skipped. */
static tc_status add_public(tc_keyset *ks, const json_t *jwk, const char *kid, const char *what,
                            tc_error *err) {
  size_t i;
  json_t *k;
  json_array_foreach(ks->keys, i, k) {
    if (strcmp(json_string_value(json_object_get(k, "kid")), kid) != 0)
      continue;
    if (json_equal(json_object_get(k, "x"), json_object_get(jwk, "x")) &&
        json_equal(json_object_get(k, "y"), json_object_get(jwk, "y")))
      return TC_OK;
    return tc_fail(err, TC_ERR_PARSE, "key_kid_duplicate",
                   "%s: kid \"%s\" is already used by a different key", what, kid);
  }
  json_t *pub = public_jwk(jwk, kid);
  if (!pub || json_array_append_new(ks->keys, pub) != 0)
    return nomem(err);
  return TC_OK;
}

tc_status tc_keyset_from_jwks(const json_t *signing_jwk, const json_t *const *public_jwks, size_t n,
                              tc_keyset **out, tc_error *err) {
  const char *why;
  if (!out)
    return tc_fail(err, TC_ERR_USAGE, "key_invalid", "no output");
  *out = NULL;
  if (!result_jwk_is_es256(signing_jwk, 1, &why))
    return tc_fail(err, TC_ERR_PARSE,
                   why && strncmp(why, "no private", 10) == 0 ? "key_invalid" : "key_unsupported",
                   "signing key: %s (an EC P-256 private key is needed for ES256)", why);
  tc_keyset *ks = calloc(1, sizeof *ks);
  if (!ks)
    return nomem(err);
  ks->keys = json_array();
  ks->kid = jwk_kid(signing_jwk);
  /* copies of the strings (never shared with the caller's objects, which may be wiped) */
  ks->signing = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-256",
                          "x", json_string_value(json_object_get(signing_jwk, "x")), "y",
                          json_string_value(json_object_get(signing_jwk, "y")), "d",
                          json_string_value(json_object_get(signing_jwk, "d")), "kid",
                          ks->kid ? ks->kid : "", "alg", "ES256", "use", "sig");
  if (!ks->keys || !ks->kid || !ks->signing || (ks->jws_header = jws_header_b64(ks->kid)) == NULL ||
      (ks->signing_key = tc_ec_key_from_jwk(ks->signing)) == NULL) {
    tc_keyset_free(ks);
    return nomem(err);
  }
  tc_status st = add_public(ks, signing_jwk, ks->kid, "signing key", err);
  for (size_t i = 0; st == TC_OK && i < n; i++) {
    char what[32];
    snprintf(what, sizeof what, "public key %zu", i + 1);
    if (!result_jwk_is_es256(public_jwks[i], 0, &why)) {
      st =
          tc_fail(err, TC_ERR_PARSE, "key_unsupported", "%s: %s (ES256 needs EC P-256)", what, why);
      break;
    }
    char *kid = jwk_kid(public_jwks[i]);
    if (!kid) {
      st = nomem(err);
      break;
    }
    st = add_public(ks, public_jwks[i], kid, what, err);
    free(kid);
  }
  if (st != TC_OK) {
    tc_keyset_free(ks);
    return st;
  }
  *out = ks;
  return TC_OK;
}

/* Read one key file (PEM or JWK) into a JWK (new ref). */
static tc_status load_key_file(const char *path, int want_private, json_t **jwk, tc_error *err) {
  tc_buf buf = {0};
  *jwk = NULL;
  tc_error ferr;
  if (tc_file_read(path, KEY_FILE_MAX, &buf, &ferr) != TC_OK)
    return tc_fail(err, TC_ERR_IO, "key_unreadable", "%s: %s", path, ferr.detail);
  size_t i = 0;
  while (i < buf.len &&
         (buf.data[i] == ' ' || buf.data[i] == '\n' || buf.data[i] == '\r' || buf.data[i] == '\t'))
    i++;
  tc_status st = TC_OK;
  if (i < buf.len && buf.data[i] == '{') {
    json_error_t jerr;
    *jwk = json_loadb((const char *)buf.data, buf.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!*jwk)
      st = tc_fail(err, TC_ERR_PARSE, "key_invalid", "%s:%d:%d: JWK is not valid JSON: %s", path,
                   jerr.line, jerr.column, jerr.text);
  } else {
    st = tc_jwk_from_pem(buf.data, buf.len, want_private, path, jwk, err);
  }
  explicit_bzero(buf.data, buf.len);
  tc_buf_free(&buf);
  if (st == TC_OK && want_private) {
    const char *why;
    if (!result_jwk_is_es256(*jwk, 1, &why))
      st = tc_fail(err, TC_ERR_PARSE,
                   strncmp(why, "no private", 10) == 0 || strncmp(why, "not a JSON", 10) == 0
                       ? "key_invalid"
                       : "key_unsupported",
                   "%s: %s (the signing key must be an EC P-256 private key)", path, why);
  } else if (st == TC_OK) {
    const char *why;
    if (!result_jwk_is_es256(*jwk, 0, &why))
      st = tc_fail(err, TC_ERR_PARSE,
                   strncmp(why, "not a JSON", 10) == 0 ? "key_invalid" : "key_unsupported",
                   "%s: %s (public keys must be EC P-256)", path, why);
  }
  if (st != TC_OK && *jwk) {
    wipe_private(*jwk);
    json_decref(*jwk);
    *jwk = NULL;
  }
  return st;
}

tc_status tc_keyset_load(const char *signing_key_file, const char *const *public_key_files,
                         size_t n, tc_keyset **out, tc_error *err) {
  if (!out || !signing_key_file || (n && !public_key_files))
    return tc_fail(err, TC_ERR_USAGE, "key_invalid", "no signing key file");
  *out = NULL;
  json_t *sig = NULL;
  json_t **pubs = n ? calloc(n, sizeof(json_t *)) : NULL;
  if (n && !pubs)
    return nomem(err);
  tc_status st = load_key_file(signing_key_file, 1, &sig, err);
  for (size_t i = 0; st == TC_OK && i < n; i++) {
    st = load_key_file(public_key_files[i], 0, &pubs[i], err);
    if (st == TC_OK) /* only the public half is kept from a public key file */
      json_object_del(pubs[i], "d");
  }
  if (st == TC_OK) {
    /* "public key N" in messages: N-th of public_key_files */
    st = tc_keyset_from_jwks(sig, (const json_t *const *)pubs, n, out, err);
  }
  if (sig) {
    wipe_private(sig);
    json_decref(sig);
  }
  for (size_t i = 0; i < n; i++)
    json_decref(pubs[i]);
  free(pubs);
  return st;
}

tc_status tc_keyset_generate_ephemeral(tc_keyset **out, tc_error *err) {
  if (!out)
    return tc_fail(err, TC_ERR_USAGE, "key_invalid", "no output");
  *out = NULL;
  json_t *jwk = json_pack("{s:s, s:s}", "kty", "EC", "crv", "P-256");
  if (!jwk)
    return nomem(err);
  if (!jose_jwk_gen(NULL, jwk)) {
    json_decref(jwk);
    return tc_fail(err, TC_ERR_INTERNAL, "key_generation_failed",
                   "libjose could not generate a "
                   "P-256 key");
  }
  tc_status st = tc_keyset_from_jwks(jwk, NULL, 0, out, err);
  wipe_private(jwk);
  json_decref(jwk);
  return st;
}
