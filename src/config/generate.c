/* SPDX-License-Identifier: Apache-2.0 */
/* teectl config generate: Kata configuration, containerd drop-in and RuntimeClasses.
 *
 * Sources of the values (Kata Containers 4.1, kata-deploy layout PREFIX=/opt/kata):
 *  - Kata keys: src/runtime/config/configuration-qemu{,-snp,-tdx}.toml.in and
 *    src/runtime-rs/config/configuration-qemu{,-snp,-tdx}-runtime-rs.toml.in as rendered by
 *    the runtime Makefiles (vectors/kata/rendered).
 *  - containerd: kata-deploy's containerd.rs (write_containerd_runtime_config): CRI plugin
 *    id per config version, runtime_type io.containerd.<handler>.v2, options.ConfigPath.
 *  - RuntimeClass names, handlers and overheads: kata-deploy helm chart
 *    templates/runtimeclasses.yaml (kata-deploy.runtimeClassConfigs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teectl/kataconfig.h"
#include "teectl/probe.h"
#include "teectl/strbuf.h"

/* Hand over the generated text (the caller frees it); a failed or empty buffer is nomem. */
static tc_status sb_finish(tc_strbuf *b, char **out, tc_error *err) {
  *out = b->s != NULL ? tc_strbuf_take(b) : NULL;
  if (*out == NULL) {
    tc_strbuf_free(b);
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "generating configuration");
  }
  return TC_OK;
}

/* ---- platforms ---- */

tc_status tc_platform_parse(const char *name, tc_platform *out, tc_error *err) {
  static const struct {
    const char *n;
    tc_platform p;
  } names[] = {{"snp", TC_PLATFORM_SNP},
               {"tdx", TC_PLATFORM_TDX},
               {"sgx", TC_PLATFORM_SGX},
               {"none", TC_PLATFORM_NONE}};
  for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
    if (strcmp(name, names[i].n) == 0) {
      *out = names[i].p;
      return TC_OK;
    }
  return tc_fail(err, TC_ERR_USAGE, "unknown_platform",
                 "platform '%s' is not one of snp, tdx, sgx, none", name ? name : "(null)");
}

const char *tc_platform_name(tc_platform p) {
  switch (p) {
  case TC_PLATFORM_SNP:
    return "snp";
  case TC_PLATFORM_TDX:
    return "tdx";
  case TC_PLATFORM_SGX:
    return "sgx";
  default:
    return "none";
  }
}

static int pb(const json_t *p, const char *obj, const char *key) {
  return json_is_true(json_object_get(obj ? json_object_get(p, obj) : p, key));
}

int tc_platform_usable(const json_t *probe, tc_platform p) {
  const char *role = json_string_value(json_object_get(probe, "role"));
  int kvm = pb(probe, NULL, "kvm");
  if (p == TC_PLATFORM_NONE)
    return kvm;
  if (role == NULL || strcmp(role, "host") != 0 || !kvm)
    return 0;
  /* the probe's own decision, so probe, config generate and the exporter agree */
  switch (p) {
  case TC_PLATFORM_SNP:
    return tc_probe_tee_kind_usable(probe, TC_PROBE_TEE_SNP);
  case TC_PLATFORM_TDX:
    return tc_probe_tee_kind_usable(probe, TC_PROBE_TEE_TDX);
  case TC_PLATFORM_SGX:
    return tc_probe_tee_kind_usable(probe, TC_PROBE_TEE_SGX);
  default:
    return 0;
  }
}

