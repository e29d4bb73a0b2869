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

/* Value of c in the form's alphabet, -1 if outside it. */
static int b64_value(char c, tc_b64_form form) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if ((c == '+' && form != TC_B64_URL) || (c == '-' && form != TC_B64_STD))
    return 62;
  if ((c == '/' && form != TC_B64_URL) || (c == '_' && form != TC_B64_STD))
    return 63;
  return -1;
}

/* Check text[0..n) and decode it into out (cap bytes, NULL: only count). Returns the
 * decoded length, or SIZE_MAX with a message in why[0..why_cap). */
static size_t decode(const char *text, size_t n, tc_b64_form form, uint8_t *out, size_t cap,
                     char *why, size_t why_cap) {
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
  size_t o = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b64_value(text[i], form);
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
  size_t len = decode(text, n, form, NULL, 0, why, sizeof why);
  if (len == SIZE_MAX)
    return tc_fail(err, TC_ERR_PARSE, reason, "%s: %s", field, why);
  uint8_t *buf = malloc(len ? len : 1);
  if (buf == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "%s: %zu bytes", field, n);
  decode(text, n, form, buf, len, why, sizeof why);
  out->data = buf;
  out->len = len;
  return TC_OK;
}
