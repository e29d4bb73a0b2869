/* SPDX-License-Identifier: Apache-2.0 */
/* vCPU signatures and VMM names for the VMSA's RDX (the CPUID Fn0000_0001_EAX value a vCPU
 * holds at reset): QEMU's builtin x86 CPU models (target/i386/cpu.c, builtin_x86_defs:
 * family, model, stepping), encoded per AMD CPUID Specification (pub. 25481),
 * Fn0000_0001_EAX "Family, Model, Stepping Identifiers". */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "teectl/measure.h"

tc_status tc_snp_cpu_sig(unsigned family, unsigned model, unsigned stepping, uint32_t *sig,
                         tc_error *err) {
  if (family > 0xF + 0xFF || model > 0xFF || stepping > 0xF)
    return tc_fail(err, TC_ERR_USAGE, "vcpu_type_invalid",
                   "family %u, model %u, stepping %u out of range (family <= 270, model <= 255, "
                   "stepping <= 15)",
                   family, model, stepping);
  uint32_t fam_base = family > 0xF ? 0xF : family, fam_ext = family > 0xF ? family - 0xF : 0;
  *sig = fam_ext << 20 | (model >> 4) << 16 | fam_base << 8 | (model & 0xF) << 4 | stepping;
  return TC_OK;
}

static const struct {
  const char *name;
  unsigned family, model, stepping;
} models[] = {
    {"EPYC", 23, 1, 2},          {"EPYC-v1", 23, 1, 2},       {"EPYC-v2", 23, 1, 2},
    {"EPYC-IBPB", 23, 1, 2},     {"EPYC-v3", 23, 1, 2},       {"EPYC-v4", 23, 1, 2},
    {"EPYC-Rome", 23, 49, 0},    {"EPYC-Rome-v1", 23, 49, 0}, {"EPYC-Rome-v2", 23, 49, 0},
    {"EPYC-Rome-v3", 23, 49, 0}, {"EPYC-Milan", 25, 1, 1},    {"EPYC-Milan-v1", 25, 1, 1},
    {"EPYC-Milan-v2", 25, 1, 1}, {"EPYC-Genoa", 25, 17, 0},   {"EPYC-Genoa-v1", 25, 17, 0},
    {"EPYC-Turin", 26, 0, 0},
};
#define N_MODELS (sizeof models / sizeof models[0])

const char *const *tc_snp_vcpu_types(void) {
  static const char *names[N_MODELS + 1];
  if (names[0] == NULL)
    for (size_t i = 0; i < N_MODELS; i++)
      names[i] = models[i].name;
  return names;
}

tc_status tc_snp_vcpu_sig(const char *type, uint32_t *sig, tc_error *err) {
  for (size_t i = 0; i < N_MODELS; i++)
    if (strcmp(type, models[i].name) == 0)
      return tc_snp_cpu_sig(models[i].family, models[i].model, models[i].stepping, sig, err);
  char known[400] = "";
  for (size_t i = 0, n = 0; i < N_MODELS && n < sizeof known; i++)
    n += (size_t)snprintf(known + n, sizeof known - n, "%s%s", i ? ", " : "", models[i].name);
  return tc_fail(err, TC_ERR_USAGE, "vcpu_type_unknown", "unknown vCPU type '%s' (known: %s)", type,
                 known);
}

tc_status tc_snp_vmm_parse(const char *name, tc_snp_vmm *out, tc_error *err) {
  static const char *const names[] = {"qemu", "ec2", "gce"};
  for (int i = 0; i < 3; i++)
    if (strcasecmp(name, names[i]) == 0) {
      *out = (tc_snp_vmm)i;
      return TC_OK;
    }
  return tc_fail(err, TC_ERR_USAGE, "vmm_type_unknown", "unknown VMM type '%s' (qemu, ec2, gce)",
                 name);
}

const char *tc_snp_vmm_name(tc_snp_vmm vmm) {
  return vmm == TC_SNP_VMM_EC2 ? "ec2" : vmm == TC_SNP_VMM_GCE ? "gce" : "qemu";
}
