/* SPDX-License-Identifier: Apache-2.0 */
/* TEE families over every host fixture (vectors/hosts/<case>): the values a scrape
 * reports must equal those this test derives from the fixture's expected.json; and the
 * misc cgroup current use over roots built here (values the test wrote). */
#include <dirent.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "exporter_test.h"
#include "teectl/exporter.h"
#include "teectl/file.h"
#include "teectl/version.h"
#include "testlib.h"

static const char *g_hosts;

static char *scrape(const char *root, const char *cpuid, const char *devices, int *tee_ok) {
  tc_exporter_opts o = {root, cpuid, devices, 100};
  tc_exporter x;
  tc_error err, cerr;
  assert_int_equal(tc_exporter_init(&x, &o, &err), TC_OK);
  char *text = NULL;
  size_t len = 0;
  assert_int_equal(tc_exporter_scrape(&x, &text, &len, &cerr, &err), TC_OK);
  assert_int_equal(strlen(text), len);
  double v = -1;
  assert_true(series_value(text, "teectl_exporter_collector_success{collector=\"tee\"}", &v));
  *tee_ok = v == 1;
  if (!*tee_ok)
    fprintf(stderr, "tee collector: %s: %s\n", cerr.reason, cerr.detail);
  tc_exporter_destroy(&x);
  return text;
}

static int jbool(const json_t *o, const char *obj, const char *key) {
  const json_t *v = json_object_get(obj ? json_object_get(o, obj) : o, key);
  if (!json_is_boolean(v))
    fail_msg("expected.json: %s%s%s is not a boolean", obj ? obj : "", obj ? "." : "", key);
  return json_is_true(v);
}

static void expect(const char *text, const char *series, double want, const char *fixture) {
  double v;
  if (!series_value(text, series, &v))
    fail_msg("%s: series %s missing", fixture, series);
  if (v != want)
    fail_msg("%s: %s = %.17g, expected %.17g", fixture, series, v, want);
}

