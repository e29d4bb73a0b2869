/* SPDX-License-Identifier: Apache-2.0 */
/* teectl collateral: fetch endorsements for a piece of evidence into a collateral folder
 * (for air-gapped verification), and list the on-disk cache. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/collateral_fetch.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "teectl/file.h"
#include "teectl/rfc3339.h"

/* ---- shared helpers (also used by verify --fetch) ---- */

const char *cli_default_cache_dir(char *buf, size_t cap) {
  const char *v = getenv("TEECTL_CACHE_DIR");
  int n = -1;
  if (v != NULL && v[0] != 0)
    n = snprintf(buf, cap, "%s", v);
  else if ((v = getenv("XDG_CACHE_HOME")) != NULL && v[0] == '/')
    n = snprintf(buf, cap, "%s/teectl/collateral", v);
  else if ((v = getenv("HOME")) != NULL && v[0] == '/')
    n = snprintf(buf, cap, "%s/.cache/teectl/collateral", v);
  if (n < 0 || (size_t)n >= cap)
    return NULL;
  return buf;
}

static int read_api_key(const char *cmd, const char *path, char *out, size_t cap) {
  tc_buf b;
  tc_error err;
  if (tc_file_read(path, 4096, &b, &err) != TC_OK) {
    fprintf(stderr, "teectl %s: --api-key-file: %s\n", cmd, err.detail);
    return -1;
  }
  size_t n = 0;
  while (n < b.len && b.data[n] != '\n' && b.data[n] != '\r')
    n++;
  int ok = n > 0 && n < cap;
  for (size_t i = 0; ok && i < n; i++)
    ok = b.data[i] > 0x20 && b.data[i] < 0x7f;
  if (ok) {
    memcpy(out, b.data, n);
    out[n] = 0;
  }
  tc_buf_free(&b);
  if (!ok) {
    fprintf(stderr,
            "teectl %s: --api-key-file %s: the first line must be the key (printable, "
            "no spaces)\n",
            cmd, path);
    return -1;
  }
  return 0;
}

tc_provider *cli_fetch_provider(const char *cmd, const cli_fetch_options *o) {
  tc_provider_options po;
  tc_provider_options_default(&po);
  char cache[4096], key[256];
  po.kds_url = o->kds_url;
  po.pcs_url = o->pcs_url;
  po.pcs_ca_file = o->pcs_ca_file;
  po.offline = o->offline;
  if (o->max_wait_s >= 0)
    po.max_wait_s = o->max_wait_s;
  if (o->kds_interval_s >= 0)
    po.kds_interval_s = o->kds_interval_s;
  po.fill_deadline_s = o->fill_deadline_s;
  if (o->host_backoff_s >= 0)
    po.host_backoff_s = o->host_backoff_s;
  if (o->host_backoff_max_s >= 0)
    po.host_backoff_max_s = o->host_backoff_max_s;
  if (!o->no_cache)
    po.cache_dir = o->cache_dir ? o->cache_dir : cli_default_cache_dir(cache, sizeof cache);
  if (o->api_key_file != NULL) {
    if (read_api_key(cmd, o->api_key_file, key, sizeof key) != 0)
      return NULL;
    po.api_key = key;
  }
  tc_provider *p = NULL;
  tc_error err;
  if (tc_provider_new(&po, &p, &err) != TC_OK) {
    fprintf(stderr, "teectl %s: %s: %s\n", cmd, err.reason, err.detail);
    return NULL;
  }
  return p;
}

static void print_items(FILE *f, json_t *report) {
  size_t i;
  json_t *it;
  json_array_foreach(report, i, it) {
    const char *item = json_string_value(json_object_get(it, "item"));
    const char *origin = json_string_value(json_object_get(it, "origin"));
    const char *error = json_string_value(json_object_get(it, "error"));
    const char *note = json_string_value(json_object_get(it, "note"));
    if (error != NULL) {
      fprintf(f, "  %-28s MISSING  %s: %s\n", item, error,
              json_string_value(json_object_get(it, "detail")));
      continue;
    }
    const char *exp = json_string_value(json_object_get(it, "expires_at"));
    fprintf(f, "  %-28s %-9s", item, origin);
    if (exp)
      fprintf(f, " valid until %s", exp);
    if (json_is_true(json_object_get(it, "expired")))
      fprintf(f, " EXPIRED");
    if (json_is_true(json_object_get(it, "stale")))
      fprintf(f, " STALE");
    if (note)
      fprintf(f, " (%s)", note);
    fputc('\n', f);
  }
}

