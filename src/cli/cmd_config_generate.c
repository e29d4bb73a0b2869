/* SPDX-License-Identifier: Apache-2.0 */
/* teectl config generate kata|containerd|runtimeclass. argv[0] is "generate". */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "teectl/file.h"
#include "teectl/kataconfig.h"
#include "teectl/probe.h"

static void usage(FILE *f) {
  fprintf(f,
          "Usage: teectl config generate kata --platform snp|tdx|sgx|none|auto [options]\n"
          "       teectl config generate containerd --version 2|3 [options]\n"
          "       teectl config generate runtimeclass [options]\n\n"
          "Write Kata Containers configuration (TOML), a containerd drop-in registering the\n"
          "Kata handlers, or Kubernetes RuntimeClasses, with the keys, handler names and\n"
          "overheads of Kata Containers 4.1 / kata-deploy.\n\n"
          "Options:\n"
          "  --platform P          snp, tdx, sgx, none, all (containerd/runtimeclass) or auto\n"
          "                        (from this node's probe); repeatable or comma-separated for\n"
          "                        containerd and runtimeclass. Defaults: kata needs one;\n"
          "                        containerd auto; runtimeclass all\n"
          "  --probe FILE|live     this node's probe result: a 'teectl probe --format json'\n"
          "                        file, or live (the default for auto); with an explicit\n"
          "                        platform, warns when the node cannot run it\n"
          "  --runtime go|rs       Kata Go runtime (default) or runtime-rs\n"
          "  --prefix DIR          Kata install prefix (default /opt/kata, kata-deploy)\n"
          "  --version 2|3         containerd config schema version (containerd 1.x: 2, 2.x: 3)\n"
          "  --snapshotter NAME    containerd snapshotter for the TEE handlers (e.g. nydus)\n"
          "  --form full|kata-deploy  runtimeclass: every class in full (default), or only\n"
          "                        what kata-deploy's own classes lack, for 'kubectl apply\n"
          "                        --server-side' (kata-qemu-snp/-tdx get the NFD selector)\n"
          "  --out FILE            write FILE atomically instead of stdout\n"
          "  -h, --help            show this help\n\n"
          "Exit codes: 0 written, 1 --platform auto found no usable TEE, 2 usage error or\n"
          "unreadable input.\n");
}

