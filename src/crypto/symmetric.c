/* SPDX-License-Identifier: Apache-2.0 */
/* HMAC, HKDF, AES-256-GCM, constant-time comparison and wiping on OpenSSL 3 (see
 * teectl/crypto.h; RFC 2104, RFC 5869, NIST SP 800-38D). */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <string.h>

#include "crypto/ossl.h"
#include "teectl/crypto.h"

/* OpenSSL's name of the digest alg ("SHA256"), NULL for a value outside the enum. */
static const char *md_name(tc_hash_alg alg) {
  const EVP_MD *md = tc_md_of(alg);
  return md != NULL ? EVP_MD_get0_name(md) : NULL;
}

TC_AUTOFREE_DEFINE(EVP_MAC, EVP_MAC_free)
TC_AUTOFREE_DEFINE(EVP_MAC_CTX, EVP_MAC_CTX_free)
TC_AUTOFREE_DEFINE(EVP_CIPHER_CTX, EVP_CIPHER_CTX_free)

tc_status tc_hmac(tc_hash_alg alg, const uint8_t *key, size_t key_len, const tc_span *parts,
                  size_t n_parts, uint8_t *out, tc_error *err) {
  const char *md = md_name(alg);
  if (md == NULL)
    return tc_fail(err, TC_ERR_USAGE, "bad_argument", "unknown digest algorithm %d", (int)alg);
  TC_AUTO(EVP_MAC) *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  TC_AUTO(EVP_MAC_CTX) *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md, 0),
                         OSSL_PARAM_construct_end()};
  /* An empty key is a valid HMAC key; OpenSSL wants a non-NULL pointer for it. */
  static const uint8_t no_key[1];
  int ok = ctx != NULL && EVP_MAC_init(ctx, key_len ? key : no_key, key_len, params) == 1;
  for (size_t i = 0; ok && i < n_parts; i++)
    ok = parts[i].len == 0 || EVP_MAC_update(ctx, parts[i].data, parts[i].len) == 1;
  size_t olen = 0;
  ok = ok && EVP_MAC_final(ctx, out, &olen, tc_hash_len(alg)) == 1 && olen == tc_hash_len(alg);
  if (!ok) {
    memset(out, 0, tc_hash_len(alg));
    tc_fail(err, TC_ERR_INTERNAL, "internal_error", "HMAC-%s failed: ", md);
    tc_error_add_openssl(err);
    return TC_ERR_INTERNAL;
  }
  return TC_OK;
}

tc_status tc_hkdf(tc_hash_alg alg, const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
                  size_t salt_len, const uint8_t *info, size_t info_len, uint8_t *out,
                  size_t out_len, tc_error *err) {
  const char *md = md_name(alg);
  if (md == NULL)
    return tc_fail(err, TC_ERR_USAGE, "bad_argument", "unknown digest algorithm %d", (int)alg);
  TC_AUTO(EVP_PKEY_CTX) *c = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
  size_t got = out_len;
  int ok = c != NULL && ikm_len <= INT32_MAX && salt_len <= INT32_MAX && info_len <= INT32_MAX &&
           EVP_PKEY_derive_init(c) > 0 && EVP_PKEY_CTX_set_hkdf_md(c, tc_md_of(alg)) > 0 &&
           EVP_PKEY_CTX_set1_hkdf_key(c, ikm, (int)ikm_len) > 0 &&
           (salt_len == 0 || EVP_PKEY_CTX_set1_hkdf_salt(c, salt, (int)salt_len) > 0) &&
           (info_len == 0 || EVP_PKEY_CTX_add1_hkdf_info(c, info, (int)info_len) > 0) &&
           EVP_PKEY_derive(c, out, &got) > 0 && got == out_len;
  if (!ok) {
    memset(out, 0, out_len);
    tc_fail(err, TC_ERR_INTERNAL, "internal_error", "HKDF-%s failed: ", md);
    tc_error_add_openssl(err);
    return TC_ERR_INTERNAL;
  }
  return TC_OK;
}

tc_status tc_aes256gcm_seal(const uint8_t key[TC_AES256GCM_KEY_LEN],
                            const uint8_t iv[TC_AES256GCM_IV_LEN], const void *aad, size_t aad_len,
                            const void *pt, size_t len, uint8_t *ct, tc_error *err) {
  TC_AUTO(EVP_CIPHER_CTX) *c = EVP_CIPHER_CTX_new();
  int n = 0;
  int ok = c != NULL && len <= INT32_MAX && aad_len <= INT32_MAX &&
           EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv) == 1 &&
           (aad_len == 0 || EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len) == 1) &&
           (len == 0 || EVP_EncryptUpdate(c, ct, &n, pt, (int)len) == 1) &&
           EVP_EncryptFinal_ex(c, ct + (len ? (size_t)n : 0), &n) == 1 &&
           EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TC_AES256GCM_TAG_LEN, ct + len) == 1;
  if (!ok) {
    tc_fail(err, TC_ERR_INTERNAL, "internal_error", "AES-256-GCM encryption failed: ");
    tc_error_add_openssl(err);
    return TC_ERR_INTERNAL;
  }
  return TC_OK;
}

tc_status tc_aes256gcm_open(const uint8_t key[TC_AES256GCM_KEY_LEN],
                            const uint8_t iv[TC_AES256GCM_IV_LEN], const void *aad, size_t aad_len,
                            const uint8_t *ct, size_t len, void *pt, tc_error *err) {
  TC_AUTO(EVP_CIPHER_CTX) *c = EVP_CIPHER_CTX_new();
  int n = 0;
  int ok =
      c != NULL && len <= INT32_MAX && aad_len <= INT32_MAX &&
      EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv) == 1 &&
      (aad_len == 0 || EVP_DecryptUpdate(c, NULL, &n, aad, (int)aad_len) == 1) &&
      (len == 0 || EVP_DecryptUpdate(c, pt, &n, ct, (int)len) == 1) &&
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TC_AES256GCM_TAG_LEN, (void *)(ct + len)) == 1;
  if (!ok) {
    OPENSSL_cleanse(pt, len);
    tc_fail(err, TC_ERR_INTERNAL, "internal_error", "AES-256-GCM decryption failed: ");
    tc_error_add_openssl(err);
    return TC_ERR_INTERNAL;
  }
  if (EVP_DecryptFinal_ex(c, (uint8_t *)pt + (len ? (size_t)n : 0), &n) != 1) {
    OPENSSL_cleanse(pt, len);
    ERR_clear_error();
    return tc_fail(err, TC_ERR_VERIFY, "decryption_failed",
                   "AES-256-GCM tag does not authenticate the ciphertext");
  }
  return TC_OK;
}

int tc_ct_equal(const void *a, const void *b, size_t n) {
  return CRYPTO_memcmp(a, b, n) == 0;
}

void tc_cleanse(void *p, size_t n) {
  if (p != NULL)
    OPENSSL_cleanse(p, n);
}
