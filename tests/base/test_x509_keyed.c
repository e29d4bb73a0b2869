/* SPDX-License-Identifier: Apache-2.0 */
/* tc_x509_parse_keyed and the checks that take its key (crypto/x509.h) against OpenSSL's
 * own path (d2i_X509, X509_get0_pubkey, X509_check_issued, tc_x509_check_issued_by,
 * tc_crl_check_signature) as the reference: the same key, the same issuer codes, the same
 * status, reason and detail, for
 *   - hierarchies of every pairing of P-256, P-384, RSA-2048 and Ed25519 keys, an issuer
 *     whose keyUsage lacks keyCertSign and one whose SKID differs from the subject's AKID;
 *   - every byte of a generated P-256 chain changed (xor 0x01, then xor 0x80), each changed
 *     certificate as subject, as issuer and as its own issuer;
 *   - the same over the real Intel SGX chain of a DCAP vector case (PCK chain and TCB
 *     signing certificate with their CRLs) when ../shared/vectors is present;
 *   - a P-256 key written compressed, hybrid or with the curve's parameters spelled out
 *     (RFC 5480 section 2, SEC 1 2.3.3) as issuer, subject and CRL issuer, and proxy
 *     certificates (RFC 3820) under issuers whose keyUsage has keyCertSign,
 *     digitalSignature, both or is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/test_cert.h"
#include "crypto/ecdsa.h"
#include "crypto/x509.h"
#include "teectl/file.h"

static const int64_t T0 = 1700000000; /* 2023-11-14T22:13:20Z */
static EVP_PKEY *g_p256;              /* P-256 parameters, as the DCAP pool makes them */

/* One certificate parsed both ways. */
typedef struct {
  X509 *ref; /* d2i_X509: OpenSSL decodes the key */
  X509 *x;   /* tc_x509_parse_keyed */
  EVP_PKEY *key;
} two;

static void two_free(two *t) {
  X509_free(t->ref);
  X509_free(t->x);
  EVP_PKEY_free(t->key);
  memset(t, 0, sizeof *t);
}

/* Parse der both ways; 1 if both parse, 0 if neither (anything else fails the test). The
 * key must be OpenSSL's (both absent, or equal). */
static int parse_two(const uint8_t *der, size_t len, two *t) {
  memset(t, 0, sizeof *t);
  const unsigned char *p = der;
  t->ref = d2i_X509(NULL, &p, (long)len);
  t->x = tc_x509_parse_keyed(der, len, g_p256, &t->key);
  ERR_clear_error();
  if ((t->ref == NULL) != (t->x == NULL))
    fail_msg("d2i_X509 %s, tc_x509_parse_keyed %s", t->ref ? "parses" : "fails",
             t->x ? "parses" : "fails");
  if (t->ref == NULL)
    return 0;
  EVP_PKEY *want = X509_get0_pubkey(t->ref);
  ERR_clear_error();
  if ((want == NULL) != (t->key == NULL))
    fail_msg("OpenSSL's key %s, the keyed parse's %s", want ? "decodes" : "does not",
             t->key ? "is made" : "is not");
  if (want != NULL && EVP_PKEY_eq(want, t->key) != 1)
    fail_msg("the keyed parse's key differs from OpenSSL's");
  ERR_clear_error();
  return 1;
}

/* sub issued by iss: the same code, status, reason and detail both ways; returns the
 * status. */
