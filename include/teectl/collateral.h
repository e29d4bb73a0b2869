/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — collateral provider: AMD KDS and Intel PCS / PCCS endorsements, cached on disk.
 *
 * The verifiers need endorsements the evidence does not carry. A provider answers a
 * request for one collateral object from, in order:
 *   1. a directory of collateral files (the layout `teectl verify --collateral DIR` reads),
 *   2. an on-disk cache (content-addressed objects + one index entry per object),
 *   3. the network: AMD Key Distribution Service (KDS) or Intel PCS v4 / a PCCS.
 * Each answer says where it came from and until when it is valid.
 *
 * Sources:
 *  - AMD "Versioned Chip Endorsement Key (VCEK) Certificate and KDS Interface
 *    Specification" (57230), chapter 4 (KDS interface): VCEK, cert_chain, crl, VLEK
 *    cert_chain / crl.
 *  - Intel "SGX and TDX Provisioning Certification Service (PCS) API v4": TCB Info,
 *    QE Identity, PCK CRL, issuer-chain response headers; Intel PCCS (same v4 paths plus
 *    /sgx/certification/v4/rootcacrl).
 *
 * Threads: a provider may be shared by any number of threads (the attestation service
 * calls it from its thread pool). Concurrent misses for the same object make one network
 * request (single flight); the others wait for its answer. The provider holds all its
 * state; there is no global mutable state (libcurl is initialised once, process-wide).
 *
 * Time: `now` arguments are seconds since the Unix epoch (UTC) and decide freshness, so
 * callers (and tests) control it. Back-off sleeps use the monotonic clock.
 */
#ifndef TEECTL_COLLATERAL_H
#define TEECTL_COLLATERAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "teectl/bytes.h"
#include "teectl/crypto.h"
#include "teectl/error.h"
#include "teectl/snp.h"
#include "teectl/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Default base URLs (no trailing slash). */
#define TC_KDS_DEFAULT_URL "https://kdsintf.amd.com"
#define TC_PCS_DEFAULT_URL "https://api.trustedservices.intel.com"

/* ------------------------------------------------------------------------------------
 * Requests
 * ---------------------------------------------------------------------------------- */

/* AMD product lines are the SNP verifier's tc_snp_product (teectl/snp.h): KDS URLs spell
 * them as tc_snp_product_name does ("Milan", "Genoa", "Turin"); tc_snp_product_parse reads
 * a user's --product. */

/** Intel PCK CA that issued a PCK certificate (PCS "ca" parameter). */
typedef enum { TC_PCK_CA_UNKNOWN = 0, TC_PCK_CA_PROCESSOR, TC_PCK_CA_PLATFORM } tc_pck_ca;

/** Kinds of collateral object a provider can fetch. */
typedef enum {
  TC_OBJ_KDS_VCEK = 1,    /**< VCEK certificate (DER): GET /vcek/v1/{product}/{hwid}?..SPL.. */
  TC_OBJ_KDS_VCEK_CHAIN,  /**< ASK then ARK (PEM): GET /vcek/v1/{product}/cert_chain */
  TC_OBJ_KDS_VLEK_CHAIN,  /**< ASVK then ARK (PEM): GET /vlek/v1/{product}/cert_chain */
  TC_OBJ_KDS_VCEK_CRL,    /**< ARK-signed CRL (DER): GET /vcek/v1/{product}/crl */
  TC_OBJ_KDS_VLEK_CRL,    /**< ARK-signed CRL (DER): GET /vlek/v1/{product}/crl */
  TC_OBJ_PCS_TCB_INFO,    /**< TCB Info JSON: GET /{sgx|tdx}/certification/v4/tcb?fmspc=, */
                          /**< issuer chain in header TCB-Info-Issuer-Chain */
  TC_OBJ_PCS_QE_IDENTITY, /**< QE / TD QE Identity JSON: GET /{sgx|tdx}/certification/v4/qe/
                               identity, issuer chain in SGX-Enclave-Identity-Issuer-Chain */
  TC_OBJ_PCS_PCK_CRL,     /**< PCK CRL: GET /sgx/certification/v4/pckcrl?ca=..&encoding=der,
                               issuer chain in SGX-PCK-CRL-Issuer-Chain */
  TC_OBJ_PCS_ROOT_CA_CRL, /**< Intel SGX Root CA CRL: PCCS /sgx/certification/v4/rootcacrl, or
                               (Intel PCS) the CRL distribution point of the root cert */
} tc_object_kind;

