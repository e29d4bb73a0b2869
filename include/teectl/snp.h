/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — AMD SEV-SNP attestation reports: parsing (evidence) and verification.
 *
 * Sources:
 *  - AMD "SEV Secure Nested Paging Firmware ABI Specification" (pub. 56860), Table
 *    "ATTESTATION_REPORT Structure", "TCB_VERSION Structure", "Guest Policy Structure",
 *    and the PLATFORM_INFO field of the report.
 *  - AMD "Versioned Chip Endorsement Key (VCEK) Certificate and KDS Interface
 *    Specification" (pub. 57230): ARK -> ASK -> VCEK and ARK -> ASVK -> VLEK, the VCEK /
 *    VLEK X.509 extensions under 1.3.6.1.4.1.3704.1 (structVersion .1, productName .2,
 *    blSPL .3.1, teeSPL .3.2, snpSPL .3.3, spl_4..spl_7 .3.4-.3.7, ucodeSPL .3.8,
 *    fmcSPL .3.9 (Turin), hwID .4, cspID .5 (VLEK)).
 *
 * Report versions (all 0x4A0 = 1184 bytes, signed over bytes 0x000..0x29F):
 *  - 2: the base layout (the first SNP firmware releases). Bytes 0x188..0x19F reserved, so the CPU
 *       generation is not in the report: it comes from the certificate chain.
 *  - 3: adds CPUID_FAM_ID (0x188), CPUID_MOD_ID (0x189), CPUID_STEP (0x18A): the product
 *       line (Milan / Genoa / Turin) is known from the report itself.
 *  - 5: adds LAUNCH_MIT_VECTOR (0x1F8) and CURRENT_MIT_VECTOR (0x200), the mitigation
 *       vectors (ABI spec rev 1.58). Any other version (1, 4, future ones) is rejected.
 * The TCB_VERSION layout follows the CPU generation, not the report version:
 *  - Milan / Genoa: byte 0 BOOT_LOADER, 1 TEE, 2..5 reserved, 6 SNP, 7 MICROCODE.
 *  - Turin:         byte 0 FMC, 1 BOOT_LOADER, 2 TEE, 3 SNP, 4..6 reserved, 7 MICROCODE.
 * (TCB values are little-endian u64 in the report; byte n is bits 8n+7..8n.)
 *
 * Nothing here does I/O or reads the clock; the verification time is an argument.
 */
#ifndef TEECTL_SNP_H
#define TEECTL_SNP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "teectl/error.h"
#include "teectl/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Size of every ATTESTATION_REPORT version we accept (bytes). */
#define TC_SNP_REPORT_SIZE 0x4A0
/** Bytes covered by the report signature: 0x000..0x29F. */
#define TC_SNP_SIGNED_SIZE 0x2A0
/** Offset of the SIGNATURE field (ECDSA P-384: R at +0x00, S at +0x48, 72 bytes LE each). */
#define TC_SNP_SIGNATURE_OFFSET 0x2A0

/** AMD EPYC product line (CPU generation); selects the ARK pin and the TCB layout. */
typedef enum {
  TC_SNP_PRODUCT_UNKNOWN = 0,
  TC_SNP_MILAN, /* family 19h, models 00h-0Fh */
  TC_SNP_GENOA, /* family 19h, models 10h-1Fh and A0h-AFh (Bergamo/Siena share the Genoa ARK) */
  TC_SNP_TURIN, /* family 1Ah, models 00h-1Fh */
} tc_snp_product;

/** "Milan" / "Genoa" / "Turin" / "unknown". */
const char *tc_snp_product_name(tc_snp_product p);

/** Product line from CPUID family/model (report fields CPUID_FAM_ID, CPUID_MOD_ID).
 *  TC_SNP_PRODUCT_UNKNOWN for anything else. */
tc_snp_product tc_snp_product_from_cpuid(uint8_t family, uint8_t model);

/** Product line from a name as found in the VCEK productName extension ("Milan-B0",
 *  "Genoa", "Turin"...: the part before '-') or in a CN ("ARK-Milan", "SEV-Genoa",
 *  "SEV-VLEK-Turin": the part after the last '-'). TC_SNP_PRODUCT_UNKNOWN otherwise. */
