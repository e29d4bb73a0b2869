/* SPDX-License-Identifier: Apache-2.0 */
/* teectl measure: the SEV-SNP launch digest (MEASUREMENT) of a guest from its firmware,
 * measured direct boot inputs, vCPUs and VMM (src/measure), to put into an appraisal policy
 * as a reference value. Option names follow virtee/sev-snp-measure where they mean the same. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "cli/measure.h"
#include "cli/output.h"
#include "teectl/base64.h"
#include "teectl/bytes.h"
#include "teectl/crypto.h"
#include "teectl/file.h"

#define OVMF_MAX (64u << 20)
#define SVSM_MAX (64u << 20)

static void usage(FILE *f) {
  fprintf(
      f,
      "Usage: teectl measure [snp] [options]\n\n"
      "Compute the AMD SEV-SNP launch digest (the attestation report's MEASUREMENT, 48 bytes)\n"
      "that a guest launched with these inputs gets: OVMF pages, the OVMF SEV metadata\n"
      "sections, the SEV hash table of measured direct boot (SHA-256 of kernel, initrd and\n"
      "command line), and one VMSA page per vCPU as the VMM sets it up.\n\n"
      "Options:\n"
      "  --mode snp|snp:ovmf-hash|snp:svsm\n"
      "                        snp (default): the launch digest; snp:ovmf-hash: the chain\n"
      "                        state after the OVMF pages (for --snp-ovmf-hash); snp:svsm:\n"
      "                        a Coconut SVSM launch (--svsm and --vars-size|--vars-file)\n"
      "  --ovmf FILE           OVMF firmware image (required)\n"
      "  --kernel FILE         kernel of measured direct boot (needs an OVMF with kernel\n"
      "                        hashes, e.g. an AmdSev build)\n"
      "  --initrd FILE         initrd (with --kernel; default: none, hashed as empty)\n"
      "  --append CMDLINE      kernel command line (with --kernel; default: empty)\n"
      "  --vcpus N             number of vCPUs, 1..%d (required)\n"
      "  --vcpu-type NAME      QEMU CPU model: EPYC, EPYC-v1..v4, EPYC-IBPB, EPYC-Rome[-v1..v3],\n"
      "                        EPYC-Milan[-v1|-v2], EPYC-Genoa[-v1], EPYC-Turin\n"
      "  --vcpu-sig N          CPUID Fn0000_0001_EAX signature (0x... or decimal)\n"
      "  --vcpu-family N --vcpu-model N --vcpu-stepping N\n"
      "                        the signature from its parts\n"
      "                        (one vCPU choice is required with QEMU; EC2 and GCE ignore it)\n"
      "  --vmm-type qemu|ec2|gce   the VMM that launches the guest (default qemu)\n"
      "  --guest-features N    VMSA SEV_FEATURES (default 0x1: SNP active)\n"
      "  --snp-ovmf-hash HEX   start from this precomputed OVMF hash (48 bytes hex; also\n"
      "                        --ovmf-hash); the OVMF file still gives the metadata\n"
      "  --svsm FILE           Coconut SVSM image (snp:svsm)\n"
      "  --vars-size N         OVMF variable store size in bytes (snp:svsm)\n"
      "  --vars-file FILE      OVMF variable store file, its size is used (snp:svsm)\n"
      "  --kata-config FILE    take firmware, kernel, initrd, command line and vCPUs from a\n"
      "                        Kata configuration (configuration-qemu-snp.toml); options\n"
      "                        given explicitly win; every assumption is printed\n"
      "  --kata-root DIR       read the files the configuration names under DIR (a copy\n"
      "                        of the node's file system)\n"
      "  --policy-snippet      print an appraisal policy fragment with the digest as the\n"
      "                        reference value ({\"snp\":{\"measurements\":[...]}})\n"
      "  --host-data HEX       with --policy-snippet: also require this HOST_DATA (32 bytes)\n"
      "  --init-data FILE      with --policy-snippet: HOST_DATA of this Kata init-data\n"
      "                        document (TOML; its algorithm's digest, padded or cut to 32\n"
      "                        bytes)\n"
      "  --format hex|base64|json  output (default hex; also --output-format); json lists\n"
      "                        every measured region\n"
      "  -h, --help            show this help\n\n"
      "Exit codes: 0 computed, 2 usage error or unusable input (not an OVMF with SEV\n"
      "metadata, unknown vCPU type, unreadable file, ...).\n",
      TC_SNP_MAX_VCPUS);
}

enum {
  O_MODE = 256,
  O_OVMF,
  O_KERNEL,
  O_INITRD,
  O_APPEND,
  O_VCPUS,
  O_VCPU_TYPE,
  O_VCPU_SIG,
  O_VCPU_FAMILY,
  O_VCPU_MODEL,
  O_VCPU_STEPPING,
  O_VMM,
  O_FEATURES,
  O_OVMF_HASH,
  O_SVSM,
  O_VARS_SIZE,
  O_VARS_FILE,
  O_FORMAT,
  O_KATA,
  O_KATA_ROOT,
  O_SNIPPET,
  O_HOST_DATA,
  O_INIT_DATA,
};

static const struct option opts[] = {
    {"mode", required_argument, NULL, O_MODE},
    {"ovmf", required_argument, NULL, O_OVMF},
    {"kernel", required_argument, NULL, O_KERNEL},
    {"initrd", required_argument, NULL, O_INITRD},
    {"append", required_argument, NULL, O_APPEND},
    {"vcpus", required_argument, NULL, O_VCPUS},
    {"vcpu-type", required_argument, NULL, O_VCPU_TYPE},
    {"vcpu-sig", required_argument, NULL, O_VCPU_SIG},
    {"vcpu-family", required_argument, NULL, O_VCPU_FAMILY},
    {"vcpu-model", required_argument, NULL, O_VCPU_MODEL},
    {"vcpu-stepping", required_argument, NULL, O_VCPU_STEPPING},
    {"vmm-type", required_argument, NULL, O_VMM},
    {"guest-features", required_argument, NULL, O_FEATURES},
    {"snp-ovmf-hash", required_argument, NULL, O_OVMF_HASH},
    {"ovmf-hash", required_argument, NULL, O_OVMF_HASH},
    {"svsm", required_argument, NULL, O_SVSM},
    {"vars-size", required_argument, NULL, O_VARS_SIZE},
    {"vars-file", required_argument, NULL, O_VARS_FILE},
    {"format", required_argument, NULL, O_FORMAT},
    {"output-format", required_argument, NULL, O_FORMAT},
    {"kata-config", required_argument, NULL, O_KATA},
    {"kata-root", required_argument, NULL, O_KATA_ROOT},
    {"policy-snippet", no_argument, NULL, O_SNIPPET},
    {"host-data", required_argument, NULL, O_HOST_DATA},
    {"init-data", required_argument, NULL, O_INIT_DATA},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Strict unsigned number: decimal, or hex with 0x; no sign, no junk, at most max. */
