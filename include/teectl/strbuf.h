/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — a growing, NUL-terminated string buffer for building text output. */
#ifndef TEECTL_STRBUF_H
#define TEECTL_STRBUF_H

#include <stddef.h>

#include "teectl/error.h"

/**
 * A heap string that grows as text is appended. Start from a zeroed struct
 * (`tc_strbuf b = {0};`); no init call is needed.
 *
 * Ownership: the buffer owns `s` until tc_strbuf_take hands it to the caller (who then
 * frees it with free()) or tc_strbuf_free releases it.
 *
 * Failure flag: when a write cannot be done (out of memory, an encoding error in a format,
 * a size overflow) `failed` is set to 1 and stays set; every later write is a no-op that
 * returns TC_ERR_NOMEM, so a run of writes needs only one check at the end (tc_strbuf_take returns
 * NULL). The text written before the failure is kept until the buffer is taken or freed.
 */
typedef struct tc_strbuf {
  char *s;    /**< the text, NUL-terminated; NULL until the first write */
  size_t len; /**< bytes in s, without the NUL (s may hold NUL bytes from tc_strbuf_append) */
  size_t cap; /**< bytes allocated at s */
  int failed; /**< 1 once a write has failed (sticky), else 0 */
} tc_strbuf;

/** Append printf-formatted text. Returns TC_OK, or TC_ERR_NOMEM (and sets the failure flag)
 *  when the text cannot be grown (out of memory, a size overflow, a format the C library
 *  cannot encode) or the flag was already set. */
tc_status tc_strbuf_printf(tc_strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** Append n bytes from data (which may contain NULs; n = 0 still allocates, so that s is a
 *  valid empty string afterwards). Returns TC_OK, or TC_ERR_NOMEM as tc_strbuf_printf. */
tc_status tc_strbuf_append(tc_strbuf *b, const void *data, size_t n);

/**
 * Hand the text to the caller and reset b to empty. Returns the NUL-terminated text (""
 * when nothing was written), which the caller frees with free(); NULL if the failure flag
 * was set (the partial text is freed) or memory ran out.
 */
char *tc_strbuf_take(tc_strbuf *b);

/** Release the text and reset b to empty (failure flag cleared). NULL-safe. */
void tc_strbuf_free(tc_strbuf *b);

/**
 * A bounded receiver of a body that arrives in pieces, in the shape libcurl's
 * CURLOPT_WRITEFUNCTION calls (data, size, count, the sink as CURLOPT_WRITEDATA): the pieces
 * are appended to buf (NUL-terminated in buf.s, buf.len bytes; NULL until a piece came) as long
 * as the total stays within max bytes. Start from `tc_sink s = {.max = N};`, release with
 * tc_strbuf_free(&s.buf) (or take the text with tc_strbuf_take(&s.buf)).
 */
typedef struct tc_sink {
  tc_strbuf buf; /**< what arrived */
  size_t max;    /**< the most bytes taken in all */
  int overflow;  /**< 1 once a piece would have passed max (nothing more is taken) */
} tc_sink;

/** Append size * count bytes from data to sink (a tc_sink *). Returns size * count when they
 *  were taken; 0 when they would pass max (overflow set) or memory ran out (buf.failed set),
 *  which makes libcurl end the transfer (CURLE_WRITE_ERROR). */
size_t tc_sink_write(char *data, size_t size, size_t count, void *sink);

#endif
