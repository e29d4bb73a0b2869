/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — lint rules for what a Kata Containers configuration file configures: SEV-SNP,
 * TDX, SGX or legacy SEV (detected from its keys), checked against the templates, the
 * node's probe result, VM templating and the file's provenance header.
 *
 * Reference: Kata Containers 4.1 (kata-containers 7c6ba40c54) templates
 * src/runtime/config/configuration-qemu-{snp,tdx}.toml.in (Go runtime) and
 * src/runtime-rs/config/<name>.toml.in, and the facts listed with each rule (commits,
 * runtime behaviour). SEV-SNP guest policy bits: AMD SEV-SNP Firmware ABI Specification
 * (pub. 56860), "Guest Policy" table. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/lint_kata_internal.h"

/* The value of "cbitpos=<n>" in machine_accelerators (text after the '='): a decimal bit
 * position 0..63 ended by ',', a space or the end (strtol, range and end checked), else -1. */
static long cbitpos_value(const char *v) {
  if (*v < '0' || *v > '9')
    return -1;
  char *end = NULL;
  errno = 0;
  long n = strtol(v, &end, 10);
  if (errno != 0 || end == v || (*end != '\0' && *end != ',' && *end != ' ') || n < 0 || n > 63)
    return -1;
  return n;
}

/* ---------- platform rules ---------- */

typedef struct plat {
  const tc_toml_value *q; /* [hypervisor.qemu] */
  const tc_toml_value *rt;
  int cg, snp, tdx, sev_legacy, amd, sgx, tee, se;
} plat;

static int path_has(const tc_toml_value *q, const char *k, const char *needle) {
  const char *s = str_of(q, k);
  return s && lint_contains(basename_of(s), needle);
}

static void detect(kfile *f, plat *p) {
  memset(p, 0, sizeof *p);
  p->q = table_at(f->root, "hypervisor.qemu");
  p->rt = table_at(f->root, "runtime");
  const tc_toml_value *q = p->q;
  if (!q)
    return;
  const char *ma = str_of(q, "machine_accelerators");
  const char *cpu = str_of(q, "cpu_features");
  const char *mt = str_of(q, "machine_type");
  p->cg = bool_of(q, "confidential_guest") == 1;
  p->snp = bool_of(q, "sev_snp_guest") == 1;
  int amd_hint =
      lint_contains(ma, "sev") || path_has(q, "firmware", "sev") || path_has(q, "kernel", "sev") ||
      path_has(q, "initrd", "sev") || path_has(q, "image", "sev") || ent(q, "snp_guest_policy") ||
      ent(q, "sev_guest_policy") || ent(q, "sev_cert_chain") || ent(q, "guest_pre_attestation");
  /* the firmware's whole path: TDX firmware often sits in a folder named for it
   * (.../tdvf/OVMF.fd, .../tdx/OVMF_CODE.fd) under a generic file name */
  const char *fwp = str_of(q, "firmware");
  int tdx_hint = lint_contains(fwp, "tdx") || lint_contains(fwp, "tdvf") ||
                 path_has(q, "path", "tdx") || ent(q, "tdx_quote_generation_service_socket_port");
  p->se = lint_contains(mt, "s390");
  p->tdx = p->cg && !p->snp && tdx_hint;
  p->sev_legacy = p->cg && !p->snp && !p->tdx && amd_hint;
  p->amd = p->snp || (amd_hint && !p->tdx && (p->cg || lint_contains(ma, "sev")));
  p->sgx = lint_contains(ma, "sgx") || lint_contains(cpu, "sgx") || ent(q, "sgx_epc_size");
  p->tee = p->cg || p->snp || p->amd;
}

static int is_pow2(int64_t v) {
  return v > 0 && (v & (v - 1)) == 0;
}

