/* SPDX-License-Identifier: Apache-2.0 */
/* The exporter's /proc text parsers (pure functions of their input; exporter/internal.h,
 * fuzzed by fuzz/fuzz_exporter_parse.c): /proc/<pid>/stat and status (proc(5)), a
 * NUL-separated cmdline, Go-style flags, and the guest TEE in a VMM's arguments. kata.c
 * reads the files and ties the processes into Kata sandboxes. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/internal.h"

/* Value of a Go-style flag (-name v, --name v, -name=v, --name=v) in argv, or NULL. */
const char *kata_flag_value(char **argv, int argc, const char *name) {
  for (int i = 1; i < argc && argv[i] != NULL; i++) {
    const char *a = argv[i];
    if (a[0] != '-')
      continue;
    a += (a[1] == '-') ? 2 : 1;
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
      continue;
    if (a[n] == '\0' && i + 1 < argc)
      return argv[i + 1];
    if (a[n] == '=')
      return a + n + 1;
  }
  return NULL;
}

/* TEE of a QEMU guest from its -object arguments: sev-snp-guest / tdx-guest / sev-guest
 * (QEMU qapi/qom.json; policy bit 2 of sev-guest = SEV-ES, AMD SEV API spec, "Guest
 * Policy"). Cloud Hypervisor: --platform tdx=on / sev_snp=on, or --tdx. */
void kata_detect_tee(char **argv, int argc, const char *hv, char *tee, size_t cap) {
  const char *kind = "none";
  for (int i = 1; i < argc && argv[i] != NULL; i++) {
    const char *a = argv[i];
    if (strcmp(hv, "qemu") == 0) {
      /* only the value of an -object option (plain "type,k=v" or JSON form) */
      if (strcmp(argv[i - 1], "-object") != 0 && strcmp(argv[i - 1], "--object") != 0)
        continue;
      if (strstr(a, "sev-snp-guest")) {
        kind = "sev_snp";
      } else if (strstr(a, "tdx-guest")) {
        kind = "tdx";
      } else if (strstr(a, "sev-guest")) {
        kind = "sev";
        const char *pol = strstr(a, "policy");
        if (pol) {
          pol += strlen("policy");
          while (*pol == '=' || *pol == '"' || *pol == ':' || *pol == ' ')
            pol++;
          unsigned long policy = strtoul(pol, NULL, 0);
          if (policy & 0x4)
            kind = "sev_es";
        }
      }
    } else if (strcmp(hv, "cloud-hypervisor") == 0) {
      if (strstr(a, "tdx=on") || strcmp(a, "--tdx") == 0)
        kind = "tdx";
      else if (strstr(a, "sev_snp=on"))
        kind = "sev_snp";
    }
  }
  snprintf(tee, cap, "%s", kind);
}

/* Parse /proc/<pid>/stat: ppid (field 4), utime (14), stime (15), state (3); proc(5).
 * comm (field 2) may hold spaces and ')' so parsing starts after the last ')'. */
int kata_parse_stat(const char *text, char *state, int *ppid, uint64_t *utime, uint64_t *stime) {
  const char *p = strrchr(text, ')');
  if (p == NULL || p[1] != ' ')
    return -1;
  p += 2;
  char *save = NULL;
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", p); /* truncated: fields 3..15 come first */
  int field = 3;
  int have = 0;
  for (char *tok = strtok_r(buf, " \n", &save); tok && field <= 15;
       tok = strtok_r(NULL, " \n", &save), field++) {
    char *end = NULL;
    errno = 0;
    if (field == 3) {
      if (strlen(tok) != 1)
        return -1;
      *state = tok[0];
      have++;
    } else if (field == 4) {
      long v = strtol(tok, &end, 10);
      if (errno || *end || v < 0)
        return -1;
      *ppid = (int)v;
      have++;
    } else if (field == 14 || field == 15) {
      if (tok[0] < '0' || tok[0] > '9')
        return -1;
      unsigned long long v = strtoull(tok, &end, 10);
      if (errno || *end)
        return -1;
      *(field == 14 ? utime : stime) = v;
      have++;
    }
  }
  return have == 4 ? 0 : -1;
}

/* VmRSS from /proc/<pid>/status ("VmRSS:   1234 kB"). 1 found, 0 absent, -1 malformed. */
int kata_parse_vmrss(const char *text, uint64_t *bytes) {
  const char *p = strncmp(text, "VmRSS:", 6) == 0 ? text : strstr(text, "\nVmRSS:");
  if (p == NULL)
    return 0;
  p = strchr(p, ':') + 1;
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p < '0' || *p > '9')
    return -1;
  char *end = NULL;
  errno = 0;
  unsigned long long kb = strtoull(p, &end, 10);
  if (errno || strncmp(end, " kB", 3) != 0 || kb > UINT64_MAX / 1024)
    return -1;
  *bytes = (uint64_t)kb * 1024;
  return 1;
}

/* Split a NUL-separated cmdline into argv (pointers into buf). */
int kata_split_cmdline(char *buf, size_t len, char ***argv_out) {
  int argc = 0;
  for (size_t i = 0; i < len; i++)
    if (buf[i] == '\0')
      argc++;
  if (len > 0 && buf[len - 1] != '\0')
    argc++;
  char **argv = calloc((size_t)argc + 1, sizeof *argv);
  if (argv == NULL)
    return -1;
  int k = 0;
  size_t start = 0;
  for (size_t i = 0; i <= len && k < argc; i++) {
    if (i == len || buf[i] == '\0') {
      argv[k++] = buf + start;
      start = i + 1;
    }
  }
  *argv_out = argv;
  return argc;
}
