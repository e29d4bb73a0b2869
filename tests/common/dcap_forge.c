/* SPDX-License-Identifier: Apache-2.0 */
/* Test-time forge of an Intel-like DCAP hierarchy, collateral and quotes. See dcap_forge.h.
 * Encodes everything itself (DER of the SGX extension, quote byte layout) so that tests
 * do not check the code under test against its own output. */
#include "dcap_forge.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teectl/file.h"
#include "teectl/rfc3339.h"

struct dcap_forge {
  dcap_forge_opts o;
  EVP_PKEY *root_key, *ca_key, *pck_key, *tcb_key, *att_key, *other_key;
  X509 *root, *ca, *pck, *tcb;
  tc_buf root_pem, pck_chain_pem, ca_chain_pem, tcb_chain_pem;
  tc_buf root_crl, pck_crl;
  tc_buf tcb_info[2], qe_identity[2]; /* [0] SGX, [1] TDX */
  uint8_t ak_raw[64];
  uint8_t qe_mrsigner[32];
};

static const uint8_t qe_vendor_id[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                         0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

static int fail(const char *what) {
  fprintf(stderr, "dcap_forge: %s failed\n", what);
  ERR_print_errors_fp(stderr);
  return -1;
}

void dcap_forge_opts_init(dcap_forge_opts *o) {
  memset(o, 0, sizeof *o);
  o->not_before = tc_utc_seconds(2020, 1, 1, 0, 0, 0);
  o->not_after = tc_utc_seconds(2040, 1, 1, 0, 0, 0);
  o->issue_date = tc_utc_seconds(2025, 1, 1, 0, 0, 0);
  o->next_update = tc_utc_seconds(2025, 2, 1, 0, 0, 0);
  o->at = tc_utc_seconds(2025, 1, 15, 0, 0, 0);
  static const uint8_t fmspc[6] = {0x00, 0x90, 0x6e, 0xd5, 0x00, 0x00};
  memcpy(o->fmspc, fmspc, 6);
  memcpy(o->tcb_info_fmspc, fmspc, 6);
  static const uint8_t comp[16] = {4, 4, 2, 2, 3, 1, 0, 5};
  memcpy(o->sgx_tcb_comp_svn, comp, 16);
  o->pcesvn = 13;
  static const uint8_t tee[16] = {3, 1, 2};
  memcpy(o->tee_tcb_svn, tee, 16);
  o->qe_isvsvn = 8;
  o->td_attributes = 1ull << 28;
  o->sgx_attributes = 0x05;
}

/* ---- keys, signatures ---- */

static EVP_PKEY *p256_key(void) {
  return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* ECDSA P-256 SHA-256 signature as raw r||s. */
static int sign_raw(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t out[64]) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  unsigned char der[80];
  size_t dl = sizeof der;
  int ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
           EVP_DigestSign(ctx, der, &dl, msg, len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok)
    return fail("ECDSA sign");
  const unsigned char *p = der;
  ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)dl);
  if (s == NULL)
    return fail("d2i_ECDSA_SIG");
  memset(out, 0, 64);
  ok = BN_bn2binpad(ECDSA_SIG_get0_r(s), out, 32) == 32 &&
       BN_bn2binpad(ECDSA_SIG_get0_s(s), out + 32, 32) == 32;
  ECDSA_SIG_free(s);
  return ok ? 0 : fail("BN_bn2binpad");
}

static int pub_raw(EVP_PKEY *key, uint8_t out[64]) {
  uint8_t buf[65];
  size_t n = 0;
  if (EVP_PKEY_get_octet_string_param(key, "encoded-pub-key", buf, sizeof buf, &n) != 1 ||
      n != 65 || buf[0] != 0x04)
    return fail("public key export");
  memcpy(out, buf + 1, 64);
  return 0;
}

