/* SPDX-License-Identifier: Apache-2.0 */
#include "crypto/x509.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "core/auto.h"
#include "teectl/crypto.h"
#include "teectl/rfc3339.h"

/* 1 if "-----BEGIN" starts within the first `within` bytes of d[0..n). */
static int has_pem_begin(const uint8_t *d, size_t n, size_t within) {
  static const char tag[] = "-----BEGIN";
  for (size_t i = 0; i + sizeof tag - 1 <= n && i < within; i++)
    if (memcmp(d + i, tag, sizeof tag - 1) == 0)
      return 1;
  return 0;
}

static int is_pem(const uint8_t *d, size_t n) {
  return has_pem_begin(d, n, 64);
}

static int only_ws_or_nul(const uint8_t *d, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (d[i] != 0 && d[i] != ' ' && d[i] != '\n' && d[i] != '\r' && d[i] != '\t')
      return 0;
  return 1;
}

tc_status tc_x509_parse(const uint8_t *data, size_t len, X509 **out, tc_error *err) {
  TC_AUTO(tc_x509_stack) *sk = NULL;
  *out = NULL;
  tc_status st = tc_x509_parse_chain(data, len, &sk, err);
  if (st != TC_OK)
    return st;
  if (sk_X509_num(sk) != 1)
    return tc_fail(err, TC_ERR_PARSE, "cert_unparsable", "expected one certificate, found %d",
                   sk_X509_num(sk));
  *out = sk_X509_shift(sk);
  return TC_OK;
}

/* The certificate of one PEM block's DER bytes: reuse(ctx) when given, else d2i_X509 (which,
 * as PEM_read_bio_X509, does not require the block to end with the certificate). */
static X509 *pem_block_cert(BIO *bio, tc_x509_reuse_fn reuse, void *ctx) {
  unsigned char *der = NULL;
  long n = 0;
  if (PEM_bytes_read_bio(&der, &n, NULL, PEM_STRING_X509, bio, tc_pem_no_passphrase, NULL) != 1)
    return NULL;
  TC_AUTO(tc_ossl_bytes) *owned = der; /* used below: clang warns of a cleanup-only variable */
  const unsigned char *p = owned;
  X509 *x = reuse != NULL ? reuse(ctx, owned, (size_t)n) : d2i_X509(NULL, &p, n);
  if (x == NULL) /* as PEM_read_bio_X509 says it */
    ERR_raise(ERR_LIB_PEM, ERR_R_ASN1_LIB);
  return x;
}

tc_status tc_x509_parse_chain(const uint8_t *data, size_t len, STACK_OF(X509) * *out,
                              tc_error *err) {
  return tc_x509_parse_chain_reuse(data, len, NULL, NULL, out, err);
}

