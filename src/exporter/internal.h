/* SPDX-License-Identifier: Apache-2.0 */
/* Private helpers shared by the exporter's source files. */
#ifndef TEECTL_EXPORTER_INTERNAL_H
#define TEECTL_EXPORTER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "teectl/exporter.h"

/** A point in a writer's output to roll back to. */
typedef struct prom_mark {
  size_t len;
  size_t n_names;
  char family[128];
} prom_mark;

prom_mark prom_mark_get(const tc_prom_writer *w);

/** Drop everything written after mark (text and family names). */
void prom_rollback(tc_prom_writer *w, const prom_mark *mark);

/* ---- /proc parsers (kata_proc.c; pure, exposed for the fuzzer) ---- */

/** /proc/<pid>/stat (proc(5)): state (field 3), ppid (4), utime (14), stime (15, clock
 *  ticks). comm (field 2) may hold blanks and ')'. 0 ok, -1 malformed. */
int kata_parse_stat(const char *text, char *state, int *ppid, uint64_t *utime, uint64_t *stime);

/** VmRSS of a /proc/<pid>/status text in bytes: 1 found, 0 no VmRSS line, -1 malformed. */
int kata_parse_vmrss(const char *text, uint64_t *bytes);

/** Split a NUL-separated /proc/<pid>/cmdline (buf[len] must be NUL) into a malloc'd
 *  argv of pointers into buf (NULL-terminated); returns argc, -1 on allocation failure. */
int kata_split_cmdline(char *buf, size_t len, char ***argv_out);

/** Value of a Go-style flag (-name v, --name v, -name=v, --name=v), or NULL. */
const char *kata_flag_value(char **argv, int argc, const char *name);

/** Guest TEE ("sev", "sev_es", "sev_snp", "tdx", "none") from a VMM's arguments. */
void kata_detect_tee(char **argv, int argc, const char *hv, char *tee, size_t cap);

#endif
