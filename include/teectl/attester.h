/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — the attester (guest side, RFC 9334): evidence from the running TEE, and the
 * clients that trade it for an attestation result (teectl's /v1 API) or for secrets (a Key
 * Broker Service speaking the Confidential Containers KBS protocol).
 *
 * Evidence sources, tried in this order:
 *   1. Linux configfs-tsm (kernel Documentation/ABI/testing/configfs-tsm-report):
 *      <root>/sys/kernel/config/tsm/report/<entry>: inblob (REPORT_DATA, 64 bytes) in,
 *      outblob (SNP ATTESTATION_REPORT or TDX quote), auxblob (SNP certificate table),
 *      provider ("sev_guest" / "tdx_guest"), generation (write counter), privlevel.
 *   2. <root>/dev/sev-guest: SNP_GET_EXT_REPORT, then SNP_GET_REPORT (linux/sev-guest.h).
 *   3. <root>/dev/tdx_guest (older kernels: tdx-guest): TDX_CMD_GET_REPORT0 gives a
 *      TDREPORT only, which no verifier accepts: a quote needs configfs-tsm or a quote
 *      generation service, and the source says so (tdx_quote_unavailable).
 *   4. An evidence command (--evidence-cmd): REPORT_DATA as 128 hex digits and a newline on
 *      its standard input, the evidence bytes on its standard output.
 */
#ifndef TEECTL_ATTESTER_H
#define TEECTL_ATTESTER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "teectl/bytes.h"
#include "teectl/error.h"

/** REPORT_DATA size of SNP (0x050, 64 bytes), TDX (REPORTDATA, 64) and SGX (ReportData, 64). */
#define TC_REPORT_DATA_LEN 64

/** Events of the configfs-tsm test hook (see tc_attester_opts.tsm_hook). */
typedef enum {
  TC_TSM_ENTRY_MADE,     /**< the entry folder was just made (the kernel fills its attributes) */
  TC_TSM_INBLOB_WRITTEN, /**< inblob was just written (the kernel makes outblob / auxblob) */
  TC_TSM_ENTRY_REMOVING, /**< rmdir comes next (the kernel drops the attributes with it) */
} tc_tsm_event;

typedef struct tc_attester_opts {
  /** Root the device and configfs paths are taken under ("" or NULL: "/"); tests use a tree. */
  const char *root;
  /** NULL: a device counts when stat() says it is a character device; else a DEVICES.txt list
   *  (tc_probe_opts.char_devices_file) naming the paths that count (tests). */
  const char *char_devices_file;
  /** The guest's attestation-agent API server (Confidential Containers api-server-rest, e.g.
   *  "http://127.0.0.1:8006"), or NULL. Takes precedence over the native interfaces. */
  const char *aa_url;
  /** Evidence command (run with /bin/sh -c), or NULL for the TEE's own interfaces. */
  const char *evidence_cmd;
  /** With evidence_cmd: the TEE its evidence is from, "snp", "tdx" or "sgx". */
  const char *tee;
  /** SNP privilege level (VMPL 0..3) to ask for, or -1 to leave the kernel's default. */
  int privlevel;
  /** Seconds the evidence command may take (0: 60). */
  unsigned cmd_timeout;
  /** TESTS ONLY: called where the kernel would act in a real configfs (a fake tree has no
   *  kernel behind it). NULL in the program. */
  void (*tsm_hook)(tc_tsm_event ev, const char *entry_dir, void *arg);
  void *tsm_hook_arg;
} tc_attester_opts;

/** Evidence from the TEE. Free with tc_evidence_free. */
typedef struct tc_evidence {
  char tee[4];        /**< "snp", "tdx" or "sgx" */
  const char *source; /**< "configfs-tsm", "sev-guest", "evidence-cmd" (static text) */
  tc_buf evidence;    /**< SNP ATTESTATION_REPORT (0x4A0 bytes) or DCAP quote */
  tc_buf aux;         /**< SNP certificate table (GHCB spec, GUID table), may be empty */
  json_t *json;       /**< the KBS wire form when the source gave it (attestation-agent) */
  tc_buf *certs;      /**< SNP: the certificates of the attestation-agent's cert_chain
                           (VCEK, VLEK, ASK, ARK; DER), the host's table as the agent got it;
                           NULL when the source gave none (or gave them in aux) */
  size_t n_certs;
} tc_evidence;

/** Set the defaults: root "/", no command, privlevel -1, no hook. */
void tc_attester_opts_init(tc_attester_opts *o);

