/* SPDX-License-Identifier: Apache-2.0 */
/* teectl token verify: check an EAR attestation result token (JWT, ES256) for a relying
 * party against a JWKS from a file or an http(s) URL, and print its claims. */
#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/commands.h"
#if TEECTL_CLI_PROGRAM >= TEECTL_CLI_FULL /* a JWKS URL is fetched in teectl-full */
#include <curl/curl.h>
#endif
#include "teectl/appraisal.h"
#include "teectl/ear.h"
#include "teectl/file.h"
#include "teectl/rfc3339.h"
#include "teectl/strbuf.h"

#define TOKEN_MAX (1u << 20)
#define JWKS_MAX (1u << 20)

static void usage(FILE *f) {
  fprintf(f, "Usage: teectl token verify [options] TOKEN|FILE|-\n\n"
             "Verify an EAR attestation result token (JWT signed ES256, as issued by\n"
             "teectl serve) for a relying party: the signature with the JWKS key named by the\n"
             "token's kid, the algorithm (only ES256 is accepted), and exp / nbf / iat at the\n"
             "verification time; then print the claims (ear.status per TEE submodule, failed\n"
             "rules, trustworthiness vector, measurements, runtime_data, ...).\n"
             "TOKEN is the compact token itself, a file holding it, or - for standard input.\n\n"
             "Options:\n"
             "  --jwks FILE|URL       the verifier's JWK set (GET /.well-known/jwks.json);\n"
             "                        http:// or https:// URLs are fetched (required)\n"
             "  --at RFC3339          verification time (default: now), e.g. 2025-07-18T00:00:00Z\n"
             "  --leeway SECONDS      clock skew allowed on exp/nbf/iat, 0..3600 (default 0)\n"
             "  --nonce NONCE         require eat_nonce to be exactly NONCE (your challenge)\n"
             "  --issuer ISS          require \"iss\" to be exactly ISS (teectl serve --issuer)\n"
             "  --min-status affirming|warning\n"
             "                        require every submodule's ear.status to be at least this\n"
             "                        (default: any status the token carries)\n"
             "  --format text|json    output format (default text)\n"
             "  -h, --help            show this help\n\n"
             "Exit codes: 0 valid, 1 invalid (the reason code says why: token_expired,\n"
             "token_signature_invalid, token_kid_unknown, token_alg_unsupported,\n"
             "token_nonce_mismatch, token_issuer_mismatch, token_status_insufficient, ...),\n"
             "2 usage error or unreadable input (token, JWKS).\n");
}

#if TEECTL_CLI_PROGRAM >= TEECTL_CLI_FULL
/* Fetch an http(s) URL into *out (NUL-terminated). Returns 0, or -1 with msg filled. */
static int fetch_url(const char *url, tc_sink *out, char *msg, size_t cap) {
  char errbuf[CURL_ERROR_SIZE] = "";
  CURL *h = curl_easy_init();
  if (!h) {
    snprintf(msg, cap, "libcurl could not start");
    return -1;
  }
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, tc_sink_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
  CURLcode rc = curl_easy_perform(h);
  curl_easy_cleanup(h);
  if (rc != CURLE_OK) {
    snprintf(msg, cap, "%s",
             out->overflow ? "response larger than 1 MiB"
             : errbuf[0]   ? errbuf
                           : curl_easy_strerror(rc));
    return -1;
  }
  if (!out->buf.s) {
    snprintf(msg, cap, "empty response");
    return -1;
  }
  return 0;
}

#endif

static int is_url(const char *where) {
  return strncmp(where, "http://", 7) == 0 || strncmp(where, "https://", 8) == 0;
}

