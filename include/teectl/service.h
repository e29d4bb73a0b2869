/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — the attestation service (`teectl serve`): challenge, verify, appraise,
 * signed EAR attestation result.
 *
 * Pieces usable without a running server (no I/O, no clock; time is an argument):
 *   - self-validating nonces (HMAC-SHA-256, no per-nonce state on the server),
 *   - the binding of a nonce and runtime data into the evidence's REPORT_DATA.
 * The server itself (tc_service_*) is the I/O edge: it reads key, policy and
 * collateral files, the clock and the network. HTTP API and error codes:
 * docs/service.md.
 */
#ifndef TEECTL_SERVICE_H
#define TEECTL_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "teectl/error.h"
#include "teectl/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- nonces */

/** Bytes of a nonce: 32 random bytes || expiry (u64, big-endian, seconds since the
 *  Unix epoch) || the first 16 bytes of HMAC-SHA-256 over the first 40 bytes (a MAC
 *  truncated to 128 bits, as RFC 2104 section 5 allows: at least half the hash output
 *  and at least 80 bits): 32 + 8 + 16 = 56 bytes. */
#define TC_NONCE_RANDOM_LEN 32
/** Bytes of the expiry field. */
#define TC_NONCE_EXPIRY_LEN 8
/** Bytes of the truncated HMAC-SHA-256 tag. */
#define TC_NONCE_MAC_LEN 16
#define TC_NONCE_RAW_LEN (TC_NONCE_RANDOM_LEN + TC_NONCE_EXPIRY_LEN + TC_NONCE_MAC_LEN)
/** Length of its base64url text (RFC 4648 section 5, no padding): ceil(56 * 4 / 3) = 75
 *  characters. The EAR token carries this text as eat_nonce, and RFC 9711 (EAT) limits
 *  that claim to nonce-type = JC< tstr .size (8..88), bstr .size (8..64) >: in a JWT,
 *  8..88 characters. 75 is within it (the 32-byte HMAC of earlier nonces made 96). */
#define TC_NONCE_TEXT_LEN 75
/** Minimum length of a nonce MAC key in bytes. */
#define TC_NONCE_KEY_MIN 32

/**
 * Make a nonce: random (32 bytes, from the caller's CSPRNG) and expires_at (seconds
 * since the epoch) authenticated under key (key_len >= TC_NONCE_KEY_MIN bytes) with
 * HMAC-SHA-256 (RFC 2104, FIPS 180-4) truncated to TC_NONCE_MAC_LEN bytes. out gets the base64url
 * text, NUL-terminated (capacity >= TC_NONCE_TEXT_LEN + 1). Errors: TC_ERR_USAGE
 * "nonce_key_too_short", TC_ERR_INTERNAL "hmac_failed".
 */
tc_status tc_nonce_make(const uint8_t *key, size_t key_len,
                        const uint8_t random[TC_NONCE_RANDOM_LEN], int64_t expires_at,
                        char out[TC_NONCE_TEXT_LEN + 1], tc_error *err);

/**
 * Check a nonce text at time now (seconds since the epoch). On success raw gets the
 * TC_NONCE_RAW_LEN (56) decoded bytes (what the evidence binds) and *expires_at the
 * expiry. Errors (TC_ERR_VERIFY unless noted), checked in this order:
 *   "nonce_malformed" (TC_ERR_PARSE): not 75 base64url characters, or non-canonical
 *     (the last character's 2 unused low bits are not zero),
 *   "nonce_forged": the truncated MAC does not verify under key (tampered, or another
 *     key; compared in constant time),
 *   "nonce_expired": now > expiry, or the expiry field is 2^63 or more (no int64_t value;
 *     *expires_at is then left alone).
 */
tc_status tc_nonce_check(const uint8_t *key, size_t key_len, const char *text, int64_t now,
                         uint8_t raw[TC_NONCE_RAW_LEN], int64_t *expires_at, tc_error *err);

/* --------------------------------------------------------------- binding */

/**
 * The REPORT_DATA (64 bytes) evidence must carry to bind nonce (the decoded nonce
 * bytes) and runtime_data (may be empty):
 *   SNP (SEV-SNP ABI ATTESTATION_REPORT REPORT_DATA) and TDX (TDREPORT REPORTDATA):
 *     SHA-512(nonce || runtime_data);
 *   SGX (REPORT.ReportData): SHA-256(nonce || runtime_data) || 32 zero bytes
 *     (the Intel Trust Authority convention).
 * Errors: TC_ERR_USAGE "unsupported_tee".
 */
tc_status tc_binding_compute(tc_tee tee, const uint8_t *nonce, size_t nonce_len,
                             const uint8_t *runtime_data, size_t runtime_len, uint8_t out[64],
                             tc_error *err);

