/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — TOML 1.0.0 reader. Grammar and semantics: https://toml.io/en/v1.0.0 (and its
 * ABNF, toml.abnf). Hand-written recursive descent over the bytes; no global state. */
#include "teectl/toml.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teectl/bytes.h"
#include "teectl/strbuf.h"

/* Node flags (tc_toml_value.flags). */
enum {
  F_EXPLICIT = 1u << 0, /* table defined by a [header] (or [[header]] element) */
  F_DOTTED = 1u << 1,   /* table created by a dotted key */
  F_SEALED = 1u << 2,   /* dotted table whose section has ended: closed to headers/dots */
  F_INLINE = 1u << 3,   /* inline table (and everything under it): frozen */
  F_AOT = 1u << 4,      /* array created by [[header]]: may be appended to */
};

typedef struct keypart {
  char *s;
  size_t len;
  unsigned line, column;
} keypart;

#define MAX_KEY_PARTS 128

typedef struct parser {
  const char *s;
  size_t n, pos;
  unsigned line;
  size_t line_start;
  unsigned options;
  tc_toml_doc *doc;
  tc_error *err;
  tc_toml_value *section;
  char section_path[256];  /* dotted path of the current [section] ("" for the root) */
  tc_toml_value **pending; /* dotted tables created in the current section */
  size_t n_pending, cap_pending;
} parser;

/* ---------- small helpers ---------- */

static unsigned col_at(const parser *p, size_t pos) {
  return (unsigned)(pos - p->line_start + 1);
}

__attribute__((format(printf, 5, 0))) static tc_status
failv(parser *p, size_t pos, tc_status st, const char *reason, const char *fmt, va_list ap) {
  char msg[400];
  vsnprintf(msg, sizeof msg, fmt, ap);
  /* pos may be on an earlier line than p->line only for positions we recorded; callers
   * pass positions on the current line or use fail_at_lc. */
  return tc_fail(p->err, st, reason, "%u:%u: %s", p->line, col_at(p, pos), msg);
}

__attribute__((format(printf, 4, 5))) static tc_status
fail(parser *p, size_t pos, const char *reason, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  tc_status st = failv(p, pos, TC_ERR_PARSE, reason, fmt, ap);
  va_end(ap);
  return st;
}

__attribute__((format(printf, 5, 6))) static tc_status
fail_lc(parser *p, unsigned line, unsigned col, const char *reason, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return tc_fail(p->err, TC_ERR_PARSE, reason, "%u:%u: %s", line, col, msg);
}

static tc_status nomem(parser *p) {
  return tc_fail(p->err, TC_ERR_NOMEM, "out_of_memory", "out of memory while parsing TOML");
}

static int peek(const parser *p, size_t off) {
  return p->pos + off < p->n ? (unsigned char)p->s[p->pos + off] : -1;
}

static int is_digit(int c) {
  return c >= '0' && c <= '9';
}

static int is_bare(int c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '-';
}

/* Consume a newline at pos (LF or CRLF); returns 1 if one was consumed. */
static int eat_newline(parser *p) {
  if (peek(p, 0) == '\n') {
    p->pos++;
  } else if (peek(p, 0) == '\r' && peek(p, 1) == '\n') {
    p->pos += 2;
  } else {
    return 0;
  }
  p->line++;
  p->line_start = p->pos;
  return 1;
}

static void skip_ws(parser *p) {
  while (peek(p, 0) == ' ' || peek(p, 0) == '\t')
    p->pos++;
}

/* A control character not allowed in comments and strings (tab is allowed). */
static int is_bad_control(int c) {
  return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

/* Skip a comment if one starts here. */
static tc_status skip_comment(parser *p) {
  if (peek(p, 0) != '#')
    return TC_OK;
  while (p->pos < p->n) {
    int c = peek(p, 0);
    if (c == '\n' || (c == '\r' && peek(p, 1) == '\n'))
      break;
    if (is_bad_control(c))
      return fail(p, p->pos, "toml_syntax", "control character 0x%02x in comment", c);
    p->pos++;
  }
  return TC_OK;
}

/* Skip whitespace, comments and newlines (between array elements). */
static tc_status skip_ws_nl(parser *p) {
  for (;;) {
    skip_ws(p);
    tc_status st = skip_comment(p);
    if (st != TC_OK)
      return st;
    if (!eat_newline(p))
      return TC_OK;
  }
}

/* After a key/value pair or header: whitespace, an optional comment, then newline/EOF. */
static tc_status expect_eol(parser *p, const char *after) {
  skip_ws(p);
  tc_status st = skip_comment(p);
  if (st != TC_OK)
    return st;
  if (p->pos >= p->n || eat_newline(p))
    return TC_OK;
  if (peek(p, 0) == '\r')
    return fail(p, p->pos, "toml_syntax", "bare carriage return (CR without LF)");
  return fail(p, p->pos, "toml_syntax", "unexpected '%c' after %s (expected a newline)",
              peek(p, 0) >= 0x20 && peek(p, 0) < 0x7f ? peek(p, 0) : '?', after);
}

/* ---------- nodes ---------- */

static void value_free(tc_toml_value *v);

static void value_clear(tc_toml_value *v) {
  if (v->type == TC_TOML_STRING) {
    free(v->u.str.ptr);
  } else if (v->type == TC_TOML_TABLE) {
    for (size_t i = 0; i < v->u.table.len; i++) {
      free(v->u.table.items[i].key);
      value_free(v->u.table.items[i].value);
    }
    free(v->u.table.items);
    free(v->u.table.index);
  } else if (v->type == TC_TOML_ARRAY) {
    for (size_t i = 0; i < v->u.array.len; i++)
      value_free(v->u.array.items[i]);
    free(v->u.array.items);
  }
}

static void value_free(tc_toml_value *v) {
  if (!v)
    return;
  value_clear(v);
  free(v);
}

static tc_toml_value *new_value(tc_toml_type t, unsigned line, unsigned col) {
  tc_toml_value *v = calloc(1, sizeof *v);
  if (v) {
    v->type = t;
    v->line = line;
    v->column = col;
  }
  return v;
}

/* FNV-1a over the key bytes. */
static size_t key_hash(const char *k, size_t klen) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < klen; i++)
    h = (h ^ (unsigned char)k[i]) * 1099511628211ull;
  return (size_t)h;
}