static tc_status same_issued(two *sub, two *iss) {
  int c1 = X509_check_issued(iss->ref, sub->ref);
  int c2 = tc_x509_issued(iss->x, iss->key, sub->x);
  ERR_clear_error();
  if (c1 != c2)
    fail_msg("X509_check_issued %d (%s), tc_x509_issued %d (%s)", c1,
             X509_verify_cert_error_string(c1), c2, X509_verify_cert_error_string(c2));
  tc_error e1, e2;
  tc_error_clear(&e1);
  tc_error_clear(&e2);
  tc_status s1 = tc_x509_check_issued_by(sub->ref, iss->ref, "chain_invalid", &e1);
  tc_status s2 = tc_x509_check_issued_with(sub->x, iss->x, iss->key, "chain_invalid", &e2);
  ERR_clear_error();
  if (s1 != s2 || strcmp(e1.reason, e2.reason) != 0 || strcmp(e1.detail, e2.detail) != 0)
    fail_msg("check_issued_by %d %s (%s), check_issued_with %d %s (%s)", s1, e1.reason, e1.detail,
             s2, e2.reason, e2.detail);
  return s1;
}

/* crl signed by iss: the same status, reason and detail both ways. */
static tc_status same_crl(X509_CRL *crl, two *iss) {
  tc_error e1, e2;
  tc_error_clear(&e1);
  tc_error_clear(&e2);
  tc_status s1 = tc_crl_check_signature(crl, iss->ref, &e1);
  tc_status s2 = tc_crl_check_signature_with(crl, iss->x, iss->key, &e2);
  ERR_clear_error();
  if (s1 != s2 || strcmp(e1.detail, e2.detail) != 0)
    fail_msg("CRL check %d (%s), keyed %d (%s)", s1, e1.detail, s2, e2.detail);
  return s1;
}

/* ---- generated hierarchies ---- */

static EVP_PKEY *gen_key(const char *kind) {
  if (strcmp(kind, "RSA") == 0)
    return EVP_RSA_gen(2048);
  if (strcmp(kind, "ED25519") == 0)
    return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
  return EVP_EC_gen(kind);
}

/* A v3 certificate of key signed by issuer_key (self-signed: issuer NULL) with basic
 * constraints, SKID / AKID and keyUsage ku (NULL: none). skid_junk 1: an SKID that is not
 * the key's hash (so a subject's AKID does not match it); 2: no SKID (any AKID passes). */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                       const char *ku, int skid_junk, const EVP_MD *md) {
  X509 *c = test_cert_new(cn, key, issuer, 7, T0, T0 + 86400 * 365);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : c, c, NULL, NULL, 0);
  const struct {
    int nid;
    const char *value;
  } exts[] = {{NID_basic_constraints, "critical,CA:TRUE"},
              {NID_subject_key_identifier, skid_junk ? "0102030405060708" : "hash"},
              {NID_authority_key_identifier, "keyid:always"},
              {NID_key_usage, ku}};
  for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
    if (exts[i].value == NULL || (issuer == NULL && exts[i].nid == NID_authority_key_identifier) ||
        (skid_junk == 2 && exts[i].nid == NID_subject_key_identifier))
      continue;
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, exts[i].nid, exts[i].value);
    assert_non_null(ext);
    X509_add_ext(c, ext, -1);
    X509_EXTENSION_free(ext);
  }
  assert_true(X509_sign(c, issuer_key, md) > 0);
  return c;
}

static X509_CRL *make_crl(X509 *issuer, EVP_PKEY *key, const EVP_MD *md) {
  X509_CRL *crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer));
  ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)T0);
  X509_CRL_set1_lastUpdate(crl, t);
  ASN1_TIME_set(t, (time_t)(T0 + 86400));
  X509_CRL_set1_nextUpdate(crl, t);
  ASN1_TIME_free(t);
  assert_true(X509_CRL_sign(crl, key, md) > 0);
  return crl;
}

/* A certificate's DER into a two (parsed both ways). */
static void two_of(X509 *c, two *t) {
  unsigned char *der = NULL;
  int n = i2d_X509(c, &der);
  assert_true(n > 0);
  assert_int_equal(parse_two(der, (size_t)n, t), 1);
  OPENSSL_free(der);
}