tc_status tc_platform_from_probe(const json_t *probe, tc_platform *out, tc_error *err) {
  const char *role = json_string_value(json_object_get(probe, "role"));
  if (role == NULL)
    return tc_fail(err, TC_ERR_PARSE, "probe_malformed", "probe result has no 'role'");
  if (strcmp(role, "host") != 0)
    return tc_fail(err, TC_ERR_VERIFY, "no_tee_platform",
                   "this is a %s, not a host: Kata TEE sandboxes need a bare-metal host", role);
  if (!pb(probe, NULL, "kvm"))
    return tc_fail(err, TC_ERR_VERIFY, "no_tee_platform", "no /dev/kvm on this node");
  static const tc_platform order[] = {TC_PLATFORM_SNP, TC_PLATFORM_TDX, TC_PLATFORM_SGX};
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    if (tc_platform_usable(probe, order[i])) {
      *out = order[i];
      return TC_OK;
    }
  int legacy_sev = pb(probe, "sev", "supported") && pb(probe, "sev", "enabled_in_kvm");
  return tc_fail(err, TC_ERR_VERIFY, "no_tee_platform",
                 "neither SEV-SNP (sev.snp), TDX (tdx.module_initialized) nor SGX (sgx with "
                 "flc, driver, kvm) is usable on this node%s; see 'teectl probe'",
                 legacy_sev ? " (legacy SEV is on, but Kata supports SEV-SNP, not legacy SEV)"
                            : "");
}

const char *tc_kata_handler(tc_platform p, tc_kata_runtime rt) {
  switch (p) {
  case TC_PLATFORM_SNP:
    return rt == TC_KATA_RS ? "kata-qemu-snp-runtime-rs" : "kata-qemu-snp";
  case TC_PLATFORM_TDX:
    return rt == TC_KATA_RS ? "kata-qemu-tdx-runtime-rs" : "kata-qemu-tdx";
  default:
    return rt == TC_KATA_RS ? "kata-qemu-runtime-rs" : "kata-qemu";
  }
}

static const char *prefix_of(const tc_gen_opts *o) {
  return o && o->prefix ? o->prefix : "/opt/kata";
}

static int bad_string(const char *s) {
  for (; *s; s++)
    if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
      return 1;
  return 0;
}

static tc_status check_prefix(const tc_gen_opts *o, tc_error *err) {
  const char *p = prefix_of(o);
  if (p[0] != '/' || bad_string(p))
    return tc_fail(err, TC_ERR_USAGE, "bad_option",
                   "--prefix '%s' must be an absolute path without quotes or control characters",
                   p);
  return TC_OK;
}

/* ---- Kata configuration ---- */

/* Variant bits: runtime x platform. */
enum {
  GP = 1 << 0, /* Go, plain (also SGX) */
  GS = 1 << 1, /* Go, SNP */
  GT = 1 << 2, /* Go, TDX */
  RP = 1 << 3, /* runtime-rs, plain */
  RS = 1 << 4, /* runtime-rs, SNP */
  RT = 1 << 5, /* runtime-rs, TDX */
  GO = GP | GS | GT,
  RUST = RP | RS | RT,
  PLAIN = GP | RP,
  SNP = GS | RS,
  TDX = GT | RT,
  TEE = SNP | TDX,
  ALL = GO | RUST,
};

/* One key: section, key, TOML value ("@P@" = install prefix), variants using it. */
typedef struct kata_key {
  const char *section, *key, *value;
  unsigned variants;
  const char *why; /* comment for TEE-relevant keys, or NULL */
} kata_key;

