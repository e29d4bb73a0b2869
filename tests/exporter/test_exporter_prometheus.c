/* SPDX-License-Identifier: Apache-2.0 */
/* A real Prometheus server (Debian package prometheus) on loopback scrapes
 * `teectl exporter` run over a host fixture; the series are read back through
 * Prometheus's HTTP API (/api/v1/query) and compared with the fixture's expected.json.
 * Bounded: gives up after 30 s. Without the prometheus binary: skip, or fail with CI=true. */
#include <arpa/inet.h>
#include <curl/curl.h>
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

#define FIXTURE "milan-snp-host"
#define DEADLINE_SECONDS 30

static const char *g_bin;
static const char *g_hosts;
static char *g_prometheus;
static pid_t g_exporter, g_server;
static char *g_dir;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A loopback port that was free a moment ago. */
static unsigned free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  socklen_t len = sizeof sa;
  assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
  close(fd);
  return ntohs(sa.sin_port);
}

struct body {
  char *data;
  size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud) {
  struct body *b = ud;
  size_t add = size * n;
  char *g = realloc(b->data, b->len + add + 1);
  if (g == NULL)
    return 0;
  memcpy(g + b->len, p, add);
  b->len += add;
  g[b->len] = '\0';
  b->data = g;
  return add;
}

/* GET /api/v1/query?query=<q>; the parsed JSON answer or NULL (server not up yet). */
static json_t *query(unsigned port, const char *q) {
  CURL *c = curl_easy_init();
  assert_non_null(c);
  char *esc = curl_easy_escape(c, q, 0);
  char url[1024];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/api/v1/query?query=%s", port, esc);
  curl_free(esc);
  struct body b = {NULL, 0};
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  json_t *j = NULL;
  if (rc == CURLE_OK && status == 200 && b.data)
    j = json_loads(b.data, 0, NULL);
  free(b.data);
  return j;
}

/* The single sample value of an instant query's vector result; 1 when exactly one. */
static int single_value(const json_t *answer, double *v) {
  const char *status = json_string_value(json_object_get(answer, "status"));
  if (status == NULL || strcmp(status, "success") != 0)
    return 0;
  const json_t *res = json_object_get(json_object_get(answer, "data"), "result");
  if (json_array_size(res) != 1)
    return 0;
  const char *s =
      json_string_value(json_array_get(json_object_get(json_array_get(res, 0), "value"), 1));
  if (s == NULL)
    return 0;
  *v = strtod(s, NULL);
  return 1;
}

/* Query until exactly one sample comes back, or the deadline passes. */
static double wait_value(unsigned port, const char *q, double deadline) {
  for (;;) {
    json_t *a = query(port, q);
    double v;
    int ok = single_value(a, &v);
    json_decref(a);
    if (ok)
      return v;
    if (now_s() > deadline)
      fail_msg("Prometheus returned no single sample for '%s' within %d s", q, DEADLINE_SECONDS);
    usleep(200000);
  }
}

static int teardown(void **state) {
  (void)state;
  if (g_server > 0)
    stop_child(g_server);
  if (g_exporter > 0)
    stop_child(g_exporter);
  g_server = g_exporter = 0;
  if (g_dir) {
    tmp_rm(g_dir);
    g_dir = NULL;
  }
  return 0;
}

static void test_prometheus_scrapes_exporter(void **state) {
  (void)state;
  double deadline = now_s() + DEADLINE_SECONDS;
  g_dir = tmp_dir();
  char root[4500], cpuid[4500], dev[4500], exp[4500], log[4200], plog[4200], cfg[4200], data[4200];
  snprintf(root, sizeof root, "%s/" FIXTURE "/root", g_hosts);
  snprintf(cpuid, sizeof cpuid, "%s/" FIXTURE "/cpuid.txt", g_hosts);
  snprintf(dev, sizeof dev, "%s/" FIXTURE "/DEVICES.txt", g_hosts);
  snprintf(exp, sizeof exp, "%s/" FIXTURE "/expected.json", g_hosts);
  snprintf(log, sizeof log, "%s/exporter.log", g_dir);
  snprintf(plog, sizeof plog, "%s/prometheus.log", g_dir);
  snprintf(cfg, sizeof cfg, "%s/prometheus.yml", g_dir);
  snprintf(data, sizeof data, "%s/data", g_dir);

  char *eargv[] = {(char *)g_bin, "exporter", "--listen",       "127.0.0.1:0", "--root", root,
                   "--cpuid",     cpuid,      "--char-devices", dev,           NULL};
  g_exporter = spawn(eargv, log);
  unsigned eport = test_wait_log_port(log);
  assert_true(eport > 0);

  char yml[1024];
  snprintf(yml, sizeof yml,
           "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
           "scrape_configs:\n  - job_name: teectl\n    static_configs:\n"
           "      - targets: ['127.0.0.1:%u']\n",
           eport);
  put_text(g_dir, "prometheus.yml", yml);
  unsigned pport = free_port();
  char cfg_arg[4300], data_arg[4300], listen_arg[64];
  snprintf(cfg_arg, sizeof cfg_arg, "--config.file=%s", cfg);
  snprintf(data_arg, sizeof data_arg, "--storage.tsdb.path=%s", data);
  snprintf(listen_arg, sizeof listen_arg, "--web.listen-address=127.0.0.1:%u", pport);
  char *pargv[] = {g_prometheus, cfg_arg, data_arg, listen_arg, "--log.level=warn", NULL};
  g_server = spawn(pargv, plog);

  /* Values independently from expected.json. */
  json_t *e = json_load_file(exp, 0, NULL);
  assert_non_null(e);
  const json_t *sev = json_object_get(e, "sev");
  double asids = (double)json_integer_value(json_object_get(sev, "asids"));
  double es_asids = (double)json_integer_value(json_object_get(sev, "es_asids"));
  double snp = json_is_true(json_object_get(sev, "snp"));
  double sev_on = json_is_true(json_object_get(sev, "supported")) &&
                  json_is_true(json_object_get(sev, "enabled_in_kvm"));
  json_decref(e);

  assert_true(wait_value(pport, "up{job=\"teectl\"}", deadline) == 1);
  assert_true(wait_value(pport, "teectl_sev_asids{job=\"teectl\"}", deadline) == asids);
  assert_true(wait_value(pport, "teectl_sev_es_asids", deadline) == es_asids);
  assert_true(wait_value(pport, "teectl_tee_enabled{tee=\"sev_snp\"}", deadline) == snp);
  assert_true(wait_value(pport, "teectl_tee_enabled{tee=\"sev\"}", deadline) == sev_on);
  assert_true(wait_value(pport, "sum(teectl_exporter_scrape_errors_total)", deadline) == 0);
  assert_true(wait_value(pport, "teectl_exporter_scrapes_total", deadline) >= 1);
  /* Prometheus's own view of the exposition: no samples rejected in the last scrape. */
  assert_true(wait_value(pport, "scrape_samples_post_metric_relabeling{job=\"teectl\"}", deadline) >
              0);

  assert_int_equal(stop_child(g_server), 0);
  g_server = 0;
  assert_int_equal(stop_child(g_exporter), 0);
  g_exporter = 0;
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
  require_tool("prometheus", &g_prometheus);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_prometheus_scrapes_exporter, teardown),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  free(g_prometheus);
  return rc;
}
