/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — Intel DCAP evidence: SGX ECDSA quote v3, TDX quote v4 / v5.
 *
 * Sources (field names follow them):
 *  - Intel SGX ECDSA Quote Library API (quote v3: header, ISV enclave report,
 *    "ECDSA 256-bit Quote Signature Data Structure", certification data types 1..5).
 *  - Intel TDX DCAP Quoting Library API (quote v4: TD report body "TD Quote Body";
 *    v5: body descriptor (type 2 = TD 1.0 body, 3 = TD 1.5 body) and certification
 *    data type 6 "QE Report Certification Data" holding QE report, its signature,
 *    QE authentication data and an inner type-5 PCK certificate chain).
 *  - Intel SGX PCK Certificate and CRL Profile (SGX extensions, OID 1.2.840.113741.1.13.1).
 *  - Intel PCS API v4: TCB Info v3 (id SGX|TDX), Enclave Identity v2 (id QE|TD_QE).
 *  - Intel QVL semantics for TCB level matching and status convergence.
 *
 * All multi-byte integers in quotes are little-endian; hash / measurement fields are
 * raw byte arrays, printed as lower-case hex in JSON. Nothing here does I/O or reads
 * the clock: verification time `at` is seconds since the Unix epoch (UTC).
 */
#ifndef TEECTL_DCAP_H
#define TEECTL_DCAP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "teectl/error.h"
#include "teectl/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fixed sizes (bytes). */
#define TC_DCAP_HEADER_LEN 48
#define TC_DCAP_SGX_BODY_LEN 384  /* SGX report body (sgx_report_body_t) */
#define TC_DCAP_TD10_BODY_LEN 584 /* TD report body, TDX 1.0 */
#define TC_DCAP_TD15_BODY_LEN 648 /* TD report body, TDX 1.5 (+tee_tcb_svn2, mr_service_td) */
#define TC_DCAP_ECDSA_SIG_LEN 64  /* r || s, 32 bytes each, big-endian */
#define TC_DCAP_ECDSA_KEY_LEN 64  /* x || y, 32 bytes each, big-endian (P-256) */

#define TC_DCAP_TEE_SGX 0x00000000u
#define TC_DCAP_TEE_TDX 0x00000081u
#define TC_DCAP_ATT_KEY_ECDSA_P256 2

/** Body kind; the values equal the v5 body descriptor type field. */
typedef enum {
  TC_DCAP_BODY_SGX = 1,  /* SGX enclave report, 384 bytes */
  TC_DCAP_BODY_TD10 = 2, /* TD report 1.0, 584 bytes */
  TC_DCAP_BODY_TD15 = 3, /* TD report 1.5, 648 bytes */
} tc_dcap_body_kind;

/** Quote header, 48 bytes at offset 0. v3: bytes 4..7 reserved (tee_type reads 0),
 *  bytes 8..11 QE SVN / PCE SVN; v4/v5: tee_type, then 4 reserved bytes (read as svns). */
typedef struct tc_dcap_header {
  uint16_t version;         /* offset 0: 3, 4 or 5 */
  uint16_t att_key_type;    /* offset 2: 2 = ECDSA-256-with-P-256 */
  uint32_t tee_type;        /* offset 4: 0x00 SGX, 0x81 TDX */
  uint16_t qe_svn;          /* offset 8 */
  uint16_t pce_svn;         /* offset 10 */
  uint8_t qe_vendor_id[16]; /* offset 12 */
  uint8_t user_data[20];    /* offset 28 */
} tc_dcap_header;

/** SGX report body (384 bytes): the ISV enclave report of a v3 quote and every QE report. */
typedef struct tc_sgx_report_body {
  uint8_t cpu_svn[16];         /* 0 */
  uint8_t misc_select[4];      /* 16, raw little-endian bytes */
  uint8_t isv_ext_prod_id[16]; /* 32 */
  uint8_t attributes[16];      /* 48: flags (u64 LE) || xfrm (u64 LE) */
  uint8_t mr_enclave[32];      /* 64 */
  uint8_t mr_signer[32];       /* 128 */
  uint8_t config_id[64];       /* 192 */
  uint16_t isv_prod_id;        /* 256 */
  uint16_t isv_svn;            /* 258 */
  uint16_t config_svn;         /* 260 */
  uint8_t isv_family_id[16];   /* 304 */
  uint8_t report_data[64];     /* 320 */
} tc_sgx_report_body;

