/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — X.509 certificate and CRL helpers shared by the SNP and DCAP verifiers and
 * the collateral code (private: part of the crypto module, the one place that uses
 * OpenSSL's certificate API; no public header exposes OpenSSL types).
 *
 * Thin, fail-closed wrappers over OpenSSL 3 libcrypto (RFC 5280 structures). Nothing
 * here reads the clock: validity is judged at a time passed in (seconds since the
 * Unix epoch, UTC). Chains are checked link by link by the verifiers, which know the
 * vendor's hierarchy; these helpers never consult a system trust store.
 */
#ifndef TEECTL_CRYPTO_X509_H
#define TEECTL_CRYPTO_X509_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/ossl.h"
#include "teectl/error.h"

/**
 * Parse one certificate from bytes: PEM ("-----BEGIN CERTIFICATE-----") or DER.
 * Trailing NUL bytes and whitespace after a PEM block are tolerated (quotes carry them).
 * Serial number 0 (AMD VCEK/VLEK) is accepted: it is the issuer's business, not ours.
 * Errors: TC_ERR_PARSE reason "cert_unparsable".
 */
tc_status tc_x509_parse(const uint8_t *data, size_t len, X509 **out, tc_error *err);

/**
 * Parse every PEM certificate in data, in order (a chain as stored in a quote or a
 * *_issuer_chain.pem file); if data holds no PEM header it is read as one DER cert.
 * Data after the last PEM block must be whitespace or NUL. *out is a new stack the
 * caller frees with OSSL_STACK_OF_X509_free / sk_X509_pop_free(.., X509_free).
 * Errors: TC_ERR_PARSE reason "cert_unparsable" (detail gives the certificate index).
 */
tc_status tc_x509_parse_chain(const uint8_t *data, size_t len, STACK_OF(X509) * *out,
                              tc_error *err);

/**
 * The certificate a chain's DER bytes encode, as a new reference: from a caller's pool of
 * certificates already parsed (same bytes), else parsed (d2i_X509) and remembered. NULL if
 * the bytes do not parse (the OpenSSL error queue says why).
 */
typedef X509 *(*tc_x509_reuse_fn)(void *ctx, const uint8_t *der, size_t len);

/**
 * tc_x509_parse_chain, each PEM block's certificate obtained through reuse(ctx, der, len)
 * (NULL: parsed here), so that a certificate met in several chains is parsed once. The
 * accepted inputs and the errors are those of tc_x509_parse_chain.
 */
tc_status tc_x509_parse_chain_reuse(const uint8_t *data, size_t len, tc_x509_reuse_fn reuse,
                                    void *ctx, STACK_OF(X509) * *out, tc_error *err);

/**
 * Check that subject names issuer as its issuer (X509_check_issued: names, key ids,
 * signature algorithm against the key type, the issuer's keyUsage allows keyCertSign),
 * that issuer is a CA (basicConstraints cA TRUE: RFC 5280 section 4.2.1.9) and that
 * subject's signature verifies with issuer's public key (any algorithm OpenSSL supports,
 * including RSASSA-PSS with the parameters in the certificate).
 * Errors: TC_ERR_VERIFY with the caller's reason (detail from OpenSSL).
 */
tc_status tc_x509_check_issued_by(X509 *subject, X509 *issuer, const char *reason, tc_error *err);

/**
 * Parse the DER certificate der[0..len) (the first certificate there, as d2i_X509) and
 * hand back its public key in *key (a new reference; NULL when OpenSSL cannot decode it).
 * An ECDSA P-256 key (SubjectPublicKeyInfo id-ecPublicKey, namedCurve prime256v1, an
 * uncompressed point on the curve: RFC 5480 section 2) is made from the point on the
 * curve parameters p256 (tc_ec_params_new(TC_EC_P256)) and left undecoded in the returned
 * certificate, so that OpenSSL 3.0's provider decoder (about 1.4 P-256 verifications per
 * certificate) is not run; use *key wherever its public key is needed, and
 * tc_x509_check_issued_with / tc_x509_issued / tc_crl_check_signature_with when it is the
 * issuer (X509_get0_pubkey gives NULL for it). Any other certificate, or p256 NULL, is
 * parsed by d2i_X509 and *key is X509_get0_pubkey's. NULL if the bytes do not parse (the
 * OpenSSL error queue says why, as d2i_X509 does); len above INT32_MAX does not parse.
 */
X509 *tc_x509_parse_keyed(const uint8_t *der, size_t len, const EVP_PKEY *p256, EVP_PKEY **key);

/**
 * X509_check_issued(issuer, subject) with the issuer's public key given (an issuer from
 * tc_x509_parse_keyed has none decoded): names, key identifiers, the subject's signature
 * algorithm against the key's type, the issuer's keyUsage, with OpenSSL 3.0's codes
 * (X509_V_OK or an X509_V_ERR_*). issuer_key NULL: X509_V_ERR_NO_ISSUER_PUBLIC_KEY
 * unless the issuer has a decoded key.
 */
int tc_x509_issued(X509 *issuer, const EVP_PKEY *issuer_key, X509 *subject);

/**
 * tc_x509_check_issued_by with the issuer's public key given (tc_x509_parse_keyed's):
 * tc_x509_issued, then subject's signature verified with issuer_key. The same errors and
 * details; issuer_key NULL never verifies.
 */
tc_status tc_x509_check_issued_with(X509 *subject, X509 *issuer, const EVP_PKEY *issuer_key,
                                    const char *reason, tc_error *err);

/**
 * RFC 5280 section 4.2.1.9 pathLenConstraint over a chain chain[0..n) from the leaf (0) to
 * the root (n - 1), each certificate issued by the next: a CA certificate at index i has
 * i - 1 intermediate CA certificates below it, which its pathLenConstraint, when present,
 * must allow (i - 1 <= pathLen). Errors: TC_ERR_VERIFY with the caller's reason, the detail
 * naming the certificate (subject CN), its pathLen and the count.
 */
tc_status tc_x509_check_path_len(X509 *const *chain, int n, const char *reason, tc_error *err);

/** notBefore / notAfter of cert as seconds since the epoch (UTC). 0 on success, -1 if unreadable.
 */
int tc_x509_validity(const X509 *cert, int64_t *not_before, int64_t *not_after);

/**
 * Check notBefore <= at <= notAfter. Errors: TC_ERR_VERIFY reason given by caller
 * (detail names the certificate's subject CN and its window in RFC 3339).
 */
tc_status tc_x509_check_time(const X509 *cert, int64_t at, const char *reason, tc_error *err);

/** SHA-256 of the DER SubjectPublicKeyInfo of cert (the pin form of a trust anchor). */
int tc_x509_spki_sha256(X509 *cert, uint8_t out[32]);

/** Subject (or issuer) commonName into out (NUL-terminated, truncated); "" if absent. */
void tc_x509_subject_cn(const X509 *cert, char *out, size_t cap);
void tc_x509_issuer_cn(const X509 *cert, char *out, size_t cap);

/**
 * Find the extension with the dotted OID and return a pointer to its extnValue octets
 * (the DER inside the OCTET STRING), valid while cert lives. Returns 1 if found, 0 if
 * absent, -1 if the OID text is bad or the extension occurs twice.
 */
int tc_x509_extension(const X509 *cert, const char *oid, const uint8_t **value, size_t *len);

/** Convert an ASN1_TIME to seconds since the epoch. 0 on success, -1 on error. */
int tc_asn1_time_seconds(const ASN1_TIME *t, int64_t *out);

/**
 * Parse a CRL (PEM or DER). Errors: TC_ERR_PARSE reason "crl_unparsable".
 */
tc_status tc_crl_parse(const uint8_t *data, size_t len, X509_CRL **out, tc_error *err);

/**
 * Check a CRL: its issuer name equals issuer's subject, issuer's keyUsage (when present)
 * allows cRLSign (RFC 5280 section 6.3.3), its signature verifies with issuer's key, and
 * thisUpdate <= at <= nextUpdate (a CRL without nextUpdate is
 * rejected). Errors: TC_ERR_VERIFY reason "crl_invalid" (signature, issuer) or
 * "crl_expired" (window).
 */
tc_status tc_crl_check(X509_CRL *crl, X509 *issuer, int64_t at, tc_error *err);

/** The time-independent half of tc_crl_check: issuer name, cRLSign and signature ("crl_invalid").
 */
tc_status tc_crl_check_signature(X509_CRL *crl, X509 *issuer, tc_error *err);

/** tc_crl_check_signature with the issuer's public key given (tc_x509_parse_keyed's; NULL
 *  never verifies). */
tc_status tc_crl_check_signature_with(X509_CRL *crl, X509 *issuer, const EVP_PKEY *issuer_key,
                                      tc_error *err);

/** The time half of tc_crl_check: thisUpdate and nextUpdate readable ("crl_invalid") and
 *  thisUpdate <= at <= nextUpdate ("crl_expired"); issuer names the CRL in the detail. */
tc_status tc_crl_check_window(const X509_CRL *crl, const X509 *issuer, int64_t at, tc_error *err);

/** tc_crl_check_window in two parts, for a CRL checked once and its window at many times:
 *  thisUpdate / nextUpdate readable and present (seconds since the epoch; "crl_invalid"),
 *  and the window at `at` ("crl_expired"); issuer_cn names the issuer in the details. */
tc_status tc_crl_dates(const X509_CRL *crl, const char *issuer_cn, int64_t *this_update,
                       int64_t *next_update, tc_error *err);
tc_status tc_crl_window_at(const char *issuer_cn, int64_t this_update, int64_t next_update,
                           int64_t at, tc_error *err);
/** The commonName of the CRL's issuer name into out (NUL-terminated, truncated). */
void tc_crl_issuer_cn(const X509_CRL *crl, char *out, size_t cap);

/** 1 if cert's serial is listed in crl (same issuer assumed checked), else 0. */
int tc_crl_revokes(X509_CRL *crl, X509 *cert);

#endif
