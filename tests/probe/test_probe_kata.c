/* SPDX-License-Identifier: Apache-2.0 */
/* The probe's report of the Kata installation (`kata`, issue 18 item 7) on roots built here
 * in a temporary folder from the shared fixtures, read in place:
 *   - proc/, sys/, dev/: symbolic links to a host fixture (vectors/hosts/<host>/root), with
 *     its cpuid.txt and DEVICES.txt;
 *   - the Kata install as kata-deploy lays it out: opt/kata/bin and opt/kata/runtime-rs/bin
 *     with the shim (a stand-in file: it is never run), opt/kata/VERSION, and every
 *     configuration the containerd drop-in names, copied from vectors/kata/rendered (Kata
 *     4.1.0's own rendered templates) to its ConfigPath;
 *   - etc/containerd/config.toml (version 2 or 3) importing kata-deploy's drop-in
 *     (vectors/kata/deploy/containerd-v<N>-kata-deploy-dropin.toml), placed where
 *     kata-deploy writes it.
 * Expected values come from those files (handler names, ConfigPaths, the TEE keys of the
 * Kata templates: confidential_guest, sev_snp_guest, the TDX firmware) and the fixtures'
 * expected.json (which TEE is usable). */
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

static const char *VEC;

typedef struct troot {
  char dir[256], root[288];
  char cpuid[512], devices[512];
} troot;

static void mkdirs(const char *path) {
  char tmp[1024];
  snprintf(tmp, sizeof tmp, "%s", path);
  for (char *p = tmp + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      mkdir(tmp, 0755);
      *p = '/';
    }
  mkdir(tmp, 0755);
}

/* Write data at root/rel (folders made), mode. */
static void put(const troot *t, const char *rel, const void *data, size_t len, mode_t mode) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", t->root, rel);
  char *slash = strrchr(path, '/');
  *slash = 0;
  mkdirs(path);
  *slash = '/';
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, len, f), len);
  fclose(f);
  chmod(path, mode);
}

static tc_buf vec_file(const char *rel) {
  char *p = test_path(VEC, rel);
  tc_buf b = test_read_file(p);
  free(p);
  return b;
}

/* A root with the host fixture's proc/sys/dev; no Kata yet. */
static void troot_new(troot *t, const char *host) {
  test_mkdtemp("teectl-kata", t->dir, sizeof t->dir);
  snprintf(t->root, sizeof t->root, "%s/root", t->dir);
  mkdirs(t->root);
  static const char *const subs[] = {"proc", "sys", "dev"};
  for (size_t i = 0; i < 3; i++) {
    char rel[256], link[320];
    snprintf(rel, sizeof rel, "hosts/%s/root/%s", host, subs[i]);
    char *target = test_path(VEC, rel);
    snprintf(link, sizeof link, "%s/%s", t->root, subs[i]);
    struct stat st;
    if (stat(target, &st) == 0)
      assert_int_equal(symlink(target, link), 0);
    free(target);
  }
  char rel[256];
  snprintf(rel, sizeof rel, "hosts/%s/cpuid.txt", host);
  char *p = test_path(VEC, rel);
  snprintf(t->cpuid, sizeof t->cpuid, "%s", p);
  free(p);
  snprintf(rel, sizeof rel, "hosts/%s/DEVICES.txt", host);
  p = test_path(VEC, rel);
  snprintf(t->devices, sizeof t->devices, "%s", p);
  free(p);
}

static void troot_free(troot *t) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
  assert_int_equal(system(cmd), 0);
}

/* Where kata-deploy puts the SEV-SNP and TDX configurations, relative to the node's root
 * (the drop-ins name them from "/", the node's root, which is the fixture's root here). */
#define KATA_RUNTIMES "opt/kata/share/defaults/kata-containers/runtimes/"
static const char SNP_CONFIG[] = KATA_RUNTIMES "qemu-snp/configuration-qemu-snp.toml";
static const char TDX_CONFIG[] = KATA_RUNTIMES "qemu-tdx/configuration-qemu-tdx.toml";

/* The shims, VERSION and, for every ConfigPath the drop-in names, the rendered Kata
 * configuration of that name. */