tc_snp_product tc_snp_product_from_name(const char *name);

/** Product line from exactly its name, case-insensitive ("Milan", "genoa", "TURIN"): for
 *  names a user gives (`--product`). TC_SNP_PRODUCT_UNKNOWN for anything else. The
 *  canonical spelling, as in AMD KDS URLs, is tc_snp_product_name's. */
tc_snp_product tc_snp_product_parse(const char *name);

/** TCB_VERSION layouts (SEV-SNP ABI spec, "TCB_VERSION Structure"). */
typedef enum {
  TC_SNP_TCB_MILAN_GENOA = 0, /* byte0 bootloader, byte1 tee, byte6 snp, byte7 microcode */
  TC_SNP_TCB_TURIN = 1,       /* byte0 fmc, byte1 bootloader, byte2 tee, byte3 snp, byte7 ucode */
} tc_snp_tcb_layout;

/** Layout of a product line (Turin -> TURIN; Milan, Genoa -> MILAN_GENOA). */
tc_snp_tcb_layout tc_snp_tcb_layout_of(tc_snp_product p);

/** A decoded TCB_VERSION (SPL = security patch level, 0..255 each). fmc is 0 on
 *  Milan/Genoa (no such component). */
typedef struct tc_snp_tcb {
  uint64_t raw; /* the little-endian u64 as read from the report */
  uint8_t fmc, bootloader, tee, snp, microcode;
  uint8_t reserved_nonzero; /* 1 if a byte the layout reserves is not zero */
} tc_snp_tcb;

/** Decode raw (report u64) with the given layout into *out. */
void tc_snp_tcb_decode(uint64_t raw, tc_snp_tcb_layout layout, tc_snp_tcb *out);

/**
 * The TCB_VERSION layout of a report in the Confidential Containers wire form (the serde form
 * of virtee/sev's AttestationReport, whose TCB objects carry "fmc" on Turin only), decided from
 * the report alone exactly as that crate decides it (its Generation), so the attester's encoder
 * and the broker's decoder cannot disagree:
 *  - version 2 (no CPUID fields; ABI spec "ATTESTATION_REPORT Structure"): from CHIP_ID
 *    (0x1A0, 64 bytes): bytes 8..63 zero is Turin's 8-byte chip id, otherwise Milan/Genoa.
 *    A CHIP_ID of all zeros (MASK_CHIP_ID set in SNP_CONFIG) leaves no field that names the
 *    CPU: refused, as virtee/sev refuses it (its MaskedChipId error, so a real
 *    attestation-agent never sends such a report; Trustee takes version 3 and later only).
 *  - version 3, 4 and 5: from CPUID_FAM_ID / CPUID_MOD_ID (0x188, 0x189), whatever CHIP_ID
 *    holds; a family/model of no known product line is refused.
 * Any other version: refused. chip_id: the report's 64 bytes at 0x1A0.
 * Errors (TC_ERR_PARSE): "chip_id_masked" (version 2, CHIP_ID all zeros),
 * "unsupported_product" (version 3+, unknown CPUID family/model),
 * "unsupported_report_version".
 */
tc_status tc_snp_wire_tcb_layout(uint32_t version, uint8_t cpuid_fam_id, uint8_t cpuid_mod_id,
                                 const uint8_t chip_id[64], tc_snp_tcb_layout *out, tc_error *err);

/* Guest policy bits (ABI spec, "Guest Policy Structure"). */
#define TC_SNP_POLICY_SMT (1ull << 16)
#define TC_SNP_POLICY_RESERVED_ONE (1ull << 17) /* must be 1 */
#define TC_SNP_POLICY_MIGRATE_MA (1ull << 18)
#define TC_SNP_POLICY_DEBUG (1ull << 19)
#define TC_SNP_POLICY_SINGLE_SOCKET (1ull << 20)
#define TC_SNP_POLICY_CXL_ALLOW (1ull << 21)
#define TC_SNP_POLICY_MEM_AES_256_XTS (1ull << 22)
#define TC_SNP_POLICY_RAPL_DIS (1ull << 23)
#define TC_SNP_POLICY_CIPHERTEXT_HIDING (1ull << 24)
#define TC_SNP_POLICY_PAGE_SWAP_DISABLE (1ull << 25)
/** Bits 63:26 are reserved and must be zero. */
#define TC_SNP_POLICY_RESERVED_MASK (~((1ull << 26) - 1))