tc_status tc_x509_parse_chain_reuse(const uint8_t *data, size_t len, tc_x509_reuse_fn reuse,
                                    void *ctx, STACK_OF(X509) * *out, tc_error *err) {
  *out = NULL;
  if (len > INT32_MAX)
    return tc_fail(err, TC_ERR_PARSE, "cert_unparsable", "certificate data too large");
  TC_AUTO(tc_x509_stack) *sk = sk_X509_new_null();
  if (sk == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "certificate stack");
  ERR_clear_error();
  if (!is_pem(data, len)) {
    const unsigned char *p = data;
    TC_AUTO(X509) *c = d2i_X509(NULL, &p, (long)len);
    if (c == NULL || !only_ws_or_nul(p, len - (size_t)(p - data))) {
      tc_fail(err, TC_ERR_PARSE, "cert_unparsable", "not a DER or PEM certificate: ");
      tc_error_add_openssl(err);
      return TC_ERR_PARSE;
    }
    if (sk_X509_push(sk, c) <= 0)
      return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "certificate stack");
    c = NULL;
    *out = sk;
    sk = NULL;
    return TC_OK;
  }
  TC_AUTO(BIO) *bio = BIO_new_mem_buf(data, (int)len);
  if (bio == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "BIO");
  for (;;) {
    /* Skip what lies between blocks; stop when only whitespace/NUL remains. */
    const char *rest;
    long restlen = BIO_get_mem_data(bio, (char **)&rest);
    if (restlen <= 0 || only_ws_or_nul((const uint8_t *)rest, (size_t)restlen))
      break;
    TC_AUTO(X509) *c = pem_block_cert(bio, reuse, ctx);
    if (c == NULL && sk_X509_num(sk) > 0 &&
        !has_pem_begin((const uint8_t *)rest, (size_t)restlen, (size_t)restlen)) {
      /* What follows the last certificate is no PEM block at all: name it as such. */
      ERR_clear_error();
      return tc_fail(err, TC_ERR_PARSE, "cert_unparsable",
                     "trailing bytes after certificate #%d (%ld bytes that are neither a PEM "
                     "block nor whitespace)",
                     sk_X509_num(sk), restlen);
    }
    if (c == NULL) {
      tc_fail(err, TC_ERR_PARSE, "cert_unparsable",
              "PEM certificate #%d does not parse: ", sk_X509_num(sk));
      tc_error_add_openssl(err);
      return TC_ERR_PARSE;
    }
    if (sk_X509_push(sk, c) <= 0)
      return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "certificate stack");
    c = NULL;
  }
  ERR_clear_error();
  if (sk_X509_num(sk) == 0)
    return tc_fail(err, TC_ERR_PARSE, "cert_unparsable", "no certificate found");
  *out = sk;
  sk = NULL;
  return TC_OK;
}

tc_status tc_x509_check_issued_by(X509 *subject, X509 *issuer, const char *reason, tc_error *err) {
  return tc_x509_check_issued_with(subject, issuer, X509_get0_pubkey(issuer), reason, err);
}

tc_status tc_x509_check_issued_with(X509 *subject, X509 *issuer, const EVP_PKEY *issuer_key,
                                    const char *reason, tc_error *err) {
  char scn[128], icn[128];
  tc_x509_subject_cn(subject, scn, sizeof scn);
  tc_x509_subject_cn(issuer, icn, sizeof icn);
  int rc = tc_x509_issued(issuer, issuer_key, subject);
  if (rc != X509_V_OK)
    return tc_fail(err, TC_ERR_VERIFY, reason, "'%s' is not issued by '%s': %s", scn, icn,
                   X509_verify_cert_error_string(rc));
  /* RFC 5280 section 4.2.1.9: a key that signs certificates is a CA's, with basicConstraints
   * cA TRUE (X509_check_ca 1; a v1 certificate, keyUsage or Netscape type alone is not) */
  if (X509_check_ca(issuer) != 1)
    return tc_fail(err, TC_ERR_VERIFY, reason,
                   "'%s' is not issued by '%s': the issuer is not a CA (no basicConstraints "
                   "with cA TRUE, RFC 5280 section 4.2.1.9)",
                   scn, icn);
  EVP_PKEY *key = (EVP_PKEY *)issuer_key;
  ERR_clear_error();
  if (key == NULL || X509_verify(subject, key) != 1) {
    tc_fail(err, TC_ERR_VERIFY, reason, "signature of '%s' does not verify with the key of '%s'",
            scn, icn);
    ERR_clear_error();
    return TC_ERR_VERIFY;
  }
  return TC_OK;
}

tc_status tc_x509_check_path_len(X509 *const *chain, int n, const char *reason, tc_error *err) {
  for (int i = 1; i < n; i++) {
    long pl = X509_get_pathlen(chain[i]); /* -1: no pathLenConstraint */
    if (pl >= 0 && i - 1 > pl) {
      char cn[128];
      tc_x509_subject_cn(chain[i], cn, sizeof cn);
      return tc_fail(err, TC_ERR_VERIFY, reason,
                     "'%s' allows %ld intermediate CA certificate%s below it (pathLenConstraint, "
                     "RFC 5280 section 4.2.1.9), the chain has %d",
                     cn, pl, pl == 1 ? "" : "s", i - 1);
    }
  }
  return TC_OK;
}

int tc_asn1_time_seconds(const ASN1_TIME *t, int64_t *out) {
  struct tm tm;
  if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
    return -1;
  *out = tc_utc_seconds(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                        tm.tm_sec);
  return 0;
}

