/* SPDX-License-Identifier: Apache-2.0 */
/* teectl attest: inside a confidential guest (an init container), prove the TEE and receive an
 * attestation result from teectl serve (--service), or secrets from a Key Broker Service
 * (--kbs) onto an in-memory folder. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli/commands.h"
#include "teectl/attester.h"
#include "teectl/file.h"
#include "teectl/kbs.h"

#define RUNTIME_DATA_MAX (256u << 10)
#define INIT_DATA_MAX (256u << 10)
#define TMPFS_MAGIC_ 0x01021994
#define RAMFS_MAGIC_ 0x858458f6

static void usage(FILE *f) {
  fprintf(
      f,
      "Usage: teectl attest --service URL [--runtime-data FILE] [--out FILE] [options]\n"
      "       teectl attest --kbs URL --resource REPO/TYPE/TAG[=FILE]... [--out-dir DIR]\n"
      "                     [--init-data FILE] [--out FILE] [options]\n\n"
      "Inside a confidential guest: have the TEE produce evidence bound to a fresh challenge\n"
      "and trade it for an attestation result (teectl serve's /v1 API) or for secrets (a Key\n"
      "Broker Service speaking the Confidential Containers KBS protocol 0.4.0, such as\n"
      "teectl serve --resources or Trustee).\n\n"
      "Evidence comes from configfs-tsm (/sys/kernel/config/tsm/report), else /dev/sev-guest,\n"
      "else /dev/tdx_guest (which gives no quote: TDX needs configfs-tsm), or from a command.\n\n"
      "Options:\n"
      "  --service URL          teectl's attestation service (POST /v1/challenge, /v1/attest)\n"
      "  --runtime-data FILE    with --service: bytes bound into REPORT_DATA with the nonce\n"
      "                         (e.g. a public key as a JWK) and echoed in the token\n"
      "  --kbs URL              a Key Broker Service (POST /kbs/v0/auth, /kbs/v0/attest, GET\n"
      "                         /kbs/v0/resource/...)\n"
      "  --resource R[=FILE]    with --kbs (repeatable): fetch resource R = repository/type/tag\n"
      "                         (each [A-Za-z0-9._-]) into FILE (default: DIR/tag), mode 0400\n"
      "  --out-dir DIR          with --kbs: folder for the secrets; use an in-memory one\n"
      "                         (tmpfs, emptyDir medium: Memory); a warning says otherwise\n"
      "  --init-data FILE       with --kbs: the pod's init-data document (TOML), sent as\n"
      "                         init-data; its digest is what the host put in HOST_DATA /\n"
      "                         MRCONFIGID\n"
      "  --out FILE             write the token (attestation result JWT) to FILE, mode 0600\n"
      "                         (with --service the default is standard output)\n"
      "  --ca-file FILE         CA certificates (PEM) for https URLs (default: the system's)\n"
      "  --timeout S            total time for the exchange, retries included (default 120)\n"
      "  --evidence-cmd CMD     get evidence from CMD (run by /bin/sh -c): REPORT_DATA as 128\n"
      "                         hex digits on its standard input, the evidence bytes (SNP\n"
      "                         report or DCAP quote) on its standard output\n"
      "  --aa-url URL           get evidence from the guest's attestation-agent through the\n"
      "                         Confidential Containers API server (in a CoCo pod:\n"
      "                         http://127.0.0.1:8006; GET /info, /aa/evidence)\n"
      "  --tee snp|tdx|sgx      the TEE (required with --evidence-cmd)\n"
      "  --privlevel N          SNP: the VMPL (0..3) to ask the report for\n"
      "  --root DIR             look for /sys and /dev under DIR (tests)\n"
      "  -v, --verbose          log requests and retries on standard error\n"
      "  -h, --help             show this help\n\n"
      "Exit codes: 0 attested (token and every secret written), 1 refused (the service's\n"
      "reason: attestation_refused, resource_not_found, jwe_decrypt_failed), 2 usage error,\n"
      "no TEE device, evidence not obtained, or the service not reachable before the\n"
      "deadline.\n");
}

struct opts {
  const char *service, *kbs, *runtime_data, *out, *out_dir, *init_data;
  tc_attest_http http;
  tc_attester_opts att;
  tc_kbs_resource res[64];
  char *res_mem[64];
  size_t n_res;
};

static int add_resource(struct opts *o, const char *arg) {
  if (o->n_res == 64)
    return cli_usage_error("attest", "at most 64 --resource options");
  const char *eq = strchr(arg, '=');
  size_t plen = eq ? (size_t)(eq - arg) : strlen(arg);
  if (eq && !eq[1])
    return cli_usage_error("attest", "--resource '%s': empty FILE after '='", arg);
  char *mem = strdup(arg);
  if (!mem)
    return CLI_EXIT_USAGE;
  mem[plen] = '\0';
  char repo[TC_KBS_NAME_MAX + 1], type[TC_KBS_NAME_MAX + 1], tag[TC_KBS_NAME_MAX + 1];
  tc_error err;
  if (tc_kbs_resource_path(mem, repo, type, tag, &err) != TC_OK) {
    free(mem);
    return cli_usage_error("attest",
                           "--resource '%s': expected repository/type/tag, each 1..128 of "
                           "[A-Za-z0-9._-] not starting with '.', then optionally =FILE",
                           arg);
  }
  o->res_mem[o->n_res] = mem;
  o->res[o->n_res].path = mem;
  o->res[o->n_res].file = eq ? mem + plen + 1 : NULL;
  o->n_res++;
  return 0;
}

static int parse_uint(const char *name, const char *v, unsigned lo, unsigned hi, unsigned *out) {
  char *end = NULL;
  unsigned long x = strtoul(v, &end, 10);
  if (!v[0] || *end || v[0] == '-' || x < lo || x > hi)
    return cli_usage_error("attest", "%s: '%s' is not %u..%u", name, v, lo, hi);
  *out = (unsigned)x;
  return 0;
}

static int parse(int argc, char **argv, struct opts *o) {
  static const struct option lo[] = {{"service", required_argument, NULL, 's'},
                                     {"kbs", required_argument, NULL, 'k'},
                                     {"runtime-data", required_argument, NULL, 'r'},
                                     {"resource", required_argument, NULL, 'R'},
                                     {"out-dir", required_argument, NULL, 'D'},
                                     {"init-data", required_argument, NULL, 'i'},
                                     {"out", required_argument, NULL, 'o'},
                                     {"ca-file", required_argument, NULL, 'c'},
                                     {"timeout", required_argument, NULL, 't'},
                                     {"evidence-cmd", required_argument, NULL, 'e'},
                                     {"tee", required_argument, NULL, 'T'},
                                     {"privlevel", required_argument, NULL, 'p'},
                                     {"root", required_argument, NULL, 'X'},
                                     {"aa-url", required_argument, NULL, 'A'},
                                     {"verbose", no_argument, NULL, 'v'},
                                     {"help", no_argument, NULL, 'h'},
                                     {NULL, 0, NULL, 0}};
  cli_getopt_reset();
  int c, rc;
  unsigned u = 0;
  while ((c = getopt_long(argc, argv, ":hv", lo, NULL)) != -1) {
    switch (c) {
    case 's':
      o->service = optarg;
      break;
    case 'k':
      o->kbs = optarg;
      break;
    case 'r':
      o->runtime_data = optarg;
      break;
    case 'R':
      if ((rc = add_resource(o, optarg)) != 0)
        return rc;
      break;
    case 'D':
      o->out_dir = optarg;
      break;
    case 'i':
      o->init_data = optarg;
      break;
    case 'o':
      o->out = optarg;
      break;
    case 'c':
      o->http.ca_file = optarg;
      break;
    case 't':
      if ((rc = parse_uint("--timeout", optarg, 1, 86400, &o->http.deadline_s)) != 0)
        return rc;
      break;
    case 'e':
      o->att.evidence_cmd = optarg;
      break;
    case 'T':
      if (strcmp(optarg, "snp") != 0 && strcmp(optarg, "tdx") != 0 && strcmp(optarg, "sgx") != 0)
        return cli_usage_error("attest", "--tee: '%s' is not snp, tdx or sgx", optarg);
      o->att.tee = optarg;
      break;
    case 'p':
      if ((rc = parse_uint("--privlevel", optarg, 0, 3, &u)) != 0)
        return rc;
      o->att.privlevel = (int)u;
      break;
    case 'X':
      o->att.root = optarg;
      break;
    case 'A':
      o->att.aa_url = optarg;
      break;
    case 'v':
      o->http.verbose = 1;
      break;
    case 'h':
      usage(stdout);
      return -1;
    case ':':
      return cli_usage_error("attest", "option '%s' needs a value", argv[optind - 1]);
    default:
      return cli_usage_error("attest", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind != argc)
    return cli_usage_error("attest", "unexpected argument '%s'", argv[optind]);
  if (!!o->service == !!o->kbs)
    return cli_usage_error("attest", "give exactly one of --service URL and --kbs URL");
  if (o->att.evidence_cmd && o->att.aa_url)
    return cli_usage_error("attest", "give at most one of --evidence-cmd and --aa-url");
  if (o->att.evidence_cmd && !o->att.tee)
    return cli_usage_error("attest", "--evidence-cmd needs --tee snp|tdx|sgx");
  if (o->service && (o->n_res || o->out_dir || o->init_data))
    return cli_usage_error("attest", "--resource, --out-dir and --init-data go with --kbs");
  if (o->kbs && o->runtime_data)
    return cli_usage_error("attest", "--runtime-data goes with --service (the KBS binds its "
                                     "own runtime data: nonce and tee-pubkey)");
  if (o->kbs && o->n_res == 0)
    return cli_usage_error("attest", "--kbs needs at least one --resource");
  if (o->http.ca_file) { /* checked here: libcurl would only say "error setting certificate" */
    struct stat st;
    if (stat(o->http.ca_file, &st) != 0 || access(o->http.ca_file, R_OK) != 0)
      return cli_usage_error("attest", "--ca-file %s: %s", o->http.ca_file, strerror(errno));
    if (!S_ISREG(st.st_mode))
      return cli_usage_error("attest", "--ca-file %s: not a regular file", o->http.ca_file);
  }
  return 0;
}

