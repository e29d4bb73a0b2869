/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — a growing, NUL-terminated string buffer for building text output. */
#ifndef TEECTL_STRBUF_H
#define TEECTL_STRBUF_H

#include <stddef.h>

/**
 * A heap string that grows as text is appended. Start from a zeroed struct
 * (`tc_strbuf b = {0};`); no init call is needed.
 *
 * Ownership: the buffer owns `s` until tc_strbuf_take hands it to the caller (who then
 * frees it with free()) or tc_strbuf_free releases it.
 *
 * Failure flag: when a write cannot be done (out of memory, an encoding error in a format,
 * a size overflow) `failed` is set to 1 and stays set; every later write is a no-op that
 * returns -1, so a run of writes needs only one check at the end (tc_strbuf_take returns
 * NULL). The text written before the failure is kept until the buffer is taken or freed.
 */
typedef struct tc_strbuf {
  char *s;    /**< the text, NUL-terminated; NULL until the first write */
  size_t len; /**< bytes in s, without the NUL (s may hold NUL bytes from tc_strbuf_append) */
  size_t cap; /**< bytes allocated at s */
  int failed; /**< 1 once a write has failed (sticky), else 0 */
} tc_strbuf;

/** Append printf-formatted text. Returns 0, or -1 (and sets the failure flag) on failure
 *  or when the flag was already set. */
int tc_strbuf_printf(tc_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Append n bytes from data (which may contain NULs; n = 0 still allocates, so that s is a
 *  valid empty string afterwards). Returns 0, or -1 as tc_strbuf_printf. */
int tc_strbuf_append(tc_strbuf *b, const void *data, size_t n);

/**
 * Hand the text to the caller and reset b to empty. Returns the NUL-terminated text (""
 * when nothing was written), which the caller frees with free(); NULL if the failure flag
 * was set (the partial text is freed) or memory ran out.
 */
char *tc_strbuf_take(tc_strbuf *b);

/** Release the text and reset b to empty (failure flag cleared). NULL-safe. */
void tc_strbuf_free(tc_strbuf *b);

#endif