#define INDEX_MIN 16 /* tables with fewer keys are searched linearly */

static tc_toml_entry *table_find(const tc_toml_value *t, const char *k, size_t klen) {
  if (t->u.table.index) {
    size_t mask = t->u.table.index_cap - 1;
    for (size_t h = key_hash(k, klen) & mask;; h = (h + 1) & mask) {
      size_t slot = t->u.table.index[h];
      if (slot == 0)
        return NULL;
      tc_toml_entry *e = &t->u.table.items[slot - 1];
      if (e->key_len == klen && memcmp(e->key, k, klen) == 0)
        return e;
    }
  }
  for (size_t i = 0; i < t->u.table.len; i++) {
    tc_toml_entry *e = &t->u.table.items[i];
    if (e->key_len == klen && memcmp(e->key, k, klen) == 0)
      return e;
  }
  return NULL;
}

static void index_put(tc_toml_value *t, size_t entry) {
  const tc_toml_entry *e = &t->u.table.items[entry];
  size_t mask = t->u.table.index_cap - 1;
  size_t h = key_hash(e->key, e->key_len) & mask;
  while (t->u.table.index[h] != 0)
    h = (h + 1) & mask;
  t->u.table.index[h] = entry + 1;
}

/* Keep the index at most half full; built once the table reaches INDEX_MIN keys. */
static int index_update(tc_toml_value *t) {
  size_t n = t->u.table.len;
  if (n < INDEX_MIN)
    return 0;
  if (t->u.table.index && 2 * n <= t->u.table.index_cap) {
    index_put(t, n - 1);
    return 0;
  }
  size_t cap = 64;
  while (cap < 4 * n)
    cap *= 2;
  size_t *idx = calloc(cap, sizeof *idx);
  if (!idx)
    return -1;
  free(t->u.table.index);
  t->u.table.index = idx;
  t->u.table.index_cap = cap;
  for (size_t i = 0; i < n; i++)
    index_put(t, i);
  return 0;
}

/* Append key -> v (takes ownership of v; copies the key). */
static int table_add(tc_toml_value *t, const keypart *k, tc_toml_value *v) {
  if (t->u.table.len == t->u.table.cap) {
    size_t nc = t->u.table.cap ? t->u.table.cap * 2 : 8;
    tc_toml_entry *ni = realloc(t->u.table.items, nc * sizeof *ni);
    if (!ni)
      return -1;
    t->u.table.items = ni;
    t->u.table.cap = nc;
  }
  char *kc = malloc(k->len + 1);
  if (!kc)
    return -1;
  memcpy(kc, k->s, k->len);
  kc[k->len] = 0;
  tc_toml_entry *e = &t->u.table.items[t->u.table.len++];
  e->key = kc;
  e->key_len = k->len;
  e->line = k->line;
  e->column = k->column;
  e->value = v;
  if (index_update(t)) {
    /* out of memory for the index only: the entry is in (the tree owns v), lookups fall
     * back to a linear scan */
    free(t->u.table.index);
    t->u.table.index = NULL;
    t->u.table.index_cap = 0;
  }
  return 0;
}

static int array_add(tc_toml_value *a, tc_toml_value *v) {
  if (a->u.array.len == a->u.array.cap) {
    size_t nc = a->u.array.cap ? a->u.array.cap * 2 : 8;
    tc_toml_value **ni = realloc(a->u.array.items, nc * sizeof *ni);
    if (!ni)
      return -1;
    a->u.array.items = ni;
    a->u.array.cap = nc;
  }
  a->u.array.items[a->u.array.len++] = v;
  return 0;
}

/* ---------- UTF-8 ---------- */

static tc_status check_utf8(parser *p) {
  const unsigned char *s = (const unsigned char *)p->s;
  unsigned line = 1;
  size_t ls = 0;
  for (size_t i = 0; i < p->n;) {
    uint32_t cp;
    size_t l = tc_utf8_decode(s + i, p->n - i, &cp);
    if (l == 0)
      return tc_fail(p->err, TC_ERR_PARSE, "toml_utf8", "%u:%zu: invalid UTF-8 byte 0x%02x", line,
                     i - ls + 1, s[i]);
    if (s[i] == '\n') {
      line++;
      ls = i + 1;
    }
    i += l;
  }
  return TC_OK;
}

