/* SPDX-License-Identifier: Apache-2.0 */
/* Pure text parsers of the probe: cpuinfo flags, misc cgroup files, module parameters,
 * CPUID dumps (vectors/hosts cpuid.txt format) and character-device lists (DEVICES.txt).
 * No I/O here. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "node/parse.h"

static int is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

int node_cpuinfo_has_flag(const char *cpuinfo, const char *flag) {
  if (cpuinfo == NULL || flag == NULL || flag[0] == '\0')
    return 0;
  size_t flen = strlen(flag);
  const char *line = cpuinfo;
  while (*line) {
    const char *end = strchr(line, '\n');
    size_t llen = end ? (size_t)(end - line) : strlen(line);
    /* "flags\t\t: fpu vme ..." — the key is the first word, followed by blanks and ':' */
    if (llen >= 5 && strncmp(line, "flags", 5) == 0 &&
        (llen == 5 || is_blank(line[5]) || line[5] == ':')) {
      const char *colon = memchr(line, ':', llen);
      const char *p = colon ? colon + 1 : line + llen, *stop = line + llen;
      while (p < stop) {
        while (p < stop && is_blank(*p))
          p++;
        const char *w = p;
        while (p < stop && !is_blank(*p))
          p++;
        if ((size_t)(p - w) == flen && memcmp(w, flag, flen) == 0)
          return 1;
      }
      /* every processor's flags line counts: go on to the next one */
    }
    if (end == NULL)
      break;
    line = end + 1;
  }
  return 0;
}

/* Parse a non-negative decimal in [s, e) (surrounding blanks allowed). */
static int parse_dec(const char *s, const char *e, int64_t *v) {
  while (s < e && is_blank(*s))
    s++;
  while (e > s && is_blank(e[-1]))
    e--;
  if (s == e)
    return 0;
  int64_t x = 0;
  for (; s < e; s++) {
    if (!isdigit((unsigned char)*s))
      return 0;
    if (x > (INT64_MAX - 9) / 10)
      return 0;
    x = x * 10 + (*s - '0');
  }
  *v = x;
  return 1;
}

int node_misc_lookup(const char *text, const char *key, int64_t *value) {
  if (text == NULL || key == NULL)
    return 0;
  size_t klen = strlen(key);
  const char *line = text;
  while (*line) {
    const char *end = strchr(line, '\n');
    const char *stop = end ? end : line + strlen(line);
    const char *p = line;
    while (p < stop && is_blank(*p))
      p++;
    const char *w = p;
    while (p < stop && !is_blank(*p))
      p++;
    if ((size_t)(p - w) == klen && memcmp(w, key, klen) == 0)
      return parse_dec(p, stop, value);
    if (end == NULL)
      break;
    line = end + 1;
  }
  return 0;
}

int node_param_bool(const char *text, int *on) {
  if (text == NULL)
    return 0;
  size_t n = strlen(text);
  while (n > 0 && (text[n - 1] == '\n' || is_blank(text[n - 1])))
    n--;
  if (n != 1)
    return 0;
  switch (text[0]) {
  case 'Y':
  case '1':
    *on = 1;
    return 1;
  case 'N':
  case '0':
    *on = 0;
    return 1;
  default:
    return 0;
  }
}

/* Split one line (NUL-terminated copy) into at most max words; returns the count
 * (max + 1 means "too many"). */
static size_t split_words(char *line, char **words, size_t max) {
  size_t n = 0;
  char *p = line;
  for (;;) {
    while (*p && is_blank(*p))
      p++;
    if (*p == '\0')
      return n;
    if (n == max)
      return max + 1;
    words[n++] = p;
    while (*p && !is_blank(*p))
      p++;
    if (*p)
      *p++ = '\0';
  }
}

