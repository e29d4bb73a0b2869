/* SPDX-License-Identifier: Apache-2.0 */
/* The linter on the real user configs of vectors/kata/real-user-configs agrees with the
 * analysis in FINDINGS.md there (read in place).
 * - Machine-readable part: every key written in backticks in an "**Unknown ...**"
 *   paragraph of a file's section that the file assigns is reported as an unknown /
 *   removed / other-runtime / misplaced key at its line, unless the bullet says the key
 *   is valid today (snp_guest_policy).
 * - The rest of FINDINGS.md is prose; each statement is asserted below with a quote. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/testlib.h"
#include "lintlib.h"

static const char *g_dir;

static const char *const key_rules[] = {"unknown-key", "removed-key", "other-runtime-key",
                                        "misplaced-key"};

static const tc_lint_finding *key_finding(const tc_lint_report *r, const char *file, unsigned line,
                                          const char *key) {
  for (size_t i = 0; i < 4; i++) {
    const tc_lint_finding *f = tl_find(r, file, line, key, key_rules[i], TC_LINT_WARNING);
    if (f)
      return f;
  }
  return NULL;
}

typedef struct lfile {
  char name[128];
  tl_text text;
  tc_lint_report rep;
} lfile;

static lfile load(const char *name, tc_lint_runtime rt) {
  lfile f;
  memset(&f, 0, sizeof f);
  snprintf(f.name, sizeof f.name, "%s", name);
  char *p = test_path(g_dir, name);
  f.text = tl_load(p);
  const char *one[1] = {p};
  f.rep = tl_lint(one, 1, rt, NULL);
  free(p);
  return f;
}

static void unload(lfile *f) {
  tl_free(&f->text);
  tc_lint_report_free(&f->rep);
}

/* Line of key inside [table] (up to the next header); 0 if absent. */
static unsigned key_in(const lfile *f, const char *table, const char *key) {
  char h[128];
  snprintf(h, sizeof h, "[%s]", table);
  unsigned hl = 0;
  for (size_t i = 1; i <= f->text.n; i++)
    if (strcmp(f->text.lines[i], h) == 0)
      hl = (unsigned)i;
  if (!hl)
    return 0;
  size_t end = f->text.n;
  for (size_t j = hl + 1; j <= f->text.n; j++)
    if (f->text.lines[j][0] == '[') {
      end = j - 1;
      break;
    }
  return tl_key_line(&f->text, key, hl + 1, end, 0);
}

/* Assert a finding (rule may be NULL) at key in table with severity >= sev. */
static void expect(const lfile *f, const char *table, const char *key, const char *rule, int sev,
                   const char *quote) {
  unsigned line = key_in(f, table, key);
  if (!line)
    fail_msg("%s: [%s] %s not in the file (FINDINGS.md: %s)", f->name, table, key, quote);
  if (!tl_find(&f->rep, f->name, line, key, rule, sev)) {
    tl_dump(&f->rep);
    fail_msg("%s:%u: no %s finding for [%s] %s (FINDINGS.md: \"%s\")", f->name, line,
             rule ? rule : "any", table, key, quote);
  }
}

static void expect_none(const lfile *f, const char *table, const char *key, const char *quote) {
  unsigned line = key_in(f, table, key);
  assert_true(line > 0);
  if (tl_find(&f->rep, f->name, line, key, NULL, TC_LINT_INFO)) {
    tl_dump(&f->rep);
    fail_msg("%s:%u: unexpected finding for %s (FINDINGS.md: \"%s\")", f->name, line, key, quote);
  }
}

/* ---------- machine-readable part ---------- */

static void check_bullet(const char *file, const char *bullet, int *checked, int *failed) {
  if (!file[0])
    return;
  int valid = strstr(bullet, "valid today") != NULL;
  lfile f = load(file, TC_LINT_RUNTIME_AUTO);
  for (const char *p = strchr(bullet, '`'); p; p = strchr(p, '`')) {
    const char *e = strchr(p + 1, '`');
    if (!e)
      break;
    char span[128];
    snprintf(span, sizeof span, "%.*s", (int)(e - p - 1), p + 1);
    p = e + 1;
    const char *s = span;
    if (s[0] == '[') { /* "[image] service_offload = true" */
      const char *close = strchr(s, ']');
      if (!close)
        continue;
      s = close + 1;
      while (*s == ' ')
        s++;
    }
    char key[96];
    size_t k = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");
    if (k == 0 || k >= sizeof key)
      continue;
    snprintf(key, sizeof key, "%.*s", (int)k, s);
    unsigned line = tl_key_line(&f.text, key, 1, f.text.n, 0);
    if (!line)
      continue; /* not a key this file assigns */
    (*checked)++;
    const tc_lint_finding *hit = key_finding(&f.rep, f.name, line, key);
    if (valid ? hit != NULL : hit == NULL) {
      fprintf(stderr, "FAIL %s:%u: %s: expected %s (FINDINGS.md: %s)\n", file, line, key,
              valid ? "no unknown-key finding" : "an unknown/removed-key finding", bullet);
      (*failed)++;
    }
  }
  unload(&f);
}