/** TD report body 1.0 (584 bytes) / 1.5 (648 bytes; the last two fields). */
typedef struct tc_td_report_body {
  uint8_t tee_tcb_svn[16];     /* 0 */
  uint8_t mr_seam[48];         /* 16 */
  uint8_t mr_signer_seam[48];  /* 64 */
  uint8_t seam_attributes[8];  /* 112 */
  uint8_t td_attributes[8];    /* 120, u64 LE */
  uint8_t xfam[8];             /* 128 */
  uint8_t mr_td[48];           /* 136 */
  uint8_t mr_config_id[48];    /* 184 */
  uint8_t mr_owner[48];        /* 232 */
  uint8_t mr_owner_config[48]; /* 280 */
  uint8_t rtmr[4][48];         /* 328, 376, 424, 472 */
  uint8_t report_data[64];     /* 520 */
  uint8_t tee_tcb_svn2[16];    /* 584 (TD 1.5 only) */
  uint8_t mr_service_td[48];   /* 600 (TD 1.5 only) */
  int is_td15;                 /* 1 when the body is TD 1.5 (tee_tcb_svn2 present) */
} tc_td_report_body;

/**
 * A parsed quote. Pointer members point into the caller's quote buffer and are valid
 * only while it lives.
 */
typedef struct tc_dcap_quote {
  tc_dcap_header header;
  tc_dcap_body_kind body_kind;
  uint16_t v5_body_type;      /* v5 only: body descriptor type (2 or 3; 1 = SGX) */
  uint32_t v5_body_size;      /* v5 only: body descriptor size in bytes */
  tc_sgx_report_body sgx;     /* body_kind == SGX */
  tc_td_report_body td;       /* body_kind == TD10 / TD15 */
  const uint8_t *signed_data; /* header (+ v5 descriptor) + body: what the attestation key signed */
  size_t signed_len;          /* 432 (v3), 632 (v4), 54 + body (v5) */
  uint32_t sig_data_len;      /* the u32 length field after the body */
  size_t trailing_zero_len;   /* zero padding after the signature data */
  uint8_t quote_signature[TC_DCAP_ECDSA_SIG_LEN]; /* over signed_data, by attestation key */
  uint8_t attestation_key[TC_DCAP_ECDSA_KEY_LEN];
  const uint8_t *qe_report_raw; /* 384 bytes: what the PCK key signed */
  tc_sgx_report_body qe_report;
  uint8_t qe_report_signature[TC_DCAP_ECDSA_SIG_LEN];
  const uint8_t *qe_auth_data;
  uint16_t qe_auth_data_len;
  int outer_cert_data_type; /* v4/v5: 6; v3: 0 (none) */
  uint16_t cert_data_type;  /* certification data type holding the PCK data: 1..5 */
  const uint8_t *cert_data; /* type 5: PEM chain leaf, intermediate, root (NULs allowed) */
  uint32_t cert_data_len;
} tc_dcap_quote;

/**
 * Parse a quote (no cryptography). Accepts version 3 (SGX, tee_type 0), 4 (TDX,
 * tee_type 0x81) and 5 (body type 1 SGX / 2 TD 1.0 / 3 TD 1.5), attestation key type
 * 2 only; zero bytes after the signature data are tolerated, anything else is not.
 * Errors (TC_ERR_PARSE; detail names offset and field):
 *   "quote_truncated"              a field or length runs past the end of the bytes
 *   "quote_version_unsupported"    version not 3/4/5
 *   "att_key_type_unsupported"     attestation key type != 2 (ECDSA P-256)
 *   "tee_type_unsupported"         tee_type not valid for the version / body
 *   "body_type_unsupported"        v5 body type not 1/2/3
 *   "body_size_mismatch"           v5 body size differs from the type's size
 *   "cert_data_type_unsupported"   v4/v5 outer type != 6, inner/v3 type not 1..5
 *   "sig_data_malformed"           inner lengths do not add up to sig_data_len
 *   "quote_trailing_bytes"         non-zero bytes after the signature data
 * and TC_ERR_USAGE "bad_argument" when quote is NULL.
 */
