/* SPDX-License-Identifier: Apache-2.0 */
/* Base64 and base64url of RFC 4648 sections 4 and 5 (teectl/base64.h). */
#include "teectl/base64.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t tc_b64_encoded_len(size_t len, tc_b64_form form) {
  if (form == TC_B64_STD)
    return (len + 2) / 3 * 4;
  return len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
}

size_t tc_b64_encode_to(const void *in, size_t len, tc_b64_form form, char *out) {
  const uint8_t *p = in;
  const char *a = form == TC_B64_STD ? std_alphabet : url_alphabet;
  size_t o = 0, i = 0;
  for (; i + 3 <= len; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
    out[o++] = a[v >> 18 & 63];
    out[o++] = a[v >> 12 & 63];
    out[o++] = a[v >> 6 & 63];
    out[o++] = a[v & 63];
  }
  if (len - i > 0) {
    uint32_t v = (uint32_t)p[i] << 16 | (len - i == 2 ? (uint32_t)p[i + 1] << 8 : 0);
    out[o++] = a[v >> 18 & 63];
    out[o++] = a[v >> 12 & 63];
    if (len - i == 2)
      out[o++] = a[v >> 6 & 63];
    else if (form == TC_B64_STD)
      out[o++] = '=';
    if (form == TC_B64_STD)
      out[o++] = '=';
  }
  out[o] = '\0';
  return o;
}

char *tc_b64_encode(const void *in, size_t len, tc_b64_form form) {
  char *out = malloc(tc_b64_encoded_len(len, form) + 1);
  if (out != NULL)
    tc_b64_encode_to(in, len, form, out);
  return out;
}

/* One more than each character's 6-bit value in a form's alphabet, 0 for every byte outside
 * it ('=' included): sections 4 and 5 share the first 62 characters. */
#define B64_SHARED_VALUES                                                                          \
  ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,          \
  ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,   \
  ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,  \
  ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,  \
  ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,  \
  ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,  \
  ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,  \
  ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62
static const uint8_t url_values[256] = {B64_SHARED_VALUES, ['-'] = 63, ['_'] = 64};
static const uint8_t std_values[256] = {B64_SHARED_VALUES, ['+'] = 63, ['/'] = 64};
static const uint8_t any_values[256] = {
    B64_SHARED_VALUES, ['-'] = 63, ['_'] = 64, ['+'] = 63, ['/'] = 64};

/* Check text[0..n) and decode it into out (cap bytes, NULL: only count). Returns the
 * decoded length, or SIZE_MAX with a message in why[0..why_cap). Whole blocks of 4
 * characters go to 3 bytes at once while they fit; the rest (the last 2 or 3 characters, or
 * what would overflow cap) bit by bit. */
static size_t decode(const char *text, size_t n, tc_b64_form form, uint8_t *out, size_t cap,
                     char *why, size_t why_cap) {
  const uint8_t *t = form == TC_B64_URL ? url_values : form == TC_B64_STD ? std_values : any_values;
  const unsigned char *s = (const unsigned char *)text;
  size_t pad = 0;
  while (form != TC_B64_URL && n > 0 && text[n - 1] == '=' && pad < 2) {
    n--;
    pad++;
  }
  if ((pad > 0 || form == TC_B64_STD) && (n + pad) % 4 != 0) {
    snprintf(why, why_cap, "base64 padding does not complete a block");
    return SIZE_MAX;
  }
  if (n % 4 == 1) {
    snprintf(why, why_cap, "base64 length %zu is impossible (one character left over)", n);
    return SIZE_MAX;
  }
  size_t o = 0, i = 0;
  for (; i + 4 <= n && (out == NULL || o + 3 <= cap); i += 4) {
    int a = t[s[i]] - 1, b = t[s[i + 1]] - 1, c = t[s[i + 2]] - 1, d = t[s[i + 3]] - 1;
    if ((a | b | c | d) < 0) {
      snprintf(why, why_cap, "not base64 at offset %zu",
               i + (a < 0   ? 0
                    : b < 0 ? 1
                    : c < 0 ? 2
                            : 3));
      return SIZE_MAX;
    }
    if (out != NULL) {
      uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
      out[o] = (uint8_t)(v >> 16);
      out[o + 1] = (uint8_t)(v >> 8);
      out[o + 2] = (uint8_t)v;
    }
    o += 3;
  }
  uint32_t acc = 0;
  int bits = 0;
  for (; i < n; i++) {
    int v = t[s[i]] - 1;
    if (v < 0) {
      snprintf(why, why_cap, "not base64 at offset %zu", i);
      return SIZE_MAX;
    }
    acc = (acc << 6 | (uint32_t)v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (out != NULL && o >= cap) {
        snprintf(why, why_cap, "more than %zu bytes", cap);
        return SIZE_MAX;
      }
      if (out != NULL)
        out[o] = (uint8_t)(acc >> bits);
      o++;
    }
  }
  /* Leftover bits must be zero (canonical encoding). */
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    snprintf(why, why_cap, "non-canonical base64 (trailing bits)");
    return SIZE_MAX;
  }
  return o;
}

size_t tc_b64_decode_to(const char *text, size_t n, tc_b64_form form, uint8_t *out, size_t cap) {
  char why[80];
  return decode(text, n, form, out, cap, why, sizeof why);
}

tc_status tc_b64_decode(const char *text, size_t n, tc_b64_form form, const char *field,
                        const char *reason, tc_buf *out, tc_error *err) {
  out->data = NULL;
  out->len = 0;
  char why[80];
  /* One pass into a buffer of the most n characters can decode to (no counting pass). */
  size_t cap = n / 4 * 3 + 3;
  uint8_t *buf = malloc(cap);
  if (buf == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "%s: %zu bytes", field, n);
  size_t len = decode(text, n, form, buf, cap, why, sizeof why);
  if (len == SIZE_MAX) {
    free(buf);
    return tc_fail(err, TC_ERR_PARSE, reason, "%s: %s", field, why);
  }
  out->data = buf;
  out->len = len;
  return TC_OK;
}
