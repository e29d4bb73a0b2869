/* SPDX-License-Identifier: Apache-2.0 */
/* `teectl serve` under load and at its limits, on loopback with raw sockets:
 *  - keep-alive clients at and around 128 per worker thread (libmicrohttpd 0.9.x's epoll
 *    loop handles at most 128 ready events per round and then blocks in epoll_wait while
 *    the ready connections wait: throughput collapsed to a trickle at the limit);
 *  - more clients than --max-connections: the extra ones wait, the server keeps serving,
 *    and serves them once others leave;
 *  - idle clients: a per-client connection cap and a short timeout for silent connections;
 *  - SIGTERM under load, many times: always a clean exit 0 (no abort in libmicrohttpd's
 *    quiesce, "Failed to remove listen FD from epoll set"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static const char REQ[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
static const char OK_BODY[] = "{\"status\":\"ok\"}";

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One request on each of n keep-alive connections; wait (up to timeout_s) for the answers.
 * Returns how many were answered 200 with the /healthz body. */
static int round_trip(int *fds, int n, double timeout_s) {
  char buf[512];
  size_t *got = calloc((size_t)n, sizeof *got);
  char **acc = calloc((size_t)n, sizeof *acc);
  struct pollfd *p = calloc((size_t)n, sizeof *p);
  assert_non_null(got);
  assert_non_null(acc);
  assert_non_null(p);
  for (int i = 0; i < n; i++) {
    acc[i] = calloc(1, 1024);
    if (send(fds[i], REQ, sizeof REQ - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof REQ - 1))
      got[i] = SIZE_MAX; /* closed by the server */
  }
  int answered = 0, open = n;
  double end = now_s() + timeout_s;
  while (open > 0 && now_s() < end) {
    int m = 0;
    for (int i = 0; i < n; i++)
      p[i] = (struct pollfd){got[i] == SIZE_MAX ? -1 : fds[i], POLLIN, 0};
    m = poll(p, (nfds_t)n, 50);
    for (int i = 0; m > 0 && i < n; i++) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      ssize_t k = recv(fds[i], buf, sizeof buf, 0);
      if (k <= 0 || got[i] + (size_t)k >= 1023) {
        got[i] = SIZE_MAX;
        open--;
        continue;
      }
      memcpy(acc[i] + got[i], buf, (size_t)k);
      got[i] += (size_t)k;
      if (strncmp(acc[i], "HTTP/1.1 200", 12) == 0 && strstr(acc[i], OK_BODY) != NULL) {
        answered++;
        open--;
        got[i] = SIZE_MAX; /* done this round */
      }
    }
  }
  for (int i = 0; i < n; i++)
    free(acc[i]);
  free(acc);
  free(got);
  free(p);
  return answered;
}

static void close_all(int *fds, int n) {
  for (int i = 0; i < n; i++)
    close(fds[i]);
}

/* 127, 128, 129 and 140 keep-alive clients on one worker thread: every round of requests
 * is answered at once (the collapse made each round wait for a timeout). */
static void test_keepalive_at_event_batch(void **state) {
  (void)state;
  srv s;
  srv_init(&s);
  const char *args[] = {
      "--threads", "1", "--max-connections", "200", "--max-connections-per-client", "0", NULL};
  assert_int_equal(srv_start(&s, args), 0);
  const int counts[] = {127, 128, 129, 140};
  int fds[140];
  for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
    int n = counts[c];
    for (int i = 0; i < n; i++)
      assert_true((fds[i] = srv_connect(&s)) >= 0);
    double t0 = now_s();
    for (int r = 0; r < 10; r++) {
      int a = round_trip(fds, n, 5.0);
      if (a != n)
        fail_msg("%d connections, round %d: %d answered", n, r, a);
    }
    double t = now_s() - t0;
    print_message("%d keep-alive connections: 10 rounds in %.3f s\n", n, t);
    assert_true(t < 3.0);
    close_all(fds, n);
  }
  assert_int_equal(srv_stop(&s), 0);
  srv_cleanup(&s);
}

/* 24 clients against --max-connections 16 on two threads: 16 are served, 8 wait in the
 * backlog; when the 16 leave, the 8 are served, and so is a new client. */
static void test_beyond_the_limit(void **state) {
  (void)state;
  srv s;
  srv_init(&s);
  const char *args[] = {"--threads", "2", "--max-connections", "16", "--max-connections-per-client",
                        "0",         NULL};
  assert_int_equal(srv_start(&s, args), 0);
  int fds[24];
  for (int i = 0; i < 24; i++)
    assert_true((fds[i] = srv_connect(&s)) >= 0);
  struct timespec pause = {0, 200 * 1000 * 1000};
  nanosleep(&pause, NULL); /* let the server accept what it will */
  assert_int_equal(round_trip(fds, 16, 3.0), 16);
  int waiting = round_trip(fds + 16, 8, 1.0);
  assert_int_equal(waiting, 0); /* beyond the limit: not accepted while the 16 stay */
  close_all(fds, 16);
  /* Each waiting client sent its request already: read the answers. */
  int served = 0;
  char buf[1024];
  for (int i = 16; i < 24; i++) {
    long k = 0;
    size_t n = 0;
    double end = now_s() + 3.0;
    buf[0] = '\0';
    while (strstr(buf, OK_BODY) == NULL && now_s() < end) {
      struct pollfd p = {fds[i], POLLIN, 0};
      if (poll(&p, 1, 100) <= 0)
        continue;
      k = recv(fds[i], buf + n, sizeof buf - n - 1, 0);
      if (k <= 0)
        break;
      n += (size_t)k;
      buf[n] = '\0';
    }
    served += strstr(buf, OK_BODY) != NULL;
  }
  assert_int_equal(served, 8);
  close_all(fds + 16, 8);
  int fresh = srv_connect(&s);
  assert_true(fresh >= 0);
  assert_int_equal(round_trip(&fresh, 1, 2.0), 1);
  close(fresh);
  assert_int_equal(srv_stop(&s), 0);
  srv_cleanup(&s);
}

