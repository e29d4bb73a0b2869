/* SPDX-License-Identifier: Apache-2.0 */
/* Test-time forge of AMD-like SEV-SNP endorsements and reports. See snp_forge.h. */
#include "snp_forge.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teectl/file.h"
#include "teectl/rfc3339.h"

struct snp_forge {
  snp_forge_opts o;
  EVP_PKEY *ark_key, *ask_key, *leaf_key, *other_rsa, *other_ec;
  int owns_rsa; /* ark_key, ask_key, other_rsa owned (not reused) */
  tc_buf ark_pem, ask_pem, leaf_der;
  uint64_t ask_serial;
  tc_buf roots[1];
};

static int fail(const char *what) {
  fprintf(stderr, "snp_forge: %s failed\n", what);
  return -1;
}

static const char *pname(tc_snp_product p) {
  switch (p) {
  case TC_SNP_MILAN:
    return "Milan";
  case TC_SNP_GENOA:
    return "Genoa";
  case TC_SNP_TURIN:
    return "Turin";
  default:
    return "Unknown";
  }
}

static tc_snp_product other_product(tc_snp_product p) {
  return p == TC_SNP_MILAN ? TC_SNP_GENOA : TC_SNP_MILAN;
}

/* This file's own TCB decoding (independent of the code under test). */
typedef struct {
  unsigned fmc, bl, tee, snp, ucode;
} spls;

static spls decode_tcb(uint64_t raw, tc_snp_product p) {
  spls s;
  uint8_t b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (uint8_t)(raw >> (8 * i));
  if (p == TC_SNP_TURIN) {
    s.fmc = b[0];
    s.bl = b[1];
    s.tee = b[2];
    s.snp = b[3];
    s.ucode = b[7];
  } else {
    s.fmc = 0;
    s.bl = b[0];
    s.tee = b[1];
    s.snp = b[6];
    s.ucode = b[7];
  }
  return s;
}

void snp_forge_opts_init(snp_forge_opts *o, tc_snp_product p, int vlek) {
  memset(o, 0, sizeof *o);
  o->product = p;
  o->vlek = vlek;
  o->rsa_bits = 2048;
  for (int i = 0; i < 3; i++) {
    o->not_before[i] = tc_utc_seconds(2020, 1, 1, 0, 0, 0);
    o->not_after[i] = tc_utc_seconds(2040, 1, 1, 0, 0, 0);
  }
  o->at = tc_utc_seconds(2025, 1, 1, 0, 0, 0);
  size_t n = p == TC_SNP_TURIN ? 8 : 64;
  for (size_t i = 0; i < n; i++)
    o->chip_id[i] = (uint8_t)(0x11 + i);
  if (p == TC_SNP_TURIN) /* fmc 2, bl 1, tee 4, snp 3, ucode 71 */
    o->reported_tcb = 0x02ull | 0x01ull << 8 | 0x04ull << 16 | 0x03ull << 24 | 71ull << 56;
  else /* bl 3, tee 1, snp 8, ucode 115 */
    o->reported_tcb = 0x03ull | 0x01ull << 8 | 0x08ull << 48 | 115ull << 56;
  o->cn_prefix = "";
  o->breakage = SNP_BREAK_NONE;
}

static EVP_PKEY *gen_rsa(int bits) {
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
  EVP_PKEY *k = NULL;
  if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) != 1 || EVP_PKEY_keygen(ctx, &k) != 1)
    k = NULL;
  EVP_PKEY_CTX_free(ctx);
  return k;
}

static EVP_PKEY *gen_p384(void) {
  return EVP_EC_gen("P-384");
}

static X509_NAME *amd_name(const char *cn) {
  X509_NAME *n = X509_NAME_new();
  if (n == NULL)
    return NULL;
  X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_ASC, (const unsigned char *)"Engineering", -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0);
  X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
                             (const unsigned char *)"TEST-ONLY hierarchy, not AMD", -1, -1, 0);
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
  return n;
}

