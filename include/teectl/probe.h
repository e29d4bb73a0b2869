/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — node TEE capability probe (`teectl probe`).
 *
 * Finds out what this node's CPU, firmware, kernel and KVM enable for AMD SEV /
 * SEV-ES / SEV-SNP, Intel TDX and Intel SGX, whether it is a host or a guest, and
 * (on a guest) which TEE it runs in. The rules, field by field, are those of the
 * shared host fixtures' README (vectors/hosts/README.md); sources per field are in
 * the comments of src/node/probe.c.
 *
 * Sources read (all relative to opts->root): proc/cpuinfo (flags, whole-word),
 * proc/cmdline, sys/module/kvm_amd|kvm_intel/parameters/<name>, sys/fs/cgroup/misc.capacity
 * and misc.current, sys/devices/system/node/node<N>/x86/sgx_total_bytes,
 * sys/kernel/iommu_groups/, sys/kernel/mm/hugepages/, dev/<name> (character devices only),
 * and CPUID leaves 0x0, 0x1, 0x7, 0x12, 0x21, 0x80000000, 0x8000001F; for the Kata
 * installation opt/kata/, usr/local/bin, usr/bin, usr/share/defaults/kata-containers,
 * etc/kata-containers and etc/containerd (src/node/kata.c).
 * Never the kernel log (dmesg), never lsmod.
 *
 * The probe is an edge (it reads files and executes CPUID); the evaluation of gathered
 * facts is pure. Its text parsers (CPUID dumps, cpuinfo flags, misc cgroup files, module
 * parameters, DEVICES.txt) are private to src/node (node/parse.h).
 */
#ifndef TEECTL_PROBE_H
#define TEECTL_PROBE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "teectl/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Where the probe reads from. All-NULL (or a zeroed struct) probes the live machine. */
typedef struct tc_probe_opts {
  const char *root;       /**< NULL or "/" = live; else a fake root folder */
  const char *cpuid_file; /**< NULL = execute CPUID; else a dump (cpuid.txt format) */
  /** NULL = a device counts when stat() says S_ISCHR; else a DEVICES.txt list, and exactly
   *  the listed paths count as character devices, whether or not a file stands in for them
   *  under root (and no other path does, whatever it is). */
  const char *char_devices_file;
} tc_probe_opts;

/**
 * Run the probe. *out (caller owns; json_decref) is a JSON object with exactly the
 * fields, names and nesting of vectors/hosts/<case>/expected.json:
 *   role ("host"|"guest"), kvm, iommu (booleans),
 *   sgx {supported, flc, epc_bytes (integer bytes | null when unknown), enabled_in_kvm, driver},
 *   tdx {host_supported, guest, module_initialized, keyids (integer), enabled_in_kvm},
 *   sev {supported, es, snp, asids, es_asids (integers), cbitpos, reduced_phys_bits
 *        (integer bits | null), enabled_in_kvm, guest ("snp"|"sev-es"|"sev"|"none")},
 *   recommended_runtime_classes (array of kata-deploy RuntimeClass names, best first:
 *     "kata-qemu-snp" on a host with sev.snp, "kata-qemu-tdx" on a host with kvm_intel.tdx,
 *     "kata-qemu" wherever dev/kvm is, then "runc"),
 *   nfd_labels (object: NFD cpu-security label name without "feature.node.kubernetes.io/"
 *               -> "true"),
 * plus these extra fields:
 *   sev.cpu_advertises_sev / cpu_advertises_es / cpu_advertises_snp (booleans: cpuinfo flag,
 *     or on a host CPUID 0x8000001F EAX[1]/[3]/[4]),
 *   sev.firmware_device, sev.guest_device ("dev/sev", "dev/sev-guest" are char devices),
 *   sev.firmware ({api_major, api_minor, build} from the SEV PLATFORM_STATUS command on a
 *     real dev/sev this process may open, read-only; null otherwise, always with fixtures),
 *   tdx.guest_device ("dev/tdx_guest", or the older name "dev/tdx-guest", is a char device),
 *   attestation {configfs_tsm (bool), tsm_report_dir ("sys/kernel/config/tsm/report" | null),
 *     tsm_providers (array of strings), sev_guest_device ("dev/sev-guest" | null),
 *     tdx_guest_device ("dev/tdx_guest" | "dev/tdx-guest" | null), sources (array, preferred
 *     first, of "configfs-tsm", "sev-guest", "tdx-guest")}: tc_probe_attest_ifaces,
 *     docs/probe.md,
 *   tdx.private_keyid_range ([first, end) integers) only when readable: from MSR 0x87
 *     (IA32_MKTME_KEYID_PARTITIONING) through a real dev/cpu/0/msr (root, msr module); never
 *     from the kernel log, so never with fixtures,
 *   misc {capacity {key: integer}, current {key: integer}}: every line of
 *     sys/fs/cgroup/misc.capacity and misc.current (keys "sev", "sev_es", "tdx", ...;
 *     absent file = empty object) — capacity and current use for the exporter,
 *   hugepages {"<size>kB": {nr, free}} (pages), cmdline (string | null),
 *   cpu {vendor (CPUID 0 string | null), max_leaf, max_ext_leaf, hypervisor (bool),
 *        cpuid_source ("instruction" | "dump"), microcode (cpuinfo "microcode" hex | null)},
 *   teectl_labels (object: "teectl.io/<name>" -> string value; see tc_probe_nfd_text),
 *   kata {ready, installed (booleans), version (string | null), binaries, configs,
 *     containerd {files, handlers}, problems [{what, fix}], fix (string | null)}: the Kata
 *     installation below the root (docs/probe.md, "kata"); when ready on a host the label
 *     teectl.io/kata-ready=true and a passing "kata" check, else a failing check with the fix,
 *   tee_usable (boolean; the rule of tc_probe_tee_usable), checks (array of
 *     {name, ok (bool), seen (string), fix (string | null)}, for the human output).
 * Errors: TC_ERR_USAGE "probe_bad_options" (root not a folder); TC_ERR_IO
 * "probe_file_unreadable" (a --cpuid / --char-devices file cannot be read);
 * TC_ERR_PARSE "cpuid_dump_malformed" / "char_devices_malformed" (detail: file:line);
 * TC_ERR_NOMEM "out_of_memory". Missing probe sources under root are not errors: they are facts
 * ("absent"), reported as false / 0 / null per the README rules.
 */
