/* SPDX-License-Identifier: Apache-2.0 */
/* teectl verify: verify one piece of evidence offline and print the verdict. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/collateral_fetch.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "crypto/x509.h"
#include "teectl/file.h"
#include "teectl/rfc3339.h"
#include "teectl/verify.h"

static void usage(FILE *f) {
  fprintf(f, "Usage: teectl verify [options] EVIDENCE|-\n\n"
             "Verify an AMD SEV-SNP attestation report or an Intel TDX/SGX DCAP quote offline:\n"
             "signatures, vendor certificate chains to pinned roots, CRLs, TCB collateral and\n"
             "validity at the verification time. Guest-policy facts (debug, ...) are reported in\n"
             "policy_flags, not judged: that is the appraisal policy's job (teectl serve).\n\n"
             "Options:\n"
             "  --tee snp|tdx|sgx     kind of evidence (default: detected from the bytes)\n"
             "  --collateral DIR      folder with ark.pem, ask.pem, vcek.der|vlek.der (SNP) or\n"
             "                        tcb_info.json, qe_identity.json, *_issuer_chain.pem,\n"
             "                        pck_crl.der, root_ca_crl.der (DCAP); PEM or DER\n"
             "  --cert FILE           an extra certificate (any role; SNP sorts them), repeatable\n"
             "  --crl FILE            AMD CRL (ARK-signed) to check the ASK/ASVK against\n"
             "  --trust-root FILE     also trust this root certificate (test hierarchies),\n"
             "                        besides the pinned AMD and Intel roots; repeatable\n"
             "  --at RFC3339          verification time (default: now), e.g. 2025-07-18T00:00:00Z\n"
             "  --fetch               fetch missing collateral (cache, then AMD KDS / Intel PCS);\n"
             "                        see 'teectl collateral fetch --help'. With it:\n"
             "    --kds-url URL       AMD KDS base URL\n"
             "    --pcs-url URL       Intel PCS or PCCS base URL\n"
             "    --cache-dir DIR     collateral cache folder\n"
             "  --format text|json    output format (default text)\n"
             "  -h, --help            show this help\n\n"
             "Exit codes: 0 valid, 1 invalid (the reason code says why), 2 usage error or\n"
             "unreadable input.\n");
}

/* Read a certificate file given with `opt` (--cert / --trust-root) and append it to
 * *arr; the file must hold exactly one PEM or DER certificate. -1 (message printed)
 * when it cannot be read or is not a certificate. */
static int push_cert_file(tc_buf **arr, size_t *n, const char *opt, const char *path) {
  tc_buf b;
  tc_error err;
  if (tc_file_read(path, 1u << 20, &b, &err) != TC_OK) {
    fprintf(stderr, "teectl verify: %s %s\n", opt, err.detail);
    return -1;
  }
  X509 *x = NULL;
  if (tc_x509_parse(b.data, b.len, &x, &err) != TC_OK) {
    fprintf(stderr,
            "teectl verify: %s %s: not a certificate (one PEM or DER certificate expected)\n", opt,
            path);
    tc_buf_free(&b);
    return -1;
  }
  X509_free(x);
  tc_buf *na = realloc(*arr, (*n + 1) * sizeof **arr);
  if (na == NULL) {
    tc_buf_free(&b);
    return -1;
  }
  *arr = na;
  na[(*n)++] = b;
  return 0;
}

#if TEECTL_CLI_PROGRAM >= TEECTL_CLI_FULL /* --fetch runs in teectl-full */
/* verify --fetch --format json when the collateral could not be had: the same keys as a
 * verdict (verdict, reason, detail, tee, verified_at) from the first failed item of the
 * provider's report, and the report itself as "collateral". */
static void print_fetch_failure(json_t *report, tc_tee tee, int64_t at) {
  const char *reason = "collateral_unavailable", *detail = "collateral could not be fetched";
  char d[600];
  size_t i;
  json_t *it;
  json_array_foreach(report, i, it) {
    const char *e = json_string_value(json_object_get(it, "error"));
    if (e == NULL)
      continue;
    const char *item = json_string_value(json_object_get(it, "item"));
    const char *why = json_string_value(json_object_get(it, "detail"));
    reason = e;
    snprintf(d, sizeof d, "%s: %s", item ? item : "?", why ? why : e);
    detail = d;
    break;
  }
  char ts[21];
  json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O}", "verdict", "invalid", "reason", reason,
                        "detail", detail, "tee", tc_tee_name(tee), "verified_at",
                        tc_rfc3339_format(at, ts), "collateral", report ? report : json_null());
  if (o != NULL)
    cli_print_json(stdout, o);
  json_decref(o);
}
#endif

/* The keys a caller reads first, first (README's order): verdict, reason, detail,
 * trust_anchor, tee, verified_at, then the rest as the verifier gave them. */