/* Append code point cp as UTF-8 to b. */
static int sb_cp(tc_strbuf *b, uint32_t cp) {
  char o[4];
  size_t n;
  if (cp < 0x80) {
    o[0] = (char)cp, n = 1;
  } else if (cp < 0x800) {
    o[0] = (char)(0xc0 | (cp >> 6)), o[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
  } else if (cp < 0x10000) {
    o[0] = (char)(0xe0 | (cp >> 12)), o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
  } else {
    o[0] = (char)(0xf0 | (cp >> 18)), o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), o[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
  }
  return tc_strbuf_append(b, o, n);
}

/* ---------- strings ---------- */

/* Parse an escape at pos (pointing at the backslash) into b. */
static tc_status parse_escape(parser *p, tc_strbuf *b) {
  size_t at = p->pos;
  int c = peek(p, 1);
  const char *simple = NULL;
  switch (c) {
  case 'b':
    simple = "\b";
    break;
  case 't':
    simple = "\t";
    break;
  case 'n':
    simple = "\n";
    break;
  case 'f':
    simple = "\f";
    break;
  case 'r':
    simple = "\r";
    break;
  case '"':
    simple = "\"";
    break;
  case '\\':
    simple = "\\";
    break;
  case 'u':
  case 'U': {
    int nd = c == 'u' ? 4 : 8;
    uint32_t cp = 0;
    for (int i = 0; i < nd; i++) {
      int h = tc_hex_digit(peek(p, 2 + (size_t)i));
      if (h < 0)
        return fail(p, at, "toml_syntax", "\\%c escape needs %d hex digits", c, nd);
      cp = (cp << 4) | (uint32_t)h;
    }
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return fail(p, at, "toml_syntax", "\\%c escape U+%04" PRIX32 " is not a Unicode scalar value",
                  c, cp);
    if (sb_cp(b, cp))
      return nomem(p);
    p->pos += 2 + (size_t)nd;
    return TC_OK;
  }
  default:
    if (c >= 0x20 && c < 0x7f)
      return fail(p, at, "toml_syntax", "invalid escape sequence '\\%c'", c);
    return fail(p, at, "toml_syntax", "invalid escape sequence");
  }
  if (tc_strbuf_append(b, simple, 1))
    return nomem(p);
  p->pos += 2;
  return TC_OK;
}

/* Copy one (possibly multi-byte) character of string content, rejecting controls. */
static tc_status string_char(parser *p, tc_strbuf *b) {
  int c = peek(p, 0);
  if (is_bad_control(c))
    return fail(p, p->pos, "toml_syntax", "control character 0x%02x in string (must be escaped)",
                c);
  uint32_t cp;
  size_t l = tc_utf8_decode((const unsigned char *)p->s + p->pos, p->n - p->pos, &cp);
  if (l == 0)
    return fail(p, p->pos, "toml_utf8", "invalid UTF-8 in string");
  if (tc_strbuf_append(b, p->s + p->pos, l))
    return nomem(p);
  p->pos += l;
  return TC_OK;
}

/* Parse a string of any of the four kinds; multiline allowed only if allow_ml. */
static tc_status parse_string(parser *p, int allow_ml, tc_strbuf *b) {
  size_t start = p->pos;
  int q = peek(p, 0);
  int literal = q == '\'';
  int ml = peek(p, 1) == q && peek(p, 2) == q;
  if (ml && !allow_ml)
    return fail(p, start, "toml_syntax", "multi-line string not allowed here");
  if (tc_strbuf_append(b, "", 0))
    return nomem(p);
  if (!ml) {
    p->pos++;
    for (;;) {
      int c = peek(p, 0);
      if (c < 0 || c == '\n' || (c == '\r' && peek(p, 1) == '\n'))
        return fail(p, start, "toml_syntax", "unterminated string");
      if (c == q) {
        p->pos++;
        return TC_OK;
      }
      tc_status st = (!literal && c == '\\') ? parse_escape(p, b) : string_char(p, b);
      if (st != TC_OK)
        return st;
    }
  }
  unsigned sline = p->line, scol = col_at(p, start);
  p->pos += 3;
  eat_newline(p); /* a newline right after the opening delimiter is trimmed */
  for (;;) {
    int c = peek(p, 0);
    if (c < 0)
      return fail_lc(p, sline, scol, "toml_syntax", "unterminated multi-line string");
    if (c == q) {
      size_t nq = 0;
      while (peek(p, nq) == q)
        nq++;
      if (nq >= 3) {
        if (nq > 5)
          return fail(p, p->pos, "toml_syntax", "too many quotes closing a multi-line string");
        for (size_t i = 3; i < nq; i++)
          if (tc_strbuf_append(b, p->s + p->pos, 1))
            return nomem(p);
        p->pos += nq;
        return TC_OK;
      }
      if (tc_strbuf_append(b, p->s + p->pos, nq))
        return nomem(p);
      p->pos += nq;
      continue;
    }
    if (c == '\n' || (c == '\r' && peek(p, 1) == '\n')) {
      /* newlines in multi-line strings are normalised to LF */
      if (tc_strbuf_append(b, "\n", 1))
        return nomem(p);
      eat_newline(p);
      continue;
    }
    if (!literal && c == '\\') {
      /* line-ending backslash: \ ws* newline, then trim ws and newlines */
      size_t k = 1;
      while (peek(p, k) == ' ' || peek(p, k) == '\t')
        k++;
      if (peek(p, k) == '\n' || (peek(p, k) == '\r' && peek(p, k + 1) == '\n')) {
        p->pos += k;
        for (;;) {
          skip_ws(p);
          if (!eat_newline(p))
            break;
        }
        continue;
      }
      tc_status st = parse_escape(p, b);
      if (st != TC_OK)
        return st;
      continue;
    }
    tc_status st = string_char(p, b);
    if (st != TC_OK)
      return st;
  }
}

/* ---------- keys ---------- */

static void free_parts(keypart *k, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(k[i].s);
}

/* Parse a (possibly dotted) key into parts[]; *np = count. */
static tc_status parse_key(parser *p, keypart *parts, size_t *np) {
  *np = 0;
  for (;;) {
    skip_ws(p);
    if (*np == MAX_KEY_PARTS)
      return fail(p, p->pos, "toml_too_deep", "key has more than %d dotted parts", MAX_KEY_PARTS);
    keypart *k = &parts[*np];
    k->line = p->line;
    k->column = col_at(p, p->pos);
    int c = peek(p, 0);
    if (c == '"' || c == '\'') {
      tc_strbuf b = {0};
      tc_status st = parse_string(p, 0, &b);
      if (st != TC_OK) {
        tc_strbuf_free(&b);
        return st;
      }
      k->s = b.s;
      k->len = b.len;
    } else if (is_bare(c)) {
      size_t st0 = p->pos;
      while (is_bare(peek(p, 0)))
        p->pos++;
      k->len = p->pos - st0;
      k->s = malloc(k->len + 1);
      if (!k->s)
        return nomem(p);
      memcpy(k->s, p->s + st0, k->len);
      k->s[k->len] = 0;
    } else {
      if (c < 0 || c == '\n' || c == '\r')
        return fail(p, p->pos, "toml_syntax", "expected a key");
      return fail(p, p->pos, "toml_syntax", "invalid character in key");
    }
    (*np)++;
    skip_ws(p);
    if (peek(p, 0) != '.')
      return TC_OK;
    p->pos++;
  }
}

/* Print a dotted path of key parts (for messages); parts that are not bare keys are
 * shown quoted, as in plugins."io.containerd.grpc.v1.cri". */
static void path_str(char *out, size_t cap, const keypart *k, size_t n) {
  size_t o = 0;
  out[0] = 0;
  for (size_t i = 0; i < n && o + 1 < cap; i++) {
    int bare = k[i].len > 0;
    for (size_t j = 0; j < k[i].len; j++)
      if (!is_bare((unsigned char)k[i].s[j]))
        bare = 0;
    int w = snprintf(out + o, cap - o, "%s%s%.*s%s", i ? "." : "", bare ? "" : "\"", (int)k[i].len,
                     k[i].s, bare ? "" : "\"");
    if (w < 0)
      break;
    o += (size_t)w;
  }
  if (o >= cap)
    out[cap - 1] = 0;
}

/* ---------- numbers and dates ---------- */

/* Digits of the given base with single underscores between digits; copies digits to
 * out (capacity cap). Returns number of digits, or -1 on a bad underscore/char. */
static long digits_run(const char *s, size_t n, int base, char *out, size_t cap, size_t *olen) {
  long nd = 0;
  int prev_us = 1; /* an underscore may not lead */
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '_') {
      if (prev_us)
        return -1;
      prev_us = 1;
      continue;
    }
    int v = tc_hex_digit((unsigned char)c);
    if (v < 0 || v >= base)
      return -1;
    if (*olen + 1 < cap)
      out[(*olen)++] = c;
    nd++;
    prev_us = 0;
  }
  if (prev_us && n > 0)
    return -1; /* trailing underscore */
  return nd;
}

