/* SPDX-License-Identifier: Apache-2.0 */
/* Probe rules on fake roots built here, for cases the shared fixtures do not cover:
 * 5.10-era int module parameters and the CPUID ASID fallback, a dev/sev that is not a
 * character device, a TDX guest (CPUID leaf 0x21), SGX EPC from CPUID leaf 0x12 and from
 * several NUMA nodes. Expected values follow from the rules (hosts/README.md) and the
 * register layouts (AMD APM Vol. 3 E.4.17, Intel SDM leaf 12H/21H), computed here. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "teectl/probe.h"
#include "testlib.h"

typedef struct fake {
  char root[300];
  char cpuid[300];
  char devices[300];
  char base[256];
} fake;

static void mkdirs(const char *path) {
  char tmp[512];
  snprintf(tmp, sizeof tmp, "%s", path);
  for (char *p = tmp + 1; *p; p++)
    if (*p == '/') {
      *p = '\0';
      mkdir(tmp, 0755);
      *p = '/';
    }
  mkdir(tmp, 0755);
}

static void put(const char *dir, const char *rel, const char *content) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  char *slash = strrchr(path, '/');
  *slash = '\0';
  mkdirs(path);
  *slash = '/';
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(content, f);
  fclose(f);
}

static void fake_new(fake *f) {
  assert_non_null(test_mkdtemp("teectl-probe", f->base, sizeof f->base));
  snprintf(f->root, sizeof f->root, "%s/root", f->base);
  snprintf(f->cpuid, sizeof f->cpuid, "%s/cpuid.txt", f->base);
  snprintf(f->devices, sizeof f->devices, "%s/DEVICES.txt", f->base);
  mkdirs(f->root);
  put(f->base, "cpuid.txt", "");
  put(f->base, "DEVICES.txt", "");
}

static void rm_tree(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0)
    return;
  if (S_ISDIR(st.st_mode)) {
    DIR *d = opendir(path);
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL) {
      if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
        continue;
      char sub[512];
      snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
      rm_tree(sub);
    }
    if (d != NULL)
      closedir(d);
    rmdir(path);
  } else {
    unlink(path);
  }
}

static void fake_free(fake *f) {
  rm_tree(f->base);
}

static json_t *probe(const fake *f) {
  tc_probe_opts o = {.root = f->root, .cpuid_file = f->cpuid, .char_devices_file = f->devices};
  json_t *out = NULL;
  tc_error err;
  tc_error_clear(&err);
  if (tc_probe_run(&o, &out, &err) != TC_OK)
    fail_msg("probe: %s: %s", err.reason, err.detail);
  return out;
}

static json_t *at(const json_t *o, const char *a, const char *b) {
  const json_t *x = json_object_get(o, a);
  return b ? json_object_get(x, b) : (json_t *)x;
}

#define AMD_LEAF0 "0 0 10 68747541 444d4163 69746e65\n"
#define INTEL_LEAF0(max) "0 0 " max " 756e6547 6c65746e 49656e69\n"
/* guest CPUID 0x8000001F: EAX bits 1 (SEV), 3 (SEV-ES), 4 (SNP); C-bit 51, 1 bit lost */
#define SNP_GUEST_CPUID                                                                            \
  AMD_LEAF0 "1 0 00a00f11 0 fef83203 178bfbff\n"                                                   \
            "80000000 0 80000021 0 0 0\n"                                                          \
            "8000001f 0 0000001a 00000073 0 0\n"