int cli_fetch_missing(const char *cmd, const cli_fetch_options *o, tc_tee tee,
                      const uint8_t *evidence, size_t len, int64_t now, tc_collateral *col,
                      FILE *diag, json_t **report_out) {
  tc_snp_product hint = TC_SNP_PRODUCT_UNKNOWN;
  if (o->product != NULL) {
    hint = tc_snp_product_parse(o->product);
    if (hint == TC_SNP_PRODUCT_UNKNOWN)
      return cli_usage_error(cmd, "unknown product '%s' (Milan, Genoa or Turin)", o->product);
  }
  tc_provider *p = cli_fetch_provider(cmd, o);
  if (p == NULL)
    return CLI_EXIT_USAGE;
  json_t *report = NULL;
  tc_error err;
  tc_status st = tc_provider_fill(p, tee, evidence, len, hint, now, col, &report, &err);
  tc_provider_free(p);
  if (diag != NULL && report != NULL) {
    fprintf(diag, "collateral:\n");
    print_items(diag, report);
  }
  /* Evidence we cannot read is bad input (2); collateral we cannot get, or that the source
   * sent malformed (a CRL that does not parse), is a "no" (1): the command line was fine. */
  int evidence_bad = report == NULL && st != TC_OK;
  size_t i;
  json_t *it;
  json_array_foreach(report, i, it) {
    const char *item = json_string_value(json_object_get(it, "item"));
    if (json_object_get(it, "error") != NULL && item != NULL && strcmp(item, "evidence") == 0)
      evidence_bad = 1;
  }
  if (report_out)
    *report_out = report;
  else
    json_decref(report);
  if (st == TC_OK)
    return CLI_EXIT_OK;
  fprintf(stderr, "teectl %s: collateral incomplete: %s: %s\n", cmd, err.reason, err.detail);
  return evidence_bad ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
}

/* ---- teectl collateral fetch ---- */

static void fetch_usage(FILE *f) {
  fprintf(f,
          "Usage: teectl collateral fetch [options] --out DIR EVIDENCE|-\n\n"
          "Fetch the endorsements a piece of evidence needs and write them into DIR under\n"
          "the names 'teectl verify --collateral DIR' reads, for verification on an\n"
          "air-gapped cluster. SEV-SNP report: ark.pem, ask.pem (ASVK for a VLEK), vcek.der,\n"
          "crl.der from AMD KDS (a VLEK itself is not published by AMD). TDX/SGX quote:\n"
          "tcb_info.json, qe_identity.json, their *_issuer_chain.pem, pck_crl.der,\n"
          "pck_crl_issuer_chain.pem, root_ca_crl.der from Intel PCS or a PCCS.\n"
          "Sources in order: the cache (fresh entries make no request), then the network\n"
          "(HTTP 429/503 Retry-After honoured, exponential back-off); if the network fails a\n"
          "cached copy is used and reported STALE. All or nothing: nothing is written unless\n"
          "every needed item was obtained; the files go into a new folder that then replaces\n"
          "DIR in one rename. An existing DIR is replaced as a whole, and only if it holds\n"
          "nothing but collateral files (an earlier fetch) or is empty; otherwise refused.\n\n"
          "Options:\n"
          "  --out DIR             collateral folder to write (created if absent)\n"
          "  --kds-url URL         AMD KDS base (default %s)\n"
          "  --pcs-url URL         Intel PCS or PCCS base (default %s); a PCCS serves\n"
          "                        the Root CA CRL at /sgx/certification/v4/rootcacrl\n"
          "  --api-key-file FILE   Intel PCS subscription key (Ocp-Apim-Subscription-Key)\n"
          "  --cache-dir DIR       cache folder (default $TEECTL_CACHE_DIR, else\n"
          "                        $XDG_CACHE_HOME/teectl/collateral or\n"
          "                        ~/.cache/teectl/collateral)\n"
          "  --no-cache            do not read or write the cache\n"
          "  --offline             no network: answer from the cache only\n"
          "  --max-wait SECONDS    total wait (back-off, Retry-After, KDS pacing) for the\n"
          "                        whole fetch (default 20); a wait that would pass it is\n"
          "                        not started and the error says so\n"
          "  --kds-interval SECONDS  after a burst of 3, one request per this many seconds\n"
          "                        to a KDS host (default 10, AMD's limit; 0: no pacing)\n"
          "  --tee snp|tdx|sgx     kind of evidence (default: detected)\n"
          "  --product NAME        AMD product line (Milan, Genoa, Turin) for SNP reports of\n"
          "                        version 2, which do not name it\n"
          "  --format text|json    output format (default text)\n"
          "  -h, --help            show this help\n\n"
          "Exit codes: 0 written, 1 some collateral could not be obtained or the source sent\n"
          "it malformed (nothing written), 2 usage error, unreadable evidence, or DIR not\n"
          "writable or not replaceable.\n",
          TC_KDS_DEFAULT_URL, TC_PCS_DEFAULT_URL);
}