static void kernel_params_rules(kfile *f, const plat *p) {
  const tc_toml_value *q = p->q;
  const char *kp = str_of(q, "kernel_params");
  if (!kp)
    return;
  char found[512] = "";
  size_t o = 0;
  static const char *const redundant[] = {
      "console=hvc0",       "console=hvc1",        "no_timer_check",     "agent.log=",
      "systemd.log_level=", "systemd.log_target=", "agent.debug_console"};
  char *copy = strdup(kp);
  if (!copy) {
    f->c->nomem = 1;
    return;
  }
  int sev_kbc = 0, sigver_off = 0, ccv0 = 0;
  for (char *save = NULL, *tok = strtok_r(copy, " \t", &save); tok;
       tok = strtok_r(NULL, " \t", &save)) {
    for (size_t i = 0; i < sizeof redundant / sizeof redundant[0]; i++)
      if (strncmp(tok, redundant[i], strlen(redundant[i])) == 0 &&
          o + strlen(tok) + 3 < sizeof found)
        o += (size_t)snprintf(found + o, sizeof found - o, "%s%s", o ? " " : "", tok);
    if (strstr(tok, "online_sev_kbc"))
      sev_kbc = 1;
    if (strcmp(tok, "agent.enable_signature_verification=false") == 0)
      sigver_off = 1;
    if (strncmp(tok, "agent.config_file=", 18) == 0 ||
        strncmp(tok, "agent.aa_kbc_params=", 20) == 0)
      ccv0 = 1;
  }
  free(copy);
  const tc_toml_entry *e = ent(q, "kernel_params");
  if (p->tee && found[0])
    lint_add(f->c, f->file, e->line, e->column, "hypervisor.qemu", "kernel_params", TC_LINT_WARNING,
             "kernel-params-debug",
             "kernel_params = \"\" (the template's value); enable debug with enable_debug in "
             "[hypervisor.qemu] and [agent.kata] instead",
             "kernel_params has '%s': console=hvc0/hvc1 and no_timer_check are added by the "
             "runtime, agent.log comes from [agent.kata] enable_debug and systemd.log_* from "
             "[hypervisor.qemu] enable_debug; in a TEE the kernel command line is measured, so "
             "debug parameters change the measurement",
             found);
  if (p->snp && sev_kbc)
    lint_add(f->c, f->file, e->line, e->column, "hypervisor.qemu", "kernel_params", TC_LINT_WARNING,
             "sev-kbc-on-snp",
             "remove agent.aa_kbc_params; SNP uses remote attestation (Trustee KBS via initdata)",
             "kernel_params selects online_sev_kbc, the legacy SEV pre-attestation key broker "
             "client, which SEV-SNP does not use");
  if (p->tee && sigver_off)
    lint_add(f->c, f->file, e->line, e->column, "hypervisor.qemu", "kernel_params", TC_LINT_WARNING,
             "signature-verification-off", "remove agent.enable_signature_verification=false",
             "kernel_params switches image signature verification off in a confidential guest");
  if (ccv0)
    lint_add(f->c, f->file, e->line, e->column, "hypervisor.qemu", "kernel_params", TC_LINT_INFO,
             "ccv0-agent-params", "remove agent.config_file= and agent.aa_kbc_params=",
             "kernel_params carries confidential-containers CCv0-era agent options "
             "(agent.config_file=, agent.aa_kbc_params=) that current guests do not use");
}

/* machine_accelerators holding a TEE object (it goes to -machine, not -object). */
static void accelerator_rules(kfile *f, const plat *p) {
  const tc_toml_value *q = p->q;
  const char *hq = "hypervisor.qemu";
  const char *ma = str_of(q, "machine_accelerators");
  if (lint_contains(ma, "sev-guest") || lint_contains(ma, "sev-snp-guest"))
    at(f, q, hq, "machine_accelerators", TC_LINT_ERROR, "sev-object-in-accelerators",
       "machine_accelerators = \"\" (template default)",
       "machine_accelerators is appended to QEMU's -machine options, not -object: a "
       "sev-guest/sev-snp-guest object here breaks the command line; Kata builds the SEV-SNP "
       "object itself (cbitpos and reduced-phys-bits from CPUID)");
  if (lint_contains(ma, "sgx-epc") || lint_contains(ma, "memory-backend-epc"))
    at(f, q, hq, "machine_accelerators", TC_LINT_ERROR, "sgx-object-in-accelerators",
       "remove it; request sgx.intel.com/epc in the pod",
       "machine_accelerators is appended to -machine; the runtime itself adds "
       "sgx-epc.0.memdev=epc0,sgx-epc.0.node=0 and the memory-backend-epc object when the pod "
       "has the sgx.intel.com/epc annotation");
}

