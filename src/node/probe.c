/* SPDX-License-Identifier: Apache-2.0 */
/* teectl probe: gathers facts from a root folder (live "/" or a fixture) and CPUID,
 * and evaluates them with the rules of vectors/hosts/README.md. Field sources:
 *   role   CPUID.1:ECX[31] (hypervisor present; Intel SDM Vol. 2A Table 3-10, AMD APM
 *          Vol. 3 E.3.2), else the cpuinfo flag "hypervisor"
 *   kvm    dev/kvm is a character device
 *   iommu  sys/kernel/iommu_groups/ has at least one entry
 *   sgx    cpuinfo sgx / CPUID.(7,0):EBX[2]; sgx_lc / CPUID.(7,0):ECX[30] (SDM Table 3-8);
 *          EPC: sum of node<N>/x86/sgx_total_bytes, else CPUID.(12h, n>=2) sections of
 *          type 1, size = ECX[31:12] | EDX[19:0] << 32 (SDM Table 3-8, leaf 12H);
 *          kvm_intel.sgx; dev/sgx_enclave
 *   tdx    cpuinfo tdx_host_platform; kvm_intel.tdx (set only after the TDX module
 *          initialised); misc.capacity "tdx"; guest: CPUID.21h EBX,EDX,ECX == "IntelTDX    "
 *          (Intel TDX Module spec, "CPUID leaf 0x21") or cpuinfo tdx_guest
 *   sev    cpuinfo sev/sev_es/sev_snp, CPUID Fn8000_001F EAX[1]/[3]/[4], EBX[5:0] C-bit,
 *          EBX[11:6] physical address bit reduction, ECX = number of encrypted guests,
 *          EDX = minimum SEV-enabled, SEV-ES-disabled ASID (AMD APM Vol. 3 E.4.17);
 *          dev/sev (PSP firmware); kvm_amd.sev/sev_es/sev_snp; misc.capacity sev/sev_es
 *          (kernel arch/x86/kvm/svm/sev.c: sev = ECX-EDX+1, sev_es = EDX-1)
 * The kernel log is never read. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__linux__) && __has_include(<linux/psp-sev.h>)
#include <linux/psp-sev.h>
#define HAVE_PSP_SEV 1
#else
#define HAVE_PSP_SEV 0
#endif

#include "node/internal.h"
#include "teectl/file.h"
#include "teectl/probe.h"

/* misc cgroup file -> {key: integer} for every well-formed line. */
static json_t *misc_object(const char *text) {
  json_t *o = json_object();
  if (o == NULL || text == NULL)
    return o;
  const char *line = text;
  while (*line) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    char key[64];
    size_t k = 0;
    while (k < len && k < sizeof key - 1 && line[k] != ' ' && line[k] != '\t') {
      key[k] = line[k];
      k++;
    }
    key[k] = '\0';
    int64_t v;
    if (k > 0 && node_misc_lookup(line, key, &v))
      json_object_set_new(o, key, json_integer(v));
    if (end == NULL)
      break;
    line = end + 1;
  }
  return o;
}

/* CPUID Fn8000_001F, or 0 when not reported. */
static int leaf_8000001f(const probe_ctx *c, uint32_t r[4]) {
  uint32_t m[4];
  if (c->cpuid->live && !(node_cpuid_get(c->cpuid, 0x80000000u, 0, m) && m[0] >= 0x8000001fu))
    return 0;
  return node_cpuid_get(c->cpuid, 0x8000001fu, 0, r);
}

/* EPC bytes from CPUID leaf 12H subleaves >= 2: 1 and *bytes when the section list is
 * known (terminated by a type-0 subleaf, or at least one section seen), else 0. */
static int epc_from_cpuid(const probe_ctx *c, int64_t *bytes) {
  uint64_t sum = 0;
  int sections = 0;
  for (uint32_t sub = 2; sub < 2 + 64; sub++) {
    uint32_t r[4];
    if (!node_cpuid_get(c->cpuid, 0x12, sub, r))
      break;
    uint32_t type = r[0] & 0xf;
    if (type == 0) {
      *bytes = (int64_t)sum;
      return 1;
    }
    if (type == 1) {
      sum += (uint64_t)(r[2] & 0xfffff000u) | ((uint64_t)(r[3] & 0xfffffu) << 32);
      sections++;
    }
  }
  if (sections > 0) {
    *bytes = (int64_t)sum;
    return 1;
  }
  return 0;
}

