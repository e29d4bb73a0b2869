/* SPDX-License-Identifier: Apache-2.0 */
/* Choosing the evidence source, and the SNP certificate table (GHCB spec 2.03, section
 * "SNP Extended Guest Request": GUID table). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attester/internal.h"
#include "teectl/file.h"
#include "teectl/probe.h"

#define TSM_REPORT_DIR "/sys/kernel/config/tsm/report"

void tc_attester_opts_init(tc_attester_opts *o) {
  memset(o, 0, sizeof *o);
  o->root = "/";
  o->privlevel = -1;
}

void tc_evidence_free(tc_evidence *ev) {
  if (!ev)
    return;
  tc_buf_free(&ev->evidence);
  tc_buf_free(&ev->aux);
  for (size_t i = 0; i < ev->n_certs; i++)
    tc_buf_free(&ev->certs[i]);
  free(ev->certs);
  ev->certs = NULL;
  ev->n_certs = 0;
  json_decref(ev->json);
  ev->json = NULL;
}

/* The guest's attestation interfaces, found by the probe's own detection
 * (tc_probe_attest_ifaces, src/node/attest_iface.c), in the order they are used. */
tc_status tc_attester_detect(const tc_attester_opts *o, const char **iface, const char **tee,
                             tc_error *err) {
  tc_probe_opts po = {.root = o->root, .char_devices_file = o->char_devices_file};
  tc_attest_ifaces a;
  tc_status st = tc_probe_attest_ifaces(&po, &a, err);
  if (st != TC_OK)
    return st;
  *iface = NULL;
  *tee = NULL;
  if (a.configfs_tsm) {
    /* The provider shows in an entry only: an entry that exists names it, else the driver's
     * device node tells which TEE registered it. */
    *iface = "configfs-tsm";
    for (size_t i = 0; i < a.tsm_provider_count; i++)
      if (strcmp(a.tsm_providers[i], "sev_guest") == 0)
        *tee = "snp";
      else if (strcmp(a.tsm_providers[i], "tdx_guest") == 0)
        *tee = "tdx";
    if (!*tee)
      *tee = a.sev_guest_device ? "snp" : a.tdx_guest_device ? "tdx" : NULL;
  } else if (a.sev_guest_device) {
    *iface = "sev-guest";
    *tee = "snp";
  } else if (a.tdx_guest_device) {
    *iface = strcmp(a.tdx_guest_device, "dev/tdx-guest") == 0 ? "tdx-guest" : "tdx_guest";
    *tee = "tdx";
  }
  tc_attest_ifaces_free(&a);
  if (*iface)
    return TC_OK;
  char root[1024];
  att_path(o, "", root, sizeof root);
  return tc_fail(err, TC_ERR_IO, "no_tee_device",
                 "no TEE attestation interface under '%s/': none of " TSM_REPORT_DIR
                 ", /dev/sev-guest, /dev/tdx_guest, /dev/tdx-guest (use --evidence-cmd for "
                 "other platforms)",
                 root);
}

tc_status tc_attester_tee(const tc_attester_opts *o, const char **tee, tc_error *err) {
  *tee = o->tee;
  if (*tee)
    return TC_OK;
  if (o->evidence_cmd)
    return tc_fail(err, TC_ERR_USAGE, "tee_unknown", "--evidence-cmd needs --tee");
  if (o->aa_url)
    return att_aa_tee(o, tee, err);
  const char *iface;
  tc_status st = tc_attester_detect(o, &iface, tee, err);
  if (st == TC_OK && !*tee)
    st = tc_fail(err, TC_ERR_USAGE, "tee_unknown",
                 "%s is there but no guest driver device tells SNP from TDX: give --tee", iface);
  return st;
}

tc_status tc_attester_evidence(const tc_attester_opts *o, const uint8_t report_data[64],
                               tc_evidence *out, tc_error *err) {
  memset(out, 0, sizeof *out);
  if (o->evidence_cmd)
    return att_evidence_cmd(o, report_data, out, err);
  if (o->aa_url)
    return att_aa_evidence(o, report_data, out, err);
  if (o->tee && strcmp(o->tee, "sgx") == 0)
    return tc_fail(err, TC_ERR_USAGE, "tee_unsupported",
                   "SGX evidence comes from the enclave's own quoting (use --evidence-cmd)");
  const char *iface, *tee;
  tc_status st = tc_attester_detect(o, &iface, &tee, err);
  if (st != TC_OK)
    return st;
  char p[4096];
  if (strcmp(iface, "configfs-tsm") == 0)
    return tc_tsm_report(o, o->tee, report_data, out, err);
  if (o->tee && strcmp(o->tee, tee) != 0)
    return tc_fail(err, TC_ERR_USAGE, "tee_mismatch", "this guest has %s (%s), not %s", iface, tee,
                   o->tee);
  if (strcmp(iface, "sev-guest") == 0) {
    att_path(o, "/dev/sev-guest", p, sizeof p);
    return att_sev_guest(o, p, report_data, out, err);
  }
  att_path(o, strcmp(iface, "tdx_guest") == 0 ? "/dev/tdx_guest" : "/dev/tdx-guest", p, sizeof p);
  return att_tdx_guest(p, report_data, err);
}

/* GUIDs as the table stores them: the RFC 4122 text's bytes in order (what the host tools
 * write, e.g. virtee/sev's uuid bytes). */
static const struct {
  const char *type;
  uint8_t guid[16];
} cert_guids[] = {
    {"VCEK",
     {0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac,
      0xcd}},
    {"VLEK",
     {0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e, 0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8,
      0xa1}},
    {"ASK",
     {0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4, 0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7,
      0x82}},
    {"ARK",
     {0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52, 0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0,
      0xae}},
};

tc_status tc_snp_cert_table_parse(const uint8_t *table, size_t len, tc_snp_cert *certs, size_t cap,
                                  size_t *n, tc_error *err) {
  *n = 0;
  if (len == 0)
    return TC_OK;
  for (size_t i = 0;; i++) {
    size_t off = i * 24;
    if (off + 24 > len)
      return tc_fail(err, TC_ERR_PARSE, "cert_table_invalid",
                     "certificate table: no all-zero closing entry within %zu bytes", len);
    const uint8_t *e = table + off;
    if (tc_all_zero(e, 24))
      return TC_OK;
    uint32_t co = tc_le32(e + 16), cl = tc_le32(e + 20);
    if (co > len || cl > len - co || cl == 0)
      return tc_fail(err, TC_ERR_PARSE, "cert_table_invalid",
                     "certificate table entry %zu (offset %zu): certificate at %u, %u bytes, "
                     "outside the %zu-byte table",
                     i, off, co, cl, len);
    if (*n == cap)
      return tc_fail(err, TC_ERR_PARSE, "cert_table_invalid",
                     "certificate table: more than %zu entries", cap);
    const char *type = NULL;
    for (size_t g = 0; g < sizeof cert_guids / sizeof cert_guids[0]; g++)
      if (memcmp(e, cert_guids[g].guid, 16) == 0)
        type = cert_guids[g].type;
    certs[*n] = (tc_snp_cert){.type = type, .der = table + co, .len = cl};
    (*n)++;
  }
}