tc_status tc_probe_run(const tc_probe_opts *opts, json_t **out, tc_error *err);

/** The configfs-tsm report folder, relative to the root (kernel
 *  Documentation/ABI/testing/configfs-tsm). */
#define TC_TSM_REPORT_DIR "sys/kernel/config/tsm/report"

/** The guest attestation interfaces found below a root: where a confidential guest's
 *  evidence can come from, in the order an attester should prefer them. */
typedef struct tc_attest_ifaces {
  /** 1 if <root>/sys/kernel/config/tsm/report is a folder (configfs mounted, Linux >= 6.7
   *  with CONFIG_TSM_REPORTS). It does not prove a provider is registered: writing inblob
   *  then fails until the sev-guest or tdx-guest driver is loaded. */
  int configfs_tsm;
  /** Providers named by the report entries that exist already (each entry's read-only
   *  "provider" attribute, e.g. "sev_guest", "tdx_guest"): sorted, distinct, NULL-terminated,
   *  malloc'd; NULL with count 0 when there is no entry or none is readable. The probe never
   *  creates an entry. */
  char **tsm_providers;
  size_t tsm_provider_count;
  /** "dev/sev-guest" when that is a character device (SNP_GET_REPORT / SNP_GET_EXT_REPORT,
   *  uapi/linux/sev-guest.h), else NULL. Static string. */
  const char *sev_guest_device;
  /** "dev/tdx_guest", or "dev/tdx-guest" (the older name, of TDX guest kernels from before the
   * driver went upstream in Linux 6.2) when only that one is a character device, else NULL;
   * TDX_CMD_GET_REPORT0 gives a TDREPORT, not a quote (a quote needs configfs-tsm or a quote
   * generation service). Static string. */
  const char *tdx_guest_device;
} tc_attest_ifaces;

/**
 * Detect the guest attestation interfaces below opts->root (NULL or "/" = live), with the
 * probe's rules: a device counts when stat() says it is a character device or, with
 * opts->char_devices_file, when the list declares it. opts->cpuid_file is not used. All
 * paths in *out are relative to the root, without a leading '/'. On success the caller
 * releases *out with tc_attest_ifaces_free. Read-only: nothing is created or written.
 * Errors: as tc_probe_run (TC_ERR_USAGE "probe_bad_options" when the root is not a folder;
 * TC_ERR_IO "probe_file_unreadable", TC_ERR_PARSE "char_devices_malformed" for the list;
 * TC_ERR_NOMEM "out_of_memory").
 */