/* Sum of node<N>/x86/sgx_total_bytes; 1 when at least one node reports it. */
static int epc_from_sysfs(const probe_ctx *c, int64_t *bytes) {
  char **nodes = probe_dir_list(c, "sys/devices/system/node", "node");
  int found = 0;
  int64_t sum = 0;
  for (char **p = nodes; p && *p; p++) {
    char rel[300];
    snprintf(rel, sizeof rel, "sys/devices/system/node/%s/x86/sgx_total_bytes", *p);
    int64_t v;
    if (probe_read_u64(c, rel, &v)) {
      sum += v;
      found = 1;
    }
  }
  probe_list_free(nodes);
  if (found)
    *bytes = sum;
  return found;
}

static json_t *int_or_null(int known, int64_t v) {
  return known ? json_integer(v) : json_null();
}

/* SEV firmware API version and build (AMD SEV API spec, PLATFORM_STATUS; Linux
 * uapi/linux/psp-sev.h SEV_ISSUE_CMD): only from a real character device that this
 * process may open (root, usually); a read-only query. 1 on success. */
static int sev_platform_status(const probe_ctx *c, int v[3]) {
#if HAVE_PSP_SEV
  if (c->chardevs != NULL)
    return 0; /* a fixture: no real device to ask */
  char *path = probe_join(c, "dev/sev");
  if (path == NULL)
    return 0;
  struct stat st;
  int fd = stat(path, &st) == 0 && S_ISCHR(st.st_mode) ? open(path, O_RDONLY | O_CLOEXEC) : -1;
  free(path);
  if (fd < 0)
    return 0;
  struct sev_user_data_status status;
  memset(&status, 0, sizeof status);
  struct sev_issue_cmd cmd = {.cmd = SEV_PLATFORM_STATUS, .data = (uint64_t)(uintptr_t)&status};
  int ok = ioctl(fd, SEV_ISSUE_CMD, &cmd) == 0;
  close(fd);
  if (ok) {
    v[0] = status.api_major;
    v[1] = status.api_minor;
    v[2] = status.build;
  }
  return ok;
#else
  (void)c;
  (void)v;
  return 0;
#endif
}

/* TDX private KeyID range from IA32_MKTME_KEYID_PARTITIONING (MSR 0x87: bits 31:0 the
 * number of MKTME KeyIDs, bits 63:32 the number of TDX private KeyIDs, which follow them;
 * Intel TDX Module base spec / Linux arch/x86/virt/vmx/tdx/tdx.c). Only through a real
 * dev/cpu/0/msr this process may read (msr module, CAP_SYS_RAWIO); never the kernel log.
 * 1 and [first, end) on success. */
static int tdx_keyid_range(const probe_ctx *c, int64_t range[2]) {
  if (c->chardevs != NULL)
    return 0; /* a fixture */
  char *path = probe_join(c, "dev/cpu/0/msr");
  if (path == NULL)
    return 0;
  struct stat st;
  int fd = stat(path, &st) == 0 && S_ISCHR(st.st_mode) ? open(path, O_RDONLY | O_CLOEXEC) : -1;
  free(path);
  if (fd < 0)
    return 0;
  uint64_t v = 0;
  int ok = pread(fd, &v, sizeof v, 0x87) == (ssize_t)sizeof v;
  close(fd);
  uint32_t mktme = (uint32_t)v, tdx = (uint32_t)(v >> 32);
  if (!ok || tdx == 0)
    return 0;
  range[0] = (int64_t)mktme + 1;
  range[1] = range[0] + tdx;
  return 1;
}

/* The "microcode" field of the first processor in /proc/cpuinfo ("0xa0011d1"), copied
 * into out (hex digits and the 0x prefix only); 1 when found. */