static void install_kata(const troot *t, const char *dropin_text) {
  static const char shim[] = "#!/bin/false\n# stand-in: the probe never runs it\n";
  put(t, "opt/kata/bin/containerd-shim-kata-v2", shim, sizeof shim - 1, 0755);
  put(t, "opt/kata/bin/kata-runtime", shim, sizeof shim - 1, 0755);
  put(t, "opt/kata/runtime-rs/bin/containerd-shim-kata-v2", shim, sizeof shim - 1, 0755);
  put(t, "opt/kata/VERSION", "4.1.0\n", 6, 0644);
  for (const char *p = dropin_text; (p = strstr(p, "ConfigPath = \"/")) != NULL;) {
    p += strlen("ConfigPath = \"/");
    const char *end = strchr(p, '"');
    char rel[512], base[256], src[512];
    snprintf(rel, sizeof rel, "%.*s", (int)(end - p), p);
    snprintf(base, sizeof base, "%s", strrchr(rel, '/') + 1);
    snprintf(src, sizeof src, "kata/rendered/%s%s",
             strstr(rel, "/runtime-rs/") ? "runtime-rs/" : "", base);
    tc_buf b = vec_file(src);
    put(t, rel, b.data, b.len, 0644);
    tc_buf_free(&b);
  }
}

/* containerd's config.toml of version v importing import_rel (a path or glob from the
 * node's root). */
static void containerd_config(const troot *t, int v, const char *import_rel) {
  char cfg[512];
  int n = snprintf(cfg, sizeof cfg, "version = %d\nimports = [\"/%s\"]\n", v, import_rel);
  put(t, "etc/containerd/config.toml", cfg, (size_t)n, 0644);
}

/* containerd's config.toml of version v importing the drop-in at dropin_rel, and the drop-in
 * (text) there. */
static void install_containerd(const troot *t, int v, const char *dropin_rel, const char *text) {
  containerd_config(t, v, dropin_rel);
  put(t, dropin_rel, text, strlen(text), 0644);
}

static char *dropin(int v) {
  char rel[128];
  snprintf(rel, sizeof rel, "kata/deploy/containerd-v%d-kata-deploy-dropin.toml", v);
  tc_buf b = vec_file(rel);
  char *s = strndup((const char *)b.data, b.len);
  tc_buf_free(&b);
  return s;
}

static json_t *probe(const troot *t) {
  tc_probe_opts o = {.root = t->root, .cpuid_file = t->cpuid, .char_devices_file = t->devices};
  json_t *out = NULL;
  tc_error err;
  if (tc_probe_run(&o, &out, &err) != TC_OK)
    fail_msg("probe: %s", err.detail);
  return out;
}

static const json_t *handler(const json_t *p, const char *name) {
  size_t i;
  const json_t *h;
  json_array_foreach(
      json_object_get(json_object_get(json_object_get(p, "kata"), "containerd"), "handlers"), i,
      h) if (strcmp(json_string_value(json_object_get(h, "name")), name) == 0) return h;
  fail_msg("no handler %s", name);
  return NULL;
}

static const char *hs(const json_t *h, const char *k) {
  return json_string_value(json_object_get(h, k));
}

static int kata_ready(const json_t *p) {
  return json_is_true(json_object_get(json_object_get(p, "kata"), "ready"));
}

static const char *label(const json_t *p) {
  return json_string_value(
      json_object_get(json_object_get(p, "teectl_labels"), "teectl.io/kata-ready"));
}

/* The "kata" check of the human report, or NULL. */
static const json_t *kata_check(const json_t *p) {
  size_t i;
  const json_t *c;
  json_array_foreach(json_object_get(p, "checks"), i,
                     c) if (strcmp(json_string_value(json_object_get(c, "name")), "kata") ==
                            0) return c;
  return NULL;
}

/* 1 if some kata.problems[].what contains needle. */
static int has_problem(const json_t *p, const char *needle) {
  size_t i;
  const json_t *x;
  json_array_foreach(json_object_get(json_object_get(p, "kata"), "problems"), i,
                     x) if (strstr(json_string_value(json_object_get(x, "what")), needle)) return 1;
  return 0;
}

static void dump_if(int bad, const json_t *p) {
  if (bad) {
    char *s = json_dumps(json_object_get(p, "kata"), JSON_INDENT(1));
    fail_msg("kata: %s", s);
  }
}

