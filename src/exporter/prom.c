/* SPDX-License-Identifier: Apache-2.0 */
/* Prometheus text exposition format 0.0.4 writer (prometheus.io, "Exposition formats":
 * "Text-based format"). Builds the text in memory; no I/O. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/internal.h"
#include "teectl/bytes.h"
#include "teectl/exporter.h"

void tc_prom_init(tc_prom_writer *w) {
  memset(w, 0, sizeof *w);
}

void tc_prom_free(tc_prom_writer *w) {
  if (w == NULL)
    return;
  free(w->text);
  for (size_t i = 0; i < w->n_names; i++)
    free(w->names[i]);
  free(w->names);
  memset(w, 0, sizeof *w);
}

/* Make room for n more bytes plus the NUL. */
static int reserve(tc_prom_writer *w, size_t n) {
  if (w->len + n + 1 <= w->cap)
    return 0;
  size_t cap = w->cap ? w->cap : 1024;
  while (cap < w->len + n + 1)
    cap *= 2;
  char *p = realloc(w->text, cap);
  if (p == NULL)
    return -1;
  w->text = p;
  w->cap = cap;
  return 0;
}

static int put(tc_prom_writer *w, const char *s, size_t n) {
  if (reserve(w, n) != 0)
    return -1;
  memcpy(w->text + w->len, s, n);
  w->len += n;
  w->text[w->len] = '\0';
  return 0;
}

static int puts_(tc_prom_writer *w, const char *s) {
  return put(w, s, strlen(s));
}

/* Escape for HELP (backslash, line feed) or label values (also double quote). */
static int put_escaped(tc_prom_writer *w, const char *s, int quote) {
  for (; *s; s++) {
    int rc;
    if (*s == '\\')
      rc = put(w, "\\\\", 2);
    else if (*s == '\n')
      rc = put(w, "\\n", 2);
    else if (quote && *s == '"')
      rc = put(w, "\\\"", 2);
    else
      rc = put(w, s, 1);
    if (rc != 0)
      return -1;
  }
  return 0;
}

