/* SPDX-License-Identifier: Apache-2.0 */
/* OpenSSL started as the CLI starts it (tc_crypto_init_oneshot, teectl/crypto.h), before any
 * other OpenSSL use in this process: the error texts are not loaded at start-up, yet an error
 * shown to the user still carries OpenSSL's text (loaded when the error is formatted), and
 * digests and AES-GCM work without the legacy cipher-name table. Expected texts are
 * OpenSSL's own (`openssl errstr 0680009B`, `openssl errstr 04800066`); the digest and
 * cipher values are published test vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/err.h>

#include "crypto/x509.h"
#include "teectl/bytes.h"
#include "teectl/crypto.h"

static void test_error_text_after_lean_start(void **state) {
  (void)state;
  /* the start skipped the texts: the library names are not known yet (were they, a library
   * of this program started OpenSSL before main, as libjose's constructors do) */
  assert_null(ERR_lib_error_string(ERR_PACK(ERR_LIB_ASN1, 0, 0)));
  /* A DER SEQUENCE header that claims 1280 bytes, with 2 present. */
  static const uint8_t der[] = {0x30, 0x82, 0x05, 0x00, 0x01, 0x02};
  X509 *x = NULL;
  tc_error err;
  assert_int_equal(tc_x509_parse(der, sizeof der, &x, &err), TC_ERR_PARSE);
  assert_null(x);
  assert_string_equal(err.reason, "cert_unparsable");
  assert_non_null(strstr(err.detail, "error:0680009B:asn1 encoding routines::too long"));
  /* a PEM block without its END line */
  static const char pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n";
  assert_int_equal(tc_x509_parse((const uint8_t *)pem, sizeof pem - 1, &x, &err), TC_ERR_PARSE);
  assert_non_null(strstr(err.detail, "error:04800066:PEM routines::bad end line"));
}

/* FIPS 180-2 appendix B.1: SHA-256("abc"). */
static void test_digest_after_lean_start(void **state) {
  (void)state;
  char hex[2 * TC_SHA256_LEN + 1];
  assert_int_equal(tc_sha256_hex("abc", 3, hex, NULL), TC_OK);
  assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* The GCM specification's (McGrew, Viega) test case 14: AES-256, key, IV and one block of
 * plaintext all zero, no AAD. */
static void test_aes256gcm_after_lean_start(void **state) {
  (void)state;
  uint8_t key[32] = {0}, iv[12] = {0}, pt[16] = {0}, ct[16 + TC_AES256GCM_TAG_LEN];
  char hex[2 * sizeof ct + 1];
  assert_int_equal(tc_aes256gcm_seal(key, iv, NULL, 0, pt, sizeof pt, ct, NULL), TC_OK);
  assert_string_equal(tc_hex_encode(ct, sizeof ct, hex),
                      "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
}

int main(void) {
  tc_crypto_init_oneshot(); /* first OpenSSL use of the process, as in the CLI */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_error_text_after_lean_start),
      cmocka_unit_test(test_digest_after_lean_start),
      cmocka_unit_test(test_aes256gcm_after_lean_start),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
