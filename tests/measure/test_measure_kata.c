/* SPDX-License-Identifier: Apache-2.0 */
/* Launch inputs from real Kata configurations (vectors/kata: the Kata 4.1 rendered
 * configuration-qemu-snp.toml and a user's SNP configuration): firmware, kernel, initrd or
 * image, vCPUs, and the kernel command line. The expected command lines are written here by
 * hand from the Kata Go runtime's sources (src/runtime/virtcontainers/qemu_amd64.go
 * kernelParams, qemu_arch_base.go, hypervisor.go GetKernelRootParams, katautils
 * SetKernelParams, kata_agent.go KataAgentKernelParams), not produced by the code under test.
 * Also the rejections: a configuration that is not SNP, unsupported pieces, wrong types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "teectl/measure.h"
#include "testlib.h"

static const char *g_kata;

static tc_status inputs_of_text(const char *text, tc_kata_snp *k, tc_error *err) {
  tc_toml_doc *doc = NULL;
  tc_status st = tc_toml_parse(text, strlen(text), 0, &doc, err);
  if (st == TC_OK)
    st = tc_kata_snp_inputs(doc->root, k, err);
  tc_toml_doc_free(doc);
  return st;
}

static tc_status inputs_of_file(const char *rel, tc_kata_snp *k, tc_error *err) {
  char *p = test_path(g_kata, rel);
  tc_buf b = test_read_file(p);
  char *text = calloc(1, b.len + 1);
  memcpy(text, b.data, b.len);
  tc_status st = inputs_of_text(text, k, err);
  free(text);
  tc_buf_free(&b);
  free(p);
  return st;
}

static int has_assumption(const tc_kata_snp *k, const char *needle) {
  size_t i;
  json_t *v;
  json_array_foreach(k->assumptions, i, v) if (strstr(json_string_value(v), needle)) return 1;
  return 0;
}

#define ARCH                                                                                       \
  "tsc=reliable no_timer_check rcupdate.rcu_expedited=1 i8042.direct=1 i8042.dumbkbd=1 "           \
  "i8042.nopnp=1 i8042.noaux=1 noreplace-smp reboot=k cryptomgr.notests net.ifnames=0 "            \
  "pci=lastbus=0"

static void test_rendered_snp(void **state) {
  (void)state;
  tc_kata_snp k;
  tc_error err;
  if (inputs_of_file("rendered/configuration-qemu-snp.toml", &k, &err) != TC_OK)
    fail_msg("%s: %s", err.reason, err.detail);
  assert_string_equal(k.firmware, "/opt/kata/share/ovmf/AMDSEV.fd");
  assert_string_equal(k.kernel, "/opt/kata/share/kata-containers/vmlinuz.container");
  assert_null(k.initrd);
  assert_string_equal(k.image, "/opt/kata/share/kata-containers/kata-containers-confidential.img");
  assert_int_equal(k.vcpus, 1);
  assert_string_equal(k.cmdline, ARCH " root=/dev/vda1 rootflags=data=ordered,errors=remount-ro ro "
                                      "rootfstype=ext4 console=hvc0 console=hvc1 quiet "
                                      "systemd.show_status=false panic=1 selinux=0 "
                                      "systemd.unit=kata-containers.target "
                                      "systemd.mask=systemd-networkd.service "
                                      "systemd.mask=systemd-networkd.socket scsi_mod.scan=none "
                                      "agent.launch_process_timeout=6 cgroup_no_v1=all "
                                      "systemd.unified_cgroup_hierarchy=1");
  assert_true(has_assumption(&k, "static_sandbox_resource_mgmt"));
  assert_true(has_assumption(&k, "no pod annotation overrides kernel_params"));
  assert_true(has_assumption(&k, "not part of the launch digest"));
  assert_true(has_assumption(&k, "FIPS"));
  tc_kata_snp_free(&k);
}

static void test_user_snp(void **state) {
  (void)state;
  tc_kata_snp k;
  tc_error err;
  if (inputs_of_file("real-user-configs/Alex-Carter01-configuration-qemu-snp.toml", &k, &err) !=
      TC_OK)
    fail_msg("%s: %s", err.reason, err.detail);
  assert_string_equal(k.firmware, "/opt/confidential-containers/share/ovmfx86_64/OVMF.fd");
  assert_string_equal(k.initrd, "/opt/confidential-containers/share/kata-containers/"
                                "kata-containers-initrd-sev.img");
  assert_null(k.image);
  assert_string_equal(k.cmdline, ARCH " console=hvc0 console=hvc1 quiet panic=1 selinux=0 "
                                      "scsi_mod.scan=none agent.config_file=/etc/agent-config.toml "
                                      "agent.enable_signature_verification=true "
                                      "agent.aa_kbc_params=online_sev_kbc::172.16.17.43:44444");
  assert_false(has_assumption(&k, "static_sandbox_resource_mgmt"));
  tc_kata_snp_free(&k);
}

static const char *reason_of(const char *text) {
  static tc_error err;
  tc_kata_snp k;
  if (inputs_of_text(text, &k, &err) == TC_OK) {
    tc_kata_snp_free(&k);
    return "ok";
  }
  return err.reason;
}

#define SNP_HEAD                                                                                   \
  "[hypervisor.qemu]\nconfidential_guest = true\nsev_snp_guest = true\n"                           \
  "firmware = \"/f.fd\"\nkernel = \"/vmlinuz\"\n"

static void test_options_and_rejections(void **state) {
  (void)state;
  tc_kata_snp k;
  tc_error err;
  /* debug, IOMMU, SELinux on, virtio-blk, every agent parameter, quoted kernel_params */
  assert_int_equal(inputs_of_text(SNP_HEAD "initrd = \"/i\"\nenable_debug = true\n"
                                           "enable_iommu = true\ndisable_guest_selinux = false\n"
                                           "block_device_driver = \"virtio-blk\"\n"
                                           "default_vcpus = 2.5\n"
                                           "kernel_params = \" a=\\\"b c\\\"  =v d=e=f \"\n"
                                           "[agent.kata]\nenable_debug = true\n"
                                           "enable_tracing = true\ndebug_console_enabled = true\n"
                                           "cdh_api_timeout = 50\nlaunch_process_timeout = 6\n"
                                           "visible_cdi_devices = true\n",
                                  &k, &err),
                   TC_OK);
  assert_string_equal(k.cmdline, ARCH " intel_iommu=on iommu=pt console=hvc0 console=hvc1 debug "
                                      "panic=1 selinux=1 agent.log=debug agent.trace=true "
                                      "agent.debug_console agent.debug_console_vport=1026 "
                                      "agent.cdh_api_timeout=50 agent.launch_process_timeout=6 "
                                      "agent.visible_cdi_devices=true a=\"b c\" v d=e=f");
  assert_int_equal(k.vcpus, 3);
  tc_kata_snp_free(&k);
  /* an erofs image on NVDIMM, in debug */
  assert_int_equal(inputs_of_text(SNP_HEAD "image = \"/img\"\nrootfs_type = \"erofs\"\n"
                                           "enable_debug = true\n",
                                  &k, &err),
                   TC_OK);
  assert_string_equal(k.cmdline, ARCH " root=/dev/pmem0p1 rootflags=ro rootfstype=erofs "
                                      "console=hvc0 console=hvc1 debug systemd.show_status=true "
                                      "systemd.log_level=debug panic=1 selinux=0 "
                                      "systemd.unit=kata-containers.target "
                                      "systemd.mask=systemd-networkd.service "
                                      "systemd.mask=systemd-networkd.socket scsi_mod.scan=none");
  assert_int_equal(k.vcpus, 1);
  tc_kata_snp_free(&k);
  assert_string_equal(reason_of("[hypervisor.clh]\nkernel = \"/k\"\n"), "kata_not_snp");
  assert_string_equal(reason_of("[hypervisor.qemu]\nconfidential_guest = true\n"), "kata_not_snp");
  assert_string_equal(reason_of("[hypervisor.qemu]\nconfidential_guest = true\n"
                                "sev_snp_guest = true\nkernel = \"/k\"\n"),
                      "kata_config_incomplete");
  assert_string_equal(reason_of(SNP_HEAD "kernel_verity_params = \"root_hash=ab\"\nimage=\"/i\"\n"),
                      "kata_unsupported");
  assert_string_equal(reason_of(SNP_HEAD "[[hypervisor.qemu.guest_extension_images]]\n"
                                         "path = \"/x\"\n"),
                      "kata_unsupported");
  assert_string_equal(reason_of(SNP_HEAD "machine_type = \"microvm\"\n"), "kata_unsupported");
  assert_string_equal(reason_of(SNP_HEAD "default_vcpus = -1\n"), "kata_vcpus_unknown");
  assert_string_equal(reason_of(SNP_HEAD "default_vcpus = \"2\"\n"), "kata_config_invalid");
  assert_string_equal(reason_of(SNP_HEAD "image = \"/a\"\ninitrd = \"/b\"\n"),
                      "kata_config_invalid");
  assert_string_equal(reason_of(SNP_HEAD "image = \"/a\"\nrootfs_type = \"btrfs\"\n"),
                      "kata_config_invalid");
  assert_string_equal(reason_of(SNP_HEAD "[agent.kata]\nenable_debug = 1\n"),
                      "kata_config_invalid");
}

/* Every other rendered configuration of the Go runtime is refused as not SNP, or (the
 * NVIDIA GPU SNP one) accepted; runtime-rs SNP ones carry guest extension images. */
static void test_other_rendered(void **state) {
  (void)state;
  tc_kata_snp k;
  tc_error err;
  assert_int_equal(inputs_of_file("rendered/configuration-qemu.toml", &k, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "kata_not_snp");
  assert_int_equal(inputs_of_file("rendered/configuration-qemu-tdx.toml", &k, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "kata_not_snp");
  assert_int_equal(
      inputs_of_file("rendered/runtime-rs/configuration-qemu-snp-runtime-rs.toml", &k, &err),
      TC_ERR_USAGE);
  assert_string_equal(err.reason, "kata_unsupported");
}

int main(int argc, char **argv) {
  const char *dir = test_vectors_dir(argc, argv, "kata");
  g_kata = test_path(dir, "kata");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rendered_snp),
      cmocka_unit_test(test_user_snp),
      cmocka_unit_test(test_options_and_rejections),
      cmocka_unit_test(test_other_rendered),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
