/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — ownership by scope (private header).
 *
 * A variable declared with TC_AUTO(type) is released when it goes out of scope, on
 * every return path, with the free function of its type (GCC/Clang cleanup attribute).
 * Hand ownership to the caller by clearing the variable: `*out = x; x = NULL;`.
 *
 *   TC_AUTO(X509) *cert = NULL;      X509_free
 *   TC_AUTO(X509_CRL) *crl = NULL;   X509_CRL_free
 *   TC_AUTO(EVP_PKEY) *key = NULL;   EVP_PKEY_free
 *   TC_AUTO(EVP_MD_CTX) *md = NULL;  EVP_MD_CTX_free
 *   TC_AUTO(ECDSA_SIG) *sig = NULL;  ECDSA_SIG_free
 *   TC_AUTO(BIGNUM) *bn = NULL;      BN_free
 *   TC_AUTO(tc_x509_stack) *sk = NULL;  STACK_OF(X509) with every certificate
 *   TC_AUTO(tc_ossl_bytes) *der = NULL; bytes from OpenSSL (i2d_*), OPENSSL_free
 *   TC_AUTO(tc_trust_store) *ts = NULL;  tc_trust_store_free
 *   TC_AUTO_BUF b = {0};             a tc_buf, tc_buf_free
 *   json_auto_t *j = NULL;           jansson's own (json_decref)
 */
#ifndef TEECTL_CORE_AUTO_H
#define TEECTL_CORE_AUTO_H

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "teectl/bytes.h"
#include "teectl/verify.h"

#if !defined(__GNUC__) && !defined(__clang__)
#error "teectl needs the cleanup attribute of GCC or Clang"
#endif

typedef STACK_OF(X509) tc_x509_stack;
typedef unsigned char tc_ossl_bytes;

#define TC_AUTO(type) __attribute__((cleanup(tc_autofree_##type))) type
#define TC_AUTO_BUF __attribute__((cleanup(tc_buf_free))) tc_buf

/* One releaser per type: takes the address of the variable, tolerates NULL. */
#define TC_AUTOFREE_DEFINE(type, release)                                                          \
  static inline void tc_autofree_##type(type **p) {                                                \
    if (*p != NULL)                                                                                \
      release(*p);                                                                                 \
    *p = NULL;                                                                                     \
  }

static inline void tc_x509_stack_release(tc_x509_stack *sk) {
  sk_X509_pop_free(sk, X509_free);
}
static inline void tc_ossl_bytes_release(tc_ossl_bytes *b) {
  OPENSSL_free(b);
}

TC_AUTOFREE_DEFINE(X509, X509_free)
TC_AUTOFREE_DEFINE(X509_CRL, X509_CRL_free)
TC_AUTOFREE_DEFINE(EVP_PKEY, EVP_PKEY_free)
TC_AUTOFREE_DEFINE(EVP_MD_CTX, EVP_MD_CTX_free)
TC_AUTOFREE_DEFINE(EVP_PKEY_CTX, EVP_PKEY_CTX_free)
TC_AUTOFREE_DEFINE(ECDSA_SIG, ECDSA_SIG_free)
TC_AUTOFREE_DEFINE(BIGNUM, BN_free)
TC_AUTOFREE_DEFINE(BIO, BIO_free)
TC_AUTOFREE_DEFINE(tc_x509_stack, tc_x509_stack_release)
TC_AUTOFREE_DEFINE(tc_ossl_bytes, tc_ossl_bytes_release)
TC_AUTOFREE_DEFINE(tc_trust_store, tc_trust_store_free)

#endif