int tc_x509_validity(const X509 *cert, int64_t *nb, int64_t *na) {
  if (tc_asn1_time_seconds(X509_get0_notBefore(cert), nb) != 0 ||
      tc_asn1_time_seconds(X509_get0_notAfter(cert), na) != 0)
    return -1;
  return 0;
}

tc_status tc_x509_check_time(const X509 *cert, int64_t at, const char *reason, tc_error *err) {
  int64_t nb, na;
  char cn[128], a[21], b[21], c[21];
  tc_x509_subject_cn(cert, cn, sizeof cn);
  if (tc_x509_validity(cert, &nb, &na) != 0)
    return tc_fail(err, TC_ERR_VERIFY, reason, "'%s': unreadable validity period", cn);
  if (at < nb || at > na)
    return tc_fail(err, TC_ERR_VERIFY, reason, "'%s' is valid from %s to %s, not at %s", cn,
                   tc_rfc3339_format(nb, a), tc_rfc3339_format(na, b), tc_rfc3339_format(at, c));
  return TC_OK;
}

int tc_x509_spki_sha256(X509 *cert, uint8_t out[32]) {
  /* The SubjectPublicKeyInfo as the certificate carries it (algorithm and key bits), not
   * re-encoded from the EVP_PKEY: the same bytes, without OpenSSL 3's encoder set-up
   * (~0.3 ms in a fresh process, a third of a `teectl verify`'s own work). */
  TC_AUTO(tc_ossl_bytes) *der = NULL;
  int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (n <= 0)
    return -1;
  return tc_sha256(der, (size_t)n, out, NULL) == TC_OK ? 0 : -1;
}

static void name_cn(const X509_NAME *name, char *out, size_t cap) {
  out[0] = '\0';
  if (name == NULL || cap == 0)
    return;
  int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0)
    return;
  const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  size_t n = (size_t)ASN1_STRING_length(s);
  if (n >= cap)
    n = cap - 1;
  memcpy(out, ASN1_STRING_get0_data(s), n);
  out[n] = '\0';
}

void tc_x509_subject_cn(const X509 *cert, char *out, size_t cap) {
  name_cn(X509_get_subject_name(cert), out, cap);
}
void tc_x509_issuer_cn(const X509 *cert, char *out, size_t cap) {
  name_cn(X509_get_issuer_name(cert), out, cap);
}

int tc_x509_extension(const X509 *cert, const char *oid, const uint8_t **value, size_t *len) {
  ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
  if (obj == NULL)
    return -1;
  int idx = X509_get_ext_by_OBJ(cert, obj, -1);
  int again = idx >= 0 ? X509_get_ext_by_OBJ(cert, obj, idx) : -1;
  ASN1_OBJECT_free(obj);
  if (idx < 0)
    return 0;
  if (again >= 0)
    return -1;
  const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
  *value = ASN1_STRING_get0_data(os);
  *len = (size_t)ASN1_STRING_length(os);
  return 1;
}

tc_status tc_crl_parse(const uint8_t *data, size_t len, X509_CRL **out, tc_error *err) {
  *out = NULL;
  if (len > INT32_MAX)
    return tc_fail(err, TC_ERR_PARSE, "crl_unparsable", "CRL too large");
  ERR_clear_error();
  TC_AUTO(X509_CRL) *crl = NULL;
  if (is_pem(data, len)) {
    TC_AUTO(BIO) *bio = BIO_new_mem_buf(data, (int)len);
    crl = bio ? PEM_read_bio_X509_CRL(bio, NULL, tc_pem_no_passphrase, NULL) : NULL;
  } else {
    const unsigned char *p = data;
    crl = d2i_X509_CRL(NULL, &p, (long)len);
    if (crl != NULL && !only_ws_or_nul(p, len - (size_t)(p - data))) {
      X509_CRL_free(crl);
      crl = NULL;
    }
  }
  if (crl == NULL) {
    tc_fail(err, TC_ERR_PARSE, "crl_unparsable", "not a DER or PEM CRL: ");
    tc_error_add_openssl(err);
    return TC_ERR_PARSE;
  }
  *out = crl;
  crl = NULL;
  return TC_OK;
}

