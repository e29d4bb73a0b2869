/* SPDX-License-Identifier: Apache-2.0 */
/* Guest attestation interfaces below a root folder: where a confidential guest's evidence
 * can come from.
 *   configfs-tsm  sys/kernel/config/tsm/report (Linux >= 6.7, CONFIG_TSM_REPORTS; kernel
 *                 Documentation/ABI/testing/configfs-tsm): one entry per request, each with
 *                 a read-only "provider" attribute naming the driver that serves it
 *                 ("sev_guest", "tdx_guest"). The folder alone does not name the provider;
 *                 the probe never creates an entry, so providers are read from entries that
 *                 exist already.
 *   sev-guest     dev/sev-guest (SNP_GET_REPORT / SNP_GET_EXT_REPORT ioctls,
 *                 uapi/linux/sev-guest.h)
 *   tdx-guest     dev/tdx_guest, or dev/tdx-guest as pre-upstream TDX guest kernels named it
 *                 (TDX_CMD_GET_REPORT0, uapi/linux/tdx-guest.h: a TDREPORT, not a quote) */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "node/internal.h"

static const char *const tdx_guest_names[] = {"dev/tdx_guest", "dev/tdx-guest"};

/* A provider name as the kernel prints it (KBUILD_MODNAME): 1..63 of [A-Za-z0-9_-], first
 * and last alphanumeric (so that it is also a valid Kubernetes label value). */
static int provider_name_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
      return 0;
  return 1;
}

static int add_provider(tc_attest_ifaces *a, const char *name) {
  for (size_t i = 0; i < a->tsm_provider_count; i++)
    if (strcmp(a->tsm_providers[i], name) == 0)
      return 1;
  char **np = realloc(a->tsm_providers, (a->tsm_provider_count + 2) * sizeof *np);
  if (np == NULL)
    return 0;
  a->tsm_providers = np;
  np[a->tsm_provider_count] = strdup(name);
  if (np[a->tsm_provider_count] == NULL)
    return 0;
  np[++a->tsm_provider_count] = NULL;
  return 1;
}

/* Providers named by the entries of the report folder (sorted by entry name). */
static tc_status read_providers(const probe_ctx *c, tc_attest_ifaces *a, tc_error *err) {
  char **entries = probe_dir_list(c, TC_TSM_REPORT_DIR, "");
  tc_status st = TC_OK;
  for (char **e = entries; e && *e && st == TC_OK; e++) {
    if ((*e)[0] == '.')
      continue;
    size_t n = strlen(TC_TSM_REPORT_DIR) + strlen(*e) + sizeof "//provider";
    char *rel = malloc(n);
    if (rel == NULL) {
      st = tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "configfs-tsm providers");
      break;
    }
    snprintf(rel, n, "%s/%s/provider", TC_TSM_REPORT_DIR, *e);
    char *text = probe_read_text(c, rel);
    free(rel);
    if (text == NULL)
      continue;
    size_t len = strlen(text);
    while (len > 0 && isspace((unsigned char)text[len - 1]))
      text[--len] = '\0';
    if (provider_name_ok(text) && !add_provider(a, text))
      st = tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "configfs-tsm providers");
    free(text);
  }
  probe_list_free(entries);
  return st;
}

tc_status probe_attest_ifaces(const probe_ctx *c, tc_attest_ifaces *a, tc_error *err) {
  memset(a, 0, sizeof *a);
  char *report = probe_join(c, TC_TSM_REPORT_DIR);
  if (report == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "configfs-tsm path");
  struct stat st;
  a->configfs_tsm = stat(report, &st) == 0 && S_ISDIR(st.st_mode);
  free(report);
  if (a->configfs_tsm) {
    tc_status s = read_providers(c, a, err);
    if (s != TC_OK) {
      tc_attest_ifaces_free(a);
      return s;
    }
    if (a->tsm_provider_count > 1)
      qsort(a->tsm_providers, a->tsm_provider_count, sizeof *a->tsm_providers, probe_cmp_str);
  }
  if (probe_is_chardev(c, "dev/sev-guest"))
    a->sev_guest_device = "dev/sev-guest";
  for (size_t i = 0; i < sizeof tdx_guest_names / sizeof tdx_guest_names[0]; i++)
    if (a->tdx_guest_device == NULL && probe_is_chardev(c, tdx_guest_names[i]))
      a->tdx_guest_device = tdx_guest_names[i];
  return TC_OK;
}

tc_status tc_probe_attest_ifaces(const tc_probe_opts *opts, tc_attest_ifaces *out, tc_error *err) {
  memset(out, 0, sizeof *out);
  /* no --cpuid: the table is not used here, and the instruction is only run on lookups */
  tc_probe_opts o = {.root = opts ? opts->root : NULL,
                     .char_devices_file = opts ? opts->char_devices_file : NULL};
  probe_ctx c;
  node_cpuid_table cpuid;
  node_chardev_list chardevs;
  int have_chardevs;
  tc_status st = probe_load_inputs(&o, &c, &cpuid, &chardevs, &have_chardevs, err);
  if (st != TC_OK)
    return st;
  st = probe_attest_ifaces(&c, out, err);
  node_cpuid_table_free(&cpuid);
  if (have_chardevs)
    node_chardev_list_free(&chardevs);
  return st;
}

void tc_attest_ifaces_free(tc_attest_ifaces *a) {
  if (a == NULL)
    return;
  for (size_t i = 0; i < a->tsm_provider_count; i++)
    free(a->tsm_providers[i]);
  free(a->tsm_providers);
  memset(a, 0, sizeof *a);
}

json_t *probe_attest_json(const tc_attest_ifaces *a) {
  json_t *o = json_object(), *prov = json_array(), *src = json_array();
  for (size_t i = 0; i < a->tsm_provider_count; i++)
    json_array_append_new(prov, json_string(a->tsm_providers[i]));
  if (a->configfs_tsm)
    json_array_append_new(src, json_string("configfs-tsm"));
  if (a->sev_guest_device != NULL)
    json_array_append_new(src, json_string("sev-guest"));
  if (a->tdx_guest_device != NULL)
    json_array_append_new(src, json_string("tdx-guest"));
  json_object_set_new(o, "configfs_tsm", json_boolean(a->configfs_tsm));
  json_object_set_new(o, "tsm_report_dir",
                      a->configfs_tsm ? json_string(TC_TSM_REPORT_DIR) : json_null());
  json_object_set_new(o, "tsm_providers", prov);
  json_object_set_new(o, "sev_guest_device",
                      a->sev_guest_device ? json_string(a->sev_guest_device) : json_null());
  json_object_set_new(o, "tdx_guest_device",
                      a->tdx_guest_device ? json_string(a->tdx_guest_device) : json_null());
  json_object_set_new(o, "sources", src);
  if (json_object_size(o) != 6) { /* an allocation failed */
    json_decref(o);
    return NULL;
  }
  return o;
}
