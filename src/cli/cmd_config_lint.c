/* SPDX-License-Identifier: Apache-2.0 */
/* teectl config lint: find mistakes in Kata, containerd and RuntimeClass configuration. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/commands.h"
#include "cli/measure.h"
#include "cli/output.h"
#include "teectl/appraisal.h"
#include "teectl/file.h"
#include "teectl/lint.h"
#include "teectl/probe.h"

static void usage(FILE *f) {
  fprintf(f, "Usage: teectl config lint [options] FILE|-...\n\n"
             "Check Kata Containers configuration files (configuration-*.toml, Go runtime or\n"
             "runtime-rs), containerd configuration (config.toml or a drop-in, schema version 2\n"
             "or 3) and Kubernetes RuntimeClasses (YAML) for mistakes: TOML errors (duplicate\n"
             "keys), unknown, removed or mistyped keys, wrong settings for SEV-SNP / TDX / SGX,\n"
             "containerd plugin and handler problems, RuntimeClass overhead and scheduling.\n"
             "The kind of each file is detected from its content and extension. Files given\n"
             "together are checked together (containerd handlers vs RuntimeClasses). '-' reads\n"
             "one file from standard input (named <stdin> in findings).\n\n"
             "Options:\n"
             "  --format text|json  output format (default text: 'file:line:col: severity:\n"
             "                      message' then an indented 'fix:' line; json:\n"
             "                      {\"findings\":[{file,line,column,table,key,severity,rule,\n"
             "                      message,fix}]})\n"
             "  --runtime go|rs|auto  Kata runtime the files are for (default auto: the one\n"
             "                      whose schema knows more of the keys)\n"
             "  --probe FILE|live   the node's probe result (teectl probe --format json), or\n"
             "                      'live' to probe this machine: also check the\n"
             "                      configuration against the hardware\n"
             "  --live-probe        the same as --probe live\n"
             "  --policy FILE       an appraisal policy (JSON or YAML, docs/policy.md): the\n"
             "                      launch digest of each Kata SEV-SNP configuration (as\n"
             "                      'teectl measure snp --kata-config' computes it) must be\n"
             "                      among its snp.measurements (warning otherwise)\n"
             "    --vcpu-type NAME  the vCPU type for that digest (QEMU CPU model, e.g.\n"
             "                      EPYC-Genoa: Kata runs QEMU with -cpu host)\n"
             "    --kata-root DIR   read the files the configurations name under DIR\n"
             "  -h, --help          show this help\n\n"
             "Exit codes: 0 no findings, or only 'info' findings; 1 at least one 'error' or\n"
             "'warning' finding; 2 usage error, or a file that cannot be read or parsed.\n"
             "A duplicate key or table is reported as an error finding (exit 1) and linting\n"
             "goes on with the first definition; other TOML/YAML syntax errors give exit 2.\n");
}

static void print_text(const tc_lint_report *r) {
  for (size_t i = 0; i < r->len; i++) {
    const tc_lint_finding *f = &r->items[i];
    if (f->line)
      printf("%s:%u:%u: %s: %s [%s]\n", f->file, f->line, f->column,
             tc_lint_severity_name(f->severity), f->message, f->rule);
    else
      printf("%s: %s: %s [%s]\n", f->file, tc_lint_severity_name(f->severity), f->message, f->rule);
    if (f->fix && f->fix[0])
      printf("    fix: %s\n", f->fix);
  }
  size_t n[3] = {0, 0, 0};
  for (size_t i = 0; i < r->len; i++)
    n[r->items[i].severity]++;
  fprintf(stderr, "%zu error(s), %zu warning(s), %zu info\n", n[TC_LINT_ERROR], n[TC_LINT_WARNING],
          n[TC_LINT_INFO]);
}

/* --policy FILE: parsed as the service would (JSON or YAML, every key checked). */
static int load_policy(const char *path, tc_policy **out) {
  tc_buf b;
  tc_error err;
  if (tc_file_read(path, 4u << 20, &b, &err) != TC_OK) {
    fprintf(stderr, "teectl config lint: --policy %s\n", err.detail);
    return -1;
  }
  tc_status st = tc_policy_parse((const char *)b.data, b.len, path, out, &err);
  tc_buf_free(&b);
  if (st != TC_OK) {
    fprintf(stderr, "teectl config lint: --policy %s: %s\n", err.reason, err.detail);
    return -1;
  }
  return 0;
}

/* --policy: each Kata SEV-SNP configuration's launch digest against snp.measurements. */
static tc_status check_measurements(const tc_lint_input *in, size_t n, const char *policy_file,
                                    const tc_policy *policy, const char *kata_root,
                                    const char *vcpu_type, tc_lint_report *rep, tc_error *err) {
  const json_t *ms =
      json_object_get(json_object_get(tc_policy_json(policy), "snp"), "measurements");
  for (size_t i = 0; i < n; i++) {
    uint8_t d[TC_SNP_DIGEST_LEN];
    char how[1200] = "", why[600] = "";
    int r = cli_measure_kata_digest(in[i].text, in[i].len, kata_root, vcpu_type, d, how, sizeof how,
                                    why, sizeof why);
    if (r == 0)
      continue; /* not a Kata SEV-SNP configuration */
    tc_lint_launch l = {.file = in[i].name, .digest = r > 0 ? d : NULL, .why = why, .how = how};
    tc_status st = tc_lint_snp_measurement(&l, ms, policy_file, rep, err);
    if (st != TC_OK)
      return st;
  }
  return TC_OK;
}