static int cpuinfo_microcode(const char *cpuinfo, char *out, size_t cap) {
  const char *p = cpuinfo ? strstr(cpuinfo, "\nmicrocode") : NULL;
  if (p == NULL)
    return 0;
  p = strchr(p + 1, ':');
  if (p == NULL)
    return 0;
  p++;
  while (*p == ' ' || *p == '\t')
    p++;
  size_t n = 0;
  while (n + 1 < cap && ((p[n] >= '0' && p[n] <= '9') || (p[n] >= 'a' && p[n] <= 'f') ||
                         (p[n] >= 'A' && p[n] <= 'F') || (n == 1 && p[n] == 'x')))
    n++;
  if (n == 0 || (p[n] != '\n' && p[n] != '\0'))
    return 0;
  memcpy(out, p, n);
  out[n] = '\0';
  return 1;
}

/* SEV, SEV-ES, SEV-SNP: what the CPU advertises (cpuinfo flags; on a host also CPUID
 * Fn8000_001F), the PSP firmware device and its version, the kvm_amd parameters, ASID counts
 * (misc.capacity, else CPUID), C-bit position, and on a guest the kind of SEV guest. */
static void step_sev(const probe_ctx *c, probe_facts *pf) {
  uint32_t f[4] = {0, 0, 0, 0};
  int have_f = leaf_8000001f(c, f);
  int cpuid_sev = have_f && ((f[0] >> 1) & 1), cpuid_snp = have_f && ((f[0] >> 4) & 1);
  int cpuid_es = have_f && ((f[0] >> 3) & 1);
  int flag_sev = node_cpuinfo_has_flag(pf->cpuinfo, "sev"),
      flag_es = node_cpuinfo_has_flag(pf->cpuinfo, "sev_es"),
      flag_snp = node_cpuinfo_has_flag(pf->cpuinfo, "sev_snp");
  pf->adv_sev = flag_sev || (pf->host && cpuid_sev);
  pf->adv_es = flag_es || (pf->host && cpuid_es);
  pf->adv_snp = flag_snp || (pf->host && cpuid_snp);
  pf->sev_fw = probe_is_chardev(c, "dev/sev");
  pf->have_fw = pf->host && pf->sev_fw && sev_platform_status(c, pf->fw);
  pf->sev_supported = pf->host && pf->adv_sev && pf->sev_fw;
  pf->p_sev = probe_param(c, "kvm_amd", "sev");
  pf->p_es = probe_param(c, "kvm_amd", "sev_es");
  pf->p_snp = probe_param(c, "kvm_amd", "sev_snp");
  pf->sev_kvm = pf->p_sev == 1;
  pf->sev_es = pf->sev_supported && pf->p_es == 1;
  pf->sev_snp = pf->sev_supported && pf->p_snp == 1;
  if (pf->sev_supported) {
    if (!node_misc_lookup(pf->misc_cap, "sev", &pf->asids))
      pf->asids = have_f && f[2] >= f[3] && f[3] >= 1 ? (int64_t)f[2] - f[3] + 1 : 0;
    if (!node_misc_lookup(pf->misc_cap, "sev_es", &pf->es_asids))
      pf->es_asids = have_f && f[3] >= 1 ? (int64_t)f[3] - 1 : 0;
  }
  pf->cbit_known = have_f && cpuid_sev && f[1] != 0;
  pf->cbitpos = f[1] & 0x3f;
  pf->rpb = (f[1] >> 6) & 0x3f;
  pf->sev_guest_dev = pf->ifaces.sev_guest_device != NULL;
  pf->sev_guest = "none";
  if (pf->hypervisor) {
    if (flag_snp || (pf->sev_guest_dev && cpuid_snp))
      pf->sev_guest = "snp";
    else if (flag_es)
      pf->sev_guest = "sev-es";
    else if (flag_sev)
      pf->sev_guest = "sev";
  }
}

/* TDX: the host platform flag, kvm_intel.tdx (set once the TDX module initialised), KeyIDs
 * (misc.capacity), the private KeyID range (MSR 0x87), and inside a TD the CPUID leaf 0x21
 * signature or the cpuinfo flag. */