static void test_sev_int_params_and_cpuid_fallback(void **state) {
  (void)state;
  fake f;
  fake_new(&f);
  /* Milan-like 0x8000001F: ECX = 509 guests, EDX = 100 = first SEV-only ASID */
  put(f.base, "cpuid.txt",
      AMD_LEAF0 "1 0 00a00f11 0 7ef8320b 178bfbff\n"
                "80000000 0 80000023 0 0 0\n"
                "8000001f 0 0101fd3f 00004173 000001fd 00000064\n");
  put(f.base, "DEVICES.txt", "dev/kvm c 10:232\ndev/sev c 10:dynamic\n");
  put(f.root, "dev/kvm", "");
  put(f.root, "dev/sev", "");
  put(f.root, "proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu svm sev sev_es\n");
  put(f.root, "sys/module/kvm_amd/parameters/sev", "1\n"); /* 5.10 int parameter */
  put(f.root, "sys/module/kvm_amd/parameters/sev_es", "0\n");
  /* no misc.capacity (kernels before 5.17): ASIDs from CPUID */
  json_t *p = probe(&f);
  assert_string_equal(json_string_value(at(p, "role", NULL)), "host");
  assert_true(json_is_true(at(p, "sev", "supported")));
  assert_true(json_is_true(at(p, "sev", "enabled_in_kvm")));
  assert_true(json_is_false(at(p, "sev", "es")));
  assert_true(json_is_false(at(p, "sev", "snp")));
  assert_int_equal(json_integer_value(at(p, "sev", "asids")), 0x1fd - 0x64 + 1);
  assert_int_equal(json_integer_value(at(p, "sev", "es_asids")), 0x64 - 1);
  assert_int_equal(json_integer_value(at(p, "sev", "cbitpos")), 0x4173 & 0x3f);
  assert_int_equal(json_integer_value(at(p, "sev", "reduced_phys_bits")), (0x4173 >> 6) & 0x3f);
  json_t *nfd = at(p, "nfd_labels", NULL);
  assert_int_equal(json_object_size(nfd), 1);
  assert_string_equal(json_string_value(json_object_get(nfd, "cpu-security.sev.enabled")), "true");
  /* legacy SEV alone: reported, but Kata (>= 3.19) runs confidential pods with SEV-SNP only */
  assert_false(tc_probe_tee_usable(p));
  assert_false(tc_probe_tee_kind_usable(p, TC_PROBE_TEE_SNP));
  char *h = tc_probe_human_text(p, 1);
  assert_non_null(strstr(h, "\u2713 sev kvm "));
  assert_non_null(strstr(h, "TEE usable on this node: no (legacy SEV is enabled, but Kata "
                            "supports SEV-SNP, not legacy SEV"));
  free(h);
  char *nfdtext = tc_probe_nfd_text(p, 0);
  assert_non_null(strstr(nfdtext, "teectl.io/tee-usable=false\n"));
  free(nfdtext);
  json_decref(p);

  /* the same tree, but dev/sev is not declared a character device: no SEV */
  put(f.base, "DEVICES.txt", "dev/kvm c 10:232\n");
  p = probe(&f);
  assert_true(json_is_false(at(p, "sev", "supported")));
  assert_int_equal(json_integer_value(at(p, "sev", "asids")), 0);
  assert_true(json_is_true(at(p, "sev", "cpu_advertises_sev")));
  assert_false(tc_probe_tee_usable(p));
  json_decref(p);

  /* and without a char-devices list, a regular file at dev/sev is not a device either */
  tc_probe_opts o = {.root = f.root, .cpuid_file = f.cpuid};
  tc_error err;
  assert_int_equal(tc_probe_run(&o, &p, &err), TC_OK);
  assert_true(json_is_false(at(p, "sev", "supported")));
  assert_true(json_is_false(at(p, "kvm", NULL)));
  json_decref(p);
  fake_free(&f);
}