tc_status tc_dcap_parse(const uint8_t *quote, size_t len, tc_dcap_quote *out, tc_error *err);

/** "sgx" | "td10" | "td15". */
const char *tc_dcap_body_name(tc_dcap_body_kind kind);

/**
 * Claims of a parsed quote as a new JSON object, with the field names and encodings of
 * the vectors' expected.json `parsed` object: integers for versions, SVNs, product ids
 * and lengths; "0x%08x" for tee_type; lower-case hex for byte fields; TDX: tee_tcb_svn,
 * mr_seam, mr_signer_seam, seam_attributes, td_attributes, xfam, mr_td, mr_config_id,
 * mr_owner, mr_owner_config, rtmr0..3, report_data (+ tee_tcb_svn2, mr_service_td);
 * SGX: cpu_svn, misc_select, attributes, mr_enclave, mr_signer, isv_prod_id, isv_svn,
 * config_svn, isv_ext_prod_id, isv_family_id, config_id, report_data; and qe_report{},
 * qe_auth_data, attestation_key, signed_len, sig_data_len, trailing_bytes_after_sig_data,
 * certification_data_type, outer_certification_data_type (null for v3). NULL on OOM.
 */
json_t *tc_dcap_claims(const tc_dcap_quote *q);

/**
 * Attribute flags for a policy layer (reported, not judged), new JSON object; NULL on OOM.
 * Sources: Intel TDX Module ABI spec (TD_ATTRIBUTES), Intel SDM Vol. 3D (SECS.ATTRIBUTES).
 * TDX (TD_ATTRIBUTES, u64 LE): debug = bit 0 (TUD.DEBUG), sept_ve_disable = bit 28,
 * pks = bit 30, kl = bit 31, perfmon = bit 63. SGX (ATTRIBUTES.FLAGS, u64 LE): debug =
 * bit 1, mode64bit = bit 2, provision_key = bit 4, einittoken_key = bit 5, kss = bit 7.
 */
json_t *tc_dcap_policy_flags(const tc_dcap_quote *q);

/* ---- PCK certificate (SGX PCK Certificate and CRL Profile) ---- */

typedef enum { TC_DCAP_CA_UNKNOWN = 0, TC_DCAP_CA_PROCESSOR, TC_DCAP_CA_PLATFORM } tc_dcap_ca_type;

/** Values of the SGX extensions (OID 1.2.840.113741.1.13.1) of a PCK leaf certificate. */
typedef struct tc_dcap_pck_info {
  uint8_t ppid[16];             /* .1 */
  uint8_t sgx_tcb_comp_svn[16]; /* .2.1 .. .2.16 (each INTEGER 0..255) */
  uint16_t pcesvn;              /* .2.17 */
  uint8_t cpusvn[16];           /* .2.18 */
  uint8_t pce_id[2];            /* .3 */
  uint8_t fmspc[6];             /* .4 */
  int sgx_type;                 /* .5 ENUMERATED: 0 Standard, 1 Scalable, 2 Scalable+Integrity */
  tc_dcap_ca_type ca;           /* from the issuer CN (PCK Processor CA / PCK Platform CA) */
  char issuer_ca[64];           /* issuer commonName */
} tc_dcap_pck_info;

/**
 * The SGX extensions (OID 1.2.840.113741.1.13.1) of a PCK leaf certificate from the raw
 * extnValue bytes (one DER SEQUENCE), walked with bounds checks. Errors: TC_ERR_VERIFY
 * "pck_extension_invalid" (malformed, missing one of PPID / TCB / PCE-ID / FMSPC / SGX
 * Type, wrong sizes, duplicated entries).
 */
tc_status tc_dcap_pck_info_from_der(const uint8_t *der, size_t len, tc_dcap_pck_info *out,
                                    tc_error *err);

/**
 * For collateral fetching: parse quote, take the PCK leaf from its certification data
 * (or from col->pck_chain when the quote has no chain; col may be NULL) and return its
 * FMSPC, PCE-ID and CA type (processor|platform), plus the TEE (TC_TEE_SGX/TDX).
 * No signature is checked. Errors: those of tc_dcap_parse, "pck_chain_missing",
 * "cert_unparsable", "pck_extension_invalid".
 */
tc_status tc_dcap_quote_pck_info(const uint8_t *quote, size_t len, const tc_collateral *col,
                                 tc_dcap_pck_info *out, tc_tee *tee, tc_error *err);