static int parse_u64(const char *opt, const char *text, uint64_t max, uint64_t *out) {
  char *end;
  errno = 0;
  int hex = text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  unsigned long long v = strtoull(hex ? text + 2 : text, &end, hex ? 16 : 10);
  const char *digits = hex ? text + 2 : text;
  if (*digits == '\0' || *digits == '-' || *digits == '+' || *digits == ' ' || *end != '\0' ||
      errno == ERANGE || v > max) {
    cli_usage_error("measure", "--%s: '%s' is not a number in 0..%llu (decimal or 0x hex)", opt,
                    text, (unsigned long long)max);
    return -1;
  }
  *out = v;
  return 0;
}

static int parse_option(int c, const char *arg, measure_opts *o) {
  uint64_t v;
  switch (c) {
  case O_MODE:
    if (strcmp(arg, "snp") != 0 && strcmp(arg, "snp:ovmf-hash") != 0 &&
        strcmp(arg, "snp:svsm") != 0)
      return cli_usage_error("measure", "unknown mode '%s' (snp, snp:ovmf-hash, snp:svsm)", arg),
             -1;
    o->mode = arg;
    return 0;
  case O_OVMF:
    o->ovmf = arg;
    return 0;
  case O_KERNEL:
    o->kernel = arg;
    return 0;
  case O_INITRD:
    o->initrd = arg;
    return 0;
  case O_APPEND:
    o->append = arg;
    return 0;
  case O_VCPUS:
    if (parse_u64("vcpus", arg, TC_SNP_MAX_VCPUS, &v) != 0)
      return -1;
    if (v == 0)
      return cli_usage_error("measure", "--vcpus: at least 1 vCPU"), -1;
    o->vcpus = (unsigned)v;
    return 0;
  case O_VCPU_TYPE:
    o->vcpu_type = arg;
    return 0;
  case O_VCPU_SIG:
    if (parse_u64("vcpu-sig", arg, UINT32_MAX, &v) != 0)
      return -1;
    o->vcpu_sig = (uint32_t)v;
    o->has_vcpu_sig = 1;
    return 0;
  case O_VCPU_FAMILY:
  case O_VCPU_MODEL:
  case O_VCPU_STEPPING: {
    int i = c - O_VCPU_FAMILY;
    static const char *const names[] = {"vcpu-family", "vcpu-model", "vcpu-stepping"};
    if (parse_u64(names[i], arg, 0xFFFF, &v) != 0)
      return -1;
    o->fms[i] = (unsigned)v;
    o->fms_given |= 1 << i;
    return 0;
  }
  case O_VMM: {
    tc_error err;
    if (tc_snp_vmm_parse(arg, &o->vmm, &err) != TC_OK)
      return cli_usage_error("measure", "--vmm-type: %s", err.detail), -1;
    o->vmm_given = 1;
    return 0;
  }
  case O_FEATURES:
    if (parse_u64("guest-features", arg, UINT64_MAX, &o->guest_features) != 0)
      return -1;
    o->features_given = 1;
    return 0;
  case O_OVMF_HASH: {
    size_t n = 0;
    tc_error err;
    if (tc_hex_decode(arg, o->ovmf_hash, sizeof o->ovmf_hash, &n, &err) != TC_OK ||
        n != TC_SNP_DIGEST_LEN)
      return cli_usage_error("measure", "--snp-ovmf-hash: 96 hex digits (48 bytes) expected"), -1;
    o->has_ovmf_hash = 1;
    return 0;
  }
  case O_SVSM:
    o->svsm = arg;
    return 0;
  case O_VARS_SIZE:
    if (parse_u64("vars-size", arg, UINT32_MAX, &o->vars_size) != 0)
      return -1;
    o->vars_given++;
    return 0;
  case O_VARS_FILE:
    o->vars_file = arg;
    o->vars_given++;
    return 0;
  case O_FORMAT:
    if (strcmp(arg, "hex") != 0 && strcmp(arg, "base64") != 0 && strcmp(arg, "json") != 0)
      return cli_usage_error("measure", "unknown format '%s' (hex, base64 or json)", arg), -1;
    o->format = arg;
    return 0;
  case O_KATA:
    o->kata_config = arg;
    return 0;
  case O_KATA_ROOT:
    o->kata_root = arg;
    return 0;
  case O_SNIPPET:
    o->policy_snippet = 1;
    return 0;
  case O_HOST_DATA: {
    uint8_t hd[32];
    size_t n = 0;
    tc_error err;
    if (tc_hex_decode(arg, hd, sizeof hd, &n, &err) != TC_OK || n != sizeof hd)
      return cli_usage_error("measure", "--host-data: 64 hex digits (32 bytes) expected"), -1;
    o->host_data = arg;
    return 0;
  }
  case O_INIT_DATA:
    o->init_data = arg;
    return 0;
  default:
    return -1;
  }
}