/* RSASSA-PSS SHA-384 (MGF1 SHA-384, salt 48) as AMD does; pkcs1: PKCS#1 v1.5 SHA-384
 * instead; sha256: PSS over SHA-256 (salt 32) instead. */
static int sign_cert(X509 *x, EVP_PKEY *key, int pkcs1, int sha256) {
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  const EVP_MD *h = sha256 ? EVP_sha256() : EVP_sha384();
  int ok = md != NULL && EVP_DigestSignInit(md, &pctx, h, NULL, key) == 1;
  if (ok && !pkcs1)
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, h) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, sha256 ? 32 : 48) == 1;
  ok = ok && X509_sign_ctx(x, md) > 0;
  EVP_MD_CTX_free(md);
  return ok ? 0 : -1;
}

/* Add a private extension with raw extnValue bytes. */
static int add_ext_raw(X509 *x, const char *oid, const uint8_t *val, int len) {
  ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
  ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
  int ok = obj && os && ASN1_OCTET_STRING_set(os, val, len) == 1;
  X509_EXTENSION *e = ok ? X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os) : NULL;
  ok = e != NULL && X509_add_ext(x, e, -1) == 1;
  X509_EXTENSION_free(e);
  ASN1_OCTET_STRING_free(os);
  ASN1_OBJECT_free(obj);
  return ok ? 0 : -1;
}

static int add_ext_int(X509 *x, const char *oid, long v) {
  ASN1_INTEGER *i = ASN1_INTEGER_new();
  unsigned char *der = NULL;
  int n = (i && ASN1_INTEGER_set(i, v) == 1) ? i2d_ASN1_INTEGER(i, &der) : -1;
  int rc = n > 0 ? add_ext_raw(x, oid, der, n) : -1;
  OPENSSL_free(der);
  ASN1_INTEGER_free(i);
  return rc;
}

static int add_ext_ia5(X509 *x, const char *oid, const char *s) {
  ASN1_IA5STRING *str = ASN1_IA5STRING_new();
  unsigned char *der = NULL;
  int n =
      (str && ASN1_STRING_set(str, s, (int)strlen(s)) == 1) ? i2d_ASN1_IA5STRING(str, &der) : -1;
  int rc = n > 0 ? add_ext_raw(x, oid, der, n) : -1;
  OPENSSL_free(der);
  ASN1_IA5STRING_free(str);
  return rc;
}

static int add_ext_v3(X509 *x, X509 *issuer, int nid, const char *value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
  X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  int ok = e != NULL && X509_add_ext(x, e, -1) == 1;
  X509_EXTENSION_free(e);
  return ok ? 0 : -1;
}

static X509 *new_cert(uint64_t serial, const char *subject_cn, const char *issuer_cn, EVP_PKEY *pub,
                      int64_t nb, int64_t na) {
  X509 *x = X509_new();
  X509_NAME *s = amd_name(subject_cn), *i = amd_name(issuer_cn);
  int ok = x && s && i && X509_set_version(x, 2) == 1 &&
           ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial) == 1 &&
           X509_set_subject_name(x, s) == 1 && X509_set_issuer_name(x, i) == 1 &&
           X509_set_pubkey(x, pub) == 1 && ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb) &&
           ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na);
  X509_NAME_free(s);
  X509_NAME_free(i);
  if (!ok) {
    X509_free(x);
    return NULL;
  }
  return x;
}

static int to_pem(X509 *x, tc_buf *out) {
  BIO *b = BIO_new(BIO_s_mem());
  char *p;
  long n;
  if (b == NULL || PEM_write_bio_X509(b, x) != 1 || (n = BIO_get_mem_data(b, &p)) <= 0) {
    BIO_free(b);
    return -1;
  }
  out->data = malloc((size_t)n);
  if (out->data == NULL) {
    BIO_free(b);
    return -1;
  }
  memcpy(out->data, p, (size_t)n);
  out->len = (size_t)n;
  BIO_free(b);
  return 0;
}

