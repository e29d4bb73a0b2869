/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP benchmark of the attestation service: the real `teectl serve` program (a process of
 * its own, --threads 2) answering POST /v1/attest under `wrk` on loopback, for a real SEV-SNP
 * report (snp/milan-v2-trustee: VCEK, real AMD chain) and a real TDX quote
 * (dcap/tdx-v4-gcp-cos-00806f050000), each with its collateral folder (--collateral) at the
 * case's verify_at (--at), no nonce (--test-no-nonce), default policy, ephemeral keys.
 * Printed per case, from one run of --seconds:
 *   - requests/s, wrk's latency p50 / p90 / p99, and the count of answers (all must be 200:
 *     one non-2xx answer or socket error fails the run, exit 1);
 *   - the server's own peak and final resident set (VmHWM / VmRSS of its process, not of the
 *     benchmark or wrk) and its CPU time per request;
 *   - ratios to OpenSSL's single-core ECDSA verify rate of the curve the evidence is signed
 *     with (P-384 for SNP, P-256 for TDX), measured in the same run with `openssl speed`
 *     (best of 3 rounds, before and after the HTTP runs): throughput = requests/s / rate;
 *     CPU efficiency = (requests per server CPU-second) / rate, which foreign load on a
 *     shared machine does not skew (wrk runs on the same cores as the server);
 *   - the in-process rate of the same evidence on 2 threads sharing one verifier with its
 *     caches (tc_verifier_verify, as the service holds it: the hot rate), per second and
 *     per CPU-second (best of 3 one-second rounds), and HTTP / in-process; also with the
 *     appraisal and the ES256 token /v1/attest adds (per CPU-second), which leaves the cost
 *     of the HTTP layer itself.
 * With --against OTHER (another build's teectl), each case then also runs this build's server
 * and OTHER's side by side, both started and warmed up the same way, and drives them in
 * turn with --rounds pairs of 2-second wrk bursts (order ABBA...): the servers' CPU per
 * request, summed over the bursts, and this / OTHER. Load from other work on a shared
 * machine then falls on both alike; all answers must be 200 here too.
 * Usage: bench_http [--seconds S] [--connections N] [--vectors DIR] [--teectl PATH]
 *                   [--against OTHER_TEECTL [--rounds N]] */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "teectl/appraisal.h"
#include "teectl/ear.h"
#include "teectl/file.h"
#include "teectl/rfc3339.h"
#include "teectl/verify.h"

extern char **environ;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ floors: openssl speed */

/* OpenSSL's ECDSA verify rates (per second, one core) for P-256 and P-384, from
 * `openssl speed -mr` (lines "+F4:<index>:<bits>:<sign/s>:<verify/s>"); the best of this
 * round and what *p256 / *p384 hold. Returns 0, or -1 when the CLI gave no figure. */
static int openssl_speed(double *p256, double *p384) {
  FILE *p = popen("openssl speed -mr -seconds 1 ecdsap256 ecdsap384 2>/dev/null", "r");
  char line[256];
  int got = 0;
  while (p && fgets(line, sizeof line, p)) {
    int idx, bits;
    double sign, verify;
    if (sscanf(line, "+F4:%d:%d:%lf:%lf", &idx, &bits, &sign, &verify) != 4)
      continue;
    double *best = bits == 256 ? p256 : bits == 384 ? p384 : NULL;
    if (best != NULL && verify > *best)
      *best = verify;
    got += best != NULL;
  }
  if (p == NULL || pclose(p) != 0 || got != 2) {
    fprintf(stderr, "bench_http: `openssl speed -mr ecdsap256 ecdsap384` gave no rates\n");
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------ one evidence case */

struct evcase {
  const char *label, *tee, *dir, *file, *curve;
  char at[32];
  tc_buf evidence;
  tc_collateral col;
  int64_t at_s;
};

static int load_case(const char *vec, struct evcase *c) {
  char dir[1024], path[1100];
  snprintf(dir, sizeof dir, "%s/%s", vec, c->dir);
  snprintf(path, sizeof path, "%s/expected.json", dir);
  json_t *e = json_load_file(path, 0, NULL);
  const char *at = json_string_value(json_object_get(e, "verify_at"));
  tc_error err;
  int ok = at != NULL && strlen(at) < sizeof c->at;
  if (ok) {
    strcpy(c->at, at);
    ok = tc_rfc3339_parse(at, &c->at_s, &err) == TC_OK;
  }
  json_decref(e);
  snprintf(path, sizeof path, "%s/%s", dir, c->file);
  if (!ok || tc_file_read(path, 1u << 20, &c->evidence, &err) != TC_OK ||
      tc_collateral_load_dir(dir, &c->col, &err) != TC_OK) {
    fprintf(stderr, "bench_http: case %s unreadable under %s\n", c->label, dir);
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------ in-process, 2 threads */

struct worker {
  struct evcase *c;
  tc_verifier *v;
  const tc_policy *policy; /* with keys: the whole pipeline, else verification only */
  tc_keyset *keys;
  double until;
  long n;
  int failed;
};

static void *verify_loop(void *arg) {
  struct worker *w = arg;
  do {
    for (int i = 0; i < 8; i++) {
      json_t *res = NULL;
      tc_error err;
      tc_tee tee = tc_tee_from_name(w->c->tee);
      if (tc_verifier_verify(w->v, tee, w->c->evidence.data, w->c->evidence.len, &w->c->col,
                             w->c->at_s, &res, &err) != TC_OK)
        w->failed = 1;
      if (!w->failed && w->keys != NULL) { /* appraisal and the ES256 token, as /v1/attest */
        json_t *ap = NULL;
        char *jwt = NULL;
        tc_ear_params p = {.issuer = "bench", .iat = w->c->at_s, .ttl = 300};
        w->failed = tc_appraise(w->policy, res, &ap, &err) != TC_OK ||
                    tc_ear_issue(w->keys, &p, w->c->tee, ap, NULL, &jwt, &err) != TC_OK;
        free(jwt);
        json_decref(ap);
      }
      json_decref(res);
      w->n++;
    }
  } while (!w->failed && now_s() < w->until);
  return NULL;
}

static double cpu_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Verifications (pipeline: verification, appraisal with the default policy and an ES256
 * token) per second of wall time on `threads` threads; *per_cpu gets them per CPU-second of
 * this process. */
static double inprocess_rate(struct evcase *c, int threads, int pipeline, double seconds,
                             double *per_cpu) {
  struct worker w[8];
  pthread_t t[8];
  tc_verifier *v = NULL;
  tc_keyset *keys = NULL;
  tc_policy *policy = pipeline ? tc_policy_default() : NULL;
  tc_error err;
  if (tc_verifier_new(256, &v, &err) != TC_OK || /* teectl serve's default --cache-entries */
      (pipeline && (policy == NULL || tc_keyset_generate_ephemeral(&keys, &err) != TC_OK))) {
    tc_verifier_free(v);
    tc_policy_free(policy);
    return -1;
  }
  double t0 = now_s(), c0 = cpu_now_s();
  for (int i = 0; i < threads; i++) {
    w[i] = (struct worker){.c = c, .v = v, .policy = policy, .keys = keys, .until = t0 + seconds};
    pthread_create(&t[i], NULL, verify_loop, &w[i]);
  }
  long n = 0;
  int failed = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(t[i], NULL);
    n += w[i].n;
    failed |= w[i].failed;
  }
  double dt = now_s() - t0, dc = cpu_now_s() - c0;
  tc_verifier_free(v);
  tc_keyset_free(keys);
  tc_policy_free(policy);
  *per_cpu = dc > 0 ? (double)n / dc : 0;
  if (failed) {
    fprintf(stderr, "bench_http: %s: in-process verification failed\n", c->label);
    return -1;
  }
  return (double)n / dt;
}

/* ------------------------------------------------------------ the server process */

struct server {
  pid_t pid;
  unsigned port;
  char errfile[64];
};

static long proc_status_kib(pid_t pid, const char *field) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  long v = -1;
  size_t n = strlen(field);
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, field, n) == 0)
      v = strtol(line + n, NULL, 10);
  if (f)
    fclose(f);
  return v;
}

/* utime + stime of pid in seconds (/proc/PID/stat fields 14 and 15). */
static double proc_cpu_s(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f)
    fclose(f);
  buf[n] = '\0';
  char *p = strrchr(buf, ')'); /* the command name may hold spaces */
  unsigned long ut = 0, st = 0;
  if (p == NULL ||
      sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
    return -1;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int server_start(const char *teectl, struct evcase *c, const char *vec, int threads,
                        struct server *s) {
  char coll[1024], thr[16];
  snprintf(coll, sizeof coll, "%s/%s", vec, c->dir);
  snprintf(thr, sizeof thr, "%d", threads);
  strcpy(s->errfile, "/tmp/teectl-bench-http-XXXXXX");
  int efd = mkstemp(s->errfile);
  if (efd < 0)
    return -1;
  close(efd);
  char *argv[] = {(char *)teectl,
                  "serve",
                  "--listen",
                  "127.0.0.1:0",
                  "--test-no-nonce",
                  "--at",
                  c->at,
                  "--collateral",
                  coll,
                  "--threads",
                  thr,
                  NULL};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  /* one audit line per decision goes to stdout: discarded, as a log shipper would take it */
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, s->errfile, O_WRONLY | O_TRUNC, 0);
  int rc = posix_spawn(&s->pid, teectl, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    fprintf(stderr, "bench_http: cannot start %s: %s\n", teectl, strerror(rc));
    return -1;
  }
  /* "teectl serve: listening on http://127.0.0.1:0 (port N)" on its stderr */
  for (int i = 0; i < 500; i++) {
    FILE *f = fopen(s->errfile, "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
      const char *p = strstr(line, "(port ");
      if (p && strstr(line, "listening on")) {
        s->port = (unsigned)strtoul(p + 6, NULL, 10);
        fclose(f);
        return 0;
      }
    }
    if (f)
      fclose(f);
    if (waitpid(s->pid, NULL, WNOHANG) == s->pid)
      break;
    usleep(20000);
  }
  fprintf(stderr, "bench_http: teectl serve did not start (its stderr: %s)\n", s->errfile);
  return -1;
}

static void server_stop(struct server *s) {
  kill(s->pid, SIGTERM);
  waitpid(s->pid, NULL, 0);
  unlink(s->errfile);
}

/* ------------------------------------------------------------ wrk */

struct wrk_result {
  double rps, p50, p90, p99; /* latencies in ms */
  long requests, non2xx, socket_errors;
};

static double latency_ms(const char *text) {
  char *end;
  double v = strtod(text, &end);
  if (strncmp(end, "us", 2) == 0)
    return v / 1e3;
  if (strncmp(end, "ms", 2) == 0)
    return v;
  if (*end == 's')
    return v * 1e3;
  if (*end == 'm')
    return v * 60e3;
  return -1;
}

static int write_script(const struct evcase *c, char *path) {
  size_t n = c->evidence.len;
  char *b64 = malloc(4 * ((n + 2) / 3) + 1);
  if (b64 == NULL)
    return -1;
  EVP_EncodeBlock((unsigned char *)b64, c->evidence.data, (int)n);
  strcpy(path, "/tmp/teectl-bench-http-XXXXXX");
  int fd = mkstemp(path);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (f == NULL) {
    free(b64);
    return -1;
  }
  fprintf(f,
          "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
          "wrk.body = [==[{\"tee\":\"%s\",\"evidence\":\"%s\"}]==]\n",
          c->tee, b64);
  free(b64);
  return fclose(f) == 0 ? 0 : -1;
}

static int run_wrk(unsigned port, const char *script, int threads, int conns, int seconds,
                   struct wrk_result *r) {
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "wrk -t%d -c%d -d%ds --latency -s %s http://127.0.0.1:%u/v1/attest 2>&1", threads, conns,
           seconds, script, port);
  memset(r, 0, sizeof *r);
  r->rps = r->p50 = r->p90 = r->p99 = -1;
  FILE *p = popen(cmd, "r");
  char line[512];
  while (p && fgets(line, sizeof line, p)) {
    char *s = line + strspn(line, " \t");
    long a, b, c, d;
    if (strncmp(s, "Requests/sec:", 13) == 0)
      r->rps = strtod(s + 13, NULL);
    else if (strncmp(s, "50%", 3) == 0)
      r->p50 = latency_ms(s + 3 + strspn(s + 3, " \t"));
    else if (strncmp(s, "90%", 3) == 0)
      r->p90 = latency_ms(s + 3 + strspn(s + 3, " \t"));
    else if (strncmp(s, "99%", 3) == 0)
      r->p99 = latency_ms(s + 3 + strspn(s + 3, " \t"));
    else if (strstr(s, "requests in"))
      r->requests = strtol(s, NULL, 10);
    else if (strncmp(s, "Non-2xx or 3xx responses:", 25) == 0)
      r->non2xx = strtol(s + 25, NULL, 10);
    else if (sscanf(s, "Socket errors: connect %ld, read %ld, write %ld, timeout %ld", &a, &b, &c,
                    &d) == 4)
      r->socket_errors = a + b + c + d;
  }
  int rc = p ? pclose(p) : -1;
  if (rc != 0 || r->rps < 0 || r->p99 < 0) {
    fprintf(stderr, "bench_http: wrk failed (installed? exit %d): %s\n", rc, cmd);
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------ paired A/B */

struct paired {
  long requests[2];
  double cpu_s[2];
};

/* --against: bins[0] (this build) and bins[1] (the other) serve case c at once; rounds
 * pairs of 2-second bursts, alternated (ABBA...), each burst's requests and server CPU
 * summed per server. 0, or -1 on a failed start, a failed wrk run or any non-200 answer. */
static int run_paired(const char *const bins[2], struct evcase *c, const char *vec, int threads,
                      int conns, int rounds, struct paired *p) {
  struct server s[2];
  char script[64];
  int ok = write_script(c, script) == 0;
  int started = 0;
  memset(p, 0, sizeof *p);
  for (; ok && started < 2; started++)
    ok = server_start(bins[started], c, vec, threads, &s[started]) == 0;
  if (!ok)
    started--;
  for (int i = 0; ok && i < 2; i++) {
    struct wrk_result w;
    ok = run_wrk(s[i].port, script, threads, conns, 1, &w) == 0 && !w.non2xx && !w.socket_errors;
  }
  for (int r = 0; ok && r < 2 * rounds; r++) {
    int i = (r % 4 == 0 || r % 4 == 3) ? 0 : 1;
    struct wrk_result w;
    double cpu0 = proc_cpu_s(s[i].pid);
    ok = run_wrk(s[i].port, script, threads, conns, 2, &w) == 0;
    p->cpu_s[i] += proc_cpu_s(s[i].pid) - cpu0;
    p->requests[i] += w.requests;
    if (ok && (w.non2xx || w.socket_errors || w.requests <= 0)) {
      fprintf(stderr, "bench_http: %s (%s): %ld non-2xx answers, %ld socket errors\n", c->label,
              bins[i], w.non2xx, w.socket_errors);
      ok = 0;
    }
  }
  for (int i = 0; i < started; i++)
    server_stop(&s[i]);
  unlink(script);
  return ok ? 0 : -1;
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv) {
  const char *vec = getenv("TEECTL_VECTORS"), *teectl = TEECTL_BIN, *against = NULL;
  int seconds = 10, conns = 8, rounds = 4;
  const int threads = 2;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
      seconds = atoi(argv[++i]);
    else if (strcmp(argv[i], "--connections") == 0 && i + 1 < argc)
      conns = atoi(argv[++i]);
    else if (strcmp(argv[i], "--vectors") == 0 && i + 1 < argc)
      vec = argv[++i];
    else if (strcmp(argv[i], "--teectl") == 0 && i + 1 < argc)
      teectl = argv[++i];
    else if (strcmp(argv[i], "--against") == 0 && i + 1 < argc)
      against = argv[++i];
    else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
      rounds = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: bench_http [--seconds S] [--connections N] [--vectors DIR] "
                      "[--teectl PATH] [--against OTHER_TEECTL [--rounds N]]\n");
      return 2;
    }
  }
  if (vec == NULL)
    vec = TEECTL_VECTORS_DEFAULT;
  if (seconds < 1)
    seconds = 1;
  if (conns < threads)
    conns = threads;
  if (rounds < 1)
    rounds = 1;
  signal(SIGPIPE, SIG_IGN);

  struct evcase cases[] = {
      {.label = "SNP",
       .tee = "snp",
       .dir = "snp/milan-v2-trustee",
       .file = "report.bin",
       .curve = "P-384"},
      {.label = "TDX",
       .tee = "tdx",
       .dir = "dcap/tdx-v4-gcp-cos-00806f050000",
       .file = "quote.bin",
       .curve = "P-256"},
  };
  enum { N_CASES = sizeof cases / sizeof cases[0] };
  for (int i = 0; i < N_CASES; i++)
    if (load_case(vec, &cases[i]) != 0)
      return 2;

  double p256 = 0, p384 = 0;
  for (int round = 0; round < 3; round++)
    if (openssl_speed(&p256, &p384) != 0)
      return 1;

  struct {
    struct wrk_result w;
    long hwm_kib, rss_kib;
    double cpu_s, inproc, inproc_cpu, pipe_cpu;
    struct paired ab;
  } res[N_CASES];
  int fail = 0;
  for (int i = 0; i < N_CASES && !fail; i++) {
    struct evcase *c = &cases[i];
    res[i].inproc = res[i].inproc_cpu = res[i].pipe_cpu = 0;
    for (int round = 0; round < 3; round++) { /* best of 3 one-second rounds */
      double pc = 0, pp = 0, r = inprocess_rate(c, threads, 0, 1.0, &pc);
      if (r < 0 || inprocess_rate(c, threads, 1, 1.0, &pp) < 0)
        return 1;
      res[i].inproc = r > res[i].inproc ? r : res[i].inproc;
      res[i].inproc_cpu = pc > res[i].inproc_cpu ? pc : res[i].inproc_cpu;
      res[i].pipe_cpu = pp > res[i].pipe_cpu ? pp : res[i].pipe_cpu;
    }
    char script[64];
    struct server s;
    if (write_script(c, script) != 0)
      return 1;
    if (server_start(teectl, c, vec, threads, &s) != 0) {
      unlink(script);
      return 1;
    }
    /* one second of warm-up (connections, first verifications, caches), then the run */
    struct wrk_result warm;
    fail = run_wrk(s.port, script, threads, conns, 1, &warm) != 0;
    double cpu0 = proc_cpu_s(s.pid);
    fail = fail || run_wrk(s.port, script, threads, conns, seconds, &res[i].w) != 0;
    res[i].cpu_s = proc_cpu_s(s.pid) - cpu0;
    res[i].hwm_kib = proc_status_kib(s.pid, "VmHWM:");
    res[i].rss_kib = proc_status_kib(s.pid, "VmRSS:");
    server_stop(&s);
    unlink(script);
    if (!fail && (warm.non2xx || warm.socket_errors || res[i].w.non2xx || res[i].w.socket_errors ||
                  res[i].w.requests <= 0)) {
      fprintf(stderr,
              "bench_http: %s: %ld non-2xx answers and %ld socket errors in %ld requests "
              "(warm-up: %ld, %ld): the run is not valid\n",
              c->label, res[i].w.non2xx, res[i].w.socket_errors, res[i].w.requests, warm.non2xx,
              warm.socket_errors);
      fail = 1;
    }
    const char *const bins[2] = {teectl, against};
    if (!fail && against != NULL)
      fail = run_paired(bins, c, vec, threads, conns, rounds, &res[i].ab) != 0;
  }
  if (fail)
    return 1;
  for (int round = 0; round < 3; round++) /* the floors again, after the load */
    if (openssl_speed(&p256, &p384) != 0)
      return 1;

  printf("teectl HTTP benchmark: teectl serve --threads %d (own process), wrk -t%d -c%d, "
         "%d s per case after 1 s warm-up, %ld online CPUs, %s\n\n",
         threads, threads, conns, seconds, sysconf(_SC_NPROCESSORS_ONLN),
         OpenSSL_version(OPENSSL_VERSION));
  printf("build: %s\n\n", TEECTL_BENCH_BUILD);
  printf("floors (openssl speed, one core, best of 6 rounds around the runs)\n");
  printf("  OpenSSL ECDSA P-256 verify   %9.0f /s\n", p256);
  printf("  OpenSSL ECDSA P-384 verify   %9.0f /s\n\n", p384);
  for (int i = 0; i < N_CASES; i++) {
    struct evcase *c = &cases[i];
    double floor = strcmp(c->curve, "P-384") == 0 ? p384 : p256;
    double per_cpu = res[i].cpu_s > 0 ? (double)res[i].w.requests / res[i].cpu_s : 0;
    printf("POST /v1/attest, %s (%s), %ld requests, all 200\n", c->label, c->dir,
           res[i].w.requests);
    printf("  throughput      %9.0f /s = %.3f x OpenSSL %s verify (one core)\n", res[i].w.rps,
           res[i].w.rps / floor, c->curve);
    printf("  latency         p50 %.2f ms, p90 %.2f ms, p99 %.2f ms\n", res[i].w.p50, res[i].w.p90,
           res[i].w.p99);
    printf("  server CPU      %.3f ms per request = %.0f requests per CPU-second = %.3f x "
           "OpenSSL %s verify\n",
           res[i].cpu_s * 1e3 / (double)res[i].w.requests, per_cpu, per_cpu / floor, c->curve);
    printf("  server memory   peak RSS %.1f MiB, at the end %.1f MiB\n",
           (double)res[i].hwm_kib / 1024, (double)res[i].rss_kib / 1024);
    printf("  in-process      verification: %.0f /s on %d threads, %.0f per CPU-second; "
           "HTTP / in-process = %.3f (per CPU-second: %.3f)\n",
           res[i].inproc, threads, res[i].inproc_cpu, res[i].w.rps / res[i].inproc,
           res[i].inproc_cpu > 0 ? per_cpu / res[i].inproc_cpu : 0);
    printf("                  with appraisal and ES256 token (what /v1/attest does): %.0f per "
           "CPU-second; HTTP / that = %.3f\n",
           res[i].pipe_cpu, res[i].pipe_cpu > 0 ? per_cpu / res[i].pipe_cpu : 0);
    const struct paired *ab = &res[i].ab;
    if (against != NULL && ab->requests[0] > 0 && ab->requests[1] > 0) {
      double a = ab->cpu_s[0] / (double)ab->requests[0], b = ab->cpu_s[1] / (double)ab->requests[1];
      printf("  paired          %d x 2 bursts of 2 s, alternated with --against %s:\n", rounds,
             against);
      printf("                  server CPU per request %.3f ms (this) vs %.3f ms: this / that = "
             "%.3f; HTTP / in-process per CPU-second %.3f vs %.3f\n",
             a * 1e3, b * 1e3, a / b, res[i].inproc_cpu > 0 ? 1 / a / res[i].inproc_cpu : 0,
             res[i].inproc_cpu > 0 ? 1 / b / res[i].inproc_cpu : 0);
    }
    printf("\n");
    tc_buf_free(&c->evidence);
    tc_collateral_free(&c->col);
  }
  printf("(wrk runs on the same cores as the server: the throughput ratios are lower bounds; "
         "the CPU ratios are not affected by it)\n");
  return 0;
}