static json_t *load_jwks(const char *where) {
  json_error_t jerr;
  json_t *j = NULL;
#if TEECTL_CLI_PROGRAM >= TEECTL_CLI_FULL
  if (is_url(where)) {
    tc_sink s = {.max = JWKS_MAX};
    char msg[300];
    if (fetch_url(where, &s, msg, sizeof msg) != 0) {
      fprintf(stderr, "teectl token verify: cannot fetch JWKS %s: %s\n", where, msg);
      tc_strbuf_free(&s.buf);
      return NULL;
    }
    j = json_loadb(s.buf.s, s.buf.len, JSON_REJECT_DUPLICATES, &jerr);
    tc_strbuf_free(&s.buf);
  } else
#endif
  {
    tc_buf b;
    tc_error err;
    if (tc_file_read(where, JWKS_MAX, &b, &err) != TC_OK) {
      fprintf(stderr, "teectl token verify: JWKS %s\n", err.detail);
      return NULL;
    }
    j = json_loadb((const char *)b.data, b.len, JSON_REJECT_DUPLICATES, &jerr);
    tc_buf_free(&b);
  }
  if (!j) {
    fprintf(stderr, "teectl token verify: JWKS %s:%d:%d: %s\n", where, jerr.line, jerr.column,
            jerr.text);
    return NULL;
  }
  /* A relying party needs public keys only. A JWKS with private members (RFC 7518 6.2.2,
   * 6.3.2 EC/RSA private parts, 6.4.1 a symmetric "k") is a key leak or a mix-up (the
   * signer's key file given instead of its JWKS): refused rather than used silently. */
  static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};
  size_t i;
  json_t *key;
  json_array_foreach(json_object_get(j, "keys"), i, key) {
    for (size_t m = 0; m < sizeof private_members / sizeof private_members[0]; m++)
      if (json_object_get(key, private_members[m]) != NULL) {
        const char *kid = json_string_value(json_object_get(key, "kid"));
        fprintf(stderr,
                "teectl token verify: JWKS %s: key #%zu%s%s%s holds private member '%s'; a JWKS "
                "for verification must hold public keys only (refusing it: publish the public "
                "JWKS, e.g. the service's /.well-known/jwks.json)\n",
                where, i, kid ? " (kid " : "", kid ? kid : "", kid ? ")" : "", private_members[m]);
        json_decref(j);
        return NULL;
      }
  }
  return j;
}

/* The token text: standard input ("-"), an existing file, or else the argument itself
 * (a token, even a damaged one: tc_ear_verify says what is malformed). An argument with a
 * '/' is a path, never a token (base64url has no '/'): a missing file is unreadable input.
 * Surrounding whitespace is removed. *from_arg tells whether the argument was the token. */
static char *read_token(const char *arg, int *from_arg) {
  char *text = NULL;
  size_t len = 0;
  struct stat st;
  *from_arg = 0;
  if (strcmp(arg, "-") == 0) {
    text = malloc(TOKEN_MAX + 1);
    if (!text)
      return NULL;
    len = fread(text, 1, TOKEN_MAX + 1, stdin);
    if (len > TOKEN_MAX) {
      fprintf(stderr, "teectl token verify: token on standard input is larger than 1 MiB\n");
      free(text);
      return NULL;
    }
    text[len] = '\0';
  } else if (stat(arg, &st) != 0 && strchr(arg, '/') == NULL) {
    if (strlen(arg) > TOKEN_MAX) {
      fprintf(stderr, "teectl token verify: token argument is larger than 1 MiB\n");
      return NULL;
    }
    text = strdup(arg);
    *from_arg = 1;
  } else {
    tc_buf b;
    tc_error err;
    if (tc_file_read(arg, TOKEN_MAX, &b, &err) != TC_OK) {
      fprintf(stderr, "teectl token verify: %s\n", err.detail);
      return NULL;
    }
    text = malloc(b.len + 1);
    if (text) {
      memcpy(text, b.data, b.len);
      text[b.len] = '\0';
    }
    tc_buf_free(&b);
  }
  if (!text) {
    fprintf(stderr, "teectl token verify: out of memory\n");
    return NULL;
  }
  char *start = text;
  while (*start && isspace((unsigned char)*start))
    start++;
  len = strlen(start);
  while (len && isspace((unsigned char)start[len - 1]))
    start[--len] = '\0';
  memmove(text, start, len + 1);
  return text;
}

static void print_time(const char *label, const json_t *v) {
  char buf[21];
  if (json_is_integer(v))
    printf("%-12s %s\n", label, tc_rfc3339_format(json_integer_value(v), buf));
}

static void print_scalar(const char *indent, const char *key, const json_t *v) {
  char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  if (json_is_string(v))
    printf("%s%-26s %s\n", indent, key, json_string_value(v));
  else
    printf("%s%-26s %s\n", indent, key, t ? t : "?");
  free(t);
}