static void test_misc_capacity_whole_key(void **state) {
  (void)state;
  fake f;
  fake_new(&f);
  put(f.base, "cpuid.txt", AMD_LEAF0 "1 0 00a00f11 0 7ef8320b 178bfbff\n");
  put(f.base, "DEVICES.txt", "dev/kvm c 10:232\ndev/sev c 10:dynamic\n");
  put(f.root, "dev/kvm", "");
  put(f.root, "dev/sev", "");
  put(f.root, "proc/cpuinfo", "flags\t\t: sev sev_es sev_snp\n");
  put(f.root, "sys/fs/cgroup/misc.capacity", "sev_es 99\nsev 410\n");
  put(f.root, "sys/fs/cgroup/misc.current", "sev_es 3\nsev 7\n");
  put(f.root, "sys/module/kvm_amd/parameters/sev", "Y\n");
  put(f.root, "sys/module/kvm_amd/parameters/sev_es", "Y\n");
  put(f.root, "sys/module/kvm_amd/parameters/sev_snp", "Y\n");
  json_t *p = probe(&f);
  assert_int_equal(json_integer_value(at(p, "sev", "asids")), 410);
  assert_int_equal(json_integer_value(at(p, "sev", "es_asids")), 99);
  assert_true(json_is_true(at(p, "sev", "snp")));
  assert_true(json_is_null(at(p, "sev", "cbitpos"))); /* no leaf 0x8000001F in the dump */
  json_t *cur = at(at(p, "misc", NULL), "current", NULL);
  assert_int_equal(json_integer_value(json_object_get(cur, "sev")), 7);
  assert_int_equal(json_integer_value(json_object_get(cur, "sev_es")), 3);
  json_t *rc = at(p, "recommended_runtime_classes", NULL);
  assert_int_equal(json_array_size(rc), 3);
  assert_string_equal(json_string_value(json_array_get(rc, 0)), "kata-qemu-snp");
  json_decref(p);
  fake_free(&f);
}

static void test_tdx_guest(void **state) {
  (void)state;
  fake f;
  fake_new(&f);
  /* leaf 0x21 signature "IntelTDX    ": EBX "Inte", EDX "lTDX", ECX "    " (little-endian) */
  put(f.base, "cpuid.txt",
      INTEL_LEAF0("21") "1 0 000806f8 0 fffa3203 178bfbff\n"
                        "21 0 0 65746e49 20202020 5844546c\n");
  put(f.base, "DEVICES.txt", "dev/tdx_guest c 10:dynamic\n");
  put(f.root, "dev/tdx_guest", "");
  put(f.root, "proc/cpuinfo", "flags\t\t: fpu hypervisor\n");
  json_t *p = probe(&f);
  assert_string_equal(json_string_value(at(p, "role", NULL)), "guest");
  assert_true(json_is_true(at(p, "tdx", "guest")));
  assert_true(json_is_false(at(p, "tdx", "host_supported")));
  assert_string_equal(json_string_value(at(p, "sev", "guest")), "none");
  json_t *nfd = at(p, "nfd_labels", NULL);
  assert_string_equal(json_string_value(json_object_get(nfd, "cpu-security.tdx.protected")),
                      "true");
  assert_int_equal(json_object_size(nfd), 1);
  assert_true(tc_probe_tee_usable(p));
  char *text = tc_probe_nfd_text(p, 0);
  assert_non_null(strstr(text, "teectl.io/attestation-device=tdx-guest\n"));
  assert_non_null(strstr(text, "feature.node.kubernetes.io/cpu-security.tdx.protected=true\n"));
  free(text);
  json_decref(p);

  /* a wrong signature is not a TD */
  put(f.base, "cpuid.txt",
      INTEL_LEAF0("21") "1 0 000806f8 0 fffa3203 178bfbff\n"
                        "21 0 0 65746e49 20202020 5844546d\n");
  p = probe(&f);
  assert_true(json_is_false(at(p, "tdx", "guest")));
  assert_false(tc_probe_tee_usable(p));
  json_decref(p);
  fake_free(&f);
}

static void test_sgx_epc_sources(void **state) {
  (void)state;
  fake f;
  fake_new(&f);
  /* two EPC sections (type 1), then the type-0 terminator */
  put(f.base, "cpuid.txt",
      INTEL_LEAF0("1b") "1 0 000606a6 0 7ffefbff bfebfbff\n"
                        "7 0 0 00000004 40000000 0\n"
                        "12 0 403 1 0 381f\n"
                        "12 2 00000001 00000070 00800002 00000001\n"
                        "12 3 00000001 00000080 40000001 00000000\n"
                        "12 4 0 0 0 0\n");
  put(f.base, "DEVICES.txt", "dev/kvm c 10:232\ndev/sgx_enclave c 10:dynamic\n");
  put(f.root, "dev/kvm", "");
  put(f.root, "dev/sgx_enclave", "");
  put(f.root, "sys/module/kvm_intel/parameters/sgx", "Y\n");
  json_t *p = probe(&f);
  int64_t s1 = (int64_t)0x00800000 | ((int64_t)1 << 32), s2 = 0x40000000;
  assert_true(json_is_true(at(p, "sgx", "supported"))); /* from CPUID.7:EBX[2] alone */
  assert_true(json_is_true(at(p, "sgx", "flc")));       /* CPUID.7:ECX[30] */
  assert_int_equal(json_integer_value(at(p, "sgx", "epc_bytes")), s1 + s2);
  assert_string_equal(
      json_string_value(json_object_get(at(p, "nfd_labels", NULL), "cpu-security.sgx.enabled")),
      "true");
  assert_true(tc_probe_tee_usable(p));
  json_decref(p);

  /* sysfs wins over CPUID and sums every NUMA node */
  put(f.root, "sys/devices/system/node/node0/x86/sgx_total_bytes", "1000\n");
  put(f.root, "sys/devices/system/node/node1/x86/sgx_total_bytes", "2000\n");
  p = probe(&f);
  assert_int_equal(json_integer_value(at(p, "sgx", "epc_bytes")), 3000);
  json_decref(p);
  fake_free(&f);
}