static int sha256(const uint8_t *a, size_t al, const uint8_t *b, size_t bl, uint8_t out[32]) {
  EVP_MD_CTX *m = EVP_MD_CTX_new();
  int ok = m && EVP_DigestInit_ex(m, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(m, a, al) == 1 &&
           EVP_DigestUpdate(m, b, bl) == 1 && EVP_DigestFinal_ex(m, out, NULL) == 1;
  EVP_MD_CTX_free(m);
  return ok ? 0 : fail("SHA-256");
}

/* ---- DER of the SGX extension ---- */

typedef struct {
  uint8_t *p;
  size_t len, cap;
} dbuf;

static void dput(dbuf *b, const void *d, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = (b->len + n) * 2 + 64;
    uint8_t *p = realloc(b->p, cap);
    if (p == NULL)
      abort();
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, d, n);
  b->len += n;
}

static void tlv(dbuf *out, uint8_t tag, const uint8_t *c, size_t n) {
  uint8_t h[4] = {tag};
  size_t hl;
  if (n < 0x80) {
    h[1] = (uint8_t)n;
    hl = 2;
  } else if (n < 0x100) {
    h[1] = 0x81;
    h[2] = (uint8_t)n;
    hl = 3;
  } else {
    h[1] = 0x82;
    h[2] = (uint8_t)(n >> 8);
    h[3] = (uint8_t)n;
    hl = 4;
  }
  dput(out, h, hl);
  dput(out, c, n);
}

static void der_uint(dbuf *out, uint8_t tag, unsigned v) {
  uint8_t c[3];
  size_t n = 0;
  if (v > 0xff) {
    c[n++] = (uint8_t)(v >> 8);
  }
  c[n++] = (uint8_t)v;
  if (c[0] & 0x80) { /* keep it non-negative */
    memmove(c + 1, c, n);
    c[0] = 0;
    n++;
  }
  tlv(out, tag, c, n);
}

/* SEQUENCE { OID 1.2.840.113741.1.13.1.<arcs>, value (DER, already encoded) } */
static void entry(dbuf *out, const uint8_t *arcs, size_t na, const dbuf *value) {
  static const uint8_t base[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};
  uint8_t oid[16];
  memcpy(oid, base, sizeof base);
  memcpy(oid + sizeof base, arcs, na);
  dbuf e = {0};
  tlv(&e, 0x06, oid, sizeof base + na);
  dput(&e, value->p, value->len);
  tlv(out, 0x30, e.p, e.len);
  free(e.p);
}

static void sgx_extension(const dcap_forge_opts *o, dbuf *out) {
  dbuf seq = {0}, v = {0};
  static const uint8_t ppid[16] = {0x50, 0x50, 0x49, 0x44, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  tlv(&v, 0x04, ppid, 16);
  entry(&seq, (const uint8_t[]){1}, 1, &v);
  v.len = 0;
  dbuf tcb = {0};
  for (unsigned k = 1; k <= 16; k++) {
    dbuf iv = {0};
    der_uint(&iv, 0x02, o->sgx_tcb_comp_svn[k - 1]);
    entry(&tcb, (const uint8_t[]){2, (uint8_t)k}, 2, &iv);
    free(iv.p);
  }
  dbuf iv = {0};
  der_uint(&iv, 0x02, o->pcesvn);
  entry(&tcb, (const uint8_t[]){2, 17}, 2, &iv);
  iv.len = 0;
  tlv(&iv, 0x04, o->sgx_tcb_comp_svn, 16);
  entry(&tcb, (const uint8_t[]){2, 18}, 2, &iv);
  free(iv.p);
  tlv(&v, 0x30, tcb.p, tcb.len);
  free(tcb.p);
  entry(&seq, (const uint8_t[]){2}, 1, &v);
  v.len = 0;
  tlv(&v, 0x04, o->pce_id, 2);
  entry(&seq, (const uint8_t[]){3}, 1, &v);
  v.len = 0;
  tlv(&v, 0x04, o->fmspc, 6);
  entry(&seq, (const uint8_t[]){4}, 1, &v);
  v.len = 0;
  der_uint(&v, 0x0a, o->processor_ca ? 0 : 1);
  entry(&seq, (const uint8_t[]){5}, 1, &v);
  free(v.p);
  tlv(out, 0x30, seq.p, seq.len);
  free(seq.p);
}

/* ---- certificates and CRLs ---- */

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
  X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  int ok = e != NULL && X509_add_ext(x, e, -1) == 1;
  X509_EXTENSION_free(e);
  return ok ? 0 : -1;
}

