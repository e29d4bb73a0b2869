/* SPDX-License-Identifier: Apache-2.0 */
/* `teectl serve --fetch` against a collateral server that accepts connections and never
 * answers (a local "black hole"): one request's fetching ends by --fetch-deadline, the
 * service stays answerable meanwhile (/healthz), fetches beyond --max-fetches do not wait,
 * malformed evidence never reaches the network, and SIGTERM ends the process by
 * --drain-timeout even while a fetch hangs; --host-backoff against a KDS that refuses. Evidence:
 * SNP reports forged at test time (snp_forge) for chips whose VCEK is nowhere but behind the black
 * hole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <openssl/sha.h>
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
#include "snp_forge.h"

static const uint8_t NONCE_KEY[32] = "stall-test-nonce-key-32-bytes-!!";

/* ------------------------------------------------------------------ the black hole */

static struct {
  int lfd;
  unsigned port;
  atomic_int accepted, stop;
  int fds[256];
  pthread_t th;
} H;

static void *hole_run(void *arg) {
  (void)arg;
  while (!atomic_load(&H.stop)) {
    struct pollfd p = {H.lfd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0)
      continue;
    int fd = accept(H.lfd, NULL, NULL);
    if (fd < 0)
      continue;
    int n = atomic_fetch_add(&H.accepted, 1);
    if (n < 256)
      H.fds[n] = fd; /* held open, never read, never answered */
    else
      close(fd);
  }
  return NULL;
}

/* A TCP socket bound to a free loopback port (*port). */
static int loopback_socket(unsigned *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &len);
  *port = ntohs(a.sin_port);
  return fd;
}

static void hole_start(void) {
  H.lfd = loopback_socket(&H.port);
  assert_int_equal(listen(H.lfd, 64), 0);
  assert_int_equal(pthread_create(&H.th, NULL, hole_run, NULL), 0);
}

static void hole_stop(void) {
  atomic_store(&H.stop, 1);
  pthread_join(H.th, NULL);
  int n = atomic_load(&H.accepted);
  for (int i = 0; i < n && i < 256; i++)
    close(H.fds[i]);
  close(H.lfd);
}

/* ------------------------------------------------------------------ helpers */

static snp_forge *F;
static srv KEEP; /* its folder holds ARK and NK for every test; removed by teardown */
static char ARK[600], NK[600];

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* teectl serve fetching SNP collateral from 127.0.0.1:kds_port (no pacing), with more. */
static void start_with(srv *s, unsigned kds_port, const char *const *more) {
  char url[64], cache[400];
  snprintf(url, sizeof url, "http://127.0.0.1:%u", kds_port);
  srv_init(s);
  snprintf(cache, sizeof cache, "%s/cache", s->dir);
  const char *args[32] = {"--trust-root", ARK,   "--nonce-key",    NK, "--fetch", "--kds-url", url,
                          "--cache-dir",  cache, "--kds-interval", "0"};
  size_t n = 11;
  for (size_t i = 0; more[i] != NULL && n < 31; i++)
    args[n++] = more[i];
  args[n] = NULL;
  assert_int_equal(srv_start(s, args), 0);
}

static void start(srv *s, const char *deadline, const char *drain) {
  const char *more[] = {"--fetch-deadline",
                        deadline,
                        "--max-fetches",
                        "1",
                        "--threads",
                        "2",
                        "--drain-timeout",
                        drain,
                        NULL};
  start_with(s, H.port, more);
}

/* POST /v1/attest with a report of a chip no one has the VCEK of (chip_id[0] = chip); with
 * ask_ark the request brings the ASK and ARK, so that the only object to fetch is that
 * chip's VCEK. */
static long attest_chip_with(const srv *s, uint8_t chip, int ask_ark, json_t **resp) {
  uint8_t raw[SRV_NONCE_BYTES];
  char *n = srv_challenge(s, raw);
  assert_non_null(n);
  tc_snp_report r;
  snp_forge_report_init(F, 3, &r);
  r.chip_id[0] = chip;
  SHA512(raw, SRV_NONCE_BYTES, r.report_data);
  uint8_t rep[TC_SNP_REPORT_SIZE];
  assert_int_equal(snp_forge_sign_report(F, &r, rep), 0);
  char *ev = b64_std(rep, sizeof rep);
  json_t *req = json_pack("{s:s, s:s, s:s}", "tee", "snp", "evidence", ev, "nonce", n);
  if (ask_ark) {
    const tc_buf *ask = snp_forge_ask_pem(F), *ark = snp_forge_ark_pem(F);
    json_object_set_new(req, "collateral",
                        json_pack("{s:[s#, s#]}", "certificates", (const char *)ask->data,
                                  (int)ask->len, (const char *)ark->data, (int)ark->len));
  }
  long st = http_json(s, "/v1/attest", req, resp);
  free(ev);
  free(n);
  return st;
}