/** "processor" | "platform" | "unknown" (the Intel PCS API `ca` query parameter). */
const char *tc_dcap_ca_name(tc_dcap_ca_type ca);

/* ---- TCB Info v3 / QE Identity v2 (Intel PCS API v4) ---- */

typedef enum {
  TC_DCAP_TCB_UNKNOWN = 0,
  TC_DCAP_TCB_UP_TO_DATE,
  TC_DCAP_TCB_SW_HARDENING_NEEDED,
  TC_DCAP_TCB_CONFIGURATION_NEEDED,
  TC_DCAP_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
  TC_DCAP_TCB_OUT_OF_DATE,
  TC_DCAP_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
  TC_DCAP_TCB_REVOKED,
  TC_DCAP_TCB_NOT_SUPPORTED, /* no matching level (not a PCS status string) */
  /* TD 1.5 bodies only (QVL checkForRelaunch): the TD runs on an out-of-date module but
   * the platform already has the current one (tee_tcb_svn2), so relaunching it helps. */
  TC_DCAP_TCB_TD_RELAUNCH_ADVISED,
  TC_DCAP_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED,
} tc_dcap_tcb_status;

/** PCS / QVL spelling ("UpToDate", ..., "TDRelaunchAdvised",
 *  "TDRelaunchAdvisedConfigurationNeeded"; "TcbNotSupported" for NOT_SUPPORTED, "Unknown"). */
const char *tc_dcap_tcb_status_name(tc_dcap_tcb_status s);
/** Inverse of the above for the seven PCS strings; TC_DCAP_TCB_UNKNOWN otherwise. */
tc_dcap_tcb_status tc_dcap_tcb_status_from_name(const char *name);

/**
 * Where the signed inner object lies in a PCS JSON file: the exact byte span of the
 * value of top-level member `key` ("tcbInfo" or "enclaveIdentity"), and the hex
 * "signature" member decoded to 64 bytes (r||s). The span is found by scanning the
 * text (strings and nesting respected), never by re-serialising.
 * Errors: TC_ERR_PARSE "<what>_unparsable" with what = "tcb_info" / "qe_identity"
 * (e.g. "tcb_info_unparsable"): not JSON, key absent or twice, signature not 128 hex.
 */
tc_status tc_dcap_signed_json(const uint8_t *text, size_t len, const char *key, const char *what,
                              size_t *span_off, size_t *span_len, uint8_t sig[64], tc_error *err);

/** One TCB level of TCB Info (tcbLevels[i]). */
typedef struct tc_dcap_tcb_level {
  uint8_t sgx[16]; /* sgxtcbcomponents[i].svn */
  uint16_t pcesvn;
  int has_tdx;
  uint8_t tdx[16];  /* tdxtcbcomponents[i].svn (TDX TCB Info) */
  int64_t tcb_date; /* seconds since the epoch */
  tc_dcap_tcb_status status;
  json_t *advisory_ids; /* array of strings (owned; empty array when absent) */
} tc_dcap_tcb_level;

/** A level graded by one ISVSVN (QE Identity tcbLevels, TDX module identity tcbLevels). */
typedef struct tc_dcap_isv_level {
  uint16_t isvsvn;
  int64_t tcb_date; /* seconds since the epoch */
  tc_dcap_tcb_status status;
  json_t *advisory_ids; /* array of strings (owned; empty array when absent) */
} tc_dcap_isv_level;

/** A TDX module identity (tdxModuleIdentities[i]) or the tdxModule object (no levels). */
typedef struct tc_dcap_tdx_module {
  char id[16]; /* "TDX_01", ... ("" for tdxModule) */
  uint8_t mrsigner[48];
  uint8_t attributes[8];
  uint8_t attributes_mask[8];
  size_t n_levels;
  tc_dcap_isv_level *levels; /* sorted by descending isvsvn */
} tc_dcap_tdx_module;

/** Parsed TCB Info (id, version 3), levels sorted in Intel's order (see parse). */
typedef struct tc_dcap_tcb_info {
  int is_tdx; /* id "TDX" (else "SGX") */
  int version;
  int64_t issue_date, next_update;
  uint8_t fmspc[6];
  uint8_t pce_id[2];
  int tcb_evaluation_data_number;
  size_t n_levels;
  tc_dcap_tcb_level *levels;
  int has_tdx_module;
  tc_dcap_tdx_module tdx_module;
  size_t n_modules;
  tc_dcap_tdx_module *modules;
} tc_dcap_tcb_info;

