/* SPDX-License-Identifier: Apache-2.0 */
/* Evidence through Linux configfs-tsm (kernel Documentation/ABI/testing/configfs-tsm-report,
 * Linux 6.7+): make a report entry, set privlevel (SNP) and write inblob, read outblob and
 * auxblob, and check through `generation` that no other writer changed the entry between the
 * write and the reads (else try again with a new entry), then remove the entry. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attester/internal.h"
#include "teectl/crypto.h"
#include "teectl/file.h"

#define TSM_REPORT_DIR "/sys/kernel/config/tsm/report"
#define TSM_TRIES 3
#define TSM_BLOB_MAX (1u << 20)

int att_path(const tc_attester_opts *o, const char *path, char *out, size_t cap) {
  const char *root = o && o->root && o->root[0] ? o->root : "";
  size_t rl = strlen(root);
  while (rl > 0 && root[rl - 1] == '/')
    rl--;
  int n = snprintf(out, cap, "%.*s%s", (int)rl, root, path);
  return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* Read a small text attribute; trailing newline removed. */
static tc_status read_attr(const char *entry, const char *name, char *out, size_t cap,
                           tc_error *err) {
  char p[4096];
  snprintf(p, sizeof p, "%s/%s", entry, name);
  tc_buf b;
  if (tc_file_read(p, 4096, &b, err) != TC_OK)
    return tc_fail(err, TC_ERR_IO, "tsm_unreadable", "%s", err->detail);
  size_t n = b.len;
  while (n > 0 && (b.data[n - 1] == '\n' || b.data[n - 1] == ' '))
    n--;
  if (n >= cap) {
    tc_buf_free(&b);
    return tc_fail(err, TC_ERR_PARSE, "tsm_unreadable", "%s: longer than %zu bytes", p, cap - 1);
  }
  memcpy(out, b.data, n);
  out[n] = '\0';
  tc_buf_free(&b);
  return TC_OK;
}

static tc_status read_generation(const char *entry, unsigned long *g, tc_error *err) {
  char t[32];
  tc_status st = read_attr(entry, "generation", t, sizeof t, err);
  if (st != TC_OK)
    return st;
  char *end = NULL;
  errno = 0;
  *g = strtoul(t, &end, 10);
  if (!t[0] || *end || errno != 0 || t[0] == '-')
    return tc_fail(err, TC_ERR_PARSE, "tsm_unreadable", "%s/generation: '%s' is not a count", entry,
                   t);
  return TC_OK;
}

/* One write() of the whole value: configfs takes a binary attribute at close. */
static tc_status write_attr(const char *entry, const char *name, const void *data, size_t len,
                            tc_error *err) {
  char p[4096];
  snprintf(p, sizeof p, "%s/%s", entry, name);
  int fd = open(p, O_WRONLY | O_CLOEXEC | O_TRUNC);
  if (fd < 0)
    return tc_fail(err, TC_ERR_IO, "tsm_unwritable", "%s: %s", p, strerror(errno));
  ssize_t w;
  do
    w = write(fd, data, len);
  while (w < 0 && errno == EINTR);
  int e = w < 0 ? errno : EIO;
  if (close(fd) != 0 && w == (ssize_t)len) {
    w = -1;
    e = errno;
  }
  if (w != (ssize_t)len)
    return tc_fail(err, TC_ERR_IO, "tsm_unwritable", "%s: %s", p, strerror(e));
  return TC_OK;
}

static const char *provider_tee(const char *provider) {
  if (strcmp(provider, "sev_guest") == 0)
    return "snp";
  if (strcmp(provider, "tdx_guest") == 0)
    return "tdx";
  return NULL;
}

