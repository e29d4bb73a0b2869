/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — the KBS resource response: a JWE (RFC 7516) in flattened JSON serialization,
 * made with libjose: content A256GCM (RFC 7518 section 5.3), key ECDH-ES+A256KW (section 4.6,
 * ephemeral key in the protected "epk") for EC tee-pubkeys or RSA-OAEP-256 (section 4.3) for
 * RSA ones. The guest (guest-components kbs_protocol keypair.rs, kbs-types ProtectedHeader)
 * parses "protected", serializes it again (alg, enc, then the other members as serde_json's
 * sorted map, compact) and uses base64url of that as the AAD, so the header is built to be
 * exactly that text.
 *
 * RSA-OAEP-256 key wrapping is the one step done with OpenSSL directly: Debian 12's libjose 11
 * detects OAEP support with "#ifdef EVP_PKEY_CTX_set_rsa_oaep_md", a macro in OpenSSL 1.1 but
 * a function in OpenSSL 3, so that build knows only RSA1_5. The CEK is still made by libjose
 * and the content still encrypted by it; only RSAES-OAEP (RFC 8017 section 7.1, SHA-256 and
 * MGF1-SHA-256, RFC 7518 section 4.3) of the 32 CEK bytes is ours.
 */
#include <jansson.h>
#include <jose/b64.h>
#include <jose/jwe.h>
#include <jose/jwk.h>
#include <jose/openssl.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "teectl/kbs.h"

char *tc_kbs_protected_header_text(const json_t *header) {
  const json_t *alg = json_object_get(header, "alg"), *enc = json_object_get(header, "enc");
  if (!json_is_string(alg) || !json_is_string(enc))
    return NULL;
  json_t *rest = json_deep_copy(header);
  if (!rest)
    return NULL;
  json_object_del(rest, "alg");
  json_object_del(rest, "enc");
  char *a = json_dumps(alg, JSON_ENCODE_ANY);
  char *e = json_dumps(enc, JSON_ENCODE_ANY);
  char *r = json_dumps(rest, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(rest);
  char *out = NULL;
  if (a && e && r) {
    size_t n = strlen(a) + strlen(e) + strlen(r) + 32;
    out = malloc(n);
    if (out) {
      /* r is "{}" or "{...}": splice its members after alg and enc */
      int more = strcmp(r, "{}") != 0;
      snprintf(out, n, "{\"alg\":%s,\"enc\":%s%s%s", a, e, more ? "," : "}", more ? r + 1 : "");
    }
  }
  free(a);
  free(e);
  free(r);
  return out;
}

static tc_status fail(tc_error *err, const char *what) {
  return tc_fail(err, TC_ERR_INTERNAL, "jwe_failed", "JWE: %s", what);
}

/* RSA-OAEP-256: a fresh A256GCM CEK from libjose, wrapped with RSAES-OAEP SHA-256. */
static int wrap_rsa_oaep256(json_t *jwe, const json_t *jwk, json_t *cek) {
  uint8_t k[32], *ct = NULL;
  size_t ctl = 0;
  int ok = 0;
  EVP_PKEY *pk = jose_openssl_jwk_to_EVP_PKEY(NULL, jwk);
  EVP_PKEY_CTX *c = pk ? EVP_PKEY_CTX_new(pk, NULL) : NULL;
  if (json_object_set_new(cek, "alg", json_string("A256GCM")) == 0 && jose_jwk_gen(NULL, cek) &&
      jose_b64_dec(json_object_get(cek, "k"), k, sizeof k) == sizeof k && c &&
      EVP_PKEY_encrypt_init(c) > 0 && EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) > 0 &&
      EVP_PKEY_CTX_set_rsa_oaep_md(c, EVP_sha256()) > 0 &&
      EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha256()) > 0 &&
      EVP_PKEY_encrypt(c, NULL, &ctl, k, sizeof k) > 0 && (ct = malloc(ctl)) != NULL &&
      EVP_PKEY_encrypt(c, ct, &ctl, k, sizeof k) > 0)
    ok = json_object_set_new(jwe, "encrypted_key", jose_b64_enc(ct, ctl)) == 0;
  OPENSSL_cleanse(k, sizeof k);
  free(ct);
  EVP_PKEY_CTX_free(c);
  EVP_PKEY_free(pk);
  return ok;
}

