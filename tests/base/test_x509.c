/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the shared X.509/CRL helpers on a hierarchy generated at test time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/test_cert.h"
#include "crypto/x509.h"
#include "teectl/rfc3339.h"

static const int64_t T0 = 1700000000; /* 2023-11-14T22:13:20Z */

static EVP_PKEY *ec_key(void) {
  return EVP_EC_gen("P-256");
}

static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                       long serial, int64_t nb, int64_t na, int ca) {
  X509 *c = test_cert_new(cn, key, issuer, serial, nb, na);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : c, c, NULL, NULL, 0);
  X509_EXTENSION *ext =
      X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
  X509_add_ext(c, ext, -1);
  X509_EXTENSION_free(ext);
  /* A private extension whose value is an OCTET STRING wrapping two bytes. */
  ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(os, (const unsigned char *)"\x04\x02\xab\xcd", 4);
  ASN1_OBJECT *obj = OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1);
  ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
  X509_add_ext(c, ext, -1);
  X509_EXTENSION_free(ext);
  ASN1_OBJECT_free(obj);
  ASN1_OCTET_STRING_free(os);
  X509_sign(c, issuer_key, EVP_sha256());
  return c;
}

static size_t to_pem(X509 *c, char *out, size_t cap) {
  BIO *b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, c);
  char *p;
  long n = BIO_get_mem_data(b, &p);
  assert_true((size_t)n < cap);
  memcpy(out, p, (size_t)n);
  BIO_free(b);
  return (size_t)n;
}

