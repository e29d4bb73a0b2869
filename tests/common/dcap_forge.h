/* SPDX-License-Identifier: Apache-2.0 */
/* Test-time forge of an Intel-like DCAP hierarchy, signed collateral and quotes (OpenSSL).
 *
 * NOT Intel's keys: everything is generated at run time, for tests and demos only. The
 * shapes follow the public specs, encoded by this file independently of the code under
 * test:
 *   root      self-signed EC P-256 CA, CN "TEST-ONLY SGX Root CA"
 *   PCK CA    CN "TEST-ONLY SGX PCK Platform CA" (or "... Processor CA"), signed by root
 *   PCK leaf  CN "TEST-ONLY SGX PCK Certificate", EC P-256, with the SGX extensions
 *             (OID 1.2.840.113741.1.13.1: PPID, TCB (16 comp SVNs, PCESVN, CPUSVN),
 *             PCE-ID, FMSPC, SGX Type) — Intel SGX PCK Certificate and CRL Profile
 *   TCB signing  CN "TEST-ONLY SGX TCB Signing", signed by root
 *   CRLs      root CA CRL (DER, by root), PCK CRL (DER, by the PCK CA)
 *   tcb_info_{sgx,tdx}.json  {"tcbInfo":{...v3...},"signature":"<hex r||s>"} signed over the
 *             exact bytes of the tcbInfo object (Intel PCS API v4)
 *   qe_identity_{sgx,tdx}.json  {"enclaveIdentity":{...v2, id QE|TD_QE...},"signature":...}
 *   quotes    SGX v3, TDX v4 (TD 1.0 body), TDX v5 (TD 1.5 body) with certification data
 *             type 5 (v3) / type 6 holding type 5 (v4/v5), attestation key generated per
 *             forge, QE report signed by the PCK key, report data = SHA-256(key || auth).
 *
 * Default TCB Info: one level equal to the PCK's SVNs (and, for TDX, tee_tcb_svn), status
 * UpToDate; TDX adds tdxModule (mrsigner 0, attributes 0) and, when tee_tcb_svn[1] > 0,
 * the module identity "TDX_%02X" with one level isvsvn = tee_tcb_svn[0]. Default QE
 * Identity: the forge's QE MRSIGNER, isvprodid 1 (QE) / 2 (TD_QE), one level isvsvn =
 * qe_isvsvn. Tests replace the level arrays with their own JSON text.
 *
 * Typical use:
 *   dcap_forge_opts o; dcap_forge_opts_init(&o);
 *   dcap_forge *f = dcap_forge_new(&o);               // NULL on failure (stderr)
 *   tc_buf quote; dcap_forge_quote(f, 4, report_data, &quote);
 *   tc_collateral col; dcap_forge_collateral(f, 1, &col);   // 1 = TDX collateral
 *   tc_dcap_verify(quote.data, quote.len, &col, o.at, &res, &err);  // trust root is set
 *   tc_buf_free(&quote); dcap_forge_free(f);
 * or dcap_forge_write_dir(f, 1, dir) for a collateral folder of the vector layout.
 */
#ifndef TEECTL_TESTS_DCAP_FORGE_H
#define TEECTL_TESTS_DCAP_FORGE_H

#include <stddef.h>
#include <stdint.h>

#include "teectl/bytes.h"
#include "teectl/verify.h"

/** One thing to break (for negative tests). */
typedef enum {
  DCAP_BREAK_NONE = 0,
  DCAP_BREAK_CA_WRONG_SIGNER,       /* PCK CA signed by a key other than the root's */
  DCAP_BREAK_PCK_WRONG_SIGNER,      /* PCK leaf signed by a key other than the CA's */
  DCAP_BREAK_PCK_NO_EXTENSION,      /* PCK leaf without the SGX extension */
  DCAP_BREAK_PCK_REVOKED,           /* PCK CRL lists the leaf */
  DCAP_BREAK_CA_REVOKED,            /* Root CA CRL lists the PCK CA */
  DCAP_BREAK_TCB_SIGNER_REVOKED,    /* Root CA CRL lists the TCB signing certificate */
  DCAP_BREAK_TCB_SIGNER_WRONG_ROOT, /* TCB signing cert signed by another key than root */
  DCAP_BREAK_TCB_INFO_SIGNATURE,    /* tcb_info signed with another key */
  DCAP_BREAK_QE_IDENTITY_SIGNATURE, /* qe_identity signed with another key */
  DCAP_BREAK_PCK_CRL_SIGNER,        /* PCK CRL signed with another key */
  DCAP_BREAK_QE_REPORT_SIGNATURE,   /* QE report signed with another key than the PCK's */
  DCAP_BREAK_QE_REPORT_DATA,        /* QE report data not SHA-256(key || auth data) */
  DCAP_BREAK_QUOTE_SIGNATURE,       /* quote signed with another key than the att. key */
  DCAP_BREAK_CA_NOT_CA,             /* PCK CA basicConstraints CA:FALSE (keyUsage kept) */
  DCAP_BREAK_ROOT_PATHLEN0,         /* root basicConstraints pathlen:0 (no CA below it) */
} dcap_forge_break;

/** How a certificate's P-256 public key is written in its SubjectPublicKeyInfo (RFC 5480
 *  section 2: id-ecPublicKey with the namedCurve or specifiedCurve parameters; SEC 1 2.3.3
 *  point forms). The key is the same in every form. */
