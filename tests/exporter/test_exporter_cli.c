/* SPDX-License-Identifier: Apache-2.0 */
/* `teectl exporter` as a program: usage errors, --once over every host fixture and over a
 * fake Kata node, each output accepted by `promtool check metrics` (Debian package
 * prometheus), and the HTTP endpoint answering GET /metrics. */
#include <arpa/inet.h>
#include <dirent.h>
#include <jansson.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <cmocka.h>

#include "exporter_test.h"
#include "teectl/file.h"
#include "testlib.h"

static const char *g_bin;
static const char *g_hosts;
static char *g_promtool;

/* promtool check metrics < file: exit 0 and nothing reported. */
static void promtool_ok(const char *text, const char *what) {
  char *dir = tmp_dir();
  put_text(dir, "metrics.txt", text);
  char in[4200], errp[4200];
  snprintf(in, sizeof in, "%s/metrics.txt", dir);
  snprintf(errp, sizeof errp, "%s/promtool.err", dir);
  char *argv[] = {g_promtool, "check", "metrics", NULL};
  char *out = NULL;
  int rc = run_capture(argv, in, errp, &out);
  tc_buf eb = test_read_file(errp);
  if (rc != 0 || out[0] != '\0' || eb.len != 0)
    fail_msg("%s: promtool check metrics exit %d: %s%.*s", what, rc, out, (int)eb.len,
             (const char *)eb.data);
  tc_buf_free(&eb);
  free(out);
  tmp_rm(dir);
}

static int run_bin(const char *const args[], char **out, char **err_text) {
  char *argv[32];
  int n = 0;
  argv[n++] = (char *)g_bin;
  for (size_t i = 0; args[i] && n < 31; i++)
    argv[n++] = (char *)args[i];
  argv[n] = NULL;
  char *dir = tmp_dir();
  char errp[4200];
  snprintf(errp, sizeof errp, "%s/stderr", dir);
  int rc = run_capture(argv, NULL, errp, out);
  if (err_text) {
    tc_buf b = test_read_file(errp);
    *err_text = malloc(b.len + 1);
    memcpy(*err_text, b.data, b.len);
    (*err_text)[b.len] = '\0';
    tc_buf_free(&b);
  }
  tmp_rm(dir);
  return rc;
}

