/* SPDX-License-Identifier: Apache-2.0 */
/* The common part of a certificate built at test time (OpenSSL), for the tests that make
 * their own hierarchies: the caller adds extensions and signs. */
#ifndef TEECTL_TESTS_TEST_CERT_H
#define TEECTL_TESTS_TEST_CERT_H

#include <openssl/x509.h>
#include <stdint.h>
#include <time.h>

/* A v3 certificate of key with subject CN cn, issued by issuer's subject (NULL: its own,
 * self-issued), serial, valid from nb to na (seconds since the epoch); not signed. */
static inline X509 *test_cert_new(const char *cn, EVP_PKEY *key, X509 *issuer, long serial,
                                  int64_t nb, int64_t na) {
  X509 *c = X509_new();
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
  ASN1_TIME_set(X509_getm_notBefore(c), (time_t)nb);
  ASN1_TIME_set(X509_getm_notAfter(c), (time_t)na);
  X509_set_pubkey(c, key);
  X509_NAME *n = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
  X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : n);
  return c;
}

#endif