/* The keys that select the TEE: legacy SEV, SEV-SNP without sev_snp_guest. */
static void platform_key_rules(kfile *f, const plat *p) {
  const tc_toml_value *q = p->q;
  const char *hq = "hypervisor.qemu";
  if (p->sev_legacy)
    at(f, q, hq, "confidential_guest", TC_LINT_WARNING, "sev-removed",
       "confidential_guest = true plus sev_snp_guest = true (SEV-SNP) on AMD",
       "confidential_guest = true without sev_snp_guest = true is ambiguous on an SNP host: "
       "it asks for legacy SEV, so a pod of this runtime class that should be an SNP guest "
       "is launched as plain SEV without SNP's integrity protection (the reported bug: SNP "
       "guests started under the SEV class); Kata removed legacy SEV in 3.19.0 (commit "
       "ecac3d2d28) from its templates and kata-deploy");
  if (p->amd && !p->snp)
    at(f, q, hq, "sev_snp_guest", TC_LINT_ERROR, "missing-key", "sev_snp_guest = true",
       "sev_snp_guest = true is required to get SEV-SNP on AMD (configuration-qemu-snp.toml)");
}

/* The firmware image (and variable store) each TEE boots. */
static void firmware_rules(kfile *f, const plat *p) {
  const tc_toml_value *q = p->q;
  const char *hq = "hypervisor.qemu";
  const char *fw = str_of(q, "firmware");
  if (p->amd && !(fw && lint_contains(basename_of(fw), "AMDSEV")))
    at(f, q, hq, "firmware", TC_LINT_ERROR, "wrong-firmware",
       "firmware = \"<prefix>/share/ovmf/AMDSEV.fd\"",
       fw ? "SEV-SNP boots the stateless AmdSev OVMF build (AMDSEV.fd, passed as -bios); "
            "this firmware is not it (a split OVMF_CODE/OVMF_VARS or generic OVMF.fd)"
          : "SEV-SNP needs firmware = the AmdSev OVMF build (AMDSEV.fd)");
  if (p->tdx && !(fw && (lint_contains(fw, "tdx") || lint_contains(fw, "tdvf"))))
    /* a warning, not an error: other projects ship TDX-enabled OVMF builds under other names
     * (SOURCE.txt of vectors/kata/real-user-configs mentions one using OVMF.fd) */
    at(f, q, hq, "firmware", TC_LINT_WARNING, "wrong-firmware",
       "firmware = \"<prefix>/share/ovmf/OVMF.inteltdx.fd\"",
       "the TDX template boots the TDX OVMF build (OVMF.inteltdx.fd); make sure this firmware "
       "is a TDX-enabled OVMF: a generic OVMF cannot start a TD");
  const char *fv = str_of(q, "firmware_volume");
  if (p->tdx && fw && fw[0] && fv && fv[0]) {
    /* OVMF/TDVF comes as one image (code and variables: OVMF.fd, OVMF.inteltdx.fd, TDVF.fd)
     * or split in OVMF_CODE.fd + OVMF_VARS.fd (edk2 OvmfPkg builds). */
    if (!lint_contains(basename_of(fw), "CODE"))
      at(f, q, hq, "firmware_volume", TC_LINT_ERROR, "tdx-firmware-pairing",
         "firmware_volume = \"\" with the combined image (the TDX template), or firmware = "
         "a *_CODE.fd image with firmware_volume = its *_VARS.fd",
         "firmware is a combined OVMF/TDVF image (code and variables in one file) and "
         "firmware_volume adds a separate variable store: QEMU gets two firmware volumes and "
         "cannot start the TD");
    else
      at(f, q, hq, "firmware_volume", TC_LINT_WARNING, "tdx-firmware-split",
         "firmware = \"<prefix>/share/ovmf/OVMF.inteltdx.fd\" and firmware_volume = \"\" "
         "(the TDX template)",
         "a split TDVF (CODE in firmware, VARS in firmware_volume) needs a QEMU that maps TDVF "
         "from flash; upstream QEMU boots a TD from one image given with -bios, as the TDX "
         "template does");
  }
  if (p->amd && fv && fv[0])
    at(f, q, hq, "firmware_volume", TC_LINT_WARNING, "unused-for-snp", "firmware_volume = \"\"",
       "SEV-SNP firmware is a single -bios image; the SNP template leaves firmware_volume "
       "empty (only TDX consumes firmware_volume)");
}

