/* SPDX-License-Identifier: Apache-2.0 */
/* CPUID access for the probe: either the CPUID instruction (x86 only) or a dump
 * parsed by node_cpuid_parse. Leaf semantics: Intel SDM Vol. 2A "CPUID", AMD APM Vol. 3
 * "CPUID" (E.4.17 for Fn8000_001F). */
#include <string.h>

#include "node/parse.h"

#if defined(__x86_64__) || defined(__i386__)
static void cpuid_exec(uint32_t leaf, uint32_t subleaf, uint32_t r[4]) {
  uint32_t a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(subleaf));
  r[0] = a;
  r[1] = b;
  r[2] = c;
  r[3] = d;
}
#define HAVE_CPUID_INSN 1
#else
#define HAVE_CPUID_INSN 0
#endif

int node_cpuid_get(const node_cpuid_table *t, uint32_t leaf, uint32_t subleaf, uint32_t regs[4]) {
  if (t == NULL)
    return 0;
  if (t->live) {
#if HAVE_CPUID_INSN
    uint32_t max[4];
    /* The maximum basic leaf is CPUID.0:EAX, the maximum extended one CPUID.80000000h:EAX;
     * hypervisor leaves 0x40000000-0x4FFFFFFF are not used by the probe. */
    uint32_t base = leaf >= 0x80000000u ? 0x80000000u : 0;
    if (leaf >= 0x40000000u && leaf < 0x80000000u)
      return 0;
    cpuid_exec(base, 0, max);
    if (leaf > max[0] || (base == 0x80000000u && max[0] < 0x80000000u))
      return 0;
    cpuid_exec(leaf, subleaf, regs);
    return 1;
#else
    return 0;
#endif
  }
  for (size_t i = 0; i < t->count; i++)
    if (t->entries[i].leaf == leaf && t->entries[i].subleaf == subleaf) {
      regs[0] = t->entries[i].eax;
      regs[1] = t->entries[i].ebx;
      regs[2] = t->entries[i].ecx;
      regs[3] = t->entries[i].edx;
      return 1;
    }
  return 0;
}
