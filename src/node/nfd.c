/* SPDX-License-Identifier: Apache-2.0 */
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
  tc_strbuf_printf(&b, "\nTEE usable on this node: %s", tc_probe_tee_usable(probe) ? "yes" : "no");
  if (!tc_probe_tee_usable(probe)) {
    /* say why when the node has a TEE that Kata cannot use for confidential pods */
    const json_t *sev = json_object_get(probe, "sev");
    const char *role = json_string_value(json_object_get(probe, "role"));
    const char *guest = json_string_value(json_object_get(sev, "guest"));
    int host = role != NULL && strcmp(role, "host") == 0;
    if (host && json_is_true(json_object_get(sev, "supported")) &&
        json_is_true(json_object_get(sev, "enabled_in_kvm")))
      tc_strbuf_printf(&b,
                       " (legacy SEV%s is enabled, but Kata supports SEV-SNP, not legacy "
                       "SEV: enable SEV-SNP, see the sev-snp check)",
                       json_is_true(json_object_get(sev, "es")) ? "/SEV-ES" : "");
    else if (!host && guest != NULL && (strcmp(guest, "sev") == 0 || strcmp(guest, "sev-es") == 0))
      tc_strbuf_printf(&b, " (a legacy %s guest: Kata supports SEV-SNP, not legacy SEV)",
                       strcmp(guest, "sev") == 0 ? "SEV" : "SEV-ES");
  }
  tc_strbuf_printf(&b, "\n");
  return tc_strbuf_take(&b);
}
