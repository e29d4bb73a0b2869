/* SPDX-License-Identifier: Apache-2.0 */
/* Token ids (see teectl/crypto.h): 16 random bytes in base64url. Apart from crypto/hash.c
 * so that a program that only digests does not carry it. */
#include "teectl/base64.h"
#include "teectl/crypto.h"

tc_status tc_token_id(char out[TC_TOKEN_ID_LEN + 1], tc_error *err) {
  uint8_t rnd[16];
  out[0] = '\0';
  tc_status st = tc_random_bytes(rnd, sizeof rnd, err);
  if (st != TC_OK)
    return st;
  _Static_assert((16 * 4 + 2) / 3 == TC_TOKEN_ID_LEN, "base64url of 16 bytes");
  tc_b64_encode_to(rnd, sizeof rnd, TC_B64_URL, out);
  return TC_OK;
}
