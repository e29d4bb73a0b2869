/* SPDX-License-Identifier: Apache-2.0 */
/* Probe result renderers: the NFD labels (NFD's own cpu-security names and teectl.io/ ones),
 * the human checks, and their text forms: the Node Feature Discovery features.d file and the
 * human report. NFD feature files: "name=value" lines, one label each; a name without a
 * namespace prefix gets feature.node.kubernetes.io/ (NFD docs, "Feature files" of the
 * local source), so we always write the full name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/internal.h"
#include "teectl/probe.h"
#include "teectl/rfc3339.h"
#include "teectl/strbuf.h"

json_t *probe_nfd_labels(const probe_facts *pf) {
  /* NFD's own rules (source/cpu/security_amd64.go): sev* from the kvm_amd parameters
   * ('Y' or '1'), tdx.enabled from kvm_intel.tdx, tdx.protected from CPUID leaf 0x21,
   * sgx.enabled from a non-zero EPC size. */
  json_t *nfd = json_object();
  if (pf->sgx_supported && pf->epc_known && pf->epc > 0)
    json_object_set_new(nfd, "cpu-security.sgx.enabled", json_string("true"));
  if (pf->tdx_param)
    json_object_set_new(nfd, "cpu-security.tdx.enabled", json_string("true"));
  if (pf->tdx_guest)
    json_object_set_new(nfd, "cpu-security.tdx.protected", json_string("true"));
  if (pf->p_sev == 1)
    json_object_set_new(nfd, "cpu-security.sev.enabled", json_string("true"));
  if (pf->p_es == 1)
    json_object_set_new(nfd, "cpu-security.sev.es.enabled", json_string("true"));
  if (pf->p_snp == 1)
    json_object_set_new(nfd, "cpu-security.sev.snp.enabled", json_string("true"));
  return nfd;
}

/* Our namespaced labels (values are valid Kubernetes label values). */
json_t *probe_teectl_labels(const probe_facts *pf, int usable) {
  json_t *tl = json_object();
  char num[32];
  json_object_set_new(tl, "teectl.io/tee-usable", json_string(usable ? "true" : "false"));
  json_object_set_new(tl, "teectl.io/role", json_string(pf->host ? "host" : "guest"));
  if (pf->sev_supported) {
    snprintf(num, sizeof num, "%lld", (long long)pf->asids);
    json_object_set_new(tl, "teectl.io/sev-asids", json_string(num));
    snprintf(num, sizeof num, "%lld", (long long)pf->es_asids);
    json_object_set_new(tl, "teectl.io/sev-es-asids", json_string(num));
  }
  if (pf->sev_snp)
    json_object_set_new(tl, "teectl.io/sev-snp", json_string("true"));
  if (pf->tdx_param && pf->host) {
    snprintf(num, sizeof num, "%lld", (long long)pf->tdx_keyids);
    json_object_set_new(tl, "teectl.io/tdx-keyids", json_string(num));
    json_object_set_new(tl, "teectl.io/tdx", json_string("true"));
  }
  if (pf->sgx_supported && pf->epc_known) {
    snprintf(num, sizeof num, "%lld", (long long)pf->epc);
    json_object_set_new(tl, "teectl.io/sgx-epc-bytes", json_string(num));
  }
  if (pf->have_fw) {
    snprintf(num, sizeof num, "%d.%d.%d", pf->fw[0], pf->fw[1], pf->fw[2]);
    json_object_set_new(tl, "teectl.io/sev-firmware", json_string(num));
  }
  if (pf->have_ucode)
    json_object_set_new(tl, "teectl.io/cpu-microcode", json_string(pf->microcode));
  if (pf->sgx_supported && pf->sgx_flc && pf->sgx_driver && pf->sgx_kvm && pf->kvm && pf->host)
    json_object_set_new(tl, "teectl.io/sgx", json_string("true"));
  if (pf->hypervisor) {
    json_object_set_new(tl, "teectl.io/sev-guest", json_string(pf->sev_guest));
    json_object_set_new(tl, "teectl.io/tdx-guest", json_string(pf->tdx_guest ? "true" : "false"));
    const char *dev = pf->tdx_guest && pf->tdx_guest_dev                        ? "tdx-guest"
                      : strcmp(pf->sev_guest, "none") != 0 && pf->sev_guest_dev ? "sev-guest"
                                                                                : "none";
    json_object_set_new(tl, "teectl.io/attestation-device", json_string(dev));
    json_object_set_new(tl, "teectl.io/configfs-tsm",
                        json_string(pf->ifaces.configfs_tsm ? "true" : "false"));
    if (pf->ifaces.tsm_provider_count > 0) { /* names of [A-Za-z0-9_-], joined by '.' */
      char prov[64] = "";
      for (size_t i = 0; i < pf->ifaces.tsm_provider_count; i++)
        if (strlen(prov) + strlen(pf->ifaces.tsm_providers[i]) + 1 < sizeof prov)
          snprintf(prov + strlen(prov), sizeof prov - strlen(prov), "%s%s", i ? "." : "",
                   pf->ifaces.tsm_providers[i]);
      json_object_set_new(tl, "teectl.io/tsm-provider", json_string(prov));
    }
  }
  return tl;
}

