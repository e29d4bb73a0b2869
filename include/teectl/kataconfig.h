/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — Kata Containers, containerd and RuntimeClass configuration generator
 * (`teectl config generate`).
 *
 * Values follow the Kata Containers 4.1 build output (src/runtime/config/<name>.toml.in and
 * src/runtime-rs/config/<name>.toml.in rendered with PREFIX=/opt/kata, the kata-deploy
 * layout) and kata-deploy's containerd drop-in and helm RuntimeClass data; the tests
 * check the output against those files (vectors/kata) read in place.
 * Pure functions: no I/O; output is a malloc'd NUL-terminated text.
 */
#ifndef TEECTL_KATACONFIG_H
#define TEECTL_KATACONFIG_H

#include <jansson.h>
#include <stddef.h>

#include "teectl/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The TEE a Kata sandbox uses. NONE: a plain (non-confidential) kata-qemu VM. SGX:
 *  a plain kata-qemu VM that gets SGX EPC through the sgx.intel.com/epc annotation. */
typedef enum {
  TC_PLATFORM_NONE = 0,
  TC_PLATFORM_SNP,
  TC_PLATFORM_TDX,
  TC_PLATFORM_SGX,
} tc_platform;

/** Kata runtime: the Go shim (containerd-shim-kata-v2) or runtime-rs. */
typedef enum { TC_KATA_GO = 0, TC_KATA_RS } tc_kata_runtime;

typedef struct tc_gen_opts {
  tc_kata_runtime runtime;
  const char *prefix;      /**< Kata install prefix; NULL = "/opt/kata" (kata-deploy) */
  int containerd_version;  /**< containerd config schema version: 2 or 3 */
  const char *snapshotter; /**< containerd snapshotter for TEE handlers; NULL = none */
  int rc_kata_deploy;      /**< RuntimeClasses: 1 = only what kata-deploy lacks (see
                                tc_gen_runtimeclasses), 0 = every class in full */
} tc_gen_opts;

/** "snp", "tdx", "sgx", "none" -> platform. Errors: TC_ERR_USAGE "unknown_platform". */
tc_status tc_platform_parse(const char *name, tc_platform *out, tc_error *err);

/** Lower-case platform name ("snp", "tdx", "sgx", "none"). */
const char *tc_platform_name(tc_platform p);

/**
 * The best TEE platform a probe result (tc_probe_run JSON) says this node can serve:
 * SNP if sev.snp, else TDX if tdx.module_initialized (KVM sets it only after the TDX
 * module initialised), else SGX if
 * sgx.supported, flc, driver and enabled_in_kvm; all need role "host" and kvm.
 * Errors: TC_ERR_VERIFY "no_tee_platform" (none usable; detail says what is missing).
 */
tc_status tc_platform_from_probe(const json_t *probe, tc_platform *out, tc_error *err);

/**
 * 1 if a probe result says this node can run Kata sandboxes of platform p (the rules of
 * tc_platform_from_probe; NONE: dev/kvm exists), else 0.
 */
int tc_platform_usable(const json_t *probe, tc_platform p);

/**
 * kata-deploy handler / RuntimeClass name for a platform and runtime: "kata-qemu",
 * "kata-qemu-snp", "kata-qemu-tdx" (SGX: "kata-qemu"), with "-runtime-rs" appended for
 * runtime-rs.
 */
const char *tc_kata_handler(tc_platform p, tc_kata_runtime rt);

/**
 * Kata configuration (TOML) for one platform: the [hypervisor.qemu], [agent.kata] and
 * [runtime] keys of the upstream template configuration-qemu[-snp|-tdx][-runtime-rs].toml
 * that matter for it (confidential_guest, sev_snp_guest, snp_guest_policy, firmware,
 * kernel/image, shared_fs, disable_image_nvdimm, static_sandbox_resource_mgmt,
 * emptydir_mode, timeouts, ...) with the template's values. machine_accelerators never
 * carries cbitpos/reduced-phys-bits (QEMU and Kata read them from CPUID). SGX: the plain
 * template's keys; EPC comes from the sgx.intel.com/epc pod annotation, not a TOML key.
 * Errors: TC_ERR_USAGE "bad_option" (prefix not absolute); TC_ERR_NOMEM "out_of_memory".
 */
tc_status tc_gen_kata_config(tc_platform p, const tc_gen_opts *o, char **out, tc_error *err);

/**
 * containerd drop-in (TOML) registering kata-qemu plus one handler per platform in
 * platforms[0..n): per handler the table
 *   [plugins."<cri>".containerd.runtimes.<handler>] with runtime_type
 *   "io.containerd.<handler>.v2", runtime_path, privileged_without_host_devices = true,
 *   pod_annotations ["io.katacontainers.*"] (+ "sgx.intel.com/epc" on kata-qemu when SGX is
 *   listed), container_annotations, optional snapshotter, and its .options ConfigPath;
 * <cri> = "io.containerd.grpc.v1.cri" for config version 2, "io.containerd.cri.v1.runtime"
 * for version 3 (where a snapshotter also goes to
 * [plugins."io.containerd.cri.v1.images".runtime_platforms."<handler>"]), as kata-deploy
 * writes them. No legacy io.containerd.runtime.v1.linux section. No 'version' key (the
 * main config.toml carries it).
 * Errors: TC_ERR_USAGE "bad_option" (version not 2 or 3, prefix not absolute,
 * snapshotter with quotes); TC_ERR_NOMEM.
 */
tc_status tc_gen_containerd_dropin(const tc_platform *platforms, size_t n, const tc_gen_opts *o,
                                   char **out, tc_error *err);

/**
 * RuntimeClass manifests (YAML, node.k8s.io/v1, one document per class) for kata-qemu and
 * each platform: kata-deploy's names, handlers and overhead.podFixed (memory, cpu), and
 * scheduling.nodeSelector on katacontainers.io/kata-runtime plus the labels `teectl probe
 * --nfd` publishes: feature.node.kubernetes.io/cpu-security.sev.snp.enabled (snp),
 * .tdx.enabled (tdx), .sgx.enabled and teectl.io/sgx (sgx: class "kata-qemu-sgx",
 * handler "kata-qemu").
 * With o->rc_kata_deploy, the classes kata-deploy registers itself are not replaced:
 * kata-qemu is left out, and kata-qemu-snp / kata-qemu-tdx are partial objects (name,
 * the unchanged handler and only the NFD nodeSelector key) meant for
 * `kubectl apply --server-side`, which merges that key into kata-deploy's nodeSelector
 * and leaves its overhead and other keys alone; kata-qemu-sgx, which kata-deploy lacks,
 * stays a full object. Errors: TC_ERR_NOMEM.
 */
tc_status tc_gen_runtimeclasses(const tc_platform *platforms, size_t n, const tc_gen_opts *o,
                                char **out, tc_error *err);

#ifdef __cplusplus
}
#endif
#endif