static int is_leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int two(const char *s) {
  return (s[0] - '0') * 10 + (s[1] - '0');
}

static int all_digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!is_digit((unsigned char)s[i]))
      return 0;
  return 1;
}

/* Parse a time "HH:MM:SS[.frac]" at p->pos into dt. */
static tc_status parse_time(parser *p, tc_toml_datetime *dt) {
  const char *s = p->s + p->pos;
  size_t avail = p->n - p->pos;
  if (avail < 8 || !all_digits(s, 2) || s[2] != ':' || !all_digits(s + 3, 2) || s[5] != ':' ||
      !all_digits(s + 6, 2))
    return fail(p, p->pos, "toml_syntax", "invalid time (expected HH:MM:SS)");
  dt->hour = two(s), dt->minute = two(s + 3), dt->second = two(s + 6);
  if (dt->hour > 23 || dt->minute > 59 || dt->second > 60)
    return fail(p, p->pos, "toml_range", "time %02d:%02d:%02d out of range", dt->hour, dt->minute,
                dt->second);
  p->pos += 8;
  if (peek(p, 0) == '.') {
    p->pos++;
    if (!is_digit(peek(p, 0)))
      return fail(p, p->pos, "toml_syntax", "fractional seconds need at least one digit");
    int32_t ns = 0;
    int nd = 0;
    while (is_digit(peek(p, 0))) {
      if (nd < 9) {
        ns = ns * 10 + (peek(p, 0) - '0');
        nd++;
      }
      p->pos++;
    }
    for (int i = nd; i < 9; i++)
      ns *= 10;
    dt->nanosecond = ns;
    dt->frac_digits = nd;
  }
  return TC_OK;
}

/* Parse a date, date-time or time starting at p->pos. */
static tc_status parse_datetime(parser *p, tc_toml_value *v) {
  tc_toml_datetime *dt = &v->u.dt;
  const char *s = p->s + p->pos;
  size_t avail = p->n - p->pos;
  if (avail >= 3 && is_digit(s[0]) && is_digit(s[1]) && s[2] == ':') {
    v->type = TC_TOML_TIME_LOCAL;
    return parse_time(p, dt);
  }
  if (avail < 10 || !all_digits(s, 4) || s[4] != '-' || !all_digits(s + 5, 2) || s[7] != '-' ||
      !all_digits(s + 8, 2))
    return fail(p, p->pos, "toml_syntax", "invalid date (expected YYYY-MM-DD)");
  dt->year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + two(s + 2);
  dt->month = two(s + 5);
  dt->day = two(s + 8);
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (dt->month < 1 || dt->month > 12 || dt->day < 1 ||
      dt->day > mdays[dt->month - 1] + (dt->month == 2 && is_leap(dt->year)))
    return fail(p, p->pos, "toml_range", "date %.10s does not exist", s);
  p->pos += 10;
  v->type = TC_TOML_DATE_LOCAL;
  int c = peek(p, 0);
  if (c == 'T' || c == 't' || (c == ' ' && is_digit(peek(p, 1)))) {
    p->pos++;
    tc_status st = parse_time(p, dt);
    if (st != TC_OK)
      return st;
    v->type = TC_TOML_DATETIME_LOCAL;
    c = peek(p, 0);
    if (c == 'Z' || c == 'z') {
      p->pos++;
      v->type = TC_TOML_DATETIME;
      dt->offset_minutes = 0;
    } else if (c == '+' || c == '-') {
      const char *o = p->s + p->pos + 1;
      if (p->n - p->pos < 6 || !all_digits(o, 2) || o[2] != ':' || !all_digits(o + 3, 2))
        return fail(p, p->pos, "toml_syntax", "invalid UTC offset (expected +HH:MM)");
      int oh = two(o), om = two(o + 3);
      if (oh > 23 || om > 59)
        return fail(p, p->pos, "toml_range", "UTC offset out of range");
      dt->offset_minutes = (c == '-' ? -1 : 1) * (oh * 60 + om);
      p->pos += 6;
      v->type = TC_TOML_DATETIME;
    }
  }
  return TC_OK;
}