static int to_der(X509 *x, tc_buf *out) {
  unsigned char *der = NULL;
  int n = i2d_X509(x, &der);
  if (n <= 0)
    return -1;
  out->data = malloc((size_t)n);
  if (out->data == NULL) {
    OPENSSL_free(der);
    return -1;
  }
  memcpy(out->data, der, (size_t)n);
  out->len = (size_t)n;
  OPENSSL_free(der);
  return 0;
}

static int build_leaf_exts(snp_forge *f, X509 *x) {
  const snp_forge_opts *o = &f->o;
  const char *A = "1.3.6.1.4.1.3704.1.";
  char oid[64];
  spls s = decode_tcb(o->reported_tcb, o->product);
  snp_forge_break b = o->breakage;
  if (b == SNP_BREAK_LEAF_BLSPL)
    s.bl++;
  if (b == SNP_BREAK_LEAF_SNPSPL)
    s.snp++;
  if (b == SNP_BREAK_LEAF_UCODESPL)
    s.ucode = (s.ucode + 1) & 0xff;
  if (b == SNP_BREAK_LEAF_TEESPL)
    s.tee++;
  if (b == SNP_BREAK_LEAF_FMCSPL)
    s.fmc++;
  int turin = o->product == TC_SNP_TURIN;
  tc_snp_product pn = b == SNP_BREAK_LEAF_PRODUCT ? other_product(o->product) : o->product;
  char prod[32];
  snprintf(prod, sizeof prod, "%s%s", pname(pn), pn == TC_SNP_MILAN && !o->vlek ? "-B0" : "");
#define EXT_INT(suffix, v)                                                                         \
  do {                                                                                             \
    snprintf(oid, sizeof oid, "%s%s", A, suffix);                                                  \
    if (add_ext_int(x, oid, (long)(v)) != 0)                                                       \
      return -1;                                                                                   \
  } while (0)
  EXT_INT("1", turin ? 1 : 0); /* structVersion */
  snprintf(oid, sizeof oid, "%s2", A);
  if (add_ext_ia5(x, oid, prod) != 0)
    return -1;
  if (turin)
    EXT_INT("3.9", s.fmc);
  EXT_INT("3.1", s.bl);
  EXT_INT("3.2", s.tee);
  if (b != SNP_BREAK_LEAF_NO_SPL)
    EXT_INT("3.3", s.snp);
  if (!turin)
    EXT_INT("3.4", 0);
  EXT_INT("3.5", 0);
  EXT_INT("3.6", 0);
  EXT_INT("3.7", 0);
  EXT_INT("3.8", s.ucode);
#undef EXT_INT
  if (o->vlek) {
    snprintf(oid, sizeof oid, "%s5", A);
    return add_ext_ia5(x, oid, "CN=test.invalid");
  }
  if (b == SNP_BREAK_LEAF_NO_HWID)
    return 0;
  uint8_t hwid[64];
  size_t n = turin ? 8 : 64;
  memcpy(hwid, o->chip_id, n);
  if (b == SNP_BREAK_LEAF_HWID)
    hwid[n - 1] ^= 0x01;
  snprintf(oid, sizeof oid, "%s4", A);
  if (b == SNP_BREAK_LEAF_HWID_WRAPPED) {
    uint8_t wrapped[2 + 64] = {0x04, (uint8_t)n};
    memcpy(wrapped + 2, hwid, n);
    return add_ext_raw(x, oid, wrapped, (int)n + 2);
  }
  return add_ext_raw(x, oid, hwid, (int)n);
}