static void test_sev_guest_kinds(void **state) {
  (void)state;
  fake f;
  fake_new(&f);
  put(f.base, "cpuid.txt", SNP_GUEST_CPUID);
  /* SNP active but the sev-guest driver did not bind: still an SNP guest, no device */
  put(f.root, "proc/cpuinfo", "flags\t\t: fpu hypervisor sev sev_es sev_snp\n");
  json_t *p = probe(&f);
  assert_string_equal(json_string_value(at(p, "sev", "guest")), "snp");
  assert_true(json_is_false(at(p, "sev", "supported")));
  assert_int_equal(json_integer_value(at(p, "sev", "cbitpos")), 51);
  assert_int_equal(json_integer_value(at(p, "sev", "reduced_phys_bits")), 1);
  char *text = tc_probe_nfd_text(p, 0);
  assert_non_null(strstr(text, "teectl.io/attestation-device=none\n"));
  assert_non_null(strstr(text, "teectl.io/sev-guest=snp\n"));
  assert_null(strstr(text, "feature.node.kubernetes.io/"));
  free(text);
  /* documented decision: an SNP guest without its attestation device is still a TEE guest
   * (usable), and the human output shows the device as a failed check with its fix */
  assert_true(tc_probe_tee_usable(p));
  char *h = tc_probe_human_text(p, 1);
  const char *dev = strstr(h, "\u2717 attestation device ");
  assert_non_null(dev);
  const char *fix = strstr(dev, "fix: load the sev-guest module");
  assert_true(fix != NULL && fix < strchr(dev, '\n'));
  assert_non_null(strstr(h, "TEE usable on this node: yes\n"));
  free(h);
  json_decref(p);
  /* with the device: the check passes */
  put(f.base, "DEVICES.txt", "dev/sev-guest c 10:dynamic\n");
  put(f.root, "dev/sev-guest", "");
  p = probe(&f);
  h = tc_probe_human_text(p, 1);
  assert_non_null(strstr(h, "\u2713 attestation device "));
  free(h);
  json_decref(p);
  put(f.base, "DEVICES.txt", "");
  /* SEV-ES guest: the kernel shows sev and sev_es only; legacy SEV guests are reported but
   * not usable for Kata confidential pods */
  put(f.root, "proc/cpuinfo", "flags\t\t: fpu hypervisor sev sev_es\n");
  p = probe(&f);
  assert_string_equal(json_string_value(at(p, "sev", "guest")), "sev-es");
  assert_false(tc_probe_tee_usable(p));
  h = tc_probe_human_text(p, 1);
  assert_non_null(strstr(h, "Kata supports SEV-SNP, not legacy SEV"));
  free(h);
  json_decref(p);
  put(f.root, "proc/cpuinfo", "flags\t\t: fpu hypervisor sev\n");
  p = probe(&f);
  assert_string_equal(json_string_value(at(p, "sev", "guest")), "sev");
  assert_false(tc_probe_tee_usable(p));
  json_decref(p);
  fake_free(&f);
}