/**
 * Compare report_data (64 bytes, from the verified claims) with the expected binding
 * (constant time). Errors: TC_ERR_VERIFY "binding_mismatch", or those of
 * tc_binding_compute.
 */
tc_status tc_binding_check(tc_tee tee, const uint8_t report_data[64], const uint8_t *nonce,
                           size_t nonce_len, const uint8_t *runtime_data, size_t runtime_len,
                           tc_error *err);

/* ---------------------------------------------------------------- server */

/** Settings of `teectl serve` (flags and config file). Strings are borrowed: they must
 *  outlive the service. Start from tc_service_options_init(). */
typedef struct tc_service_options {
  const char *listen;          /* "HOST:PORT" (IPv4, or [IPv6]); port 0 picks a free one */
  const char *tls_cert;        /* PEM file; with tls_key: HTTPS */
  const char *tls_key;         /* PEM file */
  int insecure_http;           /* allow plain HTTP on a non-loopback address */
  const char *trust_roots[16]; /* extra trusted root certificates (PEM/DER files) */
  size_t n_trust_roots;
  const char *collateral_dir;  /* collateral folder (see verify.h) or NULL */
  int64_t at;                  /* verification time, seconds since the epoch ... */
  int has_at;                  /* ... used only when set (tests with old evidence) */
  const char *policy;          /* appraisal policy file, NULL: the default policy */
  const char *signing_key;     /* private JWK (ES256, P-256) file, NULL: ephemeral */
  const char *public_keys[16]; /* more public JWKs published in the JWKS (rotation) */
  size_t n_public_keys;
  const char *nonce_key;     /* file with >= 32 secret bytes, NULL: ephemeral */
  const char *resources_dir; /* KBS resource store DIR/<repository>/<type>/<tag>, or NULL */
  const char *session_key;   /* KBS session-cookie secret file (>= 32 bytes), NULL: the nonce key */
  int64_t session_ttl;       /* KBS session lifetime, seconds, default 300 */
  unsigned auth_rate;        /* KBS /auth requests per minute per client address, default 60 */
  int64_t token_ttl;         /* seconds, default 300 */
  int64_t nonce_ttl;         /* seconds, default 300 */
  size_t max_body_bytes;     /* default 1 MiB */
  unsigned max_connections;  /* default 256 */
  unsigned max_connections_per_client; /* from one client IP address; 0: no limit; default 64 */
  const char *metrics_listen;  /* HOST:PORT for /metrics alone (plain HTTP), or NULL: /metrics
                                  on the main address */
  unsigned header_timeout;     /* seconds a new connection may take to send its first request's
                                  headers (then connection_timeout applies); default 5 */
  unsigned connection_timeout; /* seconds of inactivity before a connection is closed; default 10 */
  unsigned request_timeout;    /* seconds from a request's headers to the end of its body: a
                                  slower upload (byte trickle) is dropped; default 30 */
  unsigned threads;            /* worker threads, 0: one per online core */
  unsigned cache_entries;      /* verified endorsements kept in memory (SNP chains; least
                                  recently used dropped first), 0: none; default 256 */
  unsigned drain_timeout;      /* seconds to wait for in-flight requests on stop; default 10 */
  const char *issuer;          /* token "iss", default "teectl" */
  /* Collateral fetching (the options of `teectl verify --fetch`; the CLI turns them into
   * `provider`): fetch = 1 enables it; NULL strings take the collateral area's defaults. */
  int fetch;
  const char *kds_url, *pcs_url, *cache_dir, *api_key_file;
  const char *pcs_ca_file;   /* PEM CA bundle the --pcs-url server's certificate must chain to */
  int offline;               /* cache only, never the network */
  unsigned kds_interval;     /* seconds between requests to a KDS host after a burst; default 10 */
  unsigned fetch_deadline;   /* seconds: one request's fetching ends by then; default 10 */
  unsigned max_fetches;      /* network fetches in progress at once, 0: no limit; default 2 */
  unsigned host_backoff;     /* seconds a host found failing is skipped, doubling per failure
                                in a row; 0: no per-host back-off; default 2 */
  unsigned host_backoff_max; /* seconds, bound of that back-off; default 30 */
  /* Borrowed, thread-safe provider (teectl/collateral.h) that fills what the request and
   * the collateral folder lack, per request; NULL: none. Outlives the service. */
  struct tc_provider *provider;
  /* /readyz (docs/service.md): TEEs ("snp", "tdx", "sgx") that must be verifiable for 200
   * (none: 200 when any is); snp_client_certs = 1: clients send the SNP certificates, so
   * SNP counts as verifiable without a folder or fetching. */
  const char *require_tees[3];
  size_t n_require_tees;
  int snp_client_certs;
  int test_no_nonce; /* TESTS ONLY: accept attest requests without a nonce */
} tc_service_options;

/** Fill defaults (the table's "def" column; see the field comments). */
void tc_service_options_init(tc_service_options *opts);