static void add_check(json_t *checks, const char *name, int ok, const char *seen, const char *fix) {
  json_t *o = json_object();
  json_object_set_new(o, "name", json_string(name));
  json_object_set_new(o, "ok", json_boolean(ok));
  json_object_set_new(o, "seen", json_string(seen));
  json_object_set_new(o, "fix", ok || fix == NULL ? json_null() : json_string(fix));
  json_array_append_new(checks, o);
}

void probe_kata_check(json_t *checks, const json_t *kata) {
  char seen[600];
  const json_t *problems = json_object_get(kata, "problems");
  if (json_is_true(json_object_get(kata, "ready"))) {
    size_t n = json_array_size(json_object_get(json_object_get(kata, "containerd"), "handlers"));
    const char *v = json_string_value(json_object_get(kata, "version"));
    snprintf(seen, sizeof seen,
             "Kata Containers %s: shim, configurations and %zu containerd "
             "handler%s consistent",
             v ? v : "(version unknown)", n, n == 1 ? "" : "s");
  } else {
    size_t more = json_array_size(problems) - 1;
    snprintf(seen, sizeof seen, "%s%s",
             json_string_value(json_object_get(json_array_get(problems, 0), "what")),
             more ? " (and more: see the JSON output's kata.problems)" : "");
  }
  add_check(checks, "kata", json_is_true(json_object_get(kata, "ready")), seen,
            json_string_value(json_object_get(kata, "fix")));
}

/* 1 if the kernel command line holds token as a whole blank-separated word. */
static int cmdline_has(const char *cmdline, const char *token) {
  if (cmdline == NULL)
    return 0;
  size_t n = strlen(token);
  for (const char *p = cmdline; (p = strstr(p, token)) != NULL; p++)
    if ((p == cmdline || p[-1] == ' ' || p[-1] == '\t') &&
        (p[n] == '\0' || p[n] == ' ' || p[n] == '\t' || p[n] == '\n'))
      return 1;
  return 0;
}

