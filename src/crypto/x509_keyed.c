/* SPDX-License-Identifier: Apache-2.0 */
/* Certificates parsed with their ECDSA P-256 public key made directly, not through
 * OpenSSL 3.0's provider decoder, and the issuer checks that take the key (crypto/x509.h).
 *
 * OpenSSL 3.0 decodes the SubjectPublicKeyInfo of every certificate it parses through
 * OSSL_DECODER_CTX_new_for_pkey, which walks every decoder and key manager of the library
 * context: about 1.4 P-256 verifications per certificate (bench_dcap's profile), five times
 * the rest of the parse. A DCAP verification parses four certificates, all with P-256
 * keys. Here the certificate is parsed by OpenSSL's own X509 template (ASN1_item_d2i_ex)
 * in a library context that has no provider (OpenSSL's "null" provider), so its opportunistic
 * key decode finds no decoder and leaves the key undecoded without an error; everything
 * else about the certificate (its own library context is the default one) is as d2i_X509
 * makes it. The key is then made from the uncompressed point on P-256 parameters made
 * once (the import checks that the point lies on the curve), when the key is exactly an
 * id-ecPublicKey on the named curve prime256v1 (RFC 5480 section 2); any other certificate,
 * and a P-256 point that is not on the curve, is parsed again by d2i_X509 and keeps what
 * OpenSSL makes of it.
 *
 * A certificate without a decoded key is a subject like any other (X509_verify takes the
 * issuer's key). As an issuer, X509_check_issued stops at its last name/key-id step with
 * X509_V_ERR_NO_ISSUER_PUBLIC_KEY; tc_x509_issued completes it with the key given: the
 * two steps OpenSSL 3.0 takes after that one (crypto/x509/v3_purp.c: the subject's signature
 * algorithm against the issuer's key type, then the issuer's keyUsage), with the same
 * codes. */
#include <openssl/objects.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>
#include <pthread.h>

#include "crypto/ecdsa.h"
#include "crypto/x509.h"

/* The library context without providers, made once per process and never changed. */
static OSSL_LIB_CTX *keyless_ctx;
static pthread_once_t keyless_once = PTHREAD_ONCE_INIT;

static void keyless_init(void) {
  OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();
  if (ctx != NULL && OSSL_PROVIDER_load(ctx, "null") == NULL) {
    OSSL_LIB_CTX_free(ctx);
    ctx = NULL;
  }
  keyless_ctx = ctx; /* NULL: every certificate goes through d2i_X509 */
}

/* The uncompressed P-256 point (65 bytes: 0x04 || x || y) of x's key if its
 * SubjectPublicKeyInfo is exactly id-ecPublicKey with namedCurve prime256v1 and a BIT
 * STRING without unused bits; else NULL. */
static const uint8_t *p256_point(const X509 *x) {
  ASN1_OBJECT *alg = NULL;
  const unsigned char *pk = NULL;
  int pklen = 0, ptype = 0;
  X509_ALGOR *algor = NULL;
  const void *pval = NULL;
  const ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(x);
  if (bits == NULL || (bits->flags & 0x07) != 0 ||
      X509_PUBKEY_get0_param(&alg, &pk, &pklen, &algor, X509_get_X509_PUBKEY(x)) != 1 ||
      OBJ_obj2nid(alg) != NID_X9_62_id_ecPublicKey)
    return NULL;
  X509_ALGOR_get0(NULL, &ptype, &pval, algor);
  if (ptype != V_ASN1_OBJECT || OBJ_obj2nid(pval) != NID_X9_62_prime256v1 || pklen != 65 ||
      pk[0] != 0x04)
    return NULL;
  return pk;
}

X509 *tc_x509_parse_keyed(const uint8_t *der, size_t len, const EVP_PKEY *p256, EVP_PKEY **key) {
  *key = NULL;
  if (len > INT32_MAX)
    return NULL;
  pthread_once(&keyless_once, keyless_init);
  const unsigned char *p = der;
  if (keyless_ctx != NULL && p256 != NULL) {
    ERR_set_mark(); /* what fails here is tried again below, where OpenSSL reports it */
    X509 *x =
        (X509 *)ASN1_item_d2i_ex(NULL, &p, (long)len, ASN1_ITEM_rptr(X509), keyless_ctx, NULL);
    const uint8_t *point = x != NULL ? p256_point(x) : NULL;
    EVP_PKEY *k = point != NULL ? tc_ec_key_from_raw_as(p256, point + 1, 64) : NULL;
    ERR_pop_to_mark();
    if (k != NULL) {
      *key = k;
      return x;
    }
    X509_free(x);
    p = der;
  }
  X509 *x = d2i_X509(NULL, &p, (long)len);
  if (x != NULL && (*key = X509_get0_pubkey(x)) != NULL && EVP_PKEY_up_ref(*key) != 1)
    *key = NULL;
  return x;
}

/* check_sig_alg_match of OpenSSL 3.0: the subject's (TBSCertificate) signature algorithm
 * is one for the issuer key's type. */
static int sig_alg_match(const EVP_PKEY *key, const X509 *subject) {
  const ASN1_OBJECT *obj = NULL;
  int pknid = NID_undef;
  if (key == NULL)
    return X509_V_ERR_NO_ISSUER_PUBLIC_KEY;
  X509_ALGOR_get0(&obj, NULL, NULL, X509_get0_tbs_sigalg(subject));
  if (OBJ_find_sigid_algs(OBJ_obj2nid(obj), NULL, &pknid) == 0)
    return X509_V_ERR_UNSUPPORTED_SIGNATURE_ALGORITHM;
  if (EVP_PKEY_is_a(key, OBJ_nid2sn(pknid)) ||
      (EVP_PKEY_is_a(key, "RSA") && pknid == NID_rsassaPss))
    return X509_V_OK;
  return X509_V_ERR_SIGNATURE_ALGORITHM_MISMATCH;
}

/* ossl_x509_signing_allowed of OpenSSL 3.0: the issuer's keyUsage, when present, allows
 * signing the subject (digitalSignature for a proxy certificate, else keyCertSign). Both
 * certificates' extensions were cached by X509_check_issued. */
static int signing_allowed(X509 *issuer, X509 *subject) {
  uint32_t ku = X509_get_key_usage(issuer); /* UINT32_MAX without keyUsage */
  if ((X509_get_extension_flags(subject) & EXFLAG_PROXY) != 0)
    return (ku & KU_DIGITAL_SIGNATURE) != 0 ? X509_V_OK : X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE;
  return (ku & KU_KEY_CERT_SIGN) != 0 ? X509_V_OK : X509_V_ERR_KEYUSAGE_NO_CERTSIGN;
}

int tc_x509_issued(X509 *issuer, const EVP_PKEY *issuer_key, X509 *subject) {
  ERR_set_mark(); /* X509_get0_pubkey of an issuer without a decoded key raises one */
  int rc = X509_check_issued(issuer, subject);
  ERR_pop_to_mark();
  if (rc == X509_V_ERR_NO_ISSUER_PUBLIC_KEY && issuer_key != NULL) {
    /* every step before the key's passed; the key-dependent ones with the key given */
    rc = sig_alg_match(issuer_key, subject);
    if (rc == X509_V_OK)
      rc = signing_allowed(issuer, subject);
  }
  return rc;
}