/* The public part of key to write in a certificate in the given form (a new reference;
 * NULL on failure). */
static EVP_PKEY *key_in_form(EVP_PKEY *key, dcap_forge_key_form form) {
  EVP_PKEY *k = EVP_PKEY_dup(key);
  const char *name = form == DCAP_KEY_EXPLICIT ? OSSL_PKEY_PARAM_EC_ENCODING
                                               : OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT;
  const char *value = form == DCAP_KEY_COMPRESSED ? OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED
                      : form == DCAP_KEY_HYBRID   ? OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_HYBRID
                      : form == DCAP_KEY_EXPLICIT
                          ? OSSL_PKEY_EC_ENCODING_EXPLICIT
                          : OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED;
  if (k != NULL && EVP_PKEY_set_utf8_string_param(k, name, value) != 1) {
    EVP_PKEY_free(k);
    k = NULL;
  }
  return k;
}

static X509 *make_cert(const dcap_forge_opts *o, const char *cn, EVP_PKEY *key,
                       dcap_forge_key_form form, X509 *issuer, EVP_PKEY *sign_key, int ca,
                       long serial, const dbuf *sgx_ext) {
  EVP_PKEY *pub = key_in_form(key, form);
  X509 *x = pub != NULL ? X509_new() : NULL;
  if (x == NULL) {
    EVP_PKEY_free(pub);
    fail("certificate key");
    return NULL;
  }
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  X509_NAME *n = X509_NAME_new();
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
  X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"TEST-ONLY teectl", -1,
                             -1, 0);
  X509_set_subject_name(x, n);
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
  X509_NAME_free(n);
  ASN1_TIME_set(X509_getm_notBefore(x), (time_t)o->not_before);
  ASN1_TIME_set(X509_getm_notAfter(x), (time_t)o->not_after);
  X509_set_pubkey(x, pub);
  EVP_PKEY_free(pub);
  X509 *iss = issuer ? issuer : x;
  int rc = 0;
  rc |= add_ext(x, iss, NID_subject_key_identifier, "hash");
  /* ca: 0 a leaf, 1 a CA, 2 a CA with pathlen 0, 3 a CA's keyUsage without cA TRUE */
  rc |= add_ext(x, iss, NID_basic_constraints,
                ca == 1   ? "critical,CA:TRUE"
                : ca == 2 ? "critical,CA:TRUE,pathlen:0"
                          : "critical,CA:FALSE");
  rc |= add_ext(x, iss, NID_key_usage,
                ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation");
  if (sgx_ext != NULL) {
    ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(os, sgx_ext->p, (int)sgx_ext->len);
    X509_EXTENSION *e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
    rc |= e == NULL || X509_add_ext(x, e, -1) != 1;
    X509_EXTENSION_free(e);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
  }
  if (rc != 0 || X509_sign(x, sign_key, EVP_sha256()) <= 0) {
    X509_free(x);
    fail("certificate");
    return NULL;
  }
  return x;
}

static int pem_append(tc_buf *b, X509 *x) {
  BIO *bio = BIO_new(BIO_s_mem());
  char *d;
  if (bio == NULL || PEM_write_bio_X509(bio, x) != 1) {
    BIO_free(bio);
    return fail("PEM");
  }
  long n = BIO_get_mem_data(bio, &d);
  uint8_t *p = realloc(b->data, b->len + (size_t)n + 1);
  if (p == NULL)
    abort();
  memcpy(p + b->len, d, (size_t)n);
  b->data = p;
  b->len += (size_t)n;
  b->data[b->len] = 0; /* NUL after the data, not counted */
  BIO_free(bio);
  return 0;
}

