/* SPDX-License-Identifier: Apache-2.0 */
/* Benchmark of the attestation service, each rate printed as a ratio to the crypto floor
 * measured in the same run (the ECDSA verify rates of the library the verifiers use):
 *   1. crypto floor: ECDSA P-384 and P-256 verify/s with OpenSSL (prehashed digest,
 *      EVP_PKEY_verify), and ECDSA P-384 verify/s with Nettle (hogweed) for comparison;
 *   2. in-process, one thread: tc_verify_evidence on a real SNP report (Milan, real AMD
 *      chain: RSA-4096 ARK/ASK + P-384 VCEK) and a real TDX v4 quote (DCAP: ~10 P-256
 *      verifies), then the whole pipeline (verify + appraise + ES256 token);
 *   3. through HTTP: `wrk` against an in-process `teectl serve` (POST /v1/attest, SNP,
 *      no-nonce test mode, certificates in the body), with the process RSS under load.
 * Usage: bench_service [--vectors DIR] [--seconds S] [--no-http]
 * (DIR default: $TEECTL_VECTORS, else ../shared/vectors). Prints a report to stdout. */
#include <fcntl.h>
#include <jansson.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_NETTLE
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>
#include <nettle/ecdsa.h>
#include <nettle/knuth-lfib.h>
#endif

#include "bench_floor.h"
#include "teectl/appraisal.h"
#include "teectl/ear.h"
#include "teectl/file.h"
#include "teectl/rfc3339.h"
#include "teectl/service.h"
#include "teectl/verify.h"

static double g_seconds = 1.0;

/* Run fn until g_seconds elapsed; returns operations per second. */
static double rate(int (*fn)(void *), void *ctx) {
  double r = bench_rate(fn, ctx, g_seconds);
  if (r < 0) {
    fprintf(stderr, "bench: an operation failed\n");
    exit(1);
  }
  return r;
}

/* ------------------------------------------------------------ crypto floor: Nettle */

#ifdef HAVE_NETTLE
struct nettle_ecdsa {
  struct ecc_point pub;
  struct dsa_signature sig;
  uint8_t digest[48];
};

static void lfib_random(void *ctx, size_t n, uint8_t *dst) {
  knuth_lfib_random(ctx, n, dst);
}

static void nettle_setup(struct nettle_ecdsa *e) {
  /* Knuth's lagged Fibonacci generator is not a CSPRNG: fine for timing, never for keys. */
  struct knuth_lfib_ctx rnd;
  knuth_lfib_init(&rnd, 4711);
  const struct ecc_curve *c = nettle_get_secp_384r1();
  struct ecc_scalar key;
  ecc_point_init(&e->pub, c);
  ecc_scalar_init(&key, c);
  ecdsa_generate_keypair(&e->pub, &key, &rnd, lfib_random);
  unsigned int dl = 0;
  EVP_Digest("teectl bench", 12, e->digest, &dl, EVP_sha384(), NULL);
  dsa_signature_init(&e->sig);
  ecdsa_sign(&key, &rnd, lfib_random, sizeof e->digest, e->digest, &e->sig);
  ecc_scalar_clear(&key);
}

static int nettle_verify(void *ctx) {
  struct nettle_ecdsa *e = ctx;
  return ecdsa_verify(&e->pub, sizeof e->digest, e->digest, &e->sig);
}
#endif

/* ------------------------------------------------------------ in-process verification */

struct evidence_case {
  const char *name;
  tc_tee tee;
  tc_buf evidence;
  tc_collateral col;
  int64_t at;
  tc_policy *policy;
  tc_keyset *keys;
};

static int do_verify(void *ctx) {
  struct evidence_case *c = ctx;
  json_t *res = NULL;
  tc_error err;
  tc_status st =
      tc_verify_evidence(c->tee, c->evidence.data, c->evidence.len, &c->col, c->at, &res, &err);
  json_decref(res);
  if (st != TC_OK)
    fprintf(stderr, "bench: %s: %s: %s\n", c->name, err.reason, err.detail);
  return st == TC_OK;
}

static int do_pipeline(void *ctx) {
  struct evidence_case *c = ctx;
  json_t *res = NULL, *ap = NULL;
  char *jwt = NULL;
  tc_error err;
  int ok = tc_verify_evidence(c->tee, c->evidence.data, c->evidence.len, &c->col, c->at, &res,
                              &err) == TC_OK &&
           tc_appraise(c->policy, res, &ap, &err) == TC_OK;
  tc_ear_params p = {.issuer = "bench", .iat = c->at, .ttl = 300};
  ok = ok && tc_ear_issue(c->keys, &p, tc_tee_name(c->tee), ap, NULL, &jwt, &err) == TC_OK;
  free(jwt);
  json_decref(ap);
  json_decref(res);
  return ok;
}