static void test_tdx_host_without_platform_flag(void **state) {
  (void)state;
  fake f;
  fake_new(&f);
  /* kernels before the tdx_host_platform flag: kvm_intel.tdx=Y alone says the TDX
   * module is initialised */
  put(f.base, "cpuid.txt", INTEL_LEAF0("20") "1 0 000a06d1 0 7ffefbff bfebfbff\n");
  put(f.base, "DEVICES.txt", "dev/kvm c 10:232\n");
  put(f.root, "dev/kvm", "");
  put(f.root, "proc/cpuinfo", "flags\t\t: fpu vmx\n");
  put(f.root, "sys/module/kvm_intel/parameters/tdx", "Y\n");
  put(f.root, "sys/fs/cgroup/misc.capacity", "tdx 15\n");
  json_t *p = probe(&f);
  assert_true(json_is_false(at(p, "tdx", "host_supported")));
  assert_true(json_is_true(at(p, "tdx", "module_initialized")));
  assert_int_equal(json_integer_value(at(p, "tdx", "keyids")), 15);
  json_t *rc = at(p, "recommended_runtime_classes", NULL);
  assert_string_equal(json_string_value(json_array_get(rc, 0)), "kata-qemu-tdx");
  assert_true(tc_probe_tee_usable(p));
  json_decref(p);
  fake_free(&f);
}

/* The human report: one line per check, the fix on failing ones, and the kernel command
 * line taken into account. */
static void test_human_fixes(void **state) {
  (void)state;
  fake f;
  fake_new(&f);
  put(f.base, "cpuid.txt", INTEL_LEAF0("20") "1 0 000a06d1 0 7ffefbff bfebfbff\n");
  put(f.base, "DEVICES.txt", "dev/kvm c 10:232\n");
  put(f.root, "dev/kvm", "");
  put(f.root, "proc/cpuinfo", "flags\t\t: fpu vmx tdx_host_platform\n");
  put(f.root, "proc/cmdline", "root=/dev/sda1 kvm_intel.tdx=1 intel_iommu=off\n");
  put(f.root, "sys/module/kvm_intel/parameters/tdx", "N\n");
  json_t *p = probe(&f);
  char *h = tc_probe_human_text(p, 1);
  assert_non_null(h);
  assert_non_null(strstr(h, "\u2713 kvm "));
  assert_non_null(strstr(h, "\u2713 tdx platform "));
  const char *tdx = strstr(h, "\u2717 tdx kvm ");
  assert_non_null(tdx);
  const char *eol = strchr(tdx, '\n');
  const char *fix = strstr(tdx, "did not initialise TDX");
  assert_true(fix != NULL && fix < eol);
  const char *io = strstr(h, "\u2717 iommu ");
  assert_non_null(io);
  const char *rm = strstr(io, "remove iommu=off");
  assert_true(rm != NULL && rm < strchr(io, '\n'));
  assert_non_null(strstr(h, "TEE usable on this node: no\n"));
  free(h);
  /* the ASCII form, for a locale that is not UTF-8: the same lines, no byte >= 0x80 */
  h = tc_probe_human_text(p, 0);
  assert_non_null(strstr(h, "[ok] kvm "));
  tdx = strstr(h, "[no] tdx kvm ");
  assert_non_null(tdx);
  fix = strstr(tdx, " -- fix: kvm_intel.tdx=1 is on the kernel command line");
  assert_true(fix != NULL && fix < strchr(tdx, '\n'));
  for (const char *s = h; *s; s++)
    assert_true((unsigned char)*s < 0x80);
  free(h);
  json_decref(p);
  fake_free(&f);
}

static void test_microcode(void **state) {
  (void)state;
  fake f;
  fake_new(&f);
  put(f.root, "proc/cpuinfo",
      "processor\t: 0\nmicrocode\t: 0xa0011d1\nflags\t\t: fpu\n\nprocessor\t: 1\n"
      "microcode\t: 0xbad\n");
  json_t *p = probe(&f);
  assert_string_equal(json_string_value(at(p, "cpu", "microcode")), "0xa0011d1");
  char *text = tc_probe_nfd_text(p, 0);
  assert_non_null(strstr(text, "teectl.io/cpu-microcode=0xa0011d1\n"));
  free(text);
  assert_true(json_is_null(at(p, "sev", "firmware"))); /* fixture: no real /dev/sev */
  json_decref(p);
  put(f.root, "proc/cpuinfo", "processor\t: 0\nmicrocode\t: 0xa0011d1 junk\n");
  p = probe(&f);
  assert_true(json_is_null(at(p, "cpu", "microcode")));
  json_decref(p);
  fake_free(&f);
}