/* The vCPU signature from --vcpu-type / --vcpu-sig / --vcpu-family..stepping (exactly one). */
static int resolve_vcpu_sig(measure_opts *o, int required) {
  int choices = (o->vcpu_type != NULL) + o->has_vcpu_sig + (o->fms_given != 0);
  tc_error err;
  if (choices > 1)
    return cli_usage_error("measure", "give one of --vcpu-type, --vcpu-sig or "
                                      "--vcpu-family/--vcpu-model/--vcpu-stepping"),
           -1;
  if (o->fms_given != 0 && o->fms_given != 7)
    return cli_usage_error("measure", "--vcpu-family, --vcpu-model and --vcpu-stepping go "
                                      "together"),
           -1;
  if (o->vcpu_type && tc_snp_vcpu_sig(o->vcpu_type, &o->vcpu_sig, &err) != TC_OK)
    return cli_usage_error("measure", "--vcpu-type: %s", err.detail), -1;
  if (o->fms_given && tc_snp_cpu_sig(o->fms[0], o->fms[1], o->fms[2], &o->vcpu_sig, &err) != TC_OK)
    return cli_usage_error("measure", "%s", err.detail), -1;
  if (choices == 0 && required)
    return cli_usage_error("measure", "missing --vcpu-type, --vcpu-sig or --vcpu-family/"
                                      "--vcpu-model/--vcpu-stepping (QEMU puts the vCPU "
                                      "signature into the VMSA)"),
           -1;
  return 0;
}

