/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — `teectl config lint`: find mistakes in Kata Containers configuration
 * (configuration-*.toml, Go runtime and runtime-rs dialects), containerd configuration
 * (config.toml / drop-ins, schema version 2 and 3) and Kubernetes RuntimeClasses (YAML).
 *
 * Reference point: Kata Containers 4.1 (kata-containers 7c6ba40c54): the key schema is
 * our own table of the keys, types and sections used by src/runtime/config/<name>.toml.in and
 * src/runtime-rs/config/<name>.toml.in (tests/lint checks it against those templates), the
 * platform rules follow the SNP / TDX templates and kata-deploy's containerd drop-in and
 * helm RuntimeClasses. Pure functions: no I/O, no clock; file contents come in as bytes.
 */
#ifndef TEECTL_LINT_H
#define TEECTL_LINT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "teectl/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { TC_LINT_INFO = 0, TC_LINT_WARNING = 1, TC_LINT_ERROR = 2 } tc_lint_severity;

/** Kata runtime dialect of a configuration file. AUTO: the dialect whose schema knows
 *  more of the file's keys (ties: Go). */
typedef enum { TC_LINT_RUNTIME_AUTO = 0, TC_LINT_RUNTIME_GO, TC_LINT_RUNTIME_RS } tc_lint_runtime;

/** What a file is. AUTO: from the content (a `plugins` table, `imports` or `version`:
 *  containerd; `hypervisor`,
 *  `runtime`, `agent` or `factory` tables: Kata; YAML with kind RuntimeClass) and the
 *  extension (.yaml/.yml are YAML). */
typedef enum {
  TC_LINT_KIND_AUTO = 0,
  TC_LINT_KIND_KATA,
  TC_LINT_KIND_CONTAINERD,
  TC_LINT_KIND_RUNTIMECLASS,
} tc_lint_kind;

/** One finding. line/column: 1-based (column in bytes); 0 when the finding is about the
 *  file as a whole. table: dotted TOML table ("hypervisor.qemu"; "" for the root) or the
 *  RuntimeClass name; key: the key concerned (may be ""). rule: stable id
 *  ("duplicate-key", "unknown-key", "wrong-type", ...). fix: the correct form. All
 *  strings are owned by the report. */
typedef struct tc_lint_finding {
  char *file;
  unsigned line, column;
  char *table;
  char *key;
  tc_lint_severity severity;
  char *rule;
  char *message;
  char *fix;
} tc_lint_finding;

/** Findings of a run, in file order then line order. unparsable: number of inputs that
 *  could not be parsed at all (TOML/YAML syntax); each also has a finding with rule
 *  "syntax" at the error position. */
typedef struct tc_lint_report {
  tc_lint_finding *items;
  size_t len, cap;
  size_t unparsable;
} tc_lint_report;

/** One input file: name as shown in findings (and used for extension-based detection),
 *  its bytes, and its kind (AUTO to detect). */
typedef struct tc_lint_input {
  const char *name;
  const char *text;
  size_t len;
  tc_lint_kind kind;
} tc_lint_input;

typedef struct tc_lint_opts {
  tc_lint_runtime runtime; /**< dialect for Kata files */
  /** The node's probe result (tc_probe_run JSON, shape of vectors/hosts/<case>/expected.json)
   *  or NULL. With it, hardware-dependent rules apply: a config for SNP/TDX/SGX on a node
   *  that does not provide it, confidential_guest on a node without any usable TEE,
   *  machine_accelerators cbitpos that disagrees with the CPU. */
  const json_t *probe;
} tc_lint_opts;

/**
 * Lint n input files together (cross-file rules: every Kata handler declared in a
 * containerd file needs a RuntimeClass when RuntimeClass files are among the inputs).
 * Appends findings to *report (zero-initialise it first; free with tc_lint_report_free).
 * A file that does not parse is not an error of this function: it is counted in
 * report->unparsable and reported as a finding.
 * Errors: TC_ERR_USAGE "lint_no_input" (n == 0), TC_ERR_NOMEM.
 */
tc_status tc_lint_run(const tc_lint_input *inputs, size_t n, const tc_lint_opts *opts,
                      tc_lint_report *report, tc_error *err);

/** The SEV-SNP launch of one Kata configuration, as the caller computed it (teectl
 *  measure's machinery reads the firmware, kernel and initrd the configuration names: I/O this
 *  library does not do). */