static void print_text(const json_t *claims) {
  printf("token: valid\n");
  const char *iss = json_string_value(json_object_get(claims, "iss"));
  if (iss)
    printf("%-12s %s\n", "issuer", iss);
  print_time("issued", json_object_get(claims, "iat"));
  print_time("expires", json_object_get(claims, "exp"));
  const char *nonce = json_string_value(json_object_get(claims, "eat_nonce"));
  if (nonce)
    printf("%-12s %s\n", "nonce", nonce);
  const char *profile = json_string_value(json_object_get(claims, "eat_profile"));
  printf("%-12s %s\n", "profile", profile ? profile : "?");
  const char *name;
  const json_t *sm;
  json_object_foreach(json_object_get(claims, "submods"), name, sm) {
    printf("submod %s: %s (policy %s)\n", name,
           json_string_value(json_object_get(sm, "ear.status")),
           json_string_value(json_object_get(sm, "ear.appraisal-policy-id"))
               ? json_string_value(json_object_get(sm, "ear.appraisal-policy-id"))
               : "?");
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(sm, "failed_rules"), i, r) {
      printf("  %-26s %s: %s: %s\n", "rule", json_string_value(json_object_get(r, "status")),
             json_string_value(json_object_get(r, "rule")),
             json_string_value(json_object_get(r, "detail")));
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)sm, k, v) {
      if (strcmp(k, "ear.status") == 0 || strcmp(k, "ear.appraisal-policy-id") == 0 ||
          strcmp(k, "failed_rules") == 0)
        continue;
      print_scalar("  ", k, v);
    }
  }
}

/* The relying party's own checks on a token whose signature and times are good. */
static tc_status relying_party_checks(const json_t *claims, const char *nonce, const char *issuer,
                                      int min_status, tc_error *err) {
  if (issuer) {
    const char *got = json_string_value(json_object_get(claims, "iss"));
    if (!got || strcmp(got, issuer) != 0)
      return tc_fail(err, TC_ERR_VERIFY, "token_issuer_mismatch", "iss is %s%s%s, expected %s",
                     got ? "\"" : "", got ? got : "absent", got ? "\"" : "", issuer);
  }
  if (nonce) {
    const char *got = json_string_value(json_object_get(claims, "eat_nonce"));
    if (!got || strcmp(got, nonce) != 0)
      return tc_fail(err, TC_ERR_VERIFY, "token_nonce_mismatch", "eat_nonce is %s%s%s, expected %s",
                     got ? "\"" : "", got ? got : "absent", got ? "\"" : "", nonce);
  }
  if (min_status >= 0) {
    const char *name;
    const json_t *sm;
    json_object_foreach(json_object_get(claims, "submods"), name, sm) {
      int s = tc_ear_status_from_name(json_string_value(json_object_get(sm, "ear.status")));
      if (s < 0 || s == TC_EAR_NONE || s > min_status)
        return tc_fail(err, TC_ERR_VERIFY, "token_status_insufficient",
                       "submods.%s ear.status is %s, at least %s is required", name,
                       s < 0 ? "unknown" : tc_ear_status_name((tc_ear_status)s),
                       tc_ear_status_name((tc_ear_status)min_status));
    }
  }
  return TC_OK;
}