/* Checks that need all options. */
static int check_options(measure_opts *o) {
  int svsm = strcmp(o->mode, "snp:svsm") == 0, hash_only = strcmp(o->mode, "snp:ovmf-hash") == 0;
  if (o->ovmf == NULL)
    return cli_usage_error("measure", "missing --ovmf FILE"), -1;
  if ((o->initrd || o->append) && o->kernel == NULL)
    return cli_usage_error("measure", "--%s needs --kernel (measured direct boot)",
                           o->initrd ? "initrd" : "append"),
           -1;
  if (!svsm && (o->svsm || o->vars_given))
    return cli_usage_error("measure", "--svsm, --vars-size and --vars-file go with --mode "
                                      "snp:svsm"),
           -1;
  if (svsm && (o->svsm == NULL || o->vars_given != 1))
    return cli_usage_error("measure", "--mode snp:svsm needs --svsm FILE and one of --vars-size "
                                      "or --vars-file"),
           -1;
  if (svsm && (o->kernel || o->has_ovmf_hash || o->vmm != TC_SNP_VMM_QEMU))
    return cli_usage_error("measure", "--mode snp:svsm takes no --kernel, --snp-ovmf-hash or "
                                      "--vmm-type other than qemu"),
           -1;
  if (hash_only)
    return 0;
  if (o->vcpus == 0)
    return cli_usage_error("measure", "missing --vcpus N"), -1;
  return resolve_vcpu_sig(o, o->vmm == TC_SNP_VMM_QEMU);
}

static int read_input(const char *what, const char *path, size_t max, tc_buf *out) {
  tc_error err;
  if (tc_file_read(path, max, out, &err) != TC_OK) {
    fprintf(stderr, "teectl measure: %s %s\n", what, err.detail);
    return -1;
  }
  return 0;
}

/* Hash the measured direct boot inputs into *h. */
static int kernel_hashes(const measure_opts *o, tc_snp_kernel_hashes *h) {
  tc_error err;
  if (tc_measure_sha256_file(o->kernel, h->kernel, &err) != TC_OK ||
      (o->initrd ? tc_measure_sha256_file(o->initrd, h->initrd, &err)
                 : tc_sha256("", 0, h->initrd, &err)) != TC_OK ||
      tc_snp_cmdline_sha256(o->append ? o->append : "", h->cmdline, &err) != TC_OK) {
    fprintf(stderr, "teectl measure: %s: %s\n", err.reason, err.detail);
    return -1;
  }
  return 0;
}

