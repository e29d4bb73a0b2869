/* SPDX-License-Identifier: Apache-2.0 */
/* The exporter's HTTP endpoint under hostile load (issue 14 item 6): /healthz answers while a
 * scrape is stuck (the test holds the exporter's scrape lock, as a slow /proc would), while
 * 64 idle connections are open, and idle connections are closed within seconds; at most 4
 * scrapes wait at a time (a fifth is answered 503 at once). The server
 * runs in this process (tc_exporter_serve on loopback, port 0). */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "exporter_test.h"
#include "teectl/exporter.h"

static unsigned g_port;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* GET path; the answer (malloc'd, NUL-terminated) read until the server closes or
 * timeout_ms pass; "" when nothing came in time. */
static char *get(const char *path, int timeout_ms) {
  int fd = loopback_connect(g_port);
  char req[256];
  int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
  assert_int_equal(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  assert_non_null(buf);
  double end = now_s() + timeout_ms / 1000.0;
  for (;;) {
    int left = (int)((end - now_s()) * 1000);
    struct pollfd p = {fd, POLLIN, 0};
    if (left <= 0 || poll(&p, 1, left) <= 0)
      break;
    ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
    if (r <= 0)
      break;
    len += (size_t)r;
    if (len + 1 >= cap)
      break;
  }
  buf[len] = '\0';
  close(fd);
  return buf;
}

static void *get_metrics(void *arg) {
  (void)arg;
  return get("/metrics", 20000);
}

static void expect_healthz(const char *when) {
  double t0 = now_s();
  char *r = get("/healthz", 2000);
  double took = now_s() - t0;
  if (strncmp(r, "HTTP/1.0 200", 12) != 0 && strncmp(r, "HTTP/1.1 200", 12) != 0)
    fail_msg("/healthz %s: no 200 within 2 s (%.2f s): '%.40s'", when, took, r);
  assert_non_null(strstr(r, "\r\n\r\nok\n"));
  free(r);
}

static void test_healthz_never_waits(void **state) {
  (void)state;
  char *root = tmp_dir();
  put_text(root, "proc/uptime", "1.0 1.0\n");
  tc_exporter x;
  tc_exporter_opts o = {root, NULL, NULL, 100};
  tc_error err;
  assert_int_equal(tc_exporter_init(&x, &o, &err), TC_OK);
  tc_exporter_server *srv = NULL;
  assert_int_equal(tc_exporter_serve(&x, "127.0.0.1:0", &srv, &g_port, &err), TC_OK);
  expect_healthz("at start");

  /* a scrape that cannot finish: the test holds the scrape lock */
  pthread_mutex_lock(&x.lock);
  pthread_t scraper;
  assert_int_equal(pthread_create(&scraper, NULL, get_metrics, NULL), 0);
  struct timespec pause = {0, 300 * 1000000L};
  nanosleep(&pause, NULL);
  expect_healthz("while a scrape is stuck");

  /* three more scrapes wait too (4 at a time); a fifth is refused at once with 503 */
  pthread_t more[3];
  for (int i = 0; i < 3; i++)
    assert_int_equal(pthread_create(&more[i], NULL, get_metrics, NULL), 0);
  nanosleep(&pause, NULL);
  char *busy = get("/metrics", 2000);
  if (strncmp(busy, "HTTP/1.0 503", 12) != 0 && strncmp(busy, "HTTP/1.1 503", 12) != 0)
    fail_msg("a fifth concurrent scrape: '%.60s', want 503", busy);
  free(busy);

  /* 64 idle connections (the old connection limit) */
  int idle[64];
  for (int i = 0; i < 64; i++)
    idle[i] = loopback_connect(g_port);
  nanosleep(&pause, NULL);
  expect_healthz("with 64 idle connections and a stuck scrape");

  /* the scrape completes once the lock is free */
  pthread_mutex_unlock(&x.lock);
  char *m = NULL;
  assert_int_equal(pthread_join(scraper, (void **)&m), 0);
  assert_true(strncmp(m, "HTTP/1.0 200", 12) == 0 || strncmp(m, "HTTP/1.1 200", 12) == 0);
  assert_non_null(strstr(m, "\nteectl_exporter_scrapes_total "));
  free(m);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(pthread_join(more[i], (void **)&m), 0);
    assert_true(strncmp(m, "HTTP/1.0 200", 12) == 0 || strncmp(m, "HTTP/1.1 200", 12) == 0);
    free(m);
  }

  /* idle connections are closed by the server within the short idle timeout (5 s) */
  double t0 = now_s();
  int closed = 0;
  while (closed < 64 && now_s() - t0 < 9) {
    closed = 0;
    for (int i = 0; i < 64; i++) {
      struct pollfd p = {idle[i], POLLIN, 0};
      char b;
      if (poll(&p, 1, 0) > 0 && recv(idle[i], &b, 1, MSG_DONTWAIT) == 0)
        closed++;
    }
    if (closed < 64)
      nanosleep(&pause, NULL);
  }
  print_message("idle connections closed after %.1f s\n", now_s() - t0);
  assert_int_equal(closed, 64);
  for (int i = 0; i < 64; i++)
    close(idle[i]);
  expect_healthz("after the idle connections");

  tc_exporter_server_stop(srv);
  tc_exporter_destroy(&x);
  tmp_rm(root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_healthz_never_waits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
