/* Probe result renderers: the Node Feature Discovery features.d file and the human
 * report. NFD feature files: "name=value" lines, one label each; a name without a
 * namespace prefix gets feature.node.kubernetes.io/ (NFD docs, "Feature files" of the
 * local source), so we always write the full name. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teectl/probe.h"

typedef struct sbuf {
  char *s;
  size_t len, cap;
  int failed;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(sbuf *b, const char *fmt, ...) {
  if (b->failed)
    return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
      b->failed = 1;
      return;
    }
    if (b->s && b->len + (size_t)n < b->cap) {
      b->len += (size_t)n;
      return;
    }
    size_t ncap = (b->cap ? b->cap : 256);
    while (ncap <= b->len + (size_t)n)
      ncap *= 2;
    char *ns = realloc(b->s, ncap);
    if (ns == NULL) {
      b->failed = 1;
      return;
    }
    b->s = ns;
    b->cap = ncap;
  }
}

static char *sb_done(sbuf *b) {
  if (b->failed) {
    free(b->s);
    return NULL;
  }
  if (b->s == NULL) {
    b->s = malloc(1);
    if (b->s)
      b->s[0] = '\0';
  }
  return b->s;
}

char *tc_probe_nfd_text(const json_t *probe) {
  sbuf b = {0};
  const char *k;
  const json_t *v;
  json_object_foreach((json_t *)json_object_get(probe, "nfd_labels"), k, v) {
    if (json_is_string(v))
      sb_printf(&b, "feature.node.kubernetes.io/%s=%s\n", k, json_string_value(v));
  }
  json_object_foreach((json_t *)json_object_get(probe, "teectl_labels"), k, v) {
    if (json_is_string(v))
      sb_printf(&b, "%s=%s\n", k, json_string_value(v));
  }
  return sb_done(&b);
}

char *tc_probe_human_text(const json_t *probe) {
  sbuf b = {0};
  size_t i;
  const json_t *c;
  json_array_foreach(json_object_get(probe, "checks"), i, c) {
    int ok = json_is_true(json_object_get(c, "ok"));
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *seen = json_string_value(json_object_get(c, "seen"));
    const char *fix = json_string_value(json_object_get(c, "fix"));
    sb_printf(&b, "%s %-18s %s", ok ? "\u2713" : "\u2717", name ? name : "?", seen ? seen : "");
    if (!ok && fix)
      sb_printf(&b, " \u2014 fix: %s", fix);
    sb_printf(&b, "\n");
  }
  const json_t *rc = json_object_get(probe, "recommended_runtime_classes");
  sb_printf(&b, "RuntimeClasses: ");
  json_array_foreach(rc, i, c) {
    sb_printf(&b, "%s%s", i ? ", " : "", json_string_value(c) ? json_string_value(c) : "?");
  }
  sb_printf(&b, "\n%s\n",
            tc_probe_tee_usable(probe) ? "TEE usable on this node: yes"
                                       : "TEE usable on this node: no");
  return sb_done(&b);
}