/* The (Intel) vIOMMU options the templates leave off. */
static void iommu_rules(kfile *f, const plat *p) {
  const tc_toml_value *q = p->q;
  const char *hq = "hypervisor.qemu";
  if (bool_of(q, "enable_iommu") == 1)
    at(f, q, hq, "enable_iommu", TC_LINT_WARNING, p->tee ? "wrong-platform" : "template-deviation",
       "enable_iommu = false",
       p->amd ? "enable_iommu adds intel_iommu=on iommu=pt to the guest kernel and an Intel "
                "vIOMMU to the VM; wrong on AMD and the TEE templates set false"
              : "enable_iommu adds intel_iommu=on iommu=pt and a vIOMMU to the VM; every "
                "template sets false");
  if (bool_of(q, "enable_iommu_platform") == 1)
    at(f, q, hq, "enable_iommu_platform", TC_LINT_INFO, "template-deviation",
       "enable_iommu_platform = false",
       "enable_iommu_platform = true deviates from the templates (false in all of them)");
}

/* The guest kernel and image a TEE boots. */
static void guest_asset_rules(kfile *f, const plat *p) {
  const tc_toml_value *q = p->q;
  const char *hq = "hypervisor.qemu";
  int go = f->dialect == TC_LINT_RUNTIME_GO;
  const char *img = str_of(q, "image");
  if (p->tee && go && img && !lint_contains(basename_of(img), "confidential"))
    at(f, q, hq, "image", TC_LINT_INFO, "confidential-image",
       "image = \"<prefix>/share/kata-containers/kata-containers-confidential.img\"",
       "the TEE templates boot the confidential guest image (kata-containers-confidential.img, "
       "with vmlinuz.container)");
  if (p->snp && (path_has(q, "kernel", "-sev") || path_has(q, "initrd", "-sev")))
    at(f, q, hq, path_has(q, "kernel", "-sev") ? "kernel" : "initrd", TC_LINT_WARNING,
       "sev-guest-assets",
       "kernel = \"<prefix>/share/kata-containers/vmlinuz.container\" and image = "
       "\"<prefix>/share/kata-containers/kata-containers-confidential.img\"",
       "SEV guest kernel/initrd reused for SEV-SNP; the SNP template uses the confidential "
       "kernel and image");
}