/** Short stable name of a kind ("vcek", "vcek_chain", ..., "root_ca_crl"). */
const char *tc_object_kind_name(tc_object_kind kind);

/**
 * One collateral object. Fields that a kind does not use are ignored.
 * - product: every KDS kind.
 * - hwid / hwid_len: TC_OBJ_KDS_VCEK. The report's CHIP_ID (SEV-SNP Firmware ABI spec,
 *   "ATTESTATION_REPORT Structure", offset 0x1A0): 64 bytes for Milan and Genoa; Turin KDS takes
 * only the first 8 bytes (hwid_len 8; a 64-byte value is truncated to 8 for Turin).
 * - fmc_spl, bl_spl, tee_spl, snp_spl, ucode_spl: TC_OBJ_KDS_VCEK, the REPORTED_TCB
 *   components (decimal in the URL; fmcSPL is sent for Turin only).
 * - tee: TC_TEE_SGX or TC_TEE_TDX for TCB Info and QE Identity.
 * - fmspc: TCB Info, 6 bytes (from the PCK certificate's SGX extension, sent as 12 hex
 *   digits, upper case as Intel documents).
 * - ca: PCK CRL.
 * - url: TC_OBJ_PCS_ROOT_CA_CRL against Intel's PCS: the CRL distribution point of the
 *   Intel SGX Root CA certificate (see tc_x509_crl_dp_url in teectl/crypto.h); empty otherwise.
 */
typedef struct tc_object_request {
  tc_object_kind kind;
  tc_snp_product product;
  uint8_t hwid[64];
  size_t hwid_len;
  uint8_t fmc_spl, bl_spl, tee_spl, snp_spl, ucode_spl;
  tc_tee tee;
  uint8_t fmspc[6];
  tc_pck_ca ca;
  char url[512];
} tc_object_request;

/** Which Intel service pcs_url points at: decides how the Root CA CRL is fetched. */
typedef enum {
  TC_PCS_AUTO = 0, /**< Intel PCS if the host is api.trustedservices.intel.com, else PCCS */
  TC_PCS_INTEL,    /**< Intel PCS: Root CA CRL from the root certificate's CRL DP */
  TC_PCS_PCCS,     /**< a PCCS: Root CA CRL from /sgx/certification/v4/rootcacrl */
} tc_pcs_flavour;

/**
 * Build the absolute URL of an object: base (kds_base for KDS kinds, pcs_base for PCS
 * kinds; NULL means the public default) + the path of the specs above. For the Root CA
 * CRL: req->url if set, else (PCCS) pcs_base + /sgx/certification/v4/rootcacrl.
 * out receives a NUL-terminated URL (cap >= 256 recommended).
 * Errors: TC_ERR_USAGE reason "bad_request" (kind/product/tee/ca missing or not valid
 * for the kind, hwid_len not 64 or 8, Root CA CRL with Intel PCS but no req->url),
 * "url_too_long".
 */
tc_status tc_object_url(const char *kds_base, const char *pcs_base, tc_pcs_flavour flavour,
                        const tc_object_request *req, char *out, size_t cap, tc_error *err);

/**
 * Cache key of an object: "<service>:<path and query>", independent of the base URL
 * (e.g. "kds:/vcek/v1/Milan/cert_chain", "pcs:/tdx/certification/v4/tcb?fmspc=00806F050000",
 * "pcs:rootcacrl"). Same errors as tc_object_url.
 */
tc_status tc_object_key(const tc_object_request *req, char *out, size_t cap, tc_error *err);