static int parse_hex32(const char *s, uint32_t *v) {
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
    s += 2;
  if (*s == '\0')
    return 0;
  uint64_t x = 0;
  for (; *s; s++) {
    int d;
    if (*s >= '0' && *s <= '9')
      d = *s - '0';
    else if (*s >= 'a' && *s <= 'f')
      d = *s - 'a' + 10;
    else if (*s >= 'A' && *s <= 'F')
      d = *s - 'A' + 10;
    else
      return 0;
    x = (x << 4) | (uint64_t)d;
    if (x > 0xffffffffu)
      return -1;
  }
  *v = (uint32_t)x;
  return 1;
}

/* Iterate lines of a (not necessarily NUL-terminated) text: copies each line into a
 * malloc'd buffer; calls fn; stops on error. */
typedef tc_status (*line_fn)(void *ctx, char *line, size_t lineno, tc_error *err);

static tc_status for_each_line(const char *text, size_t len, const char *name, const char *reason,
                               void *ctx, line_fn fn, tc_error *err) {
  size_t pos = 0, lineno = 0;
  while (pos < len) {
    size_t start = pos;
    while (pos < len && text[pos] != '\n')
      pos++;
    size_t llen = pos - start;
    if (pos < len)
      pos++;
    lineno++;
    char *line = malloc(llen + 1);
    if (line == NULL)
      return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "line %zu", lineno);
    memcpy(line, text + start, llen);
    line[llen] = '\0';
    if (memchr(line, '\0', llen) != NULL) {
      free(line);
      return tc_fail(err, TC_ERR_PARSE, reason, "%s:%zu: NUL byte in text", name, lineno);
    }
    tc_status st = fn(ctx, line, lineno, err);
    free(line);
    if (st != TC_OK)
      return st;
  }
  return TC_OK;
}

static int skip_line(const char *line) {
  while (*line && is_blank(*line))
    line++;
  return *line == '\0' || *line == '#';
}

struct cpuid_ctx {
  const char *name;
  node_cpuid_table *t;
  size_t cap;
};

static tc_status cpuid_line(void *vctx, char *line, size_t lineno, tc_error *err) {
  struct cpuid_ctx *c = vctx;
  if (skip_line(line))
    return TC_OK;
  char *w[6];
  size_t n = split_words(line, w, 6);
  if (n != 6)
    return tc_fail(err, TC_ERR_PARSE, "cpuid_dump_malformed",
                   "%s:%zu: expected 6 hex fields 'leaf subleaf eax ebx ecx edx', found %s",
                   c->name, lineno, n > 6 ? "more" : (n == 0 ? "none" : "fewer"));
  static const char *const field[6] = {"leaf", "subleaf", "eax", "ebx", "ecx", "edx"};
  uint32_t v[6];
  for (size_t i = 0; i < 6; i++) {
    int r = parse_hex32(w[i], &v[i]);
    if (r != 1)
      return tc_fail(err, TC_ERR_PARSE, "cpuid_dump_malformed", "%s:%zu: %s '%s' %s", c->name,
                     lineno, field[i], w[i], r < 0 ? "is above 32 bits" : "is not hex");
  }
  for (size_t i = 0; i < c->t->count; i++)
    if (c->t->entries[i].leaf == v[0] && c->t->entries[i].subleaf == v[1])
      return tc_fail(err, TC_ERR_PARSE, "cpuid_dump_malformed",
                     "%s:%zu: leaf 0x%x subleaf 0x%x listed twice", c->name, lineno, v[0], v[1]);
  if (c->t->count == c->cap) {
    size_t ncap = c->cap ? c->cap * 2 : 16;
    node_cpuid_entry *ne = realloc(c->t->entries, ncap * sizeof *ne);
    if (ne == NULL)
      return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "%s:%zu", c->name, lineno);
    c->t->entries = ne;
    c->cap = ncap;
  }
  c->t->entries[c->t->count++] = (node_cpuid_entry){
      .leaf = v[0], .subleaf = v[1], .eax = v[2], .ebx = v[3], .ecx = v[4], .edx = v[5]};
  return TC_OK;
}