static tc_status parse_number(parser *p, tc_toml_value *v) {
  size_t start = p->pos;
  while (p->pos < p->n) {
    int c = peek(p, 0);
    if (!(is_bare(c) || c == '.' || c == '+'))
      break;
    p->pos++;
  }
  const char *s = p->s + start;
  size_t n = p->pos - start;
  size_t i = 0;
  int neg = 0, sign = 0;
  if (n > 0 && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    sign = 1;
    i = 1;
  }
  if (n - i == 3 && (memcmp(s + i, "inf", 3) == 0 || memcmp(s + i, "nan", 3) == 0)) {
    v->type = TC_TOML_FLOAT;
    if (s[i] == 'i')
      v->u.flt = neg ? -INFINITY : INFINITY;
    else
      v->u.flt = neg ? -NAN : NAN;
    return TC_OK;
  }
  char buf[512];
  size_t bl = 0;
  if (n - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o' || s[i + 1] == 'b')) {
    if (sign)
      return fail(p, start, "toml_syntax", "sign not allowed on hex/octal/binary integer");
    int base = s[i + 1] == 'x' ? 16 : s[i + 1] == 'o' ? 8 : 2;
    long nd = digits_run(s + i + 2, n - i - 2, base, buf, sizeof buf, &bl);
    if (nd <= 0)
      return fail(p, start, "toml_syntax", "invalid base-%d integer '%.*s'", base, (int)n, s);
    uint64_t acc = 0;
    for (size_t k = 0; k < bl; k++) {
      uint64_t d = (uint64_t)tc_hex_digit((unsigned char)buf[k]);
      if (acc > (UINT64_MAX - d) / (uint64_t)base)
        return fail(p, start, "toml_range", "integer '%.*s' out of 64-bit range", (int)n, s);
      acc = acc * (uint64_t)base + d;
    }
    if (bl >= sizeof buf - 1 || acc > (uint64_t)INT64_MAX)
      return fail(p, start, "toml_range", "integer '%.*s' out of 64-bit range", (int)n, s);
    v->type = TC_TOML_INTEGER;
    v->u.integer = (int64_t)acc;
    return TC_OK;
  }
  /* decimal: int part */
  size_t j = i;
  while (j < n && (is_digit((unsigned char)s[j]) || s[j] == '_'))
    j++;
  if (j == i)
    return fail(p, start, "toml_syntax", "invalid value '%.*s'", (int)(n > 40 ? 40 : n), s);
  if (sign && bl < sizeof buf - 1)
    buf[bl++] = neg ? '-' : '+';
  size_t int_start = bl;
  long nd = digits_run(s + i, j - i, 10, buf, sizeof buf, &bl);
  if (nd <= 0)
    return fail(p, start, "toml_syntax", "invalid number '%.*s' (misplaced underscore)", (int)n, s);
  if (nd > 1 && buf[int_start] == '0')
    return fail(p, start, "toml_syntax", "leading zero in number '%.*s'", (int)n, s);
  int is_float = 0;
  if (j < n && s[j] == '.') {
    is_float = 1;
    size_t k = j + 1;
    while (k < n && (is_digit((unsigned char)s[k]) || s[k] == '_'))
      k++;
    if (bl < sizeof buf - 1)
      buf[bl++] = '.';
    if (k == j + 1 || digits_run(s + j + 1, k - j - 1, 10, buf, sizeof buf, &bl) <= 0)
      return fail(p, start, "toml_syntax", "invalid fraction in float '%.*s'", (int)n, s);
    j = k;
  }
  if (j < n && (s[j] == 'e' || s[j] == 'E')) {
    is_float = 1;
    size_t k = j + 1;
    if (bl < sizeof buf - 1)
      buf[bl++] = 'e';
    if (k < n && (s[k] == '+' || s[k] == '-')) {
      if (bl < sizeof buf - 1)
        buf[bl++] = s[k];
      k++;
    }
    size_t e0 = k;
    while (k < n && (is_digit((unsigned char)s[k]) || s[k] == '_'))
      k++;
    if (k == e0 || digits_run(s + e0, k - e0, 10, buf, sizeof buf, &bl) <= 0)
      return fail(p, start, "toml_syntax", "invalid exponent in float '%.*s'", (int)n, s);
    j = k;
  }
  if (j != n)
    return fail(p, start, "toml_syntax", "invalid value '%.*s'", (int)(n > 40 ? 40 : n), s);
  if (bl >= sizeof buf - 1)
    return fail(p, start, "toml_range", "number too long");
  buf[bl] = 0;
  errno = 0;
  if (is_float) {
    char *end;
    double d = strtod(buf, &end);
    if (*end != 0)
      return fail(p, start, "toml_syntax", "invalid float '%.*s'", (int)n, s);
    if (isinf(d))
      return fail(p, start, "toml_range", "float '%.*s' out of range", (int)n, s);
    v->type = TC_TOML_FLOAT;
    v->u.flt = d;
    return TC_OK;
  }
  char *end;
  long long ll = strtoll(buf, &end, 10);
  if (errno == ERANGE || *end != 0)
    return fail(p, start, "toml_range", "integer '%.*s' out of 64-bit range", (int)n, s);
  v->type = TC_TOML_INTEGER;
  v->u.integer = (int64_t)ll;
  return TC_OK;
}

/* ---------- values ---------- */

static tc_status parse_value(parser *p, int depth, tc_toml_value **out);
static tc_status assign_dotted(parser *p, tc_toml_value *base, keypart *parts, size_t np,
                               tc_toml_value *val, int in_inline, int *consumed);

static void mark_inline(tc_toml_value *v) {
  if (v->type == TC_TOML_TABLE) {
    v->flags |= F_INLINE;
    for (size_t i = 0; i < v->u.table.len; i++)
      mark_inline(v->u.table.items[i].value);
  }
}

static tc_status parse_inline_table(parser *p, int depth, tc_toml_value *t) {
  p->pos++; /* { */
  skip_ws(p);
  if (peek(p, 0) == '}') {
    p->pos++;
    t->flags |= F_INLINE;
    return TC_OK;
  }
  for (;;) {
    keypart parts[MAX_KEY_PARTS];
    size_t np = 0;
    tc_status st = parse_key(p, parts, &np);
    if (st != TC_OK) {
      free_parts(parts, np);
      return st;
    }
    skip_ws(p);
    if (peek(p, 0) != '=') {
      free_parts(parts, np);
      return fail(p, p->pos, "toml_syntax", "expected '=' after key in inline table");
    }
    p->pos++;
    skip_ws(p);
    tc_toml_value *val = NULL;
    st = parse_value(p, depth + 1, &val);
    if (st == TC_OK) {
      int consumed = 0;
      st = assign_dotted(p, t, parts, np, val, 1, &consumed);
      if (!consumed)
        value_free(val);
    }
    free_parts(parts, np);
    if (st != TC_OK)
      return st;
    skip_ws(p);
    int c = peek(p, 0);
    if (c == ',') {
      p->pos++;
      skip_ws(p);
      if (peek(p, 0) == '}')
        return fail(p, p->pos, "toml_syntax", "trailing comma in inline table");
      continue;
    }
    if (c == '}') {
      p->pos++;
      mark_inline(t);
      return TC_OK;
    }
    if (c == '\n' || c == '\r')
      return fail(p, p->pos, "toml_syntax", "newline inside inline table");
    return fail(p, p->pos, "toml_syntax", "expected ',' or '}' in inline table");
  }
}