static void print_digest(const measure_opts *o, const uint8_t d[TC_SNP_DIGEST_LEN]) {
  if (strcmp(o->format, "base64") == 0) {
    char b64[65];
    tc_b64_encode_to(d, TC_SNP_DIGEST_LEN, TC_B64_STD, b64);
    printf("%s\n", b64);
  } else {
    char hex[2 * TC_SNP_DIGEST_LEN + 1];
    printf("%s\n", tc_hex_encode(d, TC_SNP_DIGEST_LEN, hex));
  }
}

static json_t *inputs_json(const measure_opts *o) {
  char sig[16], feat[24];
  snprintf(sig, sizeof sig, "0x%08x", o->vcpu_sig);
  snprintf(feat, sizeof feat, "0x%llx", (unsigned long long)o->guest_features);
  json_t *in = json_pack("{s:s, s:s}", "mode", o->mode, "ovmf", o->ovmf);
  if (o->kernel)
    json_object_set_new(in, "kernel", json_string(o->kernel));
  if (o->initrd)
    json_object_set_new(in, "initrd", json_string(o->initrd));
  if (o->kernel)
    json_object_set_new(in, "append", json_string(o->append ? o->append : ""));
  if (o->svsm) {
    json_object_set_new(in, "svsm", json_string(o->svsm));
    json_object_set_new(in, "vars_size", json_integer((json_int_t)o->vars_size));
  }
  json_object_set_new(in, "vcpus", json_integer(o->vcpus));
  if (o->vcpu_type && o->vmm == TC_SNP_VMM_QEMU)
    json_object_set_new(in, "vcpu_type", json_string(o->vcpu_type));
  /* EC2 and GCE put 0x600 into RDX whatever the vCPU (the VMSA regions show the pages) */
  json_object_set_new(in, "vcpu_sig", json_string(o->vmm == TC_SNP_VMM_QEMU ? sig : "0x00000600"));
  json_object_set_new(in, "vmm_type", json_string(tc_snp_vmm_name(o->vmm)));
  json_object_set_new(in, "guest_features", json_string(feat));
  return in;
}

static int emit(const measure_opts *o, const uint8_t d[TC_SNP_DIGEST_LEN], json_t *regions) {
  char hex[2 * TC_SNP_DIGEST_LEN + 1];
  if (o->policy_snippet)
    return cli_measure_policy_snippet(stdout, o, d);
  if (strcmp(o->format, "json") != 0) {
    cli_measure_print_assumptions(stderr, o);
    print_digest(o, d);
    return CLI_EXIT_OK;
  }
  json_t *out = json_pack("{s:s, s:s, s:o}", "mode", o->mode, "measurement",
                          tc_hex_encode(d, TC_SNP_DIGEST_LEN, hex), "inputs", inputs_json(o));
  if (o->assumptions)
    json_object_set(out, "assumptions", o->assumptions);
  json_object_set(out, "regions", regions);
  cli_print_json(stdout, out);
  json_decref(out);
  return CLI_EXIT_OK;
}

static int ovmf_hash_mode(const measure_opts *o, const tc_buf *ovmf) {
  uint8_t d[TC_SNP_DIGEST_LEN];
  char hex[2 * TC_SNP_DIGEST_LEN + 1];
  tc_error err;
  if (tc_snp_ovmf_hash(ovmf->data, ovmf->len, d, &err) != TC_OK) {
    fprintf(stderr, "teectl measure: %s: %s: %s\n", o->ovmf, err.reason, err.detail);
    return CLI_EXIT_USAGE;
  }
  if (strcmp(o->format, "json") != 0) {
    print_digest(o, d);
    return CLI_EXIT_OK;
  }
  json_t *out = json_pack("{s:s, s:s, s:s}", "mode", o->mode, "ovmf", o->ovmf, "ovmf_hash",
                          tc_hex_encode(d, TC_SNP_DIGEST_LEN, hex));
  cli_print_json(stdout, out);
  json_decref(out);
  return CLI_EXIT_OK;
}