static int build(snp_forge *f) {
  const snp_forge_opts *o = &f->o;
  const char *pre = o->cn_prefix ? o->cn_prefix : "";
  const char *prod = pname(o->product);
  char ark_cn[96], ask_cn[96];
  snprintf(ark_cn, sizeof ark_cn, "%sARK-%s", pre, prod);
  snprintf(ask_cn, sizeof ask_cn, "%sSEV-%s%s", pre, o->vlek ? "VLEK-" : "",
           o->breakage == SNP_BREAK_ASK_PRODUCT ? pname(other_product(o->product)) : prod);
  const char *leaf_cn = o->vlek ? "SEV-VLEK" : "SEV-VCEK";
  f->ask_serial = o->vlek ? 0x10004 : 0x10001;
  X509 *ark = new_cert(0x10000, ark_cn, ark_cn, f->ark_key, o->not_before[0], o->not_after[0]);
  X509 *ask =
      new_cert(f->ask_serial, ask_cn, ark_cn, f->ask_key, o->not_before[1], o->not_after[1]);
  EVP_PKEY *leaf_pub = o->breakage == SNP_BREAK_LEAF_RSA_KEY ? f->other_rsa : f->leaf_key;
  X509 *leaf = new_cert(0, leaf_cn, ask_cn, leaf_pub, o->not_before[2], o->not_after[2]);
  int rc = -1;
  if (!ark || !ask || !leaf)
    goto out;
  if (add_ext_v3(ark, ark, NID_subject_key_identifier, "hash") ||
      add_ext_v3(ark, ark, NID_basic_constraints,
                 o->breakage == SNP_BREAK_ARK_PATHLEN0 ? "critical,CA:TRUE,pathlen:0"
                                                       : "critical,CA:TRUE") ||
      add_ext_v3(ark, ark, NID_key_usage, "critical,keyCertSign,cRLSign") ||
      add_ext_v3(ask, ark, NID_subject_key_identifier, "hash") ||
      add_ext_v3(ask, ark, NID_basic_constraints,
                 o->breakage == SNP_BREAK_ASK_NOT_CA ? "critical,CA:FALSE"
                                                     : "critical,CA:TRUE,pathlen:0") ||
      add_ext_v3(ask, ark, NID_key_usage, "critical,keyCertSign,cRLSign") ||
      build_leaf_exts(f, leaf) != 0) {
    fail("extensions");
    goto out;
  }
  EVP_PKEY *ark_signer = o->breakage == SNP_BREAK_ARK_NOT_SELF_SIGNED ? f->other_rsa : f->ark_key;
  EVP_PKEY *ask_signer = o->breakage == SNP_BREAK_ASK_WRONG_SIGNER ? f->other_rsa : f->ark_key;
  EVP_PKEY *leaf_signer = o->breakage == SNP_BREAK_LEAF_WRONG_SIGNER ? f->other_rsa : f->ask_key;
  if (sign_cert(ark, ark_signer, 0, 0) ||
      sign_cert(ask, ask_signer, o->breakage == SNP_BREAK_ASK_PKCS1, 0) ||
      sign_cert(leaf, leaf_signer, 0, o->breakage == SNP_BREAK_LEAF_SHA256)) {
    fail("certificate signing");
    goto out;
  }
  if (to_pem(ark, &f->ark_pem) || to_pem(ask, &f->ask_pem) || to_der(leaf, &f->leaf_der)) {
    fail("certificate encoding");
    goto out;
  }
  rc = 0;
out:
  X509_free(ark);
  X509_free(ask);
  X509_free(leaf);
  return rc;
}

snp_forge *snp_forge_new(const snp_forge_opts *o) {
  snp_forge *f = calloc(1, sizeof *f);
  if (f == NULL)
    return NULL;
  f->o = *o;
  f->o.reuse_keys = NULL;
  if (o->reuse_keys != NULL) {
    f->ark_key = o->reuse_keys->ark_key;
    f->ask_key = o->reuse_keys->ask_key;
    f->other_rsa = o->reuse_keys->other_rsa;
    EVP_PKEY_up_ref(f->ark_key);
    EVP_PKEY_up_ref(f->ask_key);
    EVP_PKEY_up_ref(f->other_rsa);
  } else {
    int bits = o->rsa_bits > 0 ? o->rsa_bits : 2048;
    f->ark_key = gen_rsa(bits);
    f->ask_key = gen_rsa(bits);
    f->other_rsa = gen_rsa(bits);
  }
  f->leaf_key = gen_p384();
  f->other_ec = gen_p384();
  if (!f->ark_key || !f->ask_key || !f->other_rsa || !f->leaf_key || !f->other_ec) {
    fail("key generation");
    snp_forge_free(f);
    return NULL;
  }
  if (build(f) != 0) {
    snp_forge_free(f);
    return NULL;
  }
  f->roots[0] = f->ark_pem;
  return f;
}

