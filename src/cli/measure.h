/* SPDX-License-Identifier: Apache-2.0 */
/* teectl measure: options shared by cmd_measure.c and its Kata configuration and policy
 * parts (not a public API). */
#ifndef TEECTL_CLI_MEASURE_H
#define TEECTL_CLI_MEASURE_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "teectl/measure.h"

typedef struct measure_opts {
  const char *mode; /* "snp", "snp:ovmf-hash", "snp:svsm" */
  const char *ovmf, *kernel, *initrd, *append, *svsm, *vars_file;
  const char *vcpu_type;
  const char *format; /* "hex", "base64", "json" */
  const char *kata_config, *kata_root;
  const char *host_data; /* --host-data hex, checked */
  const char *init_data; /* --init-data FILE */
  unsigned vcpus;
  uint32_t vcpu_sig;
  int has_vcpu_sig;
  unsigned fms[3]; /* --vcpu-family, --vcpu-model, --vcpu-stepping */
  int fms_given;   /* bit i: fms[i] given */
  tc_snp_vmm vmm;
  int vmm_given;
  uint64_t guest_features;
  int features_given;
  uint8_t ovmf_hash[TC_SNP_DIGEST_LEN];
  int has_ovmf_hash;
  uint64_t vars_size;
  int vars_given;
  int policy_snippet;
  json_t *assumptions; /* array of strings (Kata configuration), or NULL */
  json_t *owned;       /* strings the const char * fields above may point into, or NULL */
} measure_opts;

/* Compute and print what o asks for (options already checked). Returns the exit code. */
int cli_measure_run(measure_opts *o);

/* --kata-config: fill the inputs the command line left open from the configuration, note
 * each in o->assumptions. Returns 0, or -1 after printing the error. */
int cli_measure_from_kata(measure_opts *o);

/* The assumptions, one "assumption: ..." line each (nothing when there are none). */
void cli_measure_print_assumptions(FILE *f, const measure_opts *o);

/* Print {"snp":{"measurements":[digest],"host_data":[...]}} (docs/policy.md); the
 * assumptions go to stderr. Returns the exit code. */
int cli_measure_policy_snippet(FILE *f, const measure_opts *o, const uint8_t d[TC_SNP_DIGEST_LEN]);

/* The launch digest of a Kata SEV-SNP configuration (text of len bytes), the
 * files it names read under kata_root (NULL: as named), for vcpu_type (a QEMU CPU model name,
 * or NULL), with the defaults of `teectl measure snp --kata-config`: QEMU, guest features
 * 0x1, the configuration's vCPUs. Returns 1 with d filled and how (cap hcap) saying what it
 * was computed from; 0 when the text is not a Kata SEV-SNP configuration (nothing to
 * measure); -1 when it cannot be computed, why (cap wcap) saying why ("reason: detail"). */
int cli_measure_kata_digest(const char *text, size_t len, const char *kata_root,
                            const char *vcpu_type, uint8_t d[TC_SNP_DIGEST_LEN], char *how,
                            size_t hcap, char *why, size_t wcap);

#endif
