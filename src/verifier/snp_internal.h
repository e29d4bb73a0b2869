/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — the verified SEV-SNP endorsement chain, shared by the chain half
 * (verifier/snp_chain.c: certificates, trust, revocation, the chain cache) and the report
 * half (verifier/snp_verify.c) of the SNP verifier (private to them; see teectl/snp.h). */
#ifndef TEECTL_VERIFIER_SNP_INTERNAL_H
#define TEECTL_VERIFIER_SNP_INTERNAL_H

#include <openssl/x509.h>
#include <stdint.h>

#include "core/vcache.h"
#include "crypto/ecdsa.h"
#include "teectl/snp.h"

typedef enum { ROLE_NONE = 0, ROLE_ARK, ROLE_ASK, ROLE_ASVK, ROLE_VCEK, ROLE_VLEK } cert_role;

/** "ARK", "ASK", "ASVK", "VCEK", "VLEK" or "unknown". */
const char *snp_role_name(cert_role r);

/* What the leaf's AMD extensions say, read once when the chain is built (the report
 * steps compare them with each report). present: 1 found, 0 absent, -1 duplicated. */
typedef struct {
  int hwid_present;
  const uint8_t *hwid; /* inside the leaf (valid while it lives) */
  size_t hwid_len;
  int spl_present[8]; /* the SPL of REPORTED_TCB byte i, in the product line's layout */
  int spl[8];         /* 0..255, or -1: not a DER INTEGER 0..255 */
} leaf_facts;

/* A verified endorsement chain (see tc_snp_chain_verify). Immutable once built: a chain
 * cache (tc_snp_chain_cache) shares it between threads. */
struct tc_snp_chain {
  X509 *ark, *ask, *leaf;
  X509_CRL *crl;          /* the ARK's CRL, signature checked (NULL: none was given) */
  cert_role leaf_role;    /* ROLE_VCEK or ROLE_VLEK */
  tc_snp_product product; /* the one product line of ARK, ASK/ASVK and leaf */
  tc_snp_product ark_pin; /* the AMD pin the ARK matched; UNKNOWN: an operator root */
  uint8_t ark_spki[32];   /* SHA-256 of the ARK's SubjectPublicKeyInfo */
  leaf_facts leaf_facts;
  tc_p384_key *leaf_key; /* the leaf's public key, ready for report signatures */
  int64_t at;            /* the time it was verified at */
};

/**
 * A verified chain for a report whose SIGNING_KEY names a leaf of kind want (ROLE_VCEK or
 * ROLE_VLEK) at `at`: from cache (NULL: none) when the same collateral bytes verified
 * before, and then only the checks that depend on the time and the caller's trust roots
 * are made again; else verified in full (and put in the cache when it passed). On TC_OK
 * *chain is valid until *ref is released (tc_vcache_release) or, when *ref is NULL, is the
 * caller's to free (tc_snp_chain_free). Reason codes: those of tc_snp_chain_verify.
 */
tc_status snp_chain_for(const tc_collateral *col, cert_role want, int64_t at,
                        tc_snp_chain_cache *cache, const tc_snp_chain **chain, tc_vcache_ref **ref,
                        tc_error *err);

/**
 * The leaf bound to the report: a VCEK's hwID is the report's CHIP_ID (vcek_extension_invalid,
 * chip_id_masked, vcek_chip_mismatch), and each SPL of the leaf is the REPORTED_TCB
 * component (vcek_extension_invalid, tcb_mismatch).
 */
tc_status snp_check_leaf(const tc_snp_chain *ch, const tc_snp_report *r, tc_error *err);

#endif