/* TEE: the sandbox is sized up front (no CPU or memory hotplug, no image NVDIMM). */
static void tee_sizing_rules(kfile *f, const plat *p) {
  const tc_toml_value *q = p->q;
  const char *hq = "hypervisor.qemu";
  int stat = bool_of(p->rt, "static_sandbox_resource_mgmt");
  if (stat != 1) {
    int64_t mv = 0, ms = 0;
    int has_mv = int_of(q, "default_maxvcpus", &mv) && mv > 0;
    int has_ms = int_of(q, "memory_slots", &ms) && ms > 0;
    if (has_mv || has_ms)
      at(f, q, hq, has_mv ? "default_maxvcpus" : "memory_slots", TC_LINT_WARNING,
         "no-hotplug-in-tee", "add [runtime] static_sandbox_resource_mgmt = true",
         "CPU and memory hotplug do not work for confidential guests; with "
         "static_sandbox_resource_mgmt off the runtime relies on hotplug "
         "(default_maxvcpus / memory_slots)");
    if (p->rt)
      at(f, p->rt, "runtime", "static_sandbox_resource_mgmt", TC_LINT_WARNING,
         ent(p->rt, "static_sandbox_resource_mgmt") ? "tee-template-value" : "missing-key",
         "static_sandbox_resource_mgmt = true",
         "the TEE templates set static_sandbox_resource_mgmt = true: a TEE has no CPU/memory "
         "hotplug, so the sandbox must be sized up front");
  }
  if ((p->amd || p->tdx) && bool_of(q, "disable_image_nvdimm") != 1 && ent(q, "image"))
    at(f, q, hq, "disable_image_nvdimm", TC_LINT_WARNING,
       ent(q, "disable_image_nvdimm") ? "tee-template-value" : "missing-key",
       "disable_image_nvdimm = true",
       "the SNP/TDX templates set disable_image_nvdimm = true (the runtime forces it for "
       "confidential guests, with a warning)");
}

/* TEE: nothing of the host shared into the guest (filesystem, block devices, emptyDir). */
static void tee_host_sharing_rules(kfile *f, const plat *p) {
  const tc_toml_value *q = p->q;
  const char *hq = "hypervisor.qemu";
  int go = f->dialect == TC_LINT_RUNTIME_GO;
  const char *sfs = str_of(q, "shared_fs");
  if (!ent(q, "shared_fs"))
    at(f, q, hq, "shared_fs", TC_LINT_WARNING, "missing-key", "shared_fs = \"none\"",
       "the TEE templates use shared_fs = \"none\" (images are pulled in the guest); without "
       "it the default virtio-fs shares a host filesystem into the confidential guest");
  else if (sfs && strcmp(sfs, "none") != 0)
    at(f, q, hq, "shared_fs", TC_LINT_WARNING, "host-shared-fs", "shared_fs = \"none\"",
       "a host-shared filesystem in a confidential guest: the TEE templates use shared_fs = "
       "\"none\" (guest pull)");
  if (go && (p->amd || p->tdx) && bool_of(q, "disable_block_device_use") == 0)
    at(f, q, hq, "disable_block_device_use", TC_LINT_WARNING, "tee-template-value",
       "disable_block_device_use = true",
       "the Go SNP/TDX templates set disable_block_device_use = true (no host block devices "
       "for container rootfs in a TEE)");
  if (go && bool_of(p->rt, "disable_guest_empty_dir") == 0)
    at(f, p->rt, "runtime", "disable_guest_empty_dir", TC_LINT_WARNING, "tee-template-value",
       "disable_guest_empty_dir = true",
       "disable_guest_empty_dir = false mounts emptyDir volumes from the host into the "
       "confidential guest; the templates set true");
}

/* TEE: no debug console, no debug output. */
static void tee_debug_rules(kfile *f) {
  const tc_toml_value *ak = table_at(f->root, "agent.kata");
  if (bool_of(ak, "debug_console_enabled") == 1)
    at(f, ak, "agent.kata", "debug_console_enabled", TC_LINT_ERROR, "debug-in-tee",
       "debug_console_enabled = false",
       "a debug console into a confidential guest gives the host a shell in the TEE and "
       "defeats attestation");
  static const char *const dbg[] = {"hypervisor.qemu", "agent.kata", "runtime"};
  for (size_t i = 0; i < 3; i++) {
    const tc_toml_value *t = table_at(f->root, dbg[i]);
    if (bool_of(t, "enable_debug") == 1)
      at(f, t, dbg[i], "enable_debug", TC_LINT_WARNING, "debug-in-tee", "enable_debug = false",
         "debug output enabled for a confidential guest (the templates set false)");
  }
}

