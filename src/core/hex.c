/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "teectl/bytes.h"

void tc_buf_free(tc_buf *buf) {
  if (buf == NULL)
    return;
  free(buf->data);
  buf->data = NULL;
  buf->len = 0;
}

char *tc_hex_encode(const uint8_t *in, size_t len, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < len; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 0xf];
  }
  out[2 * len] = '\0';
  return out;
}

int tc_hex_digit(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

tc_status tc_hex_decode(const char *hex, uint8_t *out, size_t out_cap, size_t *out_len,
                        tc_error *err) {
  if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
    hex += 2;
  size_t n = strlen(hex);
  if (n % 2 != 0)
    return tc_fail(err, TC_ERR_PARSE, "bad_hex", "hex string has odd length %zu", n);
  if (n / 2 > out_cap)
    return tc_fail(err, TC_ERR_PARSE, "bad_hex", "hex string of %zu bytes exceeds %zu", n / 2,
                   out_cap);
  for (size_t i = 0; i < n / 2; i++) {
    int hi = tc_hex_digit((unsigned char)hex[2 * i]),
        lo = tc_hex_digit((unsigned char)hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return tc_fail(err, TC_ERR_PARSE, "bad_hex", "non-hex character at offset %zu",
                     2 * i + (hi < 0 ? 0 : 1));
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  *out_len = n / 2;
  return TC_OK;
}

uint16_t tc_le16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}
uint32_t tc_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
uint64_t tc_le64(const uint8_t *p) {
  return (uint64_t)tc_le32(p) | (uint64_t)tc_le32(p + 4) << 32;
}

int tc_all_zero(const uint8_t *p, size_t len) {
  uint8_t acc = 0;
  for (size_t i = 0; i < len; i++)
    acc |= p[i];
  return acc == 0;
}

size_t tc_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp) {
  if (n == 0)
    return 0;
  uint32_t c = s[0], v, min;
  size_t len;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    len = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    v = v << 6 | (s[i] & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
    return 0;
  *cp = v;
  return len;
}

int tc_utf8_valid(const char *str) {
  const uint8_t *p = (const uint8_t *)str;
  size_t left = strlen(str);
  uint32_t cp;
  while (left > 0) {
    size_t n = tc_utf8_decode(p, left, &cp);
    if (n == 0)
      return 0;
    p += n;
    left -= n;
  }
  return 1;
}

void tc_utf8_sanitize(char *s) {
  uint8_t *p = (uint8_t *)s;
  size_t left = strlen(s);
  uint32_t cp;
  while (left > 0) {
    size_t n = tc_utf8_decode(p, left, &cp);
    if (n == 0) {
      *p = '?';
      n = 1;
    }
    p += n;
    left -= n;
  }
}
