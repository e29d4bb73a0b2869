/* SPDX-License-Identifier: Apache-2.0 */
/* teectl measure --kata-config / --policy-snippet: launch inputs from a Kata configuration
 * (src/measure/kata.c), and the digest as an appraisal policy fragment (docs/policy.md). */
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/measure.h"
#include "cli/output.h"
#include "teectl/bytes.h"
#include "teectl/crypto.h"
#include "teectl/file.h"
#include "teectl/kbs.h"
#include "teectl/toml.h"

#define KATA_CONFIG_MAX (4u << 20)
#define OVMF_FILE_MAX (64u << 20) /* as teectl measure --ovmf */

/* The file named in the configuration, under --kata-root when given (malloc'd). */
static char *node_path(const measure_opts *o, const char *path) {
  if (o->kata_root == NULL)
    return strdup(path);
  size_t n = strlen(o->kata_root) + strlen(path) + 2;
  char *p = malloc(n);
  if (p)
    snprintf(p, n, "%s%s%s", o->kata_root, path[0] == '/' ? "" : "/", path);
  return p;
}

/* Take one input from the configuration unless the option gave it; note where it came from. */
static int take(measure_opts *o, const char **slot, const char *what, const char *cfg_path) {
  char buf[700];
  if (*slot != NULL) {
    snprintf(buf, sizeof buf, "%s: %s (given on the command line; the configuration names %s)",
             what, *slot, cfg_path ? cfg_path : "none");
  } else if (cfg_path != NULL) {
    char *p = node_path(o, cfg_path);
    if (p == NULL || json_array_append_new(o->owned, json_string(p)) != 0) {
      free(p);
      return -1;
    }
    *slot = json_string_value(json_array_get(o->owned, json_array_size(o->owned) - 1));
    free(p);
    snprintf(buf, sizeof buf, "%s: %s (from the configuration)", what, *slot);
  } else {
    return 0;
  }
  return json_array_append_new(o->assumptions, json_string(buf));
}

static int apply(measure_opts *o, const tc_kata_snp *k) {
  char buf[200];
  o->owned = json_array();
  if (o->owned == NULL || take(o, &o->ovmf, "firmware", k->firmware) ||
      take(o, &o->kernel, "kernel", k->kernel) || take(o, &o->initrd, "initrd", k->initrd))
    return -1;
  if (o->append == NULL) {
    json_array_append_new(o->owned, json_string(k->cmdline));
    o->append = json_string_value(json_array_get(o->owned, json_array_size(o->owned) - 1));
  } else {
    json_array_append_new(o->assumptions,
                          json_string("kernel command line: given with --append (the "
                                      "configuration's composed one is not used)"));
  }
  if (!o->features_given)
    json_array_append_new(o->assumptions,
                          json_string("guest features 0x1 (SNP active): the SEV_FEATURES QEMU "
                                      "sets by default; give --guest-features for others"));
  if (o->vcpus == 0)
    o->vcpus = k->vcpus;
  else {
    snprintf(buf, sizeof buf, "vCPUs: %u (given with --vcpus)", o->vcpus);
    json_array_append_new(o->assumptions, json_string(buf));
  }
  return 0;
}

int cli_measure_from_kata(measure_opts *o) {
  tc_buf text = {0};
  tc_toml_doc *doc = NULL;
  tc_kata_snp k;
  tc_error err;
  int rc = -1;
  if (tc_file_read(o->kata_config, KATA_CONFIG_MAX, &text, &err) != TC_OK) {
    fprintf(stderr, "teectl measure: --kata-config %s\n", err.detail);
    return -1;
  }
  if (tc_toml_parse((const char *)text.data, text.len, 0, &doc, &err) != TC_OK ||
      tc_kata_snp_inputs(doc->root, &k, &err) != TC_OK) {
    fprintf(stderr, "teectl measure: %s: %s: %s\n", o->kata_config, err.reason, err.detail);
    goto out;
  }
  o->assumptions = json_incref(k.assumptions);
  if (apply(o, &k) != 0)
    fprintf(stderr, "teectl measure: out of memory\n");
  else if (o->vcpu_type == NULL && !o->has_vcpu_sig && !o->fms_given)
    cli_usage_error("measure",
                    "%s: Kata runs QEMU with -cpu host, so the VMSA carries the host "
                    "CPU's signature: give --vcpu-type (e.g. EPYC-Milan, EPYC-Genoa) "
                    "or --vcpu-sig",
                    o->kata_config);
  else
    rc = 0;
  tc_kata_snp_free(&k);
out:
  tc_toml_doc_free(doc);
  tc_buf_free(&text);
  return rc;
}

void cli_measure_print_assumptions(FILE *f, const measure_opts *o) {
  size_t i;
  json_t *v;
  json_array_foreach(o->assumptions, i, v) fprintf(f, "assumption: %s\n", json_string_value(v));
}

/* HOST_DATA of a Kata init-data document: its digest (Trustee kbs/docs/initdata.md, the
 * document's "algorithm" over the file's bytes) zero-padded or cut to 32 bytes, as the runtime
 * passes it to SNP_LAUNCH_FINISH. hex gets 64 digits. Returns 0, or -1 after an error. */