/* SIGNING_KEY values (report offset 0x48, bits 4:2). */
#define TC_SNP_SIGNING_KEY_VCEK 0
#define TC_SNP_SIGNING_KEY_VLEK 1
#define TC_SNP_SIGNING_KEY_NONE 7

/**
 * Every field of the ATTESTATION_REPORT (offsets in hex; integers little-endian in the
 * report, host order here; byte arrays copied as they are).
 */
typedef struct tc_snp_report {
  uint32_t version;              /* 0x000 VERSION: 2, 3 or 5 */
  uint32_t guest_svn;            /* 0x004 GUEST_SVN */
  uint64_t policy;               /* 0x008 POLICY (guest policy) */
  uint8_t family_id[16];         /* 0x010 FAMILY_ID */
  uint8_t image_id[16];          /* 0x020 IMAGE_ID */
  uint32_t vmpl;                 /* 0x030 VMPL (0..3) */
  uint32_t signature_algo;       /* 0x034 SIGNATURE_ALGO: 1 = ECDSA P-384 with SHA-384 */
  uint64_t current_tcb;          /* 0x038 CURRENT_TCB (TCB_VERSION) */
  uint64_t platform_info;        /* 0x040 PLATFORM_INFO */
  uint32_t flags;                /* 0x048 bit0 AUTHOR_KEY_EN, bit1 MASK_CHIP_KEY,
                                    bits 4:2 SIGNING_KEY, bits 31:5 reserved;
                                    0x04C..0x04F reserved */
  uint8_t author_key_en;         /*   (flags bit 0) */
  uint8_t mask_chip_key;         /*   (flags bit 1) */
  uint8_t signing_key;           /*   (flags bits 4:2) */
  uint8_t report_data[64];       /* 0x050 REPORT_DATA (guest-chosen) */
  uint8_t measurement[48];       /* 0x090 MEASUREMENT (launch digest, SHA-384) */
  uint8_t host_data[32];         /* 0x0C0 HOST_DATA */
  uint8_t id_key_digest[48];     /* 0x0E0 ID_KEY_DIGEST */
  uint8_t author_key_digest[48]; /* 0x110 AUTHOR_KEY_DIGEST */
  uint8_t report_id[32];         /* 0x140 REPORT_ID */
  uint8_t report_id_ma[32];      /* 0x160 REPORT_ID_MA */
  uint64_t reported_tcb;         /* 0x180 REPORTED_TCB (what the VCEK is derived from) */
  uint8_t cpuid_fam_id;          /* 0x188 CPUID_FAM_ID (v3+; 0 in v2) */
  uint8_t cpuid_mod_id;          /* 0x189 CPUID_MOD_ID (v3+) */
  uint8_t cpuid_step;            /* 0x18A CPUID_STEP (v3+); 0x18B..0x19F reserved */
  uint8_t chip_id[64];           /* 0x1A0 CHIP_ID (zero if MASK_CHIP_KEY or for VLEK use) */
  uint64_t committed_tcb;        /* 0x1E0 COMMITTED_TCB */
  uint8_t current_build;         /* 0x1E8 CURRENT_BUILD */
  uint8_t current_minor;         /* 0x1E9 CURRENT_MINOR */
  uint8_t current_major;         /* 0x1EA CURRENT_MAJOR; 0x1EB reserved */
  uint8_t committed_build;       /* 0x1EC COMMITTED_BUILD */
  uint8_t committed_minor;       /* 0x1ED COMMITTED_MINOR */
  uint8_t committed_major;       /* 0x1EE COMMITTED_MAJOR; 0x1EF reserved */
  uint64_t launch_tcb;           /* 0x1F0 LAUNCH_TCB */
  uint64_t launch_mit_vector;    /* 0x1F8 LAUNCH_MIT_VECTOR (v5; reserved before) */
  uint64_t current_mit_vector;   /* 0x200 CURRENT_MIT_VECTOR (v5); 0x208..0x29F reserved */
  uint8_t signature_r[48];       /* 0x2A0 R: 72 bytes little-endian in the report, of which
                                    bytes 48..71 must be zero; stored here BIG-endian */
  uint8_t signature_s[48];       /* 0x2E8 S: likewise; 0x330..0x49F reserved */
  /* Derived: product line from the CPUID fields (v3+), UNKNOWN for v2. */
  tc_snp_product product_from_report;
} tc_snp_report;

