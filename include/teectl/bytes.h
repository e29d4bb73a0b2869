/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — byte buffers and hex encoding. */
#ifndef TEECTL_BYTES_H
#define TEECTL_BYTES_H

#include <stddef.h>
#include <stdint.h>

#include "teectl/error.h"

/** An owned byte buffer (heap). Free with tc_buf_free. */
typedef struct tc_buf {
  uint8_t *data;
  size_t len;
} tc_buf;

/** Release buf->data and zero the struct. NULL-safe. */
void tc_buf_free(tc_buf *buf);

/**
 * Lower-case hex of len bytes into out, which must hold 2*len+1 bytes; NUL-terminated.
 * Returns out.
 */
char *tc_hex_encode(const uint8_t *in, size_t len, char *out);

/**
 * Value of the hex digit c ('0'-'9', 'a'-'f', 'A'-'F') as 0..15; -1 for any other value
 * (including EOF and negative values). Pass a char as (unsigned char).
 */
int tc_hex_digit(int c);

/**
 * Decode hex text (upper or lower case, even length, no separators, optional leading
 * "0x") into out (capacity out_cap). *out_len gets the byte count.
 * Errors: TC_ERR_PARSE reason "bad_hex" (odd length, non-hex char, too long).
 */
tc_status tc_hex_decode(const char *hex, uint8_t *out, size_t out_cap, size_t *out_len,
                        tc_error *err);

/** Little-endian reads of 2, 4 and 8 bytes from p (no alignment requirement). */
uint16_t tc_le16(const uint8_t *p);
uint32_t tc_le32(const uint8_t *p);
uint64_t tc_le64(const uint8_t *p);

/**
 * Decode the UTF-8 sequence at s[0..n) (RFC 3629: shortest form, no surrogates, at most
 * U+10FFFF). Returns its length 1..4 and sets *cp, or 0 if s does not start a complete
 * valid sequence (n == 0 included).
 */
size_t tc_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/** 1 if the NUL-terminated string s is valid UTF-8 (tc_utf8_decode), else 0. */
int tc_utf8_valid(const char *s);

/**
 * Make the NUL-terminated string s valid UTF-8 (RFC 3629) in place: every byte that does
 * not start a complete, shortest-form sequence of a scalar value (no surrogates, at most
 * U+10FFFF) becomes '?'. The length never changes. Used for every error detail, which may
 * carry attacker-chosen bytes (certificate names, JSON keys) or be cut mid-character by
 * truncation, so that JSON encoders never refuse it.
 */
void tc_utf8_sanitize(char *s);

/** 1 if all len bytes at p are zero, else 0. */
int tc_all_zero(const uint8_t *p, size_t len);

#endif