void snp_forge_free(snp_forge *f) {
  if (f == NULL)
    return;
  EVP_PKEY_free(f->ark_key);
  EVP_PKEY_free(f->ask_key);
  EVP_PKEY_free(f->leaf_key);
  EVP_PKEY_free(f->other_rsa);
  EVP_PKEY_free(f->other_ec);
  tc_buf_free(&f->ark_pem);
  tc_buf_free(&f->ask_pem);
  tc_buf_free(&f->leaf_der);
  free(f);
}

void snp_forge_collateral(const snp_forge *f, tc_collateral *col) {
  memset(col, 0, sizeof *col);
  col->ark = f->ark_pem;
  col->ask = f->ask_pem;
  if (f->o.vlek)
    col->vlek = f->leaf_der;
  else
    col->vcek = f->leaf_der;
  col->trust_roots = (tc_buf *)&f->roots[0];
  col->n_trust_roots = 1;
}

const tc_buf *snp_forge_ark_pem(const snp_forge *f) {
  return &f->ark_pem;
}
const tc_buf *snp_forge_ask_pem(const snp_forge *f) {
  return &f->ask_pem;
}
const tc_buf *snp_forge_leaf_der(const snp_forge *f) {
  return &f->leaf_der;
}

int snp_forge_write_leaf_key(const snp_forge *f, const char *path) {
  FILE *fp = fopen(path, "w");
  if (fp == NULL)
    return fail("opening the leaf key file");
  int ok = PEM_write_PrivateKey(fp, f->leaf_key, NULL, NULL, 0, NULL, NULL) == 1;
  if (fclose(fp) != 0)
    ok = 0;
  return ok ? 0 : fail("writing the leaf key");
}

static int write_one(const char *dir, const char *name, const tc_buf *b) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (p == NULL)
    return -1;
  snprintf(p, n, "%s/%s", dir, name);
  tc_error err;
  int rc = tc_file_write_atomic(p, b->data, b->len, &err) == TC_OK ? 0 : -1;
  if (rc != 0)
    fprintf(stderr, "snp_forge: %s\n", err.detail);
  free(p);
  return rc;
}

int snp_forge_write_dir(const snp_forge *f, const char *dir) {
  if (write_one(dir, "ark.pem", &f->ark_pem) || write_one(dir, "ask.pem", &f->ask_pem) ||
      write_one(dir, f->o.vlek ? "vlek.der" : "vcek.der", &f->leaf_der))
    return -1;
  return 0;
}

static int add_revoked(X509_CRL *crl, uint64_t serial, const ASN1_TIME *when) {
  X509_REVOKED *r = X509_REVOKED_new();
  ASN1_INTEGER *sn = ASN1_INTEGER_new();
  int ok = r && sn && ASN1_INTEGER_set_uint64(sn, serial) == 1 &&
           X509_REVOKED_set_serialNumber(r, sn) == 1 &&
           X509_REVOKED_set_revocationDate(r, (ASN1_TIME *)when) == 1 &&
           X509_CRL_add0_revoked(crl, r) == 1;
  if (!ok)
    X509_REVOKED_free(r);
  ASN1_INTEGER_free(sn);
  return ok;
}