/**
 * Parse an ATTESTATION_REPORT of len bytes (must be exactly 0x4A0) into *out. Checks
 * the format only (no cryptography): version, length, signature algorithm, every
 * must-be-zero range the spec names (0x04C..0x04F, flags bits 31:5, policy bits 63:26,
 * the reserved bytes of 0x188..0x19F (all of them for v2), 0x1EB, 0x1EF, 0x1F8..0x29F
 * (0x208..0x29F for v5), the upper 24 bytes of R and S, 0x330..0x49F), policy bit 17
 * (must be one), VMPL <= 3, SIGNING_KEY in {0 VCEK, 1 VLEK, 7 none}, and for v3+ a
 * known product line from CPUID.
 * Errors (TC_ERR_PARSE unless noted), reason codes:
 *   report_truncated (len < 0x4A0), report_length_invalid (len > 0x4A0),
 *   unsupported_report_version (VERSION not 2..5; 4 has the layout of 3: CPUID fields at
 *     0x188..0x18A, 0x1F8..0x29F reserved),
 *   unsupported_signature_algo (SIGNATURE_ALGO != 1),
 *   reserved_nonzero (detail names the field and offset), policy_reserved_one_clear (bit 17),
 *   vmpl_invalid, signing_key_invalid (SIGNING_KEY 2..6),
 *   unsupported_product (v3+ CPUID family/model of no known product line).
 */
tc_status tc_snp_parse(const uint8_t *report, size_t len, tc_snp_report *out, tc_error *err);

/**
 * The claims of a parsed report as a new JSON object, with the field names and encodings
 * of the shared vectors' expected.json "fields": integers as JSON numbers (version,
 * guest_svn, vmpl, signature_algo, author_key_en, mask_chip_key, signing_key, *_build,
 * *_minor, *_major), u64 as "0x%016x" (policy, platform_info, *_mit_vector (v5 only)),
 * flags "0x%08x", byte arrays as lower-case hex without prefix, cpuid_* as "0x%02x" (v3+
 * only), product_from_report ("Milan"... or null for v2), signing_key_name ("VCEK",
 * "VLEK", "none"), TCB objects {"hex":"0x%016x", components..., "layout":
 * "milan_genoa"|"turin"} decoded with the layout of `product` (the product line the
 * caller established: from the report for v3+, from the chain for v2; UNKNOWN -> the
 * Milan/Genoa layout is used and the "layout" says so), policy_decoded and
 * platform_info_decoded objects of booleans / ABI numbers, and chip_id_masked (boolean:
 * CHIP_ID is all zeros).
 * Returns NULL only on allocation failure.
 */
json_t *tc_snp_claims(const tc_snp_report *r, tc_snp_product product);

/** Guest-policy facts for the appraisal policy: {"debug","migrate_ma","smt",
 *  "single_socket", ... booleans, "abi_major","abi_minor" numbers}. NULL on ENOMEM. */
json_t *tc_snp_policy_flags(uint64_t policy);

