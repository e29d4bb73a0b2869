/* SPDX-License-Identifier: Apache-2.0 */
/* Self-validating nonces (HMAC-SHA-256 truncated to 128 bits, RFC 2104 section 5 /
 * FIPS 198-1) and the binding of a nonce and runtime data into REPORT_DATA. No I/O, no
 * clock: time is an argument. */
#include <stdlib.h>
#include <string.h>

#include "teectl/base64.h"
#include "teectl/crypto.h"
#include "teectl/service.h"

/* random || expiry: the bytes the MAC covers. */
#define NONCE_SIGNED_LEN (TC_NONCE_RANDOM_LEN + TC_NONCE_EXPIRY_LEN)

_Static_assert(TC_NONCE_RAW_LEN == 56, "nonce layout: 32 random + 8 expiry + 16 MAC bytes");
_Static_assert(TC_NONCE_MAC_LEN >= 10 && TC_NONCE_MAC_LEN * 2 >= 32,
               "RFC 2104 section 5: keep at least 80 bits and half of the SHA-256 output");
_Static_assert(TC_NONCE_TEXT_LEN == (TC_NONCE_RAW_LEN * 4 + 2) / 3,
               "base64url without padding: ceil(raw * 4 / 3) characters");
_Static_assert(TC_NONCE_TEXT_LEN >= 8 && TC_NONCE_TEXT_LEN <= 88,
               "RFC 9711 nonce-type: a JWT eat_nonce is 8..88 characters");

/* The truncated tag: the first TC_NONCE_MAC_LEN bytes of HMAC-SHA-256(key, msg). */
static int nonce_mac(const uint8_t *key, size_t key_len, const uint8_t *msg,
                     uint8_t tag[TC_NONCE_MAC_LEN]) {
  uint8_t full[TC_SHA256_LEN];
  tc_span part = {msg, NONCE_SIGNED_LEN};
  int ok = tc_hmac(TC_HASH_SHA256, key, key_len, &part, 1, full, NULL) == TC_OK;
  if (ok)
    memcpy(tag, full, TC_NONCE_MAC_LEN);
  tc_cleanse(full, sizeof full);
  return ok;
}

tc_status tc_nonce_make(const uint8_t *key, size_t key_len,
                        const uint8_t random[TC_NONCE_RANDOM_LEN], int64_t expires_at,
                        char out[TC_NONCE_TEXT_LEN + 1], tc_error *err) {
  if (key == NULL || key_len < TC_NONCE_KEY_MIN)
    return tc_fail(err, TC_ERR_USAGE, "nonce_key_too_short",
                   "nonce key has %zu bytes, at least %d are needed", key ? key_len : 0,
                   TC_NONCE_KEY_MIN);
  uint8_t raw[TC_NONCE_RAW_LEN];
  memcpy(raw, random, TC_NONCE_RANDOM_LEN);
  uint64_t e = (uint64_t)expires_at;
  for (int i = 0; i < TC_NONCE_EXPIRY_LEN; i++)
    raw[TC_NONCE_RANDOM_LEN + i] = (uint8_t)(e >> (56 - 8 * i));
  if (!nonce_mac(key, key_len, raw, raw + NONCE_SIGNED_LEN))
    return tc_fail(err, TC_ERR_INTERNAL, "internal_error", "HMAC-SHA-256 failed");
  tc_b64_encode_to(raw, sizeof raw, TC_B64_URL, out); /* TC_NONCE_TEXT_LEN and a NUL */
  return TC_OK;
}