int snp_forge_crl(const snp_forge *f, int revoke, int64_t this_update, int64_t next_update,
                  tc_buf *out) {
  memset(out, 0, sizeof *out);
  char ark_cn[96];
  snprintf(ark_cn, sizeof ark_cn, "%sARK-%s", f->o.cn_prefix ? f->o.cn_prefix : "",
           pname(f->o.product));
  X509_CRL *crl = X509_CRL_new();
  X509_NAME *iss = amd_name(ark_cn);
  ASN1_TIME *tu = ASN1_TIME_set(NULL, (time_t)this_update);
  ASN1_TIME *nu = ASN1_TIME_set(NULL, (time_t)next_update);
  int ok = crl && iss && tu && nu && X509_CRL_set_version(crl, 1) == 1 &&
           X509_CRL_set_issuer_name(crl, iss) == 1 && X509_CRL_set1_lastUpdate(crl, tu) == 1 &&
           X509_CRL_set1_nextUpdate(crl, nu) == 1;
  if (ok && (revoke & SNP_FORGE_REVOKE_ASK))
    ok = add_revoked(crl, f->ask_serial, tu);
  if (ok && (revoke & SNP_FORGE_REVOKE_SERIAL0))
    ok = add_revoked(crl, 0, tu);
  if (ok) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    ok = md != NULL && EVP_DigestSignInit(md, &pctx, EVP_sha384(), NULL, f->ark_key) == 1 &&
         EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) == 1 && X509_CRL_sign_ctx(crl, md) > 0;
    EVP_MD_CTX_free(md);
  }
  unsigned char *der = NULL;
  int n = ok ? i2d_X509_CRL(crl, &der) : -1;
  if (n > 0 && (out->data = malloc((size_t)n)) != NULL) {
    memcpy(out->data, der, (size_t)n);
    out->len = (size_t)n;
  } else {
    ok = 0;
  }
  OPENSSL_free(der);
  ASN1_TIME_free(tu);
  ASN1_TIME_free(nu);
  X509_NAME_free(iss);
  X509_CRL_free(crl);
  return ok ? 0 : fail("CRL");
}

void snp_forge_report_init(const snp_forge *f, uint32_t version, tc_snp_report *r) {
  memset(r, 0, sizeof *r);
  r->version = version;
  r->policy = 0x30000;
  r->signature_algo = 1;
  r->current_tcb = r->reported_tcb = r->committed_tcb = r->launch_tcb = f->o.reported_tcb;
  if (!f->o.vlek)
    memcpy(r->chip_id, f->o.chip_id, 64);
  r->signing_key = f->o.vlek ? TC_SNP_SIGNING_KEY_VLEK : TC_SNP_SIGNING_KEY_VCEK;
  r->platform_info = 0x25;
  if (version >= 3) {
    switch (f->o.product) {
    case TC_SNP_MILAN:
      r->cpuid_fam_id = 0x19, r->cpuid_mod_id = 0x01;
      break;
    case TC_SNP_GENOA:
      r->cpuid_fam_id = 0x19, r->cpuid_mod_id = 0x11;
      break;
    default:
      r->cpuid_fam_id = 0x1a, r->cpuid_mod_id = 0x02;
      break;
    }
    r->cpuid_step = 0x01;
  }
  r->current_build = r->committed_build = 40;
  r->current_minor = r->committed_minor = 55;
  r->current_major = r->committed_major = 1;
  memset(r->report_id_ma, 0xff, 32);
}

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static int sign_with(EVP_PKEY *key, uint8_t rep[TC_SNP_REPORT_SIZE]) {
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  unsigned char sig[160];
  size_t siglen = sizeof sig;
  int ok = md != NULL && EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, key) == 1 &&
           EVP_DigestSign(md, sig, &siglen, rep, TC_SNP_SIGNED_SIZE) == 1;
  EVP_MD_CTX_free(md);
  if (!ok)
    return fail("report signing");
  const unsigned char *p = sig;
  ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
  if (es == NULL)
    return fail("ECDSA_SIG decoding");
  memset(rep + 0x2A0, 0, 0x90);
  ok = BN_bn2lebinpad(ECDSA_SIG_get0_r(es), rep + 0x2A0, 72) == 72 &&
       BN_bn2lebinpad(ECDSA_SIG_get0_s(es), rep + 0x2E8, 72) == 72;
  ECDSA_SIG_free(es);
  return ok ? 0 : fail("R/S encoding");
}

