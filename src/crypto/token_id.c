/* SPDX-License-Identifier: Apache-2.0 */
/* Token ids (see teectl/crypto.h): 16 random bytes in base64url (libjose). Apart from
 * crypto/hash.c so that programs without tokens (teectl verify, probe) do not link libjose. */
#include <jose/b64.h>

#include "teectl/crypto.h"

tc_status tc_token_id(char out[TC_TOKEN_ID_LEN + 1], tc_error *err) {
  uint8_t rnd[16];
  out[0] = '\0';
  tc_status st = tc_random_bytes(rnd, sizeof rnd, err);
  if (st != TC_OK)
    return st;
  size_t n = jose_b64_enc_buf(rnd, sizeof rnd, out, TC_TOKEN_ID_LEN);
  if (n != TC_TOKEN_ID_LEN) {
    out[0] = '\0';
    return tc_fail(err, TC_ERR_INTERNAL, "internal_error", "token id encoding");
  }
  out[n] = '\0';
  return TC_OK;
}
