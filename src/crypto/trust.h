/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — operator trust roots, parsed once (private part of teectl/verify.h's
 * tc_trust_store, for the SNP and DCAP verifiers). */
#ifndef TEECTL_CRYPTO_TRUST_H
#define TEECTL_CRYPTO_TRUST_H

#include <openssl/x509.h>
#include <stdint.h>

#include "teectl/verify.h"

/** 1 if an operator root of ts has the public key whose DER SubjectPublicKeyInfo hashes
 *  (SHA-256) to spki_sha256, else 0. ts may be NULL (no roots). */
int tc_trust_has_spki(const tc_trust_store *ts, const uint8_t spki_sha256[32]);

/** The operator root that issued cert (X509_check_issued: names and key ids), borrowed
 *  from ts (valid while ts lives), or NULL. ts may be NULL. */
X509 *tc_trust_issuer_of(const tc_trust_store *ts, X509 *cert);

/** An identity of ts's roots (SHA-256 over the DER of each parsed root, in order; 32 zero
 *  bytes for NULL): two stores with the same id trust exactly the same roots. */
void tc_trust_id(const tc_trust_store *ts, uint8_t out[32]);

/** NULL if every root parsed; else the error of the first one that did not
 *  (TC_ERR_PARSE "cert_unparsable", detail "trust root #<i>: ..."). */
const tc_error *tc_trust_error(const tc_trust_store *ts);

/**
 * The store a verification uses: col->trust when the caller parsed the roots at load,
 * else a store built here from col->trust_roots (*owned, free it with
 * tc_trust_store_free; roots that do not parse are kept as tc_trust_error).
 * *use is NULL when col is NULL or has neither a store nor roots (NULL trusts nothing, as
 * an empty store; nothing is built per call). Errors: TC_ERR_NOMEM "out_of_memory".
 */
tc_status tc_trust_for(const tc_collateral *col, tc_trust_store **owned, const tc_trust_store **use,
                       tc_error *err);

#endif
