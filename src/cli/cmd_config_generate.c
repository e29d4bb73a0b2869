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

enum gen_target { GEN_KATA, GEN_CONTAINERD, GEN_RUNTIMECLASS };

/* The command line, parsed. */
struct gen_args {
  tc_platform ps[8]; /* the platforms named (then: all, and the probe's for auto) */
  size_t np;
  int want_auto, want_all, have_platform, have_form;
  const char *probe_src, *out_path;
  enum gen_target target;
  tc_gen_opts go;
};

/* The options of argv into *a. 0: go on; -1: --help printed (exit 0); else the exit
 * code (a message was printed). */
static int parse_options(int argc, char **argv, struct gen_args *a) {
  static const struct option opts[] = {
      {"platform", required_argument, NULL, 'p'}, {"probe", required_argument, NULL, 'P'},
      {"runtime", required_argument, NULL, 'r'},  {"prefix", required_argument, NULL, 'x'},
      {"version", required_argument, NULL, 'v'},  {"snapshotter", required_argument, NULL, 's'},
      {"form", required_argument, NULL, 'f'},     {"out", required_argument, NULL, 'o'},
      {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
  cli_getopt_reset();
  int c;
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    switch (c) {
    case 'p':
      a->have_platform = 1;
      if (add_platforms(optarg, a->ps, &a->np, &a->want_auto, &a->want_all) != 0)
        return CLI_EXIT_USAGE;
      break;
    case 'P':
      a->probe_src = optarg;
      break;
    case 'r':
      if (strcmp(optarg, "go") == 0)
        a->go.runtime = TC_KATA_GO;
      else if (strcmp(optarg, "rs") == 0 || strcmp(optarg, "runtime-rs") == 0)
        a->go.runtime = TC_KATA_RS;
      else
        return cli_usage_error("config generate", "--runtime must be go or rs, not '%s'", optarg);
      break;
    case 'x':
      a->go.prefix = optarg;
      break;
    case 'v':
      if (strcmp(optarg, "2") == 0)
        a->go.containerd_version = 2;
      else if (strcmp(optarg, "3") == 0)
        a->go.containerd_version = 3;
      else
        return cli_usage_error("config generate", "--version must be 2 or 3, not '%s'", optarg);
      break;
    case 's':
      a->go.snapshotter = optarg;
      break;
    case 'f':
      if (strcmp(optarg, "full") == 0)
        a->go.rc_kata_deploy = 0;
      else if (strcmp(optarg, "kata-deploy") == 0)
        a->go.rc_kata_deploy = 1;
      else
        return cli_usage_error("config generate", "--form must be full or kata-deploy, not '%s'",
                               optarg);
      a->have_form = 1;
      break;
    case 'o':
      a->out_path = optarg;
      break;
    case 'h':
      usage(stdout);
      return -1;
    case ':':
      return cli_usage_error("config generate", "option '%s' needs a value", argv[optind - 1]);
    default:
      return cli_usage_error("config generate", "unknown option '%s'", argv[optind - 1]);
    }
  }
  return 0;
}

/* The one argument after the options (kata, containerd or runtimeclass) into a->target,
 * and whether the options go with it. 0, or CLI_EXIT_USAGE (message printed). */
static int parse_target(int argc, char **argv, struct gen_args *a) {
  if (optind >= argc)
    return cli_usage_error("config generate", "missing what to generate: kata, containerd or "
                                              "runtimeclass");
  const char *what = argv[optind];
  if (optind + 1 < argc)
    return cli_usage_error("config generate", "unexpected argument '%s'", argv[optind + 1]);
  if (strcmp(what, "kata") == 0)
    a->target = GEN_KATA;
  else if (strcmp(what, "containerd") == 0)
    a->target = GEN_CONTAINERD;
  else if (strcmp(what, "runtimeclass") == 0 || strcmp(what, "runtimeclasses") == 0)
    a->target = GEN_RUNTIMECLASS;
  else
    return cli_usage_error("config generate",
                           "unknown target '%s' (kata, containerd or runtimeclass)", what);
  int is_kata = a->target == GEN_KATA, is_ctrd = a->target == GEN_CONTAINERD;
  if (is_kata && !a->have_platform)
    return cli_usage_error("config generate", "kata needs --platform snp|tdx|sgx|none|auto");
  if (is_kata && (a->want_all || a->np + (size_t)a->want_auto != 1))
    return cli_usage_error("config generate", "kata takes exactly one --platform (snp, tdx, sgx, "
                                              "none or auto; all is for containerd and "
                                              "runtimeclass)");
  if (is_ctrd && a->go.containerd_version == 0)
    return cli_usage_error("config generate", "containerd needs --version 2|3");
  if (!is_ctrd && (a->go.containerd_version || a->go.snapshotter))
    return cli_usage_error("config generate", "--version and --snapshotter are for containerd");
  if (a->target != GEN_RUNTIMECLASS && a->have_form)
    return cli_usage_error("config generate", "--form is for runtimeclass");
  return 0;
}

/* Explicit platforms with --probe: say which of them the node cannot run (a warning; the
 * configuration is still written). 0, or the exit code when the probe cannot be had. */
static int warn_unusable(const struct gen_args *a) {
  json_t *probe = NULL;
  int rc = load_probe(a->probe_src, &probe);
  if (rc != CLI_EXIT_OK)
    return rc;
  for (size_t i = 0; i < a->np; i++)
    if (!tc_platform_usable(probe, a->ps[i]))
      fprintf(stderr,
              "teectl config generate: warning: the probe does not show %s usable on this "
              "node (see 'teectl probe')\n",
              a->ps[i] == TC_PLATFORM_NONE ? "KVM" : tc_platform_name(a->ps[i]));
  json_decref(probe);
  return CLI_EXIT_OK;
}

/* --platform auto: add the platform the probe finds usable. When it finds none, kata fails
 * (exit 1) and containerd and runtimeclass go on with plain kata-qemu only. 0, or the exit
 * code. */
static int add_auto_platform(struct gen_args *a) {
  json_t *probe = NULL;
  int rc = load_probe(a->probe_src, &probe);
  if (rc != CLI_EXIT_OK)
    return rc;
  tc_platform p;
  tc_error err;
  tc_error_clear(&err);
  tc_status st = tc_platform_from_probe(probe, &p, &err);
  json_decref(probe);
  if (st == TC_OK) {
    if (a->np < 8)
      a->ps[a->np++] = p;
  } else if (st == TC_ERR_VERIFY && a->target != GEN_KATA) {
    fprintf(stderr, "teectl config generate: note: %s; registering plain kata-qemu only\n",
            err.detail);
  } else {
    fprintf(stderr, "teectl config generate: %s: %s\n", err.reason, err.detail);
    return st == TC_ERR_VERIFY ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
  }
  return CLI_EXIT_OK;
}

/* The platforms to generate for: as named; without --platform, auto for containerd and
 * all for runtimeclass; "all" is SNP, TDX and SGX; auto adds the probe's. 0, or the exit
 * code. */
static int settle_platforms(struct gen_args *a) {
  if (!a->have_platform) {
    if (a->target == GEN_CONTAINERD)
      a->want_auto = 1;
    else
      a->want_all = 1;
  }
  if (a->want_all) {
    const tc_platform all[] = {TC_PLATFORM_SNP, TC_PLATFORM_TDX, TC_PLATFORM_SGX};
    for (size_t i = 0; i < 3 && a->np < 8; i++)
      a->ps[a->np++] = all[i];
  }
  int rc = CLI_EXIT_OK;
  if (a->probe_src && !a->want_auto)
    rc = warn_unusable(a);
  if (rc == CLI_EXIT_OK && a->want_auto)
    rc = add_auto_platform(a);
  return rc;
}

/* Generate the target's text and write it (--out FILE atomically, else stdout). */
static int generate(const struct gen_args *a) {
  char *text = NULL;
  tc_error err;
  tc_error_clear(&err);
  tc_status st;
  if (a->target == GEN_KATA)
    st = tc_gen_kata_config(a->ps[0], &a->go, &text, &err);
  else if (a->target == GEN_CONTAINERD)
    st = tc_gen_containerd_dropin(a->ps, a->np, &a->go, &text, &err);
  else
    st = tc_gen_runtimeclasses(a->ps, a->np, &a->go, &text, &err);
  if (st != TC_OK) {
    fprintf(stderr, "teectl config generate: %s: %s\n", err.reason, err.detail);
    return CLI_EXIT_USAGE;
  }
  int rc = write_out(a->out_path, text);
  free(text);
  return rc;
}

int cmd_config_generate(int argc, char **argv) {
  struct gen_args a = {.go = {.runtime = TC_KATA_GO, .prefix = NULL, .containerd_version = 0}};
  int rc = parse_options(argc, argv, &a);
  if (rc != 0)
    return rc < 0 ? CLI_EXIT_OK : rc;
  if ((rc = parse_target(argc, argv, &a)) != 0 || (rc = settle_platforms(&a)) != 0)
    return rc;
  return generate(&a);
}