/* One try in a fresh entry. *conflict is set when the generation moved. */
static tc_status one_try(const tc_attester_opts *o, const char *entry, const char *tee,
                         const uint8_t rd[64], tc_evidence *out, int *conflict, tc_error *err) {
  char provider[64];
  tc_status st = read_attr(entry, "provider", provider, sizeof provider, err);
  if (st != TC_OK)
    return st;
  const char *ptee = provider_tee(provider);
  if (ptee == NULL)
    return tc_fail(err, TC_ERR_PARSE, "tsm_provider_unknown",
                   "%s/provider: '%s' (known: sev_guest, tdx_guest)", entry, provider);
  if (tee && strcmp(tee, ptee) != 0)
    return tc_fail(err, TC_ERR_USAGE, "tsm_provider_mismatch",
                   "%s/provider: '%s' gives %s evidence, not %s", entry, provider, ptee, tee);
  if (o->privlevel >= 0 && strcmp(ptee, "snp") == 0) {
    char pl[8];
    int n = snprintf(pl, sizeof pl, "%d\n", o->privlevel);
    if ((st = write_attr(entry, "privlevel", pl, (size_t)n, err)) != TC_OK)
      return st;
  }
  unsigned long g0, g1;
  if ((st = read_generation(entry, &g0, err)) != TC_OK)
    return st;
  if ((st = write_attr(entry, "inblob", rd, 64, err)) != TC_OK)
    return st;
  if (o->tsm_hook)
    o->tsm_hook(TC_TSM_INBLOB_WRITTEN, entry, o->tsm_hook_arg);
  char p[4096];
  if (snprintf(p, sizeof p, "%s/outblob", entry) >= (int)sizeof p)
    return tc_fail(err, TC_ERR_IO, "tsm_unreadable", "%s: path too long", entry);
  if (tc_file_read(p, TSM_BLOB_MAX, &out->evidence, err) != TC_OK)
    return tc_fail(err, TC_ERR_IO, "tsm_unreadable", "%s", err->detail);
  if (out->evidence.len == 0)
    return tc_fail(err, TC_ERR_IO, "tsm_outblob_empty", "%s: no evidence", p);
  if (snprintf(p, sizeof p, "%s/auxblob", entry) >= (int)sizeof p)
    return tc_fail(err, TC_ERR_IO, "tsm_unreadable", "%s: path too long", entry);
  /* auxblob: the SNP certificate table when the host has one; absent or empty otherwise. */
  if (tc_file_read(p, TSM_BLOB_MAX, &out->aux, err) != TC_OK) {
    if (tc_file_exists(p))
      return tc_fail(err, TC_ERR_IO, "tsm_unreadable", "%s", err->detail);
    out->aux.data = NULL;
    out->aux.len = 0;
  }
  if ((st = read_generation(entry, &g1, err)) != TC_OK)
    return st;
  if (g1 != g0 + 1) {
    *conflict = 1;
    return tc_fail(err, TC_ERR_IO, "tsm_generation_conflict",
                   "%s/generation went from %lu to %lu around our one write: another writer "
                   "used the entry",
                   entry, g0, g1);
  }
  snprintf(out->tee, sizeof out->tee, "%s", ptee);
  out->source = "configfs-tsm";
  return TC_OK;
}

tc_status tc_tsm_report(const tc_attester_opts *o, const char *tee, const uint8_t report_data[64],
                        tc_evidence *out, tc_error *err) {
  memset(out, 0, sizeof *out);
  char base[3072];
  struct stat sb;
  if (att_path(o, TSM_REPORT_DIR, base, sizeof base) != 0 || stat(base, &sb) != 0 ||
      !S_ISDIR(sb.st_mode))
    return tc_fail(err, TC_ERR_IO, "no_tee_device", "%s: no configfs-tsm report folder", base);
  tc_status st = TC_OK;
  for (int attempt = 0; attempt < TSM_TRIES; attempt++) {
    uint8_t rnd[8];
    char hex[17], entry[4096];
    if (tc_random_bytes(rnd, sizeof rnd, err) != TC_OK)
      return err->status;
    snprintf(entry, sizeof entry, "%s/teectl-%s", base, tc_hex_encode(rnd, sizeof rnd, hex));
    if (mkdir(entry, 0700) != 0)
      return tc_fail(err, TC_ERR_IO, "tsm_unwritable", "mkdir %s: %s", entry, strerror(errno));
    if (o->tsm_hook)
      o->tsm_hook(TC_TSM_ENTRY_MADE, entry, o->tsm_hook_arg);
    int conflict = 0;
    st = one_try(o, entry, tee, report_data, out, &conflict, err);
    if (o->tsm_hook)
      o->tsm_hook(TC_TSM_ENTRY_REMOVING, entry, o->tsm_hook_arg);
    if (rmdir(entry) != 0 && st == TC_OK)
      fprintf(stderr, "teectl attest: warning: could not remove %s: %s\n", entry, strerror(errno));
    if (st == TC_OK || !conflict)
      break;
    tc_evidence_free(out);
  }
  if (st != TC_OK) {
    tc_evidence_free(out);
    if (strcmp(err->reason, "tsm_generation_conflict") == 0) {
      size_t n = strlen(err->detail);
      snprintf(err->detail + n, sizeof err->detail - n, " (%d tries)", TSM_TRIES);
    }
  }
  return st;
}
