/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — SEV-SNP launch digest (`teectl measure`): the MEASUREMENT an AMD SEV-SNP guest's
 * attestation report carries, computed from the firmware, the measured direct boot inputs
 * (kernel, initrd, command line), the vCPUs and the VMM, as reference values for a policy.
 *
 * Sources:
 * - AMD SEV Secure Nested Paging Firmware ABI Specification (pub. 56860), SNP_LAUNCH_UPDATE:
 *   "Measurement Calculation" and the PAGE_INFO structure table (digest chaining with
 *   SHA-384, page types NORMAL 1, VMSA 2, ZERO 3, UNMEASURED 4, SECRETS 5, CPUID 6).
 * - AMD64 Architecture Programmer's Manual Vol. 2, Appendix B, Table B-4 "VMSA Layout, State
 *   Save Area for SEV-ES" (the VMSA page of each vCPU).
 * - edk2 OvmfPkg: ResetVector's GUIDed footer table (OVMF table footer GUID
 *   96b582de-1fb2-45f7-baea-a366c55a082d, 32 bytes before the end of the image), the SEV
 *   metadata ("ASEV", OvmfSevMetadata.asm), the SEV-ES reset block and the SEV hash table
 *   reserved area; QEMU's sev_add_kernel_loader_hashes (SEV hash table layout, command line
 *   hashed with its terminating NUL) and its initial vCPU register state; the EC2 and GCE
 *   hypervisors' differences (CPUID page order, register state) as documented by the
 *   virtee/sev-snp-measure project.
 *
 * The functions here are pure (no I/O) except tc_measure_sha256_file, the edge helper that
 * streams a kernel or initrd file.
 */
#ifndef TEECTL_MEASURE_H
#define TEECTL_MEASURE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "teectl/error.h"
#include "teectl/toml.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Length of an SNP launch digest (MEASUREMENT, SHA-384), bytes. */
#define TC_SNP_DIGEST_LEN 48
/** Most vCPUs accepted (KVM's x86 limit). */
#define TC_SNP_MAX_VCPUS 4096

/** The VMM that launches the guest: it decides the initial vCPU register state and, for
 *  EC2, the order of the CPUID page; GCE leaves the SNP_SEC_MEM pages unmeasured. */
typedef enum { TC_SNP_VMM_QEMU = 0, TC_SNP_VMM_EC2, TC_SNP_VMM_GCE } tc_snp_vmm;

/** SHA-256 digests (32 bytes each) of the measured direct boot inputs, as QEMU writes them
 *  into the SEV hash table: the kernel file, the initrd file (an empty input when there is
 *  none) and the kernel command line including its terminating NUL. */
typedef struct tc_snp_kernel_hashes {
  uint8_t kernel[32];
  uint8_t initrd[32];
  uint8_t cmdline[32];
} tc_snp_kernel_hashes;

/** Inputs of one launch. */
typedef struct tc_snp_launch {
  const uint8_t *ovmf; /**< OVMF image (the whole firmware, or a tail with its footer table:
                            the pages measured are those given); length a multiple of 4096 */
  size_t ovmf_len;
  const uint8_t *ovmf_hash;           /**< NULL, or the 48-byte chain state after the OVMF pages
                                           (tc_snp_ovmf_hash) to start from instead of hashing ovmf */
  const tc_snp_kernel_hashes *hashes; /**< NULL: no measured direct boot */
  const uint8_t *svsm; /**< NULL, or a Coconut SVSM image (snp:svsm mode): placed below the
                            OVMF and its variable store, its metadata and reset vector used */
  size_t svsm_len;
  uint64_t vars_size;      /**< OVMF variable store size in bytes (svsm mode), multiple of 4096 */
  unsigned vcpus;          /**< 1..TC_SNP_MAX_VCPUS */
  uint32_t vcpu_sig;       /**< CPUID Fn0000_0001_EAX of the guest vCPU (family/model/stepping) */
  uint64_t guest_features; /**< VMSA SEV_FEATURES (svsm mode always uses 0x1) */
  tc_snp_vmm vmm;
} tc_snp_launch;

/**
 * The SNP launch digest of a launch: OVMF pages (NORMAL, GPA 4 GiB - size), then each OVMF
 * SEV metadata section in order (SNP_SEC_MEM: ZERO pages, UNMEASURED on GCE; SNP_SECRETS:
 * SECRETS; CPUID: CPUID, on EC2 after all other sections; SNP_KERNEL_HASHES: the SEV hash
 * table page as NORMAL when in->hashes is given, else ZERO pages; SVSM_CAA: ZERO pages), then
 * one VMSA page per vCPU (BSP at the reset vector 0xfffffff0, the others at the SEV-ES reset
 * block's address). In svsm mode: OVMF pages, SVSM pages, the SVSM's metadata sections, and
 * the SVSM's VMSA (32-bit protected mode at its entry point) for every vCPU.
 * digest gets 48 bytes. When regions is a JSON array, one object per measured region is
 * appended: {"region","page_type","gpa" (hex text),"size" (bytes),"pages","digest_after"
 * (hex chain state after the region)} plus "sha384" of a VMSA page and the three SHA-256
 * values of the kernel hashes table.
 * Errors (TC_ERR_PARSE unless noted): "ovmf_size_invalid" (empty, not a multiple of 4096, or
 * over 4 GiB), "ovmf_no_footer_table", "ovmf_footer_table_invalid",
 * "ovmf_no_sev_metadata", "ovmf_sev_metadata_invalid", "ovmf_section_invalid" (unaligned or
 * unknown type; detail names the index and values), "ovmf_no_kernel_hashes" (hashes given but
 * no SNP_KERNEL_HASHES section or SEV hash table GUID), "ovmf_no_reset_block" (no SEV-ES
 * reset block: needed for the APs), "svsm_size_invalid", "svsm_no_info" (no SVSM info GUID);
 * TC_ERR_USAGE "vcpus_invalid", "vmm_invalid" (svsm mode with a VMM other than QEMU),
 * "bad_option" (svsm mode with kernel hashes or an OVMF hash); TC_ERR_INTERNAL "internal_error";
 * TC_ERR_NOMEM "out_of_memory".
 */