static int make_crl(const dcap_forge_opts *o, X509 *issuer, EVP_PKEY *key, X509 *revoke,
                    tc_buf *out) {
  X509_CRL *crl = X509_CRL_new();
  ASN1_TIME *tu = ASN1_TIME_new(), *nu = ASN1_TIME_new();
  int ok = crl && tu && nu;
  if (ok) {
    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer));
    ASN1_TIME_set(tu, (time_t)o->crl_this_update);
    ASN1_TIME_set(nu, (time_t)o->crl_next_update);
    X509_CRL_set1_lastUpdate(crl, tu);
    X509_CRL_set1_nextUpdate(crl, nu);
    /* one unrelated entry, and the revoked certificate if asked */
    for (int i = 0; i < 2; i++) {
      if (i == 1 && revoke == NULL)
        break;
      X509_REVOKED *r = X509_REVOKED_new();
      ASN1_INTEGER *serial = i == 0 ? ASN1_INTEGER_new() : NULL;
      if (i == 0)
        ASN1_INTEGER_set(serial, 0x7777);
      X509_REVOKED_set_serialNumber(r, i == 0 ? serial : X509_get_serialNumber(revoke));
      X509_REVOKED_set_revocationDate(r, tu);
      X509_CRL_add0_revoked(crl, r);
      ASN1_INTEGER_free(serial);
    }
    X509_CRL_sort(crl);
    ok = X509_CRL_sign(crl, key, EVP_sha256()) > 0;
  }
  unsigned char *der = NULL;
  int n = ok ? i2d_X509_CRL(crl, &der) : -1;
  ASN1_TIME_free(tu);
  ASN1_TIME_free(nu);
  X509_CRL_free(crl);
  if (n <= 0)
    return fail("CRL");
  out->data = malloc((size_t)n);
  if (out->data == NULL)
    abort();
  memcpy(out->data, der, (size_t)n);
  out->len = (size_t)n;
  OPENSSL_free(der);
  return 0;
}

/* ---- signed JSON ---- */

static void hex(const uint8_t *b, size_t n, char *out, int upper) {
  static const char *d[2] = {"0123456789abcdef", "0123456789ABCDEF"};
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = d[upper][b[i] >> 4];
    out[2 * i + 1] = d[upper][b[i] & 15];
  }
  out[2 * n] = 0;
}

static int sign_json(EVP_PKEY *key, const char *member, const char *body, tc_buf *out) {
  uint8_t sig[64];
  char sh[129];
  if (sign_raw(key, (const uint8_t *)body, strlen(body), sig) != 0)
    return -1;
  hex(sig, 64, sh, 0);
  size_t n = strlen(body) + strlen(member) + 200;
  out->data = malloc(n);
  if (out->data == NULL)
    abort();
  int w = snprintf((char *)out->data, n, "{\"%s\":%s,\"signature\":\"%s\"}", member, body, sh);
  out->len = (size_t)w;
  return 0;
}

static char *tstr(int64_t t, char b[21]) {
  return tc_rfc3339_format(t, b);
}

static void comps(char *out, size_t cap, const uint8_t v[16]) {
  size_t n = (size_t)snprintf(out, cap, "[");
  for (int i = 0; i < 16; i++)
    n += (size_t)snprintf(out + n, cap - n, "%s{\"svn\":%u}", i ? "," : "", v[i]);
  snprintf(out + n, cap - n, "]");
}