/**
 * Verify an SEV-SNP report against AMD endorsements at time `at` (seconds since the
 * Unix epoch, UTC), fail closed. Steps, each with its own reason code:
 *   format (tc_snp_parse codes above);
 *   collateral_missing (no ARK, ASK/ASVK or leaf matching the report's SIGNING_KEY;
 *     col->extra_certs are sorted by role first: ARK (self-issued "ARK-*"), ASK
 *     ("SEV-<product>"), ASVK ("SEV-VLEK-<product>"), VCEK ("SEV-VCEK"), VLEK ("SEV-VLEK"));
 *   cert_unparsable / crl_unparsable (TC_ERR_PARSE);
 *   ark_not_trusted (ARK not self-signed, or its SubjectPublicKeyInfo SHA-256 is neither
 *     the pinned AMD ARK of its product line nor that of a col->trust_roots certificate);
 *   cert_chain_invalid (ASK/ASVK not signed by the ARK, leaf not signed by the ASK/ASVK,
 *     a certificate not signed with RSASSA-PSS over SHA-384, ASVK given for a VCEK or ASK
 *     for a VLEK, leaf not an EC P-384 key);
 *   cert_expired_at_verify_at (any of the three outside notBefore..notAfter at `at`);
 *   crl_invalid / crl_expired / cert_revoked (when col->amd_crl is given: signed by the
 *     ARK, thisUpdate <= at <= nextUpdate, ASK/ASVK not listed);
 *   product_mismatch (ARK, ASK/ASVK, leaf productName and, v3+, the report's CPUID
 *     product line do not all name the same product line);
 *   signing_key_mismatch (SIGNING_KEY says VCEK and the leaf is a VLEK or vice versa;
 *     SIGNING_KEY 7 (no key) is rejected with report_unsigned);
 *   vcek_extension_invalid (a VCEK/VLEK extension missing or malformed);
 *   chip_id_masked (VCEK-signed and CHIP_ID all zeros: MASK_CHIP_ID or host masking; the
 *     report cannot be bound to the VCEK, so it is refused; claims.chip_id_masked);
 *   vcek_chip_mismatch (VCEK hwID != CHIP_ID; Turin: hwID is 8 bytes == CHIP_ID[0..7]
 *     and CHIP_ID[8..63] zero);
 *   reported_tcb_above_current (an SPL of REPORTED_TCB above the same SPL of CURRENT_TCB,
 *     compared per component of the product line's layout, FMC included on Turin);
 *   committed_tcb_above_current (an SPL of COMMITTED_TCB above the same SPL of CURRENT_TCB,
 *     compared the same way: the firmware never runs below the TCB it committed);
 *   reserved_nonzero (TC_ERR_PARSE: a reserved byte of CURRENT/REPORTED/COMMITTED/
 *     LAUNCH_TCB in the TCB_VERSION layout of the product line);
 *   tcb_mismatch (an SPL of the leaf != the REPORTED_TCB component: Milan/Genoa blSPL,
 *     teeSPL, spl_4..7 (if present), snpSPL, ucodeSPL = bytes 0..7; Turin fmcSPL, blSPL,
 *     teeSPL, snpSPL, spl_5..7 (if present), ucodeSPL = bytes 0..7);
 *   report_signature_invalid (ECDSA P-384 SHA-384 over bytes 0x000..0x29F with the
 *     leaf key does not verify).
 * The format comes first, then the chain, then the report's binding to the leaf (cheap
 * checks before the signature); the reason names the first check that failed. Guest-policy facts
 * (DEBUG...) are not judged here: they are reported in "policy_flags" for the appraisal policy.
 * Returns TC_OK only when every step passes; TC_ERR_PARSE / TC_ERR_VERIFY with err
 * filled otherwise (TC_ERR_NOMEM / TC_ERR_INTERNAL for failures of ours). *result
 * (may be NULL to skip) gets the result object documented in teectl/verify.h in every
 * case where it could be built: {"verdict","reason","detail","tee":"snp","verified_at",
 * "product","signing_key","policy_flags","claims"} (claims only if the report parsed).
 * The caller json_decrefs it.
 */
tc_status tc_snp_verify(const uint8_t *report, size_t len, const tc_collateral *col, int64_t at,
                        json_t **result, tc_error *err);

/** A verified AMD endorsement chain (ARK -> ASK/ASVK -> VCEK/VLEK), reusable for many
 *  reports signed by the same leaf (e.g. an attestation service, or tests). Opaque. */
typedef struct tc_snp_chain tc_snp_chain;