/* A connection to the server from the loopback address src (another client). */
static int connect_from(const srv *s, const char *src) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0}, b = {0};
  b.sin_family = AF_INET;
  inet_pton(AF_INET, src, &b.sin_addr);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)s->port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&b, sizeof b), 0);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  return fd;
}

/* Closed by the server within timeout_ms (EOF or reset), without our sending anything. */
static int closed_within(int fd, int timeout_ms) {
  struct pollfd p = {fd, POLLIN, 0};
  char b[64];
  return poll(&p, 1, timeout_ms) > 0 && recv(fd, b, sizeof b, MSG_DONTWAIT) <= 0;
}

/* Idle clients cannot starve the service: one client address gets at most
 * --max-connections-per-client connections (more are closed at once), a connection that
 * sends nothing is closed after --header-timeout, another client is served meanwhile, and
 * a keep-alive client that did send a request keeps the longer --connection-timeout. */
static void test_idle_clients(void **state) {
  (void)state;
  srv s;
  srv_init(&s);
  const char *args[] = {"--max-connections-per-client",
                        "4",
                        "--header-timeout",
                        "1",
                        "--connection-timeout",
                        "10",
                        NULL};
  assert_int_equal(srv_start(&s, args), 0);
  int keep = srv_connect(&s);
  assert_true(keep >= 0);
  assert_int_equal(round_trip(&keep, 1, 2.0), 1); /* one of 127.0.0.1's four */
  int idle[5];
  for (int i = 0; i < 5; i++)
    assert_true((idle[i] = srv_connect(&s)) >= 0);
  double t0 = now_s();
  int refused = 0;
  for (int i = 0; i < 5; i++)
    refused += closed_within(idle[i], 300);
  assert_int_equal(refused, 2); /* 1 + 5 connections from one address, cap 4 */
  int other = connect_from(&s, "127.0.0.2");
  assert_int_equal(round_trip(&other, 1, 1.0), 1);
  close(other);
  int closed = 0;
  for (int i = 0; i < 5; i++)
    closed += closed_within(idle[i], 2500);
  double t = now_s() - t0;
  print_message("silent connections closed after %.2f s\n", t);
  assert_int_equal(closed, 5);
  assert_true(t >= 0.8 && t < 3.0);
  /* The keep-alive connection outlived the header timeout and still works. */
  assert_false(closed_within(keep, 0));
  assert_int_equal(round_trip(&keep, 1, 2.0), 1);
  close(keep);
  close_all(idle, 5);
  assert_int_equal(srv_stop(&s), 0);
  srv_cleanup(&s);
}

struct load {
  const srv *s;
  atomic_int stop;
};

/* New connections, one request each, as fast as the server takes them. */
static void *hammer(void *arg) {
  struct load *l = arg;
  char buf[1024];
  while (!atomic_load(&l->stop)) {
    int fd = srv_connect(l->s);
    if (fd < 0) {
      struct timespec ts = {0, 2 * 1000 * 1000};
      nanosleep(&ts, NULL);
      continue;
    }
    (void)!send(fd, REQ, sizeof REQ - 1, MSG_NOSIGNAL);
    (void)srv_read_all(fd, buf, sizeof buf, 200);
    close(fd);
  }
  return NULL;
}

/* SIGTERM while clients connect and send, 30 times: every stop is a clean exit 0. */
static void test_sigterm_under_load(void **state) {
  (void)state;
  double t0 = now_s();
  for (int i = 0; i < 30; i++) {
    srv s;
    srv_init(&s);
    const char *args[] = {"--threads", "4", "--drain-timeout", "1", NULL};
    assert_int_equal(srv_start(&s, args), 0);
    struct load l = {&s, 0};
    pthread_t th[3];
    for (int t = 0; t < 3; t++)
      assert_int_equal(pthread_create(&th[t], NULL, hammer, &l), 0);
    struct timespec pause = {0, 30 * 1000 * 1000};
    nanosleep(&pause, NULL);
    int rc = srv_stop(&s);
    atomic_store(&l.stop, 1);
    for (int t = 0; t < 3; t++)
      pthread_join(th[t], NULL);
    if (rc != 0)
      fail_msg("stop %d under load: exit %d", i, rc);
    srv_cleanup(&s);
  }
  print_message("30 stops under load in %.2f s\n", now_s() - t0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keepalive_at_event_batch),
      cmocka_unit_test(test_beyond_the_limit),
      cmocka_unit_test(test_idle_clients),
      cmocka_unit_test(test_sigterm_under_load),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