typedef enum {
  DCAP_KEY_NAMED = 0,  /* namedCurve prime256v1, uncompressed point (0x04): Intel's form */
  DCAP_KEY_COMPRESSED, /* namedCurve, compressed point (0x02 / 0x03) */
  DCAP_KEY_HYBRID,     /* namedCurve, hybrid point (0x06 / 0x07) */
  DCAP_KEY_EXPLICIT,   /* specifiedCurve: the P-256 parameters written out, uncompressed */
} dcap_forge_key_form;

typedef struct dcap_forge_opts {
  int64_t not_before, not_after;            /* every certificate's window (seconds, UTC) */
  int64_t issue_date, next_update;          /* TCB Info, QE Identity, CRL thisUpdate/nextUpdate */
  int64_t crl_this_update, crl_next_update; /* both CRLs (default: issue_date/next_update) */
  int64_t qe_issue_date, qe_next_update;    /* QE Identity (default: issue_date/next_update) */
  int64_t at;                               /* a time inside every window (informative) */
  uint8_t fmspc[6];                         /* PCK extension FMSPC */
  uint8_t tcb_info_fmspc[6];                /* FMSPC written into the TCB Info (default = fmspc) */
  uint8_t pce_id[2];
  uint8_t tcb_info_pce_id[2];   /* pceId written into the TCB Info (default = pce_id) */
  uint8_t sgx_tcb_comp_svn[16]; /* PCK extension TCB components (also its CPUSVN) */
  uint16_t pcesvn;
  int processor_ca;            /* 0: Platform CA (SGX Type 1); 1: Processor CA (Type 0) */
  uint8_t tee_tcb_svn[16];     /* TD report tee_tcb_svn (and v5 tee_tcb_svn2) */
  uint16_t qe_isvsvn;          /* QE report ISVSVN */
  uint64_t td_attributes;      /* TD report TD_ATTRIBUTES (default: SEPT_VE_DISABLE) */
  uint64_t sgx_attributes;     /* SGX report ATTRIBUTES.FLAGS (default 0x05) */
  const char *tcb_levels_json; /* replaces tcbInfo.tcbLevels (JSON array text) or NULL */
  const char *tdx_module_identities_json; /* replaces tcbInfo.tdxModuleIdentities or NULL */
  const char *qe_tcb_levels_json;         /* replaces enclaveIdentity.tcbLevels or NULL */
  dcap_forge_break breakage;
  /* the key form of the root, PCK CA, PCK leaf and TCB signing certificates (default named) */
  dcap_forge_key_form root_key_form, ca_key_form, pck_key_form, tcb_key_form;
} dcap_forge_opts;

typedef struct dcap_forge dcap_forge;

/**
 * Defaults: certificates 2020-01-01..2040-01-01; TCB Info / QE Identity / CRLs issued
 * 2025-01-01, nextUpdate 2025-02-01 (dcap_forge_new takes a zero crl_* / qe_* time as
 * "same as issue_date / next_update"); at = 2025-01-15T00:00:00Z; fmspc 00906ed50000;
 * pce_id 0000; sgx components 04 04 02 02 03 01 00 05 then 0; pcesvn 13; Platform CA;
 * tee_tcb_svn 03 01 02 (module 1.x ISVSVN 3, late microcode 2) then 0; qe_isvsvn 8;
 * td_attributes SEPT_VE_DISABLE (bit 28); sgx_attributes 0x05; nothing broken.
 */
void dcap_forge_opts_init(dcap_forge_opts *o);

/** Generate keys, certificates, CRLs and signed collateral. NULL on failure (stderr). */
dcap_forge *dcap_forge_new(const dcap_forge_opts *o);
void dcap_forge_free(dcap_forge *f);

/**
 * Fill *col with pointers to forge-owned buffers (do not tc_collateral_free): TCB Info and
 * QE Identity for TDX (tdx = 1) or SGX (tdx = 0), their issuer chains (TCB signing +
 * root, PEM), PCK CRL and Root CA CRL (DER), pck_chain (PEM) and the test root as the
 * single trust root.
 */
void dcap_forge_collateral(const dcap_forge *f, int tdx, tc_collateral *col);

/** PEM of the test root (the trust root to pass to the verifier). Owned by the forge. */
const tc_buf *dcap_forge_root_pem(const dcap_forge *f);

/**
 * A quote: version 3 (SGX), 4 (TDX, TD 1.0 body) or 5 (TDX, TD 1.5 body), with the given
 * 64-byte report_data (NULL: zeros). *out is malloc'd (caller tc_buf_free). 0 on success.
 */
int dcap_forge_quote(const dcap_forge *f, int version, const uint8_t report_data[64], tc_buf *out);

/**
 * Re-sign the header+body of a quote produced by this forge after a test edited it
 * (signed length: 432 for v3, 632 for v4, 702 for v5). 0 on success.
 */
int dcap_forge_resign(const dcap_forge *f, uint8_t *quote, size_t len);

/**
 * Write a collateral folder of the vector layout into dir (which must exist):
 * tcb_info.json, tcb_info_issuer_chain.pem, qe_identity.json, qe_identity_issuer_chain.pem,
 * pck_crl.der, pck_crl_issuer_chain.pem, root_ca_crl.der, pck_chain.pem and the test root
 * as intel_sgx_root_ca.pem (for tdx = 1 the TDX collateral, else SGX). Each file is
 * written atomically. 0 on success, -1 on failure (stderr).
 */
int dcap_forge_write_dir(const dcap_forge *f, int tdx, const char *dir);

#endif
