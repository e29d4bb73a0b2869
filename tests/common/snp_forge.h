/* SPDX-License-Identifier: Apache-2.0 */
/* Test-time forge of AMD-like SEV-SNP endorsements and attestation reports (OpenSSL).
 *
 * NOT AMD's keys: everything here is generated at run time, for tests and demos only.
 * It builds a hierarchy shaped like AMD's (AMD VCEK Certificate and KDS Interface spec):
 *   ARK  self-signed RSA (RSASSA-PSS SHA-384, MGF1 SHA-384, salt 48), CN "<prefix>ARK-<product>"
 *   ASK  (or ASVK for a VLEK) signed by the ARK, CN "<prefix>SEV-<product>" /
 *        "<prefix>SEV-VLEK-<product>"
 *   VCEK (or VLEK) EC P-384 key, signed by the ASK/ASVK, serial 0 like real ones, CN
 *        "SEV-VCEK" / "SEV-VLEK", with the AMD extensions 1.3.6.1.4.1.3704.1.x
 *        (structVersion, productName, blSPL, teeSPL, snpSPL, spl_4..7 (Turin: no spl_4,
 *        fmcSPL), ucodeSPL, hwID (VCEK; 8 bytes on Turin, 64 otherwise), cspID (VLEK)).
 * and signs ATTESTATION_REPORTs (SEV-SNP Firmware ABI spec, 0x4A0 bytes; ECDSA P-384
 * SHA-384 over bytes 0x000..0x29F; R and S little-endian, 72 bytes each at 0x2A0/0x2E8).
 *
 * One thing can be broken at a time (snp_forge_opts.breakage) for negative tests.
 * The SPLs written into the leaf are decoded by this file's own code from
 * opts.reported_tcb (Milan/Genoa layout: byte0 bootloader, byte1 tee, byte6 snp, byte7
 * microcode; Turin: byte0 fmc, byte1 bootloader, byte2 tee, byte3 snp, byte7 microcode),
 * independently of the code under test.
 *
 * Typical use:
 *   snp_forge_opts o; snp_forge_opts_init(&o, TC_SNP_MILAN, 0);
 *   snp_forge *f = snp_forge_new(&o);            // NULL on failure (message on stderr)
 *   tc_snp_report r; snp_forge_report_init(f, 3, &r);
 *   memcpy(r.report_data, nonce, 64);
 *   uint8_t rep[TC_SNP_REPORT_SIZE]; snp_forge_sign_report(f, &r, rep);
 *   tc_collateral col = {0}; snp_forge_collateral(f, &col);   // or snp_forge_write_dir
 *   ... tc_snp_verify(rep, sizeof rep, &col, o.at, ...) with col.trust_roots = the ARK
 *   snp_forge_free(f);
 */
#ifndef TEECTL_TESTS_SNP_FORGE_H
#define TEECTL_TESTS_SNP_FORGE_H

#include <stddef.h>
#include <stdint.h>

#include "teectl/bytes.h"
#include "teectl/snp.h"
#include "teectl/verify.h"

