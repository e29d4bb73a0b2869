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

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if p does not start one. */
static size_t utf8_seq(const unsigned char *p) {
  unsigned c = p[0];
  if (c < 0x80)
    return 1;
  size_t n;
  unsigned min, cp;
  if ((c & 0xE0) == 0xC0) {
    n = 2, min = 0x80, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, min = 0x800, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80) /* also stops at the terminating NUL */
      return 0;
    cp = cp << 6 | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

void tc_utf8_sanitize(char *s) {
  unsigned char *p = (unsigned char *)s;
  while (*p) {
    size_t n = utf8_seq(p);
    if (n == 0) {
      *p++ = '?';
      continue;
    }
    p += n;
  }
}