static void test_findings_unknown_keys(void **state) {
  (void)state;
  char *p = test_path(g_dir, "FINDINGS.md");
  tl_text md = tl_load(p);
  free(p);
  char file[128] = "";
  int in_unknown = 0, checked = 0, failed = 0;
  char bullet[2048] = "";
  for (size_t i = 1; i <= md.n + 1; i++) {
    const char *l = i <= md.n ? md.lines[i] : "## end";
    int boundary = strncmp(l, "## ", 3) == 0 || strncmp(l, "**", 2) == 0 ||
                   strncmp(l, "- ", 2) == 0 || l[0] == 0;
    if (boundary && bullet[0]) {
      if (in_unknown)
        check_bullet(file, bullet, &checked, &failed);
      bullet[0] = 0;
    }
    if (strncmp(l, "## ", 3) == 0) {
      snprintf(file, sizeof file, "%.*s", (int)strcspn(l + 3, " "), l + 3);
      if (!strstr(file, ".toml"))
        file[0] = 0;
      in_unknown = 0;
      continue;
    }
    if (strncmp(l, "**", 2) == 0) {
      in_unknown = strncmp(l, "**Unknown", 9) == 0;
      /* the paragraph's own first line may carry spans too */
      if (in_unknown)
        snprintf(bullet, sizeof bullet, "%s", strstr(l + 2, "**") ? strstr(l + 2, "**") + 2 : "");
      continue;
    }
    if (l[0] == 0)
      continue;
    size_t bl = strlen(bullet);
    snprintf(bullet + bl, sizeof bullet - bl, "%s%s", bl ? " " : "", l);
  }
  tl_free(&md);
  printf("FINDINGS.md: %d unknown/removed keys checked, %d disagreements\n", checked, failed);
  assert_true(checked >= 20); /* 22 at the pinned FINDINGS.md */
  assert_int_equal(failed, 0);
}

/* ---------- prose, asserted one by one ---------- */

static void test_all_parse(void **state) {
  (void)state;
  static const char *const files[] = {
      "Alex-Carter01-configuration-qemu-snp.toml", "Alex-Carter01-configuration-qemu-sev.toml",
      "coco-serverless-configuration-qemu-sev.toml", "emanuellima1-configuration-qemu.toml"};
  for (size_t i = 0; i < 4; i++) {
    lfile f = load(files[i], TC_LINT_RUNTIME_AUTO);
    /* "All four files parse with tomllib. None has a duplicate key" */
    assert_int_equal(f.rep.unparsable, 0);
    assert_null(tl_find(&f.rep, NULL, 0, NULL, "duplicate-key", 0));
    assert_null(tl_find(&f.rep, NULL, 0, NULL, "syntax", 0));
    unload(&f);
  }
}