/* TEE: per-pod initdata must be allowed among the annotations. */
static void tee_initdata_rules(kfile *f, const plat *p) {
  const tc_toml_value *q = p->q;
  const char *hq = "hypervisor.qemu";
  const tc_toml_entry *ea = ent(q, "enable_annotations");
  if (ea && ea->value->type == TC_TOML_ARRAY && ea->value->u.array.len > 0 &&
      !strings_has(q, "enable_annotations", "cc_init_data"))
    at(f, q, hq, "enable_annotations", TC_LINT_WARNING, "annotations-no-initdata",
       "enable_annotations = [\"enable_iommu\", \"kernel_params\", \"kernel_verity_params\", "
       "\"default_vcpus\", \"default_memory\", \"cc_init_data\"]",
       "enable_annotations lacks cc_init_data: initdata (attestation agent / KBS settings, "
       "policy) cannot be passed per pod");
}

/* snp_guest_policy: the reserved bit 17 set, DEBUG (bit 19) clear (AMD SEV-SNP Firmware ABI). */
static void snp_policy_rules(kfile *f, const plat *p) {
  const tc_toml_value *q = p->q;
  const char *hq = "hypervisor.qemu";
  int64_t pol;
  if (int_of(q, "snp_guest_policy", &pol)) {
    if (!(pol & (1 << 17)))
      at(f, q, hq, "snp_guest_policy", TC_LINT_ERROR, "snp-policy",
         "snp_guest_policy = 196608 (0x30000, the template value)",
         "SEV-SNP guest policy bit 17 is reserved and must be 1 (AMD SEV-SNP Firmware ABI, "
         "guest policy): SNP_LAUNCH_START rejects this policy");
    if (pol & (1 << 19))
      at(f, q, hq, "snp_guest_policy", TC_LINT_WARNING, "snp-policy", "clear bit 19 (DEBUG)",
         "SEV-SNP guest policy bit 19 (DEBUG) allows the host to debug "
         "(decrypt) the guest");
  }
}

/* Any platform: vhost-user store, CPU flags, virtio-fs queue size, allowed paths. */
static void generic_qemu_rules(kfile *f, const plat *p) {
  const tc_toml_value *q = p->q;
  const char *hq = "hypervisor.qemu";
  if (bool_of(q, "enable_vhost_user_store") == 1 && bool_of(q, "enable_hugepages") != 1)
    at(f, q, hq, "enable_vhost_user_store", TC_LINT_ERROR, "vhost-user-without-hugepages",
       "enable_vhost_user_store = false",
       p->sgx ? "vhost-user store is for SPDK vhost-user-blk/scsi devices, unrelated to SGX; "
                "with enable_hugepages = false QEMU start fails (\"Vhost-user-blk/scsi is "
                "enabled without HugePages\")"
              : "enable_vhost_user_store needs enable_hugepages = true: the sandbox fails to "
                "start (\"Vhost-user-blk/scsi is enabled without HugePages\")");
  if (p->sgx && ent(q, "vhost_user_store_path"))
    at(f, q, hq, "vhost_user_store_path", TC_LINT_INFO, "unrelated-to-sgx",
       "leave the template default", "vhost_user_store_path has nothing to do with SGX");
  if (lint_contains(str_of(q, "cpu_features"), "sgx"))
    at(f, q, hq, "cpu_features", TC_LINT_WARNING, "not-needed",
       "cpu_features = \"pmu=off\" (template)",
       "no template sets SGX CPU flags: the runtime uses CPU model host, which passes SGX "
       "through");
  int64_t qs;
  if (int_of(q, "virtio_fs_queue_size", &qs) && !is_pow2(qs))
    at(f, q, hq, "virtio_fs_queue_size", TC_LINT_ERROR, "queue-size",
       "virtio_fs_queue_size = 1024 (template)",
       "virtio_fs_queue_size must be a power of two: QEMU's vhost-user-fs device rejects "
       "other queue sizes");
  const char *vfd = str_of(q, "virtio_fs_daemon");
  const tc_toml_entry *vv = ent(q, "valid_virtio_fs_daemon_paths");
  if (vfd && vv && vv->value->type == TC_TOML_ARRAY && vv->value->u.array.len > 0 &&
      !strings_has(q, "valid_virtio_fs_daemon_paths", vfd))
    at(f, q, hq, "virtio_fs_daemon", TC_LINT_WARNING, "path-not-allowed",
       "add it to valid_virtio_fs_daemon_paths or use an allowed path",
       "virtio_fs_daemon is not in valid_virtio_fs_daemon_paths");
  const char *hp = str_of(q, "path");
  const tc_toml_entry *vh = ent(q, "valid_hypervisor_paths");
  if (hp && vh && vh->value->type == TC_TOML_ARRAY && vh->value->u.array.len > 0 &&
      !strings_has(q, "valid_hypervisor_paths", hp))
    at(f, q, hq, "valid_hypervisor_paths", TC_LINT_INFO, "path-not-allowed",
       "include path in valid_hypervisor_paths",
       "valid_hypervisor_paths does not contain path (only checked for annotation overrides: "
       "harmless but misleading)");
}