static int init_data_host_data(const char *path, char hex[65]) {
  tc_buf b = {0};
  tc_kbs_initdata d;
  tc_error err;
  if (tc_file_read(path, 1u << 20, &b, &err) != TC_OK) {
    fprintf(stderr, "teectl measure: --init-data %s\n", err.detail);
    return -1;
  }
  memset(&d, 0, sizeof d);
  tc_status st = tc_kbs_initdata_parse("toml", (const char *)b.data, b.len, &d, &err);
  tc_buf_free(&b);
  if (st != TC_OK) {
    fprintf(stderr, "teectl measure: --init-data %s: %s: %s\n", path, err.reason, err.detail);
    return -1;
  }
  uint8_t hd[32] = {0};
  memcpy(hd, d.digest, d.digest_len < sizeof hd ? d.digest_len : sizeof hd);
  tc_kbs_initdata_clear(&d);
  tc_hex_encode(hd, sizeof hd, hex);
  return 0;
}

int cli_measure_policy_snippet(FILE *f, const measure_opts *o, const uint8_t d[TC_SNP_DIGEST_LEN]) {
  char hex[2 * TC_SNP_DIGEST_LEN + 1], hd[65];
  if (o->init_data && init_data_host_data(o->init_data, hd) != 0)
    return CLI_EXIT_USAGE;
  json_t *snp = json_pack("{s:[s]}", "measurements", tc_hex_encode(d, TC_SNP_DIGEST_LEN, hex));
  if (snp && (o->host_data || o->init_data))
    json_object_set_new(snp, "host_data", json_pack("[s]", o->host_data ? o->host_data : hd));
  json_t *policy = snp ? json_pack("{s:o}", "snp", snp) : NULL;
  if (policy == NULL) {
    fprintf(stderr, "teectl measure: out of memory\n");
    return CLI_EXIT_USAGE;
  }
  cli_measure_print_assumptions(stderr, o);
  cli_print_json(f, policy);
  json_decref(policy);
  return CLI_EXIT_OK;
}

/* The file a configuration names, under kata_root when given (malloc'd). */
static char *under_root(const char *kata_root, const char *path) {
  measure_opts o = {.kata_root = kata_root};
  return node_path(&o, path);
}

int cli_measure_kata_digest(const char *text, size_t len, const char *kata_root,
                            const char *vcpu_type, uint8_t d[TC_SNP_DIGEST_LEN], char *how,
                            size_t hcap, char *why, size_t wcap) {
  tc_toml_doc *doc = NULL;
  tc_kata_snp k;
  tc_error err;
  tc_buf ovmf = {0};
  char *fw = NULL, *kernel = NULL, *initrd = NULL;
  int rc = -1;
  memset(&k, 0, sizeof k);
  if (tc_toml_parse(text, len, 0, &doc, &err) != TC_OK)
    return 0; /* not TOML: not a Kata configuration (the linter reports the syntax) */
  if (tc_kata_snp_inputs(doc->root, &k, &err) != TC_OK) {
    rc = strcmp(err.reason, "kata_not_snp") == 0 ? 0 : -1;
    snprintf(why, wcap, "%s: %s", err.reason, err.detail);
    goto out;
  }
  uint32_t sig = 0;
  if (vcpu_type == NULL) {
    snprintf(why, wcap,
             "no --vcpu-type: Kata runs QEMU with -cpu host, so the launch digest "
             "carries the host CPU's signature");
    goto out;
  }
  if (tc_snp_vcpu_sig(vcpu_type, &sig, &err) != TC_OK) {
    snprintf(why, wcap, "%s: %s", err.reason, err.detail);
    goto out;
  }
  fw = under_root(kata_root, k.firmware);
  kernel = under_root(kata_root, k.kernel);
  initrd = k.initrd ? under_root(kata_root, k.initrd) : NULL;
  tc_snp_kernel_hashes h;
  if (fw == NULL || kernel == NULL || (k.initrd && initrd == NULL)) {
    snprintf(why, wcap, "out_of_memory: paths");
    goto out;
  }
  if (tc_file_read(fw, OVMF_FILE_MAX, &ovmf, &err) != TC_OK ||
      tc_measure_sha256_file(kernel, h.kernel, &err) != TC_OK ||
      (initrd ? tc_measure_sha256_file(initrd, h.initrd, &err)
              : tc_sha256("", 0, h.initrd, &err)) != TC_OK ||
      tc_snp_cmdline_sha256(k.cmdline, h.cmdline, &err) != TC_OK) {
    snprintf(why, wcap, "%s: %s", err.reason, err.detail);
    goto out;
  }
  tc_snp_launch in = {.ovmf = ovmf.data,
                      .ovmf_len = ovmf.len,
                      .hashes = &h,
                      .vcpus = k.vcpus ? k.vcpus : 1,
                      .vcpu_sig = sig,
                      .guest_features = 0x1,
                      .vmm = TC_SNP_VMM_QEMU};
  if (tc_snp_launch_digest(&in, d, NULL, &err) != TC_OK) {
    snprintf(why, wcap, "%s: %s (%s)", err.reason, err.detail, fw);
    goto out;
  }
  snprintf(how, hcap, "%u vCPU%s of type %s, firmware %s, kernel %s%s%s", in.vcpus,
           in.vcpus == 1 ? "" : "s", vcpu_type, fw, kernel, initrd ? ", initrd " : "",
           initrd ? initrd : "");
  rc = 1;
out:
  free(fw);
  free(kernel);
  free(initrd);
  tc_buf_free(&ovmf);
  tc_kata_snp_free(&k);
  tc_toml_doc_free(doc);
  return rc;
}