static void test_alex_snp(void **state) {
  (void)state;
  lfile f = load("Alex-Carter01-configuration-qemu-snp.toml", TC_LINT_RUNTIME_AUTO);
  const char *q = "hypervisor.qemu";
  expect(&f, q, "firmware", "wrong-firmware", TC_LINT_ERROR,
         "Wrong firmware: firmware = \".../ovmfx86_64/OVMF.fd\" is the generic OVMF");
  expect(&f, q, "kernel", "sev-guest-assets", TC_LINT_WARNING,
         "Reused SEV guest assets: kernel = vmlinuz-sev.container");
  expect(&f, q, "kernel_params", "sev-kbc-on-snp", TC_LINT_WARNING,
         "online_sev_kbc is the SEV pre-attestation KBC, which SNP does not use");
  expect(&f, q, "shared_fs", "host-shared-fs", TC_LINT_WARNING,
         "Host-shared filesystem in a TEE: shared_fs = \"virtio-9p\"");
  expect(&f, q, "disable_block_device_use", NULL, TC_LINT_WARNING,
         "Block devices not disabled: disable_block_device_use = false");
  expect(&f, "runtime", "static_sandbox_resource_mgmt", NULL, TC_LINT_WARNING,
         "Hotplug assumed in a TEE: static_sandbox_resource_mgmt=false");
  expect(&f, "runtime", "disable_guest_empty_dir", NULL, TC_LINT_WARNING,
         "disable_guest_empty_dir=false: the template has true");
  expect(&f, q, "enable_annotations", "annotations-no-initdata", TC_LINT_WARNING,
         "Without cc_init_data, initdata cannot be passed per pod");
  expect_none(&f, q, "path", "Not a mistake: path is the generic qemu-system-x86_64");
  expect_none(&f, q, "snp_guest_policy", "So it is valid today");
  /* "Wrong provenance header. It says Source file: config/configuration-qemu.toml.in" */
  unsigned hdr = 0;
  for (size_t i = 1; i <= f.text.n && !hdr; i++)
    if (strstr(f.text.lines[i], "Source file:"))
      hdr = (unsigned)i;
  assert_non_null(tl_find(&f.rep, f.name, hdr, NULL, "wrong-provenance", TC_LINT_INFO));
  unload(&f);
}

static void test_alex_sev(void **state) {
  (void)state;
  lfile f = load("Alex-Carter01-configuration-qemu-sev.toml", TC_LINT_RUNTIME_AUTO);
  const char *q = "hypervisor.qemu";
  expect(&f, q, "confidential_guest", "sev-removed", TC_LINT_WARNING,
         "The platform is gone. SEV support was removed upstream (ecac3d2d28, 3.19.0)");
  expect(&f, q, "shared_fs", "host-shared-fs", TC_LINT_WARNING,
         "Host-shared filesystem: shared_fs = \"virtio-9p\"");
  expect(&f, q, "disable_block_device_use", NULL, TC_LINT_WARNING,
         "with disable_block_device_use = false (template: true)");
  expect(&f, "runtime", "static_sandbox_resource_mgmt", NULL, TC_LINT_WARNING,
         "Hotplug assumed: static_sandbox_resource_mgmt=false");
  expect(&f, "runtime", "disable_guest_empty_dir", NULL, TC_LINT_WARNING,
         "disable_guest_empty_dir=false");
  expect(&f, "agent.kata", "debug_console_enabled", "debug-in-tee", TC_LINT_ERROR,
         "A debug console into a confidential guest defeats the point of SEV attestation");
  expect(&f, q, "enable_debug", "debug-in-tee", TC_LINT_WARNING,
         "enable_debug = true in all three sections");
  expect(&f, "agent.kata", "enable_debug", "debug-in-tee", TC_LINT_WARNING,
         "enable_debug = true in all three sections");
  expect(&f, "runtime", "enable_debug", "debug-in-tee", TC_LINT_WARNING,
         "enable_debug = true in all three sections");
  unload(&f);
}

static void test_coco_serverless(void **state) {
  (void)state;
  lfile f = load("coco-serverless-configuration-qemu-sev.toml", TC_LINT_RUNTIME_AUTO);
  const char *q = "hypervisor.qemu";
  expect(&f, q, "shared_fs", "host-shared-fs", TC_LINT_WARNING,
         "shared_fs = \"virtio-9p\" ... in a confidential guest");
  expect(&f, q, "disable_block_device_use", NULL, TC_LINT_WARNING,
         "disable_block_device_use = false in a confidential guest");
  expect(&f, q, "firmware", "wrong-firmware", TC_LINT_ERROR,
         "Non-standard OVMF: firmware = \".../ovmf/OVMF_CSG.fd\"");
  expect(&f, q, "kernel_params", "signature-verification-off", TC_LINT_WARNING,
         "kernel_params turns agent.enable_signature_verification=false off");
  expect(&f, "agent.kata", "debug_console_enabled", "debug-in-tee", TC_LINT_ERROR,
         "Debugging on in a confidential guest: [agent.kata] debug_console_enabled = true");
  expect(&f, "runtime", "disable_guest_empty_dir", NULL, TC_LINT_WARNING,
         "disable_guest_empty_dir = false");
  expect_none(&f, "runtime", "static_sandbox_resource_mgmt",
              "Correct here: static_sandbox_resource_mgmt = true");
  unload(&f);
}