static const kata_key kata_keys[] = {
    {"hypervisor.qemu", "path", "\"@P@/bin/qemu-system-x86_64\"", ALL, NULL},
    {"hypervisor.qemu", "kernel", "\"@P@/share/kata-containers/vmlinuz.container\"", TEE,
     "compressed kernel: the firmware measures and boots it"},
    {"hypervisor.qemu", "kernel", "\"@P@/share/kata-containers/vmlinux.container\"", PLAIN, NULL},
    {"hypervisor.qemu", "image", "\"@P@/share/kata-containers/kata-containers-confidential.img\"",
     GS | GT, "confidential guest image (attestation agent, image pull in the guest)"},
    {"hypervisor.qemu", "image", "\"@P@/share/kata-containers/kata-containers.img\"",
     PLAIN | RS | RT, NULL},
    {"hypervisor.qemu", "machine_type", "\"q35\"", ALL, NULL},
    {"hypervisor.qemu", "rootfs_type", "\"ext4\"", ALL, NULL},
    {"hypervisor.qemu", "vm_rootfs_driver", "\"virtio-blk-pci\"", RS | RT,
     "no virtio-pmem: a TEE guest cannot share host memory for the root filesystem"},
    {"hypervisor.qemu", "vm_rootfs_driver", "\"virtio-pmem\"", RP, NULL},
    {"hypervisor.qemu", "confidential_guest", "true", TEE, "run the sandbox as a TEE guest"},
    {"hypervisor.qemu", "sev_snp_guest", "true", SNP, "AMD SEV-SNP (not SEV or SEV-ES)"},
    {"hypervisor.qemu", "snp_id_block", "\"\"", SNP, "optional ID block (base64), none"},
    {"hypervisor.qemu", "snp_id_auth", "\"\"", SNP, NULL},
    {"hypervisor.qemu", "snp_guest_policy", "196608", SNP,
     "0x30000 (SNP ABI spec, guest policy): SMT allowed (bit 16), reserved bit 17 = 1, "
     "migration agent (bit 18) and debug (bit 19) off"},
    {"hypervisor.qemu", "tdx_quote_generation_service_socket_port", "0", TDX,
     "0 = default vsock port of the quote generation service (QGS)"},
    {"hypervisor.qemu", "rootless", "false", ALL, NULL},
    {"hypervisor.qemu", "enable_annotations",
     "[\"enable_iommu\", \"kernel_params\", \"kernel_verity_params\"]", GP, NULL},
    {"hypervisor.qemu", "enable_annotations",
     "[\"enable_iommu\", \"kernel_params\", \"kernel_verity_params\", \"default_vcpus\", "
     "\"default_memory\"]",
     RP, NULL},
    {"hypervisor.qemu", "enable_annotations",
     "[\"enable_iommu\", \"kernel_params\", \"kernel_verity_params\", \"default_vcpus\", "
     "\"default_memory\", \"cc_init_data\"]",
     TEE, "cc_init_data: per-pod initdata (attestation policy and endpoints)"},
    {"hypervisor.qemu", "valid_hypervisor_paths", "[\"@P@/bin/qemu-system-x86_64\"]", ALL, NULL},
    {"hypervisor.qemu", "kernel_params", "\"cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1\"",
     ALL, NULL},
    {"hypervisor.qemu", "kernel_verity_params", "\"\"", TEE, NULL},
    {"hypervisor.qemu", "firmware", "\"@P@/share/ovmf/AMDSEV.fd\"", SNP,
     "OVMF built for SEV-SNP (measured boot of kernel, initrd, command line)"},
    {"hypervisor.qemu", "firmware", "\"@P@/share/ovmf/OVMF.inteltdx.fd\"", TDX,
     "TDVF (OVMF built for Intel TDX)"},
    {"hypervisor.qemu", "firmware", "\"\"", PLAIN, NULL},
    {"hypervisor.qemu", "firmware_volume", "\"\"", GO, NULL},
    {"hypervisor.qemu", "machine_accelerators", "\"\"", ALL,
     "never cbitpos/reduced-phys-bits here: QEMU and Kata take them from CPUID 0x8000001F"},
    {"hypervisor.qemu", "cpu_features", "\"pmu=off\"", ALL, NULL},
    {"hypervisor.qemu", "default_vcpus", "1", ALL, NULL},
    {"hypervisor.qemu", "default_maxvcpus", "0", ALL, NULL},
    {"hypervisor.qemu", "default_bridges", "1", ALL, NULL},
    {"hypervisor.qemu", "default_memory", "2048", ALL, NULL},
    {"hypervisor.qemu", "memory_slots", "10", ALL, NULL},
    {"hypervisor.qemu", "overhead_vcpus", "0.4", RS | RT, NULL},
    {"hypervisor.qemu", "overhead_vcpus", "0.2", RP, NULL},
    {"hypervisor.qemu", "overhead_memory", "128", RS | RT, NULL},
    {"hypervisor.qemu", "overhead_memory", "32", RP, NULL},
    {"hypervisor.qemu", "disable_block_device_use", "true", GO, NULL},
    {"hypervisor.qemu", "disable_block_device_use", "false", RUST, NULL},
    {"hypervisor.qemu", "shared_fs", "\"none\"", TEE,
     "no virtio-fs: host file sharing would bypass guest memory encryption"},
    {"hypervisor.qemu", "shared_fs", "\"virtio-fs\"", PLAIN, NULL},
    {"hypervisor.qemu", "virtio_fs_daemon", "\"@P@/libexec/virtiofsd\"", PLAIN, NULL},
    {"hypervisor.qemu", "valid_virtio_fs_daemon_paths", "[\"@P@/libexec/virtiofsd\"]", PLAIN, NULL},
    {"hypervisor.qemu", "virtio_fs_cache", "\"auto\"", PLAIN, NULL},
    {"hypervisor.qemu", "block_device_driver", "\"virtio-scsi\"", ALL, NULL},
    {"hypervisor.qemu", "enable_iommu", "false", ALL, NULL},
    {"hypervisor.qemu", "enable_debug", "false", ALL, NULL},
    {"hypervisor.qemu", "disable_nesting_checks", "true", SNP, NULL},
    {"hypervisor.qemu", "disable_nesting_checks", "false", PLAIN | TDX, NULL},
    {"hypervisor.qemu", "disable_image_nvdimm", "true", TEE,
     "no NVDIMM image: the rootfs must reach the guest as an (integrity-checked) block device"},
    {"hypervisor.qemu", "disable_image_nvdimm", "false", PLAIN, NULL},
    {"hypervisor.qemu", "disable_guest_selinux", "true", ALL, NULL},
    {"hypervisor.qemu", "enable_guest_swap", "false", RS | RT, NULL},
    {"agent.kata", "enable_debug", "false", ALL, NULL},
    {"agent.kata", "kernel_modules", "[]", ALL, NULL},
    {"agent.kata", "debug_console_enabled", "false", ALL, "a debug console breaks confidentiality"},
    {"agent.kata", "dial_timeout", "90", GS, "SNP guests with large memory take long to launch"},
    {"agent.kata", "dial_timeout", "60", GT, NULL},
    {"agent.kata", "dial_timeout", "45", GP, NULL},
    {"agent.kata", "dial_timeout_ms", "100", RS | RT, NULL},
    {"agent.kata", "dial_timeout_ms", "10", RP, NULL},
    {"agent.kata", "reconnect_timeout_ms", "45000", RS | RT, NULL},
    {"agent.kata", "reconnect_timeout_ms", "3000", RP, NULL},
    {"agent.kata", "launch_process_timeout", "6", TEE, NULL},
    {"agent.kata", "create_container_timeout", "60", RS | RT, NULL},
    {"agent.kata", "create_container_timeout", "30", RP, NULL},
    {"agent.kata", "cdh_api_timeout_ms", "50000", RS | RT, NULL},
    {"runtime", "name", "\"virt_container\"", RUST, NULL},
    {"runtime", "hypervisor_name", "\"qemu\"", RUST, NULL},
    {"runtime", "agent_name", "\"kata\"", RUST, NULL},
    {"runtime", "enable_debug", "false", ALL, NULL},
    {"runtime", "internetworking_model", "\"tcfilter\"", ALL, NULL},
    {"runtime", "disable_guest_seccomp", "true", ALL, NULL},
    {"runtime", "sandbox_cgroup_only", "false", GO, NULL},
    {"runtime", "sandbox_cgroup_only", "true", RUST, NULL},
    {"runtime", "static_sandbox_resource_mgmt", "true", TEE,
     "size the VM at start: TEE guests cannot hot-plug CPUs or memory"},
    {"runtime", "static_sandbox_resource_mgmt", "true", RP, NULL},
    {"runtime", "static_sandbox_resource_mgmt", "false", GP, NULL},
    {"runtime", "vfio_mode", "\"guest-kernel\"", ALL, NULL},
    {"runtime", "disable_guest_empty_dir", "true", GO, NULL},
    {"runtime", "emptydir_mode", "\"block-encrypted\"", TEE,
     "emptyDir volumes as encrypted block devices inside the guest"},
    {"runtime", "emptydir_mode", "\"shared-fs\"", PLAIN, NULL},
    {"runtime", "experimental_force_guest_pull", "false", GS | GT, NULL},
    {"runtime", "create_container_timeout", "60", GO, NULL},
};

