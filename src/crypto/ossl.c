/* SPDX-License-Identifier: Apache-2.0 */
/* OpenSSL's error queue into a tc_error (crypto/ossl.h); OpenSSL's start for a one-shot
 * process (teectl/crypto.h). */

/* The per-library loaders of OpenSSL's error texts (ERR_load_ASN1_strings, ...) are
 * deprecated in OpenSSL 3.0 in favour of loading every text at start-up; they are still part
 * of libcrypto 3's ABI and what loads the texts later, only when an error is shown. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "crypto/ossl.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

void tc_crypto_init_oneshot(void) {
  (void)OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
                                OPENSSL_INIT_NO_ATEXIT,
                            NULL);
}

/* The error texts, when tc_crypto_init_oneshot kept OpenSSL from loading them at start-up:
 * the library names and common reasons (ERR), and the reasons of every library whose loader
 * libcrypto 3 exports. Those it does not export (providers, decoders, encoders, HTTP, CMP,
 * CRMF, ESS, SM2) keep "reason(N)" beside their library's name; the error code is printed
 * in full either way (`openssl errstr CODE` names it). Each loader loads its table once. */
static void load_error_texts(void) {
  if (ERR_lib_error_string(ERR_PACK(ERR_LIB_ASN1, 0, 0)) != NULL)
    return; /* loaded (OpenSSL's default start, or an earlier error) */
  ERR_load_ERR_strings();
  ERR_load_ASN1_strings();
  ERR_load_ASYNC_strings();
  ERR_load_BIO_strings();
  ERR_load_BN_strings();
  ERR_load_BUF_strings();
  ERR_load_CMS_strings();
  ERR_load_COMP_strings();
  ERR_load_CONF_strings();
  ERR_load_CRYPTO_strings();
  ERR_load_CT_strings();
  ERR_load_DH_strings();
  ERR_load_DSA_strings();
  ERR_load_EC_strings();
  ERR_load_ENGINE_strings();
  ERR_load_EVP_strings();
  ERR_load_KDF_strings();
  ERR_load_OBJ_strings();
  ERR_load_OCSP_strings();
  ERR_load_OSSL_STORE_strings();
  ERR_load_PEM_strings();
  ERR_load_PKCS12_strings();
  ERR_load_PKCS7_strings();
  ERR_load_RAND_strings();
  ERR_load_RSA_strings();
  ERR_load_TS_strings();
  ERR_load_UI_strings();
  ERR_load_X509_strings();
  ERR_load_X509V3_strings();
}

int tc_pem_no_passphrase(char *buf, int size, int rwflag, void *u) {
  (void)buf;
  (void)size;
  (void)rwflag;
  (void)u;
  return -1;
}

void tc_error_add_openssl(tc_error *err) {
  unsigned long e;
  char buf[256];
  int added = 0;
  if (err != NULL && ERR_peek_error() != 0)
    load_error_texts();
  while ((e = ERR_get_error()) != 0) {
    if (err == NULL)
      continue;
    ERR_error_string_n(e, buf, sizeof buf);
    size_t len = strlen(err->detail);
    /* after a detail that ends in ": " (it introduces OpenSSL's reasons) the first one
     * follows directly; the others are "; "-separated */
    const char *sep = len == 0 || (!added && len >= 2 && err->detail[len - 2] == ':' &&
                                   err->detail[len - 1] == ' ')
                          ? ""
                          : "; ";
    if (len + strlen(sep) < sizeof err->detail - 1) {
      snprintf(err->detail + len, sizeof err->detail - len, "%s%s", sep, buf);
      added = 1;
    }
  }
  /* nothing to add after a detail that announced it: no dangling ": " */
  size_t len = err != NULL ? strlen(err->detail) : 0;
  if (!added && len >= 2 && err->detail[len - 2] == ':' && err->detail[len - 1] == ' ')
    err->detail[len - 2] = '\0';
}
