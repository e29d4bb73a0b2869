/* SPDX-License-Identifier: Apache-2.0 */
/* teectl serve: the attestation service (see docs/service.md). */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/collateral_fetch.h"
#include "cli/commands.h"
#include "teectl/collateral.h"
#include "teectl/rfc3339.h"
#include "teectl/service.h"

static void usage(FILE *f) {
  fprintf(f,
          "Usage: teectl serve [options]\n\n"
          "Run the attestation service: POST /v1/challenge gives a nonce, POST /v1/attest\n"
          "verifies evidence bound to it (the same verifier as 'teectl verify'), appraises it\n"
          "against the policy and answers a signed EAR token (ES256 JWT); GET\n"
          "/.well-known/jwks.json, /healthz, /readyz, /metrics; compat POST /attest, GET\n"
          "/health. Audit records (JSON lines) go to stdout, logs to stderr.\n"
          "With only --listen on a loopback address it runs in development mode: ephemeral\n"
          "signing and nonce keys, the default policy, plain HTTP.\n\n"
          "Options (a config file takes the same names as JSON keys; flags win):\n"
          "  --listen HOST:PORT        address to listen on (default 127.0.0.1:8443; port 0:\n"
          "                            any free port, printed on stderr)\n"
          "  --tls-cert FILE           PEM certificate chain; with --tls-key: HTTPS\n"
          "  --tls-key FILE            PEM private key\n"
          "  --insecure-http           allow plain HTTP on a non-loopback address\n"
          "  --policy FILE             appraisal policy, JSON or YAML (docs/policy.md);\n"
          "                            reloaded when the file changes (default: the strict\n"
          "                            default policy)\n"
          "  --signing-key FILE        token signing key: EC P-256 private key, PEM or JWK\n"
          "                            (default: ephemeral)\n"
          "  --public-key FILE         extra public key for the JWKS (rotation); repeatable\n"
          "  --nonce-key FILE          secret for nonce MACs, >= 32 bytes (default: ephemeral)\n"
          "  --trust-root FILE         also trust this root certificate (PEM or DER); repeatable\n"
          "  --collateral DIR          collateral folder (as for 'teectl verify')\n"
          "  --fetch                   fetch collateral the request and folder lack (cache,\n"
          "                            then AMD KDS / Intel PCS), as 'teectl verify --fetch':\n"
          "    --kds-url URL           AMD KDS base URL\n"
          "    --pcs-url URL           Intel PCS or PCCS base URL\n"
          "    --cache-dir DIR         collateral cache folder (default: the user cache)\n"
          "    --api-key-file FILE     Intel PCS subscription key\n"
          "    --offline               cache only, never the network\n"
          "  --at RFC3339              verification time (tests with old evidence; default now)\n"
          "  --token-ttl SECONDS       token lifetime (default 300)\n"
          "  --nonce-ttl SECONDS       nonce lifetime (default 300)\n"
          "  --issuer TEXT             token \"iss\" (default teectl)\n"
          "  --max-body-bytes N        request body limit (default 1048576)\n"
          "  --max-connections N       concurrent connections (default 256)\n"
          "  --connection-timeout S    close connections idle this long (default 10)\n"
          "  --request-timeout S       drop a request whose body takes longer (default 30)\n"
          "  --threads N               worker threads (default: one per core)\n"
          "  --drain-timeout S         on SIGTERM, wait this long for requests (default 10)\n"
          "  --config FILE             JSON config file\n"
          "  --test-no-nonce           TESTS ONLY: accept attest requests without a nonce\n"
          "  -h, --help                show this help\n\n"
          "Stops gracefully on SIGTERM or SIGINT. Exit codes: 0 stopped cleanly, 1 the\n"
          "server could not start, 2 usage error or unreadable input (config, keys, policy,\n"
          "collateral folder, trust roots).\n");
}

enum {
  O_LISTEN = 256,
  O_TLS_CERT,
  O_TLS_KEY,
  O_INSECURE,
  O_POLICY,
  O_SIGNING_KEY,
  O_PUBLIC_KEY,
  O_NONCE_KEY,
  O_TRUST_ROOT,
  O_COLLATERAL,
  O_AT,
  O_TOKEN_TTL,
  O_NONCE_TTL,
  O_ISSUER,
  O_MAX_BODY,
  O_MAX_CONN,
  O_CONN_TIMEOUT,
  O_REQ_TIMEOUT,
  O_THREADS,
  O_DRAIN,
  O_CONFIG,
  O_TEST_NO_NONCE,
  O_FETCH,
  O_KDS_URL,
  O_PCS_URL,
  O_CACHE_DIR,
  O_API_KEY_FILE,
  O_OFFLINE,
};