static void step_tdx(const probe_ctx *c, probe_facts *pf) {
  uint32_t r[4];
  pf->tdx_host = pf->host && node_cpuinfo_has_flag(pf->cpuinfo, "tdx_host_platform");
  pf->tdx_param = probe_param(c, "kvm_intel", "tdx") == 1;
  pf->tdx_keyids = 0;
  if (!node_misc_lookup(pf->misc_cap, "tdx", &pf->tdx_keyids))
    pf->tdx_keyids = 0;
  int tdx_cpuid_guest = 0;
  if ((c->cpuid->live ? pf->have_max && pf->max_leaf >= 0x21 : 1) &&
      node_cpuid_get(c->cpuid, 0x21, 0, r)) {
    char sig[13];
    memcpy(sig, &r[1], 4);
    memcpy(sig + 4, &r[3], 4);
    memcpy(sig + 8, &r[2], 4);
    sig[12] = '\0';
    tdx_cpuid_guest = strcmp(sig, "IntelTDX    ") == 0;
  }
  pf->tdx_guest_dev = pf->ifaces.tdx_guest_device != NULL; /* dev/tdx_guest or dev/tdx-guest */
  pf->have_range = pf->host && pf->tdx_param && tdx_keyid_range(c, pf->keyid_range);
  pf->tdx_guest = tdx_cpuid_guest || node_cpuinfo_has_flag(pf->cpuinfo, "tdx_guest");
}

/* SGX: CPU support and flexible launch control (cpuinfo or CPUID.(7,0)), EPC size (sysfs,
 * else CPUID leaf 12H), kvm_intel.sgx, the in-kernel driver's devices. */
static void step_sgx(const probe_ctx *c, probe_facts *pf) {
  uint32_t l7[4] = {0, 0, 0, 0};
  int have_l7 = node_cpuid_get(c->cpuid, 7, 0, l7);
  pf->sgx_supported = node_cpuinfo_has_flag(pf->cpuinfo, "sgx") || (have_l7 && ((l7[1] >> 2) & 1));
  pf->sgx_flc = node_cpuinfo_has_flag(pf->cpuinfo, "sgx_lc") || (have_l7 && ((l7[2] >> 30) & 1));
  pf->epc = 0;
  pf->epc_known = 1;
  if (pf->sgx_supported)
    pf->epc_known = epc_from_sysfs(c, &pf->epc) || epc_from_cpuid(c, &pf->epc);
  pf->sgx_kvm = probe_param(c, "kvm_intel", "sgx") == 1;
  pf->sgx_driver = probe_is_chardev(c, "dev/sgx_enclave");
  pf->sgx_provision = probe_is_chardev(c, "dev/sgx_provision");
}

/* CPU identity and role: vendor (CPUID.0), maximum leaves, hypervisor bit (CPUID.1:ECX[31],
 * else the cpuinfo flag), KVM, IOMMU groups, microcode. */
static void step_cpu(const probe_ctx *c, probe_facts *pf) {
  uint32_t r[4];
  if (node_cpuid_get(c->cpuid, 0, 0, r)) {
    pf->have_max = 1;
    pf->max_leaf = r[0];
    memcpy(pf->vendor, &r[1], 4);
    memcpy(pf->vendor + 4, &r[3], 4);
    memcpy(pf->vendor + 8, &r[2], 4);
    pf->vendor[12] = '\0';
  }
  if (node_cpuid_get(c->cpuid, 0x80000000u, 0, r)) {
    pf->have_ext = 1;
    pf->max_ext = r[0];
  }
  if (node_cpuid_get(c->cpuid, 1, 0, r))
    pf->hypervisor = (r[2] >> 31) & 1;
  else
    pf->hypervisor = node_cpuinfo_has_flag(pf->cpuinfo, "hypervisor");
  pf->host = !pf->hypervisor;
  const char *ci = pf->cpuinfo;
  pf->is_amd = strcmp(pf->vendor, "AuthenticAMD") == 0 ||
               (pf->vendor[0] == '\0' && ci && strstr(ci, "AuthenticAMD"));
  pf->is_intel = strcmp(pf->vendor, "GenuineIntel") == 0 ||
                 (pf->vendor[0] == '\0' && ci && strstr(ci, "GenuineIntel"));
  pf->kvm = probe_is_chardev(c, "dev/kvm");
  pf->iommu_groups = probe_dir_entries(c, "sys/kernel/iommu_groups");
  pf->iommu = pf->iommu_groups > 0;
  pf->have_ucode = cpuinfo_microcode(ci, pf->microcode, sizeof pf->microcode);
}