/** What to break (one at a time). */
typedef enum {
  SNP_BREAK_NONE = 0,
  SNP_BREAK_ARK_NOT_SELF_SIGNED, /* ARK's signature made with another key */
  SNP_BREAK_ASK_WRONG_SIGNER,    /* ASK/ASVK signed by a key other than the ARK's */
  SNP_BREAK_LEAF_WRONG_SIGNER,   /* VCEK/VLEK signed by a key other than the ASK's */
  SNP_BREAK_LEAF_HWID,           /* hwID differs from chip_id (one byte changed) */
  SNP_BREAK_LEAF_BLSPL,          /* blSPL = reported bootloader + 1 */
  SNP_BREAK_LEAF_SNPSPL,         /* snpSPL = reported snp + 1 */
  SNP_BREAK_LEAF_UCODESPL,       /* ucodeSPL = reported microcode + 1 */
  SNP_BREAK_LEAF_TEESPL,         /* teeSPL = reported tee + 1 */
  SNP_BREAK_LEAF_FMCSPL,         /* fmcSPL = reported fmc + 1 (Turin only) */
  SNP_BREAK_LEAF_NO_HWID,        /* hwID extension left out (VCEK) */
  SNP_BREAK_LEAF_NO_SPL,         /* snpSPL extension left out */
  SNP_BREAK_LEAF_PRODUCT,        /* productName of another product line */
  SNP_BREAK_ASK_PRODUCT,         /* ASK/ASVK CN names another product line */
  SNP_BREAK_LEAF_RSA_KEY,        /* leaf key is RSA instead of EC P-384 */
  SNP_BREAK_REPORT_KEY,          /* reports are signed with a key other than the leaf's */
  SNP_BREAK_ASK_PKCS1,           /* ASK/ASVK signed by the ARK key with PKCS#1 v1.5 SHA-384 */
  SNP_BREAK_LEAF_SHA256,         /* VCEK/VLEK signed with RSASSA-PSS over SHA-256 */
  SNP_BREAK_LEAF_HWID_WRAPPED,   /* hwID wrapped in a DER OCTET STRING (not raw bytes) */
  SNP_BREAK_ASK_NOT_CA,          /* ASK/ASVK basicConstraints CA:FALSE (not a CA) */
  SNP_BREAK_ARK_PATHLEN0,        /* ARK basicConstraints pathlen:0 (no CA below it) */
} snp_forge_break;

/** Certificate index for the per-certificate validity windows. */
enum { SNP_FORGE_ARK = 0, SNP_FORGE_ASK = 1, SNP_FORGE_LEAF = 2 };

typedef struct snp_forge_opts {
  tc_snp_product product; /* Milan / Genoa / Turin */
  int vlek;               /* 0: ASK + VCEK; 1: ASVK + VLEK */
  int rsa_bits;           /* ARK/ASK(ASVK) RSA modulus size in bits (AMD: 4096; tests: 2048) */
  /* Validity (seconds since the epoch, UTC) per certificate [ARK, ASK, LEAF]. */
  int64_t not_before[3], not_after[3];
  int64_t at;               /* a time inside every window (set by opts_init; informative) */
  uint8_t chip_id[64];      /* the VCEK hwID (Turin: chip_id[0..7]; the rest must be 0) */
  uint64_t reported_tcb;    /* TCB_VERSION the leaf's SPLs are made from (raw LE u64) */
  const char *cn_prefix;    /* prefix for ARK/ASK CNs, e.g. "TEST-ONLY " (default "") */
  snp_forge_break breakage; /* one thing to break, or SNP_BREAK_NONE */
  const struct snp_forge *reuse_keys; /* reuse this forge's RSA keys (speed), or NULL */
} snp_forge_opts;

typedef struct snp_forge snp_forge;

/**
 * Defaults for product p: RSA-2048, windows 2020-01-01..2040-01-01 for all three
 * certificates, at = 2025-01-01T00:00:00Z, chip_id = bytes 0x11,0x12,... (Turin: 8 bytes
 * then zeros; VLEK: irrelevant), reported_tcb with distinct nonzero SPLs in the product's
 * layout (Milan/Genoa: bl 3, tee 1, snp 8, ucode 115; Turin: fmc 2, bl 1, tee 4, snp 3,
 * ucode 71), no prefix, nothing broken.
 */
void snp_forge_opts_init(snp_forge_opts *o, tc_snp_product p, int vlek);

/** Generate keys and certificates. NULL on failure (reason printed on stderr). */
snp_forge *snp_forge_new(const snp_forge_opts *o);
void snp_forge_free(snp_forge *f);

/** Fill *col with pointers to the forge's certificates (owned by the forge; do not
 *  tc_collateral_free): ark (PEM), ask (PEM), vcek or vlek (DER). The ARK is also set as
 *  the single trust root (col->trust_roots points to the ARK buffer). */