static int load_case(const char *vec, const char *sub, const char *name, const char *file,
                     tc_tee tee, struct evidence_case *c) {
  char dir[1024], path[1100];
  snprintf(dir, sizeof dir, "%s/%s/%s", vec, sub, name);
  snprintf(path, sizeof path, "%s/%s", dir, file);
  tc_error err;
  memset(c, 0, sizeof *c);
  c->name = name;
  c->tee = tee;
  if (tc_file_read(path, 0, &c->evidence, &err) != TC_OK ||
      tc_collateral_load_dir(dir, &c->col, &err) != TC_OK) {
    fprintf(stderr, "bench: %s\n", err.detail);
    return -1;
  }
  snprintf(path, sizeof path, "%s/expected.json", dir);
  json_t *exp = json_load_file(path, 0, NULL);
  const char *at = json_string_value(json_object_get(exp, "verify_at"));
  if (at == NULL || tc_rfc3339_parse(at, &c->at, &err) != TC_OK) {
    json_decref(exp);
    return -1;
  }
  json_decref(exp);
  c->policy = tc_policy_default();
  if (tc_keyset_generate_ephemeral(&c->keys, &err) != TC_OK)
    return -1;
  return 0;
}

static void free_case(struct evidence_case *c) {
  tc_buf_free(&c->evidence);
  tc_collateral_free(&c->col);
  tc_policy_free(c->policy);
  tc_keyset_free(c->keys);
}

/* ------------------------------------------------------------ HTTP with wrk */

static long rss_kib(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  size_t n = strlen(field);
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, field, n) == 0)
      v = strtol(line + n + 1, NULL, 10);
  if (f)
    fclose(f);
  return v;
}

static char *pem_of_der(const tc_buf *der) {
  const unsigned char *p = der->data;
  X509 *x = d2i_X509(NULL, &p, (long)der->len);
  if (x == NULL)
    return NULL;
  BIO *b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, x);
  char *d;
  long n = BIO_get_mem_data(b, &d);
  char *out = strndup(d, (size_t)n);
  BIO_free(b);
  X509_free(x);
  return out;
}

/* Escape text for a Lua long string: we use [==[ ... ]==] which needs no escaping. */
static double http_bench(struct evidence_case *snp, double *p384_rate, long *rss_peak,
                         long *rss_now, int *threads_out) {
  tc_service_options o;
  tc_service_options_init(&o);
  o.listen = "127.0.0.1:0";
  o.test_no_nonce = 1;
  o.at = snp->at;
  o.has_at = 1;
  tc_service *svc = NULL;
  tc_error err;
  /* The service writes one audit line per decision to stdout: send those to /dev/null
   * while it runs, and keep our report on the real stdout. */
  fflush(stdout);
  int saved = dup(1), devnull = open("/dev/null", O_WRONLY);
  dup2(devnull, 1);
  close(devnull);
  FILE *out = fdopen(saved, "w");
  if (tc_service_start(&o, &svc, &err) != TC_OK) {
    fprintf(stderr, "bench: serve: %s\n", err.detail);
    return -1;
  }
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  *threads_out = (int)cpus;
  /* Body: the real SNP report and its endorsements. */
  char *b64 = malloc(4 * ((snp->evidence.len + 2) / 3) + 1);
  EVP_EncodeBlock((unsigned char *)b64, snp->evidence.data, (int)snp->evidence.len);
  char *vcek = pem_of_der(&snp->col.vcek);
  json_t *certs = json_pack("[s%, s%, s]", (const char *)snp->col.ark.data, snp->col.ark.len,
                            (const char *)snp->col.ask.data, snp->col.ask.len, vcek);
  json_t *req = json_pack("{s:s, s:s, s:{s:o}}", "tee", "snp", "evidence", b64, "collateral",
                          "certificates", certs);
  char *body = json_dumps(req, JSON_COMPACT);
  json_decref(req);
  free(b64);
  free(vcek);
  char script[] = "/tmp/teectl-bench-XXXXXX";
  int fd = mkstemp(script);
  FILE *f = fdopen(fd, "w");
  fprintf(f,
          "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
          "wrk.body = [==[%s]==]\n",
          body);
  fclose(f);
  free(body);
  char cmd[512];
  int secs = g_seconds < 1 ? 1 : (int)(g_seconds * 2);
  snprintf(cmd, sizeof cmd, "wrk -t2 -c16 -d%ds -s %s http://127.0.0.1:%u/v1/attest 2>&1", secs,
           script, tc_service_port(svc));
  FILE *p = popen(cmd, "r");
  double rps = -1;
  long non2xx = 0;
  char line[512];
  while (p && fgets(line, sizeof line, p)) {
    if (strncmp(line, "Requests/sec:", 13) == 0)
      rps = strtod(line + 13, NULL);
    if (strstr(line, "Non-2xx or 3xx responses:"))
      non2xx = strtol(strchr(line, ':') + 1, NULL, 10);
    if (strstr(line, "Latency") || strstr(line, "requests in"))
      fprintf(out, "    wrk: %s", line);
  }
  int prc = p ? pclose(p) : -1;
  *rss_now = rss_kib("VmRSS:");
  *rss_peak = rss_kib("VmHWM:");
  unlink(script);
  tc_service_stop(svc);
  fflush(stdout);
  fflush(out);
  dup2(saved, 1);
  fclose(out);
  (void)p384_rate;
  if (prc != 0 || rps < 0) {
    fprintf(stderr, "bench: wrk failed (is it installed? exit %d)\n", prc);
    return -1;
  }
  if (non2xx > 0) {
    fprintf(stderr, "bench: %ld answers were not 200: the HTTP rate is not valid\n", non2xx);
    return -1;
  }
  return rps;
}