typedef struct tc_lint_launch {
  const char *file;      /**< the configuration's name in findings */
  const uint8_t *digest; /**< its 48-byte launch digest (MEASUREMENT), or NULL: not computed */
  const char *why;       /**< digest NULL: why it could not be computed */
  const char *how;       /**< what it was computed from (vCPUs, vCPU type, files), or NULL */
} tc_lint_launch;

/**
 * Check the launch digest of a Kata SEV-SNP configuration against the reference values of an
 * appraisal policy (docs/policy.md): `measurements` is the policy's snp.measurements (array
 * of 96-hex-digit strings, any case; NULL or empty: none configured), policy_name names the
 * policy in messages. Appends to *report, line 0 of l->file, table "hypervisor.qemu":
 *   warning "snp-measurement-not-in-policy": the digest is none of the measurements (the
 *     service would contraindicate every guest of this configuration);
 *   info "snp-measurement-unappraised": the policy has no snp.measurements;
 *   info "snp-measurement-not-checked": no digest (l->why says why);
 * nothing when the digest is listed.
 * Errors: TC_ERR_NOMEM "out_of_memory".
 */
tc_status tc_lint_snp_measurement(const tc_lint_launch *l, const json_t *measurements,
                                  const char *policy_name, tc_lint_report *report, tc_error *err);

/** Free everything in a report and zero it (NULL-safe). */
void tc_lint_report_free(tc_lint_report *report);

/** "error", "warning", "info". */
const char *tc_lint_severity_name(tc_lint_severity s);

/** Highest severity in the report, or -1 when there are no findings. */
int tc_lint_max_severity(const tc_lint_report *report);

/** Findings as {"findings":[{"file","line","column","table","key","severity","rule",
 *  "message","fix"}]} (new reference; NULL on allocation failure). */
json_t *tc_lint_report_json(const tc_lint_report *report);

/* ---- Kata key schema (src/config/kata_schema.c) ---- */

/** Value types of Kata keys. FLOAT accepts integers (BurntSushi/toml and serde both widen). */
typedef enum {
  TC_KTYPE_BOOL,
  TC_KTYPE_INT,
  TC_KTYPE_FLOAT,
  TC_KTYPE_STRING,
  TC_KTYPE_STRINGS, /**< array of strings */
  TC_KTYPE_TABLES,  /**< array of tables */
} tc_kata_ktype;

/** Section classes: [runtime], [agent.<name>], [agent.<name>.mem_agent], [factory],
 *  [hypervisor.<name>], [hypervisor.<name>.factory]. */
typedef enum {
  TC_KSEC_RUNTIME,
  TC_KSEC_AGENT,
  TC_KSEC_AGENT_MEM,
  TC_KSEC_FACTORY,
  TC_KSEC_HYPERVISOR,
  TC_KSEC_HV_FACTORY,
} tc_kata_section;

/** Hypervisor bits (the <name> of [hypervisor.<name>]). */
enum {
  TC_KHV_QEMU = 1 << 0,
  TC_KHV_CLH = 1 << 1,
  TC_KHV_FIRECRACKER = 1 << 2,
  TC_KHV_DRAGONBALL = 1 << 3,
  TC_KHV_STRATOVIRT = 1 << 4,
  TC_KHV_REMOTE = 1 << 5,
  TC_KHV_OPENVMM = 1 << 6,
};

/** One schema row: in dialect (TC_LINT_RUNTIME_GO or _RS), section class, key has type;
 *  hypervisors: for hypervisor sections, the hypervisors whose upstream templates set the
 *  key (both runtimes decode every [hypervisor.*] table into one struct, so the key is
 *  accepted in any of them). */
typedef struct tc_kata_key {
  tc_lint_runtime dialect;
  tc_kata_section section;
  const char *key;
  tc_kata_ktype type;
  unsigned hypervisors;
} tc_kata_key;

/** The whole table; *n gets the row count. */
const tc_kata_key *tc_kata_schema(size_t *n);

/** Row for (dialect, section, key) or NULL. */
const tc_kata_key *tc_kata_schema_find(tc_lint_runtime dialect, tc_kata_section section,
                                       const char *key);

/** Hypervisor bit for a [hypervisor.<name>] name, 0 if unknown to the dialect
 *  (Go: qemu, clh, firecracker, stratovirt, remote; runtime-rs: qemu, clh, firecracker,
 *  dragonball, remote, openvmm). */
unsigned tc_kata_hypervisor_bit(tc_lint_runtime dialect, const char *name);

#ifdef __cplusplus
}
#endif
#endif