/**
 * Decode application/x-www-form-urlencoded / RFC 3986 percent-encoding ("%2B" -> '+';
 * '+' is kept as '+' because PCS encodes spaces as %20). out must hold len bytes.
 * Errors: TC_ERR_PARSE reason "bad_percent_encoding" (offset of the bad escape).
 */
tc_status tc_url_decode(const char *in, size_t len, tc_buf *out, tc_error *err);

/* ------------------------------------------------------------------------------------
 * Validity of collateral bytes
 * ---------------------------------------------------------------------------------- */

/**
 * Parse a fetched object and return the end of its validity (seconds since the epoch):
 * certificate (PEM or DER; chains: the earliest) notAfter; CRL (PEM, DER, or hex text of
 * DER as older PCCS serve it) nextUpdate; TCB Info "tcbInfo.nextUpdate" / QE Identity
 * "enclaveIdentity.nextUpdate" (RFC 3339). issuer_chain (may be NULL/0): its earliest
 * notAfter also bounds the result. *issued_at gets the CRL thisUpdate / JSON issueDate
 * (or certificate notBefore) when present, else 0.
 * Errors: TC_ERR_PARSE reason "collateral_malformed" (detail names kind and field).
 */
tc_status tc_object_validity(tc_object_kind kind, const uint8_t *body, size_t len,
                             const uint8_t *issuer_chain, size_t chain_len, int64_t *issued_at,
                             int64_t *expires_at, tc_error *err);

/* ------------------------------------------------------------------------------------
 * Answers and provider
 * ---------------------------------------------------------------------------------- */

typedef enum {
  TC_ORIGIN_NONE = 0,
  TC_ORIGIN_DIRECTORY, /**< the collateral directory (or given by the caller) */
  TC_ORIGIN_CACHE,     /**< the on-disk cache */
  TC_ORIGIN_NETWORK,   /**< fetched now (KDS / PCS / PCCS) */
} tc_origin;

/** "none" / "directory" / "cache" / "network". */
const char *tc_origin_name(tc_origin origin);

/**
 * One answer. body: the object exactly as served (JSON text is kept byte for byte: TCB
 * Info and QE Identity signatures cover it). issuer_chain: PEM, URL-decoded from the
 * response header (PCS kinds), empty otherwise. Times in seconds since the epoch:
 * fetched_at (when it was obtained from the network), expires_at (tc_object_validity),
 * refresh_at (when the provider will try to refresh it: before expires_at).
 * stale = 1: past refresh_at and the refresh failed (note says why); expired = 1: past
 * expires_at. url: where it was (or would be) fetched from.
 */
typedef struct tc_collateral_answer {
  tc_buf body;
  tc_buf issuer_chain;
  tc_origin origin;
  int64_t fetched_at;
  int64_t expires_at;
  int64_t refresh_at;
  int stale;
  int expired;
  char url[512];
  char note[640];
} tc_collateral_answer;

/** Free the buffers of an answer and zero it. NULL-safe. */
void tc_collateral_answer_free(tc_collateral_answer *ans);