static void tee_rules(kfile *f, const plat *p) {
  accelerator_rules(f, p);
  platform_key_rules(f, p);
  firmware_rules(f, p);
  iommu_rules(f, p);
  kernel_params_rules(f, p);
  guest_asset_rules(f, p);
  if (p->tee) {
    tee_sizing_rules(f, p);
    tee_host_sharing_rules(f, p);
    tee_debug_rules(f);
    tee_initdata_rules(f, p);
  }
  snp_policy_rules(f, p);
  generic_qemu_rules(f, p);
}

/* Provenance comment "Source file: ..." naming a template for another platform. */
static void provenance(kfile *f, const plat *p) {
  /* Go SNP only: upstream's own TDX and runtime-rs SNP templates carry a generic header */
  if (!p->snp || f->dialect != TC_LINT_RUNTIME_GO)
    return;
  const char *t = f->text;
  size_t n = f->len;
  unsigned line = 1;
  for (size_t i = 0; i < n; i++) {
    if (t[i] == '\n') {
      line++;
      continue;
    }
    if (i + 13 < n && memcmp(t + i, "Source file: ", 13) == 0) {
      size_t e = i;
      while (e < n && t[e] != '\n')
        e++;
      char buf[256];
      snprintf(buf, sizeof buf, "%.*s", (int)(e - i), t + i);
      if (!lint_contains(buf, "snp"))
        lint_add(f->c, f->file, line, 1, "", "", TC_LINT_INFO, "wrong-provenance",
                 "start from the configuration-qemu-snp template",
                 "the header says '%s' but the file configures %s: it is not a render of that "
                 "platform's template",
                 buf, "SEV-SNP");
      return;
    }
  }
}

static int jbool(const json_t *o, const char *a, const char *b) {
  const json_t *x = json_object_get(o, a);
  if (b)
    x = json_object_get(x, b);
  return json_is_true(x);
}

