/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — stateless KBS sessions: the whole session state sealed into the
 * kbs-session-id cookie with AES-256-GCM (NIST SP 800-38D) under a key derived with
 * HKDF-SHA-256 (RFC 5869) from a secret every replica shares. Any replica with the same
 * secret serves any step; nothing is stored on the server.
 *
 * Cookie value: base64url (RFC 4648 section 5, no padding) of
 *   0x01 (format) || IV (12 bytes) || ciphertext || tag (16 bytes),
 * AAD "teectl-kbs-session-v1", plaintext the session as compact JSON:
 *   {"v":1,"tee","hash","nonce" (base64url),"exp", and when attested "jti","jkt",
 *    "jwk","status","measurement","init_data","evidence"}.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "teectl/base64.h"
#include "teectl/crypto.h"
#include "teectl/kbs.h"

#define FORMAT 0x01
#define TAG_LEN TC_AES256GCM_TAG_LEN
_Static_assert(TC_KBS_SESSION_IV_LEN == TC_AES256GCM_IV_LEN, "AES-GCM IV of 96 bits");
#define MAX_TEXT 4096
static const char AAD[] = "teectl-kbs-session-v1";

tc_status tc_kbs_session_key_derive(const uint8_t *secret, size_t len, tc_kbs_session_key *out,
                                    tc_error *err) {
  if (len < TC_KBS_SESSION_SECRET_MIN)
    return tc_fail(err, TC_ERR_USAGE, "session_key_too_short",
                   "session secret has %zu bytes, at least %d are needed", len,
                   TC_KBS_SESSION_SECRET_MIN);
  static const char info[] = "teectl kbs session v1";
  _Static_assert(sizeof out->k == TC_AES256GCM_KEY_LEN, "AES-256 key");
  if (tc_hkdf(TC_HASH_SHA256, secret, len, NULL, 0, (const uint8_t *)info, sizeof info - 1, out->k,
              sizeof out->k, NULL) != TC_OK)
    return tc_fail(err, TC_ERR_INTERNAL, "internal_error", "HKDF-SHA-256 failed");
  return TC_OK;
}

void tc_kbs_session_clear(tc_kbs_session *s) {
  if (!s)
    return;
  json_decref(s->tee_pubkey);
  memset(s, 0, sizeof *s);
}

static json_t *session_json(const tc_kbs_session *s) {
  char nonce[64];
  _Static_assert(sizeof s->nonce * 4 / 3 + 3 < sizeof nonce, "nonce text");
  tc_b64_encode_to(s->nonce, sizeof s->nonce, TC_B64_URL, nonce);
  json_t *o =
      json_pack("{s:i,s:s,s:s,s:s,s:I}", "v", 1, "tee", tc_tee_name(s->tee), "hash",
                tc_kbs_hash_name(s->hash), "nonce", nonce, "exp", (json_int_t)s->expires_at);
  if (o && s->attested) {
    json_t *a = json_pack("{s:s,s:s,s:O,s:s,s:s,s:s,s:s}", "jti", s->jti, "jkt", s->jkt, "jwk",
                          s->tee_pubkey, "status", s->status, "measurement", s->measurement,
                          "init_data", s->init_data, "evidence", s->evidence_sha256);
    int bad = !a || json_object_update(o, a) != 0;
    json_decref(a);
    if (bad) {
      json_decref(o);
      return NULL;
    }
  }
  return o;
}

static int copy_str(char *dst, size_t cap, const json_t *v) {
  const char *s = json_string_value(v);
  if (!s || strlen(s) >= cap)
    return -1;
  memcpy(dst, s, strlen(s) + 1);
  return 0;
}

tc_status tc_kbs_session_seal(const tc_kbs_session_key *key, const tc_kbs_session *s,
                              const uint8_t iv[TC_KBS_SESSION_IV_LEN], char **out, tc_error *err) {
  *out = NULL;
  json_t *o = session_json(s);
  char *pt = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  if (!pt)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "session");
  size_t ptl = strlen(pt), raw_len = 1 + TC_KBS_SESSION_IV_LEN + ptl + TAG_LEN;
  uint8_t *raw = malloc(raw_len);
  int ok = raw != NULL;
  if (ok) {
    raw[0] = FORMAT;
    memcpy(raw + 1, iv, TC_KBS_SESSION_IV_LEN);
    ok = tc_aes256gcm_seal(key->k, iv, AAD, sizeof AAD - 1, pt, ptl,
                           raw + 1 + TC_KBS_SESSION_IV_LEN, NULL) == TC_OK;
  }
  char *text = ok ? tc_b64_encode(raw, raw_len, TC_B64_URL) : NULL;
  tc_cleanse(pt, ptl);
  free(pt);
  free(raw);
  if (text == NULL)
    return tc_fail(err, TC_ERR_INTERNAL, "internal_error", "AES-256-GCM sealing failed");
  *out = text;
  return TC_OK;
}

