/* SPDX-License-Identifier: Apache-2.0 */
/* teectl serve: the attestation service (see docs/service.md). */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/collateral_fetch.h"
#include "cli/commands.h"
#include "teectl/collateral.h"
#include "teectl/rfc3339.h"
#include "teectl/service.h"

/* --help: the text around the options' table, and the table itself. */
static void usage(FILE *f) {
  fprintf(f, "Usage: teectl serve [options]\n\n"
             "Run the attestation service: POST /v1/challenge gives a nonce, POST /v1/attest\n"
             "verifies evidence bound to it (the same verifier as 'teectl verify'), appraises it\n"
             "against the policy and answers a signed EAR token (ES256 JWT); GET\n"
             "/.well-known/jwks.json, /healthz, /readyz, /metrics; compat POST /attest, GET\n"
             "/health. Audit records (JSON lines) go to stdout, logs to stderr.\n"
             "With only --listen on a loopback address it runs in development mode: ephemeral\n"
             "signing and nonce keys, the default policy, plain HTTP.\n\n"
             "Options (a config file takes the same names as JSON keys; flags win):\n");
  for (size_t i = 0; i < tc_service_n_opts; i++) {
    const tc_service_opt *d = &tc_service_opts[i];
    int sub = (d->flags & TC_SOPT_SUB) != 0;
    char head[64];
    snprintf(head, sizeof head, "%s--%s%s%s", sub ? "  " : "", d->name, d->arg ? " " : "",
             d->arg ? d->arg : "");
    if (strlen(head) > 25)
      fprintf(f, "  %s\n%28s", head, ""); /* a long name: help on the next line */
    else
      fprintf(f, "  %-25s ", head);
    const char *p = d->doc, *nl;
    for (; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
      fprintf(f, "%.*s\n%28s", (int)(nl - p), p, "");
    fputs(p, f);
    if (d->def != NULL)
      fprintf(f, " (default %s)", d->def);
    fputc('\n', f);
  }
  fprintf(f, "  --config FILE             JSON config file\n"
             "  -h, --help                show this help\n\n"
             "Stops gracefully on SIGTERM or SIGINT. Exit codes: 0 stopped cleanly, 1 the\n"
             "server could not start, 2 usage error or unreadable input (config, keys, policy,\n"
             "collateral folder, trust roots).\n");
}

enum { O_CONFIG = 256, O_TABLE = 512 /* + row index of tc_service_opts */ };

/* getopt's table from the options' table, plus --config and --help. */
static struct option *long_options(void) {
  struct option *lo = calloc(tc_service_n_opts + 3, sizeof *lo);
  if (lo == NULL)
    return NULL;
  size_t n = 0;
  for (size_t i = 0; i < tc_service_n_opts; i++)
    lo[n++] = (struct option){tc_service_opts[i].name,
                              tc_service_opts[i].arg ? required_argument : no_argument, NULL,
                              O_TABLE + (int)i};
  lo[n++] = (struct option){"config", required_argument, NULL, O_CONFIG};
  lo[n++] = (struct option){"help", no_argument, NULL, 'h'};
  return lo;
}

/* Pass 2: the flags over what the config file set. Repeatable flags replace the file's
 * list. Returns 0, or the exit code of a usage error. */
static int apply_flags(int argc, char **argv, const struct option *lo, tc_service_options *o) {
  unsigned char seen[O_TABLE] = {0}; /* tc_service_n_opts < O_TABLE - O_CONFIG */
  tc_error err;
  int c;
  cli_getopt_reset();
  while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
    if (c < O_TABLE)
      continue; /* --config, handled; errors were reported in pass 1 */
    size_t i = (size_t)(c - O_TABLE);
    if (tc_service_opt_set(o, &tc_service_opts[i], optarg, seen[i] != 0, &err) != TC_OK)
      return cli_usage_error("serve", "%s", err.detail);
    seen[i] = 1;
  }
  return 0;
}

/* The options: --help (-1, printed), the --config file, then the flags over it (pass 2);
 * the collateral source options only with --fetch. 0, or the exit code of a usage error or
 * an unreadable config (message printed). *config_holder keeps the file's strings. */