static tc_status parse_array(parser *p, int depth, tc_toml_value *a) {
  p->pos++; /* [ */
  for (;;) {
    tc_status st = skip_ws_nl(p);
    if (st != TC_OK)
      return st;
    if (peek(p, 0) == ']') {
      p->pos++;
      return TC_OK;
    }
    tc_toml_value *el = NULL;
    st = parse_value(p, depth + 1, &el);
    if (st != TC_OK)
      return st;
    if (array_add(a, el)) {
      value_free(el);
      return nomem(p);
    }
    st = skip_ws_nl(p);
    if (st != TC_OK)
      return st;
    int c = peek(p, 0);
    if (c == ',') {
      p->pos++;
      continue;
    }
    if (c == ']') {
      p->pos++;
      return TC_OK;
    }
    return fail(p, p->pos, "toml_syntax", "expected ',' or ']' in array");
  }
}

static tc_status parse_value(parser *p, int depth, tc_toml_value **out) {
  *out = NULL;
  if (depth > TC_TOML_MAX_DEPTH)
    return fail(p, p->pos, "toml_too_deep", "values nested deeper than %d", TC_TOML_MAX_DEPTH);
  unsigned line = p->line, col = col_at(p, p->pos);
  int c = peek(p, 0);
  /* BOOL owns no memory, so a failed parse of any other kind frees cleanly */
  tc_toml_value *v = new_value(TC_TOML_BOOL, line, col);
  if (!v)
    return nomem(p);
  tc_status st = TC_OK;
  if (c == '"' || c == '\'') {
    tc_strbuf b = {0};
    v->type = TC_TOML_STRING;
    st = parse_string(p, 1, &b);
    v->u.str.ptr = b.s;
    v->u.str.len = b.len;
  } else if (c == 't' && p->n - p->pos >= 4 && memcmp(p->s + p->pos, "true", 4) == 0 &&
             !is_bare(peek(p, 4))) {
    v->type = TC_TOML_BOOL;
    v->u.boolean = 1;
    p->pos += 4;
  } else if (c == 'f' && p->n - p->pos >= 5 && memcmp(p->s + p->pos, "false", 5) == 0 &&
             !is_bare(peek(p, 5))) {
    v->type = TC_TOML_BOOL;
    v->u.boolean = 0;
    p->pos += 5;
  } else if (c == '[') {
    v->type = TC_TOML_ARRAY;
    st = parse_array(p, depth, v);
  } else if (c == '{') {
    v->type = TC_TOML_TABLE;
    st = parse_inline_table(p, depth, v);
  } else if (is_digit(c) && ((is_digit(peek(p, 1)) && peek(p, 2) == ':') ||
                             (is_digit(peek(p, 1)) && is_digit(peek(p, 2)) &&
                              is_digit(peek(p, 3)) && peek(p, 4) == '-'))) {
    st = parse_datetime(p, v);
  } else if (is_digit(c) || c == '+' || c == '-' || c == 'i' || c == 'n') {
    st = parse_number(p, v);
  } else if (c < 0 || c == '\n' || c == '\r' || c == '#') {
    st = fail(p, p->pos, "toml_syntax", "missing value");
  } else {
    st = fail(p, p->pos, "toml_syntax", "invalid value");
  }
  if (st != TC_OK) {
    value_free(v);
    return st;
  }
  *out = v;
  return TC_OK;
}

/* ---------- tables and redefinition rules ---------- */

static tc_status add_diag(parser *p, unsigned line, unsigned col, const char *reason,
                          const char *path, const char *msg) {
  tc_toml_doc *d = p->doc;
  tc_toml_diag *nd = realloc(d->diags, (d->n_diags + 1) * sizeof *nd);
  if (!nd)
    return nomem(p);
  d->diags = nd;
  tc_toml_diag *g = &nd[d->n_diags];
  memset(g, 0, sizeof *g);
  g->line = line;
  g->column = col;
  snprintf(g->reason, sizeof g->reason, "%s", reason);
  snprintf(g->message, sizeof g->message, "%s", msg);
  g->key_path = strdup(path);
  if (!g->key_path)
    return nomem(p);
  d->n_diags++;
  return TC_OK;
}

static tc_status add_pending(parser *p, tc_toml_value *t) {
  if (p->n_pending == p->cap_pending) {
    size_t nc = p->cap_pending ? p->cap_pending * 2 : 16;
    tc_toml_value **np = realloc(p->pending, nc * sizeof *np);
    if (!np)
      return nomem(p);
    p->pending = np;
    p->cap_pending = nc;
  }
  p->pending[p->n_pending++] = t;
  return TC_OK;
}

/* Assign val at base.parts[0..np) (dotted key). On success *consumed = 1 (val owned by
 * the tree). in_inline: base is an inline table being parsed (its dotted sub-tables are
 * frozen with it, so they are not tracked as pending for the section). */