static void test_key_types(void **state) {
  (void)state;
  static const char *kinds[] = {"P-256", "P-384", "RSA", "ED25519"};
  enum { NK = sizeof kinds / sizeof kinds[0] };
  EVP_PKEY *keys[NK];
  for (int i = 0; i < NK; i++)
    assert_non_null(keys[i] = gen_key(kinds[i]));
  int keyless = 0;
  for (int i = 0; i < NK; i++) {
    const EVP_MD *md_i = strcmp(kinds[i], "ED25519") == 0 ? NULL : EVP_sha256();
    X509 *root = make_cert("root", keys[i], NULL, keys[i], "critical,keyCertSign,cRLSign", 0, md_i);
    two r;
    two_of(root, &r);
    keyless += X509_get0_pubkey(r.x) == NULL;
    ERR_clear_error();
    assert_int_equal(same_issued(&r, &r), TC_OK); /* self-signed */
    X509_CRL *crl = make_crl(root, keys[i], md_i);
    assert_int_equal(same_crl(crl, &r), TC_OK);
    for (int j = 0; j < NK; j++) {
      X509 *sub = make_cert("sub", keys[j], root, keys[i], NULL, 0, md_i);
      two s;
      two_of(sub, &s);
      assert_int_equal(same_issued(&s, &r), TC_OK);
      assert_int_not_equal(same_issued(&r, &s), TC_OK); /* the wrong way round */
      if (i != j) {
        assert_int_not_equal(same_crl(crl, &s), TC_OK);
        X509 *other = make_cert("root", keys[j], NULL, keys[j], NULL, 2,
                                strcmp(kinds[j], "ED25519") == 0 ? NULL : EVP_sha256());
        two o;
        two_of(other, &o); /* same name, no SKID, another key type: algorithm mismatch */
        assert_int_not_equal(same_issued(&s, &o), TC_OK);
        int code = tc_x509_issued(o.x, o.key, s.x);
        assert_true(code == X509_V_ERR_SIGNATURE_ALGORITHM_MISMATCH || code == X509_V_OK);
        two_free(&o);
        X509_free(other);
      }
      two_free(&s);
      X509_free(sub);
    }
    /* an issuer whose keyUsage does not allow certificate signing, one whose SKID is not
     * what its subject's AKID names, a subject signed with SHA-384 */
    X509 *noku = make_cert("noku", keys[i], NULL, keys[i], "critical,digitalSignature", 0, md_i);
    X509 *junk = make_cert("junk", keys[i], NULL, keys[i], NULL, 1, md_i);
    X509 *s1 = make_cert("s1", keys[0], noku, keys[i], NULL, 0, md_i);
    X509 *s2 = make_cert("s2", keys[0], root, keys[i], NULL, 0, md_i != NULL ? EVP_sha384() : NULL);
    two n, k, t1, t2;
    two_of(noku, &n);
    two_of(junk, &k);
    two_of(s1, &t1);
    two_of(s2, &t2);
    assert_int_not_equal(same_issued(&t1, &n), TC_OK);
    assert_int_not_equal(same_issued(&t2, &k), TC_OK);
    assert_int_equal(same_issued(&t2, &r), TC_OK);
    two_free(&n);
    two_free(&k);
    two_free(&t1);
    two_free(&t2);
    X509_free(noku);
    X509_free(junk);
    X509_free(s1);
    X509_free(s2);
    X509_CRL_free(crl);
    two_free(&r);
    X509_free(root);
  }
  /* only the P-256 certificates were parsed without OpenSSL's key decode */
  assert_int_equal(keyless, 1);
  for (int i = 0; i < NK; i++)
    EVP_PKEY_free(keys[i]);
}

/* ---- every byte changed ---- */

typedef struct {
  uint8_t *der[4];
  size_t len[4];
  int issuer[4];    /* index of each certificate's issuer in the chain */
  X509_CRL *crl[4]; /* a CRL issued by certificate i, or NULL */
  int n;
} chain;

/* Change each byte of each certificate (xor 0x01, xor 0x80); the changed certificate is
 * checked as subject of its issuer, as issuer of the certificates it issued, as its own
 * issuer and as the issuer of its CRL, both ways. Returns the number of changes that
 * still parsed. */