/* Destination files: FILE as given, else DIR/tag; no two resources to one file. */
static int resolve_files(struct opts *o, char **owned) {
  struct stat st;
  int need_dir = 0;
  for (size_t i = 0; i < o->n_res; i++)
    need_dir |= o->res[i].file == NULL;
  if (need_dir && !o->out_dir)
    return cli_usage_error("attest", "--resource without =FILE needs --out-dir DIR");
  if (o->out_dir) {
    if (stat(o->out_dir, &st) != 0 || !S_ISDIR(st.st_mode))
      return cli_usage_error("attest", "--out-dir %s: not a folder", o->out_dir);
    struct statfs fs;
    if (statfs(o->out_dir, &fs) == 0 && fs.f_type != TMPFS_MAGIC_ && fs.f_type != RAMFS_MAGIC_)
      fprintf(stderr,
              "teectl attest: warning: --out-dir %s is not in memory (tmpfs): secrets will be "
              "on disk\n",
              o->out_dir);
  }
  for (size_t i = 0; i < o->n_res; i++) {
    if (!o->res[i].file) {
      const char *tag = strrchr(o->res[i].path, '/') + 1;
      size_t n = strlen(o->out_dir) + strlen(tag) + 2;
      owned[i] = malloc(n);
      if (!owned[i])
        return CLI_EXIT_USAGE;
      snprintf(owned[i], n, "%s/%s", o->out_dir, tag);
      o->res[i].file = owned[i];
    }
    for (size_t j = 0; j < i; j++)
      if (strcmp(o->res[i].file, o->res[j].file) == 0)
        return cli_usage_error("attest", "--resource %s and %s both go to %s", o->res[j].path,
                               o->res[i].path, o->res[i].file);
    if (o->out && strcmp(o->res[i].file, o->out) == 0)
      return cli_usage_error("attest", "--resource %s and --out both go to %s", o->res[i].path,
                             o->out);
  }
  /* Every destination is checked before the exchange: one that can never be written (a FIFO,
   * a device, a folder, a missing folder) would otherwise be found only after the broker
   * released the secrets, with some of them already on disk. */
  tc_error err;
  for (size_t i = 0; i <= o->n_res; i++) {
    const char *f = i < o->n_res ? o->res[i].file : o->out;
    if (f && tc_file_check_write_target(f, &err) != TC_OK) {
      fprintf(stderr, "teectl attest: %s (%s)\n", err.detail, err.reason);
      return CLI_EXIT_USAGE;
    }
  }
  return 0;
}