static void test_emanuellima(void **state) {
  (void)state;
  /* "Mixed-runtime file ... the file contains runtime-rs keys" */
  lfile f = load("emanuellima1-configuration-qemu.toml", TC_LINT_RUNTIME_AUTO);
  assert_non_null(tl_find(&f.rep, f.name, 0, NULL, "mixed-runtime", TC_LINT_WARNING));
  const char *q = "hypervisor.qemu";
  /* "$HOME inside TOML strings. path, kernel and image ... This is the first thing that
   * would fail." */
  expect(&f, q, "path", "shell-variable", TC_LINT_ERROR, "$HOME inside TOML strings");
  expect(&f, q, "kernel", "shell-variable", TC_LINT_ERROR, "$HOME inside TOML strings");
  expect(&f, q, "image", "shell-variable", TC_LINT_ERROR, "$HOME inside TOML strings");
  expect(&f, q, "virtio_fs_queue_size", "queue-size", TC_LINT_ERROR,
         "virtio_fs_queue_size = 513: not a power of two");
  expect(&f, q, "virtio_fs_daemon", "path-not-allowed", TC_LINT_WARNING,
         "virtio_fs_daemon is not in valid_virtio_fs_daemon_paths");
  expect(&f, q, "valid_hypervisor_paths", "path-not-allowed", TC_LINT_INFO,
         "valid_hypervisor_paths does not match path ... harmless but misleading");
  expect(&f, q, "enable_iommu", NULL, TC_LINT_WARNING, "enable_iommu = true ... on a plain q35 VM");
  expect(&f, q, "enable_iommu_platform", NULL, TC_LINT_INFO, "enable_iommu_platform = true");
  expect_none(&f, q, "enable_annotations", "enable_annotations = []: ... not an error");
  unload(&f);
  /* "Under the Go runtime these five are unknown and ignored silently" */
  lfile g = load("emanuellima1-configuration-qemu.toml", TC_LINT_RUNTIME_GO);
  expect(&g, "runtime", "name", "other-runtime-key", TC_LINT_WARNING, "[runtime] name");
  expect(&g, "runtime", "hypervisor_name", "other-runtime-key", TC_LINT_WARNING, "hypervisor_name");
  expect(&g, "runtime", "agent_name", "other-runtime-key", TC_LINT_WARNING, "agent_name");
  expect(&g, q, "vm_rootfs_driver", "other-runtime-key", TC_LINT_WARNING,
         "[hypervisor.qemu] vm_rootfs_driver");
  expect(&g, "agent.kata", "container_pipe_size", "other-runtime-key", TC_LINT_WARNING,
         "[agent.kata] container_pipe_size");
  unload(&g);
  /* "Under runtime-rs, Go-only keys are left over ... The hypervisor and runtime tables ignore
   * these. The [agent.kata] keys all exist in runtime-rs, so its deny_unknown_fields is not
   * triggered." FINDINGS.md also lists [hypervisor.qemu] firmware_volume as Go-only; the
   * runtime-rs templates do set it (configuration-qemu-nvidia-gpu-runtime-rs.toml.in and three
   * others), so the schema built from the templates accepts it: not asserted. */
  lfile r = load("emanuellima1-configuration-qemu.toml", TC_LINT_RUNTIME_RS);
  expect(&r, q, "valid_file_mem_backends", "removed-key", TC_LINT_WARNING,
         "valid_file_mem_backends");
  expect(&r, "runtime", "disable_selinux", "misplaced-key", TC_LINT_WARNING,
         "[runtime] disable_selinux (a hypervisor key in both runtimes)");
  expect(&r, "runtime", "disable_guest_empty_dir", "other-runtime-key", TC_LINT_WARNING,
         "disable_guest_empty_dir");
  unsigned fl = tl_line_starting(&r.text, "[factory]", 1);
  assert_non_null(tl_find(&r.rep, r.name, fl, NULL, "other-runtime-table", TC_LINT_WARNING));
  for (size_t i = 0; i < r.rep.len; i++) /* deny_unknown_fields not triggered */
    assert_false(strncmp(r.rep.items[i].table, "agent.kata", 10) == 0 &&
                 r.rep.items[i].severity == TC_LINT_ERROR);
  unload(&r);
}

int main(int argc, char **argv) {
  const char *v = test_vectors_dir(argc, argv, "kata/real-user-configs");
  g_dir = test_path(v, "kata/real-user-configs");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_findings_unknown_keys),
      cmocka_unit_test(test_all_parse),
      cmocka_unit_test(test_alex_snp),
      cmocka_unit_test(test_alex_sev),
      cmocka_unit_test(test_coco_serverless),
      cmocka_unit_test(test_emanuellima),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  free((void *)g_dir);
  return rc;
}
