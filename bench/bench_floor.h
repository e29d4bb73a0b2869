/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the benchmarks: a monotonic clock, a rate loop, and the crypto floor they
 * compare against: one OpenSSL ECDSA verify of a prehashed digest (EVP_PKEY_verify with a
 * ready context and a public-only key, as the verifiers hold their keys). */
#ifndef TEECTL_BENCH_FLOOR_H
#define TEECTL_BENCH_FLOOR_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <time.h>

static inline double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double bench_clock(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run fn (1 = success) for `seconds` of clock; operations per second of it, or -1 when one
 * failed. */
static inline double bench_rate_on(clockid_t clock, int (*fn)(void *), void *ctx, double seconds) {
  double t0 = bench_clock(clock), t;
  long n = 0;
  do {
    for (int i = 0; i < 8; i++, n++)
      if (fn(ctx) != 1)
        return -1;
    t = bench_clock(clock) - t0;
  } while (t < seconds);
  return (double)n / t;
}

/* Operations per second of wall time. */
static inline double bench_rate(int (*fn)(void *), void *ctx, double seconds) {
  return bench_rate_on(CLOCK_MONOTONIC, fn, ctx, seconds);
}

/* Operations per CPU-second of the calling thread: a machine shared with other work slows
 * the wall clock, not this. */
static inline double bench_rate_cpu(int (*fn)(void *), void *ctx, double seconds) {
  return bench_rate_on(CLOCK_THREAD_CPUTIME_ID, fn, ctx, seconds);
}

typedef struct {
  EVP_PKEY_CTX *vctx;
  unsigned char digest[64];
  size_t dlen;
  unsigned char sig[160];
  size_t slen;
} bench_ecdsa;

/* A fresh key on curve ("P-256", "P-384"), a signature over a digest made with md, and a
 * verify context on the public key alone. 0 on success, -1 on failure. */
static inline int bench_ecdsa_setup(bench_ecdsa *e, const char *curve, const EVP_MD *md) {
  EVP_PKEY *key = EVP_EC_gen(curve);
  unsigned int dl = 0;
  EVP_Digest("teectl bench", 12, e->digest, &dl, md, NULL);
  e->dlen = dl;
  EVP_PKEY_CTX *s = key ? EVP_PKEY_CTX_new(key, NULL) : NULL;
  e->slen = sizeof e->sig;
  int ok = s != NULL && EVP_PKEY_sign_init(s) == 1 &&
           EVP_PKEY_sign(s, e->sig, &e->slen, e->digest, e->dlen) == 1;
  EVP_PKEY_CTX_free(s);
  unsigned char *der = NULL;
  int n = ok ? i2d_PUBKEY(key, &der) : 0;
  const unsigned char *p = der;
  EVP_PKEY *pub = n > 0 ? d2i_PUBKEY(NULL, &p, n) : NULL;
  OPENSSL_free(der);
  EVP_PKEY_free(key);
  e->vctx = pub ? EVP_PKEY_CTX_new(pub, NULL) : NULL;
  EVP_PKEY_free(pub);
  return e->vctx != NULL && EVP_PKEY_verify_init(e->vctx) == 1 ? 0 : -1;
}

static inline int bench_ecdsa_verify(void *ctx) {
  bench_ecdsa *e = ctx;
  return EVP_PKEY_verify(e->vctx, e->sig, e->slen, e->digest, e->dlen);
}

#endif
