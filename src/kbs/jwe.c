/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — the KBS resource response: a JWE (RFC 7516) in flattened JSON serialization,
 * made with libjose: content A256GCM (RFC 7518 section 5.3), key ECDH-ES+A256KW (section 4.6,
 * ephemeral key in the protected "epk") for EC tee-pubkeys or RSA-OAEP-256 (section 4.3) for
 * RSA ones. The guest (guest-components kbs_protocol keypair.rs, kbs-types ProtectedHeader)
 * parses "protected", serializes it again (alg, enc, then the other members as serde_json's
 * sorted map, compact) and uses base64url of that as the AAD, so the header is built to be
 * exactly that text.
 *
 * RSA-OAEP-256 key wrapping is the one step libjose does not do: Debian 12's libjose 11
 * detects OAEP support with "#ifdef EVP_PKEY_CTX_set_rsa_oaep_md", a macro in OpenSSL 1.1 but
 * a function in OpenSSL 3, so that build knows only RSA1_5. The CEK is still made by libjose
 * and the content still encrypted by it; only RSAES-OAEP (RFC 8017 section 7.1, SHA-256 and
 * MGF1-SHA-256, RFC 7518 section 4.3) of the 32 CEK bytes is the crypto module's
 * (tc_jwk_rsa_oaep256_encrypt).
 */
#include <jansson.h>
#include <jose/b64.h>
#include <jose/jwe.h>
#include <jose/jwk.h>
#include <stdlib.h>
#include <string.h>

#include "core/auto.h"
#include "crypto/jwk.h"
#include "teectl/base64.h"
#include "teectl/crypto.h"
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
  uint8_t k[32];
  TC_AUTO_BUF ct = {0};
  int ok = json_object_set_new(cek, "alg", json_string("A256GCM")) == 0 &&
           jose_jwk_gen(NULL, cek) &&
           jose_b64_dec(json_object_get(cek, "k"), k, sizeof k) == sizeof k &&
           tc_jwk_rsa_oaep256_encrypt(jwk, k, sizeof k, &ct, NULL) == TC_OK &&
           json_object_set_new(jwe, "encrypted_key", jose_b64_enc(ct.data, ct.len)) == 0;
  tc_cleanse(k, sizeof k);
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
    uint8_t *dec = pl ? malloc(pl) : NULL;
    size_t dl = dec ? tc_b64_decode_to(p, pl, TC_B64_URL, dec, pl) : SIZE_MAX;
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