/**
 * Which native interface this guest has, in the order they are tried; the TEE it implies.
 * Detection is the probe's (tc_probe_attest_ifaces, the same paths `teectl probe` reports).
 * Writes "configfs-tsm", "sev-guest", "tdx_guest" or "tdx-guest" into *iface and "snp" /
 * "tdx" into *tee (for configfs-tsm: the provider of an entry that exists, else the driver's
 * device node; NULL when neither tells), or fails with TC_ERR_IO "no_tee_device" (detail lists
 * the paths looked at). Errors: no_tee_device, and the probe's (probe_bad_options when the
 * root is not a folder).
 */
tc_status tc_attester_detect(const tc_attester_opts *o, const char **iface, const char **tee,
                             tc_error *err);

/**
 * Evidence bound to report_data (64 bytes, copied unchanged into REPORT_DATA): the evidence
 * command when one is set, else the attestation-agent when aa_url is set (GET /info,
 * /aa/evidence?runtime_data=<base64url>&encoding=base64; errors aa_evidence_failed,
 * aa_evidence_unbound), else the first native interface tc_attester_detect finds.
 * Errors (reason codes): no_tee_device (TC_ERR_IO), tsm_* (configfs-tsm: tsm_unwritable,
 * tsm_unreadable, tsm_generation_conflict after 3 tries, tsm_provider_unknown,
 * tsm_outblob_empty), sev_guest_failed (ioctl; detail: errno, firmware and VMM error),
 * tdx_quote_unavailable, evidence_cmd_failed (exit status or signal, stderr kept by the
 * caller's terminal), evidence_cmd_empty, evidence_cmd_timeout.
 */
tc_status tc_attester_evidence(const tc_attester_opts *o, const uint8_t report_data[64],
                               tc_evidence *out, tc_error *err);

/** Release the buffers; NULL-safe. */
void tc_evidence_free(tc_evidence *ev);

/** The TEE the evidence will be of: opts->tee when given, else the attestation-agent's
 *  (GET /info) with aa_url, else tc_attester_detect's. *tee is "snp", "tdx" or "sgx".
 *  Errors: those of the sources; tee_unknown (TC_ERR_USAGE) when nothing tells. */
tc_status tc_attester_tee(const tc_attester_opts *o, const char **tee, tc_error *err);

/** The configfs-tsm source alone (root as in opts). tee must be "snp" or "tdx" (or NULL: any
 *  provider). Same errors as tc_attester_evidence's tsm_* ones. */
tc_status tc_tsm_report(const tc_attester_opts *o, const char *tee, const uint8_t report_data[64],
                        tc_evidence *out, tc_error *err);

/** One certificate of an SNP certificate table. */
typedef struct tc_snp_cert {
  const char *type; /**< "VCEK", "VLEK", "ASK", "ARK" (static text), or NULL for an unknown
                         GUID (the entry is still listed with its bytes) */
  const uint8_t *der;
  size_t len;
} tc_snp_cert;

/**
 * Parse the certificate table the host gives with an extended report (GHCB spec 2.03,
 * "SNP Extended Guest Request", table of {GUID 16 bytes, offset u32 LE, length u32 LE},
 * closed by an all-zero entry; offsets from the start of the table). GUIDs: VCEK
 * 63da758d-e664-4564-adc5-f4b93be8accd, VLEK a8074bc2-a25a-483e-aae6-39c045a0b8a1, ASK
 * 4ab7b379-bbac-4fe4-a02f-05aef327c782, ARK c0b406a4-a803-4952-9743-3fb6014cd0ae. certs
 * (capacity cap) point into table. *n gets the count (an empty table gives 0).
 * Errors: TC_ERR_PARSE "cert_table_invalid" (no terminator, an entry outside the table, more
 * than cap entries; detail: entry index and offset).
 */
tc_status tc_snp_cert_table_parse(const uint8_t *table, size_t len, tc_snp_cert *certs, size_t cap,
                                  size_t *n, tc_error *err);