static unsigned variant_bit(tc_platform p, tc_kata_runtime rt) {
  int rs = rt == TC_KATA_RS;
  switch (p) {
  case TC_PLATFORM_SNP:
    return rs ? RS : GS;
  case TC_PLATFORM_TDX:
    return rs ? RT : GT;
  default:
    return rs ? RP : GP;
  }
}

/* Write value with every "@P@" replaced by the prefix. */
static void put_value(tc_strbuf *b, const char *v, const char *prefix) {
  const char *at;
  while ((at = strstr(v, "@P@")) != NULL) {
    tc_strbuf_printf(b, "%.*s%s", (int)(at - v), v, prefix);
    v = at + 3;
  }
  tc_strbuf_printf(b, "%s", v);
}

static const char *template_name(tc_platform p, tc_kata_runtime rt) {
  switch (p) {
  case TC_PLATFORM_SNP:
    return rt == TC_KATA_RS ? "configuration-qemu-snp-runtime-rs.toml"
                            : "configuration-qemu-snp.toml";
  case TC_PLATFORM_TDX:
    return rt == TC_KATA_RS ? "configuration-qemu-tdx-runtime-rs.toml"
                            : "configuration-qemu-tdx.toml";
  default:
    return rt == TC_KATA_RS ? "configuration-qemu-runtime-rs.toml" : "configuration-qemu.toml";
  }
}

