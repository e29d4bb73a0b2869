/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/node (and its tests and fuzzers): the probe's pure text parsers, no I/O.
 * CPUID dumps and DEVICES.txt lists use the formats of the shared host fixtures
 * (vectors/hosts/README.md); /proc/cpuinfo, the misc cgroup files (kernel
 * Documentation/admin-guide/cgroup-v2.rst, "Misc") and module parameters as the kernel
 * writes them. */
#ifndef TEECTL_NODE_PARSE_H
#define TEECTL_NODE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "teectl/error.h"

/** A CPUID result set: leaf/subleaf -> eax, ebx, ecx, edx. */
typedef struct node_cpuid_entry {
  uint32_t leaf, subleaf, eax, ebx, ecx, edx;
} node_cpuid_entry;

typedef struct node_cpuid_table {
  node_cpuid_entry *entries; /**< malloc'd */
  size_t count;
  int live; /**< 1 = answers come from the CPUID instruction, entries unused */
} node_cpuid_table;

/**
 * Parse a CPUID dump (vectors/hosts/<case>/cpuid.txt format): one line per leaf,
 * "leaf subleaf eax ebx ecx edx", each a hex number (optional 0x, at most 32 bits),
 * separated by blanks; '#' starts a comment line; blank lines are ignored.
 * name: file name used in error details. On success *t owns its entries
 * (node_cpuid_table_free). Errors: TC_ERR_PARSE "cpuid_dump_malformed", detail
 * "<name>:<line>: <what>" (wrong field count, not hex, above 32 bits, duplicate leaf);
 * TC_ERR_NOMEM "out_of_memory".
 */
tc_status node_cpuid_parse(const char *text, size_t len, const char *name, node_cpuid_table *t,
                           tc_error *err);

/** Release t->entries and zero *t. NULL-safe. */
void node_cpuid_table_free(node_cpuid_table *t);

/**
 * Look up leaf/subleaf. For a dump: 1 and the registers if the line is present, else 0.
 * For a live table: executes CPUID (x86-64 only; 0 elsewhere) and returns 1 only when the
 * leaf is within the maximum basic (0x0) or extended (0x80000000) leaf.
 * regs: eax, ebx, ecx, edx.
 */
int node_cpuid_get(const node_cpuid_table *t, uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);

/**
 * 1 if flag appears as a whole word in any processor's "flags" line of a /proc/cpuinfo
 * text (so "sev" does not match "sev_es"), else 0. Words are separated by blanks. A flag
 * on one processor's line counts even when the others lack it.
 */
int node_cpuinfo_has_flag(const char *cpuinfo, const char *flag);

/**
 * Find key in a misc cgroup file (sys/fs/cgroup/misc.capacity / misc.current): lines
 * "<key> <decimal>". The key must match the whole first word ("sev" does not match
 * "sev_es"). Returns 1 and *value when found and the number is valid, else 0.
 */
int node_misc_lookup(const char *text, const char *key, int64_t *value);

/**
 * Parse a kernel module boolean/int parameter text ("Y", "N", "1", "0", trailing
 * newline allowed). Returns 1 and sets *on (1 for Y/1, 0 for N/0); 0 if unrecognised.
 */
int node_param_bool(const char *text, int *on);

/** A set of paths (relative to root, no leading '/') declared character devices. */
typedef struct node_chardev_list {
  char **paths; /**< malloc'd */
  size_t count;
} node_chardev_list;

/**
 * Parse a DEVICES.txt list: lines "path c major:minor" ('#' comments, blank lines
 * ignored); major/minor are decimals, minor may be "dynamic". name: file name for errors.
 * Errors: TC_ERR_PARSE "char_devices_malformed" detail "<name>:<line>: <what>";
 * TC_ERR_NOMEM "out_of_memory".
 */
tc_status node_chardev_parse(const char *text, size_t len, const char *name, node_chardev_list *l,
                             tc_error *err);
void node_chardev_list_free(node_chardev_list *l);

#endif