static const struct option long_opts[] = {
    {"listen", required_argument, NULL, O_LISTEN},
    {"tls-cert", required_argument, NULL, O_TLS_CERT},
    {"tls-key", required_argument, NULL, O_TLS_KEY},
    {"insecure-http", no_argument, NULL, O_INSECURE},
    {"policy", required_argument, NULL, O_POLICY},
    {"signing-key", required_argument, NULL, O_SIGNING_KEY},
    {"public-key", required_argument, NULL, O_PUBLIC_KEY},
    {"nonce-key", required_argument, NULL, O_NONCE_KEY},
    {"trust-root", required_argument, NULL, O_TRUST_ROOT},
    {"collateral", required_argument, NULL, O_COLLATERAL},
    {"at", required_argument, NULL, O_AT},
    {"token-ttl", required_argument, NULL, O_TOKEN_TTL},
    {"nonce-ttl", required_argument, NULL, O_NONCE_TTL},
    {"issuer", required_argument, NULL, O_ISSUER},
    {"max-body-bytes", required_argument, NULL, O_MAX_BODY},
    {"max-connections", required_argument, NULL, O_MAX_CONN},
    {"connection-timeout", required_argument, NULL, O_CONN_TIMEOUT},
    {"request-timeout", required_argument, NULL, O_REQ_TIMEOUT},
    {"threads", required_argument, NULL, O_THREADS},
    {"drain-timeout", required_argument, NULL, O_DRAIN},
    {"config", required_argument, NULL, O_CONFIG},
    {"test-no-nonce", no_argument, NULL, O_TEST_NO_NONCE},
    {"fetch", no_argument, NULL, O_FETCH},
    {"kds-url", required_argument, NULL, O_KDS_URL},
    {"pcs-url", required_argument, NULL, O_PCS_URL},
    {"cache-dir", required_argument, NULL, O_CACHE_DIR},
    {"api-key-file", required_argument, NULL, O_API_KEY_FILE},
    {"offline", no_argument, NULL, O_OFFLINE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse_num(const char *opt, const char *text, long long min, long long max,
                     long long *out) {
  char *end;
  long long v = strtoll(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v < min || v > max) {
    cli_usage_error("serve", "--%s: '%s' is not an integer in [%lld, %lld]", opt, text, min, max);
    return -1;
  }
  *out = v;
  return 0;
}

int cmd_serve(int argc, char **argv) {
  tc_service_options o;
  tc_service_options_init(&o);
  json_t *config_holder = NULL;
  tc_error err;
  tc_error_clear(&err);
  int c;

  /* Pass 1: --help and --config (the file is applied first, then the flags). */
  const char *config = NULL;
  cli_getopt_reset();
  while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
    if (c == 'h') {
      usage(stdout);
      return CLI_EXIT_OK;
    }
    if (c == O_CONFIG)
      config = optarg;
    else if (c == ':')
      return cli_usage_error("serve", "option '%s' needs a value", argv[optind - 1]);
    else if (c == '?')
      return cli_usage_error("serve", "unknown option '%s'", argv[optind - 1]);
  }
  if (optind != argc)
    return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
  if (config != NULL && tc_service_config_load(config, &o, &config_holder, &err) != TC_OK) {
    fprintf(stderr, "teectl serve: %s (%s)\n", err.detail, err.reason);
    return CLI_EXIT_USAGE;
  }

  /* Pass 2: flags. Repeatable flags replace the config file's list. */
  int rc = CLI_EXIT_USAGE;
  int roots_from_flags = 0, pubs_from_flags = 0;
  long long n;
  cli_getopt_reset();
  while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
    switch (c) {
    case O_LISTEN:
      o.listen = optarg;
      break;
    case O_TLS_CERT:
      o.tls_cert = optarg;
      break;
    case O_TLS_KEY:
      o.tls_key = optarg;
      break;
    case O_INSECURE:
      o.insecure_http = 1;
      break;
    case O_POLICY:
      o.policy = optarg;
      break;
    case O_SIGNING_KEY:
      o.signing_key = optarg;
      break;
    case O_PUBLIC_KEY:
      if (!pubs_from_flags++)
        o.n_public_keys = 0;
      if (o.n_public_keys == sizeof o.public_keys / sizeof o.public_keys[0]) {
        cli_usage_error("serve", "too many --public-key (at most 16)");
        goto out;
      }
      o.public_keys[o.n_public_keys++] = optarg;
      break;
    case O_NONCE_KEY:
      o.nonce_key = optarg;
      break;
    case O_TRUST_ROOT:
      if (!roots_from_flags++)
        o.n_trust_roots = 0;
      if (o.n_trust_roots == sizeof o.trust_roots / sizeof o.trust_roots[0]) {
        cli_usage_error("serve", "too many --trust-root (at most 16)");
        goto out;
      }
      o.trust_roots[o.n_trust_roots++] = optarg;
      break;
    case O_COLLATERAL:
      o.collateral_dir = optarg;
      break;
    case O_AT:
      if (tc_rfc3339_parse(optarg, &o.at, &err) != TC_OK) {
        cli_usage_error("serve", "--at: '%s' is not an RFC 3339 time", optarg);
        goto out;
      }
      o.has_at = 1;
      break;
    case O_TOKEN_TTL:
      if (parse_num("token-ttl", optarg, 1, 86400, &n) != 0)
        goto out;
      o.token_ttl = n;
      break;
    case O_NONCE_TTL:
      if (parse_num("nonce-ttl", optarg, 1, 86400, &n) != 0)
        goto out;
      o.nonce_ttl = n;
      break;
    case O_ISSUER:
      o.issuer = optarg;
      break;
    case O_MAX_BODY:
      if (parse_num("max-body-bytes", optarg, 1024, 64LL << 20, &n) != 0)
        goto out;
      o.max_body_bytes = (size_t)n;
      break;
    case O_MAX_CONN:
      if (parse_num("max-connections", optarg, 1, 65536, &n) != 0)
        goto out;
      o.max_connections = (unsigned)n;
      break;
    case O_CONN_TIMEOUT:
      if (parse_num("connection-timeout", optarg, 1, 3600, &n) != 0)
        goto out;
      o.connection_timeout = (unsigned)n;
      break;
    case O_REQ_TIMEOUT:
      if (parse_num("request-timeout", optarg, 1, 3600, &n) != 0)
        goto out;
      o.request_timeout = (unsigned)n;
      break;
    case O_THREADS:
      if (parse_num("threads", optarg, 0, 1024, &n) != 0)
        goto out;
      o.threads = (unsigned)n;
      break;
    case O_DRAIN:
      if (parse_num("drain-timeout", optarg, 0, 3600, &n) != 0)
        goto out;
      o.drain_timeout = (unsigned)n;
      break;
    case O_TEST_NO_NONCE:
      o.test_no_nonce = 1;
      break;
    case O_FETCH:
      o.fetch = 1;
      break;
    case O_KDS_URL:
      o.kds_url = optarg;
      break;
    case O_PCS_URL:
      o.pcs_url = optarg;
      break;
    case O_CACHE_DIR:
      o.cache_dir = optarg;
      break;
    case O_API_KEY_FILE:
      o.api_key_file = optarg;
      break;
    case O_OFFLINE:
      o.offline = 1;
      break;
    default:
      break; /* --config, handled; errors were reported in pass 1 */
    }
  }

  if (!o.fetch && (o.kds_url || o.pcs_url || o.cache_dir || o.api_key_file || o.offline)) {
    cli_usage_error(
        "serve", "--kds-url, --pcs-url, --cache-dir, --api-key-file and --offline go with --fetch");
    goto out;
  }
  tc_provider *provider = NULL;
  if (o.fetch) {
    cli_fetch_options fo = {.kds_url = o.kds_url,
                            .pcs_url = o.pcs_url,
                            .cache_dir = o.cache_dir,
                            .api_key_file = o.api_key_file,
                            .offline = o.offline,
                            .max_wait_s = -1};
    provider = cli_fetch_provider("serve", &fo);
    if (provider == NULL)
      goto out;
    o.provider = provider;
  }

  /* Block the stop signals in every thread; the main thread waits for them. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);

  tc_service *svc = NULL;
  if (tc_service_start(&o, &svc, &err) != TC_OK) {
    fprintf(stderr, "teectl serve: %s (%s)\n", err.detail, err.reason);
    rc = err.status == TC_ERR_INTERNAL ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
    tc_provider_free(provider);
    goto out;
  }
  cli_listening("serve", o.tls_cert ? "https" : "http", o.listen, tc_service_port(svc));
  int sig = 0;
  sigwait(&stop, &sig);
  fprintf(stderr, "teectl serve: %s received, draining\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  tc_service_stop(svc);
  tc_provider_free(provider);
  fprintf(stderr, "teectl serve: stopped\n");
  rc = CLI_EXIT_OK;
out:
  json_decref(config_holder);
  return rc;
}