static int make_tcb_info(dcap_forge *f, int tdx, tc_buf *out) {
  const dcap_forge_opts *o = &f->o;
  char a[21], b[21], fm[13], pce[5], sgx[600], tdxc[600], levels[2048], mods[1024];
  hex(o->tcb_info_fmspc, 6, fm, 1);
  hex(o->tcb_info_pce_id, 2, pce, 1);
  comps(sgx, sizeof sgx, o->sgx_tcb_comp_svn);
  comps(tdxc, sizeof tdxc, o->tee_tcb_svn);
  if (tdx)
    snprintf(levels, sizeof levels,
             "[{\"tcb\":{\"sgxtcbcomponents\":%s,\"pcesvn\":%u,\"tdxtcbcomponents\":%s},"
             "\"tcbDate\":\"2024-11-13T00:00:00Z\",\"tcbStatus\":\"UpToDate\"}]",
             sgx, o->pcesvn, tdxc);
  else
    snprintf(levels, sizeof levels,
             "[{\"tcb\":{\"sgxtcbcomponents\":%s,\"pcesvn\":%u},"
             "\"tcbDate\":\"2024-11-13T00:00:00Z\",\"tcbStatus\":\"UpToDate\"}]",
             sgx, o->pcesvn);
  static const char zero48[] = "0000000000000000000000000000000000000000000000000000000000000000000"
                               "00000000000000000000000000000";
  mods[0] = 0;
  if (tdx && (o->tdx_module_identities_json || o->tee_tcb_svn[1] > 0)) {
    char def[600];
    snprintf(def, sizeof def,
             "[{\"id\":\"TDX_%02X\",\"mrsigner\":\"%s\",\"attributes\":\"0000000000000000\","
             "\"attributesMask\":\"FFFFFFFFFFFFFFFF\",\"tcbLevels\":[{\"tcb\":{\"isvsvn\":%u},"
             "\"tcbDate\":\"2024-11-13T00:00:00Z\",\"tcbStatus\":\"UpToDate\"}]}]",
             o->tee_tcb_svn[1], zero48, o->tee_tcb_svn[0]);
    snprintf(mods, sizeof mods, ",\"tdxModuleIdentities\":%s",
             o->tdx_module_identities_json ? o->tdx_module_identities_json : def);
  }
  const char *lv = o->tcb_levels_json ? o->tcb_levels_json : levels;
  size_t cap = strlen(lv) + strlen(mods) + 1024;
  char *body = malloc(cap);
  if (body == NULL)
    abort();
  int n = snprintf(body, cap,
                   "{\"id\":\"%s\",\"version\":3,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
                   "\"fmspc\":\"%s\",\"pceId\":\"%s\",\"tcbType\":0,\"tcbEvaluationDataNumber\":17",
                   tdx ? "TDX" : "SGX", tstr(o->issue_date, a), tstr(o->next_update, b), fm, pce);
  if (tdx)
    n += snprintf(body + n, cap - (size_t)n,
                  ",\"tdxModule\":{\"mrsigner\":\"%s\",\"attributes\":\"0000000000000000\","
                  "\"attributesMask\":\"FFFFFFFFFFFFFFFF\"}%s",
                  zero48, mods);
  snprintf(body + n, cap - (size_t)n, ",\"tcbLevels\":%s}", lv);
  EVP_PKEY *k = o->breakage == DCAP_BREAK_TCB_INFO_SIGNATURE ? f->other_key : f->tcb_key;
  int rc = sign_json(k, "tcbInfo", body, out);
  free(body);
  return rc;
}

static int make_qe_identity(dcap_forge *f, int tdx, tc_buf *out) {
  const dcap_forge_opts *o = &f->o;
  char a[21], b[21], mrs[65], levels[512];
  hex(f->qe_mrsigner, 32, mrs, 1);
  snprintf(levels, sizeof levels,
           "[{\"tcb\":{\"isvsvn\":%u},\"tcbDate\":\"2024-11-13T00:00:00Z\","
           "\"tcbStatus\":\"UpToDate\"}]",
           o->qe_isvsvn);
  const char *lv = o->qe_tcb_levels_json ? o->qe_tcb_levels_json : levels;
  size_t cap = strlen(lv) + 1024;
  char *body = malloc(cap);
  if (body == NULL)
    abort();
  snprintf(body, cap,
           "{\"id\":\"%s\",\"version\":2,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
           "\"tcbEvaluationDataNumber\":17,\"miscselect\":\"00000000\",\"miscselectMask\":"
           "\"FFFFFFFF\",\"attributes\":\"11000000000000000000000000000000\",\"attributesMask\":"
           "\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\"%s\",\"isvprodid\":%d,"
           "\"tcbLevels\":%s}",
           tdx ? "TD_QE" : "QE", tstr(o->qe_issue_date, a), tstr(o->qe_next_update, b), mrs,
           tdx ? 2 : 1, lv);
  EVP_PKEY *k = o->breakage == DCAP_BREAK_QE_IDENTITY_SIGNATURE ? f->other_key : f->tcb_key;
  int rc = sign_json(k, "enclaveIdentity", body, out);
  free(body);
  return rc;
}