static json_t *lead_keys_first(json_t *r) {
  static const char *const lead[] = {"verdict",      "reason", "detail",
                                     "trust_anchor", "tee",    "verified_at"};
  json_t *o = json_object();
  if (o == NULL)
    return r;
  for (size_t i = 0; i < sizeof lead / sizeof lead[0]; i++) {
    json_t *v = json_object_get(r, lead[i]);
    if (v != NULL)
      json_object_set(o, lead[i], v);
  }
  const char *k;
  json_t *v;
  json_object_foreach(r, k, v) {
    if (json_object_get(o, k) == NULL)
      json_object_set(o, k, v);
  }
  json_decref(r);
  return o;
}

/* The command line, parsed. The --cert and --trust-root files go into the collateral as
 * they come (each read and checked at once). */
struct verify_args {
  tc_tee tee;
  const char *dir, *crl, *at_text, *evidence;
  int json;
  int fetch; /* --fetch (collateral area) */
  cli_fetch_options fo;
};

/* Parse argv into *a (and col's certificates). 0: go on; -1: --help printed (exit 0);
 * else the exit code (a message was printed). */
static int parse_args(int argc, char **argv, struct verify_args *a, tc_collateral *col) {
  static const struct option opts[] = {{"tee", required_argument, NULL, 't'},
                                       {"collateral", required_argument, NULL, 'c'},
                                       {"cert", required_argument, NULL, 'C'},
                                       {"crl", required_argument, NULL, 'r'},
                                       {"trust-root", required_argument, NULL, 'T'},
                                       {"at", required_argument, NULL, 'a'},
                                       {"format", required_argument, NULL, 'f'},
                                       {"fetch", no_argument, NULL, 'F'},
                                       {"kds-url", required_argument, NULL, 'K'},
                                       {"pcs-url", required_argument, NULL, 'P'},
                                       {"cache-dir", required_argument, NULL, 'D'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  cli_getopt_reset();
  int c;
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    switch (c) {
    case 't':
      a->tee = tc_tee_from_name(optarg);
      if (a->tee == TC_TEE_UNKNOWN)
        return cli_usage_error("verify", "unknown TEE '%s' (snp, tdx or sgx)", optarg);
      break;
    case 'c':
      a->dir = optarg;
      break;
    case 'C':
      if (push_cert_file(&col->extra_certs, &col->n_extra_certs, "--cert", optarg) != 0)
        return CLI_EXIT_USAGE;
      break;
    case 'r':
      a->crl = optarg;
      break;
    case 'T':
      if (push_cert_file(&col->trust_roots, &col->n_trust_roots, "--trust-root", optarg) != 0)
        return CLI_EXIT_USAGE;
      break;
    case 'a':
      a->at_text = optarg;
      break;
    case 'f':
      if (strcmp(optarg, "json") == 0)
        a->json = 1;
      else if (strcmp(optarg, "text") != 0)
        return cli_usage_error("verify", "unknown format '%s' (text or json)", optarg);
      break;
    case 'F':
      a->fetch = 1;
      break;
    case 'K':
      a->fo.kds_url = optarg;
      break;
    case 'P':
      a->fo.pcs_url = optarg;
      break;
    case 'D':
      a->fo.cache_dir = optarg;
      break;
    case 'h':
      usage(stdout);
      return -1;
    case ':':
      return cli_usage_error("verify", "option '%s' needs a value", argv[optind - 1]);
    default:
      return cli_usage_error("verify", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind != argc - 1)
    return cli_usage_error("verify", optind == argc ? "missing EVIDENCE file"
                                                    : "exactly one EVIDENCE file expected");
  if (!a->fetch && (a->fo.kds_url || a->fo.pcs_url || a->fo.cache_dir))
    return cli_usage_error("verify", "--kds-url, --pcs-url and --cache-dir go with --fetch");
  a->evidence = argv[optind];
  return 0;
}

/* The verification time (--at, else now) and the collateral the options name: the
 * --collateral folder, the --crl file, the --trust-root store (*trust, which col then
 * uses). 0, or CLI_EXIT_USAGE (message printed). */
static int load_inputs(const struct verify_args *a, int64_t *at, tc_collateral *col,
                       tc_trust_store **trust) {
  tc_error err;
  tc_error_clear(&err);
  *at = (int64_t)time(NULL);
  if (a->at_text != NULL && tc_rfc3339_parse(a->at_text, at, &err) != TC_OK)
    return cli_usage_error("verify", "--at: %s", err.detail);
  if (a->dir != NULL && tc_collateral_load_dir(a->dir, col, &err) != TC_OK) {
    fprintf(stderr, "teectl verify: --collateral %s\n", err.detail);
    return CLI_EXIT_USAGE;
  }
  if (a->crl != NULL) {
    tc_buf_free(&col->amd_crl);
    if (tc_file_read(a->crl, 16u << 20, &col->amd_crl, &err) != TC_OK) {
      fprintf(stderr, "teectl verify: %s\n", err.detail);
      return CLI_EXIT_USAGE;
    }
  }
  if (col->n_trust_roots > 0) {
    if (tc_trust_store_new(col->trust_roots, col->n_trust_roots, trust, &err) != TC_OK) {
      fprintf(stderr, "teectl verify: --trust-root: %s\n", err.detail);
      return CLI_EXIT_USAGE;
    }
    col->trust = *trust;
  }
  return 0;
}

#if TEECTL_CLI_PROGRAM >= TEECTL_CLI_FULL
/* --fetch: fill what the folder and options did not give (collateral area). CLI_EXIT_OK to
 * go on and verify, else the exit code. Evidence the fill could not read goes on to the
 * verifier, which gives its verdict (and JSON); collateral that could not be had is an
 * "invalid" answer in JSON too. */
static int fetch_missing(const struct verify_args *a, const tc_buf *ev, int64_t at,
                         tc_collateral *col) {
  json_t *report = NULL;
  int rc = cli_fetch_missing("verify", &a->fo, a->tee, ev->data, ev->len, (int64_t)time(NULL), col,
                             stderr, &report);
  if (rc == CLI_EXIT_FAIL && a->json)
    print_fetch_failure(report, a->tee, at);
  int evidence_bad = rc == CLI_EXIT_USAGE && report != NULL;
  json_decref(report);
  return rc != CLI_EXIT_OK && !evidence_bad ? rc : CLI_EXIT_OK;
}
#endif

/* One verification: print the result (a valid result names its trust_anchor,
 * teectl/verify.h) and map it to the exit code. */
static int verify_and_print(const struct verify_args *a, const tc_buf *ev, const tc_collateral *col,
                            int64_t at) {
  json_t *result = NULL;
  tc_error err;
  tc_error_clear(&err);
  tc_status st = tc_verify_evidence(a->tee, ev->data, ev->len, col, at, &result, &err);
  if (result == NULL) {
    fprintf(stderr, "teectl verify: %s: %s\n", err.reason, err.detail);
    return CLI_EXIT_USAGE;
  }
  result = lead_keys_first(result);
  if (a->json)
    cli_print_json(stdout, result);
  else
    cli_print_result_text(stdout, result);
  if (st != TC_OK && strcmp(err.reason, "collateral_missing") == 0)
    fprintf(stderr, "hint: give the files with --collateral DIR, or fetch them with "
                    "'teectl verify --fetch' or 'teectl collateral fetch --out DIR EVIDENCE'\n");
  json_decref(result);
  return st == TC_OK                                   ? CLI_EXIT_OK
         : (st == TC_ERR_VERIFY || st == TC_ERR_PARSE) ? CLI_EXIT_FAIL
                                                       : CLI_EXIT_USAGE;
}

/* Parse, read the inputs, fetch (--fetch), verify. The collateral and trust store are
 * owned here and released on every path. */
static int run(int argc, char **argv, tc_collateral *col, tc_trust_store **trust) {
  struct verify_args a = {
      .tee = TC_TEE_UNKNOWN,
      .fo = {
          .max_wait_s = -1, .kds_interval_s = -1, .host_backoff_s = -1, .host_backoff_max_s = -1}};
  int rc = parse_args(argc, argv, &a, col);
  if (rc != 0)
    return rc < 0 ? CLI_EXIT_OK : rc;
#if TEECTL_CLI_PROGRAM < TEECTL_CLI_FULL
  if (a.fetch) /* fetching (libcurl) is in teectl-full: the same command line runs there */
    return cli_forward("verify", TEECTL_CLI_FULL);
#endif
  int64_t at;
  if ((rc = load_inputs(&a, &at, col, trust)) != 0)
    return rc;
  tc_buf ev = {0};
  tc_error err;
  if (tc_file_read_input(a.evidence, 1u << 24, &ev, &err) != TC_OK) {
    fprintf(stderr, "teectl verify: %s\n", err.detail);
    return CLI_EXIT_USAGE;
  }
#if TEECTL_CLI_PROGRAM >= TEECTL_CLI_FULL
  if (a.fetch && (rc = fetch_missing(&a, &ev, at, col)) != CLI_EXIT_OK) {
    tc_buf_free(&ev);
    return rc;
  }
#endif
  rc = verify_and_print(&a, &ev, col, at);
  tc_buf_free(&ev);
  return rc;
}

int cmd_verify(int argc, char **argv) {
  tc_collateral col = {0};
  tc_trust_store *trust = NULL; /* the --trust-root certificates, parsed once */
  int rc = run(argc, argv, &col, &trust);
  tc_collateral_free(&col);
  tc_trust_store_free(trust);
  return rc;
}