static long attest_chip(const srv *s, uint8_t chip, json_t **resp) {
  return attest_chip_with(s, chip, 0, resp);
}

struct call {
  const srv *s;
  uint8_t chip;
  long status;
  double seconds;
};

static void *attest_thread(void *arg) {
  struct call *c = arg;
  json_t *resp = NULL;
  double t0 = now_s();
  c->status = attest_chip(c->s, c->chip, &resp);
  c->seconds = now_s() - t0;
  json_decref(resp);
  return NULL;
}

static int setup(void **state) {
  (void)state;
  snp_forge_opts o;
  snp_forge_opts_init(&o, TC_SNP_MILAN, 0);
  F = snp_forge_new(&o);
  if (F == NULL)
    return -1;
  hole_start();
  srv_init(&KEEP);
  const tc_buf *ark = snp_forge_ark_pem(F);
  char *a = srv_write(&KEEP, "ark.pem", ark->data, ark->len);
  char *k = srv_write(&KEEP, "nonce.key", NONCE_KEY, 32);
  snprintf(ARK, sizeof ARK, "%s", a);
  snprintf(NK, sizeof NK, "%s", k);
  free(a);
  free(k);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  hole_stop();
  srv_cleanup(&KEEP);
  snp_forge_free(F);
  return 0;
}

/* ------------------------------------------------------------------ tests */

/* Malformed evidence and a bad signature over a known VCEK fetch nothing (checked first,
 * while nothing is held off); one request's fetching ends by the deadline; /healthz
 * answers meanwhile; a second request beyond --max-fetches 1 does not wait. */
static void test_stall_bounded(void **state) {
  (void)state;
  srv s;
  start(&s, "2", "5");
  /* Malformed evidence: refused without a connection to the collateral server. */
  int before = atomic_load(&H.accepted);
  uint8_t junk[TC_SNP_REPORT_SIZE];
  memset(junk, 0x5a, sizeof junk);
  char *ev = b64_std(junk, sizeof junk);
  json_t *resp = NULL;
  long st =
      http_json(&s, "/v1/attest", json_pack("{s:s, s:s}", "tee", "snp", "evidence", ev), &resp);
  free(ev);
  assert_true(st == 400 || st == 403);
  json_decref(resp);
  assert_int_equal(atomic_load(&H.accepted), before);
  /* A report whose signature does not verify under the VCEK the request brings (with its
   * ASK and ARK): refused without fetching the CRL the request lacks. */
  uint8_t raw[SRV_NONCE_BYTES];
  char *nonce = srv_challenge(&s, raw);
  assert_non_null(nonce);
  tc_snp_report r;
  snp_forge_report_init(F, 3, &r);
  SHA512(raw, SRV_NONCE_BYTES, r.report_data);
  uint8_t rep[TC_SNP_REPORT_SIZE];
  assert_int_equal(snp_forge_sign_report(F, &r, rep), 0);
  rep[0x2A0] ^= 0x01; /* SIGNATURE.R (ATTESTATION_REPORT offset 0x2A0) */
  const tc_buf *leaf = snp_forge_leaf_der(F), *ask = snp_forge_ask_pem(F),
               *ark = snp_forge_ark_pem(F);
  char *vcek = der_to_pem(leaf->data, leaf->len);
  ev = b64_std(rep, sizeof rep);
  st = http_json(&s, "/v1/attest",
                 json_pack("{s:s, s:s, s:s, s:{s:[s, s#, s#]}}", "tee", "snp", "evidence", ev,
                           "nonce", nonce, "collateral", "certificates", vcek,
                           (const char *)ask->data, (int)ask->len, (const char *)ark->data,
                           (int)ark->len),
                 &resp);
  free(ev);
  free(vcek);
  free(nonce);
  if (st != 403) {
    char *t = json_dumps(resp, 0);
    fail_msg("%ld %s", st, t);
  }
  assert_string_equal(json_string_value(json_object_get(resp, "reason")),
                      "report_signature_invalid");
  json_decref(resp);
  assert_int_equal(atomic_load(&H.accepted), before);
  struct call slow = {&s, 0xa1, 0, 0};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, attest_thread, &slow), 0);
  struct timespec pause = {0, 300 * 1000 * 1000};
  nanosleep(&pause, NULL);
  double t0 = now_s();
  char *body = NULL;
  assert_int_equal(http(&s, "GET", "/healthz", NULL, NULL, 0, &body), 200);
  free(body);
  double healthz = now_s() - t0;
  struct call busy = {&s, 0xa2, 0, 0};
  attest_thread(&busy);
  pthread_join(th, NULL);
  print_message("stalled attest %ld in %.2f s, /healthz in %.3f s, second attest %ld in %.2f s\n",
                slow.status, slow.seconds, healthz, busy.status, busy.seconds);
  assert_int_equal(slow.status, 403);
  assert_true(slow.seconds >= 1.5 && slow.seconds < 4.0);
  assert_true(healthz < 1.0);
  assert_int_equal(busy.status, 403);
  assert_true(busy.seconds < 1.0);
  assert_true(audit_count(&s, "collateral_busy") >= 1);
  assert_int_equal(srv_stop(&s), 0);
  srv_cleanup(&s);
}