/* The live machine: the probe must run; its role must agree with the kernel's own view
 * (cpuinfo flag "hypervisor" mirrors CPUID.1:ECX[31]); and with no TEE flag or guest
 * device at all, it must not claim a usable TEE. */
static void test_live(void **state) {
  (void)state;
  json_t *p = NULL;
  tc_error err;
  tc_error_clear(&err);
  if (tc_probe_run(NULL, &p, &err) != TC_OK)
    fail_msg("live probe: %s: %s", err.reason, err.detail);
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (f == NULL) {
    json_decref(p);
    skip();
  }
  char *line = NULL, *flags = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0)
    if (strncmp(line, "flags", 5) == 0) {
      flags = strdup(line);
      break;
    }
  free(line);
  fclose(f);
  assert_non_null(flags);
  int hyp = 0, tee_flag = 0;
  char *save = NULL;
  for (char *w = strtok_r(strchr(flags, ':') + 1, " \t\n", &save); w;
       w = strtok_r(NULL, " \t\n", &save)) {
    if (strcmp(w, "hypervisor") == 0)
      hyp = 1;
    if (strcmp(w, "sev") == 0 || strcmp(w, "sgx") == 0 || strcmp(w, "tdx_host_platform") == 0 ||
        strcmp(w, "tdx_guest") == 0 || strcmp(w, "sev_snp") == 0)
      tee_flag = 1;
  }
  free(flags);
  assert_string_equal(json_string_value(at(p, "role", NULL)), hyp ? "guest" : "host");
  struct stat st;
  int guest_dev = stat("/dev/sev-guest", &st) == 0 || stat("/dev/tdx_guest", &st) == 0;
  fprintf(stderr, "live: role %s, TEE usable: %s\n", hyp ? "guest" : "host",
          tc_probe_tee_usable(p) ? "yes" : "no");
  if (!tee_flag && !guest_dev)
    assert_false(tc_probe_tee_usable(p));
  json_decref(p);
}

/* Guest attestation interfaces (issue 13 items 9 and 10): configfs-tsm with the provider
 * named by an existing report entry, dev/sev-guest, and the TDX device under its current
 * name dev/tdx_guest and its older one dev/tdx-guest; devices only when declared. */