static tc_status from_json(const json_t *o, tc_kbs_session *s, tc_error *err) {
  uint8_t nonce[TC_KBS_NONCE_LEN + 1];
  json_int_t v = 0, exp = 0;
  const char *tee = NULL, *hash = NULL, *nonce_text = NULL;
  if (json_unpack((json_t *)o, "{s:I,s:s,s:s,s:s,s:I}", "v", &v, "tee", &tee, "hash", &hash,
                  "nonce", &nonce_text, "exp", &exp) != 0 ||
      v != 1)
    return tc_fail(err, TC_ERR_VERIFY, "session_malformed", "sealed session content invalid");
  s->tee = tc_tee_from_name(tee);
  s->hash = tc_kbs_hash_from_name(hash);
  if (s->tee == TC_TEE_UNKNOWN || !s->hash ||
      tc_b64_decode_to(nonce_text, strlen(nonce_text), TC_B64_URL, nonce, sizeof nonce) !=
          TC_KBS_NONCE_LEN)
    return tc_fail(err, TC_ERR_VERIFY, "session_malformed", "sealed session content invalid");
  memcpy(s->nonce, nonce, TC_KBS_NONCE_LEN);
  s->expires_at = (int64_t)exp;
  const json_t *jwk = json_object_get(o, "jwk");
  if (!json_object_get(o, "jti"))
    return TC_OK;
  if (copy_str(s->jti, sizeof s->jti, json_object_get(o, "jti")) ||
      copy_str(s->jkt, sizeof s->jkt, json_object_get(o, "jkt")) ||
      copy_str(s->status, sizeof s->status, json_object_get(o, "status")) ||
      copy_str(s->measurement, sizeof s->measurement, json_object_get(o, "measurement")) ||
      copy_str(s->init_data, sizeof s->init_data, json_object_get(o, "init_data")) ||
      copy_str(s->evidence_sha256, sizeof s->evidence_sha256, json_object_get(o, "evidence")) ||
      !json_is_object(jwk))
    return tc_fail(err, TC_ERR_VERIFY, "session_malformed", "sealed session content invalid");
  s->tee_pubkey = json_deep_copy(jwk);
  if (!s->tee_pubkey)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "session");
  s->attested = 1;
  return TC_OK;
}

tc_status tc_kbs_session_open(const tc_kbs_session_key *key, const char *text, int64_t now,
                              tc_kbs_session *out, tc_error *err) {
  memset(out, 0, sizeof *out);
  size_t tl = text ? strlen(text) : 0;
  if (tl == 0 || tl > MAX_TEXT)
    return tc_fail(err, TC_ERR_VERIFY, "session_malformed", "session cookie missing or too long");
  size_t raw_cap = tl * 3 / 4 + 3;
  uint8_t *raw = malloc(raw_cap);
  if (!raw)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "session");
  size_t rl = tc_b64_decode_to(text, tl, TC_B64_URL, raw, raw_cap);
  if (rl == SIZE_MAX || rl < 1 + TC_KBS_SESSION_IV_LEN + TAG_LEN + 2 || raw[0] != FORMAT) {
    free(raw);
    return tc_fail(err, TC_ERR_VERIFY, "session_malformed",
                   "session cookie is not a sealed teectl session");
  }
  size_t ctl = rl - 1 - TC_KBS_SESSION_IV_LEN - TAG_LEN;
  char *pt = malloc(ctl + 1);
  int ok = pt && tc_aes256gcm_open(key->k, raw + 1, AAD, sizeof AAD - 1,
                                   raw + 1 + TC_KBS_SESSION_IV_LEN, ctl, pt, NULL) == TC_OK;
  free(raw);
  if (!ok) {
    free(pt);
    return tc_fail(err, TC_ERR_VERIFY, "session_forged",
                   "session cookie does not authenticate under this service's session key");
  }
  json_t *o = json_loadb(pt, ctl, JSON_REJECT_DUPLICATES, NULL);
  tc_cleanse(pt, ctl);
  free(pt);
  tc_status st = json_is_object(o) ? from_json(o, out, err)
                                   : tc_fail(err, TC_ERR_VERIFY, "session_malformed",
                                             "sealed session content is not JSON");
  json_decref(o);
  if (st == TC_OK && now > out->expires_at)
    st = tc_fail(err, TC_ERR_VERIFY, "session_expired", "session expired %lld seconds ago",
                 (long long)(now - out->expires_at));
  if (st != TC_OK)
    tc_kbs_session_clear(out);
  return st;
}