static int count_lines(const char *s) {
  int n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

static void test_usage(void **state) {
  (void)state;
  char *out, *err;
  const char *help[] = {"exporter", "--help", NULL};
  assert_int_equal(run_bin(help, &out, &err), 0);
  assert_non_null(strstr(out, "Usage: teectl exporter"));
  free(out);
  free(err);
  const char *bogus[] = {"exporter", "--bogus", NULL};
  assert_int_equal(run_bin(bogus, &out, &err), 2);
  assert_int_equal(count_lines(err), 1);
  assert_non_null(strstr(err, "--bogus"));
  free(out);
  free(err);
  const char *noval[] = {"exporter", "--root", NULL};
  assert_int_equal(run_bin(noval, &out, &err), 2);
  assert_int_equal(count_lines(err), 1);
  free(out);
  free(err);
  const char *noroot[] = {"exporter", "--once", "--root", "/nonexistent/teectl-root", NULL};
  assert_int_equal(run_bin(noroot, &out, &err), 2);
  assert_non_null(strstr(err, "/nonexistent/teectl-root"));
  free(out);
  free(err);
  /* --root without --cpuid: CPUID would come from this machine; one warning line says so */
  char root[4500];
  snprintf(root, sizeof root, "%s/milan-snp-host/root", g_hosts);
  const char *nocpuid[] = {"exporter", "--once", "--root", root, NULL};
  assert_int_equal(run_bin(nocpuid, &out, &err), 0);
  assert_non_null(strstr(err, "teectl exporter: warning: CPUID is read from this machine's CPU, "
                              "not from the root; pass --cpuid FILE for a fixture\n"));
  free(out);
  free(err);
  const char *badlisten[] = {"exporter", "--listen", "localhost", NULL};
  assert_int_equal(run_bin(badlisten, &out, &err), 2);
  assert_int_equal(count_lines(err), 1);
  free(out);
  free(err);
  const char *badport[] = {"exporter", "--listen", "127.0.0.1:70000", NULL};
  assert_int_equal(run_bin(badport, &out, &err), 2);
  free(out);
  free(err);
}

static void test_once_fixtures(void **state) {
  (void)state;
  DIR *d = opendir(g_hosts);
  assert_non_null(d);
  struct dirent *de;
  int n = 0;
  while ((de = readdir(d)) != NULL) {
    char dir[4400], root[4500], cpuid[4500], dev[4500], exp[4500];
    snprintf(dir, sizeof dir, "%s/%s", g_hosts, de->d_name);
    snprintf(exp, sizeof exp, "%s/expected.json", dir);
    if (de->d_name[0] == '.' || !tc_file_exists(exp))
      continue;
    snprintf(root, sizeof root, "%s/root", dir);
    snprintf(cpuid, sizeof cpuid, "%s/cpuid.txt", dir);
    snprintf(dev, sizeof dev, "%s/DEVICES.txt", dir);
    const char *args[] = {"exporter", "--once",         "--root", root, "--cpuid",
                          cpuid,      "--char-devices", dev,      NULL};
    char *out, *err;
    int rc = run_bin(args, &out, &err);
    if (rc != 0)
      fail_msg("%s: exit %d: %s", de->d_name, rc, err);
    assert_null(strstr(err, "warning")); /* --cpuid given: CPUID from the fixture */
    promtool_ok(out, de->d_name);
    /* one value cross-checked against expected.json (the full set: test_exporter_tee) */
    json_t *e = json_load_file(exp, 0, NULL);
    assert_non_null(e);
    double v;
    assert_true(series_value(out, "teectl_sev_asids", &v));
    assert_true(v ==
                (double)json_integer_value(json_object_get(json_object_get(e, "sev"), "asids")));
    json_decref(e);
    free(out);
    free(err);
    n++;
  }
  closedir(d);
  assert_true(n >= 1);
}

/* A node with one Kata sandbox: the per-sandbox families, validated by promtool. */
static void test_once_kata(void **state) {
  (void)state;
  char *root = tmp_dir();
  put_text(root, "proc/1/stat", "1 (systemd) S 0 1 1 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 1 1\n");
  put_text(root, "proc/1/status", "Name:\tsystemd\nVmRSS:\t 100 kB\n");
  put_file(root, "proc/1/cmdline", "/sbin/init", 11);
  put_text(root, "proc/10/stat",
           "10 (containerd-shim) S 1 10 10 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 1 1 1\n");
  put_text(root, "proc/10/status", "Name:\tcontainerd-shim\nVmRSS:\t 200 kB\n");
  static const char shim[] = "containerd-shim-kata-v2\0-namespace\0k8s.io\0-id\0sbx-a\0";
  put_file(root, "proc/10/cmdline", shim, sizeof shim - 1);
  put_text(root, "proc/11/stat",
           "11 (qemu-system-x86) S 10 11 11 0 -1 0 0 0 0 0 250 50 0 0 20 0 1 0 1 1 1\n");
  put_text(root, "proc/11/status", "Name:\tqemu-system-x86\nVmRSS:\t 4096 kB\n");
  static const char qemu[] = "/opt/kata/bin/qemu-system-x86_64\0-object\0tdx-guest,id=tdx\0";
  put_file(root, "proc/11/cmdline", qemu, sizeof qemu - 1);
  put_text(root, "run/containerd/io.containerd.runtime.v2.task/k8s.io/sbx-a/config.json",
           "{\"annotations\":{\"io.kubernetes.cri.sandbox-name\":\"p\\\"q\","
           "\"io.kubernetes.cri.sandbox-namespace\":\"default\"}}");
  put_text(root, "cpuid.txt", "# none\n");
  put_text(root, "DEVICES.txt", "# none\n");
  char r[4200], c[4200], dv[4200];
  snprintf(r, sizeof r, "%s", root);
  snprintf(c, sizeof c, "%s/cpuid.txt", root);
  snprintf(dv, sizeof dv, "%s/DEVICES.txt", root);
  const char *args[] = {"exporter", "--once",         "--root", r,   "--cpuid",
                        c,          "--char-devices", dv,       NULL};
  char *out, *err;
  assert_int_equal(run_bin(args, &out, &err), 0);
  promtool_ok(out, "kata node");
  double v;
  long tck = sysconf(_SC_CLK_TCK);
  /* "p\"q" is no Kubernetes pod name (RFC 1123 subdomain): it is not used */
  assert_true(series_value(out,
                           "teectl_kata_sandbox_cpu_seconds_total{sandbox_id=\"sbx-a\","
                           "pod=\"\",namespace=\"default\",hypervisor=\"qemu\",tee=\"tdx\","
                           "runtime_class=\"\"}",
                           &v));
  assert_true(v == 300.0 / (double)tck);
  assert_true(series_value(
      out, "teectl_kata_sandboxes{hypervisor=\"qemu\",tee=\"tdx\",runtime_class=\"\"}", &v));
  assert_true(v == 1);
  assert_true(series_value(out, "teectl_kata_sandboxes_running", &v)); /* the one sandbox */
  assert_true(v == 1);
  free(out);
  free(err);
  tmp_rm(root);
}

/* A collector that fails (no proc folder): metrics still printed, the error on stderr,
 * exit 2. */
static void test_once_collector_failure(void **state) {
  (void)state;
  char *root = tmp_dir();
  put_text(root, "cpuid.txt", "# none\n");
  put_text(root, "DEVICES.txt", "# none\n");
  char c[4200], dv[4200];
  snprintf(c, sizeof c, "%s/cpuid.txt", root);
  snprintf(dv, sizeof dv, "%s/DEVICES.txt", root);
  const char *args[] = {"exporter", "--once",         "--root", root, "--cpuid",
                        c,          "--char-devices", dv,       NULL};
  char *out, *err;
  assert_int_equal(run_bin(args, &out, &err), 2);
  /* a plain message: the collector and the folder, no internal reason code */
  assert_non_null(strstr(err, "teectl exporter: collector failed: "));
  assert_non_null(strstr(err, "/proc"));
  assert_null(strstr(err, "proc_unreadable"));
  double v;
  assert_true(series_value(out, "teectl_exporter_collector_success{collector=\"kata\"}", &v));
  assert_true(v == 0);
  assert_true(series_value(out, "teectl_exporter_scrape_errors_total{collector=\"kata\"}", &v));
  assert_true(v == 1);
  promtool_ok(out, "failed collector");
  free(out);
  free(err);
  tmp_rm(root);
}

/* Minimal HTTP/1.0 GET over loopback; returns the whole response (malloc'd). */
static char *http_get(unsigned port, const char *method, const char *path) {
  int fd = loopback_connect(port);
  char req[256];
  int n = snprintf(req, sizeof req, "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", method, path);
  assert_int_equal(write(fd, req, (size_t)n), n);
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  ssize_t r;
  while ((r = read(fd, buf + len, cap - len - 1)) > 0) {
    len += (size_t)r;
    if (len + 1 >= cap) {
      cap *= 2;
      buf = realloc(buf, cap);
    }
  }
  buf[len] = '\0';
  close(fd);
  return buf;
}

static pid_t g_server;

static int stop_server(void **state) {
  (void)state;
  if (g_server > 0)
    stop_child(g_server);
  g_server = 0;
  return 0;
}

static void test_http(void **state) {
  (void)state;
  char *dir = tmp_dir();
  char log[4200], root[4500], cpuid[4500], dev[4500];
  snprintf(log, sizeof log, "%s/exporter.log", dir);
  snprintf(root, sizeof root, "%s/milan-snp-host/root", g_hosts);
  snprintf(cpuid, sizeof cpuid, "%s/milan-snp-host/cpuid.txt", g_hosts);
  snprintf(dev, sizeof dev, "%s/milan-snp-host/DEVICES.txt", g_hosts);
  char *argv[] = {(char *)g_bin, "exporter", "--listen",       "127.0.0.1:0", "--root", root,
                  "--cpuid",     cpuid,      "--char-devices", dev,           NULL};
  g_server = spawn(argv, log);
  unsigned port = test_wait_log_port(log);
  assert_true(port > 0);

  char *resp = http_get(port, "GET", "/metrics");
  assert_non_null(strstr(resp, "HTTP/1.0 200") ? resp : strstr(resp, "HTTP/1.1 200"));
  assert_non_null(strstr(resp, "text/plain; version=0.0.4; charset=utf-8"));
  const char *body = strstr(resp, "\r\n\r\n");
  assert_non_null(body);
  body += 4;
  promtool_ok(body, "GET /metrics");
  double v;
  assert_true(series_value(body, "teectl_sev_asids", &v)); /* milan-snp-host: misc sev 410 */
  assert_true(v == 410);
  free(resp);
  /* a second scrape counts */
  resp = http_get(port, "GET", "/metrics");
  body = strstr(resp, "\r\n\r\n");
  assert_true(series_value(body + 4, "teectl_exporter_scrapes_total", &v));
  assert_true(v == 2);
  free(resp);
  /* /healthz: 200 "ok", and it does not scrape (the scrape counter stays at 2) */
  resp = http_get(port, "GET", "/healthz");
  assert_non_null(strstr(resp, " 200 "));
  body = strstr(resp, "\r\n\r\n");
  assert_non_null(body);
  assert_string_equal(body + 4, "ok\n");
  free(resp);
  resp = http_get(port, "GET", "/metrics");
  body = strstr(resp, "\r\n\r\n");
  assert_true(series_value(body + 4, "teectl_exporter_scrapes_total", &v));
  assert_true(v == 3);
  assert_true(series_value(body + 4, "teectl_kata_sandboxes_running", &v)); /* no processes */
  assert_true(v == 0);
  promtool_ok(body + 4, "GET /metrics after /healthz");
  free(resp);
  resp = http_get(port, "GET", "/nope");
  assert_non_null(strstr(resp, " 404 "));
  free(resp);
  resp = http_get(port, "DELETE", "/metrics");
  assert_non_null(strstr(resp, " 405 "));
  free(resp);
  /* A second exporter on the busy port: the same one line and exit 1 as `serve` (the
   * system's reason, nothing from libmicrohttpd's own log). */
  char busy[64], want[200], *out, *err;
  snprintf(busy, sizeof busy, "127.0.0.1:%u", port);
  const char *again[] = {"exporter", "--listen",       busy, "--root", root, "--cpuid",
                         cpuid,      "--char-devices", dev,  NULL};
  assert_int_equal(run_bin(again, &out, &err), 1);
  snprintf(want, sizeof want,
           "teectl exporter: could not start the HTTP server on %s: Address already in use "
           "(listen_failed)\n",
           busy);
  assert_string_equal(err, want);
  free(out);
  free(err);
  assert_int_equal(stop_child(g_server), 0); /* SIGTERM: clean stop, exit 0 */
  g_server = 0;
  tmp_rm(dir);
}

int main(int argc, char **argv) {
  const char *vectors = test_vectors_dir(argc, argv, "hosts");
  static char hosts[4096];
  snprintf(hosts, sizeof hosts, "%s/hosts", vectors);
  g_hosts = hosts;
  g_bin = test_teectl_bin();
  if (g_bin == NULL || access(g_bin, X_OK) != 0) {
    fprintf(stderr, "FAIL: TEECTL_BIN is not set to the built teectl\n");
    return 1;
  }
  require_tool("promtool", &g_promtool);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_usage),
      cmocka_unit_test(test_once_fixtures),
      cmocka_unit_test(test_once_kata),
      cmocka_unit_test(test_once_collector_failure),
      cmocka_unit_test_teardown(test_http, stop_server),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  free(g_promtool);
  return rc;
}
