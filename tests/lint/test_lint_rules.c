/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of each lint rule on small inline configurations: a correct SEV-SNP Kata
 * configuration (values of the upstream configuration-qemu-snp.toml template) is clean, and
 * each case changes one thing and expects one finding (rule, key, line, severity), or its
 * absence. Also containerd and RuntimeClass rules, cross-file rules and the JSON shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lintlib.h"

/* The SNP template's values for the keys the rules look at (Go runtime). */
static const char snp_base[] =
    "[hypervisor.qemu]\n"                                                            /* 1 */
    "path = \"/opt/kata/bin/qemu-system-x86_64\"\n"                                  /* 2 */
    "kernel = \"/opt/kata/share/kata-containers/vmlinuz.container\"\n"               /* 3 */
    "image = \"/opt/kata/share/kata-containers/kata-containers-confidential.img\"\n" /* 4 */
    "machine_type = \"q35\"\n"                                                       /* 5 */
    "confidential_guest = true\n"                                                    /* 6 */
    "sev_snp_guest = true\n"                                                         /* 7 */
    "snp_guest_policy = 196608\n"                                                    /* 8 */
    "firmware = \"/opt/kata/share/ovmf/AMDSEV.fd\"\n"                                /* 9 */
    "firmware_volume = \"\"\n"                                                       /* 10 */
    "machine_accelerators = \"\"\n"                                                  /* 11 */
    "kernel_params = \"cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1\"\n"      /* 12 */
    "shared_fs = \"none\"\n"                                                         /* 13 */
    "disable_image_nvdimm = true\n"                                                  /* 14 */
    "disable_block_device_use = true\n"                                              /* 15 */
    "default_maxvcpus = 0\n"                                                         /* 16 */
    "memory_slots = 10\n"                                                            /* 17 */
    "enable_annotations = [\"kernel_params\", \"cc_init_data\"]\n"                   /* 18 */
    "\n"                                                                             /* 19 */
    "[agent.kata]\n"                                                                 /* 20 */
    "debug_console_enabled = false\n"                                                /* 21 */
    "\n"                                                                             /* 22 */
    "[runtime]\n"                                                                    /* 23 */
    "static_sandbox_resource_mgmt = true\n"                                          /* 24 */
    "disable_guest_empty_dir = true\n";                                              /* 25 */

/* base with the first occurrence of `from` replaced by `to` */
static char *edit(const char *from, const char *to) {
  const char *p = strstr(snp_base, from);
  if (!p)
    fail_msg("edit: '%s' not in the base", from);
  size_t n = strlen(snp_base) - strlen(from) + strlen(to) + 1;
  char *s = malloc(n);
  assert_non_null(s);
  snprintf(s, n, "%.*s%s%s", (int)(p - snp_base), snp_base, to, p + strlen(from));
  return s;
}

typedef struct rcase {
  const char *from, *to; /* edit of the base */
  const char *rule, *key;
  unsigned line;
  int sev; /* expected severity; -1: expect no finding of this rule */
} rcase;

static void run_case(const rcase *c, tc_lint_runtime rt) {
  char *text = edit(c->from, c->to);
  tc_lint_report r = tl_lint_text("configuration-qemu-snp.toml", text, rt);
  const tc_lint_finding *f = tl_find(&r, NULL, c->line, c->key, c->rule, 0);
  if (c->sev < 0 ? f != NULL : (f == NULL || (int)f->severity != c->sev)) {
    tl_dump(&r);
    fail_msg("case %s/%s -> rule %s key %s line %u: %s", c->from, c->to, c->rule, c->key, c->line,
             c->sev < 0 ? "unexpected finding" : "missing or wrong severity");
  }
  tc_lint_report_free(&r);
  free(text);
}

static void test_base_clean(void **state) {
  (void)state;
  tc_lint_report r = tl_lint_text("configuration-qemu-snp.toml", snp_base, TC_LINT_RUNTIME_AUTO);
  if (r.len)
    tl_dump(&r);
  assert_int_equal(r.len, 0);
  tc_lint_report_free(&r);
}