/**
 * The SNP evidence in the JSON form the Confidential Containers attestation-agent sends as
 * KBS primary evidence: {"attestation_report": the serde form of virtee/sev's
 * AttestationReport (named fields; byte arrays as lists of numbers; TCB_VERSION as
 * {fmc (Turin, else null), bootloader, tee, snp, microcode}; cpuid_* null for version 2,
 * launch/current_mit_vector null before version 5; signature {r, s} as the report's 72-byte
 * little-endian fields), "cert_chain": [{"cert_type": "VCEK"|"VLEK"|"ASK"|"ARK", "data":
 * [bytes]}] or null}. report: 0x4A0 bytes (SEV-SNP Firmware ABI spec, ATTESTATION_REPORT);
 * aux: the certificate table or empty. The TCB layout is tc_snp_wire_tcb_layout's
 * (teectl/snp.h), the one the broker's decoder uses: a version 2 report with an all-zero CHIP_ID
 * (MASK_CHIP_ID) has none and is refused, as the attestation-agent's sev crate refuses it.
 * Errors (TC_ERR_PARSE): report_length_invalid, cert_table_invalid, chip_id_masked,
 * unsupported_product, unsupported_report_version; out_of_memory.
 */
tc_status tc_snp_evidence_json(const uint8_t *report, size_t len, const uint8_t *aux,
                               size_t aux_len, json_t **out, tc_error *err);

/* ---- clients ---- */

/** Transport settings shared by the clients. */
typedef struct tc_attest_http {
  const char *ca_file; /**< PEM CA bundle for https (NULL: the system's) */
  unsigned deadline_s; /**< total time for everything, retries included (0: 120) */
  unsigned attempt_s;  /**< one request's time limit (0: 30) */
  int verbose;         /**< log each request and retry on stderr */
} tc_attest_http;

/**
 * teectl's own API (docs/service.md): POST {url}/v1/challenge, REPORT_DATA = SHA-512(nonce
 * bytes || runtime_data) for SNP and TDX, SHA-256(nonce || runtime_data) || 32 zero bytes for
 * SGX, evidence, POST {url}/v1/attest {"tee","evidence","nonce","runtime_data"?,
 * "collateral"? (SNP: the certificates the source gave, PEM: those of the host's certificate
 * table, or of the attestation-agent's cert_chain)}. *token gets the JWT (malloc'd).
 * Transport failures and 5xx/429 answers are retried with back-off until the deadline.
 * Errors: attestation_refused (TC_ERR_VERIFY: the service's 4xx answer; detail carries its
 * error code, detail and failed rules), service_unreachable / service_answer_invalid
 * (TC_ERR_IO / TC_ERR_PARSE), and the evidence errors.
 */
tc_status tc_attest_service(const char *url, const tc_attest_http *h, const tc_attester_opts *o,
                            const uint8_t *runtime_data, size_t rd_len, char **token,
                            tc_error *err);

/** One resource to fetch from a KBS: path "repository/type/tag" and where it goes. */
typedef struct tc_kbs_resource {
  const char *path;
  const char *file;
} tc_kbs_resource;

/**
 * A Key Broker Service, exactly as the Confidential Containers attestation-agent talks to one
 * (guest-components kbs_protocol, KBS_PROTOCOL_VERSION 0.4.0; Trustee
 * kbs/docs/kbs_attestation_protocol.md): a fresh EC P-256 key pair (private key in memory
 * only), POST {url}/kbs/v0/auth {"version":"0.4.0","tee","extra-params":
 * {"supported-hash-algorithms":["sha256","sha384","sha512"]}} -> challenge {"nonce",
 * "extra-params":{"selected-hash-algorithm"?}} (sha384 when absent), REPORT_DATA = that hash
 * over the RFC 8785 text of {"nonce","tee-pubkey","additional-evidence":""} zero-padded to 64
 * bytes, POST {url}/kbs/v0/attest {"init-data"?:{"format":"toml","body"},"runtime-data":
 * {"nonce","tee-pubkey"},"tee-evidence":{"primary_evidence","additional_evidence":""}} ->
 * {"token"}; then GET {url}/kbs/v0/resource/<path> for each resource (cookies kept as the
 * server sets them), each a flattened JWE decrypted with libjose, written atomically with mode
 * 0400 (a 401 answer re-attests once). init_data: the init-data document text or NULL.
 * Errors: attestation_refused (TC_ERR_VERIFY; 401/403 with the service's RFC 7807 type and
 * detail), resource_not_found (TC_ERR_VERIFY), kbs_answer_invalid (TC_ERR_PARSE),
 * hash_algorithm_unsupported, jwe_invalid / jwe_decrypt_failed (TC_ERR_VERIFY),
 * service_unreachable (TC_ERR_IO), file errors of tc_file_write_atomic_mode, and the evidence
 * errors.
 */
tc_status tc_attest_kbs(const char *url, const tc_attest_http *h, const tc_attester_opts *o,
                        const char *init_data, const tc_kbs_resource *res, size_t n_res,
                        char **token, tc_error *err);

#endif