/* SIGTERM while a fetch hangs (deadline 60 s): the process ends by --drain-timeout 1. */
static void test_drain_ends_at_timeout(void **state) {
  (void)state;
  srv s;
  start(&s, "60", "1");
  struct call slow = {&s, 0xb1, 0, 0};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, attest_thread, &slow), 0);
  struct timespec pause = {0, 300 * 1000 * 1000};
  nanosleep(&pause, NULL);
  double t0 = now_s();
  assert_int_equal(srv_stop(&s), 0);
  double t = now_s() - t0;
  pthread_join(th, NULL);
  print_message("stopped %.2f s after SIGTERM with a fetch hanging\n", t);
  assert_true(t < 3.0);
  assert_int_equal(slow.status, 0); /* the hanging request got no answer: the process ended */
  char *text = srv_stderr(&s);
  assert_non_null(strstr(text, "teectl serve: 1 request still running after the drain timeout "
                               "(1 s), stopped without it\n"));
  assert_null(strstr(text, "teectl serve: stopped\n"));
  free(text);
  srv_cleanup(&s);
}

/* A KDS that refuses connections (a closed loopback port): after a request found it
 * failing, --host-backoff 60 keeps the next request (another chip, so another object)
 * from trying it at all (audit: "no request to"), for about 60 s (the refusal's detail
 * names the seconds left: more than the default 2 s could give), while --host-backoff 0
 * makes it try again. */
static unsigned closed_port(void) {
  unsigned port;
  close(loopback_socket(&port)); /* bound, never listened on, closed: connections refused */
  return port;
}

/* The seconds left that the audit log's back-off refusal names ("no request to HOST for
 * another N s"), -1 if there is none. */
static long long backoff_seconds_left(const srv *s) {
  char *line = audit_line(s, "no request to");
  const char *at = line ? strstr(line, " for another ") : NULL;
  long long n = -1;
  if (at == NULL || sscanf(at, " for another %lld s", &n) != 1)
    n = -1;
  free(line);
  return n;
}

static void backoff_run(const char *backoff, int want_backed_off) {
  srv s;
  const char *more[] = {"--fetch-deadline", "10", "--host-backoff", backoff, NULL};
  start_with(&s, closed_port(), more);
  json_t *resp = NULL;
  assert_int_equal(attest_chip_with(&s, 0xc1, 1, &resp), 403);
  json_decref(resp);
  assert_int_equal(audit_count(&s, "no request to"), 0);
  assert_int_equal(attest_chip_with(&s, 0xc2, 1, &resp), 403);
  json_decref(resp);
  assert_int_equal(audit_count(&s, "no request to") >= 1, want_backed_off);
  long long left = backoff_seconds_left(&s);
  if (want_backed_off) {
    print_message("--host-backoff %s: the refusal names %lld s left\n", backoff, left);
    assert_true(left >= 50 && left <= 60);
  } else {
    assert_int_equal(left, -1);
  }
  assert_int_equal(srv_stop(&s), 0);
  srv_cleanup(&s);
}

static void test_host_backoff_option(void **state) {
  (void)state;
  backoff_run("60", 1);
  backoff_run("0", 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stall_bounded),
      cmocka_unit_test(test_drain_ends_at_timeout),
      cmocka_unit_test(test_host_backoff_option),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