static int is_alpha_(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

static int metric_name_valid(const char *n) {
  if (n == NULL || n[0] == '\0' || strlen(n) >= sizeof(((tc_prom_writer *)0)->family))
    return 0;
  if (!is_alpha_(n[0]) && n[0] != ':')
    return 0;
  for (const char *p = n + 1; *p; p++)
    if (!is_alpha_(*p) && !is_digit(*p) && *p != ':')
      return 0;
  return 1;
}

static int label_name_valid(const char *n) {
  if (n == NULL || n[0] == '\0' || !is_alpha_(n[0]))
    return 0;
  if (n[0] == '_' && n[1] == '_')
    return 0; /* reserved for Prometheus-internal labels */
  for (const char *p = n + 1; *p; p++)
    if (!is_alpha_(*p) && !is_digit(*p))
      return 0;
  return 1;
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

tc_status tc_prom_family(tc_prom_writer *w, const char *name, tc_prom_type type, const char *help,
                         tc_error *err) {
  if (!metric_name_valid(name))
    return tc_fail(err, TC_ERR_USAGE, "prom_bad_metric_name", "invalid metric name '%s'",
                   name ? name : "(null)");
  if (type == TC_PROM_COUNTER && !ends_with(name, "_total"))
    return tc_fail(err, TC_ERR_USAGE, "prom_bad_metric_name", "counter '%s' must end in _total",
                   name);
  if (type != TC_PROM_COUNTER && type != TC_PROM_GAUGE)
    return tc_fail(err, TC_ERR_USAGE, "prom_bad_metric_name", "unknown type for '%s'", name);
  if (help == NULL || !tc_utf8_valid(help))
    return tc_fail(err, TC_ERR_USAGE, "prom_bad_text", "HELP of '%s' is not UTF-8 text", name);
  for (size_t i = 0; i < w->n_names; i++)
    if (strcmp(w->names[i], name) == 0)
      return tc_fail(err, TC_ERR_USAGE, "prom_duplicate_family", "metric family '%s' written twice",
                     name);

  char **names = realloc(w->names, (w->n_names + 1) * sizeof *names);
  if (names == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "metric family list");
  w->names = names;
  char *copy = strdup(name);
  if (copy == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "metric family name");

  size_t mark = w->len;
  int rc = puts_(w, "# HELP ") | puts_(w, name) | puts_(w, " ") | put_escaped(w, help, 0) |
           puts_(w, "\n# TYPE ") | puts_(w, name) |
           puts_(w, type == TC_PROM_COUNTER ? " counter\n" : " gauge\n");
  if (rc != 0) {
    free(copy);
    w->len = mark;
    if (w->text)
      w->text[mark] = '\0';
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "exposition text");
  }
  w->names[w->n_names++] = copy;
  snprintf(w->family, sizeof w->family, "%s", name);
  return TC_OK;
}

/* Format a float64 per the text format (Go ParseFloat syntax; NaN, +Inf, -Inf). */
static void format_value(double v, char *out, size_t cap) {
  if (isnan(v))
    snprintf(out, cap, "NaN");
  else if (isinf(v))
    snprintf(out, cap, v > 0 ? "+Inf" : "-Inf");
  else if (v == floor(v) && fabs(v) <= 9007199254740992.0) /* 2^53: exact integers */
    snprintf(out, cap, "%.0f", v);
  else
    snprintf(out, cap, "%.17g", v);
}

tc_status tc_prom_sample(tc_prom_writer *w, const tc_prom_label *labels, size_t n_labels,
                         double value, tc_error *err) {
  if (w->family[0] == '\0')
    return tc_fail(err, TC_ERR_USAGE, "prom_no_family", "sample written before any family");
  if (n_labels > 0 && labels == NULL)
    return tc_fail(err, TC_ERR_USAGE, "prom_bad_label_name", "labels missing for '%s'", w->family);
  for (size_t i = 0; i < n_labels; i++) {
    if (!label_name_valid(labels[i].name))
      return tc_fail(err, TC_ERR_USAGE, "prom_bad_label_name", "invalid label name '%s' on '%s'",
                     labels[i].name ? labels[i].name : "(null)", w->family);
    for (size_t j = 0; j < i; j++)
      if (strcmp(labels[i].name, labels[j].name) == 0)
        return tc_fail(err, TC_ERR_USAGE, "prom_bad_label_name", "label '%s' given twice on '%s'",
                       labels[i].name, w->family);
    if (labels[i].value == NULL || !tc_utf8_valid(labels[i].value))
      return tc_fail(err, TC_ERR_USAGE, "prom_bad_text",
                     "value of label '%s' on '%s' is not UTF-8 text", labels[i].name, w->family);
  }
  char num[64];
  format_value(value, num, sizeof num);

  size_t mark = w->len;
  int rc = puts_(w, w->family);
  if (n_labels > 0) {
    rc |= puts_(w, "{");
    for (size_t i = 0; i < n_labels; i++) {
      rc |= puts_(w, i ? "," : "") | puts_(w, labels[i].name) | puts_(w, "=\"") |
            put_escaped(w, labels[i].value, 1) | puts_(w, "\"");
    }
    rc |= puts_(w, "}");
  }
  rc |= puts_(w, " ") | puts_(w, num) | puts_(w, "\n");
  if (rc != 0) {
    w->len = mark;
    if (w->text)
      w->text[mark] = '\0';
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "exposition text");
  }
  return TC_OK;
}

prom_mark prom_mark_get(const tc_prom_writer *w) {
  prom_mark m;
  m.len = w->len;
  m.n_names = w->n_names;
  memcpy(m.family, w->family, sizeof m.family);
  return m;
}

void prom_rollback(tc_prom_writer *w, const prom_mark *mark) {
  if (mark->len <= w->len) {
    w->len = mark->len;
    if (w->text)
      w->text[w->len] = '\0';
  }
  while (w->n_names > mark->n_names)
    free(w->names[--w->n_names]);
  memcpy(w->family, mark->family, sizeof w->family);
}