int cmd_config_lint(int argc, char **argv) {
  static const struct option longopts[] = {
      {"format", required_argument, NULL, 'f'},
      {"runtime", required_argument, NULL, 'r'},
      {"probe", required_argument, NULL, 'p'},
      {"live-probe", no_argument, NULL, 'L'},
      {"policy", required_argument, NULL, 'P'},
      {"vcpu-type", required_argument, NULL, 'V'},
      {"kata-root", required_argument, NULL, 'K'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  const char *format = "text", *probe_file = NULL;
  const char *policy_file = NULL, *vcpu_type = NULL, *kata_root = NULL;
  int live = 0;
  tc_lint_opts opts = {0};
  cli_getopt_reset();
  int ch;
  while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    switch (ch) {
    case 'f':
      if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0)
        return cli_usage_error("config lint", "--format must be text or json, not '%s'", optarg);
      format = optarg;
      break;
    case 'r':
      if (strcmp(optarg, "go") == 0)
        opts.runtime = TC_LINT_RUNTIME_GO;
      else if (strcmp(optarg, "rs") == 0)
        opts.runtime = TC_LINT_RUNTIME_RS;
      else if (strcmp(optarg, "auto") == 0)
        opts.runtime = TC_LINT_RUNTIME_AUTO;
      else
        return cli_usage_error("config lint", "--runtime must be go, rs or auto, not '%s'", optarg);
      break;
    case 'p':
      if (strcmp(optarg, "live") == 0) /* same spelling as `config generate --probe live` */
        live = 1;
      else
        probe_file = optarg;
      break;
    case 'L':
      live = 1;
      break;
    case 'P':
      policy_file = optarg;
      break;
    case 'V':
      vcpu_type = optarg;
      break;
    case 'K':
      kata_root = optarg;
      break;
    case 'h':
      usage(stdout);
      return CLI_EXIT_OK;
    case ':':
      return cli_usage_error("config lint", "option '%s' needs a value", argv[optind - 1]);
    default:
      return cli_usage_error("config lint", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind >= argc)
    return cli_usage_error("config lint", "no FILE given");
  if (probe_file && live)
    return cli_usage_error("config lint", "--probe and --live-probe exclude each other");
  if ((vcpu_type || kata_root) && !policy_file)
    return cli_usage_error("config lint", "--vcpu-type and --kata-root go with --policy");
  uint32_t sig;
  tc_error verr;
  if (vcpu_type && tc_snp_vcpu_sig(vcpu_type, &sig, &verr) != TC_OK)
    return cli_usage_error("config lint", "--vcpu-type: %s", verr.detail);
  json_t *probe = NULL;
  tc_error err;
  if (probe_file) {
    if (cli_load_probe_file("config lint", probe_file, &probe) != 0)
      return CLI_EXIT_USAGE;
  } else if (live) {
    if (tc_probe_run(NULL, &probe, &err) != TC_OK) {
      fprintf(stderr, "teectl config lint: probe failed: %s: %s\n", err.reason, err.detail);
      return CLI_EXIT_USAGE;
    }
  }
  tc_policy *policy = NULL;
  if (policy_file && load_policy(policy_file, &policy) != 0) {
    json_decref(probe);
    return CLI_EXIT_USAGE;
  }
  opts.probe = probe;
  size_t n = (size_t)(argc - optind);
  tc_lint_input *in = calloc(n, sizeof *in);
  tc_buf *bufs = calloc(n, sizeof *bufs);
  int rc = CLI_EXIT_OK, unreadable = 0;
  tc_lint_report rep = {0};
  size_t m = 0;
  if (!in || !bufs) {
    fprintf(stderr, "teectl config lint: out of memory\n");
    rc = CLI_EXIT_USAGE;
    goto out;
  }
  int stdin_used = 0;
  for (size_t i = 0; i < n; i++) {
    const char *path = argv[optind + (int)i];
    if (strcmp(path, "-") == 0 && stdin_used++) {
      rc = cli_usage_error("config lint", "'-' (standard input) given more than once");
      goto out;
    }
    if (tc_file_read_input(path, 0, &bufs[m], &err) != TC_OK) {
      fprintf(stderr, "teectl config lint: %s\n", err.detail);
      unreadable = 1;
      continue;
    }
    in[m].name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    in[m].text = (const char *)bufs[m].data;
    in[m].len = bufs[m].len;
    m++;
  }
  if (m > 0) {
    if (tc_lint_run(in, m, &opts, &rep, &err) != TC_OK ||
        (policy && check_measurements(in, m, policy_file, policy, kata_root, vcpu_type, &rep,
                                      &err) != TC_OK)) {
      fprintf(stderr, "teectl config lint: %s\n", err.detail);
      tc_lint_report_free(&rep);
      rc = CLI_EXIT_USAGE;
      goto out;
    }
    if (strcmp(format, "json") == 0) {
      json_t *j = tc_lint_report_json(&rep);
      char *s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
      if (!s) {
        fprintf(stderr, "teectl config lint: out of memory\n");
        rc = CLI_EXIT_USAGE;
      } else {
        printf("%s\n", s);
      }
      free(s);
      json_decref(j);
    } else {
      print_text(&rep);
    }
  }
  if (rc == CLI_EXIT_OK) {
    if (unreadable || rep.unparsable)
      rc = CLI_EXIT_USAGE;
    else if (tc_lint_max_severity(&rep) >= TC_LINT_WARNING)
      rc = CLI_EXIT_FAIL;
  }
  tc_lint_report_free(&rep);
out:
  for (size_t i = 0; i < n && bufs; i++)
    tc_buf_free(&bufs[i]);
  free(bufs);
  free(in);
  json_decref(probe);
  tc_policy_free(policy);
  return rc;
}