dcap_forge *dcap_forge_new(const dcap_forge_opts *o) {
  dcap_forge *f = calloc(1, sizeof *f);
  if (f == NULL)
    return NULL;
  f->o = *o;
  if (f->o.crl_this_update == 0 && f->o.crl_next_update == 0) {
    f->o.crl_this_update = o->issue_date;
    f->o.crl_next_update = o->next_update;
  }
  if (f->o.qe_issue_date == 0 && f->o.qe_next_update == 0) {
    f->o.qe_issue_date = o->issue_date;
    f->o.qe_next_update = o->next_update;
  }
  static const uint8_t zero2[2];
  if (memcmp(f->o.tcb_info_pce_id, zero2, 2) == 0)
    memcpy(f->o.tcb_info_pce_id, o->pce_id, 2);
  o = &f->o;
  for (int i = 0; i < 32; i++)
    f->qe_mrsigner[i] = (uint8_t)(0xa0 + i);
  f->root_key = p256_key();
  f->ca_key = p256_key();
  f->pck_key = p256_key();
  f->tcb_key = p256_key();
  f->att_key = p256_key();
  f->other_key = p256_key();
  if (!f->root_key || !f->ca_key || !f->pck_key || !f->tcb_key || !f->att_key || !f->other_key) {
    fail("key generation");
    goto bad;
  }
  dcap_forge_break br = o->breakage;
  dbuf ext = {0};
  sgx_extension(o, &ext);
  f->root = make_cert(o, "TEST-ONLY SGX Root CA", f->root_key, o->root_key_form, NULL, f->root_key,
                      br == DCAP_BREAK_ROOT_PATHLEN0 ? 2 : 1, 1, NULL);
  f->ca = f->root ? make_cert(o,
                              o->processor_ca ? "TEST-ONLY SGX PCK Processor CA"
                                              : "TEST-ONLY SGX PCK Platform CA",
                              f->ca_key, o->ca_key_form, f->root,
                              br == DCAP_BREAK_CA_WRONG_SIGNER ? f->other_key : f->root_key,
                              br == DCAP_BREAK_CA_NOT_CA ? 3 : 1, 2, NULL)
                  : NULL;
  f->pck = f->ca ? make_cert(o, "TEST-ONLY SGX PCK Certificate", f->pck_key, o->pck_key_form, f->ca,
                             br == DCAP_BREAK_PCK_WRONG_SIGNER ? f->other_key : f->ca_key, 0, 3,
                             br == DCAP_BREAK_PCK_NO_EXTENSION ? NULL : &ext)
                 : NULL;
  f->tcb = f->root ? make_cert(o, "TEST-ONLY SGX TCB Signing", f->tcb_key, o->tcb_key_form, f->root,
                               br == DCAP_BREAK_TCB_SIGNER_WRONG_ROOT ? f->other_key : f->root_key,
                               0, 4, NULL)
                   : NULL;
  free(ext.p);
  if (!f->pck || !f->tcb)
    goto bad;
  if (pem_append(&f->root_pem, f->root) || pem_append(&f->pck_chain_pem, f->pck) ||
      pem_append(&f->pck_chain_pem, f->ca) || pem_append(&f->pck_chain_pem, f->root) ||
      pem_append(&f->ca_chain_pem, f->ca) || pem_append(&f->ca_chain_pem, f->root) ||
      pem_append(&f->tcb_chain_pem, f->tcb) || pem_append(&f->tcb_chain_pem, f->root))
    goto bad;
  X509 *root_revokes = br == DCAP_BREAK_CA_REVOKED           ? f->ca
                       : br == DCAP_BREAK_TCB_SIGNER_REVOKED ? f->tcb
                                                             : NULL;
  if (make_crl(o, f->root, f->root_key, root_revokes, &f->root_crl) ||
      make_crl(o, f->ca, br == DCAP_BREAK_PCK_CRL_SIGNER ? f->other_key : f->ca_key,
               br == DCAP_BREAK_PCK_REVOKED ? f->pck : NULL, &f->pck_crl))
    goto bad;
  for (int t = 0; t < 2; t++)
    if (make_tcb_info(f, t, &f->tcb_info[t]) || make_qe_identity(f, t, &f->qe_identity[t]))
      goto bad;
  if (pub_raw(f->att_key, f->ak_raw))
    goto bad;
  return f;
bad:
  dcap_forge_free(f);
  return NULL;
}