int snp_forge_resign(const snp_forge *f, uint8_t rep[TC_SNP_REPORT_SIZE]) {
  return sign_with(f->o.breakage == SNP_BREAK_REPORT_KEY ? f->other_ec : f->leaf_key, rep);
}

int snp_forge_resign_with_key_file(const char *key_path, uint8_t rep[TC_SNP_REPORT_SIZE]) {
  FILE *fp = fopen(key_path, "r");
  if (fp == NULL)
    return fail("opening the leaf key file");
  EVP_PKEY *key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
  fclose(fp);
  char curve[32] = "";
  size_t n = 0;
  int ok = key != NULL && EVP_PKEY_is_a(key, "EC") &&
           EVP_PKEY_get_utf8_string_param(key, "group", curve, sizeof curve, &n) == 1 &&
           strcmp(curve, "secp384r1") == 0;
  int rc = ok ? sign_with(key, rep) : fail("the leaf key file holds no EC P-384 private key");
  EVP_PKEY_free(key);
  return rc;
}

int snp_forge_sign_report(const snp_forge *f, const tc_snp_report *r,
                          uint8_t out[TC_SNP_REPORT_SIZE]) {
  memset(out, 0, TC_SNP_REPORT_SIZE);
  put32(out + 0x000, r->version);
  put32(out + 0x004, r->guest_svn);
  put64(out + 0x008, r->policy);
  memcpy(out + 0x010, r->family_id, 16);
  memcpy(out + 0x020, r->image_id, 16);
  put32(out + 0x030, r->vmpl);
  put32(out + 0x034, r->signature_algo);
  put64(out + 0x038, r->current_tcb);
  put64(out + 0x040, r->platform_info);
  put32(out + 0x048, (uint32_t)(r->author_key_en & 1) | (uint32_t)(r->mask_chip_key & 1) << 1 |
                         (uint32_t)(r->signing_key & 7) << 2);
  memcpy(out + 0x050, r->report_data, 64);
  memcpy(out + 0x090, r->measurement, 48);
  memcpy(out + 0x0C0, r->host_data, 32);
  memcpy(out + 0x0E0, r->id_key_digest, 48);
  memcpy(out + 0x110, r->author_key_digest, 48);
  memcpy(out + 0x140, r->report_id, 32);
  memcpy(out + 0x160, r->report_id_ma, 32);
  put64(out + 0x180, r->reported_tcb);
  if (r->version >= 3) {
    out[0x188] = r->cpuid_fam_id;
    out[0x189] = r->cpuid_mod_id;
    out[0x18A] = r->cpuid_step;
  }
  memcpy(out + 0x1A0, r->chip_id, 64);
  put64(out + 0x1E0, r->committed_tcb);
  out[0x1E8] = r->current_build;
  out[0x1E9] = r->current_minor;
  out[0x1EA] = r->current_major;
  out[0x1EC] = r->committed_build;
  out[0x1ED] = r->committed_minor;
  out[0x1EE] = r->committed_major;
  put64(out + 0x1F0, r->launch_tcb);
  if (r->version >= 5) {
    put64(out + 0x1F8, r->launch_mit_vector);
    put64(out + 0x200, r->current_mit_vector);
  }
  return snp_forge_resign(f, out);
}

int snp_forge_leaf_key_pem(const snp_forge *f, tc_buf *out) {
  memset(out, 0, sizeof *out);
  BIO *b = BIO_new(BIO_s_mem());
  char *p = NULL;
  long n = 0;
  if (b == NULL || PEM_write_bio_PrivateKey(b, f->leaf_key, NULL, NULL, 0, NULL, NULL) != 1 ||
      (n = BIO_get_mem_data(b, &p)) <= 0 || (out->data = malloc((size_t)n)) == NULL) {
    BIO_free(b);
    return fail("leaf key PEM");
  }
  memcpy(out->data, p, (size_t)n);
  out->len = (size_t)n;
  BIO_free(b);
  return 0;
}