/* Checks: kvm and the IOMMU, on a host. */
static void checks_host(json_t *checks, const probe_facts *pf) {
  char seen[256];
  add_check(checks, "kvm", pf->kvm, pf->kvm ? "dev/kvm is a character device" : "no dev/kvm device",
            pf->is_intel ? "BIOS: enable Intel VT-x; load kvm_intel (modprobe kvm_intel)"
                         : "BIOS: enable SVM (AMD-V); load kvm_amd (modprobe kvm_amd)");
  snprintf(seen, sizeof seen, "%d IOMMU groups", pf->iommu_groups);
  int iommu_off = cmdline_has(pf->cmdline, "iommu=off") ||
                  cmdline_has(pf->cmdline, "amd_iommu=off") ||
                  cmdline_has(pf->cmdline, "intel_iommu=off");
  add_check(checks, "iommu", pf->iommu, seen,
            iommu_off      ? "remove iommu=off / amd_iommu=off / intel_iommu=off from the kernel "
                             "command line"
            : pf->is_intel ? "BIOS: enable VT-d; kernel parameter intel_iommu=on"
                           : "BIOS: enable IOMMU; kernel parameter amd_iommu=on");
}

/* Checks: AMD SEV, SEV-ES, SEV-SNP on a host. */
static void checks_sev(json_t *checks, const probe_facts *pf) {
  char seen[256];
  add_check(checks, "sev cpu", pf->adv_sev,
            pf->adv_sev ? "CPU advertises SEV (cpuinfo sev / CPUID 0x8000001F EAX[1])"
                        : "CPU does not advertise SEV",
            "needs an AMD EPYC CPU; BIOS: enable SME and SEV (SMEE)");
  add_check(checks, "sev firmware", pf->sev_fw,
            pf->sev_fw ? "dev/sev (PSP firmware) is a character device" : "no dev/sev device",
            "BIOS: enable SEV and set 'SEV ASID space limit'; kernel: load ccp "
            "(CONFIG_CRYPTO_DEV_SP_PSP) with SEV firmware in /lib/firmware/amd");
  snprintf(seen, sizeof seen, "%s",
           pf->p_sev < 0 ? "kvm_amd parameter sev not readable"
                         : (pf->sev_kvm ? "kvm_amd.sev enabled" : "kvm_amd.sev disabled"));
  if (pf->sev_supported) /* the ASID counts are known (misc cgroup or CPUID) only then */
    snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "; %lld SEV ASIDs",
             (long long)pf->asids);
  add_check(checks, "sev kvm", pf->sev_kvm, seen,
            cmdline_has(pf->cmdline, "kvm_amd.sev=0") || cmdline_has(pf->cmdline, "kvm_amd.sev=N")
                ? "the kernel command line turns it off: replace kvm_amd.sev=0 by kvm_amd.sev=1"
                : "module parameter kvm_amd.sev=1 (kernel command line or /etc/modprobe.d)");
  snprintf(seen, sizeof seen, "%s",
           pf->p_es < 0 ? "kvm_amd parameter sev_es not readable"
                        : (pf->p_es == 1 ? "kvm_amd.sev_es enabled" : "kvm_amd.sev_es disabled"));
  if (pf->sev_supported)
    snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "; %lld SEV-ES ASIDs",
             (long long)pf->es_asids);
  add_check(checks, "sev-es", pf->sev_es, seen,
            "BIOS: set 'SEV-ES ASID space limit' above 1; module parameter kvm_amd.sev_es=1");
  snprintf(seen, sizeof seen, "%s; CPU %s SNP",
           pf->p_snp < 0
               ? "kvm_amd parameter sev_snp not readable"
               : (pf->p_snp == 1 ? "kvm_amd.sev_snp enabled" : "kvm_amd.sev_snp disabled"),
           pf->adv_snp ? "advertises" : "does not advertise");
  add_check(checks, "sev-snp", pf->sev_snp, seen,
            cmdline_has(pf->cmdline, "kvm_amd.sev_snp=0") ||
                    cmdline_has(pf->cmdline, "kvm_amd.sev_snp=N")
                ? "the kernel command line turns it off: replace kvm_amd.sev_snp=0 by "
                  "kvm_amd.sev_snp=1"
                : "BIOS: enable SEV-SNP and SNP memory coverage (RMP table), IOMMU on; host "
                  "kernel >= 6.11 with SNP host support; module parameter kvm_amd.sev_snp=1");
}