/**
 * The report-independent half of tc_snp_verify: pick the certificates from col for a
 * leaf of kind signing_key (TC_SNP_SIGNING_KEY_VCEK or _VLEK), check ARK trust, the
 * chain, validity at `at`, the CRL, and that ARK, ASK/ASVK and leaf name one product
 * line. Same reason codes as tc_snp_verify (collateral_missing, signing_key_mismatch,
 * cert_unparsable, ark_not_trusted, cert_chain_invalid, cert_expired_at_verify_at,
 * crl_unparsable, crl_invalid, crl_expired, cert_revoked, vcek_extension_invalid,
 * product_mismatch); TC_ERR_USAGE signing_key_invalid for another signing_key.
 * *out (free with tc_snp_chain_free) is set only on TC_OK.
 */
tc_status tc_snp_chain_verify(const tc_collateral *col, uint8_t signing_key, int64_t at,
                              tc_snp_chain **out, tc_error *err);
void tc_snp_chain_free(tc_snp_chain *chain);
/** Product line of a verified chain. */
tc_snp_product tc_snp_chain_product(const tc_snp_chain *chain);

/**
 * The report-dependent half: tc_snp_verify of report against a chain that
 * tc_snp_chain_verify accepted (at the chain's time). Same result object and reason codes
 * (format codes, report_unsigned, signing_key_mismatch when the report names the other
 * leaf kind, product_mismatch (CPUID), reserved_nonzero (TCB), reported_tcb_above_current,
 * committed_tcb_above_current, vcek_extension_invalid,
 * vcek_chip_mismatch, tcb_mismatch, report_signature_invalid). tc_snp_verify is exactly
 * tc_snp_chain_verify followed by this.
 */
tc_status tc_snp_verify_with_chain(const uint8_t *report, size_t len, const tc_snp_chain *chain,
                                   json_t **result, tc_error *err);

/**
 * A bounded cache of verified chains, for a long-lived verifier (an attestation service,
 * a verifier context): the chains tc_snp_verify_cached accepted, keyed by the SHA-256 of
 * the exact collateral bytes that chose them (ARK, ASK/ASVK, VCEK/VLEK slots, the extra
 * certificates in order, the ARK's CRL) and the leaf kind, with the leaf's extensions read
 * and its public key ready. Thread-safe: one cache serves every worker. At most
 * max_entries chains (0: none kept), least recently used dropped first. Opaque.
 */
typedef struct tc_snp_chain_cache tc_snp_chain_cache;

/** A new chain cache. Errors: TC_ERR_USAGE "bad_argument" (max_entries above 1048576),
 *  TC_ERR_NOMEM "out_of_memory". */
tc_status tc_snp_chain_cache_new(size_t max_entries, tc_snp_chain_cache **out, tc_error *err);
/** Free the cache (NULL-safe); verifications using it must have returned. */
void tc_snp_chain_cache_free(tc_snp_chain_cache *cache);
/** Lookups that found a chain / did not, and the chains kept now (all 0 for NULL). */
void tc_snp_chain_cache_counts(tc_snp_chain_cache *cache, uint64_t *hits, uint64_t *misses,
                               size_t *entries);

/**
 * tc_snp_verify with a chain cache (NULL: exactly tc_snp_verify). Same result object and
 * reason codes, for every input, warm or cold: a chain is cached only after it passed
 * every check at some time; a cached chain is used only for the same bytes and leaf kind,
 * and the checks that depend on the time or the caller's trust roots are made again for
 * each report, in the same order as the full verification (ARK trust: AMD pin or
 * col->trust_roots; notBefore..notAfter of ARK, ASK/ASVK and leaf at `at`; the CRL's
 * thisUpdate..nextUpdate at `at`), followed by every report-dependent check and the
 * report signature. A changed certificate or CRL is another key: verified in full.
 */
tc_status tc_snp_verify_cached(const uint8_t *report, size_t len, const tc_collateral *col,
                               int64_t at, tc_snp_chain_cache *cache, json_t **result,
                               tc_error *err);

/** The pinned SHA-256 of the SubjectPublicKeyInfo of AMD's ARK for product p (32 bytes),
 *  or NULL for an unknown product. */
const uint8_t *tc_snp_ark_pin(tc_snp_product p);

#ifdef __cplusplus
}
#endif
#endif