int main(int argc, char **argv) {
  const char *vec = getenv("TEECTL_VECTORS");
  int http = 1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--vectors") == 0 && i + 1 < argc)
      vec = argv[++i];
    else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
      g_seconds = atof(argv[++i]);
    else if (strcmp(argv[i], "--no-http") == 0)
      http = 0;
    else {
      fprintf(stderr, "usage: bench_service [--vectors DIR] [--seconds S] [--no-http]\n");
      return 2;
    }
  }
  if (vec == NULL)
    vec = "../shared/vectors";
  printf("teectl service benchmark (%.1f s per measurement, %ld online CPUs, %s)\n", g_seconds,
         sysconf(_SC_NPROCESSORS_ONLN), OpenSSL_version(OPENSSL_VERSION));

  bench_ecdsa e384, e256;
  if (bench_ecdsa_setup(&e384, "P-384", EVP_sha384()) != 0 ||
      bench_ecdsa_setup(&e256, "P-256", EVP_sha256()) != 0) {
    fprintf(stderr, "bench: OpenSSL ECDSA setup failed\n");
    return 1;
  }
  /* The machine may be shared (CI, builds): alternate the measurements over three rounds
   * and keep each one's best, so a burst of foreign load does not decide the comparison. */
  double p384 = 0, p256 = 0, np384 = 0;
#ifdef HAVE_NETTLE
  struct nettle_ecdsa n384;
  nettle_setup(&n384);
#endif
  for (int round = 0; round < 3; round++) {
    double r = rate(bench_ecdsa_verify, &e384);
    p384 = r > p384 ? r : p384;
    r = rate(bench_ecdsa_verify, &e256);
    p256 = r > p256 ? r : p256;
#ifdef HAVE_NETTLE
    r = rate(nettle_verify, &n384);
    np384 = r > np384 ? r : np384;
#endif
  }
  printf("\ncrypto floor (one thread, best of 3 alternating rounds)\n");
  printf("  OpenSSL ECDSA P-384 verify   %10.0f /s\n", p384);
  printf("  OpenSSL ECDSA P-256 verify   %10.0f /s\n", p256);
#ifdef HAVE_NETTLE
  printf("  Nettle  ECDSA P-384 verify   %10.0f /s   (Nettle / OpenSSL = %.2f: %s is faster)\n",
         np384, np384 / p384, np384 > p384 ? "Nettle" : "OpenSSL");
#else
  (void)np384;
  printf("  Nettle: not built (nettle-dev missing)\n");
#endif

  struct evidence_case snp, tdx;
  int have_snp = load_case(vec, "snp", "milan-v2-trustee", "report.bin", TC_TEE_SNP, &snp) == 0;
  int have_tdx =
      load_case(vec, "dcap", "tdx-v4-gcp-cos-00806f050000", "quote.bin", TC_TEE_TDX, &tdx) == 0;
  printf("\nin-process, one thread (rate / crypto floor of the same run)\n");
  if (have_snp) {
    double v = rate(do_verify, &snp), pl = rate(do_pipeline, &snp);
    printf("  SNP verify (milan-v2-trustee)        %8.0f /s  = %.3f x P-384 verify\n", v, v / p384);
    printf("  SNP verify+appraise+ES256 token      %8.0f /s  = %.3f x P-384 verify\n", pl,
           pl / p384);
  } else
    printf("  SNP: vectors not found under %s (skipped)\n", vec);
  if (have_tdx) {
    double v = rate(do_verify, &tdx), pl = rate(do_pipeline, &tdx);
    printf("  TDX verify (tdx-v4-gcp-cos)          %8.0f /s  = %.3f x P-256 verify\n", v, v / p256);
    printf("  TDX verify+appraise+ES256 token      %8.0f /s  = %.3f x P-256 verify\n", pl,
           pl / p256);
  } else
    printf("  TDX: vectors not found under %s (skipped)\n", vec);

  if (http && have_snp) {
    printf("\nHTTP: wrk -t2 -c16 on loopback, POST /v1/attest (SNP), server threads = cores\n");
    long peak = 0, cur = 0;
    int threads = 0;
    double rps = http_bench(&snp, &p384, &peak, &cur, &threads);
    if (rps > 0) {
      printf("  %8.0f requests/s = %.0f /s per core = %.3f x P-384 verify (per core)\n", rps,
             rps / threads, rps / threads / p384);
      printf("  (wrk runs on the same %d cores, so per-core figures are a lower bound)\n", threads);
      printf("  RSS under load: %ld KiB now, %ld KiB peak (bench process = server + bench)\n", cur,
             peak);
    }
  }
  if (have_snp)
    free_case(&snp);
  if (have_tdx)
    free_case(&tdx);
  EVP_PKEY_CTX_free(e384.vctx);
  EVP_PKEY_CTX_free(e256.vctx);
  return 0;
}