static tc_status assign_dotted(parser *p, tc_toml_value *base, keypart *parts, size_t np,
                               tc_toml_value *val, int in_inline, int *consumed) {
  char path[256];
  *consumed = 0;
  tc_toml_value *t = base;
  for (size_t i = 0; i + 1 < np; i++) {
    tc_toml_entry *e = table_find(t, parts[i].s, parts[i].len);
    if (!e) {
      tc_toml_value *nt = new_value(TC_TOML_TABLE, parts[i].line, parts[i].column);
      if (!nt || table_add(t, &parts[i], nt)) {
        value_free(nt);
        return nomem(p);
      }
      nt->flags |= F_DOTTED;
      if (!in_inline) {
        tc_status st = add_pending(p, nt);
        if (st != TC_OK)
          return st;
      }
      t = nt;
      continue;
    }
    tc_toml_value *x = e->value;
    path_str(path, sizeof path, parts, i + 1);
    if (x->type != TC_TOML_TABLE)
      return fail_lc(p, parts[i].line, parts[i].column, "toml_redefinition",
                     "key '%s' is already a %s (defined at %u:%u), cannot add keys to it", path,
                     tc_toml_type_name(x->type), e->line, e->column);
    if (x->flags & F_INLINE)
      return fail_lc(p, parts[i].line, parts[i].column, "toml_redefinition",
                     "cannot add keys to inline table '%s' (defined at %u:%u)", path, e->line,
                     e->column);
    if (x->flags & (F_EXPLICIT | F_SEALED))
      return fail_lc(p, parts[i].line, parts[i].column, "toml_redefinition",
                     "dotted key re-opens table '%s' defined at %u:%u", path, e->line, e->column);
    t = x;
  }
  keypart *last = &parts[np - 1];
  tc_toml_entry *e = table_find(t, last->s, last->len);
  if (e) {
    path_str(path, sizeof path, parts, np);
    if (p->options & TC_TOML_RECOVER_DUPLICATES) {
      char full[520], msg[200];
      if (in_inline || p->section_path[0] == 0)
        snprintf(full, sizeof full, "%s", path);
      else
        snprintf(full, sizeof full, "%s.%s", p->section_path, path);
      snprintf(msg, sizeof msg, "key '%.150s' is already defined at %u:%u", path, e->line,
               e->column);
      return add_diag(p, last->line, last->column, "duplicate_key", full, msg);
    }
    return fail_lc(p, last->line, last->column, "toml_duplicate_key",
                   "duplicate key '%s' (first defined at %u:%u)", path, e->line, e->column);
  }
  if (table_add(t, last, val))
    return nomem(p);
  *consumed = 1;
  return TC_OK;
}

static void seal_pending(parser *p) {
  for (size_t i = 0; i < p->n_pending; i++)
    p->pending[i]->flags |= F_SEALED;
  p->n_pending = 0;
}

/* The table that a header's leading key parts (all but the last of np) lead to from the
 * root: each part's table, created when absent; an array of tables leads to its last table.
 * A part that is a value or an inline table is a redefinition. */
static tc_status header_parent(parser *p, const keypart *parts, size_t np, tc_toml_value **out) {
  char path[256];
  tc_toml_value *t = p->doc->root;
  for (size_t i = 0; i + 1 < np; i++) {
    tc_toml_entry *e = table_find(t, parts[i].s, parts[i].len);
    if (!e) {
      tc_toml_value *nt = new_value(TC_TOML_TABLE, parts[i].line, parts[i].column);
      if (!nt || table_add(t, &parts[i], nt)) {
        value_free(nt);
        return nomem(p);
      }
      t = nt;
      continue;
    }
    tc_toml_value *x = e->value;
    path_str(path, sizeof path, parts, i + 1);
    if (x->type == TC_TOML_ARRAY && (x->flags & F_AOT) && x->u.array.len > 0) {
      t = x->u.array.items[x->u.array.len - 1];
      continue;
    }
    if (x->type != TC_TOML_TABLE)
      return fail_lc(p, parts[i].line, parts[i].column, "toml_redefinition",
                     "key '%s' is already a %s (defined at %u:%u), not a table", path,
                     tc_toml_type_name(x->type), e->line, e->column);
    if (x->flags & F_INLINE)
      return fail_lc(p, parts[i].line, parts[i].column, "toml_redefinition",
                     "cannot extend inline table '%s' (defined at %u:%u)", path, e->line,
                     e->column);
    t = x;
  }
  *out = t;
  return TC_OK;
}

/* A new table defined by the header at hline:hcol: appended to the array of tables arr,
 * or (arr NULL) added to t under `last`; the section from here on. */
static tc_status open_new_table(parser *p, tc_toml_value *t, const keypart *last,
                                tc_toml_value *arr, unsigned hline, unsigned hcol) {
  tc_toml_value *nt = new_value(TC_TOML_TABLE, hline, hcol);
  if (!nt || (arr ? array_add(arr, nt) : table_add(t, last, nt))) {
    value_free(nt);
    return nomem(p);
  }
  nt->flags |= F_EXPLICIT;
  p->section = nt;
  return TC_OK;
}

/* [[path]] (its last key part `last` in table t, entry e if present): a new table appended
 * to the array of tables, which is created when absent; any other value there is a
 * redefinition. */
static tc_status open_array_table(parser *p, tc_toml_value *t, const keypart *last,
                                  tc_toml_entry *e, const char *path, unsigned hline,
                                  unsigned hcol) {
  tc_toml_value *arr;
  if (!e) {
    arr = new_value(TC_TOML_ARRAY, hline, hcol);
    if (!arr || table_add(t, last, arr)) {
      value_free(arr);
      return nomem(p);
    }
    arr->flags |= F_AOT;
  } else {
    arr = e->value;
    if (arr->type != TC_TOML_ARRAY || !(arr->flags & F_AOT))
      return fail_lc(p, hline, hcol, "toml_redefinition",
                     "[[%s]]: key is already defined as a %s at %u:%u", path,
                     arr->type == TC_TOML_ARRAY ? "static array" : tc_toml_type_name(arr->type),
                     e->line, e->column);
  }
  return open_new_table(p, t, last, arr, hline, hcol);
}

/* [path] (its last key part `last` in table t, entry e if present): a new table, or one
 * made implicitly by a header below it, now defined here. A table defined twice is a
 * duplicate (with TC_TOML_RECOVER_DUPLICATES a diagnostic, and the first one goes on);
 * a value, an inline table or a table made by dotted keys is a redefinition. */
static tc_status open_table(parser *p, tc_toml_value *t, const keypart *last, tc_toml_entry *e,
                            const char *path, unsigned hline, unsigned hcol) {
  if (!e)
    return open_new_table(p, t, last, NULL, hline, hcol);
  tc_toml_value *x = e->value;
  if (x->type != TC_TOML_TABLE)
    return fail_lc(p, hline, hcol, "toml_redefinition",
                   "[%s]: key is already defined as a %s at %u:%u", path,
                   x->type == TC_TOML_ARRAY && (x->flags & F_AOT) ? "array of tables"
                                                                  : tc_toml_type_name(x->type),
                   e->line, e->column);
  if (x->flags & (F_EXPLICIT | F_DOTTED | F_INLINE)) {
    char msg[200];
    snprintf(msg, sizeof msg, "table [%.150s] is already defined at %u:%u", path, x->line,
             x->column);
    if ((x->flags & F_EXPLICIT) && (p->options & TC_TOML_RECOVER_DUPLICATES)) {
      p->section = x;
      return add_diag(p, hline, hcol, "duplicate_table", path, msg);
    }
    return fail_lc(p, hline, hcol,
                   (x->flags & F_EXPLICIT) ? "toml_duplicate_table" : "toml_redefinition", "%s%s",
                   msg,
                   (x->flags & F_INLINE)   ? " as an inline table"
                   : (x->flags & F_DOTTED) ? " by dotted keys"
                                           : "");
  }
  x->flags |= F_EXPLICIT;
  x->line = hline;
  x->column = hcol;
  p->section = x;
  return TC_OK;
}