/**
 * Parse the tcbInfo object (jansson value of the "tcbInfo" member). Requires version 3,
 * id SGX|TDX, tcbType 0, 16 components per list, known status strings; TDX needs
 * tdxModule. Levels are then sorted descending by (SGX components, pcesvn, TDX
 * components) compared lexicographically — Intel QVL's std::set<TcbLevel, greater>
 * order — and not trusted to arrive sorted; duplicates are rejected.
 * Errors: TC_ERR_PARSE "tcb_info_invalid" (detail names the field / level index),
 * "tcb_info_version_unsupported". Free with tc_dcap_tcb_info_free.
 */
tc_status tc_dcap_tcb_info_parse(const json_t *tcb_info, tc_dcap_tcb_info *out, tc_error *err);
void tc_dcap_tcb_info_free(tc_dcap_tcb_info *ti);

/** Parsed QE Identity (Enclave Identity v2, id QE or TD_QE). */
typedef struct tc_dcap_qe_identity {
  int is_td_qe; /* id "TD_QE" (else "QE") */
  int version;
  int64_t issue_date, next_update;
  uint8_t miscselect[4], miscselect_mask[4];
  uint8_t attributes[16], attributes_mask[16];
  uint8_t mrsigner[32];
  uint16_t isvprodid;
  int tcb_evaluation_data_number; /* tcbEvaluationDataNumber: Intel's TCB recovery counter */
  size_t n_levels;
  tc_dcap_isv_level *levels; /* sorted by descending isvsvn; status UpToDate|OutOfDate|Revoked */
} tc_dcap_qe_identity;

/**
 * Parse the enclaveIdentity object. Requires version 2, id QE|TD_QE, hex sizes as in
 * PCS API v4. Errors: TC_ERR_PARSE "qe_identity_invalid", "qe_identity_version_unsupported".
 */
tc_status tc_dcap_qe_identity_parse(const json_t *identity, tc_dcap_qe_identity *out,
                                    tc_error *err);
void tc_dcap_qe_identity_free(tc_dcap_qe_identity *qi);

/** Outcome of TCB evaluation. Advisory arrays are new references (caller decrefs). */
typedef struct tc_dcap_tcb_result {
  tc_dcap_tcb_status status;          /* converged */
  tc_dcap_tcb_status platform_status; /* TDX: level matching SGX+TDX; SGX: SGX level */
  tc_dcap_tcb_status sgx_level_status;
  tc_dcap_tcb_status qe_status;
  tc_dcap_tcb_status tdx_module_status; /* UNKNOWN for SGX */
  int64_t matched_tcb_date;
  json_t *advisory_ids;            /* platform level + QE level + module level, deduplicated */
  json_t *tdx_module_advisory_ids; /* NULL for SGX */
} tc_dcap_tcb_result;

void tc_dcap_tcb_result_free(tc_dcap_tcb_result *r);

/**
 * QE Identity check of a QE report: MRSIGNER equal, ISVPRODID equal, MISCSELECT and
 * ATTRIBUTES equal after masking; then the QE TCB level = first level (by descending
 * isvsvn) with isvsvn <= the report's ISVSVN. *status gets its status, or NOT_SUPPORTED
 * when none matches; *advisories (optional) a new reference to its advisoryIDs.
 * Errors: TC_ERR_VERIFY "qe_identity_mismatch" (detail names the field).
 */
tc_status tc_dcap_qe_identity_check(const tc_dcap_qe_identity *qi, const tc_sgx_report_body *qe,
                                    tc_dcap_tcb_status *status, json_t **advisories, tc_error *err);

