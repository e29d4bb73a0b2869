/* SPDX-License-Identifier: Apache-2.0 */
/* Certificates and CRLs given as bytes (teectl/crypto.h): what the collateral code and
 * the service need to know about them, without OpenSSL types crossing the module. */
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/x509.h"
#include "teectl/crypto.h"

tc_status tc_cert_check(const uint8_t *data, size_t len, tc_error *err) {
  TC_AUTO(X509) *x = NULL;
  return tc_x509_parse(data, len, &x, err);
}

tc_status tc_cert_cn(const uint8_t *data, size_t len, int issuer, char *out, size_t cap,
                     tc_error *err) {
  if (cap > 0)
    out[0] = '\0';
  TC_AUTO(X509) *x = NULL;
  tc_status st = tc_x509_parse(data, len, &x, err);
  if (st != TC_OK)
    return st;
  if (issuer)
    tc_x509_issuer_cn(x, out, cap);
  else
    tc_x509_subject_cn(x, out, cap);
  return TC_OK;
}

/* PEM text of x into out (new buffer, NUL-terminated; len without the NUL). */
static tc_status pem_of(X509 *x, tc_buf *out, tc_error *err) {
  TC_AUTO(BIO) *b = BIO_new(BIO_s_mem());
  if (b == NULL || PEM_write_bio_X509(b, x) != 1) {
    tc_fail(err, TC_ERR_INTERNAL, "internal_error", "PEM encoding failed: ");
    tc_error_add_openssl(err);
    return TC_ERR_INTERNAL;
  }
  char *d;
  long n = BIO_get_mem_data(b, &d);
  if ((out->data = malloc((size_t)n + 1)) == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "PEM certificate");
  memcpy(out->data, d, (size_t)n);
  out->data[n] = 0;
  out->len = (size_t)n;
  return TC_OK;
}

tc_status tc_cert_chain_pems(const uint8_t *data, size_t len, tc_buf **pems, size_t *n,
                             tc_error *err) {
  *pems = NULL;
  *n = 0;
  TC_AUTO(tc_x509_stack) *sk = NULL;
  tc_status st = tc_x509_parse_chain(data, len, &sk, err);
  if (st != TC_OK)
    return st;
  size_t count = (size_t)sk_X509_num(sk);
  tc_buf *out = calloc(count ? count : 1, sizeof *out);
  if (out == NULL)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "certificate chain");
  for (size_t i = 0; i < count; i++) {
    if ((st = pem_of(sk_X509_value(sk, (int)i), &out[i], err)) != TC_OK) {
      for (size_t j = 0; j < i; j++)
        tc_buf_free(&out[j]);
      free(out);
      return st;
    }
  }
  *pems = out;
  *n = count;
  return TC_OK;
}

tc_status tc_cert_chain_validity(const uint8_t *data, size_t len, size_t *n,
                                 int64_t *first_not_before, int64_t *earliest_not_after,
                                 tc_error *err) {
  *n = 0;
  TC_AUTO(tc_x509_stack) *sk = NULL;
  tc_status st = tc_x509_parse_chain(data, len, &sk, err);
  if (st != TC_OK)
    return st;
  int count = sk_X509_num(sk);
  int64_t earliest = INT64_MAX, first_nb = 0;
  for (int i = 0; i < count; i++) {
    int64_t nb, na;
    if (tc_x509_validity(sk_X509_value(sk, i), &nb, &na) != 0)
      return tc_fail(err, TC_ERR_PARSE, "cert_unparsable",
                     "certificate %d has an unreadable validity", i);
    if (na < earliest)
      earliest = na;
    if (i == 0)
      first_nb = nb;
  }
  *n = (size_t)count;
  *first_not_before = first_nb;
  *earliest_not_after = earliest;
  return TC_OK;
}

tc_status tc_crl_update_times(const uint8_t *data, size_t len, int64_t *this_update,
                              int64_t *next_update, tc_error *err) {
  TC_AUTO(X509_CRL) *crl = NULL;
  tc_status st = tc_crl_parse(data, len, &crl, err);
  if (st != TC_OK)
    return st;
  const ASN1_TIME *nu = X509_CRL_get0_nextUpdate(crl);
  const ASN1_TIME *tu = X509_CRL_get0_lastUpdate(crl);
  if (nu == NULL || tc_asn1_time_seconds(nu, next_update) != 0)
    return tc_fail(err, TC_ERR_PARSE, "crl_next_update_missing",
                   "CRL without a readable nextUpdate");
  if (tu == NULL || tc_asn1_time_seconds(tu, this_update) != 0)
    *this_update = 0;
  return TC_OK;
}

TC_AUTOFREE_DEFINE(CRL_DIST_POINTS, CRL_DIST_POINTS_free)

/* The first fullName URI of dps that fits out[0..cap) and holds no NUL; 1 if found. */
static int first_dp_uri(const CRL_DIST_POINTS *dps, char *out, size_t cap) {
  for (int i = 0; dps != NULL && i < sk_DIST_POINT_num(dps); i++) {
    DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
    if (dp->distpoint == NULL || dp->distpoint->type != 0)
      continue;
    GENERAL_NAMES *names = dp->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); j++) {
      GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, j);
      if (gn->type != GEN_URI)
        continue;
      const ASN1_IA5STRING *uri = gn->d.uniformResourceIdentifier;
      if ((size_t)uri->length >= cap)
        continue;
      memcpy(out, uri->data, (size_t)uri->length);
      out[uri->length] = '\0';
      if (strlen(out) == (size_t)uri->length) /* else an embedded NUL */
        return 1;
    }
  }
  return 0;
}

tc_status tc_x509_crl_dp_url(const uint8_t *cert, size_t len, char *out, size_t cap,
                             tc_error *err) {
  TC_AUTO(tc_x509_stack) *sk = NULL;
  tc_status st = tc_x509_parse_chain(cert, len, &sk, err);
  if (st != TC_OK)
    return st;
  X509 *root = sk_X509_value(sk, sk_X509_num(sk) - 1);
  TC_AUTO(CRL_DIST_POINTS) *dps = X509_get_ext_d2i(root, NID_crl_distribution_points, NULL, NULL);
  ERR_clear_error();
  if (!first_dp_uri(dps, out, cap))
    return tc_fail(err, TC_ERR_PARSE, "crl_dp_missing",
                   "certificate has no URI in cRLDistributionPoints");
  tc_error_clear(err);
  return TC_OK;
}