static void test_kata_rules(void **state) {
  (void)state;
  static const rcase cases[] = {
      /* TOML */
      {"memory_slots = 10\n", "memory_slots = 10\nmemory_slots = 11\n", "duplicate-key",
       "memory_slots", 18, TC_LINT_ERROR},
      {"[runtime]\n", "[runtime]\n[runtime]\n", "duplicate-table", "", 24, TC_LINT_ERROR},
      /* schema */
      {"memory_slots = 10\n", "memory_slotz = 10\n", "unknown-key", "memory_slotz", 17,
       TC_LINT_WARNING},
      {"memory_slots = 10\n", "memory_slots = \"10\"\n", "wrong-type", "memory_slots", 17,
       TC_LINT_ERROR},
      {"sev_snp_guest = true\n", "sev_snp_guest = 1\n", "wrong-type", "sev_snp_guest", 7,
       TC_LINT_ERROR},
      {"memory_slots = 10\n", "memory_slots = 10\ndefault_vcpus = 0.5\n", "wrong-type",
       "default_vcpus", 0, -1},
      {"memory_slots = 10\n", "memory_slots = 10.5\n", "wrong-type", "memory_slots", 17,
       TC_LINT_ERROR},
      {"memory_slots = 10\n", "memory_slots = 10\nmem_prealloc = true\n", "unknown-key",
       "mem_prealloc", 18, TC_LINT_ERROR},
      {"memory_slots = 10\n", "memory_slots = 10\nfile_mem_backend = \"/dev/shm\"\n", "removed-key",
       "file_mem_backend", 18, TC_LINT_ERROR},
      {"memory_slots = 10\n", "memory_slots = 10\nsev_cert_chain = \"/x\"\n", "unknown-key",
       "sev_cert_chain", 18, TC_LINT_WARNING},
      {"disable_guest_empty_dir = true\n",
       "disable_guest_empty_dir = true\ndisable_selinux = true\n", "misplaced-key",
       "disable_selinux", 26, TC_LINT_WARNING},
      {"[runtime]\n", "[image]\nservice_offload = true\n[runtime]\n", "removed-key",
       "service_offload", 24, TC_LINT_WARNING},
      {"[runtime]\n", "[hypervisor.qemu.extra]\n[runtime]\n", "unknown-table", "", 23,
       TC_LINT_WARNING},
      /* jailer_path: only the firecracker templates set it */
      {"memory_slots = 10\n", "memory_slots = 10\njailer_path = \"/opt/kata/bin/jailer\"\n",
       "not-for-hypervisor", "jailer_path", 18, TC_LINT_INFO},
      /* platform */
      {"machine_accelerators = \"\"", "machine_accelerators = \"sev-snp-guest,id=sev0\"",
       "sev-object-in-accelerators", "machine_accelerators", 11, TC_LINT_ERROR},
      {"machine_accelerators = \"\"", "machine_accelerators = \"sgx-epc,id=epc1\"",
       "sgx-object-in-accelerators", "machine_accelerators", 11, TC_LINT_ERROR},
      {"sev_snp_guest = true\n", "sev_snp_guest = false\n", "missing-key", "sev_snp_guest", 7,
       TC_LINT_ERROR},
      {"sev_snp_guest = true\n", "sev_snp_guest = false\n", "sev-removed", "confidential_guest", 6,
       TC_LINT_WARNING},
      {"sev_snp_guest = true\n", "\n", "missing-key", "sev_snp_guest", 1, TC_LINT_ERROR},
      {"AMDSEV.fd", "OVMF_CODE.fd", "wrong-firmware", "firmware", 9, TC_LINT_ERROR},
      {"firmware = \"/opt/kata/share/ovmf/AMDSEV.fd\"\n", "\n", "wrong-firmware", "firmware", 1,
       TC_LINT_ERROR},
      {"firmware_volume = \"\"", "firmware_volume = \"/x/OVMF_VARS.fd\"", "unused-for-snp",
       "firmware_volume", 10, TC_LINT_WARNING},
      {"memory_slots = 10\n", "memory_slots = 10\nenable_iommu = true\n", "wrong-platform",
       "enable_iommu", 18, TC_LINT_WARNING},
      {"memory_slots = 10\n", "memory_slots = 10\nenable_iommu_platform = true\n",
       "template-deviation", "enable_iommu_platform", 18, TC_LINT_INFO},
      {"hierarchy=1\"", "hierarchy=1 console=hvc0 agent.log=debug\"", "kernel-params-debug",
       "kernel_params", 12, TC_LINT_WARNING},
      {"hierarchy=1\"", "hierarchy=1 agent.aa_kbc_params=online_sev_kbc::1.2.3.4:44444\"",
       "sev-kbc-on-snp", "kernel_params", 12, TC_LINT_WARNING},
      {"hierarchy=1\"", "hierarchy=1 agent.enable_signature_verification=false\"",
       "signature-verification-off", "kernel_params", 12, TC_LINT_WARNING},
      {"kata-containers-confidential.img", "kata-containers.img", "confidential-image", "image", 4,
       TC_LINT_INFO},
      {"vmlinuz.container", "vmlinuz-sev.container", "sev-guest-assets", "kernel", 3,
       TC_LINT_WARNING},
      {"static_sandbox_resource_mgmt = true", "static_sandbox_resource_mgmt = false",
       "no-hotplug-in-tee", "memory_slots", 17, TC_LINT_WARNING},
      {"static_sandbox_resource_mgmt = true\n", "\n", "missing-key", "static_sandbox_resource_mgmt",
       23, TC_LINT_WARNING},
      {"disable_image_nvdimm = true\n", "\n", "missing-key", "disable_image_nvdimm", 1,
       TC_LINT_WARNING},
      {"shared_fs = \"none\"\n", "\n", "missing-key", "shared_fs", 1, TC_LINT_WARNING},
      {"shared_fs = \"none\"", "shared_fs = \"virtio-fs\"", "host-shared-fs", "shared_fs", 13,
       TC_LINT_WARNING},
      {"disable_block_device_use = true", "disable_block_device_use = false", "tee-template-value",
       "disable_block_device_use", 15, TC_LINT_WARNING},
      {"disable_guest_empty_dir = true", "disable_guest_empty_dir = false", "tee-template-value",
       "disable_guest_empty_dir", 25, TC_LINT_WARNING},
      {"debug_console_enabled = false", "debug_console_enabled = true", "debug-in-tee",
       "debug_console_enabled", 21, TC_LINT_ERROR},
      {"debug_console_enabled = false\n", "debug_console_enabled = false\nenable_debug = true\n",
       "debug-in-tee", "enable_debug", 22, TC_LINT_WARNING},
      {", \"cc_init_data\"]", "]", "annotations-no-initdata", "enable_annotations", 18,
       TC_LINT_WARNING},
      {"snp_guest_policy = 196608", "snp_guest_policy = 65536", "snp-policy", "snp_guest_policy", 8,
       TC_LINT_ERROR},
      {"snp_guest_policy = 196608", "snp_guest_policy = 720896", "snp-policy", "snp_guest_policy",
       8, TC_LINT_WARNING},
      {"memory_slots = 10\n", "memory_slots = 10\nenable_vhost_user_store = true\n",
       "vhost-user-without-hugepages", "enable_vhost_user_store", 18, TC_LINT_ERROR},
      {"memory_slots = 10\n",
       "memory_slots = 10\nenable_vhost_user_store = true\nenable_hugepages = true\n",
       "vhost-user-without-hugepages", "enable_vhost_user_store", 0, -1},
      {"machine_type = \"q35\"\n", "machine_type = \"q35\"\ncpu_features = \"sgx,sgx-lc\"\n",
       "not-needed", "cpu_features", 6, TC_LINT_WARNING},
      {"memory_slots = 10\n", "memory_slots = 10\nvirtio_fs_queue_size = 513\n", "queue-size",
       "virtio_fs_queue_size", 18, TC_LINT_ERROR},
      {"memory_slots = 10\n", "memory_slots = 10\nvirtio_fs_queue_size = 512\n", "queue-size",
       "virtio_fs_queue_size", 0, -1},
      {"memory_slots = 10\n",
       "memory_slots = 10\nvirtio_fs_daemon = \"/usr/bin/virtiofsd\"\n"
       "valid_virtio_fs_daemon_paths = [\"/opt/kata/libexec/virtiofsd\"]\n",
       "path-not-allowed", "virtio_fs_daemon", 18, TC_LINT_WARNING},
      {"\"/opt/kata/bin/qemu-system-x86_64\"", "\"$HOME/kata/bin/qemu\"", "shell-variable", "path",
       2, TC_LINT_ERROR},
      {"[runtime]\n", "[factory]\nenable_template = true\n[runtime]\n", "template-requires-initrd",
       "enable_template", 24, TC_LINT_ERROR},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    run_case(&cases[i], TC_LINT_RUNTIME_AUTO);
}

static void test_kata_dialects(void **state) {
  (void)state;
  /* runtime-rs: unknown keys in [agent.*] make the load fail (deny_unknown_fields) */
  static const rcase rs[] = {
      {"debug_console_enabled = false\n", "debug_console_enabled = false\nbogus = 1\n",
       "unknown-key", "bogus", 22, TC_LINT_ERROR},
      {"[runtime]\n", "[runtime]\nhypervisor_name = \"qemu\"\n", "other-runtime-key",
       "hypervisor_name", 0, -1},
  };
  for (size_t i = 0; i < 2; i++)
    run_case(&rs[i], TC_LINT_RUNTIME_RS);
  static const rcase go[] = {
      {"[runtime]\n", "[runtime]\nhypervisor_name = \"qemu\"\n", "other-runtime-key",
       "hypervisor_name", 24, TC_LINT_WARNING},
      {"debug_console_enabled = false\n", "debug_console_enabled = false\nbogus = 1\n",
       "unknown-key", "bogus", 22, TC_LINT_WARNING},
  };
  for (size_t i = 0; i < 2; i++)
    run_case(&go[i], TC_LINT_RUNTIME_GO);
  /* auto: a file using keys of both runtimes gets a mixed-runtime warning at 1:1 */
  char *t = edit("[runtime]\n", "[runtime]\nhypervisor_name = \"qemu\"\nagent_name = \"kata\"\n"
                                "name = \"virt_container\"\nsandbox_cgroup_only = true\n");
  tc_lint_report r = tl_lint_text("c.toml", t, TC_LINT_RUNTIME_AUTO);
  /* the base has a Go-only key (disable_guest_empty_dir), the edit three runtime-rs ones */
  const tc_lint_finding *m = tl_find(&r, NULL, 1, NULL, "mixed-runtime", TC_LINT_WARNING);
  if (!m)
    tl_dump(&r);
  assert_non_null(m);
  tc_lint_report_free(&r);
  free(t);
}

/* SEV without SNP: the message says the runtime class is ambiguous on an SNP host, as a
 * warning (issue 13 item 15). */
static void test_sev_without_snp_message(void **state) {
  (void)state;
  char *text = edit("sev_snp_guest = true\n", "sev_snp_guest = false\n");
  tc_lint_report r = tl_lint_text("configuration-qemu-snp.toml", text, TC_LINT_RUNTIME_AUTO);
  const tc_lint_finding *f = tl_find(&r, NULL, 6, "confidential_guest", "sev-removed", 0);
  assert_non_null(f);
  assert_int_equal(f->severity, TC_LINT_WARNING);
  assert_non_null(strstr(f->message, "ambiguous on an SNP host"));
  assert_non_null(strstr(f->message, "runtime class"));
  tc_lint_report_free(&r);
  free(text);
}

static void test_tdx(void **state) {
  (void)state;
  /* TDX template values (configuration-qemu-tdx.toml) are clean; another firmware warns */
  static const char tdx[] = "[hypervisor.qemu]\n"
                            "image = \"/opt/kata/share/kata-containers/"
                            "kata-containers-confidential.img\"\n"
                            "confidential_guest = true\n"
                            "tdx_quote_generation_service_socket_port = 0\n"
                            "firmware = \"/opt/kata/share/ovmf/OVMF.inteltdx.fd\"\n"
                            "shared_fs = \"none\"\n"
                            "disable_image_nvdimm = true\n"
                            "[runtime]\n"
                            "static_sandbox_resource_mgmt = true\n";
  tc_lint_report r = tl_lint_text("tdx.toml", tdx, TC_LINT_RUNTIME_AUTO);
  if (r.len)
    tl_dump(&r);
  assert_int_equal(r.len, 0);
  tc_lint_report_free(&r);
  /* the same with a generic OVMF */
  char t[sizeof tdx];
  snprintf(t, sizeof t, "%s", tdx);
  char *fw = strstr(t, "OVMF.inteltdx.fd");
  memmove(fw + 7, fw + 16, strlen(fw + 16) + 1);
  memcpy(fw, "OVMF.fd", 7);
  r = tl_lint_text("tdx.toml", t, TC_LINT_RUNTIME_AUTO);
  assert_non_null(tl_find(&r, NULL, 5, "firmware", "wrong-firmware", TC_LINT_WARNING));
  assert_null(tl_find(&r, NULL, 0, NULL, "missing-key", 0)); /* no SNP key asked for on TDX */
  tc_lint_report_free(&r);

  /* firmware pairing (issue 13 item 13); TDX also recognised by the firmware's folder */
  static const char tdx_fw[] = "[hypervisor.qemu]\n"
                               "confidential_guest = true\n"
                               "firmware = \"%s\"\n"
                               "firmware_volume = \"%s\"\n"
                               "shared_fs = \"none\"\n"
                               "disable_image_nvdimm = true\n"
                               "[runtime]\n"
                               "static_sandbox_resource_mgmt = true\n";
  const struct {
    const char *fw, *fv, *rule;
    int sev;
  } fwc[] = {
      /* combined image + separate VARS: QEMU cannot start the TD */
      {"/opt/kata/share/ovmf/OVMF.inteltdx.fd", "/opt/kata/share/ovmf/OVMF_VARS.fd",
       "tdx-firmware-pairing", TC_LINT_ERROR},
      {"/usr/share/tdvf/OVMF.fd", "/usr/share/tdvf/OVMF_VARS.fd", "tdx-firmware-pairing",
       TC_LINT_ERROR},
      /* a combined image alone is fine, found as TDX through its folder */
      {"/usr/share/tdvf/OVMF.fd", "", "tdx-firmware-pairing", -1},
      {"/usr/share/tdvf/OVMF.fd", "", "sev-removed", -1},
      /* CODE + VARS split: a warning (upstream QEMU boots a TD with -bios) */
      {"/usr/share/tdx/OVMF_CODE.fd", "/usr/share/tdx/OVMF_VARS.fd", "tdx-firmware-split",
       TC_LINT_WARNING},
      {"/usr/share/tdx/OVMF_CODE.fd", "/usr/share/tdx/OVMF_VARS.fd", "tdx-firmware-pairing", -1},
  };
  for (size_t i = 0; i < sizeof fwc / sizeof fwc[0]; i++) {
    char text[1024];
    snprintf(text, sizeof text, tdx_fw, fwc[i].fw, fwc[i].fv);
    r = tl_lint_text("tdx.toml", text, TC_LINT_RUNTIME_AUTO);
    const tc_lint_finding *f = tl_find(&r, NULL, 0, NULL, fwc[i].rule, 0);
    if (fwc[i].sev < 0 ? f != NULL : (f == NULL || (int)f->severity != fwc[i].sev)) {
      tl_dump(&r);
      fail_msg("firmware %s + volume '%s': rule %s %s", fwc[i].fw, fwc[i].fv, fwc[i].rule,
               fwc[i].sev < 0 ? "unexpected" : "missing or wrong severity");
    }
    if (fwc[i].sev >= 0)
      assert_int_equal(f->line, 4); /* at firmware_volume */
    tc_lint_report_free(&r);
  }
}

static void test_syntax_and_kind(void **state) {
  (void)state;
  tc_lint_report r = tl_lint_text("c.toml", "[hypervisor.qemu]\npath = \n", TC_LINT_RUNTIME_AUTO);
  assert_int_equal(r.unparsable, 1);
  assert_non_null(tl_find(&r, "c.toml", 2, NULL, "syntax", TC_LINT_ERROR));
  tc_lint_report_free(&r);
  r = tl_lint_text("c.toml", "a = 1\n", TC_LINT_RUNTIME_AUTO);
  assert_int_equal(r.unparsable, 1);
  assert_non_null(tl_find(&r, "c.toml", 0, NULL, "unknown-kind", TC_LINT_ERROR));
  tc_lint_report_free(&r);
  r = tl_lint_text("rc.yaml", "kind: RuntimeClass\n  bad: [\n", TC_LINT_RUNTIME_AUTO);
  assert_int_equal(r.unparsable, 1);
  assert_non_null(tl_find(&r, "rc.yaml", 0, NULL, "syntax", TC_LINT_ERROR));
  tc_lint_report_free(&r);
  tc_lint_report e = {0};
  tc_error err;
  assert_int_equal(tc_lint_run(NULL, 0, NULL, &e, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "lint_no_input");
}

static void expect_text(const char *name, const char *text, const char *rule, const char *key,
                        unsigned line, int sev) {
  tc_lint_report r = tl_lint_text(name, text, TC_LINT_RUNTIME_AUTO);
  const tc_lint_finding *f = tl_find(&r, NULL, line, key, rule, 0);
  if (sev < 0 ? f != NULL : (f == NULL || (int)f->severity != sev)) {
    tl_dump(&r);
    fail_msg("%s: rule %s key %s line %u: %s", name, rule, key ? key : "", line,
             sev < 0 ? "unexpected" : "missing or wrong severity");
  }
  tc_lint_report_free(&r);
}

#define V2 "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.kata-qemu-snp]\n"
#define V3 "[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.kata-qemu-snp]\n"
#define GOOD_RT                                                                                    \
  "runtime_type = \"io.containerd.kata-qemu-snp.v2\"\n"                                            \
  "privileged_without_host_devices = true\n"                                                       \
  "pod_annotations = [\"io.katacontainers.*\"]\n"
#define GOOD_OPTS                                                                                  \
  "ConfigPath = "                                                                                  \
  "\"/opt/kata/share/defaults/kata-containers/runtimes/qemu-snp/configuration-qemu-snp.toml\"\n"

static void test_containerd_rules(void **state) {
  (void)state;
  const char *good3 = "version = 3\n" V3 GOOD_RT
                      "[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.kata-qemu-snp."
                      "options]\n" GOOD_OPTS;
  tc_lint_report r = tl_lint_text("config.toml", good3, TC_LINT_RUNTIME_AUTO);
  if (r.len)
    tl_dump(&r);
  assert_int_equal(r.len, 0);
  tc_lint_report_free(&r);
  expect_text("config.toml", "version = 2\n" V2 GOOD_RT, "config-version", "version", 1,
              TC_LINT_INFO);
  expect_text("config.toml", "version = 1\n" V2 GOOD_RT, "config-version", "version", 1,
              TC_LINT_WARNING);
  expect_text("config.toml", "version = 4\n", "config-version", "version", 1, TC_LINT_ERROR);
  expect_text("config.toml", "version = 3\n" V2 GOOD_RT, "plugin-for-other-version", NULL, 2,
              TC_LINT_ERROR);
  expect_text("config.toml", "version = 2\n" V3 GOOD_RT, "plugin-for-other-version", NULL, 2,
              TC_LINT_ERROR);
  /* the version-1 short plugin name in a version 2 or 3 file: ignored by containerd */
  expect_text("config.toml", "version = 2\n[plugins.cri.containerd.runtimes.kata]\n" GOOD_RT,
              "short-plugin-name", NULL, 2, TC_LINT_ERROR);
  expect_text("config.toml", "version = 3\n[plugins.cri.containerd.runtimes.kata]\n" GOOD_RT,
              "short-plugin-name", NULL, 2, TC_LINT_ERROR);
  expect_text("config.toml", "version = 1\n[plugins.cri.containerd.runtimes.kata]\n" GOOD_RT,
              "short-plugin-name", NULL, 0, -1);
  expect_text("config.toml", "[plugins.\"io.containerd.runtime.v1.linux\"]\nshim = \"x\"\n",
              "removed-plugin", "shim", 2, TC_LINT_ERROR);
  expect_text("config.toml", V2 "runtime_type = \"io.containerd.runtime.v1.linux\"\n",
              "removed-runtime-v1", "runtime_type", 2, TC_LINT_ERROR);
  expect_text("config.toml", V2 "privileged_without_host_devices = true\n", "missing-key",
              "runtime_type", 1, TC_LINT_ERROR);
  expect_text("config.toml", V2 GOOD_RT GOOD_OPTS, "misplaced-key", "ConfigPath", 5, TC_LINT_ERROR);
  expect_text("config.toml",
              "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.kata-qemu-sev]\n" GOOD_RT,
              "removed-handler", "", 1, TC_LINT_ERROR);
  expect_text("config.toml",
              V2 GOOD_RT "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.kata-qemu-snp."
                         "options]\nConfigPath = \"/etc/kata/configuration.toml\"\n",
              "path-layout", "ConfigPath", 6, TC_LINT_WARNING);
  expect_text("config.toml", V2 "runtime_type = \"io.containerd.kata.v2\"\n", "missing-key",
              "pod_annotations", 1, TC_LINT_WARNING);
  expect_text("config.toml", V2 "runtime_type = \"io.containerd.kata.v2\"\n", "missing-key",
              "privileged_without_host_devices", 1, TC_LINT_WARNING);
  expect_text("config.toml", V2 GOOD_RT "runtime_engine = \"\"\n", "removed-key", "runtime_engine",
              5, TC_LINT_WARNING);
  /* runc is not checked */
  expect_text("config.toml",
              "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n"
              "runtime_type = \"io.containerd.runc.v2\"\n",
              "missing-key", NULL, 0, -1);
}

static tc_lint_report lint_with_probe(const char *text, const char *probe_json) {
  json_error_t je;
  json_t *probe = json_loads(probe_json, 0, &je);
  assert_non_null(probe);
  tc_lint_input in = {"config.toml", text, strlen(text), TC_LINT_KIND_AUTO};
  tc_lint_opts o = {.probe = probe};
  tc_lint_report r = {0};
  tc_error err;
  assert_int_equal(tc_lint_run(&in, 1, &o, &r, &err), TC_OK);
  json_decref(probe);
  return r;
}

static void test_containerd_probe(void **state) {
  (void)state;
  /* shapes of vectors/hosts/<case>/expected.json (only the fields the rules read) */
  const char *sgx_host = "{\"role\":\"host\",\"kvm\":true,\"sgx\":{\"supported\":true,"
                         "\"flc\":true,\"driver\":true,\"enabled_in_kvm\":true},"
                         "\"tdx\":{},\"sev\":{\"snp\":false}}";
  const char *snp_host = "{\"role\":\"host\",\"kvm\":true,\"sgx\":{},\"tdx\":{},"
                         "\"sev\":{\"snp\":true}}";
  const char *qemu = "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.kata-qemu]\n"
                     "runtime_type = \"io.containerd.kata-qemu.v2\"\n"
                     "privileged_without_host_devices = true\n"
                     "pod_annotations = [\"io.katacontainers.*\"]\n";
  tc_lint_report r = lint_with_probe(qemu, sgx_host);
  assert_non_null(tl_find(&r, NULL, 4, "pod_annotations", "sgx-annotation", TC_LINT_WARNING));
  tc_lint_report_free(&r);
  r = lint_with_probe(qemu, snp_host);
  assert_null(tl_find(&r, NULL, 0, NULL, "sgx-annotation", 0));
  tc_lint_report_free(&r);
  char *with_epc = malloc(strlen(qemu) + 64);
  assert_non_null(with_epc);
  strcpy(with_epc, qemu);
  strcpy(strstr(with_epc, "\"io.katacontainers.*\"]"),
         "\"io.katacontainers.*\", \"sgx.intel.com/epc\"]\n");
  r = lint_with_probe(with_epc, sgx_host);
  assert_null(tl_find(&r, NULL, 0, NULL, "sgx-annotation", 0));
  tc_lint_report_free(&r);
  free(with_epc);
  /* an SNP handler on a node without SNP cannot run there */
  r = lint_with_probe(V2 GOOD_RT, sgx_host);
  assert_non_null(tl_find(&r, NULL, 1, "", "handler-not-supported", TC_LINT_INFO));
  tc_lint_report_free(&r);
  r = lint_with_probe(V2 GOOD_RT, snp_host);
  assert_null(tl_find(&r, NULL, 0, NULL, "handler-not-supported", 0));
  tc_lint_report_free(&r);
}

#define RC(name, mem, cpu, sched)                                                                  \
  "apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata:\n  name: " name "\nhandler: " name    \
  "\noverhead:\n  podFixed:\n    memory: \"" mem "\"\n    cpu: \"" cpu "\"\n" sched
#define SCHED "scheduling:\n  nodeSelector:\n    katacontainers.io/kata-runtime: \"true\"\n"

static void test_runtimeclass_rules(void **state) {
  (void)state;
  tc_lint_report r = tl_lint_text("rc.yaml", "---\n" RC("kata-qemu-snp", "2048Mi", "1.0", SCHED),
                                  TC_LINT_RUNTIME_AUTO);
  if (r.len)
    tl_dump(&r);
  assert_int_equal(r.len, 0);
  tc_lint_report_free(&r);
  /* 2Gi == 2048Mi, 1000m == 1 */
  expect_text("rc.yaml", RC("kata-qemu-snp", "2Gi", "1000m", SCHED), "overhead-differs", NULL, 0,
              -1);
  expect_text("rc.yaml", RC("kata-qemu", "160Mi", "250m", SCHED), "overhead-outdated",
              "overhead.podFixed", 7, TC_LINT_INFO);
  expect_text("rc.yaml", RC("kata-clh", "256Mi", "250m", SCHED), "overhead-differs",
              "overhead.podFixed", 7, TC_LINT_WARNING);
  expect_text("rc.yaml", RC("kata-clh", "130Mi", "250m", ""), "missing-node-selector", "scheduling",
              1, TC_LINT_WARNING);
  expect_text("rc.yaml", RC("kata-qemu-sev", "2048Mi", "1.0", SCHED), "removed-handler", "handler",
              5, TC_LINT_ERROR);
  expect_text("rc.yaml",
              "apiVersion: node.k8s.io/v1beta1\nkind: RuntimeClass\nmetadata:\n  name: x\n"
              "handler: x\n",
              "api-version", "apiVersion", 1, TC_LINT_ERROR);
  expect_text("rc.yaml", "apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata:\n  name: x\n",
              "missing-key", "handler", 1, TC_LINT_ERROR);
  expect_text("rc.yaml",
              "apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata:\n  name: kata-fc\n"
              "handler: kata-fc\n" SCHED,
              "missing-overhead", "overhead.podFixed", 1, TC_LINT_WARNING);
  /* other kinds are not RuntimeClasses: ignored */
  expect_text("rc.yaml", "apiVersion: v1\nkind: ConfigMap\n", "missing-key", NULL, 0, -1);
}

static void test_cross_file_and_json(void **state) {
  (void)state;
  const char *cd = V2 GOOD_RT
      "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.kata-qemu-snp.options]"
      "\n" GOOD_OPTS "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.kata-qemu-tdx]\n"
      "runtime_type = \"io.containerd.kata-qemu-tdx.v2\"\n"
      "privileged_without_host_devices = true\npod_annotations = [\"io.katacontainers.*\"]\n"
      "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.kata-qemu-tdx.options]\n"
      "ConfigPath = "
      "\"/opt/kata/share/defaults/kata-containers/runtimes/qemu-tdx/"
      "configuration-qemu-tdx.toml\"\n";
  const char *rc =
      RC("kata-qemu-snp", "2048Mi", "1.0", SCHED) "---\n" RC("kata-fc", "130Mi", "250m", SCHED);
  tc_lint_input in[2] = {{"config.toml", cd, strlen(cd), TC_LINT_KIND_AUTO},
                         {"rc.yaml", rc, strlen(rc), TC_LINT_KIND_AUTO}};
  tc_lint_report r = {0};
  tc_error err;
  assert_int_equal(tc_lint_run(in, 2, NULL, &r, &err), TC_OK);
  assert_non_null(
      tl_find(&r, "rc.yaml", 0, "kata-qemu-tdx", "handler-without-runtimeclass", TC_LINT_INFO));
  assert_non_null(
      tl_find(&r, "rc.yaml", 0, "kata-fc", "runtimeclass-without-handler", TC_LINT_WARNING));
  assert_null(tl_find(&r, NULL, 0, "kata-qemu-snp", NULL, 0));
  assert_int_equal(tc_lint_max_severity(&r), TC_LINT_WARNING);
  json_t *j = tc_lint_report_json(&r);
  json_t *arr = json_object_get(j, "findings");
  assert_int_equal(json_array_size(arr), r.len);
  json_t *f0 = json_array_get(arr, 0);
  static const char *const fields[] = {"file",     "line", "column",  "table", "key",
                                       "severity", "rule", "message", "fix"};
  for (size_t i = 0; i < 9; i++)
    assert_non_null(json_object_get(f0, fields[i]));
  assert_int_equal(json_object_size(f0), 9);
  assert_true(json_is_integer(json_object_get(f0, "line")));
  const char *sev = json_string_value(json_object_get(f0, "severity"));
  assert_true(strcmp(sev, "error") == 0 || strcmp(sev, "warning") == 0 || strcmp(sev, "info") == 0);
  json_decref(j);
  tc_lint_report_free(&r);
  tc_lint_report none = {0};
  assert_int_equal(tc_lint_max_severity(&none), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_base_clean),
      cmocka_unit_test(test_kata_rules),
      cmocka_unit_test(test_kata_dialects),
      cmocka_unit_test(test_tdx),
      cmocka_unit_test(test_sev_without_snp_message),
      cmocka_unit_test(test_syntax_and_kind),
      cmocka_unit_test(test_containerd_rules),
      cmocka_unit_test(test_containerd_probe),
      cmocka_unit_test(test_runtimeclass_rules),
      cmocka_unit_test(test_cross_file_and_json),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
