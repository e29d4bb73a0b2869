/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the probe's text parsers and the consumers of probe JSON (a --probe FILE is
 * untrusted input to `config generate`). Any crash or sanitizer report is a bug. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/parse.h"
#include "teectl/kataconfig.h"
#include "teectl/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tc_error err;
  node_cpuid_table t;
  if (node_cpuid_parse((const char *)data, size, "fuzz", &t, &err) == TC_OK) {
    uint32_t r[4];
    for (size_t i = 0; i < t.count && i < 8; i++)
      (void)node_cpuid_get(&t, t.entries[i].leaf, t.entries[i].subleaf, r);
    node_cpuid_table_free(&t);
  }
  node_chardev_list l;
  if (node_chardev_parse((const char *)data, size, "fuzz", &l, &err) == TC_OK)
    node_chardev_list_free(&l);
  char *s = malloc(size + 1);
  if (s == NULL)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  int64_t v;
  int on;
  (void)node_cpuinfo_has_flag(s, "sev_snp");
  (void)node_cpuinfo_has_flag(s, "sgx");
  (void)node_misc_lookup(s, "sev", &v);
  (void)node_misc_lookup(s, "tdx", &v);
  (void)node_param_bool(s, &on);
  free(s);
  json_t *j = json_loadb((const char *)data, size, 0, NULL);
  if (j != NULL) {
    free(tc_probe_nfd_text(j, 0));
    free(tc_probe_nfd_text(j, 2000000000));
    free(tc_probe_human_text(j, 0));
    free(tc_probe_human_text(j, 1));
    (void)tc_probe_tee_usable(j);
    tc_platform p;
    (void)tc_platform_from_probe(j, &p, &err);
    json_decref(j);
  }
  return 0;
}