static size_t sweep(const chain *c) {
  two t[4];
  for (int i = 0; i < c->n; i++)
    assert_int_equal(parse_two(c->der[i], c->len[i], &t[i]), 1);
  for (int i = 0; i < c->n; i++)
    assert_int_equal(same_issued(&t[i], &t[c->issuer[i]]), TC_OK);
  size_t parsed = 0;
  for (int i = 0; i < c->n; i++) {
    uint8_t *d = malloc(c->len[i]);
    for (size_t b = 0; b < c->len[i]; b++)
      for (int m = 0; m < 2; m++) {
        memcpy(d, c->der[i], c->len[i]);
        d[b] ^= m ? 0x80 : 0x01;
        two x;
        if (!parse_two(d, c->len[i], &x))
          continue;
        parsed++;
        same_issued(&x, c->issuer[i] == i ? &x : &t[c->issuer[i]]);
        same_issued(&x, &x);
        for (int j = 0; j < c->n; j++)
          if (j != i && c->issuer[j] == i)
            same_issued(&t[j], &x);
        if (c->crl[i] != NULL)
          same_crl(c->crl[i], &x);
        two_free(&x);
      }
    free(d);
  }
  for (int i = 0; i < c->n; i++)
    two_free(&t[i]);
  return parsed;
}

static void test_every_byte_generated(void **state) {
  (void)state;
  EVP_PKEY *kr = gen_key("P-256"), *kc = gen_key("P-256"), *kl = gen_key("P-256");
  X509 *root = make_cert("root", kr, NULL, kr, "critical,keyCertSign,cRLSign", 0, EVP_sha256());
  X509 *ca = make_cert("ca", kc, root, kr, "critical,keyCertSign,cRLSign", 0, EVP_sha256());
  X509 *leaf = make_cert("leaf", kl, ca, kc, "critical,digitalSignature", 0, EVP_sha256());
  chain c = {.n = 3, .issuer = {2, 0, 2}};
  X509 *certs[3] = {leaf, ca, root};
  for (int i = 0; i < 3; i++) {
    unsigned char *der = NULL;
    int n = i2d_X509(certs[i], &der);
    assert_true(n > 0);
    c.der[i] = der;
    c.len[i] = (size_t)n;
  }
  c.issuer[0] = 1;
  c.issuer[1] = 2;
  c.issuer[2] = 2;
  c.crl[1] = make_crl(ca, kc, EVP_sha256());
  c.crl[2] = make_crl(root, kr, EVP_sha256());
  size_t parsed = sweep(&c);
  print_message("  generated P-256 chain: %zu changed certificates parsed and agreed\n", parsed);
  assert_true(parsed > 0);
  for (int i = 0; i < 3; i++) {
    OPENSSL_free(c.der[i]);
    X509_free(certs[i]);
    X509_CRL_free(c.crl[i]);
  }
  EVP_PKEY_free(kr);
  EVP_PKEY_free(kc);
  EVP_PKEY_free(kl);
}

/* The PEM certificates of file into c from index at; returns how many. */
static int read_pems(const char *file, chain *c, int at) {
  tc_buf b = {0};
  tc_error err;
  assert_int_equal(tc_file_read(file, 0, &b, &err), TC_OK);
  BIO *bio = BIO_new_mem_buf(b.data, (int)b.len);
  int n = 0;
  X509 *x;
  while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
    unsigned char *der = NULL;
    int l = i2d_X509(x, &der);
    assert_true(l > 0 && at + n < 4);
    c->der[at + n] = der;
    c->len[at + n] = (size_t)l;
    n++;
    X509_free(x);
  }
  ERR_clear_error();
  BIO_free(bio);
  tc_buf_free(&b);
  return n;
}

