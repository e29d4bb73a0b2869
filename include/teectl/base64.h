/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — base64 (RFC 4648): the one encoder and decoder of the tree.
 *
 * Two alphabets: section 4 ("+/", padded with '=': KBS evidence, Kubernetes-style
 * fields, the SNP launch digest as tools print it) and section 5 ("-_", without padding:
 * JOSE, nonces, cookies, token ids). Decoders are strict: no whitespace, no characters
 * outside the alphabet, and the unused low bits of the last character must be zero, so
 * that every byte string has exactly one text (what a MAC or an echo compares).
 * JOSE objects stay with libjose: JSON-valued members (jose_b64_enc / jose_b64_dec) and the
 * parts of a compact JWS a token verifier reads are decoded as libjose decodes them.
 */
#ifndef TEECTL_BASE64_H
#define TEECTL_BASE64_H

#include <stddef.h>
#include <stdint.h>

#include "teectl/bytes.h"
#include "teectl/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  TC_B64_URL = 0, /**< section 5 alphabet "-_", no padding */
  TC_B64_STD,     /**< section 4 alphabet "+/", padded to a multiple of 4 */
  TC_B64_ANY,     /**< decoding only: either alphabet, padding optional but correct */
} tc_b64_form;

/** Characters of the encoding of len bytes (without the NUL). */
size_t tc_b64_encoded_len(size_t len, tc_b64_form form);

/** Encode in[0..len) into out (tc_b64_encoded_len + 1 bytes), NUL-terminated. Returns the
 *  number of characters written. TC_B64_ANY encodes as TC_B64_URL. */
size_t tc_b64_encode_to(const void *in, size_t len, tc_b64_form form, char *out);

/** The encoding as a new NUL-terminated string (free it), NULL when out of memory. */
char *tc_b64_encode(const void *in, size_t len, tc_b64_form form);

/**
 * Decode text[0..n) of the given form into out (a new buffer; empty for n == 0).
 * Errors: TC_ERR_PARSE with the caller's reason code, the detail naming field and the
 * offset of the first bad character (or the padding / length / trailing-bits fault);
 * TC_ERR_NOMEM "out_of_memory".
 */
tc_status tc_b64_decode(const char *text, size_t n, tc_b64_form form, const char *field,
                        const char *reason, tc_buf *out, tc_error *err);

/**
 * Decode into a caller buffer: returns the decoded length, or SIZE_MAX when text[0..n) is
 * not a strict encoding of the form or does not fit in cap bytes. out may be NULL with
 * cap 0 to learn the length.
 */
size_t tc_b64_decode_to(const char *text, size_t n, tc_b64_form form, uint8_t *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