enum {
  O_OUT = 256,
  O_KDS,
  O_PCS,
  O_KEY,
  O_CACHE,
  O_NOCACHE,
  O_OFFLINE,
  O_WAIT,
  O_INTERVAL,
  O_TEE,
  O_PRODUCT,
  O_FORMAT
};

/* --out DIR, before any fetching: an existing folder (what it holds is checked when it is
 * written) or a new name in an existing folder; else a usage error naming it. 0 or -1. */
static int check_out_dir(const char *out) {
  struct stat st;
  if (stat(out, &st) == 0) {
    if (S_ISDIR(st.st_mode))
      return 0;
    fprintf(stderr, "teectl collateral fetch: --out %s is not a folder\n", out);
    return -1;
  }
  if (errno != ENOENT) {
    fprintf(stderr, "teectl collateral fetch: --out %s: %s\n", out, strerror(errno));
    return -1;
  }
  char parent[4096];
  snprintf(parent, sizeof parent, "%s", out);
  const char *up = dirname(parent);
  if (stat(up, &st) != 0 || !S_ISDIR(st.st_mode)) {
    fprintf(stderr, "teectl collateral fetch: --out %s: its folder %s does not exist\n", out, up);
    return -1;
  }
  return 0;
}

/* A number of seconds from 0 to 3600 (NaN is not one) for option `name`; -1 and a usage
 * error naming it otherwise. */
static int parse_seconds(const char *name, const char *text, double *out) {
  char *end;
  double v = strtod(text, &end);
  if (*end != 0 || end == text || !(v >= 0 && v <= 3600)) {
    cli_usage_error("collateral fetch", "%s: '%s' is not 0..3600 seconds", name, text);
    return -1;
  }
  *out = v;
  return 0;
}

/* The fetch command line, parsed. */
struct fetch_args {
  cli_fetch_options o;
  const char *out, *evidence;
  tc_tee tee;
  int json;
};

/* Parse argv into *a. 0: go on; -1: --help printed (exit 0); else the exit code (a
 * message was printed). --out is checked here, before any fetching. */