/* Checks: Intel TDX and SGX on a host. */
static void checks_intel(json_t *checks, const probe_facts *pf) {
  char seen[256];
  add_check(checks, "tdx platform", pf->tdx_host,
            pf->tdx_host ? "cpuinfo tdx_host_platform (BIOS reserved TDX KeyIDs)"
                         : "no cpuinfo flag tdx_host_platform",
            "BIOS: enable TME, TME-MT (multi-key), TDX and the SEAM loader, and assign TDX "
            "KeyIDs; host kernel with TDX host support (CONFIG_INTEL_TDX_HOST)");
  snprintf(seen, sizeof seen, "kvm_intel.tdx %s; %lld TDX KeyIDs (misc.capacity)",
           pf->tdx_param ? "enabled (TDX module initialised)" : "disabled or absent",
           (long long)pf->tdx_keyids);
  add_check(checks, "tdx kvm", pf->tdx_param, seen,
            cmdline_has(pf->cmdline, "kvm_intel.tdx=1") ||
                    cmdline_has(pf->cmdline, "kvm_intel.tdx=Y")
                ? "kvm_intel.tdx=1 is on the kernel command line but KVM did not initialise "
                  "TDX: check the BIOS (TME-MT, TDX, SEAM loader, TDX KeyIDs) and the TDX "
                  "module (/lib/firmware/intel-seam)"
                : "kernel parameter kvm_intel.tdx=1 (and nohibernate); TDX module installed in "
                  "/lib/firmware/intel-seam or loaded by the BIOS");
  add_check(checks, "sgx cpu", pf->sgx_supported,
            pf->sgx_supported ? "CPU advertises SGX" : "CPU does not advertise SGX",
            "BIOS: set SGX to Enabled (not Software Controlled) and reserve PRMRR memory");
  add_check(checks, "sgx flc", pf->sgx_flc,
            pf->sgx_flc ? "flexible launch control (sgx_lc)" : "no flexible launch control",
            "BIOS: set 'SGX Launch Control Policy' to Unlocked (needs a CPU with FLC)");
  if (pf->epc_known)
    snprintf(seen, sizeof seen, "%lld bytes of EPC", (long long)pf->epc);
  else
    snprintf(seen, sizeof seen, "EPC size unknown (no sgx_total_bytes, no CPUID leaf 0x12)");
  add_check(checks, "sgx epc", pf->epc_known && pf->epc > 0, seen,
            "BIOS: reserve PRMRR (EPC) memory for SGX");
  add_check(checks, "sgx driver", pf->sgx_driver,
            pf->sgx_driver ? "dev/sgx_enclave is a character device" : "no dev/sgx_enclave device",
            "kernel >= 5.11 with CONFIG_X86_SGX (in-kernel SGX driver)");
  add_check(checks, "sgx kvm", pf->sgx_kvm,
            pf->sgx_kvm ? "kvm_intel.sgx enabled" : "kvm_intel.sgx off",
            "kernel with CONFIG_X86_SGX_KVM; module parameter kvm_intel.sgx=1");
}