/* The result's "sgx" object. */
static json_t *json_sgx(const probe_facts *pf) {
  json_t *sgx = json_object();
  json_object_set_new(sgx, "supported", json_boolean(pf->sgx_supported));
  json_object_set_new(sgx, "flc", json_boolean(pf->sgx_flc));
  json_object_set_new(sgx, "epc_bytes", int_or_null(pf->epc_known, pf->epc));
  json_object_set_new(sgx, "enabled_in_kvm", json_boolean(pf->sgx_kvm));
  json_object_set_new(sgx, "driver", json_boolean(pf->sgx_driver));
  json_object_set_new(sgx, "provision_device", json_boolean(pf->sgx_provision));
  return sgx;
}

/* The result's "tdx" object. */
static json_t *json_tdx(const probe_facts *pf) {
  json_t *tdx = json_object();
  json_object_set_new(tdx, "host_supported", json_boolean(pf->tdx_host));
  json_object_set_new(tdx, "guest", json_boolean(pf->tdx_guest));
  json_object_set_new(tdx, "module_initialized", json_boolean(pf->tdx_param));
  json_object_set_new(tdx, "keyids", json_integer(pf->tdx_keyids));
  json_object_set_new(tdx, "enabled_in_kvm", json_boolean(pf->tdx_param));
  json_object_set_new(tdx, "guest_device", json_boolean(pf->tdx_guest_dev));
  if (pf->have_range) {
    json_t *range = json_array();
    json_array_append_new(range, json_integer(pf->keyid_range[0]));
    json_array_append_new(range, json_integer(pf->keyid_range[1]));
    json_object_set_new(tdx, "private_keyid_range", range);
  }
  return tdx;
}

/* The result's "sev" object. */
static json_t *json_sev(const probe_facts *pf) {
  json_t *sev = json_object();
  json_object_set_new(sev, "supported", json_boolean(pf->sev_supported));
  json_object_set_new(sev, "es", json_boolean(pf->sev_es));
  json_object_set_new(sev, "snp", json_boolean(pf->sev_snp));
  json_object_set_new(sev, "asids", json_integer(pf->asids));
  json_object_set_new(sev, "es_asids", json_integer(pf->es_asids));
  json_object_set_new(sev, "cbitpos", int_or_null(pf->cbit_known, pf->cbitpos));
  json_object_set_new(sev, "reduced_phys_bits", int_or_null(pf->cbit_known, pf->rpb));
  json_object_set_new(sev, "enabled_in_kvm", json_boolean(pf->sev_kvm));
  json_object_set_new(sev, "guest", json_string(pf->sev_guest));
  json_object_set_new(sev, "cpu_advertises_sev", json_boolean(pf->adv_sev));
  json_object_set_new(sev, "cpu_advertises_es", json_boolean(pf->adv_es));
  json_object_set_new(sev, "cpu_advertises_snp", json_boolean(pf->adv_snp));
  json_object_set_new(sev, "firmware_device", json_boolean(pf->sev_fw));
  json_object_set_new(sev, "guest_device", json_boolean(pf->sev_guest_dev));
  if (pf->have_fw) {
    json_t *fwo = json_object();
    json_object_set_new(fwo, "api_major", json_integer(pf->fw[0]));
    json_object_set_new(fwo, "api_minor", json_integer(pf->fw[1]));
    json_object_set_new(fwo, "build", json_integer(pf->fw[2]));
    json_object_set_new(sev, "firmware", fwo);
  } else {
    json_object_set_new(sev, "firmware", json_null());
  }
  return sev;
}

static json_t *json_runtime_classes(const probe_facts *pf) {
  /* kata-deploy RuntimeClass names (vectors/kata/deploy), best first. Kata >= 3.19 has
   * no plain-SEV class; SGX runs under kata-qemu with the sgx.intel.com/epc annotation. */
  json_t *rc = json_array();
  if (pf->kvm) { /* a guest with (nested) KVM still serves plain kata-qemu */
    if (pf->host && pf->sev_snp)
      json_array_append_new(rc, json_string("kata-qemu-snp"));
    if (pf->host && pf->tdx_param)
      json_array_append_new(rc, json_string("kata-qemu-tdx"));
    json_array_append_new(rc, json_string("kata-qemu"));
  }
  json_array_append_new(rc, json_string("runc"));
  return rc;
}