/* kata-deploy on the Milan SEV-SNP host (containerd config v2): consistent, so the label;
 * kata-qemu-snp's ConfigPath is Kata's qemu-snp configuration, which the probe reads as
 * SEV-SNP; the version is the tarball's. */
static void test_snp_host_kata_deploy(void **state) {
  (void)state;
  troot t;
  troot_new(&t, "milan-snp-host");
  char *d = dropin(2);
  install_kata(&t, d);
  install_containerd(&t, 2, "opt/kata/containerd/config.d/kata-deploy.toml", d);
  json_t *p = probe(&t);
  dump_if(!kata_ready(p), p);
  const json_t *k = json_object_get(p, "kata");
  assert_string_equal(json_string_value(json_object_get(k, "version")), "4.1.0");
  assert_true(json_is_true(json_object_get(k, "installed")));
  const json_t *h = handler(p, "kata-qemu-snp");
  assert_string_equal(hs(h, "tee"), "snp");
  assert_string_equal(hs(h, "config_tee"), "snp");
  assert_string_equal(hs(h, "file"), "opt/kata/containerd/config.d/kata-deploy.toml");
  const char *config_path = hs(h, "config_path"); /* as the drop-in names it: from "/" */
  assert_int_equal(config_path[0], '/');
  assert_string_equal(config_path + 1, SNP_CONFIG);
  assert_string_equal(hs(h, "shim"), "opt/kata/bin/containerd-shim-kata-v2");
  assert_string_equal(hs(handler(p, "kata-qemu-tdx"), "config_tee"), "tdx");
  assert_string_equal(hs(handler(p, "kata-qemu"), "config_tee"), "none");
  assert_string_equal(hs(handler(p, "kata-qemu-snp-runtime-rs"), "shim"),
                      "opt/kata/runtime-rs/bin/containerd-shim-kata-v2");
  assert_string_equal(label(p), "true");
  assert_true(json_is_true(json_object_get(kata_check(p), "ok")));
  char *nfd = tc_probe_nfd_text(p, 0);
  assert_non_null(strstr(nfd, "\nteectl.io/kata-ready=true\n"));
  free(nfd);
  json_decref(p);
  troot_free(&t);
  free(d);
}

/* kata-qemu-snp pointing at the TDX configuration: not consistent, no label, the hint says
 * which configuration it needs. */
static void test_snp_handler_with_tdx_config(void **state) {
  (void)state;
  troot t;
  troot_new(&t, "milan-snp-host");
  char *d = dropin(2);
  install_kata(&t, d);
  const char *from = "runtimes/qemu-snp/configuration-qemu-snp.toml\"";
  char *at = strstr(d, from);
  assert_non_null(at);
  size_t n = strlen(d) + 64;
  char *swapped = malloc(n);
  snprintf(swapped, n, "%.*sruntimes/qemu-tdx/configuration-qemu-tdx.toml\"%s", (int)(at - d), d,
           at + strlen(from));
  install_containerd(&t, 2, "opt/kata/containerd/config.d/kata-deploy.toml", swapped);
  json_t *p = probe(&t);
  assert_false(kata_ready(p));
  const json_t *h = handler(p, "kata-qemu-snp");
  assert_string_equal(hs(h, "config_tee"), "tdx");
  assert_true(json_is_false(json_object_get(h, "ok")));
  dump_if(!has_problem(p, "configures tdx, not snp"), p);
  /* kata-qemu-snp-runtime-rs (and the GPU one) still serve SEV-SNP: no "usable but no
   * handler" problem */
  assert_false(has_problem(p, "SEV-SNP is usable on this node"));
  assert_null(label(p));
  const json_t *c = kata_check(p);
  assert_true(json_is_false(json_object_get(c, "ok")));
  assert_non_null(strstr(json_string_value(json_object_get(c, "fix")),
                         "teectl config generate kata --platform snp"));
  json_decref(p);
  troot_free(&t);
  free(d);
  free(swapped);
}

/* The TDX host with containerd config v3 and kata-deploy's v3 drop-in in conf.d (a glob
 * import): consistent; kata-qemu-tdx reads as TDX. Then its configuration removed: the
 * handler names the missing file, no label. */