typedef struct tc_provider_options {
  const char *dir;         /**< collateral directory source for tc_provider_fill, or NULL */
  const char *cache_dir;   /**< on-disk cache (created if absent), or NULL for none */
  const char *kds_url;     /**< AMD KDS base; NULL: TC_KDS_DEFAULT_URL */
  const char *pcs_url;     /**< Intel PCS or PCCS base; NULL: TC_PCS_DEFAULT_URL */
  const char *api_key;     /**< PCS subscription key (Ocp-Apim-Subscription-Key), or NULL */
  const char *pcs_ca_file; /**< PEM CA bundle that the certificate of the pcs_url server
                                must chain to, instead of the system's CA store (a PCCS with
                                a certificate of its own CA); only for requests to pcs_url.
                                NULL: the system store. Must hold a PEM certificate
                                (checked by tc_provider_new) */
  tc_pcs_flavour pcs_flavour;
  int offline;                /**< 1: never use the network (directory and cache only) */
  unsigned max_attempts;      /**< network attempts per object (default 4) */
  double max_wait_s;          /**< total sleep (back-off, Retry-After, KDS pacing), seconds
                                   (default 20): per object for tc_provider_get, shared by all
                                   objects of one tc_provider_fill */
  double base_delay_s;        /**< first back-off delay, seconds; doubles, full jitter (0.5) */
  long timeout_s;             /**< per HTTP request, seconds (default 30) */
  int64_t refresh_margin_s;   /**< refresh this long before expires_at (default 86400) */
  int64_t max_age_s;          /**< CRLs, TCB Info, QE Identity: refresh when older (86400) */
  int64_t failure_holdoff_s;  /**< after a failed fetch, no new attempt for this long, or until
                                   the server's Retry-After if later (default 60); meanwhile a
                                   cached copy is served at once (stale) or the failure repeated */
  int64_t host_backoff_s;     /**< after a fetch found a host failing (no answer: timeout,
                                   refused; or HTTP 5xx other than 501, after the retries), no
                                   request to that host for any object for this long (default
                                   2; 0: no per-host back-off), doubling with each further
                                   failure in a row up to host_backoff_max_s; any answer from the
                                   host ends it. Meanwhile objects of that host are served stale
                                   from the cache or fail at once (collateral_unavailable, the
                                   remaining back-off in the detail) */
  int64_t host_backoff_max_s; /**< bound of the per-host back-off, seconds (default 30) */
  unsigned memory_entries;    /**< fresh answers kept in memory in front of the disk cache
                                   (default 256; 0: none) */
  double kds_interval_s;      /**< AMD KDS pacing: per KDS host, one request per this many
                                   seconds after a burst (default 10: KDS allows about one
                                   request per 10 s per client; 0: no pacing). The waits count
                                   in the wait budget */
  unsigned kds_burst;         /**< requests to a KDS host allowed at once before the pacing
                                   starts (default 3: one SNP fetch's chain, VCEK and CRL) */
  double fill_deadline_s;     /**< one tc_provider_fill ends within this many seconds, whatever
                                   the servers do: every transfer, retry, wait and wait for
                                   another thread's fetch of the same object stops at the
                                   deadline (0: none, the default) */
} tc_provider_options;

/** Fill *opt with the defaults above (all pointers NULL, online, TC_PCS_AUTO). */
void tc_provider_options_default(tc_provider_options *opt);

typedef struct tc_provider tc_provider;

/**
 * Create a provider; options are copied (strings duplicated). Creates cache_dir (and its
 * objects/ and index/ folders) if needed.
 * Errors: TC_ERR_USAGE reason "bad_option" (bad URL scheme, zero attempts), TC_ERR_IO
 * reason "cache_unwritable", TC_ERR_NOMEM, TC_ERR_INTERNAL reason "curl_init_failed".
 */
tc_status tc_provider_new(const tc_provider_options *opt, tc_provider **out, tc_error *err);
/** Free a provider (no call may be in progress on it). NULL-safe. */
void tc_provider_free(tc_provider *p);

/**
 * Get one object: a fresh answer kept in memory or a fresh cache entry (now < refresh_at)
 * without any request; else the
 * network (single flight per cache key; 429/503 honour Retry-After, other transient
 * failures back off exponentially with full jitter, within max_attempts and max_wait_s);
 * if that fails, a cached copy marked stale (and expired if so) with the failure in
 * ans->note. A host found failing is backed off for every key (host_backoff_s..
 * host_backoff_max_s after the fetch ended): calls before that make no request to it and
 * answer stale or TC_ERR_IO "collateral_unavailable" (detail: host, failures in a row, the
 * last failure and the seconds left). After a failure the key is held off (failure_holdoff_s, or
 * the server's Retry-After): calls before `now` passes that time make no request. Fetched objects
 * are parsed (tc_object_validity) before they are cached or returned: a malformed body is never
 * served. Errors (nothing cached to fall back on): TC_ERR_IO reasons "collateral_not_found" (HTTP
 * 404), "collateral_rate_limited" (429/503 beyond the wait budget; detail gives Retry-After),
 * "collateral_unavailable" (network error, HTTP error, offline), TC_ERR_PARSE
 * "collateral_malformed", TC_ERR_USAGE "bad_request".
 */