/**
 * TCB evaluation (Intel QVL checkTcbLevel): the first level (in sorted order) such that
 * each of the PCK's 16 SGX TCB components is >= the level's (component-wise, not
 * lexicographic) and the PCK's PCESVN >= the level's pcesvn; for TDX (td != NULL)
 * additionally each tee_tcb_svn byte >= the level's TDX component, skipping components 0 and 1 when
 * tee_tcb_svn[1] > 0, in which case the module is graded by tdxModuleIdentities
 * ("TDX_%02X" of tee_tcb_svn[1]: hexadecimal, ids compared case-insensitively as in Intel
 * QVL, so module 0x0A is "TDX_0A", never "TDX_10"; first level with isvsvn <= tee_tcb_svn[0]);
 * module MRSIGNER / SEAM attributes checked against tdxModule or the identity. Statuses are
 * converged: platform with module, then (TD 1.5 body: td->is_td15) the relaunch check
 * (QVL 4.1.2.4.17.4.3: SGX level fine, TDX level and module OutOfDate, and tee_tcb_svn2
 * at least the newest level's TDX component 2 and module ISVSVN (module identity of
 * tee_tcb_svn2[1]; component 0 when tee_tcb_svn2[1] == 0) -> TDRelaunchAdvised[
 * ConfigurationNeeded]), then with qe_status (QVL convergence rules).
 * qe_advisories (may be NULL) are merged into the result's advisory_ids.
 * Errors: TC_ERR_VERIFY "tcb_not_supported" (no level matches; module identity level
 * absent; QE not supported), "tdx_module_mismatch" (identity absent, MRSIGNER or
 * attributes differ). On error *out is still filled as far as known (free it).
 */
tc_status tc_dcap_tcb_evaluate(const tc_dcap_tcb_info *ti, const tc_dcap_pck_info *pck,
                               const tc_td_report_body *td, tc_dcap_tcb_status qe_status,
                               const json_t *qe_advisories, tc_dcap_tcb_result *out, tc_error *err);

/** SHA-256 of the Intel SGX Root CA SubjectPublicKeyInfo (DER): the pinned trust anchor. */
extern const uint8_t tc_dcap_intel_root_spki_sha256[32];

/** SHA-256 of the Intel SGX Root CA certificate's whole DER encoding (the certificate Intel
 *  publishes, whose key tc_dcap_intel_root_spki_sha256 pins). Trust still comes from the key
 *  pin; a root of exactly these bytes only skips re-checking its own self-signature, which
 *  these bytes are known to pass. */
extern const uint8_t tc_dcap_intel_root_cert_sha256[32];

/**
 * Verify a DCAP quote with its collateral at time `at` (seconds since the epoch).
 * Checks, in order: parse; attestation key signature over header+body; PCK chain (quote type-5
 * data, else col->pck_chain) leaf -> Platform/Processor CA -> root, root pinned (Intel SGX Root CA
 * SPKI SHA-256 or an operator root in col->trust_roots), every certificate valid at `at`; Root CA
 * CRL and PCK CRL (issuer, signature, window, revocation of intermediate / leaf); TCB Info and QE
 * Identity: issuer chain to a pinned root and valid at `at`, ECDSA P-256 signature over the exact
 * inner object bytes, issueDate <= at <= nextUpdate; PCK SGX extension; TCB Info
 * id/version/FMSPC/PCE-ID against quote and PCK; QE report signature by the PCK key; QE report data
 * = SHA-256(attestation key || QE auth data) || 32 zero bytes; QE Identity; TCB evaluation. Returns
 * TC_OK only for a valid verdict (status UpToDate, SWHardeningNeeded, ConfigurationNeeded,
 * ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded, TDRelaunchAdvised,
 * TDRelaunchAdvisedConfigurationNeeded — Intel QVL non-terminal results). *result (caller decrefs)
 * is filled whenever possible:
 *   {"verdict","reason"(invalid),"detail","tee","verified_at","quote_version",
 *    "tcb_status"(null unless evaluated),"advisory_ids","fmspc","pce_id","qe_vendor_id",
 *    "pck_tcb"{},"tcb_detail"{},"validity_window"{},"policy_flags"{},"claims"{}}.
 * Errors: TC_ERR_PARSE: the tc_dcap_parse codes (malformed evidence) and malformed
 * collateral: "tcb_info_unparsable", "tcb_info_invalid", "tcb_info_version_unsupported",
 * "qe_identity_unparsable", "qe_identity_invalid", "qe_identity_version_unsupported",
 * "cert_unparsable" (PCK or issuer chain), "crl_unparsable".
 * TC_ERR_VERIFY (evidence rejected): "collateral_missing", "pck_chain_missing",
 * "attestation_key_invalid", "quote_signature_invalid", "pck_chain_invalid",
 * "pck_chain_untrusted", "pck_cert_expired", "crl_invalid", "crl_expired", "pck_revoked",
 * "tcb_info_chain_invalid", "tcb_info_signature_invalid", "tcb_info_expired",
 * "qe_identity_chain_invalid", "qe_identity_signature_invalid", "qe_identity_expired",
 * "pck_extension_invalid", "tcb_info_mismatch", "fmspc_mismatch", "pce_id_mismatch",
 * "qe_identity_mismatch", "qe_report_signature_invalid", "qe_report_data_mismatch",
 * "tdx_module_mismatch", "tcb_not_supported", "tcb_revoked" (tcb_status "Revoked").
 * TC_ERR_NOMEM / TC_ERR_INTERNAL for resource failures. "tcb_status" and "advisory_ids" are
 * null in the result when TCB evaluation was not reached or no level matched.
 */