tc_status tc_crl_check_signature(X509_CRL *crl, X509 *issuer, tc_error *err) {
  return tc_crl_check_signature_with(crl, issuer, X509_get0_pubkey(issuer), err);
}

tc_status tc_crl_check_signature_with(X509_CRL *crl, X509 *issuer, const EVP_PKEY *issuer_key,
                                      tc_error *err) {
  char icn[128];
  tc_x509_subject_cn(issuer, icn, sizeof icn);
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0)
    return tc_fail(err, TC_ERR_VERIFY, "crl_invalid", "CRL is not issued by '%s'", icn);
  /* RFC 5280 section 6.3.3 (f): the CRL issuer's keyUsage, when present, has cRLSign
   * (X509_get_key_usage: every bit without the extension) */
  if ((X509_get_key_usage(issuer) & KU_CRL_SIGN) == 0)
    return tc_fail(err, TC_ERR_VERIFY, "crl_invalid",
                   "CRL issuer '%s' may not sign CRLs (its keyUsage lacks cRLSign, RFC 5280 "
                   "section 6.3.3)",
                   icn);
  ERR_clear_error();
  EVP_PKEY *key = (EVP_PKEY *)issuer_key;
  if (key == NULL || X509_CRL_verify(crl, key) != 1) {
    ERR_clear_error();
    return tc_fail(err, TC_ERR_VERIFY, "crl_invalid", "CRL signature does not verify with '%s'",
                   icn);
  }
  return TC_OK;
}

void tc_crl_issuer_cn(const X509_CRL *crl, char *out, size_t cap) {
  name_cn(X509_CRL_get_issuer(crl), out, cap);
}

tc_status tc_crl_dates(const X509_CRL *crl, const char *issuer_cn, int64_t *this_update,
                       int64_t *next_update, tc_error *err) {
  if (tc_asn1_time_seconds(X509_CRL_get0_lastUpdate(crl), this_update) != 0)
    return tc_fail(err, TC_ERR_VERIFY, "crl_invalid", "CRL of '%s' has no readable thisUpdate",
                   issuer_cn);
  if (X509_CRL_get0_nextUpdate(crl) == NULL ||
      tc_asn1_time_seconds(X509_CRL_get0_nextUpdate(crl), next_update) != 0)
    return tc_fail(err, TC_ERR_VERIFY, "crl_invalid", "CRL of '%s' has no nextUpdate", issuer_cn);
  return TC_OK;
}

tc_status tc_crl_window_at(const char *issuer_cn, int64_t this_update, int64_t next_update,
                           int64_t at, tc_error *err) {
  char a[21], b[21], c[21];
  if (at < this_update || at > next_update)
    return tc_fail(err, TC_ERR_VERIFY, "crl_expired",
                   "CRL of '%s' is valid from %s to %s, not at %s", issuer_cn,
                   tc_rfc3339_format(this_update, a), tc_rfc3339_format(next_update, b),
                   tc_rfc3339_format(at, c));
  return TC_OK;
}

tc_status tc_crl_check_window(const X509_CRL *crl, const X509 *issuer, int64_t at, tc_error *err) {
  char icn[128];
  tc_x509_subject_cn(issuer, icn, sizeof icn);
  int64_t tu = 0, nu = 0;
  tc_status st = tc_crl_dates(crl, icn, &tu, &nu, err);
  return st != TC_OK ? st : tc_crl_window_at(icn, tu, nu, at, err);
}

tc_status tc_crl_check(X509_CRL *crl, X509 *issuer, int64_t at, tc_error *err) {
  tc_status st = tc_crl_check_signature(crl, issuer, err);
  return st != TC_OK ? st : tc_crl_check_window(crl, issuer, at, err);
}

int tc_crl_revokes(X509_CRL *crl, X509 *cert) {
  X509_REVOKED *rev = NULL;
  return X509_CRL_get0_by_cert(crl, &rev, cert) == 1;
}