static int read_options(int argc, char **argv, const struct option *lo, tc_service_options *o,
                        json_t **config_holder) {
  /* Pass 1: --help and --config (the file is applied first, then the flags). */
  const char *config = NULL;
  int c;
  cli_getopt_reset();
  while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
    if (c == 'h') {
      usage(stdout);
      return -1;
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
  tc_error err;
  if (config != NULL && tc_service_config_load(config, o, config_holder, &err) != TC_OK) {
    fprintf(stderr, "teectl serve: %s (%s)\n", err.detail, err.reason);
    return CLI_EXIT_USAGE;
  }
  int rc = apply_flags(argc, argv, lo, o);
  if (rc != 0)
    return rc;
  if (!o->fetch &&
      (o->kds_url || o->pcs_url || o->cache_dir || o->api_key_file || o->pcs_ca_file || o->offline))
    return cli_usage_error("serve", "--kds-url, --pcs-url, --cache-dir, --api-key-file, "
                                    "--pcs-ca-file and --offline go with --fetch");
  return 0;
}

/* --fetch: the collateral provider from the options, also set as o->provider (the caller
 * frees it after the service). NULL without --fetch. -1 when it cannot be made (message
 * printed). */
static int make_provider(tc_service_options *o, tc_provider **out) {
  *out = NULL;
  if (!o->fetch)
    return 0;
  cli_fetch_options fo = {.kds_url = o->kds_url,
                          .pcs_url = o->pcs_url,
                          .cache_dir = o->cache_dir,
                          .api_key_file = o->api_key_file,
                          .pcs_ca_file = o->pcs_ca_file,
                          .offline = o->offline,
                          .max_wait_s = -1,
                          .kds_interval_s = o->kds_interval,
                          .fill_deadline_s = o->fetch_deadline,
                          .host_backoff_s = o->host_backoff,
                          .host_backoff_max_s = o->host_backoff_max};
  *out = cli_fetch_provider("serve", &fo);
  if (*out == NULL)
    return -1;
  o->provider = *out;
  return 0;
}

/* The started service's lines on stderr: where it listens, a warning when it has no
 * collateral source, where /metrics is. */
static void announce(const tc_service_options *o, tc_service *svc) {
  cli_listening("serve", o->tls_cert ? "https" : "http", o->listen, tc_service_port(svc));
  if (!o->fetch && o->collateral_dir == NULL)
    fprintf(stderr,
            "teectl serve: WARNING: no --collateral folder and no --fetch: TDX and SGX "
            "quotes cannot be verified, SEV-SNP reports only with the request's "
            "certificates; %s\n",
            o->snp_client_certs
                ? "/readyz counts SEV-SNP as verifiable (--snp-client-certs)"
                : "/readyz answers 503 (add --fetch, --collateral or --snp-client-certs)");
  if (o->metrics_listen != NULL) {
    const char *colon = strrchr(o->metrics_listen, ':');
    int host_len =
        colon != NULL ? (int)(colon - o->metrics_listen) : (int)strlen(o->metrics_listen);
    unsigned mport = tc_service_metrics_port(svc);
    fprintf(stderr, "teectl serve: metrics on http://%.*s:%u/metrics (port %u)\n", host_len,
            o->metrics_listen, mport, mport);
  }
}

/* Wait for SIGTERM or SIGINT (blocked in `stop`), then drain and stop the service. When
 * requests are still running after --drain-timeout, the process ends here (exit 0). */
static void serve_until_stopped(const tc_service_options *o, tc_service *svc,
                                const sigset_t *stop) {
  int sig = 0;
  sigwait(stop, &sig);
  fprintf(stderr, "teectl serve: %s received, draining\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  unsigned abandoned = tc_service_stop(svc);
  if (abandoned > 0) {
    /* The drain ends at --drain-timeout whatever the requests do: leave the ones still
     * running (their threads use the service and the provider) and end the process now,
     * without the exit handlers that would wait for them or free under them. */
    fprintf(stderr,
            "teectl serve: %u request%s still running after the drain timeout (%u s), "
            "stopped without %s\n",
            abandoned, abandoned == 1 ? "" : "s", o->drain_timeout, abandoned == 1 ? "it" : "them");
    fflush(NULL);
    _exit(CLI_EXIT_OK);
  }
}

/* Start the service with the stop signals blocked in every thread (the main thread waits
 * for them), and run it until stopped. The exit code; the caller frees o->provider after. */
static int run_service(tc_service_options *o) {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);
  tc_service *svc = NULL;
  tc_error err;
  tc_error_clear(&err);
  if (tc_service_start(o, &svc, &err) != TC_OK) {
    fprintf(stderr, "teectl serve: %s (%s)\n", err.detail, err.reason);
    return err.status == TC_ERR_INTERNAL ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
  }
  announce(o, svc);
  serve_until_stopped(o, svc, &stop);
  fprintf(stderr, "teectl serve: stopped\n");
  return CLI_EXIT_OK;
}

int cmd_serve(int argc, char **argv) {
  tc_service_options o;
  tc_service_options_init(&o);
  json_t *config_holder = NULL;
  struct option *lo = long_options();
  if (lo == NULL) {
    fprintf(stderr, "teectl serve: out of memory\n");
    return CLI_EXIT_USAGE;
  }
  tc_provider *provider = NULL;
  int rc = read_options(argc, argv, lo, &o, &config_holder);
  if (rc < 0)
    rc = CLI_EXIT_OK;
  else if (rc == 0)
    rc = make_provider(&o, &provider) != 0 ? CLI_EXIT_USAGE : run_service(&o);
  tc_provider_free(provider);
  json_decref(config_holder);
  free(lo);
  return rc;
}