tc_status tc_gen_kata_config(tc_platform p, const tc_gen_opts *o, char **out, tc_error *err) {
  *out = NULL;
  tc_status st = check_prefix(o, err);
  if (st != TC_OK)
    return st;
  tc_kata_runtime rt = o ? o->runtime : TC_KATA_GO;
  const char *prefix = prefix_of(o);
  unsigned bit = variant_bit(p, rt);
  tc_strbuf b = {0};
  tc_strbuf_printf(&b,
                   "# Kata Containers configuration for %s (%s runtime), generated by\n"
                   "# 'teectl config generate kata --platform %s'. Keys and values follow the\n"
                   "# Kata Containers 4.1 template %s; keys left out take Kata's defaults.\n",
                   p == TC_PLATFORM_NONE ? "plain VMs" : tc_platform_name(p),
                   rt == TC_KATA_RS ? "runtime-rs" : "Go", tc_platform_name(p),
                   template_name(p, rt));
  if (p == TC_PLATFORM_SGX)
    tc_strbuf_printf(
        &b, "# SGX: a plain VM; the pod gets EPC through the annotation\n"
            "# sgx.intel.com/epc (e.g. \"64Mi\"), passed by containerd's pod_annotations.\n"
            "# There is no TOML key for SGX.\n");
  static const char *const sections[] = {"hypervisor.qemu", "agent.kata", "runtime"};
  for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++) {
    tc_strbuf_printf(&b, "\n[%s]\n", sections[s]);
    for (size_t i = 0; i < sizeof kata_keys / sizeof kata_keys[0]; i++) {
      const kata_key *k = &kata_keys[i];
      if (strcmp(k->section, sections[s]) != 0 || !(k->variants & bit))
        continue;
      if (k->why && p != TC_PLATFORM_NONE && p != TC_PLATFORM_SGX)
        tc_strbuf_printf(&b, "# %s\n", k->why);
      tc_strbuf_printf(&b, "%s = ", k->key);
      put_value(&b, k->value, prefix);
      tc_strbuf_printf(&b, "\n");
    }
  }
  if (rt == TC_KATA_RS && (p == TC_PLATFORM_SNP || p == TC_PLATFORM_TDX)) {
    tc_strbuf_printf(&b,
                     "\n# runtime-rs adds the confidential guest components as an extension image\n"
                     "[[hypervisor.qemu.guest_extension_images]]\n"
                     "name = \"coco\"\n");
    tc_strbuf_printf(&b, "path = \"%s/share/kata-containers/kata-containers-coco-extension.img\"\n",
                     prefix);
    tc_strbuf_printf(&b, "verity_params = \"\"\n");
  }
  return sb_finish(&b, out, err);
}

/* ---- containerd ---- */

