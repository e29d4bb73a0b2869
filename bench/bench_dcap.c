/* SPDX-License-Identifier: Apache-2.0 */
/* Benchmark of the DCAP verifier in process, one thread, per CPU-second of that thread:
 * tc_dcap_verify on real vector quotes (TDX v4 and SGX v3) with their own collateral at their
 * verify_at, each rate printed as a ratio to OpenSSL's ECDSA P-256 verify rate (prehashed digest,
 * EVP_PKEY_verify with a ready context: the floor) measured in the same run. Each call
 * builds the whole result object (claims included), as the service uses it.
 *   cold: every call parses and checks all of the collateral (nothing cached);
 *   hot:  tc_dcap_verify_cached with a warm tc_dcap_cache: the PCK chain, collateral set
 *         and QE report step (its signature by the PCK key and binding) come checked from
 *         the cache, so a call redoes the quote's own signature (the floor: 1 x P-256
 *         verify), the time checks, the QE Identity and the TCB evaluation.
 * The measurements alternate over N rounds and each keeps its best, so a burst of
 * foreign load on a shared machine does not decide a ratio.
 * Usage: bench_dcap [--vectors DIR] [--seconds S] [--rounds N]
 * (DIR default: $TEECTL_VECTORS, else ../shared/vectors). Exit 1 when a case fails. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_case.h"
#include "bench_floor.h"
#include "teectl/dcap.h"
#include "teectl/file.h"
#include "teectl/rfc3339.h"
#include "teectl/verify.h"

static double g_seconds = 0.5;

/* ---- DCAP cases ---- */

typedef struct {
  const char *name;
  tc_buf quote;
  tc_collateral col;
  int64_t at;
  tc_dcap_cache *cache;
} dcap_case;

static int verify_cold(void *ctx) {
  dcap_case *c = ctx;
  tc_error err;
  json_t *res = NULL;
  tc_status st = tc_dcap_verify(c->quote.data, c->quote.len, &c->col, c->at, &res, &err);
  json_decref(res);
  if (st != TC_OK)
    fprintf(stderr, "bench_dcap: %s: %s: %s\n", c->name, err.reason, err.detail);
  return st == TC_OK;
}

static int verify_hot(void *ctx) {
  dcap_case *c = ctx;
  tc_error err;
  json_t *res = NULL;
  tc_status st =
      tc_dcap_verify_cached(c->quote.data, c->quote.len, &c->col, c->at, c->cache, &res, &err);
  json_decref(res);
  if (st != TC_OK)
    fprintf(stderr, "bench_dcap: %s (cached): %s: %s\n", c->name, err.reason, err.detail);
  return st == TC_OK;
}

static int load_case(const char *vec, const char *name, dcap_case *c) {
  memset(c, 0, sizeof *c);
  c->name = name;
  tc_error err;
  if (bench_case_load(vec, "dcap", name, "quote.bin", &c->quote, &c->col, &c->at) != 0)
    return -1;
  return tc_dcap_cache_new(16, &c->cache, &err) == TC_OK ? 0 : -1;
}

int main(int argc, char **argv) {
  const char *vec = getenv("TEECTL_VECTORS");
  int rounds = 5;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--vectors") == 0 && i + 1 < argc)
      vec = argv[++i];
    else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
      g_seconds = atof(argv[++i]);
    else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
      rounds = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: bench_dcap [--vectors DIR] [--seconds S] [--rounds N]\n");
      return 2;
    }
  }
  if (vec == NULL)
    vec = "../shared/vectors";
  if (rounds < 1)
    rounds = 1;
  static const char *const names[] = {"tdx-v4-gcp-cos-00806f050000",
                                      "sgx-v3-phala-00a067110000-2025"};
  enum { NCASES = sizeof names / sizeof names[0] };
  dcap_case cases[NCASES];
  for (int i = 0; i < NCASES; i++)
    if (load_case(vec, names[i], &cases[i]) != 0)
      return 1;
  bench_ecdsa floor;
  if (bench_ecdsa_setup(&floor, "P-256", EVP_sha256()) != 0) {
    fprintf(stderr, "bench_dcap: OpenSSL P-256 setup failed\n");
    return 1;
  }
  double p256 = 0, cold[NCASES] = {0}, hot[NCASES] = {0};
  for (int r = 0; r < rounds; r++) {
    double v = bench_rate_cpu(bench_ecdsa_verify, &floor, g_seconds);
    p256 = v > p256 ? v : p256;
    for (int i = 0; i < NCASES; i++) {
      if ((v = bench_rate_cpu(verify_cold, &cases[i], g_seconds)) < 0)
        return 1;
      cold[i] = v > cold[i] ? v : cold[i];
      if ((v = bench_rate_cpu(verify_hot, &cases[i], g_seconds)) < 0)
        return 1;
      hot[i] = v > hot[i] ? v : hot[i];
    }
  }
  printf("teectl DCAP verifier benchmark (one thread, per CPU-second, best of %d rounds of %.2f "
         "s, %s)\n",
         rounds, g_seconds, OpenSSL_version(OPENSSL_VERSION));
  printf("  OpenSSL ECDSA P-256 verify          %9.0f /s   (the floor)\n", p256);
  for (int i = 0; i < NCASES; i++) {
    printf("  %-30s cold %7.0f /s = %.4f x P-256 verify\n", names[i], cold[i], cold[i] / p256);
    printf("  %-30s hot  %7.0f /s = %.4f x P-256 verify (floor: 1 verify = 1.0)\n", names[i],
           hot[i], hot[i] / p256);
  }
  for (int i = 0; i < NCASES; i++) {
    tc_buf_free(&cases[i].quote);
    tc_collateral_free(&cases[i].col);
    tc_dcap_cache_free(cases[i].cache);
  }
  EVP_PKEY_CTX_free(floor.vctx);
  return 0;
}
