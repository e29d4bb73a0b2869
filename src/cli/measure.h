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
  const char *kata_config;
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
} measure_opts;

/* Compute and print what o asks for (options already checked). Returns the exit code. */
int cli_measure_run(measure_opts *o);

#endif