/* kata-deploy shim name for a handler: the handler without "kata-". */
static const char *shim_of(const char *handler) {
  return handler + strlen("kata-");
}

static int listed(const tc_platform *ps, size_t n, tc_platform p) {
  for (size_t i = 0; i < n; i++)
    if (ps[i] == p)
      return 1;
  return 0;
}

/* Handlers to register: kata-qemu first, then SNP, TDX (in this order, once each). */
static size_t handler_platforms(const tc_platform *ps, size_t n, tc_platform out[3]) {
  size_t k = 0;
  out[k++] = TC_PLATFORM_NONE;
  if (listed(ps, n, TC_PLATFORM_SNP))
    out[k++] = TC_PLATFORM_SNP;
  if (listed(ps, n, TC_PLATFORM_TDX))
    out[k++] = TC_PLATFORM_TDX;
  return k;
}

tc_status tc_gen_containerd_dropin(const tc_platform *platforms, size_t n, const tc_gen_opts *o,
                                   char **out, tc_error *err) {
  *out = NULL;
  tc_status st = check_prefix(o, err);
  if (st != TC_OK)
    return st;
  int version = o ? o->containerd_version : 0;
  if (version != 2 && version != 3)
    return tc_fail(err, TC_ERR_USAGE, "bad_option",
                   "containerd config version %d: only 2 (containerd 1.x) and 3 (containerd 2.x) "
                   "have a CRI runtime section teectl writes",
                   version);
  const char *snap = o ? o->snapshotter : NULL;
  if (snap != NULL && (snap[0] == '\0' || bad_string(snap)))
    return tc_fail(err, TC_ERR_USAGE, "bad_option", "--snapshotter '%s' is not a plain name", snap);
  tc_kata_runtime rt = o->runtime;
  const char *prefix = prefix_of(o);
  const char *cri = version == 2 ? "io.containerd.grpc.v1.cri" : "io.containerd.cri.v1.runtime";
  int sgx = listed(platforms, n, TC_PLATFORM_SGX);
  tc_platform hs[3];
  size_t nh = handler_platforms(platforms, n, hs);
  tc_strbuf b = {0};
  tc_strbuf_printf(
      &b,
      "# containerd drop-in generated by 'teectl config generate containerd --version %d'.\n"
      "# Import it from the main config.toml (which carries 'version = %d'):\n"
      "#   imports = [\"/etc/containerd/conf.d/*.toml\"]\n"
      "# CRI runtime plugin id for config version %d: \"%s\".\n",
      version, version, version, cri);
  for (size_t i = 0; i < nh; i++) {
    const char *h = tc_kata_handler(hs[i], rt);
    int tee = hs[i] != TC_PLATFORM_NONE;
    tc_strbuf_printf(&b, "\n[plugins.\"%s\".containerd.runtimes.%s]\n", cri, h);
    tc_strbuf_printf(&b, "runtime_type = \"io.containerd.%s.v2\"\n", h);
    tc_strbuf_printf(&b, "runtime_path = \"%s%s/bin/containerd-shim-kata-v2\"\n", prefix,
                     rt == TC_KATA_RS ? "/runtime-rs" : "");
    tc_strbuf_printf(&b, "privileged_without_host_devices = true\n");
    if (!tee && sgx)
      tc_strbuf_printf(&b, "pod_annotations = [\"io.katacontainers.*\", \"sgx.intel.com/epc\"]\n");
    else
      tc_strbuf_printf(&b, "pod_annotations = [\"io.katacontainers.*\"]\n");
    tc_strbuf_printf(&b,
                     "container_annotations = [\"io.kubernetes.container.terminationMessage*\"]\n");
    if (tee && snap)
      tc_strbuf_printf(&b, "snapshotter = \"%s\"\n", snap);
    tc_strbuf_printf(&b, "\n[plugins.\"%s\".containerd.runtimes.%s.options]\n", cri, h);
    tc_strbuf_printf(
        &b,
        "ConfigPath = \"%s/share/defaults/kata-containers/%sruntimes/%s/configuration-%s.toml\"\n",
        prefix, rt == TC_KATA_RS ? "runtime-rs/" : "", shim_of(h), shim_of(h));
    if (tee && snap && version == 3)
      tc_strbuf_printf(&b,
                       "\n[plugins.\"io.containerd.cri.v1.images\".runtime_platforms.\"%s\"]\n"
                       "snapshotter = \"%s\"\n",
                       h, snap);
  }
  return sb_finish(&b, out, err);
}