/* Hugepage pools: {"<size>kB": {nr, free}}. */
static json_t *json_hugepages(const probe_ctx *c) {
  json_t *huge = json_object();
  char **hp = probe_dir_list(c, "sys/kernel/mm/hugepages", "hugepages-");
  for (char **p = hp; p && *p; p++) {
    char rel[300];
    int64_t nr = 0, fr = 0;
    snprintf(rel, sizeof rel, "sys/kernel/mm/hugepages/%s/nr_hugepages", *p);
    int ok_nr = probe_read_u64(c, rel, &nr);
    snprintf(rel, sizeof rel, "sys/kernel/mm/hugepages/%s/free_hugepages", *p);
    int ok_fr = probe_read_u64(c, rel, &fr);
    json_t *h = json_object();
    json_object_set_new(h, "nr", int_or_null(ok_nr, nr));
    json_object_set_new(h, "free", int_or_null(ok_fr, fr));
    json_object_set_new(huge, *p + strlen("hugepages-"), h);
  }
  probe_list_free(hp);
  return huge;
}

/* The result's "cpu" object. */
static json_t *json_cpu(const probe_ctx *c, const probe_facts *pf) {
  json_t *cpu = json_object();
  json_object_set_new(cpu, "vendor", pf->vendor[0] ? json_string(pf->vendor) : json_null());
  json_object_set_new(cpu, "max_leaf", int_or_null(pf->have_max, pf->max_leaf));
  json_object_set_new(cpu, "max_ext_leaf", int_or_null(pf->have_ext, pf->max_ext));
  json_object_set_new(cpu, "hypervisor", json_boolean(pf->hypervisor));
  json_object_set_new(cpu, "cpuid_source", json_string(c->cpuid->live ? "instruction" : "dump"));
  json_object_set_new(cpu, "microcode", pf->have_ucode ? json_string(pf->microcode) : json_null());
  return cpu;
}

/* Assemble the result from the gathered facts; member order is the output order. */
static json_t *assemble(const probe_ctx *c, probe_facts *pf) {
  json_t *o = json_object();
  json_object_set_new(o, "role", json_string(pf->host ? "host" : "guest"));
  json_object_set_new(o, "kvm", json_boolean(pf->kvm));
  json_object_set_new(o, "iommu", json_boolean(pf->iommu));
  json_object_set_new(o, "sgx", json_sgx(pf));
  json_object_set_new(o, "tdx", json_tdx(pf));
  json_object_set_new(o, "sev", json_sev(pf));
  json_object_set_new(o, "attestation", probe_attest_json(&pf->ifaces));
  json_object_set_new(o, "recommended_runtime_classes", json_runtime_classes(pf));
  json_object_set_new(o, "nfd_labels", probe_nfd_labels(pf));
  json_t *misc = json_object();
  json_object_set_new(misc, "capacity", misc_object(pf->misc_cap));
  json_object_set_new(misc, "current", misc_object(pf->misc_cur));
  json_object_set_new(o, "misc", misc);

  json_object_set_new(o, "hugepages", json_hugepages(c));
  if (pf->cmdline) {
    size_t n = strlen(pf->cmdline);
    while (n > 0 && (pf->cmdline[n - 1] == '\n' || pf->cmdline[n - 1] == ' '))
      pf->cmdline[--n] = '\0';
  }
  json_object_set_new(o, "cmdline", pf->cmdline ? json_string(pf->cmdline) : json_null());

  json_object_set_new(o, "cpu", json_cpu(c, pf));
  json_object_set_new(o, "checks", probe_checks(pf));
  int usable = tc_probe_tee_usable(o);
  json_object_set_new(o, "tee_usable", json_boolean(usable));
  json_t *labels = probe_teectl_labels(pf, usable);
  json_t *kata = probe_kata(c, o);
  json_object_set_new(o, "kata", kata);
  if (pf->host) { /* inside a guest Kata's installation is the host's business */
    probe_kata_check(json_object_get(o, "checks"), kata);
    if (json_is_true(json_object_get(kata, "ready")))
      json_object_set_new(labels, "teectl.io/kata-ready", json_string("true"));
  }
  json_object_set_new(o, "teectl_labels", labels);
  return o;
}

