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

/* The command line, parsed; the FILE arguments are argv[first_file..]. */
struct lint_args {
  const char *format, *probe_file, *policy_file, *vcpu_type, *kata_root;
  int live;
  tc_lint_opts opts;
  int first_file;
};

/* Parse argv into *a. 0: go on; -1: --help printed (exit 0); else the exit code (a
 * message was printed). */
static int parse_args(int argc, char **argv, struct lint_args *a) {
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
  cli_getopt_reset();
  int ch;
  while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    switch (ch) {
    case 'f':
      if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0)
        return cli_usage_error("config lint", "--format must be text or json, not '%s'", optarg);
      a->format = optarg;
      break;
    case 'r':
      if (strcmp(optarg, "go") == 0)
        a->opts.runtime = TC_LINT_RUNTIME_GO;
      else if (strcmp(optarg, "rs") == 0)
        a->opts.runtime = TC_LINT_RUNTIME_RS;
      else if (strcmp(optarg, "auto") == 0)
        a->opts.runtime = TC_LINT_RUNTIME_AUTO;
      else
        return cli_usage_error("config lint", "--runtime must be go, rs or auto, not '%s'", optarg);
      break;
    case 'p':
      if (strcmp(optarg, "live") == 0) /* same spelling as `config generate --probe live` */
        a->live = 1;
      else
        a->probe_file = optarg;
      break;
    case 'L':
      a->live = 1;
      break;
    case 'P':
      a->policy_file = optarg;
      break;
    case 'V':
      a->vcpu_type = optarg;
      break;
    case 'K':
      a->kata_root = optarg;
      break;
    case 'h':
      usage(stdout);
      return -1;
    case ':':
      return cli_usage_error("config lint", "option '%s' needs a value", argv[optind - 1]);
    default:
      return cli_usage_error("config lint", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind >= argc)
    return cli_usage_error("config lint", "no FILE given");
  if (a->probe_file && a->live)
    return cli_usage_error("config lint", "--probe and --live-probe exclude each other");
  if ((a->vcpu_type || a->kata_root) && !a->policy_file)
    return cli_usage_error("config lint", "--vcpu-type and --kata-root go with --policy");
  a->first_file = optind;
  return 0;
}

/* What the files are checked against: the --vcpu-type name, the probe result (*probe:
 * --probe FILE, or this machine's with --live-probe) and the --policy (*policy). Each is
 * NULL when not asked for. 0, or CLI_EXIT_USAGE (message printed; the caller frees what
 * was loaded). */
static int load_context(const struct lint_args *a, json_t **probe, tc_policy **policy) {
  uint32_t sig;
  tc_error err;
  if (a->vcpu_type && tc_snp_vcpu_sig(a->vcpu_type, &sig, &err) != TC_OK)
    return cli_usage_error("config lint", "--vcpu-type: %s", err.detail);
  if (a->probe_file) {
    if (cli_load_probe_file("config lint", a->probe_file, probe) != 0)
      return CLI_EXIT_USAGE;
  } else if (a->live) {
    if (tc_probe_run(NULL, probe, &err) != TC_OK) {
      fprintf(stderr, "teectl config lint: probe failed: %s: %s\n", err.reason, err.detail);
      return CLI_EXIT_USAGE;
    }
  }
  if (a->policy_file && load_policy(a->policy_file, policy) != 0)
    return CLI_EXIT_USAGE;
  return 0;
}

/* Read the n files (or '-', standard input, at most once) into bufs and the first *m of
 * in; a file that cannot be read is reported and skipped (*unreadable set). 0, or
 * CLI_EXIT_USAGE for '-' given twice. */
static int read_inputs(char **paths, size_t n, tc_lint_input *in, tc_buf *bufs, size_t *m,
                       int *unreadable) {
  int stdin_used = 0;
  for (size_t i = 0; i < n; i++) {
    const char *path = paths[i];
    if (strcmp(path, "-") == 0 && stdin_used++)
      return cli_usage_error("config lint", "'-' (standard input) given more than once");
    tc_error err;
    if (tc_file_read_input(path, 0, &bufs[*m], &err) != TC_OK) {
      fprintf(stderr, "teectl config lint: %s\n", err.detail);
      *unreadable = 1;
      continue;
    }
    in[*m].name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    in[*m].text = (const char *)bufs[*m].data;
    in[*m].len = bufs[*m].len;
    (*m)++;
  }
  return 0;
}

static int print_json(const tc_lint_report *rep) {
  json_t *j = tc_lint_report_json(rep);
  char *s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
  int rc = CLI_EXIT_OK;
  if (!s) {
    fprintf(stderr, "teectl config lint: out of memory\n");
    rc = CLI_EXIT_USAGE;
  } else {
    printf("%s\n", s);
  }
  free(s);
  json_decref(j);
  return rc;
}

/* Lint the m readable inputs (and, with a policy, their launch digests) into *rep and
 * print it. CLI_EXIT_OK, or CLI_EXIT_USAGE (message printed). */
static int lint_and_print(const struct lint_args *a, const tc_lint_input *in, size_t m,
                          const tc_policy *policy, tc_lint_report *rep) {
  tc_error err;
  if (tc_lint_run(in, m, &a->opts, rep, &err) != TC_OK ||
      (policy && check_measurements(in, m, a->policy_file, policy, a->kata_root, a->vcpu_type, rep,
                                    &err) != TC_OK)) {
    fprintf(stderr, "teectl config lint: %s\n", err.detail);
    return CLI_EXIT_USAGE;
  }
  if (strcmp(a->format, "json") == 0)
    return print_json(rep);
  print_text(rep);
  return CLI_EXIT_OK;
}

/* Read, lint and print the files; the exit code: 2 for a file unread or unparsable, 1 for
 * an error or warning finding, else 0. */
static int lint_files(const struct lint_args *a, char **paths, size_t n, const tc_policy *policy) {
  tc_lint_input *in = calloc(n, sizeof *in);
  tc_buf *bufs = calloc(n, sizeof *bufs);
  tc_lint_report rep = {0};
  size_t m = 0;
  int rc, unreadable = 0;
  if (!in || !bufs) {
    fprintf(stderr, "teectl config lint: out of memory\n");
    rc = CLI_EXIT_USAGE;
  } else if ((rc = read_inputs(paths, n, in, bufs, &m, &unreadable)) == 0 && m > 0) {
    rc = lint_and_print(a, in, m, policy, &rep);
  }
  if (rc == CLI_EXIT_OK) {
    if (unreadable || rep.unparsable)
      rc = CLI_EXIT_USAGE;
    else if (tc_lint_max_severity(&rep) >= TC_LINT_WARNING)
      rc = CLI_EXIT_FAIL;
  }
  tc_lint_report_free(&rep);
  for (size_t i = 0; i < n && bufs; i++)
    tc_buf_free(&bufs[i]);
  free(bufs);
  free(in);
  return rc;
}

int cmd_config_lint(int argc, char **argv) {
  struct lint_args a = {.format = "text"};
  int rc = parse_args(argc, argv, &a);
  if (rc != 0)
    return rc < 0 ? CLI_EXIT_OK : rc;
  json_t *probe = NULL;
  tc_policy *policy = NULL;
  rc = load_context(&a, &probe, &policy);
  if (rc == 0) {
    a.opts.probe = probe;
    rc = lint_files(&a, argv + a.first_file, (size_t)(argc - a.first_file), policy);
  }
  json_decref(probe);
  tc_policy_free(policy);
  return rc;
}