tc_status node_cpuid_parse(const char *text, size_t len, const char *name, node_cpuid_table *t,
                           tc_error *err) {
  memset(t, 0, sizeof *t);
  struct cpuid_ctx c = {.name = name ? name : "cpuid", .t = t, .cap = 0};
  tc_status st = for_each_line(text, len, c.name, "cpuid_dump_malformed", &c, cpuid_line, err);
  if (st != TC_OK)
    node_cpuid_table_free(t);
  return st;
}

void node_cpuid_table_free(node_cpuid_table *t) {
  if (t == NULL)
    return;
  free(t->entries);
  memset(t, 0, sizeof *t);
}

struct chardev_ctx {
  const char *name;
  node_chardev_list *l;
  size_t cap;
};

static int valid_dec_or_dynamic(const char *s, int allow_dynamic) {
  if (allow_dynamic && strcmp(s, "dynamic") == 0)
    return 1;
  int64_t v;
  return parse_dec(s, s + strlen(s), &v);
}

static tc_status chardev_line(void *vctx, char *line, size_t lineno, tc_error *err) {
  struct chardev_ctx *c = vctx;
  if (skip_line(line))
    return TC_OK;
  char *w[3];
  size_t n = split_words(line, w, 3);
  if (n != 3)
    return tc_fail(err, TC_ERR_PARSE, "char_devices_malformed",
                   "%s:%zu: expected 'path c major:minor'", c->name, lineno);
  if (strcmp(w[1], "c") != 0)
    return tc_fail(err, TC_ERR_PARSE, "char_devices_malformed",
                   "%s:%zu: type '%s' is not 'c' (character device)", c->name, lineno, w[1]);
  char *colon = strchr(w[2], ':');
  if (colon == NULL)
    return tc_fail(err, TC_ERR_PARSE, "char_devices_malformed", "%s:%zu: '%s' is not major:minor",
                   c->name, lineno, w[2]);
  *colon = '\0';
  if (!valid_dec_or_dynamic(w[2], 0) || !valid_dec_or_dynamic(colon + 1, 1))
    return tc_fail(err, TC_ERR_PARSE, "char_devices_malformed",
                   "%s:%zu: major:minor must be decimal numbers (minor may be 'dynamic')", c->name,
                   lineno);
  const char *path = w[0];
  while (*path == '/')
    path++;
  if (*path == '\0' || strstr(path, "..") != NULL)
    return tc_fail(err, TC_ERR_PARSE, "char_devices_malformed",
                   "%s:%zu: path '%s' must be relative to the root, without '..'", c->name, lineno,
                   w[0]);
  if (c->l->count == c->cap) {
    size_t ncap = c->cap ? c->cap * 2 : 8;
    char **np = realloc(c->l->paths, ncap * sizeof *np);
    if (np == NULL)
      return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "%s:%zu", c->name, lineno);
    c->l->paths = np;
    c->cap = ncap;
  }
  char *dup = strdup(path);
  if (dup == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "%s:%zu", c->name, lineno);
  c->l->paths[c->l->count++] = dup;
  return TC_OK;
}

tc_status node_chardev_parse(const char *text, size_t len, const char *name, node_chardev_list *l,
                             tc_error *err) {
  memset(l, 0, sizeof *l);
  struct chardev_ctx c = {.name = name ? name : "devices", .l = l, .cap = 0};
  tc_status st = for_each_line(text, len, c.name, "char_devices_malformed", &c, chardev_line, err);
  if (st != TC_OK)
    node_chardev_list_free(l);
  return st;
}

void node_chardev_list_free(node_chardev_list *l) {
  if (l == NULL)
    return;
  for (size_t i = 0; i < l->count; i++)
    free(l->paths[i]);
  free(l->paths);
  memset(l, 0, sizeof *l);
}