static X509_CRL *read_crl(const char *file) {
  tc_buf b = {0};
  tc_error err;
  X509_CRL *crl = NULL;
  assert_int_equal(tc_file_read(file, 0, &b, &err), TC_OK);
  assert_int_equal(tc_crl_parse(b.data, b.len, &crl, &err), TC_OK);
  tc_buf_free(&b);
  return crl;
}

static void test_every_byte_intel(void **state) {
  (void)state;
  const char *vec = getenv("TEECTL_VECTORS");
  char dir[1024], path[1200];
  snprintf(dir, sizeof dir, "%s/dcap/tdx-v4-gcp-cos-00806f050000", vec ? vec : "");
  snprintf(path, sizeof path, "%s/pck_chain.pem", dir);
  if (vec == NULL || !tc_file_exists(path)) {
    const char *ci = getenv("CI");
    if (ci != NULL && strcmp(ci, "true") == 0)
      fail_msg("CI=true: the shared vectors must be present (%s)", path);
    print_message("  SKIP: no DCAP vectors (set TEECTL_VECTORS)\n");
    return;
  }
  /* leaf, PCK CA, root, then the TCB signing certificate (issued by the root) */
  chain c = {.issuer = {1, 2, 2, 2}};
  assert_int_equal(read_pems(path, &c, 0), 3);
  snprintf(path, sizeof path, "%s/tcb_info_issuer_chain.pem", dir);
  chain t = {0};
  assert_int_equal(read_pems(path, &t, 0), 2);
  c.der[3] = t.der[0];
  c.len[3] = t.len[0];
  OPENSSL_free(t.der[1]);
  c.n = 4;
  snprintf(path, sizeof path, "%s/pck_crl.der", dir);
  c.crl[1] = read_crl(path);
  snprintf(path, sizeof path, "%s/root_ca_crl.der", dir);
  c.crl[2] = read_crl(path);
  size_t parsed = sweep(&c);
  print_message("  Intel SGX chain: %zu changed certificates parsed and agreed\n", parsed);
  assert_true(parsed > 0);
  for (int i = 0; i < 4; i++) {
    OPENSSL_free(c.der[i]);
    X509_CRL_free(c.crl[i]);
  }
}

/* ---- other key forms, proxy certificates ---- */

/* key's public part set to be written in form ("compressed", "hybrid" with the point
 * conversion parameter, "explicit" with the encoding one; "named": as generated). */
static EVP_PKEY *in_form(EVP_PKEY *key, const char *form) {
  EVP_PKEY *k = EVP_PKEY_dup(key);
  assert_non_null(k);
  if (strcmp(form, "explicit") == 0)
    assert_int_equal(EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_ENCODING, form), 1);
  else if (strcmp(form, "named") != 0)
    assert_int_equal(
        EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, form), 1);
  return k;
}

static void test_key_forms(void **state) {
  (void)state;
  static const char *forms[] = {"named", "compressed", "hybrid", "explicit"};
  enum { NF = sizeof forms / sizeof forms[0] };
  EVP_PKEY *ik = gen_key("P-256"), *sk = gen_key("P-256");
  assert_true(ik != NULL && sk != NULL);
  for (int i = 0; i < NF; i++) {
    EVP_PKEY *ipub = in_form(ik, forms[i]);
    X509 *root = make_cert("root", ipub, NULL, ik, "critical,keyCertSign,cRLSign", 0, EVP_sha256());
    two r;
    two_of(root, &r);
    /* only Intel's form is parsed without OpenSSL's key decode; the others by d2i_X509 */
    assert_int_equal(X509_get0_pubkey(r.x) == NULL, i == 0);
    ERR_clear_error();
    assert_non_null(r.key);
    assert_int_equal(same_issued(&r, &r), TC_OK);
    X509_CRL *crl = make_crl(root, ik, EVP_sha256());
    assert_int_equal(same_crl(crl, &r), TC_OK);
    for (int j = 0; j < NF; j++) {
      EVP_PKEY *spub = in_form(sk, forms[j]);
      X509 *sub = make_cert("sub", spub, root, ik, NULL, 0, EVP_sha256());
      two s;
      two_of(sub, &s);
      assert_int_equal(same_issued(&s, &r), TC_OK);
      assert_int_not_equal(same_issued(&r, &s), TC_OK);
      assert_int_not_equal(same_crl(crl, &s), TC_OK);
      two_free(&s);
      X509_free(sub);
      EVP_PKEY_free(spub);
    }
    X509_CRL_free(crl);
    two_free(&r);
    X509_free(root);
    EVP_PKEY_free(ipub);
  }
  EVP_PKEY_free(ik);
  EVP_PKEY_free(sk);
}