tc_status tc_provider_get(tc_provider *p, const tc_object_request *req, int64_t now,
                          tc_collateral_answer *ans, tc_error *err);

/**
 * tc_provider_get within a wait budget shared by several objects (one fill): the network
 * fetch may sleep (back-off, Retry-After, KDS pacing) at most *wait_budget_s seconds in
 * total, and *wait_budget_s is reduced by what it slept. NULL: max_wait_s for this object.
 * A wait that would pass the budget is not started: the error detail says that the
 * cumulative wait would exceed the budget. Errors as tc_provider_get.
 */
tc_status tc_provider_get_within(tc_provider *p, const tc_object_request *req, int64_t now,
                                 double *wait_budget_s, tc_collateral_answer *ans, tc_error *err);

/** Counters of a provider since it was made. */
typedef struct tc_provider_counters {
  unsigned long kds_429; /**< HTTP 429 (Too Many Requests) answers from AMD KDS */
  unsigned long pcs_429; /**< HTTP 429 answers from Intel PCS / PCCS */
} tc_provider_counters;

/** Read the counters (thread-safe). */
void tc_provider_stats(tc_provider *p, tc_provider_counters *out);

/**
 * What a piece of evidence needs. SNP: product, signing key (VCEK or VLEK), and for a
 * VCEK the CHIP_ID and REPORTED_TCB (SEV-SNP Firmware ABI spec, table
 * "ATTESTATION_REPORT Structure": SIGNING_KEY bits 4:2 of 0x48, REPORTED_TCB 0x180, CPUID_FAM_ID
 * 0x188 / CPUID_MOD_ID 0x189 (versions >= 3), CHIP_ID 0x1A0). DCAP: tee, FMSPC and PCK
 * CA from the PCK certificate (quote certification data type 5, or col->pck_chain).
 */
typedef struct tc_collateral_needs {
  tc_tee tee;
  /* SNP */
  tc_snp_product product;
  int vlek;               /**< 1: signed with a VLEK (ASVK chain), 0: VCEK */
  tc_object_request vcek; /**< TC_OBJ_KDS_VCEK request (VCEK only) */
  /* DCAP */
  uint8_t fmspc[6];
  tc_pck_ca ca;
  char root_ca_crl_url[256]; /**< CRL distribution point of the root of the quote's PCK chain
                                  ("" if none): where Intel's PCS flavour gets the Root CA CRL
                                  when no issuer chain is at hand */
} tc_collateral_needs;

/**
 * Work out what evidence needs. product_hint: for SNP reports of version 2 (which do not
 * carry the CPU family) or to override; TC_SNP_PRODUCT_UNKNOWN to detect (from the report,
 * else from col's ASK/VCEK issuer names when col is non-NULL). col->pck_chain is used for
 * DCAP when the quote has no PCK chain.
 * Errors: TC_ERR_PARSE reasons "unknown_evidence_format", "report_truncated",
 * "unsupported_report_version", "snp_product_unknown", "quote_truncated",
 * "pck_chain_missing", "pck_cert_malformed" (no FMSPC / unknown CA); TC_ERR_VERIFY
 * "chip_id_masked" (a VCEK report whose CHIP_ID is zero cannot name its VCEK).
 */
tc_status tc_collateral_needs_of(tc_tee tee, const uint8_t *evidence, size_t len,
                                 tc_snp_product product_hint, const tc_collateral *col,
                                 tc_collateral_needs *needs, tc_error *err);

