/* SPDX-License-Identifier: Apache-2.0 */
/* Growing string buffer (see teectl/strbuf.h). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teectl/strbuf.h"

/* First allocation; doubled until the text and its NUL fit. */
#define STRBUF_INITIAL_CAP 256

/* Make room for n more bytes plus the NUL. 0, or -1 with the failure flag set. */
static int reserve(tc_strbuf *b, size_t n) {
  if (b->failed)
    return -1;
  if (n >= SIZE_MAX / 2 - b->len) { /* checked first: len + n below must not wrap */
    b->failed = 1;
    return -1;
  }
  if (b->s != NULL && b->len + n < b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : STRBUF_INITIAL_CAP;
  while (cap <= b->len + n)
    cap *= 2;
  char *ns = realloc(b->s, cap);
  if (ns == NULL) {
    b->failed = 1;
    return -1;
  }
  b->s = ns;
  b->cap = cap;
  return 0;
}

tc_status tc_strbuf_append(tc_strbuf *b, const void *data, size_t n) {
  if (reserve(b, n) != 0)
    return TC_ERR_NOMEM;
  if (n > 0)
    memcpy(b->s + b->len, data, n);
  b->len += n;
  b->s[b->len] = '\0';
  return TC_OK;
}

tc_status tc_strbuf_printf(tc_strbuf *b, const char *fmt, ...) {
  if (b->failed)
    return TC_ERR_NOMEM;
  va_list ap;
  va_start(ap, fmt);
  /* First try in the room there is (or just measure when nothing is allocated). */
  int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->failed = 1;
    return TC_ERR_NOMEM;
  }
  if (b->s == NULL || b->len + (size_t)n >= b->cap) {
    if (reserve(b, (size_t)n) != 0) {
      if (b->s != NULL)
        b->s[b->len] = '\0'; /* drop the truncated attempt */
      return TC_ERR_NOMEM;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
  }
  b->len += (size_t)n;
  return TC_OK;
}

char *tc_strbuf_take(tc_strbuf *b) {
  char *s = b->s;
  if (b->failed) {
    free(s);
    s = NULL;
  } else if (s == NULL) {
    s = malloc(1);
    if (s != NULL)
      s[0] = '\0';
  }
  memset(b, 0, sizeof *b);
  return s;
}

void tc_strbuf_free(tc_strbuf *b) {
  if (b == NULL)
    return;
  free(b->s);
  memset(b, 0, sizeof *b);
}

size_t tc_sink_write(char *data, size_t size, size_t count, void *sink) {
  tc_sink *k = sink;
  if (k->overflow || (count != 0 && size > SIZE_MAX / count))
    return 0;
  size_t n = size * count;
  if (n > k->max || k->buf.len > k->max - n) {
    k->overflow = 1;
    return 0;
  }
  return tc_strbuf_append(&k->buf, data, n) == 0 ? n : 0;
}