static int verify(int argc, char **argv) {
  static const struct option opts[] = {{"jwks", required_argument, NULL, 'j'},
                                       {"at", required_argument, NULL, 'a'},
                                       {"leeway", required_argument, NULL, 'l'},
                                       {"format", required_argument, NULL, 'f'},
                                       {"nonce", required_argument, NULL, 'n'},
                                       {"min-status", required_argument, NULL, 's'},
                                       {"issuer", required_argument, NULL, 'i'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *jwks_arg = NULL, *nonce = NULL, *issuer = NULL;
  int min_status = -1;
  int64_t at = (int64_t)time(NULL), leeway = 0;
  int json = 0;
  tc_error err;
  cli_getopt_reset();
  int c;
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    switch (c) {
    case 'j':
      jwks_arg = optarg;
      break;
    case 'a':
      if (tc_rfc3339_parse(optarg, &at, &err) != TC_OK)
        return cli_usage_error("token verify", "--at: %s", err.detail);
      break;
    case 'l': {
      char *end = NULL;
      long v = strtol(optarg, &end, 10);
      if (!optarg[0] || *end || v < 0 || v > 3600)
        return cli_usage_error("token verify", "--leeway: '%s' is not 0..3600 seconds", optarg);
      leeway = v;
      break;
    }
    case 'n':
      nonce = optarg;
      break;
    case 'i':
      issuer = optarg;
      break;
    case 's':
      min_status = tc_ear_status_from_name(optarg);
      if (min_status != TC_EAR_AFFIRMING && min_status != TC_EAR_WARNING)
        return cli_usage_error("token verify", "--min-status: '%s' is not affirming or warning",
                               optarg);
      break;
    case 'f':
      if (strcmp(optarg, "json") == 0)
        json = 1;
      else if (strcmp(optarg, "text") == 0)
        json = 0;
      else
        return cli_usage_error("token verify", "unknown format '%s' (text or json)", optarg);
      break;
    case 'h':
      usage(stdout);
      return CLI_EXIT_OK;
    case ':':
      return cli_usage_error("token verify", "option '%s' needs a value", argv[optind - 1]);
    default:
      return cli_usage_error("token verify", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind != argc - 1)
    return cli_usage_error("token verify", "expected exactly one TOKEN (or -)");
  if (!jwks_arg)
    return cli_usage_error("token verify", "--jwks FILE|URL is required");
#if TEECTL_CLI_PROGRAM < TEECTL_CLI_FULL
  if (is_url(jwks_arg)) /* fetching (libcurl) is in teectl-full: the same command line there */
    return cli_forward("token", TEECTL_CLI_FULL);
#endif

  int from_arg = 0;
  char *token = read_token(argv[optind], &from_arg);
  if (!token)
    return CLI_EXIT_USAGE;
  json_t *jwks = load_jwks(jwks_arg);
  if (!jwks) {
    free(token);
    return CLI_EXIT_USAGE;
  }
  json_t *claims = NULL;
  tc_status st = tc_ear_verify(token, jwks, at, leeway, &claims, &err);
  free(token);
  json_decref(jwks);
  if (st == TC_ERR_PARSE && strcmp(err.reason, "jwks_invalid") == 0) {
    fprintf(stderr, "teectl token verify: JWKS %s: %s\n", jwks_arg, err.detail);
    return CLI_EXIT_USAGE;
  }
  if (st == TC_ERR_NOMEM || st == TC_ERR_INTERNAL || st == TC_ERR_USAGE) {
    fprintf(stderr, "teectl token verify: %s: %s\n", err.reason, err.detail);
    return CLI_EXIT_USAGE;
  }
  if (st != TC_OK && from_arg && strcmp(err.reason, "token_malformed") == 0) {
    /* Say how the argument was taken: a mistyped file name lands here too. */
    size_t n = strlen(err.detail);
    snprintf(err.detail + n, sizeof err.detail - n, " (no file of that name: read as a token)");
  }
  if (st == TC_OK)
    st = relying_party_checks(claims, nonce, issuer, min_status, &err);
  if (json) {
    json_t *out = st == TC_OK ? json_pack("{s:b, s:O}", "valid", 1, "claims", claims)
                              : json_pack("{s:b, s:s, s:s}", "valid", 0, "reason", err.reason,
                                          "detail", err.detail);
    char *t = out ? json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (t)
      printf("%s\n", t);
    free(t);
    json_decref(out);
  } else if (st == TC_OK) {
    print_text(claims);
  } else {
    printf("token: invalid\nreason: %s\ndetail: %s\n", err.reason, err.detail);
  }
  json_decref(claims);
  return st == TC_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

static void token_usage(FILE *f) {
  fprintf(f, "Usage: teectl token <command> [options]\n\n"
             "Commands:\n"
             "  verify    verify an EAR attestation result token against a JWKS\n\n"
             "Run 'teectl token verify --help' for its options and exit codes.\n"
             "Exit codes: 2 missing or unknown command.\n");
}

int cmd_token(int argc, char **argv) {
  if (argc < 2) {
    token_usage(stderr);
    return CLI_EXIT_USAGE;
  }
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    token_usage(stdout);
    return CLI_EXIT_OK;
  }
  if (strcmp(argv[1], "verify") == 0)
    return verify(argc - 1, argv + 1);
  if (argv[1][0] == '-')
    return cli_usage_error("token", "unknown option '%s'", argv[1]);
  return cli_usage_error("token", "unknown command '%s'", argv[1]);
}