tc_status tc_snp_launch_digest(const tc_snp_launch *in, uint8_t digest[TC_SNP_DIGEST_LEN],
                               json_t *regions, tc_error *err);

/**
 * The chain state after the OVMF pages alone (48 bytes): what `--mode snp:ovmf-hash` prints
 * and in->ovmf_hash takes. Requires only that the length is a multiple of 4096 (1 page to
 * 4 GiB). Errors: TC_ERR_PARSE "ovmf_size_invalid"; TC_ERR_INTERNAL "internal_error".
 */
tc_status tc_snp_ovmf_hash(const uint8_t *ovmf, size_t len, uint8_t out[TC_SNP_DIGEST_LEN],
                           tc_error *err);

/**
 * The 32-bit CPUID Fn0000_0001_EAX signature of a family/model/stepping (AMD CPUID
 * Specification pub. 25481, Fn0000_0001_EAX: extended family above 0xf, extended model).
 * Errors: TC_ERR_USAGE "vcpu_type_invalid" (family > 0x10e, model > 0xff, stepping > 0xf).
 */
tc_status tc_snp_cpu_sig(unsigned family, unsigned model, unsigned stepping, uint32_t *sig,
                         tc_error *err);

/**
 * Signature of a QEMU CPU model name (QEMU's builtin x86 definitions: "EPYC", "EPYC-v1".."v4",
 * "EPYC-IBPB", "EPYC-Rome"[-v1..v3], "EPYC-Milan"[-v1, -v2], "EPYC-Genoa"[-v1],
 * "EPYC-Turin"; exact, case-sensitive). Errors: TC_ERR_USAGE "vcpu_type_unknown" (the detail
 * lists the known names).
 */
tc_status tc_snp_vcpu_sig(const char *type, uint32_t *sig, tc_error *err);

/** The known vCPU type names, NULL-terminated (for --help). */
const char *const *tc_snp_vcpu_types(void);

/** "qemu", "ec2", "gce" (case-insensitive) -> VMM. Errors: TC_ERR_USAGE "vmm_type_unknown". */
tc_status tc_snp_vmm_parse(const char *name, tc_snp_vmm *out, tc_error *err);

/** Lower-case VMM name. */
const char *tc_snp_vmm_name(tc_snp_vmm vmm);

/** SHA-256 of the kernel command line text followed by one NUL byte (QEMU hashes the
 *  NUL-terminated string; an empty command line hashes the single byte 0x00). Errors:
 *  TC_ERR_INTERNAL "internal_error" (tc_sha256). */
tc_status tc_snp_cmdline_sha256(const char *cmdline, uint8_t out[32], tc_error *err);

/**
 * SHA-256 of a whole regular file, streamed (kernels and initrds of any size). Edge helper
 * (does I/O). Errors: TC_ERR_IO "file_unreadable" (detail names the path and errno text),
 * "file_not_regular"; TC_ERR_INTERNAL "crypto_failed".
 */
tc_status tc_measure_sha256_file(const char *path, uint8_t out[32], tc_error *err);

/** Launch inputs of a Kata Containers SEV-SNP sandbox, read from its configuration. Paths are
 *  as the configuration names them (on the node); initrd or image is NULL when not set. */
typedef struct tc_kata_snp {
  char *firmware, *kernel, *initrd, *image;
  char *cmdline;       /**< the kernel command line the Go runtime composes */
  unsigned vcpus;      /**< vCPUs at launch (default_vcpus rounded up; 0 means 1) */
  json_t *assumptions; /**< array of strings: what this depends on beyond the file */
} tc_kata_snp;

/**
 * Read the launch inputs from a parsed Kata configuration (configuration-qemu-snp.toml of the
 * Go runtime, Kata 4.1): [hypervisor.qemu] firmware, kernel, initrd or image, default_vcpus,
 * and the kernel command line composed as src/runtime/virtcontainers/qemu.go
 * kernelParameters() and katautils SetKernelParams do (arch defaults, root parameters of an
 * image, console, quiet/debug, panic=1, selinux, systemd unit, scsi_mod.scan=none, agent
 * parameters from [agent.kata], kernel_params). Every assumption (vCPUs of a pod with limits,
 * annotations, FIPS, the image not being measured, runtime-rs) is listed in out->assumptions.
 * Free with tc_kata_snp_free.
 * Errors: TC_ERR_USAGE "kata_not_snp" (no [hypervisor.qemu], or confidential_guest /
 * sev_snp_guest not true), "kata_config_incomplete" (no firmware or kernel),
 * "kata_unsupported" (kernel_verity_params, guest_extension_images, machine type other than
 * q35: give the command line explicitly), "kata_vcpus_unknown" (negative default_vcpus: the
 * host's CPU count); TC_ERR_PARSE "kata_config_invalid" (wrong value type: the detail names
 * line:column and key; initrd and image both set; unknown rootfs_type); TC_ERR_NOMEM
 * "out_of_memory".
 */
tc_status tc_kata_snp_inputs(const tc_toml_value *root, tc_kata_snp *out, tc_error *err);

/** Release what tc_kata_snp_inputs filled (NULL-safe fields). */
void tc_kata_snp_free(tc_kata_snp *k);

#ifdef __cplusplus
}
#endif
#endif