int cli_measure_run(measure_opts *o) {
  tc_buf ovmf = {0}, svsm = {0};
  tc_snp_kernel_hashes h;
  tc_error err;
  int rc = CLI_EXIT_USAGE;
  if (read_input("--ovmf", o->ovmf, OVMF_MAX, &ovmf) != 0)
    return rc;
  if (strcmp(o->mode, "snp:ovmf-hash") == 0) {
    rc = ovmf_hash_mode(o, &ovmf);
    tc_buf_free(&ovmf);
    return rc;
  }
  struct stat st;
  if (o->vars_file && stat(o->vars_file, &st) != 0) {
    fprintf(stderr, "teectl measure: --vars-file %s: %s\n", o->vars_file, strerror(errno));
    goto out;
  }
  if (o->vars_file)
    o->vars_size = (uint64_t)st.st_size;
  if ((o->svsm && read_input("--svsm", o->svsm, SVSM_MAX, &svsm) != 0) ||
      (o->kernel && kernel_hashes(o, &h) != 0))
    goto out;
  tc_snp_launch in = {.ovmf = ovmf.data,
                      .ovmf_len = ovmf.len,
                      .ovmf_hash = o->has_ovmf_hash ? o->ovmf_hash : NULL,
                      .hashes = o->kernel ? &h : NULL,
                      .svsm = o->svsm ? svsm.data : NULL,
                      .svsm_len = svsm.len,
                      .vars_size = o->vars_size,
                      .vcpus = o->vcpus,
                      .vcpu_sig = o->vcpu_sig,
                      .guest_features = o->guest_features,
                      .vmm = o->vmm};
  uint8_t d[TC_SNP_DIGEST_LEN];
  json_t *regions = json_array();
  if (tc_snp_launch_digest(&in, d, regions, &err) != TC_OK)
    fprintf(stderr, "teectl measure: %s: %s (%s%s%s)\n", err.reason, err.detail, o->ovmf,
            o->svsm ? ", " : "", o->svsm ? o->svsm : "");
  else
    rc = emit(o, d, regions);
  json_decref(regions);
out:
  tc_buf_free(&ovmf);
  tc_buf_free(&svsm);
  return rc;
}

int cmd_measure(int argc, char **argv) {
  measure_opts o = {.mode = "snp", .format = "hex", .guest_features = 0x1};
  int c, rc = CLI_EXIT_USAGE;
  cli_getopt_reset();
  if (argc > 1 && strcmp(argv[1], "snp") == 0) { /* `teectl measure snp ...` */
    argv[1] = argv[0];
    argc--;
    argv++;
  }
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    if (c == 'h') {
      usage(stdout);
      return CLI_EXIT_OK;
    }
    if (c == ':')
      return cli_usage_error("measure", "option '%s' needs a value", argv[optind - 1]);
    if (c == '?')
      return cli_usage_error("measure", "unknown option '%s'", argv[optind - 1]);
    if (parse_option(c, optarg, &o) != 0)
      return CLI_EXIT_USAGE;
  }
  if (optind != argc)
    return cli_usage_error("measure", "unexpected argument '%s'", argv[optind]);
  if (o.kata_root && !o.kata_config)
    return cli_usage_error("measure", "--kata-root goes with --kata-config");
  if ((o.host_data || o.init_data) && !o.policy_snippet)
    return cli_usage_error("measure", "--host-data and --init-data go with --policy-snippet");
  if (o.host_data && o.init_data)
    return cli_usage_error("measure", "give --host-data or --init-data, not both");
  if (o.kata_config && strcmp(o.mode, "snp") != 0)
    return cli_usage_error("measure", "--kata-config goes with --mode snp");
  if (o.kata_config && cli_measure_from_kata(&o) != 0)
    goto out;
  if (check_options(&o) != 0)
    goto out;
  rc = cli_measure_run(&o);
out:
  json_decref(o.assumptions);
  json_decref(o.owned);
  return rc;
}