static void probe_rules(kfile *f, const plat *p) {
  const json_t *pr = f->c->opts->probe;
  if (!pr || !p->q)
    return;
  const tc_toml_value *q = p->q;
  const char *hq = "hypervisor.qemu";
  int host = json_is_string(json_object_get(pr, "role")) &&
             strcmp(json_string_value(json_object_get(pr, "role")), "host") == 0;
  int kvm = jbool(pr, "kvm", NULL);
  int snp = host && kvm && jbool(pr, "sev", "snp");
  int tdx =
      host && kvm && jbool(pr, "tdx", "host_supported") && jbool(pr, "tdx", "module_initialized");
  int sgx = host && kvm && jbool(pr, "sgx", "supported") && jbool(pr, "sgx", "flc") &&
            jbool(pr, "sgx", "driver") && jbool(pr, "sgx", "enabled_in_kvm");
  const char *has = snp ? "SEV-SNP" : tdx ? "TDX" : sgx ? "SGX" : "no usable TEE";
  const char *fix = snp   ? "use configuration-qemu-snp.toml (handler kata-qemu-snp) on this node"
                    : tdx ? "use configuration-qemu-tdx.toml (handler kata-qemu-tdx) on this node"
                    : sgx ? "use kata-qemu with the sgx.intel.com/epc annotation on this node"
                          : "run this workload on a node with the TEE (see teectl probe)";
  char msg[400];
  if (p->amd && !snp) {
    snprintf(msg, sizeof msg,
             "this configuration is for AMD SEV-SNP but the node's probe shows %s (sev.snp is "
             "false): the sandbox cannot start here",
             has);
    at(f, q, hq, ent(q, "sev_snp_guest") ? "sev_snp_guest" : "confidential_guest", TC_LINT_ERROR,
       "platform-mismatch", fix, msg);
  } else if (p->tdx && !tdx) {
    snprintf(msg, sizeof msg,
             "this configuration is for Intel TDX but the node's probe shows %s (TDX host support "
             "and an initialised TDX module are needed): the sandbox cannot start here",
             has);
    at(f, q, hq, "confidential_guest", TC_LINT_ERROR, "platform-mismatch", fix, msg);
  } else if (p->cg && !snp && !tdx) {
    snprintf(msg, sizeof msg,
             "confidential_guest = true but the node's probe shows %s: no confidential VM can "
             "start here",
             has);
    at(f, q, hq, "confidential_guest", TC_LINT_ERROR, "platform-mismatch", fix, msg);
  }
  if (p->sgx && !sgx) {
    snprintf(msg, sizeof msg,
             "SGX settings but the node's probe shows no usable SGX (needs sgx.supported, flc, "
             "driver and enabled_in_kvm); it has %s",
             has);
    at(f, q, hq, ent(q, "machine_accelerators") ? "machine_accelerators" : "cpu_features",
       TC_LINT_ERROR, "platform-mismatch", fix, msg);
  }
  const char *ma = str_of(q, "machine_accelerators");
  const char *cb = ma ? strstr(ma, "cbitpos=") : NULL;
  const json_t *pc = json_object_get(json_object_get(pr, "sev"), "cbitpos");
  long cbit = cb ? cbitpos_value(cb + 8) : -1;
  if (cb && json_is_integer(pc) && cbit != json_integer_value(pc)) {
    if (cbit < 0)
      snprintf(msg, sizeof msg,
               "machine_accelerators sets a cbitpos that is not a bit position (0..63), but this "
               "CPU's C-bit position is %d (CPUID 0x8000001F EBX[5:0])",
               (int)json_integer_value(pc));
    else
      snprintf(msg, sizeof msg,
               "machine_accelerators sets cbitpos=%ld but this CPU's C-bit position is %d "
               "(CPUID 0x8000001F EBX[5:0])",
               cbit, (int)json_integer_value(pc));
    at(f, q, hq, "machine_accelerators", TC_LINT_ERROR, "cbitpos-mismatch",
       "machine_accelerators = \"\" (Kata takes cbitpos from CPUID)", msg);
  }
}

static void factory_rules(kfile *f, const plat *p) {
  const tc_toml_value *fa = table_at(f->root, "factory");
  if (bool_of(fa, "enable_template") != 1)
    return;
  const tc_toml_value *q = p->q;
  int initrd_only = q && ent(q, "initrd") && !ent(q, "image");
  const char *sfs = q ? str_of(q, "shared_fs") : NULL;
  int virtiofs = !sfs || strncmp(sfs, "virtio-fs", 9) == 0;
  if (!initrd_only || virtiofs || p->tee)
    at(f, fa, "factory", "enable_template", TC_LINT_ERROR, "template-requires-initrd",
       "enable_template = false",
       "VM templating needs the guest booted from initrd= (image= is unsupported), is "
       "rejected together with virtio-fs, and cannot be used for confidential guests");
}

void kata_platform_rules(kfile *f) {
  plat p;
  detect(f, &p);
  if (p.q)
    tee_rules(f, &p);
  factory_rules(f, &p);
  provenance(f, &p);
  probe_rules(f, &p);
}