/* ---- RuntimeClasses ---- */

/* The NFD label a TEE class selects on, as nodeSelector lines (4-space indent). */
static const char *nfd_selector(tc_platform p) {
  switch (p) {
  case TC_PLATFORM_SNP:
    return "    feature.node.kubernetes.io/cpu-security.sev.snp.enabled: \"true\"\n";
  case TC_PLATFORM_TDX:
    return "    feature.node.kubernetes.io/cpu-security.tdx.enabled: \"true\"\n";
  case TC_PLATFORM_SGX:
    return "    feature.node.kubernetes.io/cpu-security.sgx.enabled: \"true\"\n"
           "    teectl.io/sgx: \"true\"\n";
  default:
    return "";
  }
}

tc_status tc_gen_runtimeclasses(const tc_platform *platforms, size_t n, const tc_gen_opts *o,
                                char **out, tc_error *err) {
  *out = NULL;
  tc_kata_runtime rt = o ? o->runtime : TC_KATA_GO;
  int kd = o ? o->rc_kata_deploy : 0;
  tc_platform hs[3];
  size_t nh = handler_platforms(platforms, n, hs);
  tc_strbuf b = {0};
  if (kd)
    tc_strbuf_printf(
        &b, "# RuntimeClass changes generated by 'teectl config generate runtimeclass\n"
            "# --form kata-deploy'. kata-deploy 4.1 registers kata-qemu, kata-qemu-snp and\n"
            "# kata-qemu-tdx itself: apply with 'kubectl apply --server-side\n"
            "# --field-manager=teectl', which adds the NFD nodeSelector key below to its\n"
            "# classes and keeps their overhead and other keys; kata-qemu-sgx is new.\n");
  else
    tc_strbuf_printf(
        &b, "# RuntimeClasses generated by 'teectl config generate runtimeclass'.\n"
            "# Names, handlers and overheads as kata-deploy 4.1 registers them; the\n"
            "# nodeSelector uses the labels 'teectl probe --nfd' publishes through NFD.\n");
  for (size_t i = 0; i < nh + 1; i++) {
    tc_platform p;
    const char *name, *handler;
    if (i < nh) {
      p = hs[i];
      name = handler = tc_kata_handler(p, rt);
    } else if (listed(platforms, n, TC_PLATFORM_SGX)) {
      p = TC_PLATFORM_SGX;
      handler = tc_kata_handler(p, rt);
      name = rt == TC_KATA_RS ? "kata-qemu-sgx-runtime-rs" : "kata-qemu-sgx";
    } else {
      break;
    }
    int tee = p == TC_PLATFORM_SNP || p == TC_PLATFORM_TDX;
    if (kd && p == TC_PLATFORM_NONE)
      continue; /* kata-deploy's kata-qemu needs nothing from us */
    tc_strbuf_printf(&b, "---\napiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata:\n");
    if (kd && tee) {
      tc_strbuf_printf(&b, "  name: %s\nhandler: %s\nscheduling:\n  nodeSelector:\n%s", name,
                       handler, nfd_selector(p));
      continue;
    }
    tc_strbuf_printf(&b, "  name: %s\n  labels:\n    app.kubernetes.io/managed-by: teectl\n", name);
    tc_strbuf_printf(&b, "handler: %s\n", handler);
    tc_strbuf_printf(&b, "overhead:\n  podFixed:\n    memory: \"%s\"\n    cpu: \"%s\"\n",
                     tee ? "2048Mi" : "320Mi", tee ? "1.0" : "250m");
    tc_strbuf_printf(
        &b, "scheduling:\n  nodeSelector:\n    katacontainers.io/kata-runtime: \"true\"\n%s",
        nfd_selector(p));
  }
  return sb_finish(&b, out, err);
}