static int read_text(const char *what, const char *path, size_t max, tc_buf *b) {
  tc_error err;
  if (tc_file_read(path, max, b, &err) != TC_OK) {
    fprintf(stderr, "teectl attest: %s: %s\n", what, err.detail);
    return CLI_EXIT_USAGE;
  }
  return 0;
}

static int run(struct opts *o) {
  tc_error err;
  tc_error_clear(&err);
  char *token = NULL, *owned[64] = {0};
  tc_buf rd = {0}, init = {0};
  char *init_text = NULL;
  int rc = 0;
  tc_status st = TC_OK;
  if (o->runtime_data &&
      (rc = read_text("--runtime-data", o->runtime_data, RUNTIME_DATA_MAX, &rd)) != 0)
    goto out;
  if (o->init_data) {
    if ((rc = read_text("--init-data", o->init_data, INIT_DATA_MAX, &init)) != 0)
      goto out;
    init_text = strndup((const char *)init.data, init.len);
    if (!init_text || strlen(init_text) != init.len) {
      rc = cli_usage_error("attest", "--init-data %s: not text (NUL byte)", o->init_data);
      goto out;
    }
  }
  if ((rc = resolve_files(o, owned)) != 0)
    goto out;
  if (o->service)
    st = tc_attest_service(o->service, &o->http, &o->att, rd.data, rd.len, &token, &err);
  else
    st = tc_attest_kbs(o->kbs, &o->http, &o->att, init_text, o->res, o->n_res, &token, &err);
  if (st == TC_OK && o->out)
    st = tc_file_write_atomic_mode(o->out, token, strlen(token), 0600, &err);
  if (st != TC_OK) {
    fprintf(stderr, "teectl attest: %s (%s)\n", err.detail, err.reason);
    rc = st == TC_ERR_VERIFY ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
    goto out;
  }
  if (!o->out && o->service)
    printf("%s\n", token);
  for (size_t i = 0; i < o->n_res; i++)
    fprintf(stderr, "teectl attest: %s -> %s\n", o->res[i].path, o->res[i].file);
  rc = CLI_EXIT_OK;
out:
  free(token);
  free(init_text);
  tc_buf_free(&rd);
  tc_buf_free(&init);
  for (size_t i = 0; i < 64; i++)
    free(owned[i]);
  return rc;
}

int cmd_attest(int argc, char **argv) {
  struct opts o;
  memset(&o, 0, sizeof o);
  tc_attester_opts_init(&o.att);
  int rc = parse(argc, argv, &o);
  if (rc == 0) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = run(&o);
    curl_global_cleanup();
  } else if (rc < 0) {
    rc = CLI_EXIT_OK;
  }
  for (size_t i = 0; i < o.n_res; i++)
    free(o.res_mem[i]);
  return rc;
}