void dcap_forge_free(dcap_forge *f) {
  if (f == NULL)
    return;
  EVP_PKEY *keys[] = {f->root_key, f->ca_key, f->pck_key, f->tcb_key, f->att_key, f->other_key};
  for (size_t i = 0; i < 6; i++)
    EVP_PKEY_free(keys[i]);
  X509_free(f->root);
  X509_free(f->ca);
  X509_free(f->pck);
  X509_free(f->tcb);
  tc_buf *bufs[] = {&f->root_pem,       &f->pck_chain_pem, &f->ca_chain_pem, &f->tcb_chain_pem,
                    &f->root_crl,       &f->pck_crl,       &f->tcb_info[0],  &f->tcb_info[1],
                    &f->qe_identity[0], &f->qe_identity[1]};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
    tc_buf_free(bufs[i]);
  free(f);
}

void dcap_forge_collateral(const dcap_forge *f, int tdx, tc_collateral *col) {
  memset(col, 0, sizeof *col);
  dcap_forge *m = (dcap_forge *)f;
  col->tcb_info = m->tcb_info[tdx ? 1 : 0];
  col->qe_identity = m->qe_identity[tdx ? 1 : 0];
  col->tcb_info_issuer_chain = m->tcb_chain_pem;
  col->qe_identity_issuer_chain = m->tcb_chain_pem;
  col->pck_crl = m->pck_crl;
  col->pck_crl_issuer_chain = m->ca_chain_pem;
  col->root_ca_crl = m->root_crl;
  col->pck_chain = m->pck_chain_pem;
  col->trust_roots = &m->root_pem;
  col->n_trust_roots = 1;
}

const tc_buf *dcap_forge_root_pem(const dcap_forge *f) {
  return &f->root_pem;
}

/* ---- quotes ---- */

static void le16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void le32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static void le64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static size_t signed_len(int version) {
  return version == 3 ? 48 + 384 : version == 4 ? 48 + 584 : 48 + 6 + 648;
}

int dcap_forge_resign(const dcap_forge *f, uint8_t *quote, size_t len) {
  int version = quote[0] | quote[1] << 8;
  size_t sl = signed_len(version);
  if (len < sl + 4 + 64)
    return -1;
  EVP_PKEY *k = f->o.breakage == DCAP_BREAK_QUOTE_SIGNATURE ? f->other_key : f->att_key;
  return sign_raw(k, quote, sl, quote + sl + 4);
}