/**
 * Fill the items of col that are absent (data == NULL) for this evidence, from the
 * provider's sources; present items, and certificates in col->extra_certs whose role
 * (by subject CN) covers an item, are left alone (they count as origin "directory").
 * An SNP report of version 2 with no product_hint and no ASK/ARK/VCEK to name its product
 * line is resolved by asking KDS for its VCEK as Milan, then as Genoa (404 = not that one).
 * SNP: ark, ask (ASK or ASVK), vcek (never vlek: AMD KDS does not publish VLEKs; it must
 * come with the evidence), amd_crl. DCAP: tcb_info (+ issuer chain), qe_identity (+ issuer
 * chain), pck_crl (+ issuer chain), root_ca_crl. Items the provider allocates are owned
 * by col (tc_collateral_free).
 * *report (if non-NULL) gets a JSON array, one object per item considered:
 *   {"item": file name ("vcek.der", ...), "origin": tc_origin_name, "url": ...,
 *    "fetched_at", "expires_at", "refresh_at": RFC 3339, "stale": bool, "expired": bool,
 *    "note": text} or {"item", "origin": "none", "error": reason, "detail": text}.
 * Returns TC_OK when every needed item is present afterwards (vlek excepted), else the
 * first failure (reasons of tc_provider_get / tc_collateral_needs_of); col is filled as
 * far as it got in either case.
 */
tc_status tc_provider_fill(tc_provider *p, tc_tee tee, const uint8_t *evidence, size_t len,
                           tc_snp_product product_hint, int64_t now, tc_collateral *col,
                           json_t **report, tc_error *err);

/**
 * Same as tc_provider_fill for needs already worked out (tc_collateral_needs_of, or built
 * by a caller that parsed the evidence itself).
 */
tc_status tc_provider_fill_needs(tc_provider *p, const tc_collateral_needs *needs, int64_t now,
                                 tc_collateral *col, json_t **report, tc_error *err);

/**
 * Free the items of col that a fill added: every item whose data pointer differs from the
 * same item of base (the collateral col was copied from before filling; e.g. a service's
 * shared directory collateral), leaving base's buffers alone. extra_certs/trust_roots are
 * not touched.
 */
void tc_collateral_free_added(tc_collateral *col, const tc_collateral *base);

/**
 * Write the present items of col into dir (created if absent) under the names
 * `teectl verify --collateral DIR` reads (ark.pem, ask.pem, vcek.der, vlek.der, crl.der,
 * tcb_info.json, tcb_info_issuer_chain.pem, qe_identity.json, qe_identity_issuer_chain.pem,
 * pck_crl.der, pck_crl_issuer_chain.pem, root_ca_crl.der; ".pem" instead of ".der" for
 * PEM-encoded leaf/CRL bytes). All or nothing: the files are written (and fsync'd) into a
 * new hidden folder ".NAME.tmpXXXXXX" beside dir, which then replaces dir in one rename. A
 * missing dir is created that way; an existing dir is replaced as a whole (renameat2
 * RENAME_EXCHANGE, then its old files are removed; files of an earlier fetch that this one
 * lacks are gone), but only when it holds nothing but regular files under the names above
 * (an earlier fetch's output, or an empty folder); anything else is refused. A symbolic link
 * to a folder: the target is replaced. On failure, or a kill half-way, dir is unchanged.
 * Errors: TC_ERR_USAGE reason "folder_not_collateral" (dir is not a folder, or holds other
 * files: the detail names one), TC_ERR_IO "file_unwritable" / "file_not_regular".
 */
tc_status tc_collateral_write_dir(const tc_collateral *col, const char *dir, tc_error *err);

/**
 * List the cache: a JSON array of {"key", "kind", "url", "fetched_at", "expires_at",
 * "refresh_at" (RFC 3339), "state": "fresh"|"refresh_due"|"expired"|"corrupt", "size"}
 * judged at now, sorted by key. A missing cache dir gives an empty array.
 * Errors: TC_ERR_IO reason "cache_unreadable".
 */
tc_status tc_cache_list(const char *cache_dir, int64_t now, json_t **out, tc_error *err);

#ifdef __cplusplus
}
#endif
#endif