void snp_forge_collateral(const snp_forge *f, tc_collateral *col);

/** The certificates: PEM of ARK, ASK/ASVK; DER of the leaf. Owned by the forge. */
const tc_buf *snp_forge_ark_pem(const snp_forge *f);
const tc_buf *snp_forge_ask_pem(const snp_forge *f);
const tc_buf *snp_forge_leaf_der(const snp_forge *f);

/** Write the leaf (VCEK/VLEK) private key, PKCS#8 PEM, to path: for test helpers that sign
 *  reports outside this process (an evidence command). 0 on success, -1 on failure. */
int snp_forge_write_leaf_key(const snp_forge *f, const char *path);

/** Write dir/ark.pem, dir/ask.pem and dir/vcek.der (or dir/vlek.der), atomically each.
 *  The folder must exist. 0 on success, -1 on failure (message on stderr). */
int snp_forge_write_dir(const snp_forge *f, const char *dir);

/** What snp_forge_crl lists (bit mask). */
enum { SNP_FORGE_REVOKE_ASK = 1, SNP_FORGE_REVOKE_SERIAL0 = 2 };

/**
 * A CRL issued by the ARK (signed with the ARK key, RSASSA-PSS SHA-384), thisUpdate /
 * nextUpdate given (seconds), listing the ASK/ASVK's serial if revoke & SNP_FORGE_REVOKE_ASK
 * (1) and serial 0 (what every VCEK/VLEK carries) if revoke & SNP_FORGE_REVOKE_SERIAL0.
 * DER into *out (caller tc_buf_free). 0 on success.
 */
int snp_forge_crl(const snp_forge *f, int revoke, int64_t this_update, int64_t next_update,
                  tc_buf *out);

/**
 * A valid report of the given version (2, 3 or 5) for this hierarchy: policy 0x30000,
 * signature_algo 1, all TCB fields = opts.reported_tcb, chip_id = opts.chip_id (zero for
 * VLEK), signing_key per leaf kind, CPUID fields of the product (v3+: Milan 19h/01h/01h,
 * Genoa 19h/11h/01h, Turin 1Ah/02h/01h), firmware 1.55 build 40, other fields zero.
 */
void snp_forge_report_init(const snp_forge *f, uint32_t version, tc_snp_report *r);

/**
 * Encode *r into out (0x4A0 bytes, little-endian fields at the spec's offsets, reserved
 * bytes zero; r->author_key_en, mask_chip_key and signing_key make up the flags word at
 * 0x48, r->flags is ignored) and sign it with the leaf key (or another key with
 * SNP_BREAK_REPORT_KEY). 0 on success.
 */
int snp_forge_sign_report(const snp_forge *f, const tc_snp_report *r,
                          uint8_t out[TC_SNP_REPORT_SIZE]);

/** Re-sign bytes 0x000..0x29F of a report in place (after a test changed them), writing R
 *  and S at 0x2A0 / 0x2E8 (the unsigned area is otherwise left as it is). 0 on success. */
int snp_forge_resign(const snp_forge *f, uint8_t report[TC_SNP_REPORT_SIZE]);

/** Re-sign bytes 0x000..0x29F of a report in place, as snp_forge_resign, with the EC P-384
 *  private key in the PEM file key_path (one snp_forge_write_leaf_key wrote). 0 on success,
 *  -1 on failure (message on stderr). */
int snp_forge_resign_with_key_file(const char *key_path, uint8_t report[TC_SNP_REPORT_SIZE]);

/** The leaf's (VCEK/VLEK) private key as PKCS#8 PEM into *out (caller tc_buf_free), for
 *  tests whose own code signs reports (an independent client). 0 on success. */
int snp_forge_leaf_key_pem(const snp_forge *f, tc_buf *out);

#endif