static int parse_fetch_args(int argc, char **argv, struct fetch_args *a) {
  static const struct option opts[] = {{"out", required_argument, NULL, O_OUT},
                                       {"kds-url", required_argument, NULL, O_KDS},
                                       {"pcs-url", required_argument, NULL, O_PCS},
                                       {"api-key-file", required_argument, NULL, O_KEY},
                                       {"cache-dir", required_argument, NULL, O_CACHE},
                                       {"no-cache", no_argument, NULL, O_NOCACHE},
                                       {"offline", no_argument, NULL, O_OFFLINE},
                                       {"max-wait", required_argument, NULL, O_WAIT},
                                       {"kds-interval", required_argument, NULL, O_INTERVAL},
                                       {"tee", required_argument, NULL, O_TEE},
                                       {"product", required_argument, NULL, O_PRODUCT},
                                       {"format", required_argument, NULL, O_FORMAT},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  cli_fetch_options *o = &a->o;
  cli_getopt_reset();
  int c;
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    switch (c) {
    case O_OUT:
      a->out = optarg;
      break;
    case O_KDS:
      o->kds_url = optarg;
      break;
    case O_PCS:
      o->pcs_url = optarg;
      break;
    case O_KEY:
      o->api_key_file = optarg;
      break;
    case O_CACHE:
      o->cache_dir = optarg;
      break;
    case O_NOCACHE:
      o->no_cache = 1;
      break;
    case O_OFFLINE:
      o->offline = 1;
      break;
    case O_WAIT:
      if (parse_seconds("--max-wait", optarg, &o->max_wait_s) != 0)
        return CLI_EXIT_USAGE;
      break;
    case O_INTERVAL:
      if (parse_seconds("--kds-interval", optarg, &o->kds_interval_s) != 0)
        return CLI_EXIT_USAGE;
      break;
    case O_TEE:
      a->tee = tc_tee_from_name(optarg);
      if (a->tee == TC_TEE_UNKNOWN)
        return cli_usage_error("collateral fetch", "unknown TEE '%s' (snp, tdx or sgx)", optarg);
      break;
    case O_PRODUCT:
      if (tc_snp_product_parse(optarg) == TC_SNP_PRODUCT_UNKNOWN)
        return cli_usage_error("collateral fetch", "unknown product '%s' (Milan, Genoa, Turin)",
                               optarg);
      o->product = optarg;
      break;
    case O_FORMAT:
      if (strcmp(optarg, "json") == 0)
        a->json = 1;
      else if (strcmp(optarg, "text") != 0)
        return cli_usage_error("collateral fetch", "unknown format '%s' (text or json)", optarg);
      break;
    case 'h':
      fetch_usage(stdout);
      return -1;
    case ':':
      return cli_usage_error("collateral fetch", "option '%s' needs a value", argv[optind - 1]);
    default:
      return cli_usage_error("collateral fetch", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (a->out == NULL)
    return cli_usage_error("collateral fetch", "--out DIR is required");
  if (check_out_dir(a->out) != 0)
    return CLI_EXIT_USAGE;
  if (optind != argc - 1)
    return cli_usage_error("collateral fetch", optind == argc
                                                   ? "missing EVIDENCE file"
                                                   : "exactly one EVIDENCE file expected");
  a->evidence = argv[optind];
  return 0;
}

/* After the fill (rc): write the folder when everything was had, and say so (text), or
 * print the report with whether it was written (JSON). The exit code. */
static int write_and_report(const struct fetch_args *a, const tc_collateral *col, json_t *report,
                            int rc) {
  tc_error err;
  if (rc == CLI_EXIT_OK) {
    if (tc_collateral_write_dir(col, a->out, &err) != TC_OK) {
      fprintf(stderr, "teectl collateral fetch: %s\n", err.detail);
      rc = CLI_EXIT_USAGE;
    } else if (!a->json) {
      printf("wrote %s\n", a->out);
    }
  }
  if (a->json) {
    json_t *o_json = json_pack("{s:s, s:b, s:O}", "out", a->out, "written", rc == CLI_EXIT_OK,
                               "items", report ? report : json_null());
    if (o_json)
      cli_print_json(stdout, o_json);
    json_decref(o_json);
  }
  return rc;
}

static int cmd_fetch(int argc, char **argv) {
  struct fetch_args a = {
      .o = {.max_wait_s = -1, .kds_interval_s = -1, .host_backoff_s = -1, .host_backoff_max_s = -1},
      .tee = TC_TEE_UNKNOWN};
  int rc = parse_fetch_args(argc, argv, &a);
  if (rc != 0)
    return rc < 0 ? CLI_EXIT_OK : rc;
  tc_buf ev = {0};
  tc_error err;
  if (tc_file_read_input(a.evidence, 1u << 24, &ev, &err) != TC_OK) {
    fprintf(stderr, "teectl collateral fetch: %s\n", err.detail);
    return CLI_EXIT_USAGE;
  }
  tc_collateral col;
  memset(&col, 0, sizeof col);
  json_t *report = NULL;
  rc = cli_fetch_missing("collateral fetch", &a.o, a.tee, ev.data, ev.len, (int64_t)time(NULL),
                         &col, a.json ? NULL : stdout, &report);
  tc_buf_free(&ev);
  rc = write_and_report(&a, &col, report, rc);
  json_decref(report);
  tc_collateral_free(&col);
  return rc;
}

/* ---- teectl collateral show ---- */

static void show_usage(FILE *f) {
  fprintf(f, "Usage: teectl collateral show [--cache-dir DIR] [--format text|json]\n\n"
             "List the cached collateral objects: key, kind, when fetched, until when valid,\n"
             "when they will be refreshed, and state (fresh, refresh_due, expired, corrupt:\n"
             "bytes that do not match their SHA-256 are never served).\n\n"
             "Options:\n"
             "  --cache-dir DIR       cache folder (default as for 'collateral fetch')\n"
             "  --format text|json    output format (default text)\n"
             "  -h, --help            show this help\n\n"
             "Exit codes: 0 listed, 2 usage error or unreadable cache.\n");
}

static int cmd_show(int argc, char **argv) {
  static const struct option opts[] = {{"cache-dir", required_argument, NULL, O_CACHE},
                                       {"format", required_argument, NULL, O_FORMAT},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *dir = NULL;
  int json = 0;
  cli_getopt_reset();
  int c;
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    switch (c) {
    case O_CACHE:
      dir = optarg;
      break;
    case O_FORMAT:
      if (strcmp(optarg, "json") == 0)
        json = 1;
      else if (strcmp(optarg, "text") != 0)
        return cli_usage_error("collateral show", "unknown format '%s' (text or json)", optarg);
      break;
    case 'h':
      show_usage(stdout);
      return CLI_EXIT_OK;
    case ':':
      return cli_usage_error("collateral show", "option '%s' needs a value", argv[optind - 1]);
    default:
      return cli_usage_error("collateral show", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind != argc)
    return cli_usage_error("collateral show", "unexpected argument '%s'", argv[optind]);
  char buf[4096];
  struct stat st;
  if (dir != NULL) { /* the default folder may not exist yet (nothing fetched); a named one must */
    int found = stat(dir, &st) == 0;
    if (!found || !S_ISDIR(st.st_mode)) {
      fprintf(stderr, "teectl collateral show: --cache-dir %s: %s\n", dir,
              found ? "not a folder" : strerror(errno));
      return CLI_EXIT_USAGE;
    }
  }
  if (dir == NULL && (dir = cli_default_cache_dir(buf, sizeof buf)) == NULL) {
    fprintf(stderr, "teectl collateral show: no cache folder (set --cache-dir or HOME)\n");
    return CLI_EXIT_USAGE;
  }
  json_t *list = NULL;
  tc_error err;
  if (tc_cache_list(dir, (int64_t)time(NULL), &list, &err) != TC_OK) {
    fprintf(stderr, "teectl collateral show: %s\n", err.detail);
    return CLI_EXIT_USAGE;
  }
  if (json) {
    cli_print_json(stdout, list);
  } else {
    printf("cache %s: %zu object%s\n", dir, json_array_size(list),
           json_array_size(list) == 1 ? "" : "s");
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it) {
      const char *state = json_string_value(json_object_get(it, "state"));
      if (strcmp(state, "corrupt") == 0 && json_object_get(it, "kind") == NULL) {
        printf("  %-11s %s (%s)\n", state, json_string_value(json_object_get(it, "key")),
               json_string_value(json_object_get(it, "note")));
        continue;
      }
      printf("  %-11s %-12s until %s  refresh %s  %s\n", state,
             json_string_value(json_object_get(it, "kind")),
             json_string_value(json_object_get(it, "expires_at")),
             json_string_value(json_object_get(it, "refresh_at")),
             json_string_value(json_object_get(it, "key")));
    }
  }
  json_decref(list);
  return CLI_EXIT_OK;
}

static void usage(FILE *f) {
  fprintf(f, "Usage: teectl collateral fetch|show [options]\n\n"
             "  fetch   fetch AMD KDS / Intel PCS endorsements for evidence into a folder\n"
             "  show    list the collateral cache and when each object expires\n\n"
             "Run 'teectl collateral <subcommand> --help' for its options.\n"
             "Exit codes: 0 ok, 1 collateral unavailable, 2 usage error or unreadable input.\n");
}

int cmd_collateral(int argc, char **argv) {
  if (argc < 2)
    return cli_usage_error("collateral", "missing subcommand (fetch or show)");
  const char *sub = argv[1];
  if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
    usage(stdout);
    return CLI_EXIT_OK;
  }
  if (strcmp(sub, "fetch") == 0)
    return cmd_fetch(argc - 1, argv + 1);
  if (strcmp(sub, "show") == 0)
    return cmd_show(argc - 1, argv + 1);
  return cli_usage_error("collateral", "unknown subcommand '%s' (fetch or show)", sub);
}