static void test_chain_and_signatures(void **state) {
  (void)state;
  EVP_PKEY *rk = ec_key(), *lk = ec_key(), *ok = ec_key();
  X509 *root = make_cert("Test Root", rk, NULL, rk, 1, T0, T0 + 1000, 1);
  X509 *leaf =
      make_cert("Test Leaf", lk, root, rk, 0 /* serial 0 like AMD VCEKs */, T0 + 10, T0 + 500, 0);
  X509 *other = make_cert("Other Root", ok, NULL, ok, 2, T0, T0 + 1000, 1);
  /* PEM chain with trailing NUL padding, as found inside DCAP quotes. */
  char pem[16384];
  size_t n = to_pem(leaf, pem, sizeof pem);
  n += to_pem(root, pem + n, sizeof pem - n);
  memset(pem + n, 0, 7);
  n += 7;
  STACK_OF(X509) *sk = NULL;
  tc_error err;
  assert_int_equal(tc_x509_parse_chain((const uint8_t *)pem, n, &sk, &err), TC_OK);
  assert_int_equal(sk_X509_num(sk), 2);
  char cn[64];
  tc_x509_subject_cn(sk_X509_value(sk, 0), cn, sizeof cn);
  assert_string_equal(cn, "Test Leaf");
  tc_x509_issuer_cn(sk_X509_value(sk, 0), cn, sizeof cn);
  assert_string_equal(cn, "Test Root");
  assert_int_equal(ASN1_INTEGER_get(X509_get0_serialNumber(sk_X509_value(sk, 0))), 0);

  assert_int_equal(tc_x509_check_issued_by(sk_X509_value(sk, 0), sk_X509_value(sk, 1),
                                           "cert_chain_invalid", &err),
                   TC_OK);
  assert_int_equal(tc_x509_check_issued_by(leaf, other, "cert_chain_invalid", &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "cert_chain_invalid");
  /* Same name, different key: the signature check must catch it. */
  X509 *fake_root = make_cert("Test Root", ok, NULL, ok, 1, T0, T0 + 1000, 1);
  assert_int_equal(tc_x509_check_issued_by(leaf, fake_root, "leaf_bad", &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "leaf_bad");

  /* Trailing garbage after the PEM blocks is rejected. */
  memcpy(pem + n - 7, "garbage", 7);
  sk_X509_pop_free(sk, X509_free);
  assert_int_equal(tc_x509_parse_chain((const uint8_t *)pem, n, &sk, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "cert_unparsable");
  /* Both certificates parse: the detail names the garbage after the last one (#2). */
  assert_non_null(strstr(err.detail, "trailing bytes after certificate #2"));
  /* A third certificate, then garbage: "#3". */
  n -= 7;
  n += to_pem(other, pem + n, sizeof pem - n);
  memcpy(pem + n, "\ntrailing junk\n", 15);
  assert_int_equal(tc_x509_parse_chain((const uint8_t *)pem, n + 15, &sk, &err), TC_ERR_PARSE);
  assert_non_null(strstr(err.detail, "trailing bytes after certificate #3"));
  /* A broken PEM block after the third is a certificate that does not parse. */
  static const char broken[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  memcpy(pem + n, broken, sizeof broken - 1);
  assert_int_equal(tc_x509_parse_chain((const uint8_t *)pem, n + sizeof broken - 1, &sk, &err),
                   TC_ERR_PARSE);
  assert_non_null(strstr(err.detail, "certificate #3 does not parse"));

  /* DER single certificate. */
  unsigned char *der = NULL;
  int dlen = i2d_X509(leaf, &der);
  X509 *back = NULL;
  assert_int_equal(tc_x509_parse(der, (size_t)dlen, &back, &err), TC_OK);
  assert_int_equal(X509_cmp(back, leaf), 0);
  X509_free(back);
  der[dlen / 2] ^= 0xff;
  assert_int_not_equal(tc_x509_parse(der, (size_t)dlen - 3, &back, &err), TC_OK);
  OPENSSL_free(der);

  /* Validity window: inclusive bounds. */
  assert_int_equal(tc_x509_check_time(leaf, T0 + 10, "expired", &err), TC_OK);
  assert_int_equal(tc_x509_check_time(leaf, T0 + 500, "expired", &err), TC_OK);
  assert_int_equal(tc_x509_check_time(leaf, T0 + 9, "expired", &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "expired");
  assert_non_null(strstr(err.detail, "Test Leaf"));
  assert_int_equal(tc_x509_check_time(leaf, T0 + 501, "expired", &err), TC_ERR_VERIFY);

  /* Extension lookup returns the extnValue octets. */
  const uint8_t *v;
  size_t vlen;
  assert_int_equal(tc_x509_extension(leaf, "1.3.6.1.4.1.99999.1", &v, &vlen), 1);
  assert_int_equal(vlen, 4);
  assert_memory_equal(v, "\x04\x02\xab\xcd", 4);
  assert_int_equal(tc_x509_extension(leaf, "1.3.6.1.4.1.99999.2", &v, &vlen), 0);

  /* SPKI pin: SHA-256 over the DER SubjectPublicKeyInfo, computed here independently. */
  uint8_t pin[32], want[32];
  unsigned char *spki = NULL;
  int slen = i2d_PUBKEY(lk, &spki);
  unsigned int wl = 32;
  EVP_Digest(spki, (size_t)slen, want, &wl, EVP_sha256(), NULL);
  OPENSSL_free(spki);
  assert_int_equal(tc_x509_spki_sha256(leaf, pin), 0);
  assert_memory_equal(pin, want, 32);

  X509_free(root);
  X509_free(leaf);
  X509_free(other);
  X509_free(fake_root);
  EVP_PKEY_free(rk);
  EVP_PKEY_free(lk);
  EVP_PKEY_free(ok);
}

static X509_CRL *make_crl(X509 *issuer, EVP_PKEY *key, long revoked_serial, int64_t tu,
                          int64_t nu) {
  X509_CRL *crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer));
  ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)tu);
  X509_CRL_set1_lastUpdate(crl, t);
  ASN1_TIME_set(t, (time_t)nu);
  X509_CRL_set1_nextUpdate(crl, t);
  X509_REVOKED *r = X509_REVOKED_new();
  ASN1_INTEGER *s = ASN1_INTEGER_new();
  ASN1_INTEGER_set(s, revoked_serial);
  X509_REVOKED_set_serialNumber(r, s);
  X509_REVOKED_set_revocationDate(r, t);
  X509_CRL_add0_revoked(crl, r);
  ASN1_INTEGER_free(s);
  ASN1_TIME_free(t);
  X509_CRL_sort(crl);
  X509_CRL_sign(crl, key, EVP_sha256());
  return crl;
}

static void test_crl(void **state) {
  (void)state;
  EVP_PKEY *rk = ec_key(), *ak = ec_key(), *bk = ec_key();
  X509 *root = make_cert("CRL Root", rk, NULL, rk, 1, T0, T0 + 1000, 1);
  X509 *a = make_cert("A", ak, root, rk, 7, T0, T0 + 1000, 0);
  X509 *b = make_cert("B", bk, root, rk, 8, T0, T0 + 1000, 0);
  X509_CRL *crl = make_crl(root, rk, 7, T0 + 100, T0 + 200);
  unsigned char *der = NULL;
  int dlen = i2d_X509_CRL(crl, &der);
  X509_CRL *parsed = NULL;
  tc_error err;
  assert_int_equal(tc_crl_parse(der, (size_t)dlen, &parsed, &err), TC_OK);
  assert_int_equal(tc_crl_check(parsed, root, T0 + 150, &err), TC_OK);
  assert_int_equal(tc_crl_revokes(parsed, a), 1);
  assert_int_equal(tc_crl_revokes(parsed, b), 0);
  assert_int_equal(tc_crl_check(parsed, root, T0 + 201, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "crl_expired");
  assert_int_equal(tc_crl_check(parsed, root, T0 + 99, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "crl_expired");
  /* Signed by another key under the same name: invalid. */
  EVP_PKEY *fk = ec_key();
  X509 *fake = make_cert("CRL Root", fk, NULL, fk, 1, T0, T0 + 1000, 1);
  assert_int_equal(tc_crl_check(parsed, fake, T0 + 150, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "crl_invalid");
  /* Issued by someone else's name. */
  assert_int_equal(tc_crl_check(parsed, a, T0 + 150, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "crl_invalid");
  X509_CRL_free(parsed);
  assert_int_equal(tc_crl_parse((const uint8_t *)"not a crl", 9, &parsed, &err), TC_ERR_PARSE);
  assert_null(parsed);
  assert_string_equal(err.reason, "crl_unparsable");
  OPENSSL_free(der);
  X509_CRL_free(crl);
  X509_free(root);
  X509_free(a);
  X509_free(b);
  X509_free(fake);
  EVP_PKEY_free(rk);
  EVP_PKEY_free(ak);
  EVP_PKEY_free(bk);
  EVP_PKEY_free(fk);
}

/* x with a keyUsage extension of value ku added, re-signed by key. */
static void add_key_usage(X509 *x, const char *ku, EVP_PKEY *key) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, ku);
  assert_non_null(ext);
  assert_int_equal(X509_add_ext(x, ext, -1), 1);
  X509_EXTENSION_free(ext);
  assert_true(X509_sign(x, key, EVP_sha256()) > 0);
}

/* RFC 5280: only a CA's key signs certificates (section 4.2.1.9: basicConstraints cA TRUE,
 * not a v1 certificate nor one without the extension), and a CRL issuer's keyUsage, when
 * present, allows cRLSign (section 6.3.3). Each with its positive control. */
static void test_issuer_is_ca_and_crl_signer(void **state) {
  (void)state;
  EVP_PKEY *rk = ec_key(), *ik = ec_key(), *lk = ec_key();
  X509 *root = make_cert("BC Root", rk, NULL, rk, 1, T0, T0 + 1000, 1);
  X509 *ca = make_cert("Real CA", ik, root, rk, 2, T0, T0 + 1000, 1);
  X509 *notca = make_cert("Not a CA", ik, root, rk, 3, T0, T0 + 1000, 0);
  X509 *nobc = test_cert_new("No Constraints", ik, root, 4, T0, T0 + 1000);
  assert_true(X509_sign(nobc, rk, EVP_sha256()) > 0);
  X509 *leaf1 = make_cert("Leaf", lk, ca, ik, 5, T0, T0 + 1000, 0);
  X509 *leaf2 = make_cert("Leaf", lk, notca, ik, 5, T0, T0 + 1000, 0);
  X509 *leaf3 = make_cert("Leaf", lk, nobc, ik, 5, T0, T0 + 1000, 0);
  tc_error err;
  assert_int_equal(tc_x509_check_issued_by(ca, root, "cert_chain_invalid", &err), TC_OK);
  assert_int_equal(tc_x509_check_issued_by(notca, root, "cert_chain_invalid", &err), TC_OK);
  assert_int_equal(tc_x509_check_issued_by(leaf1, ca, "cert_chain_invalid", &err), TC_OK);
  X509 *bad[] = {leaf2, leaf3}, *iss[] = {notca, nobc};
  for (int i = 0; i < 2; i++) {
    tc_error_clear(&err);
    assert_int_equal(tc_x509_check_issued_by(bad[i], iss[i], "cert_chain_invalid", &err),
                     TC_ERR_VERIFY);
    assert_string_equal(err.reason, "cert_chain_invalid");
    assert_non_null(strstr(err.detail, "the issuer is not a CA"));
  }

  /* a CRL signed by a CA whose keyUsage is keyCertSign alone, then keyCertSign, cRLSign */
  EVP_PKEY *ck = ec_key();
  X509 *signer = make_cert("CRL Signer", ck, NULL, ck, 9, T0, T0 + 1000, 1);
  add_key_usage(signer, "critical,keyCertSign", ck);
  X509_CRL *crl = make_crl(signer, ck, 7, T0 + 100, T0 + 200);
  assert_int_equal(tc_crl_check(crl, signer, T0 + 150, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "crl_invalid");
  assert_non_null(strstr(err.detail, "lacks cRLSign"));
  X509 *both = make_cert("CRL Signer", ck, NULL, ck, 9, T0, T0 + 1000, 1);
  add_key_usage(both, "critical,keyCertSign,cRLSign", ck);
  assert_int_equal(tc_crl_check(crl, both, T0 + 150, &err), TC_OK);

  X509_CRL_free(crl);
  X509 *all[] = {root, ca, notca, nobc, leaf1, leaf2, leaf3, signer, both};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    X509_free(all[i]);
  EVP_PKEY_free(rk);
  EVP_PKEY_free(ik);
  EVP_PKEY_free(lk);
  EVP_PKEY_free(ck);
}

/* A CA certificate with basicConstraints bc (e.g. "critical,CA:TRUE,pathlen:0"). */
static X509 *make_ca(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                     const char *bc) {
  X509 *c = test_cert_new(cn, key, issuer, 11, T0, T0 + 1000);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : c, c, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, bc);
  assert_non_null(ext);
  X509_add_ext(c, ext, -1);
  X509_EXTENSION_free(ext);
  assert_true(X509_sign(c, issuer_key, EVP_sha256()) > 0);
  return c;
}

/* RFC 5280 4.2.1.9 pathLenConstraint over leaf, intermediate, root: a root with pathlen 0
 * may not have the intermediate below it; pathlen 1, none, and an intermediate's pathlen 0
 * are fine. */
static void test_path_len(void **state) {
  (void)state;
  EVP_PKEY *rk = ec_key(), *ik = ec_key(), *lk = ec_key();
  const char *roots[] = {"critical,CA:TRUE,pathlen:0", "critical,CA:TRUE,pathlen:1",
                         "critical,CA:TRUE"};
  const tc_status want[] = {TC_ERR_VERIFY, TC_OK, TC_OK};
  for (int r = 0; r < 3; r++) {
    X509 *root = make_ca("PL Root", rk, NULL, rk, roots[r]);
    X509 *inter = make_ca("PL Intermediate", ik, root, rk, "critical,CA:TRUE,pathlen:0");
    X509 *leaf = make_cert("PL Leaf", lk, inter, ik, 12, T0, T0 + 1000, 0);
    X509 *const chain[] = {leaf, inter, root};
    tc_error err;
    tc_error_clear(&err);
    assert_int_equal(tc_x509_check_issued_by(leaf, inter, "cert_chain_invalid", &err), TC_OK);
    assert_int_equal(tc_x509_check_issued_by(inter, root, "cert_chain_invalid", &err), TC_OK);
    assert_int_equal(tc_x509_check_path_len(chain, 3, "cert_chain_invalid", &err), want[r]);
    if (want[r] != TC_OK) {
      assert_string_equal(err.reason, "cert_chain_invalid");
      assert_non_null(strstr(err.detail, "'PL Root' allows 0 intermediate CA certificates"));
    }
    /* the two-certificate chain below the same root is always within it */
    assert_int_equal(tc_x509_check_path_len(chain + 1, 2, "cert_chain_invalid", &err), TC_OK);
    X509_free(leaf);
    X509_free(inter);
    X509_free(root);
  }
  EVP_PKEY_free(rk);
  EVP_PKEY_free(ik);
  EVP_PKEY_free(lk);
}

/* An encrypted PEM block (RFC 1421 Proc-Type/DEK-Info headers) is refused without asking
 * for a pass phrase: the callback gives none ("bad password read"), OpenSSL's own terminal
 * prompt (which fails without a terminal: "problems getting password") is never reached.
 * OpenSSL's reasons follow the detail's ": " directly, never as ": ; ". */
static void test_encrypted_pem_refused(void **state) {
  (void)state;
  EVP_PKEY *k = ec_key();
  X509 *c = make_cert("Encrypted", k, NULL, k, 9, T0 - 10, T0 + 10, 1);
  char pem[4096], enc[4200];
  size_t n = to_pem(c, pem, sizeof pem);
  pem[n] = '\0';
  const char *body = strchr(pem, '\n') + 1;
  int m = snprintf(enc, sizeof enc,
                   "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n"
                   "DEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\n\n%s",
                   body);
  assert_true(m > 0 && (size_t)m < sizeof enc);
  STACK_OF(X509) *sk = NULL;
  tc_error err;
  tc_error_clear(&err);
  assert_int_equal(tc_x509_parse_chain((const uint8_t *)enc, (size_t)m, &sk, &err), TC_ERR_PARSE);
  assert_null(sk);
  assert_string_equal(err.reason, "cert_unparsable");
  assert_non_null(strstr(err.detail, "PEM certificate #0 does not parse: error:"));
  assert_non_null(strstr(err.detail, "bad password read"));
  assert_null(strstr(err.detail, "problems getting password"));
  assert_null(strstr(err.detail, ": ;"));

  /* plain garbage: the same detail shape */
  tc_error_clear(&err);
  static const uint8_t junk[] = {0x30, 0x82, 0x05, 0x00, 0x01, 0x02};
  assert_int_equal(tc_x509_parse_chain(junk, sizeof junk, &sk, &err), TC_ERR_PARSE);
  assert_non_null(strstr(err.detail, "certificate: error:"));
  assert_null(strstr(err.detail, ": ;"));
  X509_free(c);
  EVP_PKEY_free(k);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chain_and_signatures),        cmocka_unit_test(test_crl),
      cmocka_unit_test(test_issuer_is_ca_and_crl_signer), cmocka_unit_test(test_path_len),
      cmocka_unit_test(test_encrypted_pem_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