/* Checks: inside a VM: the TEE it runs in and where its evidence comes from. */
static void checks_guest(json_t *checks, const probe_facts *pf) {
  char seen[256];
  int in_tee = strcmp(pf->sev_guest, "none") != 0 || pf->tdx_guest;
  snprintf(seen, sizeof seen, "%s",
           pf->tdx_guest ? "Intel TDX guest (CPUID leaf 0x21 / cpuinfo tdx_guest)"
                         : (strcmp(pf->sev_guest, "snp") == 0    ? "AMD SEV-SNP guest"
                            : strcmp(pf->sev_guest, "none") != 0 ? "AMD SEV/SEV-ES guest"
                                                                 : "plain VM, no TEE"));
  add_check(checks, "guest tee", in_tee, seen,
            "start the VM as a confidential guest (Kata RuntimeClass kata-qemu-snp / "
            "kata-qemu-tdx)");
  if (in_tee) {
    int dev = pf->tdx_guest ? pf->tdx_guest_dev : pf->sev_guest_dev;
    snprintf(seen, sizeof seen, "%s ready",
             pf->tdx_guest ? pf->ifaces.tdx_guest_device : pf->ifaces.sev_guest_device);
    add_check(checks, "attestation device", dev, dev ? seen : "no guest attestation device",
              pf->tdx_guest ? "load the tdx_guest module (CONFIG_TDX_GUEST_DRIVER)"
                            : "load the sev-guest module (CONFIG_SEV_GUEST)");
    /* configfs-tsm: the only way to a TDX quote from the kernel; SNP reports also come
     * from dev/sev-guest by ioctl */
    if (pf->ifaces.configfs_tsm) {
      snprintf(seen, sizeof seen, TC_TSM_REPORT_DIR " (provider %s)",
               pf->ifaces.tsm_provider_count ? pf->ifaces.tsm_providers[0]
                                             : "unknown until a report entry exists");
      add_check(checks, "configfs-tsm", 1, seen, NULL);
    } else {
      int fallback = !pf->tdx_guest && pf->sev_guest_dev;
      add_check(checks, "configfs-tsm", fallback,
                fallback ? "absent; dev/sev-guest serves SNP reports by ioctl"
                         : "no " TC_TSM_REPORT_DIR,
                pf->tdx_guest ? "a TDX quote needs configfs-tsm: kernel >= 6.7 with "
                                "CONFIG_TSM_REPORTS, and configfs mounted (mount -t configfs "
                                "configfs /sys/kernel/config)"
                              : "kernel >= 6.7 with CONFIG_TSM_REPORTS, and configfs mounted "
                                "(mount -t configfs configfs /sys/kernel/config)");
    }
  }
}

/* The human checks: what was seen, and the fix when it fails. */
json_t *probe_checks(const probe_facts *pf) {
  json_t *checks = json_array();
  char seen[256];
  snprintf(seen, sizeof seen, "%s (CPUID.1:ECX[31] hypervisor bit %s)", pf->host ? "host" : "guest",
           pf->hypervisor ? "set" : "clear");
  add_check(checks, "role", 1, seen, NULL);
  if (pf->host)
    checks_host(checks, pf);
  if (pf->host && (pf->is_amd || (!pf->is_intel && (pf->adv_sev || pf->sev_fw))))
    checks_sev(checks, pf);
  if (pf->host && (pf->is_intel || (!pf->is_amd && (pf->tdx_host || pf->sgx_supported))))
    checks_intel(checks, pf);
  if (pf->hypervisor)
    checks_guest(checks, pf);
  return checks;
}

char *tc_probe_nfd_text(const json_t *probe, int64_t expires_at) {
  tc_strbuf b = {0};
  char stamp[21];
  if (expires_at != 0)
    tc_strbuf_printf(&b, "# +expiry-time=%s\n", tc_rfc3339_format(expires_at, stamp));
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

char *tc_probe_human_text(const json_t *probe, int utf8) {
  tc_strbuf b = {0};
  size_t i;
  const json_t *c;
  json_array_foreach(json_object_get(probe, "checks"), i, c) {
    int ok = json_is_true(json_object_get(c, "ok"));
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *seen = json_string_value(json_object_get(c, "seen"));
    const char *fix = json_string_value(json_object_get(c, "fix"));
    const char *mark = utf8 ? (ok ? "\u2713" : "\u2717") : (ok ? "[ok]" : "[no]");
    tc_strbuf_printf(&b, "%s %-18s %s", mark, name ? name : "?", seen ? seen : "");
    if (!ok && fix)
      tc_strbuf_printf(&b, " %s fix: %s", utf8 ? "\u2014" : "--", fix);
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