static int load_probe(const char *src, json_t **out) {
  tc_error err;
  tc_error_clear(&err);
  if (src == NULL || strcmp(src, "live") == 0) {
    if (tc_probe_run(NULL, out, &err) != TC_OK) {
      fprintf(stderr, "teectl config generate: probe: %s: %s\n", err.reason, err.detail);
      return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
  }
  return cli_load_probe_file("config generate", src, out) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

/* Add platforms named in a comma-separated list; "auto" sets *want_auto. */
static int add_platforms(const char *arg, tc_platform *ps, size_t *n, int *want_auto,
                         int *want_all) {
  char *copy = strdup(arg);
  if (copy == NULL)
    return -1;
  char *save = NULL;
  for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
    if (strcmp(w, "auto") == 0) {
      *want_auto = 1;
      continue;
    }
    if (strcmp(w, "all") == 0) {
      *want_all = 1;
      continue;
    }
    tc_platform p;
    tc_error err;
    if (tc_platform_parse(w, &p, &err) != TC_OK) {
      cli_usage_error("config generate", "%s", err.detail);
      free(copy);
      return -1;
    }
    if (*n < 8)
      ps[(*n)++] = p;
  }
  free(copy);
  return 0;
}

static int write_out(const char *path, const char *text) {
  if (path == NULL) {
    fputs(text, stdout);
    return CLI_EXIT_OK;
  }
  tc_error err;
  if (tc_file_write_atomic(path, text, strlen(text), &err) != TC_OK) {
    fprintf(stderr, "teectl config generate: %s\n", err.detail);
    return CLI_EXIT_USAGE;
  }
  return CLI_EXIT_OK;
}

int cmd_config_generate(int argc, char **argv) {
  static const struct option opts[] = {
      {"platform", required_argument, NULL, 'p'}, {"probe", required_argument, NULL, 'P'},
      {"runtime", required_argument, NULL, 'r'},  {"prefix", required_argument, NULL, 'x'},
      {"version", required_argument, NULL, 'v'},  {"snapshotter", required_argument, NULL, 's'},
      {"form", required_argument, NULL, 'f'},     {"out", required_argument, NULL, 'o'},
      {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
  tc_platform ps[8];
  size_t np = 0;
  int want_auto = 0, want_all = 0, have_platform = 0, have_form = 0;
  const char *probe_src = NULL, *out_path = NULL;
  tc_gen_opts go = {.runtime = TC_KATA_GO, .prefix = NULL, .containerd_version = 0};
  cli_getopt_reset();
  int c;
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    switch (c) {
    case 'p':
      have_platform = 1;
      if (add_platforms(optarg, ps, &np, &want_auto, &want_all) != 0)
        return CLI_EXIT_USAGE;
      break;
    case 'P':
      probe_src = optarg;
      break;
    case 'r':
      if (strcmp(optarg, "go") == 0)
        go.runtime = TC_KATA_GO;
      else if (strcmp(optarg, "rs") == 0 || strcmp(optarg, "runtime-rs") == 0)
        go.runtime = TC_KATA_RS;
      else
        return cli_usage_error("config generate", "--runtime must be go or rs, not '%s'", optarg);
      break;
    case 'x':
      go.prefix = optarg;
      break;
    case 'v':
      if (strcmp(optarg, "2") == 0)
        go.containerd_version = 2;
      else if (strcmp(optarg, "3") == 0)
        go.containerd_version = 3;
      else
        return cli_usage_error("config generate", "--version must be 2 or 3, not '%s'", optarg);
      break;
    case 's':
      go.snapshotter = optarg;
      break;
    case 'f':
      if (strcmp(optarg, "full") == 0)
        go.rc_kata_deploy = 0;
      else if (strcmp(optarg, "kata-deploy") == 0)
        go.rc_kata_deploy = 1;
      else
        return cli_usage_error("config generate", "--form must be full or kata-deploy, not '%s'",
                               optarg);
      have_form = 1;
      break;
    case 'o':
      out_path = optarg;
      break;
    case 'h':
      usage(stdout);
      return CLI_EXIT_OK;
    case ':':
      return cli_usage_error("config generate", "option '%s' needs a value", argv[optind - 1]);
    default:
      return cli_usage_error("config generate", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind >= argc)
    return cli_usage_error("config generate", "missing what to generate: kata, containerd or "
                                              "runtimeclass");
  const char *what = argv[optind];
  if (optind + 1 < argc)
    return cli_usage_error("config generate", "unexpected argument '%s'", argv[optind + 1]);
  int is_kata = strcmp(what, "kata") == 0, is_ctrd = strcmp(what, "containerd") == 0,
      is_rc = strcmp(what, "runtimeclass") == 0 || strcmp(what, "runtimeclasses") == 0;
  if (!is_kata && !is_ctrd && !is_rc)
    return cli_usage_error("config generate",
                           "unknown target '%s' (kata, containerd or runtimeclass)", what);
  if (is_kata && !have_platform)
    return cli_usage_error("config generate", "kata needs --platform snp|tdx|sgx|none|auto");
  if (is_kata && (want_all || np + (size_t)want_auto != 1))
    return cli_usage_error("config generate", "kata takes exactly one --platform (snp, tdx, sgx, "
                                              "none or auto; all is for containerd and "
                                              "runtimeclass)");
  if (is_ctrd && go.containerd_version == 0)
    return cli_usage_error("config generate", "containerd needs --version 2|3");
  if (!is_ctrd && (go.containerd_version || go.snapshotter))
    return cli_usage_error("config generate", "--version and --snapshotter are for containerd");
  if (!is_rc && have_form)
    return cli_usage_error("config generate", "--form is for runtimeclass");
  if (!have_platform) {
    if (is_ctrd)
      want_auto = 1;
    else
      want_all = 1;
  }
  if (want_all) {
    const tc_platform all[] = {TC_PLATFORM_SNP, TC_PLATFORM_TDX, TC_PLATFORM_SGX};
    for (size_t i = 0; i < 3 && np < 8; i++)
      ps[np++] = all[i];
  }
  if (probe_src && !want_auto) {
    /* explicit platforms: check them against the probe and say when the node lacks one */
    json_t *probe = NULL;
    int rc = load_probe(probe_src, &probe);
    if (rc != CLI_EXIT_OK)
      return rc;
    for (size_t i = 0; i < np; i++)
      if (!tc_platform_usable(probe, ps[i]))
        fprintf(stderr,
                "teectl config generate: warning: the probe does not show %s usable on this "
                "node (see 'teectl probe')\n",
                ps[i] == TC_PLATFORM_NONE ? "KVM" : tc_platform_name(ps[i]));
    json_decref(probe);
  }
  if (want_auto) {
    json_t *probe = NULL;
    int rc = load_probe(probe_src, &probe);
    if (rc != CLI_EXIT_OK)
      return rc;
    tc_platform p;
    tc_error err;
    tc_error_clear(&err);
    tc_status st = tc_platform_from_probe(probe, &p, &err);
    json_decref(probe);
    if (st == TC_OK) {
      if (np < 8)
        ps[np++] = p;
    } else if (st == TC_ERR_VERIFY && !is_kata) {
      fprintf(stderr, "teectl config generate: note: %s; registering plain kata-qemu only\n",
              err.detail);
    } else {
      fprintf(stderr, "teectl config generate: %s: %s\n", err.reason, err.detail);
      return st == TC_ERR_VERIFY ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
    }
  }
  char *text = NULL;
  tc_error err;
  tc_error_clear(&err);
  tc_status st;
  if (is_kata)
    st = tc_gen_kata_config(ps[0], &go, &text, &err);
  else if (is_ctrd)
    st = tc_gen_containerd_dropin(ps, np, &go, &text, &err);
  else
    st = tc_gen_runtimeclasses(ps, np, &go, &text, &err);
  if (st != TC_OK) {
    fprintf(stderr, "teectl config generate: %s: %s\n", err.reason, err.detail);
    return CLI_EXIT_USAGE;
  }
  int rc = write_out(out_path, text);
  free(text);
  return rc;
}