tc_status tc_probe_run(const tc_probe_opts *opts, json_t **out, tc_error *err) {
  *out = NULL;
  probe_ctx c;
  node_cpuid_table cpuid;
  node_chardev_list chardevs;
  int have_chardevs;
  errno = 0;
  tc_status st = probe_load_inputs(opts, &c, &cpuid, &chardevs, &have_chardevs, err);
  if (st != TC_OK)
    return st;

  probe_facts pf;
  memset(&pf, 0, sizeof pf);
  if (probe_attest_ifaces(&c, &pf.ifaces, err) != TC_OK) {
    node_cpuid_table_free(&cpuid);
    node_chardev_list_free(&chardevs); /* zeroed when there is no list */
    return TC_ERR_NOMEM;
  }
  pf.cpuinfo = probe_read_text(&c, "proc/cpuinfo");
  pf.cmdline = probe_read_text(&c, "proc/cmdline");
  pf.misc_cap = probe_read_text(&c, "sys/fs/cgroup/misc.capacity");
  pf.misc_cur = probe_read_text(&c, "sys/fs/cgroup/misc.current");
  /* the steps, in order: later ones read what earlier ones found (role, vendor) */
  step_cpu(&c, &pf);
  step_sgx(&c, &pf);
  step_tdx(&c, &pf);
  step_sev(&c, &pf);
  json_t *o = assemble(&c, &pf);

  probe_facts_free(&pf);
  node_cpuid_table_free(&cpuid);
  if (have_chardevs)
    node_chardev_list_free(&chardevs);
  /* an allocation failure anywhere leaves a member out: fail rather than report less */
  static const char *const required[] = {
      "role",       "kvm",           "iommu",       "sgx",
      "tdx",        "sev",           "attestation", "recommended_runtime_classes",
      "nfd_labels", "teectl_labels", "tee_usable",  "kata"};
  for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
    if (o == NULL || json_object_get(o, required[i]) == NULL) {
      json_decref(o);
      return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "building the probe result");
    }
  *out = o;
  return TC_OK;
}

static int jbool(const json_t *o, const char *obj, const char *key) {
  const json_t *x = obj ? json_object_get(o, obj) : o;
  return json_is_true(json_object_get(x, key));
}

int tc_probe_tee_kind_usable(const json_t *p, tc_probe_tee tee) {
  const char *role = json_string_value(json_object_get(p, "role"));
  if (role == NULL || strcmp(role, "host") != 0 || !jbool(p, NULL, "kvm"))
    return 0;
  switch (tee) {
  case TC_PROBE_TEE_SNP:
    return jbool(p, "sev", "snp");
  case TC_PROBE_TEE_TDX:
    return jbool(p, "tdx", "module_initialized");
  case TC_PROBE_TEE_SGX:
    return jbool(p, "sgx", "supported") && jbool(p, "sgx", "flc") && jbool(p, "sgx", "driver") &&
           jbool(p, "sgx", "enabled_in_kvm");
  }
  return 0;
}

int tc_probe_tee_usable(const json_t *p) {
  const char *role = json_string_value(json_object_get(p, "role"));
  if (role == NULL)
    return 0;
  if (strcmp(role, "guest") == 0) {
    const char *g = json_string_value(json_object_get(json_object_get(p, "sev"), "guest"));
    return (g != NULL && strcmp(g, "snp") == 0) || jbool(p, "tdx", "guest");
  }
  return tc_probe_tee_kind_usable(p, TC_PROBE_TEE_SNP) ||
         tc_probe_tee_kind_usable(p, TC_PROBE_TEE_TDX) ||
         tc_probe_tee_kind_usable(p, TC_PROBE_TEE_SGX);
}

void probe_facts_free(probe_facts *pf) {
  free(pf->cpuinfo);
  free(pf->cmdline);
  free(pf->misc_cap);
  free(pf->misc_cur);
  tc_attest_ifaces_free(&pf->ifaces);
}