/* [header] or [[header]] at p->pos. */
static tc_status parse_header(parser *p) {
  size_t hpos = p->pos;
  unsigned hline = p->line, hcol = col_at(p, hpos);
  int aot = peek(p, 1) == '[';
  p->pos += aot ? 2 : 1;
  keypart parts[MAX_KEY_PARTS];
  size_t np = 0;
  tc_status st = parse_key(p, parts, &np);
  if (st == TC_OK && (peek(p, 0) != ']' || (aot && peek(p, 1) != ']')))
    st =
        fail(p, p->pos, "toml_syntax", "expected '%s' to close the table header", aot ? "]]" : "]");
  if (st == TC_OK) {
    p->pos += aot ? 2 : 1;
    st = expect_eol(p, "table header");
  }
  tc_toml_value *t = NULL;
  if (st == TC_OK) {
    seal_pending(p);
    path_str(p->section_path, sizeof p->section_path, parts, np);
    st = header_parent(p, parts, np, &t);
  }
  if (st == TC_OK) {
    char path[256];
    const keypart *last = &parts[np - 1];
    path_str(path, sizeof path, parts, np);
    tc_toml_entry *e = table_find(t, last->s, last->len);
    st = aot ? open_array_table(p, t, last, e, path, hline, hcol)
             : open_table(p, t, last, e, path, hline, hcol);
  }
  free_parts(parts, np);
  return st;
}

static tc_status parse_keyval(parser *p) {
  keypart parts[MAX_KEY_PARTS];
  size_t np = 0;
  tc_status st = parse_key(p, parts, &np);
  if (st == TC_OK) {
    skip_ws(p);
    if (peek(p, 0) != '=') {
      char path[256];
      path_str(path, sizeof path, parts, np);
      st = fail(p, p->pos, "toml_syntax", "expected '=' after key '%s'", path);
    }
  }
  if (st == TC_OK) {
    p->pos++;
    skip_ws(p);
    tc_toml_value *val = NULL;
    st = parse_value(p, 1, &val);
    if (st == TC_OK) {
      int consumed = 0;
      st = assign_dotted(p, p->section, parts, np, val, 0, &consumed);
      if (!consumed)
        value_free(val);
    }
  }
  free_parts(parts, np);
  if (st != TC_OK)
    return st;
  return expect_eol(p, "value");
}

tc_status tc_toml_parse(const char *text, size_t len, unsigned options, tc_toml_doc **out,
                        tc_error *err) {
  *out = NULL;
  parser p = {.s = text, .n = len, .line = 1, .options = options, .err = err};
  tc_status st = check_utf8(&p);
  if (st != TC_OK)
    return st;
  p.doc = calloc(1, sizeof *p.doc);
  if (!p.doc)
    return nomem(&p);
  p.doc->root = new_value(TC_TOML_TABLE, 1, 1);
  if (!p.doc->root) {
    tc_toml_doc_free(p.doc);
    return nomem(&p);
  }
  p.section = p.doc->root;
  if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
    p.pos = 3; /* a UTF-8 byte order mark is not content */
    p.line_start = 3;
  }
  while (st == TC_OK && p.pos < p.n) {
    skip_ws(&p);
    int c = peek(&p, 0);
    if (c < 0)
      break;
    if (c == '#' || c == '\n' || c == '\r') {
      st = expect_eol(&p, "comment");
    } else if (c == '[') {
      st = parse_header(&p);
    } else {
      st = parse_keyval(&p);
    }
  }
  free(p.pending);
  if (st != TC_OK) {
    tc_toml_doc_free(p.doc);
    return st;
  }
  *out = p.doc;
  return TC_OK;
}

void tc_toml_doc_free(tc_toml_doc *doc) {
  if (!doc)
    return;
  value_free(doc->root);
  for (size_t i = 0; i < doc->n_diags; i++)
    free(doc->diags[i].key_path);
  free(doc->diags);
  free(doc);
}

const tc_toml_entry *tc_toml_get(const tc_toml_value *tbl, const char *key) {
  if (!tbl || tbl->type != TC_TOML_TABLE || !key)
    return NULL;
  return table_find(tbl, key, strlen(key));
}

const tc_toml_value *tc_toml_path(const tc_toml_value *tbl, const char *dotted) {
  const tc_toml_value *cur = tbl;
  const char *s = dotted;
  while (cur) {
    const char *dot = strchr(s, '.');
    size_t l = dot ? (size_t)(dot - s) : strlen(s);
    if (cur->type != TC_TOML_TABLE)
      return NULL;
    const tc_toml_entry *e = table_find(cur, s, l);
    if (!e)
      return NULL;
    cur = e->value;
    if (!dot)
      return cur;
    s = dot + 1;
  }
  return NULL;
}

const char *tc_toml_type_name(tc_toml_type type) {
  switch (type) {
  case TC_TOML_TABLE:
    return "table";
  case TC_TOML_ARRAY:
    return "array";
  case TC_TOML_STRING:
    return "string";
  case TC_TOML_INTEGER:
    return "integer";
  case TC_TOML_FLOAT:
    return "float";
  case TC_TOML_BOOL:
    return "bool";
  case TC_TOML_DATETIME:
    return "datetime";
  case TC_TOML_DATETIME_LOCAL:
    return "datetime-local";
  case TC_TOML_DATE_LOCAL:
    return "date-local";
  case TC_TOML_TIME_LOCAL:
    return "time-local";
  }
  return "?";
}