tc_status tc_nonce_check(const uint8_t *key, size_t key_len, const char *text, int64_t now,
                         uint8_t raw[TC_NONCE_RAW_LEN], int64_t *expires_at, tc_error *err) {
  if (key == NULL || key_len < TC_NONCE_KEY_MIN)
    return tc_fail(err, TC_ERR_USAGE, "nonce_key_too_short", "nonce key too short");
  size_t n = text ? strlen(text) : 0;
  if (n != TC_NONCE_TEXT_LEN)
    return tc_fail(err, TC_ERR_PARSE, "nonce_malformed",
                   "nonce: %zu characters, a nonce has %d base64url characters", n,
                   TC_NONCE_TEXT_LEN);
  for (size_t i = 0; i < n; i++) {
    char c = text[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return tc_fail(err, TC_ERR_PARSE, "nonce_malformed",
                     "nonce: character at offset %zu is not base64url", i);
  }
  /* 56 bytes leave 2 unused low bits in the last character; tc_b64_decode refuses them
   * unless zero, so each nonce has exactly one text (what eat_nonce echoes). */
  tc_buf b;
  tc_status st = tc_b64_decode(text, n, TC_B64_URL, "nonce", "nonce_malformed", &b, err);
  if (st != TC_OK)
    return st;
  if (b.len != TC_NONCE_RAW_LEN) {
    size_t got = b.len;
    tc_buf_free(&b);
    return tc_fail(err, TC_ERR_PARSE, "nonce_malformed", "nonce: %zu bytes, expected %d", got,
                   TC_NONCE_RAW_LEN);
  }
  uint8_t mac[TC_NONCE_MAC_LEN];
  int ok = nonce_mac(key, key_len, b.data, mac);
  if (!ok) {
    tc_buf_free(&b);
    return tc_fail(err, TC_ERR_INTERNAL, "internal_error", "HMAC-SHA-256 failed");
  }
  /* Constant time over the whole tag. */
  if (!tc_ct_equal(mac, b.data + NONCE_SIGNED_LEN, TC_NONCE_MAC_LEN)) {
    tc_buf_free(&b);
    return tc_fail(err, TC_ERR_VERIFY, "nonce_forged",
                   "nonce: MAC does not verify (altered, or not issued by this service's key)");
  }
  uint64_t e = 0;
  for (int i = 0; i < TC_NONCE_EXPIRY_LEN; i++)
    e = e << 8 | b.data[TC_NONCE_RANDOM_LEN + i];
  memcpy(raw, b.data, TC_NONCE_RAW_LEN);
  tc_buf_free(&b);
  /* An expiry at or beyond 2^63 (only a key holder can make one: the MAC verified) has no
   * int64_t value; refuse it without converting it. */
  if (e > (uint64_t)INT64_MAX)
    return tc_fail(err, TC_ERR_VERIFY, "nonce_expired",
                   "nonce expiry %llu is out of range (at or beyond 2^63 seconds)",
                   (unsigned long long)e);
  if (expires_at)
    *expires_at = (int64_t)e;
  if (now > (int64_t)e) /* both in [0, INT64_MAX] or now negative: no overflow */
    return tc_fail(err, TC_ERR_VERIFY, "nonce_expired", "nonce expired %llu seconds ago",
                   (unsigned long long)((uint64_t)now - e));
  return TC_OK;
}

tc_status tc_binding_compute(tc_tee tee, const uint8_t *nonce, size_t nonce_len,
                             const uint8_t *runtime_data, size_t runtime_len, uint8_t out[64],
                             tc_error *err) {
  tc_hash_alg alg;
  if (tee == TC_TEE_SNP || tee == TC_TEE_TDX)
    alg = TC_HASH_SHA512;
  else if (tee == TC_TEE_SGX)
    alg = TC_HASH_SHA256;
  else
    return tc_fail(err, TC_ERR_USAGE, "tee_unsupported", "no binding rule for TEE kind %d",
                   (int)tee);
  memset(out, 0, 64);
  tc_span parts[] = {{nonce, nonce_len}, {runtime_data, runtime_len}};
  if (tc_hash(alg, parts, 2, out, NULL) != TC_OK)
    return tc_fail(err, TC_ERR_INTERNAL, "internal_error", "SHA-2 digest failed");
  return TC_OK;
}

tc_status tc_binding_check(tc_tee tee, const uint8_t report_data[64], const uint8_t *nonce,
                           size_t nonce_len, const uint8_t *runtime_data, size_t runtime_len,
                           tc_error *err) {
  uint8_t want[64];
  tc_status st = tc_binding_compute(tee, nonce, nonce_len, runtime_data, runtime_len, want, err);
  if (st != TC_OK)
    return st;
  if (!tc_ct_equal(want, report_data, 64)) {
    char want_hex[129], got_hex[129];
    tc_hex_encode(want, 64, want_hex);
    tc_hex_encode(report_data, 64, got_hex);
    return tc_fail(err, TC_ERR_VERIFY, "binding_mismatch",
                   "REPORT_DATA is not %s(nonce || runtime_data)%s: expected %s, evidence has %s",
                   tee == TC_TEE_SGX ? "SHA-256" : "SHA-512",
                   tee == TC_TEE_SGX ? " followed by 32 zero bytes" : "", want_hex, got_hex);
  }
  return TC_OK;
}