/* The options' table: the command line (getopt), the JSON config file and --help all read
 * it (the idea of latchset/jose's option tables). Adding an option is one row in
 * src/service/options.c and its field above. */

/** How a value is read: flag text, JSON type. */
typedef enum tc_service_opt_kind {
  TC_SOPT_STRING, /* text, borrowed (JSON string) */
  TC_SOPT_BOOL,   /* a switch without value (JSON true/false), an int field */
  TC_SOPT_UINT,   /* decimal integer in [min, max] (JSON integer); unsigned, int64_t or size_t */
  TC_SOPT_LIST,   /* repeatable (JSON list of strings, or one string), at most max entries */
  TC_SOPT_TIME,   /* RFC 3339 time (JSON string) -> seconds since the epoch, int64_t */
} tc_service_opt_kind;

enum {
  TC_SOPT_SUB = 1u << 0,       /* belongs to the row above (indented in --help) */
  TC_SOPT_FLAG_ONLY = 1u << 1, /* not accepted in a config file */
};

typedef struct tc_service_opt {
  const char *name; /* long flag without "--", and the JSON config key */
  const char *arg;  /* the value's name in --help ("FILE"), NULL for a switch */
  tc_service_opt_kind kind;
  size_t offset; /* of the field in tc_service_options */
  size_t aux;    /* UINT: the field's size; LIST: offset of its count; TIME: of its has_ flag */
  long long min, max; /* UINT: inclusive range; LIST: max entries */
  const char *def;    /* default, as flag text (applied by tc_service_options_init), or NULL */
  unsigned flags;     /* TC_SOPT_SUB, TC_SOPT_FLAG_ONLY */
  const char *doc;    /* help text; '\n' starts another line */
} tc_service_opt;

/** The table (in --help order) and its length. */
extern const tc_service_opt tc_service_opts[];
extern const size_t tc_service_n_opts;

/** The row named name, or NULL. */
const tc_service_opt *tc_service_opt_find(const char *name);

/**
 * Apply a command-line value (text; ignored for a switch) of row d to opts. A LIST flag
 * appends when append is set, else replaces the list (so flags replace a config file's
 * list). Strings are borrowed. Errors: TC_ERR_USAGE "bad_option" with the detail
 * "--NAME: 'TEXT' is not an integer in [MIN, MAX]" (or "... not an RFC 3339 time",
 * "too many --NAME (at most N)").
 */
tc_status tc_service_opt_set(tc_service_options *opts, const tc_service_opt *d, const char *text,
                             int append, tc_error *err);

/** Apply a config file's value v (borrowed: keep it alive while opts is used) of row d.
 *  Errors: TC_ERR_PARSE "config_invalid" naming the key and the type or range wanted. */
tc_status tc_service_opt_set_json(tc_service_options *opts, const tc_service_opt *d, json_t *v,
                                  tc_error *err);

/**
 * Read a JSON config file into opts: an object whose keys are the long flag names
 * ("listen", "policy", "signing-key", "public-key": [..], "trust-root": [..],
 * "token-ttl", "max-body-bytes", "fetch": bool, "kds-url", ...; see docs/service.md). Only keys
 * present change opts. The parsed JSON is kept in *holder (caller json_decref after the service
 * stopped) because opts borrows its strings.
 * Errors: TC_ERR_IO "file_unreadable", TC_ERR_PARSE "config_invalid" (detail names the
 * key or the line/column), TC_ERR_PARSE "config_unknown_key".
 */
tc_status tc_service_config_load(const char *path, tc_service_options *opts, json_t **holder,
                                 tc_error *err);

typedef struct tc_service tc_service;

/**
 * Load keys, policy and collateral, bind and start serving (worker threads).
 * Errors: TC_ERR_USAGE "insecure_http_refused" (plain HTTP on a non-loopback address
 * without insecure_http), "bad_listen_address"; TC_ERR_IO for unreadable files; the
 * errors of the key, policy and collateral loaders; TC_ERR_INTERNAL "listen_failed".
 */
tc_status tc_service_start(const tc_service_options *opts, tc_service **out, tc_error *err);

/** The TCP port actually bound (useful with port 0). */
unsigned tc_service_port(const tc_service *svc);

/** The port --metrics-listen bound (the kernel's choice for port 0), 0 without it. */
unsigned tc_service_metrics_port(const tc_service *svc);

/**
 * Graceful stop: /readyz turns 503, the listening socket closes, in-flight requests
 * finish (up to drain_timeout seconds), then the threads stop and svc is freed. The stop
 * ends at the drain timeout whatever the requests do: when some are still running then,
 * they are abandoned (svc and what it borrows, e.g. the provider, stay allocated for
 * them: the caller should exit the process) and their number is returned; else 0.
 */
unsigned tc_service_stop(tc_service *svc);

#ifdef __cplusplus
}
#endif
#endif
