/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — what the files of the crypto module share about OpenSSL (private to
 * src/crypto and the verifiers' certificate code; no public header includes it). */
#ifndef TEECTL_CRYPTO_OSSL_H
#define TEECTL_CRYPTO_OSSL_H

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/auto.h"
#include "teectl/crypto.h"
#include "teectl/error.h"

/* Releasers for TC_AUTO (core/auto.h) of the OpenSSL types:
 *   TC_AUTO(X509) *cert = NULL;      X509_free
 *   TC_AUTO(X509_CRL) *crl = NULL;   X509_CRL_free
 *   TC_AUTO(EVP_PKEY) *key = NULL;   EVP_PKEY_free
 *   TC_AUTO(EVP_PKEY_CTX) *c = NULL; EVP_PKEY_CTX_free
 *   TC_AUTO(EVP_MD_CTX) *md = NULL;  EVP_MD_CTX_free
 *   TC_AUTO(ECDSA_SIG) *sig = NULL;  ECDSA_SIG_free
 *   TC_AUTO(BIGNUM) *bn = NULL;      BN_free
 *   TC_AUTO(BIO) *bio = NULL;        BIO_free
 *   TC_AUTO(tc_x509_stack) *sk = NULL;  STACK_OF(X509) with every certificate
 *   TC_AUTO(tc_ossl_bytes) *der = NULL; bytes from OpenSSL (i2d_*), OPENSSL_free
 */
typedef STACK_OF(X509) tc_x509_stack;
typedef unsigned char tc_ossl_bytes;

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

/** OpenSSL's digest for alg (static, never freed), NULL for a value outside the enum. */
const EVP_MD *tc_md_of(tc_hash_alg alg);

/** OpenSSL's pem_password_cb that gives no pass phrase (-1): an encrypted PEM block is
 *  refused ("PEM routines::bad password read") instead of OpenSSL asking on a terminal. */
int tc_pem_no_passphrase(char *buf, int size, int rwflag, void *u);

/** Append the OpenSSL error queue (and clear it) to err->detail, "; "-separated; right
 *  after a detail that ends in ": " without a separator, and when the queue is empty that
 *  ": " is removed. err NULL: only clears the queue. */
void tc_error_add_openssl(tc_error *err);

#endif