static void test_attestation_interfaces(void **state) {
  (void)state;
  fake f;
  fake_new(&f);
  put(f.base, "cpuid.txt", SNP_GUEST_CPUID);
  put(f.root, "proc/cpuinfo", "flags\t\t: fpu hypervisor sev sev_es sev_snp\n");
  put(f.base, "DEVICES.txt", "dev/sev-guest c 10:dynamic\n");
  put(f.root, "dev/sev-guest", "");
  put(f.root, "sys/kernel/config/tsm/report/req1/provider", "sev_guest\n");
  put(f.root, "sys/kernel/config/tsm/report/req2/provider", "sev_guest\n");
  put(f.root, "sys/kernel/config/tsm/report/req3/provider", "bad name!\n"); /* not a name */

  tc_probe_opts o = {.root = f.root, .char_devices_file = f.devices};
  tc_attest_ifaces a;
  tc_error err;
  assert_int_equal(tc_probe_attest_ifaces(&o, &a, &err), TC_OK);
  assert_true(a.configfs_tsm);
  assert_int_equal(a.tsm_provider_count, 1);
  assert_string_equal(a.tsm_providers[0], "sev_guest");
  assert_null(a.tsm_providers[1]);
  assert_string_equal(a.sev_guest_device, "dev/sev-guest");
  assert_null(a.tdx_guest_device);
  tc_attest_ifaces_free(&a);
  assert_null(a.tsm_providers);

  json_t *p = probe(&f);
  json_t *att = at(p, "attestation", NULL);
  assert_true(json_is_true(json_object_get(att, "configfs_tsm")));
  assert_string_equal(json_string_value(json_object_get(att, "tsm_report_dir")),
                      "sys/kernel/config/tsm/report");
  assert_int_equal(json_array_size(json_object_get(att, "tsm_providers")), 1);
  assert_string_equal(json_string_value(json_array_get(json_object_get(att, "tsm_providers"), 0)),
                      "sev_guest");
  assert_string_equal(json_string_value(json_object_get(att, "sev_guest_device")), "dev/sev-guest");
  assert_true(json_is_null(json_object_get(att, "tdx_guest_device")));
  json_t *src = json_object_get(att, "sources");
  assert_int_equal(json_array_size(src), 2);
  assert_string_equal(json_string_value(json_array_get(src, 0)), "configfs-tsm");
  assert_string_equal(json_string_value(json_array_get(src, 1)), "sev-guest");
  char *text = tc_probe_nfd_text(p, 0);
  assert_non_null(strstr(text, "teectl.io/configfs-tsm=true\n"));
  assert_non_null(strstr(text, "teectl.io/tsm-provider=sev_guest\n"));
  assert_non_null(strstr(text, "teectl.io/attestation-device=sev-guest\n"));
  free(text);
  char *h = tc_probe_human_text(p, 1);
  assert_non_null(strstr(h, "\u2713 configfs-tsm       sys/kernel/config/tsm/report (provider "
                            "sev_guest)\n"));
  free(h);
  json_decref(p);

  /* no report entry yet: configfs-tsm is there, its provider unknown */
  rm_tree(f.root);
  put(f.root, "proc/cpuinfo", "flags\t\t: fpu hypervisor sev sev_es sev_snp\n");
  put(f.root, "dev/sev-guest", "");
  mkdirs(f.root);
  char dir[400];
  snprintf(dir, sizeof dir, "%s/sys/kernel/config/tsm/report", f.root);
  mkdirs(dir);
  p = probe(&f);
  att = at(p, "attestation", NULL);
  assert_true(json_is_true(json_object_get(att, "configfs_tsm")));
  assert_int_equal(json_array_size(json_object_get(att, "tsm_providers")), 0);
  text = tc_probe_nfd_text(p, 0);
  assert_non_null(strstr(text, "teectl.io/configfs-tsm=true\n"));
  assert_null(strstr(text, "teectl.io/tsm-provider="));
  free(text);
  json_decref(p);

  /* a regular file at the report path is not configfs-tsm */
  rmdir(dir);
  put(f.root, "sys/kernel/config/tsm/report", "");
  p = probe(&f);
  assert_true(json_is_false(at(at(p, "attestation", NULL), "configfs_tsm", NULL)));
  json_decref(p);
  fake_free(&f);

  /* a TDX guest of an older kernel: only dev/tdx-guest */
  fake_new(&f);
  put(f.base, "cpuid.txt",
      INTEL_LEAF0("21") "1 0 000806f8 0 fffa3203 178bfbff\n"
                        "21 0 0 65746e49 20202020 5844546c\n");
  put(f.root, "proc/cpuinfo", "flags\t\t: fpu hypervisor tdx_guest\n");
  put(f.base, "DEVICES.txt", "dev/tdx-guest c 10:dynamic\n");
  put(f.root, "dev/tdx-guest", "");
  p = probe(&f);
  assert_true(json_is_true(at(p, "tdx", "guest_device")));
  att = at(p, "attestation", NULL);
  assert_string_equal(json_string_value(json_object_get(att, "tdx_guest_device")), "dev/tdx-guest");
  assert_true(json_is_null(json_object_get(att, "sev_guest_device")));
  assert_true(json_is_false(json_object_get(att, "configfs_tsm")));
  assert_true(json_is_null(json_object_get(att, "tsm_report_dir")));
  src = json_object_get(att, "sources");
  assert_int_equal(json_array_size(src), 1);
  assert_string_equal(json_string_value(json_array_get(src, 0)), "tdx-guest");
  text = tc_probe_nfd_text(p, 0);
  assert_non_null(strstr(text, "teectl.io/attestation-device=tdx-guest\n"));
  assert_non_null(strstr(text, "teectl.io/configfs-tsm=false\n"));
  free(text);
  h = tc_probe_human_text(p, 1);
  assert_non_null(strstr(h, "\u2713 attestation device dev/tdx-guest ready\n"));
  const char *tsm = strstr(h, "\u2717 configfs-tsm ");
  assert_non_null(tsm);
  const char *fix = strstr(tsm, "fix: a TDX quote needs configfs-tsm");
  assert_true(fix != NULL && fix < strchr(tsm, '\n'));
  free(h);
  json_decref(p);

  /* both names: the current one is reported */
  put(f.base, "DEVICES.txt", "dev/tdx-guest c 10:dynamic\ndev/tdx_guest c 10:dynamic\n");
  put(f.root, "dev/tdx_guest", "");
  tc_probe_opts o2 = {.root = f.root, .char_devices_file = f.devices};
  assert_int_equal(tc_probe_attest_ifaces(&o2, &a, &err), TC_OK);
  assert_string_equal(a.tdx_guest_device, "dev/tdx_guest");
  tc_attest_ifaces_free(&a);

  /* a file the list does not declare, or no list at all: a regular file is no device */
  put(f.base, "DEVICES.txt", "dev/sev-guest c 10:dynamic\n");
  rm_tree(f.root);
  put(f.root, "dev/tdx-guest", "");
  assert_int_equal(tc_probe_attest_ifaces(&o2, &a, &err), TC_OK);
  assert_null(a.tdx_guest_device);
  assert_string_equal(a.sev_guest_device, "dev/sev-guest"); /* declared: the list is enough */
  tc_attest_ifaces_free(&a);
  tc_probe_opts o3 = {.root = f.root};
  assert_int_equal(tc_probe_attest_ifaces(&o3, &a, &err), TC_OK);
  assert_null(a.tdx_guest_device);
  assert_null(a.sev_guest_device);
  assert_false(a.configfs_tsm);
  tc_attest_ifaces_free(&a);

  /* a root that is no folder is the probe's usage error */
  char notdir[300];
  snprintf(notdir, sizeof notdir, "%s/DEVICES.txt", f.base);
  tc_probe_opts o4 = {.root = notdir};
  assert_int_equal(tc_probe_attest_ifaces(&o4, &a, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "probe_bad_options");
  fake_free(&f);
}

/* With --char-devices the list is enough (issue 13 item 12): a listed path is a character
 * device even when no file stands in for it under the root; an unlisted file is none. */
static void test_char_devices_list_is_enough(void **state) {
  (void)state;
  fake f;
  fake_new(&f);
  put(f.base, "cpuid.txt", AMD_LEAF0 "1 0 00a00f11 0 7ef8320b 178bfbff\n");
  put(f.base, "DEVICES.txt", "dev/kvm c 10:232\n/dev/sev-guest c 10:dynamic\n");
  put(f.root, "proc/cpuinfo", "flags\t\t: fpu svm\n");
  put(f.root, "dev/sgx_enclave", ""); /* a file, but not listed */
  json_t *p = probe(&f);
  assert_true(json_is_true(at(p, "kvm", NULL)));
  assert_true(json_is_true(at(p, "sev", "guest_device")));
  assert_true(json_is_false(at(p, "sgx", "driver")));
  char *h = tc_probe_human_text(p, 1);
  assert_non_null(strstr(h, "\u2713 kvm                dev/kvm is a character device\n"));
  assert_null(strstr(h, "no dev/kvm"));
  free(h);
  json_decref(p);
  fake_free(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sev_int_params_and_cpuid_fallback),
      cmocka_unit_test(test_misc_capacity_whole_key),
      cmocka_unit_test(test_tdx_guest),
      cmocka_unit_test(test_sgx_epc_sources),
      cmocka_unit_test(test_sev_guest_kinds),
      cmocka_unit_test(test_tdx_host_without_platform_flag),
      cmocka_unit_test(test_human_fixes),
      cmocka_unit_test(test_microcode),
      cmocka_unit_test(test_attestation_interfaces),
      cmocka_unit_test(test_char_devices_list_is_enough),
      cmocka_unit_test(test_live),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