/* An end-entity certificate of key issued by issuer (signed with issuer_key), a proxy
 * certificate (proxyCertInfo, RFC 3820 section 3.8) when proxy is 1. */
static X509 *make_ee(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int proxy) {
  X509 *c = test_cert_new(cn, key, issuer, 9, T0, T0 + 86400 * 365);
  if (proxy) {
    /* ProxyCertInfoExtension ::= SEQUENCE { pCPathLenConstraint absent, proxyPolicy
     * SEQUENCE { policyLanguage id-ppl-inheritAll (1.3.6.1.5.5.7.21.1) } } */
    static const uint8_t pci[] = {0x30, 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2b,
                                  0x06, 0x01, 0x05, 0x05, 0x07, 0x15, 0x01};
    ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
    assert_non_null(v);
    assert_int_equal(ASN1_OCTET_STRING_set(v, pci, sizeof pci), 1);
    X509_EXTENSION *ext = X509_EXTENSION_create_by_NID(NULL, NID_proxyCertInfo, 1, v);
    assert_non_null(ext);
    X509_add_ext(c, ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(v);
  }
  assert_true(X509_sign(c, issuer_key, EVP_sha256()) > 0);
  return c;
}

static void test_proxy(void **state) {
  (void)state;
  /* OpenSSL 3.0's rule (crypto/x509/v3_purp.c ossl_x509_signing_allowed): a proxy
   * certificate needs digitalSignature in its issuer's keyUsage, any other keyCertSign;
   * an issuer without keyUsage allows both */
  static const struct {
    const char *ku;
    int proxy_code, ee_code;
  } cases[] = {
      {"critical,keyCertSign", X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE, X509_V_OK},
      {"critical,digitalSignature", X509_V_OK, X509_V_ERR_KEYUSAGE_NO_CERTSIGN},
      {"critical,digitalSignature,keyCertSign", X509_V_OK, X509_V_OK},
      {NULL, X509_V_OK, X509_V_OK},
  };
  EVP_PKEY *ik = gen_key("P-256"), *sk = gen_key("P-256");
  assert_true(ik != NULL && sk != NULL);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    X509 *iss = make_cert("issuer", ik, NULL, ik, cases[i].ku, 0, EVP_sha256());
    two t;
    two_of(iss, &t);
    assert_null(X509_get0_pubkey(t.x)); /* the keyed parse's: tc_x509_issued completes */
    ERR_clear_error();
    for (int proxy = 0; proxy < 2; proxy++) {
      X509 *sub = make_ee("ee", sk, iss, ik, proxy);
      two s;
      two_of(sub, &s);
      same_issued(&s, &t);
      assert_int_equal(tc_x509_issued(t.x, t.key, s.x),
                       proxy ? cases[i].proxy_code : cases[i].ee_code);
      two_free(&s);
      X509_free(sub);
    }
    two_free(&t);
    X509_free(iss);
  }
  EVP_PKEY_free(ik);
  EVP_PKEY_free(sk);
}

int main(void) {
  g_p256 = tc_ec_params_new(TC_EC_P256);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_key_types),
      cmocka_unit_test(test_every_byte_generated),
      cmocka_unit_test(test_every_byte_intel),
      cmocka_unit_test(test_key_forms),
      cmocka_unit_test(test_proxy),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  EVP_PKEY_free(g_p256);
  return rc;
}
