/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/node: the probe's view of a root folder (live "/" or a fixture) and the
 * helpers that read it. Paths named "rel" are relative to the root, without a leading '/'. */
#ifndef TEECTL_NODE_INTERNAL_H
#define TEECTL_NODE_INTERNAL_H

#include <stdint.h>

#include "node/parse.h"
#include "teectl/probe.h"

typedef struct probe_ctx {
  const char *root; /* never NULL; "" for live "/" */
  node_chardev_list *chardevs;
  node_cpuid_table *cpuid;
} probe_ctx;

/** What the probe's steps gather (src/node/probe.c), the input of the JSON result, the NFD
 *  labels and the human checks (src/node/nfd.c). Owned strings: the four texts and ifaces. */
typedef struct probe_facts {
  /* inputs: whole files (NULL when absent) and the attestation interfaces */
  char *cpuinfo, *cmdline, *misc_cap, *misc_cur;
  tc_attest_ifaces ifaces;
  /* cpu step */
  char vendor[13]; /* CPUID.0 EBX,EDX,ECX; "" when unknown */
  uint32_t max_leaf, max_ext;
  int have_max, have_ext, hypervisor, host, is_amd, is_intel, kvm, iommu, iommu_groups;
  char microcode[32]; /* cpuinfo "microcode" of the first processor */
  int have_ucode;
  /* sgx step */
  int sgx_supported, sgx_flc, epc_known, sgx_kvm, sgx_driver, sgx_provision;
  int64_t epc; /* bytes */
  /* tdx step */
  int tdx_host, tdx_param, tdx_guest, tdx_guest_dev, have_range;
  int64_t tdx_keyids, keyid_range[2]; /* range: [first, end) */
  /* sev step */
  int adv_sev, adv_es, adv_snp, sev_fw, have_fw, sev_supported, sev_kvm, sev_es, sev_snp;
  int fw[3];              /* PLATFORM_STATUS api_major, api_minor, build */
  int p_sev, p_es, p_snp; /* kvm_amd parameters: 1 on, 0 off, -1 absent */
  int64_t asids, es_asids;
  int cbit_known, sev_guest_dev;
  int64_t cbitpos, rpb;  /* CPUID Fn8000_001F EBX[5:0], EBX[11:6] */
  const char *sev_guest; /* "snp" | "sev-es" | "sev" | "none" */
} probe_facts;

/** Free what pf owns. */
void probe_facts_free(probe_facts *pf);

/** NFD's own cpu-security labels for the facts (name without the
 *  feature.node.kubernetes.io/ prefix -> "true"). */
json_t *probe_nfd_labels(const probe_facts *pf);

/** The human report's checks: array of {name, ok, seen, fix}. */
json_t *probe_checks(const probe_facts *pf);

/** The Kata installation below c's root (src/node/kata.c; fields in docs/probe.md, "kata"):
 *  binaries and version, configuration files and their TEE, containerd's Kata handlers,
 *  "ready" when all of it is consistent with the TEEs probe (the result so far) finds
 *  usable, else "problems" [{what, fix}] and "fix" (the first). NULL only when out of
 *  memory. */
json_t *probe_kata(const probe_ctx *c, const json_t *probe);

/** Append the human report's "kata" check for a probe_kata result to checks. */
void probe_kata_check(json_t *checks, const json_t *kata);

/** teectl.io/ labels; usable: the result of tc_probe_tee_usable. */
json_t *probe_teectl_labels(const probe_facts *pf, int usable);

/** root + "/" + rel, malloc'd; NULL on allocation failure. */
char *probe_join(const probe_ctx *c, const char *rel);

/** Whole small text file under root (at most 16 MiB), NUL-terminated, malloc'd; NULL when
 *  absent or unreadable. */
char *probe_read_text(const probe_ctx *c, const char *rel);

/** 1 if rel is a character device: with a --char-devices list, listed (whether or not a file
 *  stands in for it under root); otherwise stat() says S_ISCHR. */
int probe_is_chardev(const probe_ctx *c, const char *rel);

/** Kernel module parameter sys/module/<module>/parameters/<name>: 1 on, 0 off, -1 absent or
 *  unrecognised. */
int probe_param(const probe_ctx *c, const char *module, const char *name);

/** Number of entries in a folder (without . and ..); 0 when absent. */
int probe_dir_entries(const probe_ctx *c, const char *rel);

/** Sorted names in a folder that start with prefix: malloc'd, NULL-terminated list
 *  (probe_list_free); NULL when the folder is absent or on allocation failure. */
char **probe_dir_list(const probe_ctx *c, const char *rel, const char *prefix);
void probe_list_free(char **l);

/** qsort comparator for an array of C strings. */
int probe_cmp_str(const void *a, const void *b);

/** A decimal sysfs number (trailing newline allowed); 1 and *v on success. */
int probe_read_u64(const probe_ctx *c, const char *rel, int64_t *v);

/** Check opts->root is a folder, load the --cpuid dump (or select the instruction) and the
 *  --char-devices list; fill *c. On success the caller frees cpuid (node_cpuid_table_free) and,
 *  when *have_chardevs, chardevs (node_chardev_list_free). Errors: see tc_probe_run. */
tc_status probe_load_inputs(const tc_probe_opts *opts, probe_ctx *c, node_cpuid_table *cpuid,
                            node_chardev_list *chardevs, int *have_chardevs, tc_error *err);

/** The attestation interfaces below c's root (tc_probe_attest_ifaces without loading the
 *  inputs). Errors: TC_ERR_NOMEM "out_of_memory". */
tc_status probe_attest_ifaces(const probe_ctx *c, tc_attest_ifaces *a, tc_error *err);

/** The probe JSON "attestation" object for a (fields in docs/probe.md); NULL on allocation
 *  failure. */
json_t *probe_attest_json(const tc_attest_ifaces *a);

#endif