int dcap_forge_quote(const dcap_forge *f, int version, const uint8_t report_data[64], tc_buf *out) {
  const dcap_forge_opts *o = &f->o;
  memset(out, 0, sizeof *out);
  if (version < 3 || version > 5)
    return -1;
  int tdx = version != 3;
  size_t sl = signed_len(version);
  uint8_t rd[64] = {0};
  if (report_data)
    memcpy(rd, report_data, 64);
  /* QE report (SGX report body layout), QE auth data */
  uint8_t qe[384] = {0}, auth[32];
  for (int i = 0; i < 32; i++)
    auth[i] = (uint8_t)i;
  memcpy(qe + 0, o->sgx_tcb_comp_svn, 16);
  qe[48] = 0x15;
  qe[56] = 0xe7;
  for (int i = 0; i < 32; i++)
    qe[64 + i] = (uint8_t)(0xc0 + i); /* mr_enclave */
  memcpy(qe + 128, f->qe_mrsigner, 32);
  le16(qe + 256, tdx ? 2 : 1);
  le16(qe + 258, o->qe_isvsvn);
  if (sha256(f->ak_raw, 64, auth, sizeof auth, qe + 320) != 0)
    return -1;
  if (o->breakage == DCAP_BREAK_QE_REPORT_DATA)
    qe[320] ^= 1;
  uint8_t qe_sig[64];
  if (sign_raw(o->breakage == DCAP_BREAK_QE_REPORT_SIGNATURE ? f->other_key : f->pck_key, qe,
               sizeof qe, qe_sig) != 0)
    return -1;
  /* certification data type 5: the PEM chain, NUL-terminated like real quotes */
  size_t chain_len = f->pck_chain_pem.len + 1;
  size_t qe_part = 384 + 64 + 2 + sizeof auth + 6 + chain_len;
  size_t sig_len = 64 + 64 + (tdx ? 6 : 0) + qe_part;
  size_t total = sl + 4 + sig_len;
  uint8_t *q = calloc(1, total);
  if (q == NULL)
    return -1;
  le16(q, (unsigned)version);
  le16(q + 2, 2);
  le32(q + 4, tdx ? 0x81 : 0);
  if (!tdx) {
    le16(q + 8, o->qe_isvsvn);
    le16(q + 10, o->pcesvn);
  }
  memcpy(q + 12, qe_vendor_id, 16);
  size_t b = 48;
  if (version == 5) {
    le16(q + 48, 3);
    le32(q + 50, 648);
    b = 54;
  }
  if (!tdx) {
    uint8_t *r = q + b;
    memcpy(r, o->sgx_tcb_comp_svn, 16);
    le64(r + 48, o->sgx_attributes);
    r[56] = 0xe7;
    for (int i = 0; i < 32; i++) {
      r[64 + i] = (uint8_t)(0x10 + i);  /* mr_enclave */
      r[128 + i] = (uint8_t)(0x50 + i); /* mr_signer */
    }
    le16(r + 256, 7);
    le16(r + 258, 9);
    memcpy(r + 320, rd, 64);
  } else {
    uint8_t *r = q + b;
    memcpy(r, o->tee_tcb_svn, 16);
    for (int i = 0; i < 48; i++) {
      r[16 + i] = (uint8_t)(0x30 + i);  /* mr_seam */
      r[136 + i] = (uint8_t)(0x60 + i); /* mr_td */
      for (int k = 0; k < 4; k++)
        r[328 + 48 * k + i] = (uint8_t)(0x90 + 16 * k + (i & 15)); /* rtmr0..3 */
    }
    le64(r + 120, o->td_attributes);
    r[128] = 0xe7;
    r[129] = 0x02;
    r[130] = 0x06;
    memcpy(r + 520, rd, 64);
    if (version == 5)
      memcpy(r + 584, o->tee_tcb_svn, 16);
  }
  uint8_t *s = q + sl;
  le32(s, (uint32_t)sig_len);
  s += 4;
  /* quote signature written last (after the signed region is complete) */
  memcpy(s + 64, f->ak_raw, 64);
  uint8_t *p = s + 128;
  if (tdx) {
    le16(p, 6);
    le32(p + 2, (uint32_t)qe_part);
    p += 6;
  }
  memcpy(p, qe, 384);
  memcpy(p + 384, qe_sig, 64);
  p += 448;
  le16(p, sizeof auth);
  memcpy(p + 2, auth, sizeof auth);
  p += 2 + sizeof auth;
  le16(p, 5);
  le32(p + 2, (uint32_t)chain_len);
  memcpy(p + 6, f->pck_chain_pem.data, chain_len); /* includes the NUL */
  if (dcap_forge_resign(f, q, total) != 0) {
    free(q);
    return -1;
  }
  out->data = q;
  out->len = total;
  return 0;
}

int dcap_forge_write_dir(const dcap_forge *f, int tdx, const char *dir) {
  const struct {
    const char *name;
    const tc_buf *b;
  } files[] = {
      {"tcb_info.json", &f->tcb_info[tdx ? 1 : 0]},
      {"tcb_info_issuer_chain.pem", &f->tcb_chain_pem},
      {"qe_identity.json", &f->qe_identity[tdx ? 1 : 0]},
      {"qe_identity_issuer_chain.pem", &f->tcb_chain_pem},
      {"pck_crl.der", &f->pck_crl},
      {"pck_crl_issuer_chain.pem", &f->ca_chain_pem},
      {"root_ca_crl.der", &f->root_crl},
      {"pck_chain.pem", &f->pck_chain_pem},
      {"intel_sgx_root_ca.pem", &f->root_pem},
  };
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    size_t n = strlen(dir) + strlen(files[i].name) + 2;
    char *path = malloc(n);
    if (path == NULL)
      return -1;
    snprintf(path, n, "%s/%s", dir, files[i].name);
    tc_error err;
    tc_status st = tc_file_write_atomic(path, files[i].b->data, files[i].b->len, &err);
    if (st != TC_OK)
      fprintf(stderr, "dcap_forge: %s\n", err.detail);
    free(path);
    if (st != TC_OK)
      return -1;
  }
  return 0;
}
