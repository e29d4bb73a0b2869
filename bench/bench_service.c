/* SPDX-License-Identifier: Apache-2.0 */
/* Benchmark of the attestation service, each rate printed as a ratio to the crypto floor
 * measured in the same run (the ECDSA verify rates of the library the verifiers use):
 *   1. crypto floor: ECDSA P-384 and P-256 verify/s with OpenSSL (prehashed digest,
 *      EVP_PKEY_verify), and ECDSA P-384 verify/s with Nettle (hogweed) for comparison;
 *   2. in-process, one thread: tc_verify_evidence on a real SNP report (Milan, real AMD
 *      chain: RSA-4096 ARK/ASK + P-384 VCEK) and a real TDX v4 quote (DCAP: ~10 P-256
 *      verifies), then the whole pipeline (verify + appraise + ES256 token);
 * The service over HTTP (its own process, its own RSS, SNP and TDX): bench_http.
 * Usage: bench_service [--vectors DIR] [--seconds S]
 * (DIR default: $TEECTL_VECTORS, else ../shared/vectors). Prints a report to stdout. */
#include <jansson.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_case.h"
#include "bench_floor.h"
#include "bench_nettle.h"
#include "teectl/appraisal.h"
#include "teectl/ear.h"
#include "teectl/file.h"
#include "teectl/rfc3339.h"
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
  tc_error err;
  memset(c, 0, sizeof *c);
  c->name = name;
  c->tee = tee;
  if (bench_case_load(vec, sub, name, file, &c->evidence, &c->col, &c->at) != 0)
    return -1;
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

int main(int argc, char **argv) {
  const char *vec = getenv("TEECTL_VECTORS");
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--vectors") == 0 && i + 1 < argc)
      vec = argv[++i];
    else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
      g_seconds = atof(argv[++i]);
    else {
      fprintf(stderr, "usage: bench_service [--vectors DIR] [--seconds S]\n");
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
  bench_nettle_ecdsa n384;
  bench_nettle_setup(&n384);
  for (int round = 0; round < 3; round++) {
    double r = rate(bench_ecdsa_verify, &e384);
    p384 = r > p384 ? r : p384;
    r = rate(bench_ecdsa_verify, &e256);
    p256 = r > p256 ? r : p256;
    r = rate(bench_nettle_verify, &n384);
    np384 = r > np384 ? r : np384;
  }
  printf("\ncrypto floor (one thread, best of 3 alternating rounds)\n");
  printf("  OpenSSL ECDSA P-384 verify   %10.0f /s\n", p384);
  printf("  OpenSSL ECDSA P-256 verify   %10.0f /s\n", p256);
  printf("  Nettle  ECDSA P-384 verify   %10.0f /s   (Nettle / OpenSSL = %.2f: %s is faster)\n",
         np384, np384 / p384, np384 > p384 ? "Nettle" : "OpenSSL");
  bench_nettle_free(&n384);

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

  if (have_snp)
    free_case(&snp);
  if (have_tdx)
    free_case(&tdx);
  EVP_PKEY_CTX_free(e384.vctx);
  EVP_PKEY_CTX_free(e256.vctx);
  return 0;
}
