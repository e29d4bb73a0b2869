/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the benchmarks: Nettle's ECDSA P-384 verify of a prehashed digest with a ready
 * public point (hogweed ecdsa_verify), the floor the SEV-SNP report signature is measured
 * against (src/crypto/p384.c verifies it with Nettle). */
#ifndef TEECTL_BENCH_NETTLE_H
#define TEECTL_BENCH_NETTLE_H

#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>
#include <nettle/ecdsa.h>
#include <nettle/knuth-lfib.h>
#include <openssl/evp.h>

typedef struct {
  struct ecc_point pub;
  struct dsa_signature sig;
  uint8_t digest[48];
} bench_nettle_ecdsa;

static inline void bench_nettle_lfib(void *ctx, size_t n, uint8_t *dst) {
  knuth_lfib_random(ctx, n, dst);
}

/* A key pair and a signature over SHA-384("teectl bench"). */
static inline void bench_nettle_setup(bench_nettle_ecdsa *e) {
  /* Knuth's lagged Fibonacci generator is not a CSPRNG: fine for timing, never for keys. */
  struct knuth_lfib_ctx rnd;
  knuth_lfib_init(&rnd, 4711);
  const struct ecc_curve *c = nettle_get_secp_384r1();
  struct ecc_scalar key;
  ecc_point_init(&e->pub, c);
  ecc_scalar_init(&key, c);
  ecdsa_generate_keypair(&e->pub, &key, &rnd, bench_nettle_lfib);
  unsigned int dl = 0;
  EVP_Digest("teectl bench", 12, e->digest, &dl, EVP_sha384(), NULL);
  dsa_signature_init(&e->sig);
  ecdsa_sign(&key, &rnd, bench_nettle_lfib, sizeof e->digest, e->digest, &e->sig);
  ecc_scalar_clear(&key);
}

static inline int bench_nettle_verify(void *ctx) {
  bench_nettle_ecdsa *e = ctx;
  return ecdsa_verify(&e->pub, sizeof e->digest, e->digest, &e->sig);
}

static inline void bench_nettle_free(bench_nettle_ecdsa *e) {
  ecc_point_clear(&e->pub);
  dsa_signature_clear(&e->sig);
}

#endif