tc_status tc_probe_attest_ifaces(const tc_probe_opts *opts, tc_attest_ifaces *out, tc_error *err);

/** Release what tc_probe_attest_ifaces allocated and zero *a. NULL-safe. */
void tc_attest_ifaces_free(tc_attest_ifaces *a);

/** The TEEs Kata Containers can run confidential pods in (Kata >= 3.19 has no legacy-SEV
 *  or SEV-ES support: only SEV-SNP on AMD). */
typedef enum { TC_PROBE_TEE_SNP, TC_PROBE_TEE_TDX, TC_PROBE_TEE_SGX } tc_probe_tee;

/**
 * 1 if this host can serve Kata confidential pods with that TEE, else 0. The one decision
 * shared by `teectl probe`, `teectl config generate` and the exporter. Rule: role "host",
 * kvm, and SNP: sev.snp; TDX: tdx.module_initialized; SGX: sgx.supported && sgx.flc &&
 * sgx.driver && sgx.enabled_in_kvm. Missing fields count as false.
 */
int tc_probe_tee_kind_usable(const json_t *probe, tc_probe_tee tee);

/**
 * 1 if the probe result says a TEE Kata can use for confidential pods is usable on this
 * node, else 0. Rule: a host where tc_probe_tee_kind_usable holds for SNP, TDX or SGX;
 * or a guest running inside SEV-SNP (sev.guest == "snp") or TDX (tdx.guest). Legacy SEV /
 * SEV-ES alone (a host with sev.supported && sev.enabled_in_kvm but not sev.snp, or a
 * guest with sev.guest "sev" / "sev-es") does not count: Kata supports SEV-SNP, not legacy
 * SEV. A TEE guest whose attestation device (dev/sev-guest, dev/tdx_guest) is missing still
 * counts (it runs inside the TEE; the human output shows the missing device as a failed
 * check with its fix: load the sev-guest / tdx_guest kernel module).
 * CLI exit code 0 when 1, else 1.
 */
int tc_probe_tee_usable(const json_t *probe);

/**
 * The Node Feature Discovery features.d file for a probe result: "name=value\n" lines.
 * First NFD's own labels (feature.node.kubernetes.io/cpu-security.sev.enabled,
 * .sev.es.enabled, .sev.snp.enabled, .sgx.enabled, .tdx.enabled, .tdx.protected — from
 * the result's nfd_labels, full prefix written), then our teectl.io/ labels (result's
 * teectl_labels): teectl.io/tee-usable, teectl.io/role, teectl.io/sev-asids,
 * teectl.io/sev-es-asids, teectl.io/tdx-keyids, teectl.io/sgx-epc-bytes (only when
 * known), teectl.io/sev-snp, teectl.io/tdx, teectl.io/sgx ("true" when usable),
 * teectl.io/sev-firmware ("<major>.<minor>.<build>" when readable), teectl.io/cpu-microcode,
 * teectl.io/kata-ready ("true", only on a host whose Kata installation is consistent),
 * and on guests teectl.io/sev-guest, teectl.io/tdx-guest, teectl.io/attestation-device
 * ("sev-guest" | "tdx-guest" | "none": guest attestation device ready),
 * teectl.io/configfs-tsm ("true" | "false"), teectl.io/tsm-provider (the providers, joined
 * by '.', only when a report entry names one).
 * expires_at: 0 for no expiry; else seconds since the Unix epoch (UTC), written first as
 * NFD's local-source directive "# +expiry-time=<RFC 3339, UTC, e.g. 2025-01-02T03:04:05Z>"
 * (NFD ignores the labels of a feature file past that instant, so labels do not outlive a
 * probe that stopped refreshing them).
 * Returns a malloc'd NUL-terminated string (caller frees) or NULL on allocation failure.
 */
char *tc_probe_nfd_text(const json_t *probe, int64_t expires_at);

/**
 * Human report: one line per check, "✓ <name> <seen>" or "✗ <name> <seen> — fix: <fix>"
 * (the fix names the BIOS setting, kernel parameter or module parameter), then a summary
 * line. utf8: 1 for those UTF-8 symbols; 0 for ASCII only ("[ok]", "[no]", "--"), for a
 * locale that is not UTF-8. Malloc'd string (caller frees) or NULL on allocation failure.
 */
char *tc_probe_human_text(const json_t *probe, int utf8);

#ifdef __cplusplus
}
#endif
#endif