/* 1 if the first "flags" line of a cpuinfo text holds flag as a whole word. */
static int cpuinfo_flag(const char *cpuinfo, const char *flag) {
  const char *line = strstr(cpuinfo, "\nflags");
  if (line == NULL)
    return 0;
  const char *colon = strchr(line, ':');
  const char *end = strchr(line + 1, '\n');
  if (colon == NULL)
    return 0;
  size_t n = strlen(flag);
  for (const char *p = colon + 1; p && (end == NULL || p < end); p++) {
    if ((p[-1] == ' ' || p[-1] == ':' || p[-1] == '\t') && strncmp(p, flag, n) == 0 &&
        (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
      return 1;
  }
  return 0;
}

/* EAX of CPUID leaf 0x8000001F subleaf 0 in a cpuid.txt dump ("leaf subleaf eax ebx ecx
 * edx", hex); 0 when the leaf is absent. */
static unsigned long cpuid_8000001f_eax(const char *dump) {
  for (const char *p = dump; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
    unsigned long leaf, sub, eax;
    if (*p != '#' && sscanf(p, "%lx %lx %lx", &leaf, &sub, &eax) == 3 && leaf == 0x8000001f &&
        sub == 0)
      return eax;
  }
  return 0;
}

static char *read_text(const char *path) {
  tc_buf b = {0};
  tc_error e;
  if (tc_file_read(path, 0, &b, &e) != TC_OK)
    return strdup("");
  char *t = malloc(b.len + 1);
  memcpy(t, b.data, b.len);
  t[b.len] = '\0';
  tc_buf_free(&b);
  return t;
}

static void check_fixture(const char *name) {
  char dir[4096], root[4200], cpuid[4200], devices[4200], expected_path[4200];
  snprintf(dir, sizeof dir, "%s/%s", g_hosts, name);
  snprintf(root, sizeof root, "%s/root", dir);
  snprintf(cpuid, sizeof cpuid, "%s/cpuid.txt", dir);
  snprintf(devices, sizeof devices, "%s/DEVICES.txt", dir);
  snprintf(expected_path, sizeof expected_path, "%s/expected.json", dir);
  json_error_t je;
  json_t *e = json_load_file(expected_path, 0, &je);
  if (e == NULL)
    fail_msg("%s: %s", expected_path, je.text);

  int ok = 0;
  char *text = scrape(root, cpuid, devices, &ok);
  if (!ok)
    fail_msg("%s: tee collector failed", name);

  /* teectl_node_info{role,guest_tee}: guest TEE from tdx.guest, else sev.guest mapped */
  const char *role = json_string_value(json_object_get(e, "role"));
  const char *sev_guest = json_string_value(json_object_get(json_object_get(e, "sev"), "guest"));
  assert_non_null(role);
  assert_non_null(sev_guest);
  const char *guest = jbool(e, "tdx", "guest")           ? "tdx"
                      : strcmp(sev_guest, "snp") == 0    ? "sev_snp"
                      : strcmp(sev_guest, "sev-es") == 0 ? "sev_es"
                                                         : sev_guest;
  char series[256];
  snprintf(series, sizeof series, "teectl_node_info{role=\"%s\",guest_tee=\"%s\"}", role, guest);
  expect(text, series, 1, name);

  int sgx_s = jbool(e, "sgx", "supported"), tdx_s = jbool(e, "tdx", "host_supported");
  int sev_s = jbool(e, "sev", "supported");
  expect(text, "teectl_tee_supported{tee=\"sgx\"}", sgx_s, name);
  expect(text, "teectl_tee_supported{tee=\"tdx\"}", tdx_s, name);
  expect(text, "teectl_tee_supported{tee=\"sev\"}", sev_s, name);
  /* SEV-ES / SNP support: SEV supported and the CPU advertises it (cpuinfo flag, or on a
   * host CPUID 0x8000001F EAX bit 3 / 4: AMD APM vol. 3, "Encrypted Memory Capabilities"),
   * whether or not KVM enables it. */
  char path[4400];
  snprintf(path, sizeof path, "%s/proc/cpuinfo", root);
  char *cpuinfo = read_text(path);
  char *dump = read_text(cpuid);
  unsigned long eax = strcmp(role, "host") == 0 ? cpuid_8000001f_eax(dump) : 0;
  int es_s = sev_s && (cpuinfo_flag(cpuinfo, "sev_es") || (eax >> 3 & 1));
  int snp_s = sev_s && (cpuinfo_flag(cpuinfo, "sev_snp") || (eax >> 4 & 1));
  free(cpuinfo);
  free(dump);
  expect(text, "teectl_tee_supported{tee=\"sev_es\"}", es_s || jbool(e, "sev", "es"), name);
  expect(text, "teectl_tee_supported{tee=\"sev_snp\"}", snp_s || jbool(e, "sev", "snp"), name);
  /* enabled: the probe's usable decision, computed here from expected.json with the rule of
   * probe.h (a host with dev/kvm; SGX needs supported, flc, driver and kvm_intel.sgx — the
   * conditions of the NFD teectl.io/sgx label; TDX an initialised module; SNP sev.snp) */
  int host = strcmp(role, "host") == 0, kvm = jbool(e, NULL, "kvm");
  int sgx_u = host && kvm && sgx_s && jbool(e, "sgx", "flc") && jbool(e, "sgx", "driver") &&
              jbool(e, "sgx", "enabled_in_kvm");
  int tdx_u = host && kvm && jbool(e, "tdx", "module_initialized");
  int snp_u = host && kvm && jbool(e, "sev", "snp");
  int usable =
      host ? sgx_u || tdx_u || snp_u : strcmp(sev_guest, "snp") == 0 || jbool(e, "tdx", "guest");
  expect(text, "teectl_tee_enabled{tee=\"sgx\"}", sgx_u, name);
  expect(text, "teectl_tee_enabled{tee=\"tdx\"}", tdx_u, name);
  expect(text, "teectl_tee_enabled{tee=\"sev_snp\"}", snp_u, name);
  expect(text, "teectl_node_tee_usable", usable, name);
  /* legacy SEV / SEV-ES: KVM can start them (Kata cannot use them) */
  expect(text, "teectl_tee_enabled{tee=\"sev\"}",
         host && kvm && sev_s && jbool(e, "sev", "enabled_in_kvm"), name);
  expect(text, "teectl_tee_enabled{tee=\"sev_es\"}", host && kvm && jbool(e, "sev", "es"), name);
  /* a TEE enabled without being supported would be a contradiction */
  if (sgx_u)
    expect(text, "teectl_tee_supported{tee=\"sgx\"}", 1, name);
  if (strcmp(name, "tdx-host") == 0) /* the user's report: SGX without EPC and driver */
    expect(text, "teectl_tee_enabled{tee=\"sgx\"}", 0, name);

  const json_t *sev = json_object_get(e, "sev"), *tdx = json_object_get(e, "tdx");
  expect(text, "teectl_sev_asids", (double)json_integer_value(json_object_get(sev, "asids")), name);
  expect(text, "teectl_sev_es_asids", (double)json_integer_value(json_object_get(sev, "es_asids")),
         name);
  expect(text, "teectl_tdx_keyids", (double)json_integer_value(json_object_get(tdx, "keyids")),
         name);
  const json_t *epc = json_object_get(json_object_get(e, "sgx"), "epc_bytes");
  if (json_is_null(epc))
    assert_false(has_line_prefix(text, "teectl_sgx_epc_bytes "));
  else
    expect(text, "teectl_sgx_epc_bytes", (double)json_integer_value(epc), name);

  /* The fixtures hold no misc.current: use is unknown, so no _used series at all. */
  char mc[4300];
  snprintf(mc, sizeof mc, "%s/sys/fs/cgroup/misc.current", root);
  if (!tc_file_exists(mc)) {
    assert_false(has_line_prefix(text, "teectl_sev_asids_used"));
    assert_false(has_line_prefix(text, "teectl_sev_es_asids_used"));
    assert_false(has_line_prefix(text, "teectl_tdx_keyids_used"));
  }
  expect(text, "teectl_exporter_build_info{version=\"" TEECTL_VERSION "\"}", 1, name);
  /* No processes in the fixtures: no sandboxes; the kata collector still succeeds. */
  assert_false(has_line_prefix(text, "teectl_kata_sandboxes{"));
  expect(text, "teectl_exporter_collector_success{collector=\"kata\"}", 1, name);
  free(text);
  json_decref(e);
}

static void test_host_fixtures(void **state) {
  (void)state;
  DIR *d = opendir(g_hosts);
  assert_non_null(d);
  struct dirent *de;
  int n = 0;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.')
      continue;
    char p[4400];
    snprintf(p, sizeof p, "%s/%s/expected.json", g_hosts, de->d_name);
    if (!tc_file_exists(p))
      continue;
    check_fixture(de->d_name);
    n++;
  }
  closedir(d);
  assert_true(n >= 1);
  fprintf(stderr, "checked %d host fixtures\n", n);
}

/* A root with only the misc cgroup files (and an empty CPUID dump / device list). */
static char *misc_root(const char *capacity, const char *current) {
  char *root = tmp_dir();
  put_text(root, "cpuid.txt", "# none\n");
  put_text(root, "DEVICES.txt", "# none\n");
  put_text(root, "root/proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu\n");
  put_text(root, "root/sys/fs/cgroup/misc.capacity", capacity);
  if (current)
    put_text(root, "root/sys/fs/cgroup/misc.current", current);
  return root;
}

static char *scrape_misc(const char *root, int *ok) {
  char r[4200], c[4200], d[4200];
  snprintf(r, sizeof r, "%s/root", root);
  snprintf(c, sizeof c, "%s/cpuid.txt", root);
  snprintf(d, sizeof d, "%s/DEVICES.txt", root);
  return scrape(r, c, d, ok);
}

static void test_misc_current_root(void **state) {
  (void)state;
  /* Linux >= 6.5: the root cgroup's misc.current (whole-key match: "sev" != "sev_es") */
  char *root = misc_root("sev 410\nsev_es 99\n", "sev_es 7\nsev 3\n");
  int ok = 0;
  char *text = scrape_misc(root, &ok);
  assert_true(ok);
  expect(text, "teectl_sev_asids_used", 3, "misc-root");
  expect(text, "teectl_sev_es_asids_used", 7, "misc-root");
  assert_false(has_line_prefix(text, "teectl_tdx_keyids_used"));
  free(text);
  tmp_rm(root);
}

static void test_misc_current_children(void **state) {
  (void)state;
  /* Before Linux 6.5 the root has no misc.current: sum the top-level cgroups. */
  char *root = misc_root("tdx 31\n", NULL);
  put_text(root, "root/sys/fs/cgroup/kubepods.slice/misc.current", "tdx 4\nsev 0\n");
  put_text(root, "root/sys/fs/cgroup/system.slice/misc.current", "tdx 1\n");
  put_text(root, "root/sys/fs/cgroup/init.scope/cgroup.procs", "1\n");
  int ok = 0;
  char *text = scrape_misc(root, &ok);
  assert_true(ok);
  expect(text, "teectl_tdx_keyids_used", 5, "misc-children");
  expect(text, "teectl_sev_asids_used", 0, "misc-children");
  assert_false(has_line_prefix(text, "teectl_sev_es_asids_used"));
  expect(text, "teectl_exporter_entries_skipped{collector=\"tee\"}", 0, "misc-children");
  free(text);
  tmp_rm(root);

  /* A malformed child file (or one whose sum would pass 2^63 - 1) is skipped and counted;
   * the TEE metrics stay, summed over the good children. */
  root = misc_root("tdx 31\n", NULL);
  put_text(root, "root/sys/fs/cgroup/kubepods.slice/misc.current", "tdx four\n");
  put_text(root, "root/sys/fs/cgroup/huge.slice/misc.current", "tdx 9223372036854775807\ntdx 1\n");
  put_text(root, "root/sys/fs/cgroup/system.slice/misc.current", "tdx 2\n");
  text = scrape_misc(root, &ok);
  assert_true(ok);
  assert_true(has_line_prefix(text, "teectl_tee_supported"));
  expect(text, "teectl_tdx_keyids", 31, "misc-bad");
  expect(text, "teectl_tdx_keyids_used", 2, "misc-bad");
  expect(text, "teectl_exporter_entries_skipped{collector=\"tee\"}", 2, "misc-bad");
  expect(text, "teectl_exporter_scrape_errors_total{collector=\"tee\"}", 0, "misc-bad");
  expect(text, "teectl_exporter_collector_success{collector=\"tee\"}", 1, "misc-bad");
  free(text);
  tmp_rm(root);
}

static void test_misc_parse(void **state) {
  (void)state;
  tc_misc_current m = {-1, -1, -1};
  tc_error err;
  const char ok_text[] = "sev_es 5\nsev 2\nother 9\n\nsev 1\n";
  assert_int_equal(tc_misc_current_parse(ok_text, sizeof ok_text - 1, "t", &m, &err), TC_OK);
  assert_int_equal(m.sev, 3);
  assert_int_equal(m.sev_es, 5);
  assert_int_equal(m.tdx, -1);
  const char *bad[] = {"sev\n",
                       "sev -1\n",
                       "sev 1x\n",
                       " sev 1\n",
                       "sev 99999999999999999999\n",
                       "sev 9223372036854775807\nsev 1\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(tc_misc_current_parse(bad[i], strlen(bad[i]), "t", &m, &err), TC_ERR_PARSE);
    assert_string_equal(err.reason, "misc_cgroup_malformed");
    assert_non_null(strstr(err.detail, i == 5 ? "t line 2" : "t line 1"));
    m.sev = -1;
  }
}

static void test_probe_json_rejections(void **state) {
  (void)state;
  tc_prom_writer w;
  tc_prom_init(&w);
  tc_error err;
  const char *good = "{\"role\":\"host\",\"kvm\":true,\"sgx\":{\"supported\":false,"
                     "\"enabled_in_kvm\":false,\"flc\":false,\"driver\":false,"
                     "\"epc_bytes\":null},\"tdx\":{\"host_supported\":false,\"enabled_in_kvm\":"
                     "false,\"module_initialized\":false,\"guest\":false,\"keyids\":0},\"sev\":{"
                     "\"supported\":true,\"es\":"
                     "false,\"snp\":false,\"enabled_in_kvm\":true,\"asids\":509,\"es_asids\":0,"
                     "\"guest\":\"none\"}}";
  json_t *j = json_loads(good, 0, NULL);
  assert_non_null(j);
  assert_int_equal(tc_exporter_write_tee(j, NULL, &w, &err), TC_OK);
  expect(w.text, "teectl_sev_asids", 509, "inline");
  /* legacy SEV alone: KVM can start SEV guests, but the node is not usable for Kata */
  expect(w.text, "teectl_tee_enabled{tee=\"sev\"}", 1, "inline");
  expect(w.text, "teectl_tee_enabled{tee=\"sev_snp\"}", 0, "inline");
  expect(w.text, "teectl_node_tee_usable", 0, "inline");
  tc_prom_free(&w);
  /* each damaged field is named */
  const struct {
    const char *obj, *key, *bad_json, *reason;
  } cases[] = {
      {"sev", "asids", "-1", "probe_field_type"},
      {"sev", "asids", "\"410\"", "probe_field_type"},
      {"sev", "guest", "\"tdx\"", "probe_field_type"},
      {"tdx", "keyids", "null", "probe_field_type"},
      {"sgx", "supported", "1", "probe_field_type"},
      {"sgx", "driver", "\"yes\"", "probe_field_type"},
      {"tdx", "module_initialized", "null", "probe_field_type"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *c = json_deep_copy(j);
    json_object_set_new(json_object_get(c, cases[i].obj), cases[i].key,
                        json_loads(cases[i].bad_json, JSON_DECODE_ANY, NULL));
    tc_prom_init(&w);
    assert_int_equal(tc_exporter_write_tee(c, NULL, &w, &err), TC_ERR_PARSE);
    assert_string_equal(err.reason, cases[i].reason);
    char path[64];
    snprintf(path, sizeof path, "%s.%s", cases[i].obj, cases[i].key);
    assert_non_null(strstr(err.detail, path));
    assert_null(w.text);
    tc_prom_free(&w);
    json_decref(c);
  }
  json_t *c = json_deep_copy(j);
  json_object_del(json_object_get(c, "sev"), "es_asids");
  assert_int_equal(tc_exporter_write_tee(c, NULL, &w, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "probe_field_missing");
  json_object_del(c, "tdx");
  assert_int_equal(tc_exporter_write_tee(c, NULL, &w, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "probe_field_missing");
  json_decref(c);
  json_decref(j);
  tc_prom_free(&w);
}

int main(int argc, char **argv) {
  const char *vectors = test_vectors_dir(argc, argv, "hosts");
  static char hosts[4096];
  snprintf(hosts, sizeof hosts, "%s/hosts", vectors);
  g_hosts = hosts;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_host_fixtures),         cmocka_unit_test(test_misc_current_root),
      cmocka_unit_test(test_misc_current_children), cmocka_unit_test(test_misc_parse),
      cmocka_unit_test(test_probe_json_rejections),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
