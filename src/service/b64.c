/* SPDX-License-Identifier: Apache-2.0 */
/* Base64 and base64url (RFC 4648 sections 4 and 5) for the service's JSON bodies. */
#include <stdlib.h>
#include <string.h>

#include "service/b64.h"

static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *svc_b64url_encode(const uint8_t *in, size_t len) {
  size_t n = (len / 3) * 4 + (len % 3 ? len % 3 + 1 : 0);
  char *out = malloc(n + 1);
  if (out == NULL)
    return NULL;
  size_t o = 0, i = 0;
  for (; i + 3 <= len; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    out[o++] = url_alphabet[v >> 18 & 63];
    out[o++] = url_alphabet[v >> 12 & 63];
    out[o++] = url_alphabet[v >> 6 & 63];
    out[o++] = url_alphabet[v & 63];
  }
  if (len - i == 1) {
    uint32_t v = (uint32_t)in[i] << 16;
    out[o++] = url_alphabet[v >> 18 & 63];
    out[o++] = url_alphabet[v >> 12 & 63];
  } else if (len - i == 2) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
    out[o++] = url_alphabet[v >> 18 & 63];
    out[o++] = url_alphabet[v >> 12 & 63];
    out[o++] = url_alphabet[v >> 6 & 63];
  }
  out[o] = '\0';
  return out;
}

static int b64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+' || c == '-')
    return 62;
  if (c == '/' || c == '_')
    return 63;
  return -1;
}

tc_status svc_b64_decode(const char *text, const char *field, const char *reason_code, tc_buf *out,
                         tc_error *err) {
  out->data = NULL;
  out->len = 0;
  size_t n = strlen(text);
  size_t pad = 0;
  while (n > 0 && text[n - 1] == '=' && pad < 2) {
    n--;
    pad++;
  }
  if (pad > 0 && (n + pad) % 4 != 0)
    return tc_fail(err, TC_ERR_PARSE, reason_code, "%s: base64 padding does not complete a block",
                   field);
  if (n % 4 == 1)
    return tc_fail(err, TC_ERR_PARSE, reason_code,
                   "%s: base64 length %zu is impossible (one character left over)", field, n);
  uint8_t *buf = malloc(n / 4 * 3 + 3);
  if (buf == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "%s: %zu bytes", field, n);
  size_t o = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b64_value(text[i]);
    if (v < 0) {
      free(buf);
      return tc_fail(err, TC_ERR_PARSE, reason_code, "%s: not base64 at offset %zu", field, i);
    }
    acc = (acc << 6 | (uint32_t)v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      buf[o++] = (uint8_t)(acc >> bits);
    }
  }
  /* Leftover bits must be zero (canonical encoding). */
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    free(buf);
    return tc_fail(err, TC_ERR_PARSE, reason_code, "%s: non-canonical base64 (trailing bits)",
                   field);
  }
  out->data = buf;
  out->len = o;
  return TC_OK;
}
