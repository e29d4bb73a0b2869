/* Probe result renderers: the Node Feature Discovery features.d file and the human
 * report. NFD feature files: "name=value" lines, one label each; a name without a
 * namespace prefix gets feature.node.kubernetes.io/ (NFD docs, "Feature files" of the
 * local source), so we always write the full name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teectl/probe.h"
#include "teectl/strbuf.h"

char *tc_probe_nfd_text(const json_t *probe) {
  tc_strbuf b = {0};
  const char *k;
  const json_t *v;
  json_object_foreach((json_t *)json_object_get(probe, "nfd_labels"), k, v) {
    if (json_is_string(v))
      tc_strbuf_printf(&b, "feature.node.kubernetes.io/%s=%s\n", k, json_string_value(v));
  }
  json_object_foreach((json_t *)json_object_get(probe, "teectl_labels"), k, v) {
    if (json_is_string(v))
      tc_strbuf_printf(&b, "%s=%s\n", k, json_string_value(v));
  }
  return tc_strbuf_take(&b);
}

char *tc_probe_human_text(const json_t *probe) {
  tc_strbuf b = {0};
  size_t i;
  const json_t *c;
  json_array_foreach(json_object_get(probe, "checks"), i, c) {
    int ok = json_is_true(json_object_get(c, "ok"));
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *seen = json_string_value(json_object_get(c, "seen"));
    const char *fix = json_string_value(json_object_get(c, "fix"));
    tc_strbuf_printf(&b, "%s %-18s %s", ok ? "\u2713" : "\u2717", name ? name : "?",
                     seen ? seen : "");
    if (!ok && fix)
      tc_strbuf_printf(&b, " \u2014 fix: %s", fix);
    tc_strbuf_printf(&b, "\n");
  }
  const json_t *rc = json_object_get(probe, "recommended_runtime_classes");
  tc_strbuf_printf(&b, "RuntimeClasses: ");
  json_array_foreach(rc, i, c) {
    tc_strbuf_printf(&b, "%s%s", i ? ", " : "", json_string_value(c) ? json_string_value(c) : "?");
  }
  tc_strbuf_printf(&b, "\n%s\n",
                   tc_probe_tee_usable(probe) ? "TEE usable on this node: yes"
                                              : "TEE usable on this node: no");
  return tc_strbuf_take(&b);
}
