/* SPDX-License-Identifier: Apache-2.0 */
/* Digests and random bytes on OpenSSL 3 (see teectl/crypto.h); token ids: crypto/token_id.c. */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ossl.h"
#include "teectl/bytes.h"
#include "teectl/crypto.h"

const EVP_MD *tc_md_of(tc_hash_alg alg) {
  switch (alg) {
  case TC_HASH_SHA256:
    return EVP_sha256();
  case TC_HASH_SHA384:
    return EVP_sha384();
  case TC_HASH_SHA512:
    return EVP_sha512();
  }
  return NULL;
}

size_t tc_hash_len(tc_hash_alg alg) {
  switch (alg) {
  case TC_HASH_SHA256:
    return TC_SHA256_LEN;
  case TC_HASH_SHA384:
    return TC_SHA384_LEN;
  case TC_HASH_SHA512:
    return TC_SHA512_LEN;
  }
  return 0;
}

tc_status tc_hash(tc_hash_alg alg, const tc_span *parts, size_t n_parts, uint8_t *out,
                  tc_error *err) {
  const EVP_MD *md = tc_md_of(alg);
  if (md == NULL)
    return tc_fail(err, TC_ERR_USAGE, "bad_argument", "unknown digest algorithm %d", (int)alg);
  TC_AUTO(EVP_MD_CTX) *ctx = EVP_MD_CTX_new();
  int ok = ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL) == 1;
  for (size_t i = 0; ok && i < n_parts; i++)
    ok = parts[i].len == 0 || EVP_DigestUpdate(ctx, parts[i].data, parts[i].len) == 1;
  unsigned int olen = 0;
  ok = ok && EVP_DigestFinal_ex(ctx, out, &olen) == 1 && olen == tc_hash_len(alg);
  if (!ok) {
    memset(out, 0, tc_hash_len(alg));
    tc_fail(err, TC_ERR_INTERNAL, "internal_error", "%s failed: ", EVP_MD_get0_name(md));
    tc_error_add_openssl(err);
    return TC_ERR_INTERNAL;
  }
  return TC_OK;
}

struct tc_hash_ctx {
  EVP_MD_CTX *md;
  tc_hash_alg alg;
};

void tc_hash_ctx_free(tc_hash_ctx *ctx) {
  if (ctx == NULL)
    return;
  EVP_MD_CTX_free(ctx->md);
  free(ctx);
}

static tc_status hash_failed(const char *what, tc_error *err) {
  tc_fail(err, TC_ERR_INTERNAL, "internal_error", "%s failed: ", what);
  tc_error_add_openssl(err);
  return TC_ERR_INTERNAL;
}

tc_status tc_hash_begin(tc_hash_alg alg, tc_hash_ctx **out, tc_error *err) {
  *out = NULL;
  const EVP_MD *md = tc_md_of(alg);
  if (md == NULL)
    return tc_fail(err, TC_ERR_USAGE, "bad_argument", "unknown digest algorithm %d", (int)alg);
  tc_hash_ctx *ctx = calloc(1, sizeof *ctx);
  if (ctx == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "digest context");
  ctx->alg = alg;
  if ((ctx->md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(ctx->md, md, NULL) != 1) {
    tc_hash_ctx_free(ctx);
    return hash_failed(EVP_MD_get0_name(md), err);
  }
  *out = ctx;
  return TC_OK;
}

tc_status tc_hash_update(tc_hash_ctx *ctx, const void *data, size_t len, tc_error *err) {
  if (len > 0 && EVP_DigestUpdate(ctx->md, data, len) != 1)
    return hash_failed(EVP_MD_get0_name(EVP_MD_CTX_get0_md(ctx->md)), err);
  return TC_OK;
}

tc_status tc_hash_end(tc_hash_ctx *ctx, uint8_t *out, tc_error *err) {
  unsigned int olen = 0;
  if (EVP_DigestFinal_ex(ctx->md, out, &olen) != 1 || olen != tc_hash_len(ctx->alg)) {
    memset(out, 0, tc_hash_len(ctx->alg));
    return hash_failed(EVP_MD_get0_name(EVP_MD_CTX_get0_md(ctx->md)), err);
  }
  return TC_OK;
}

tc_status tc_sha256(const void *data, size_t len, uint8_t out[TC_SHA256_LEN], tc_error *err) {
  tc_span one = {data, len};
  return tc_hash(TC_HASH_SHA256, &one, 1, out, err);
}

tc_status tc_sha384(const void *data, size_t len, uint8_t out[TC_SHA384_LEN], tc_error *err) {
  tc_span one = {data, len};
  return tc_hash(TC_HASH_SHA384, &one, 1, out, err);
}

tc_status tc_sha256_hex(const void *data, size_t len, char out[2 * TC_SHA256_LEN + 1],
                        tc_error *err) {
  uint8_t md[TC_SHA256_LEN];
  tc_status st = tc_sha256(data, len, md, err);
  tc_hex_encode(md, sizeof md, out);
  return st;
}

tc_status tc_random_bytes(uint8_t *out, size_t n, tc_error *err) {
  if (n > INT32_MAX || RAND_bytes(out, (int)n) != 1) {
    tc_fail(err, TC_ERR_INTERNAL, "internal_error", "no random bytes: ");
    tc_error_add_openssl(err);
    return TC_ERR_INTERNAL;
  }
  return TC_OK;
}
