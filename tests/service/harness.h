/* SPDX-License-Identifier: Apache-2.0 */
/* Test harness for the attestation service: start the real `teectl serve` binary
 * ($TEECTL_BIN) on loopback with a free port, talk to it over HTTP (libcurl), stop it
 * with SIGTERM, and check tokens with the independent checker (check_token.py). */
#ifndef TEECTL_TESTS_SERVICE_HARNESS_H
#define TEECTL_TESTS_SERVICE_HARNESS_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct srv {
  pid_t pid;
  unsigned port;
  char dir[256]; /* private temp folder (audit.jsonl, stderr.txt, files the test writes) */
} srv;

/** Make a temp folder in s->dir (no server yet). */
void srv_init(srv *s);

/** Start `teectl serve --listen 127.0.0.1:0 ARGS...` (args NULL-terminated); waits until it
 *  listens (10 s max). Returns 0 or -1 (the server's stderr is printed). */
int srv_start(srv *s, const char *const *args);

/** SIGTERM and wait (10 s max, then SIGKILL). Returns the exit code, or -1. */
int srv_stop(srv *s);

/** Remove the temp folder. */
void srv_cleanup(srv *s);

/** Path of a file in the server's temp folder (static buffer, overwritten per call). */
const char *srv_path(const srv *s, const char *name);

/** What the server wrote to stderr so far (stderr.txt), NUL-terminated, malloc'd. */
char *srv_stderr(const srv *s);

/** Write a file (whole) in the temp folder; returns its path (malloc'd). */
char *srv_write(const srv *s, const char *name, const void *data, size_t len);

/** One HTTP request. ctype NULL: no Content-Type header. Returns the status (0 on
 *  transport failure); *body (malloc'd, NUL-terminated) if body != NULL. */
long http(const srv *s, const char *method, const char *path, const char *ctype, const char *data,
          size_t len, char **body);

/** POST a JSON value (stolen) to path; *resp gets the parsed answer (or NULL). */
long http_json(const srv *s, const char *path, json_t *req, json_t **resp);

/** "error" string of a JSON answer ("" if none). */
const char *resp_error(const json_t *resp);

/** Check token with check_token.py against the JWKS fetched from the server and the
 *  expectations (stolen). Returns the checker's exit code. */
int check_token(const srv *s, const char *token, json_t *expect);

/** Queue a token check (the JWKS is fetched from the server now); all queued checks run
 *  in one check_token.py process by token_batch_run, which returns its exit code (0: all
 *  verified and matched; a batch with no tokens fails). */
void token_batch_add(const srv *s, const char *name, const char *token, json_t *expect);
int token_batch_run(void);

/** Standard base64 of bytes (malloc'd), computed with OpenSSL's EVP_EncodeBlock. */
char *b64_std(const unsigned char *data, size_t len);

/** Decode base64url text (any length) with OpenSSL's EVP_DecodeBlock into out; returns
 *  the byte count or -1. */
long b64url_decode(const char *text, unsigned char *out, size_t cap);

/** DER certificate -> PEM text (malloc'd), with OpenSSL. */
char *der_to_pem(const unsigned char *der, size_t len);

/** A nonce, written out here (not taken from teectl/service.h) so the tests check the
 *  layout: 32 random bytes + 8-byte expiry + 16-byte truncated HMAC-SHA-256 = 56 bytes,
 *  base64url without padding: ceil(56 * 4 / 3) = 75 characters (RFC 9711 allows a JWT
 *  eat_nonce of 8..88). */
#define SRV_NONCE_BYTES 56
#define SRV_NONCE_CHARS 75

/** POST /v1/challenge: returns the nonce text (malloc'd, 75 base64url characters) and its
 *  56 decoded bytes (32 random + 8 expiry + 16 MAC; decoded here with OpenSSL), or NULL. */
char *srv_challenge(const srv *s, unsigned char raw[SRV_NONCE_BYTES]);

/** A TCP connection to the server (loopback), or -1 (the reason on stderr). */
int srv_connect(const srv *s);

/** Read until EOF or timeout_ms of silence; returns bytes read (buf NUL-terminated), or -1
 *  on timeout (the connection still open). */
long srv_read_all(int fd, char *buf, size_t cap, int timeout_ms);

/** Count lines of the audit log containing needle. */
int audit_count(const srv *s, const char *needle);
/* The first line of the server's audit log that contains needle (malloc'd), NULL if none. */
char *audit_line(const srv *s, const char *needle);

/** The value of the series named exactly `series` (name and labels, e.g.
 *  `teectl_verified_cache_entries{kind="dcap"}`) in a Prometheus text body into *value: 0,
 *  or -1 when it is absent or not a whole number (the body on stderr). */
int srv_metric(const char *body, const char *series, unsigned long long *value);

#endif