static void test_tdx_host_v3(void **state) {
  (void)state;
  troot t;
  troot_new(&t, "tdx-host");
  char *d = dropin(3);
  install_kata(&t, d);
  containerd_config(&t, 3, "etc/containerd/conf.d/*.toml");
  put(&t, "etc/containerd/conf.d/kata-deploy.toml", d, strlen(d), 0644);
  json_t *p = probe(&t);
  dump_if(!kata_ready(p), p);
  assert_string_equal(hs(handler(p, "kata-qemu-tdx"), "config_tee"), "tdx");
  assert_string_equal(hs(handler(p, "kata-qemu-tdx"), "file"),
                      "etc/containerd/conf.d/kata-deploy.toml");
  assert_string_equal(label(p), "true");
  json_decref(p);
  char path[640];
  snprintf(path, sizeof path, "%s/%s", t.root, TDX_CONFIG);
  assert_int_equal(unlink(path), 0);
  p = probe(&t);
  assert_false(kata_ready(p));
  char problem[512];
  snprintf(problem, sizeof problem,
           "kata-qemu-tdx (etc/containerd/conf.d/kata-deploy.toml): ConfigPath /%s is not there",
           TDX_CONFIG);
  dump_if(!has_problem(p, problem), p);
  assert_null(label(p));
  json_decref(p);
  troot_free(&t);
  free(d);
}

/* Kata's files without containerd's config, and a containerd config whose only Kata handler
 * is kata-qemu on the SEV-SNP host: each named, with its fix; no label. Without any Kata on
 * the host: not installed. */
static void test_missing_pieces(void **state) {
  (void)state;
  troot t;
  troot_new(&t, "milan-snp-host");
  json_t *p = probe(&t);
  assert_false(json_is_true(json_object_get(json_object_get(p, "kata"), "installed")));
  dump_if(!has_problem(p, "no containerd-shim-kata-v2"), p);
  json_decref(p);
  char *d = dropin(2);
  install_kata(&t, d);
  p = probe(&t);
  dump_if(!has_problem(p, "etc/containerd/config.toml is absent"), p);
  assert_null(label(p));
  json_decref(p);
  /* only kata-qemu: the drop-in's first two tables */
  char *cut = strstr(d, "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.kata-clh]");
  assert_non_null(cut);
  *cut = '\0';
  install_containerd(&t, 2, "etc/containerd/kata.toml", d);
  p = probe(&t);
  assert_int_equal(json_array_size(json_object_get(
                       json_object_get(json_object_get(p, "kata"), "containerd"), "handlers")),
                   1);
  dump_if(!has_problem(p, "SEV-SNP is usable on this node, but containerd has no working "
                          "kata-qemu-snp handler"),
          p);
  assert_null(label(p));
  json_decref(p);
  troot_free(&t);
  free(d);
}

/* A host without a usable TEE and only kata-qemu registered: consistent (nothing TEE-specific
 * is needed). A guest reports kata but has no kata check and no label. */
static void test_plain_host_and_guest(void **state) {
  (void)state;
  troot t;
  troot_new(&t, "plain-no-tee");
  char *d = dropin(2);
  char *cut = strstr(d, "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.kata-clh]");
  *cut = '\0';
  install_kata(&t, d);
  install_containerd(&t, 2, "etc/containerd/kata.toml", d);
  json_t *p = probe(&t);
  dump_if(!kata_ready(p), p);
  assert_string_equal(label(p), "true");
  json_decref(p);
  troot_free(&t);
  troot_new(&t, "snp-guest");
  p = probe(&t);
  assert_non_null(json_object_get(p, "kata"));
  assert_null(kata_check(p));
  assert_null(label(p));
  json_decref(p);
  troot_free(&t);
  free(d);
}

int main(int argc, char **argv) {
  VEC = test_vectors_dir(argc, argv, "kata"); /* and hosts/, read below */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_snp_host_kata_deploy),
      cmocka_unit_test(test_snp_handler_with_tdx_config),
      cmocka_unit_test(test_tdx_host_v3),
      cmocka_unit_test(test_missing_pieces),
      cmocka_unit_test(test_plain_host_and_guest),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