tc_status tc_kbs_jwe_encrypt(const json_t *tee_pubkey, const uint8_t *plaintext, size_t len,
                             json_t **out, tc_error *err) {
  *out = NULL;
  tc_status st = tc_kbs_tee_pubkey_check(tee_pubkey, err);
  if (st != TC_OK)
    return st;
  const char *kty = json_string_value(json_object_get(tee_pubkey, "kty"));
  const char *alg = strcmp(kty, "EC") == 0 ? "ECDH-ES+A256KW" : "RSA-OAEP-256";
  json_t *jwe = json_pack("{s:{s:s,s:s}}", "protected", "alg", alg, "enc", "A256GCM");
  json_t *cek = json_object();
  char *want = NULL;
  st = jwe && cek ? TC_OK : tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "JWE");
  /* 1. wrap a fresh CEK; libjose puts the per-recipient header (epk) and encrypted_key at
   *    the top level for a single recipient (flattened form). */
  int rsa = strcmp(alg, "RSA-OAEP-256") == 0;
  if (st == TC_OK && rsa && !wrap_rsa_oaep256(jwe, tee_pubkey, cek))
    st = fail(err, "RSA-OAEP-256 wrapping of the content key failed");
  if (st == TC_OK && !rsa && !jose_jwe_enc_jwk(NULL, jwe, NULL, tee_pubkey, cek))
    st = fail(err, "wrapping the content key to the tee-pubkey failed");
  /* 2. move the unprotected header members into the protected header (the AAD covers them,
   *    and the guest reads epk from the protected header). */
  if (st == TC_OK) {
    json_t *prot = json_object_get(jwe, "protected");
    json_t *hdr = json_object_get(jwe, "header");
    if (hdr && json_object_update_missing(prot, hdr) != 0)
      st = fail(err, "header");
    json_object_del(jwe, "header");
    want = st == TC_OK ? tc_kbs_protected_header_text(prot) : NULL;
    if (st == TC_OK && !want)
      st = fail(err, "protected header");
  }
  /* 3. encrypt; libjose encodes the protected object itself (compact, sorted keys) */
  if (st == TC_OK && !jose_jwe_enc_cek(NULL, jwe, cek, plaintext, len))
    st = fail(err, "A256GCM encryption failed");
  /* 4. the protected text must be what kbs-types re-serializes, or the guest's AAD differs */
  if (st == TC_OK) {
    const char *p = json_string_value(json_object_get(jwe, "protected"));
    size_t wl = strlen(want), pl = p ? strlen(p) : 0;
    char *dec = pl ? malloc(pl) : NULL;
    size_t dl = dec ? jose_b64_dec_buf(p, pl, dec, pl) : SIZE_MAX;
    if (dl != wl || memcmp(dec, want, wl) != 0)
      st = fail(err, "protected header not in the kbs-types form");
    free(dec);
  }
  if (st == TC_OK) {
    static const char *const members[] = {"protected", "encrypted_key", "iv", "ciphertext", "tag"};
    json_t *flat = json_object();
    for (size_t i = 0; flat && i < 5; i++) {
      json_t *v = json_object_get(jwe, members[i]);
      if (!json_is_string(v) || json_object_set(flat, members[i], v) != 0) {
        json_decref(flat);
        flat = NULL;
      }
    }
    if (!flat || json_object_size(jwe) != 5)
      st = fail(err, "unexpected JWE members");
    else
      *out = json_incref(flat);
    json_decref(flat);
  }
  if (cek)
    json_object_clear(cek);
  json_decref(cek);
  json_decref(jwe);
  free(want);
  return st;
}