tc_status tc_dcap_verify(const uint8_t *quote, size_t len, const tc_collateral *col, int64_t at,
                         json_t **result, tc_error *err);

/**
 * A bounded cache of checked DCAP endorsements, for a long-lived verifier (an attestation
 * service, a tc_verifier): PCK chains (parsed, links and trust checked, SGX extension
 * read, the leaf's key ready) keyed by the SHA-256 of the chain's exact bytes and the
 * operator trust roots; collateral sets (Root CA CRL and PCK CRL parsed, TCB Info and QE
 * Identity signature-checked against their chains and parsed) keyed by the SHA-256 of the
 * exact bytes of the six items and the trust roots; the (chain, collateral set) pairs
 * whose CRLs were found issued by the chain and not revoking it; and the QE report steps
 * that passed (the QE report's signature by the PCK leaf key and its report_data binding
 * of the attestation key, with the attestation key object) keyed by the SHA-256 of the
 * PCK chain's bytes, the QE report, its signature, the attestation key and the QE
 * authentication data: the same in every quote of one platform until its attestation key
 * changes. Only what passed every check that does not depend on the time is kept: a
 * failure is never cached. The keys over chain and collateral bytes are found again by
 * comparing the bytes with a copy kept for up to 2 x max_entries of them (chains of about
 * 4 KB, collateral sets of 12 to 17 KB) instead of hashing them. Thread-safe: one cache
 * serves every worker. At most max_entries of each kind (0: none kept), least recently
 * used dropped first. Opaque.
 */
typedef struct tc_dcap_cache tc_dcap_cache;

/** A new cache. Errors: TC_ERR_USAGE "bad_argument" (max_entries above 1048576),
 *  TC_ERR_NOMEM "out_of_memory". */
tc_status tc_dcap_cache_new(size_t max_entries, tc_dcap_cache **out, tc_error *err);
/** Free the cache (NULL-safe); verifications using it must have returned. */
void tc_dcap_cache_free(tc_dcap_cache *cache);
/** Lookups of PCK chains, collateral sets and QE report steps that found an entry / did
 *  not, and the entries kept now (chains + collateral sets + pairs + QE report steps; all
 *  0 for NULL). */
void tc_dcap_cache_counts(tc_dcap_cache *cache, uint64_t *hits, uint64_t *misses, size_t *entries);

/**
 * tc_dcap_verify with a cache (NULL: exactly tc_dcap_verify). The same result object,
 * verdict, reason code and detail for every input, warm or cold: with a PCK chain, a
 * collateral set and the QE report step from the cache, each verification redoes only
 * what depends on the quote's signed part or the time: the attestation key's signature
 * over header + body, every certificate's, CRL's, TCB Info's and QE Identity's validity at
 * `at` in the order of tc_dcap_verify, the TCB match, the QE Identity evaluation of the QE
 * report and the TCB evaluation. A quote whose QE report, its signature, attestation key,
 * QE authentication data or PCK chain differ in any byte from a cached step's has the QE
 * report's signature and binding checked afresh.
 */
tc_status tc_dcap_verify_cached(const uint8_t *quote, size_t len, const tc_collateral *col,
                                int64_t at, tc_dcap_cache *cache, json_t **result, tc_error *err);

#ifdef __cplusplus
}
#endif
#endif
