/* SPDX-License-Identifier: Apache-2.0 */
/* Wire forms the Confidential Containers attestation-agent sends.
 *
 * SNP primary evidence: {"attestation_report", "cert_chain"}, the report in the serde form of
 * virtee/sev's AttestationReport, made here from the ATTESTATION_REPORT bytes at the offsets of
 * the SEV-SNP Firmware ABI spec (table "ATTESTATION_REPORT Structure"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attester/internal.h"
#include "teectl/snp.h"

static json_t *byte_list(const uint8_t *p, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; a && i < n; i++)
    if (json_array_append_new(a, json_integer(p[i])) != 0) {
      json_decref(a);
      return NULL;
    }
  return a;
}

/* TCB_VERSION (ABI spec "TCB_VERSION Structure"): Milan/Genoa byte 0 BOOT_LOADER, 1 TEE,
 * 6 SNP, 7 MICROCODE; Turin (family 1Ah) byte 0 FMC, 1 BOOT_LOADER, 2 TEE, 3 SNP,
 * 7 MICROCODE. */
static json_t *tcb(const uint8_t *p, int turin) {
  if (turin)
    return json_pack("{s:i, s:i, s:i, s:i, s:i}", "fmc", p[0], "bootloader", p[1], "tee", p[2],
                     "snp", p[3], "microcode", p[7]);
  return json_pack("{s:n, s:i, s:i, s:i, s:i}", "fmc", "bootloader", p[0], "tee", p[1], "snp", p[6],
                   "microcode", p[7]);
}

static json_t *u64_json(uint64_t v) {
  return v > (uint64_t)INT64_MAX ? NULL : json_integer((json_int_t)v);
}

/* r: a report whose TCB layout tc_snp_wire_tcb_layout decided (turin: 1 for Turin's). */
static json_t *report_json(const uint8_t *r, int turin) {
  uint32_t version = tc_le32(r);
  int v3 = version >= 3, v5 = version >= 5;
  json_t *o = json_object();
  int bad = o == NULL;
#define PUT(k, v) bad |= json_object_set_new(o, k, v) != 0
  PUT("version", json_integer(version));
  PUT("guest_svn", json_integer(tc_le32(r + 0x04)));
  PUT("policy", u64_json(tc_le64(r + 0x08)));
  PUT("family_id", byte_list(r + 0x10, 16));
  PUT("image_id", byte_list(r + 0x20, 16));
  PUT("vmpl", json_integer(tc_le32(r + 0x30)));
  PUT("sig_algo", json_integer(tc_le32(r + 0x34)));
  PUT("current_tcb", tcb(r + 0x38, turin));
  PUT("plat_info", u64_json(tc_le64(r + 0x40)));
  PUT("key_info", json_integer(tc_le32(r + 0x48)));
  PUT("report_data", byte_list(r + 0x50, 64));
  PUT("measurement", byte_list(r + 0x90, 48));
  PUT("host_data", byte_list(r + 0xC0, 32));
  PUT("id_key_digest", byte_list(r + 0xE0, 48));
  PUT("author_key_digest", byte_list(r + 0x110, 48));
  PUT("report_id", byte_list(r + 0x140, 32));
  PUT("report_id_ma", byte_list(r + 0x160, 32));
  PUT("reported_tcb", tcb(r + 0x180, turin));
  PUT("cpuid_fam_id", v3 ? json_integer(r[0x188]) : json_null());
  PUT("cpuid_mod_id", v3 ? json_integer(r[0x189]) : json_null());
  PUT("cpuid_step", v3 ? json_integer(r[0x18A]) : json_null());
  PUT("chip_id", byte_list(r + 0x1A0, 64));
  PUT("committed_tcb", tcb(r + 0x1E0, turin));
  PUT("current",
      json_pack("{s:i, s:i, s:i}", "major", r[0x1EA], "minor", r[0x1E9], "build", r[0x1E8]));
  PUT("committed",
      json_pack("{s:i, s:i, s:i}", "major", r[0x1EE], "minor", r[0x1ED], "build", r[0x1EC]));
  PUT("launch_tcb", tcb(r + 0x1F0, turin));
  PUT("launch_mit_vector", v5 ? u64_json(tc_le64(r + 0x1F8)) : json_null());
  PUT("current_mit_vector", v5 ? u64_json(tc_le64(r + 0x200)) : json_null());
  PUT("signature",
      json_pack("{s:o, s:o}", "r", byte_list(r + 0x2A0, 72), "s", byte_list(r + 0x2E8, 72)));
#undef PUT
  if (bad) {
    json_decref(o);
    return NULL;
  }
  return o;
}

tc_status tc_snp_evidence_json(const uint8_t *report, size_t len, const uint8_t *aux,
                               size_t aux_len, json_t **out, tc_error *err) {
  *out = NULL;
  if (len != TC_SNP_REPORT_SIZE)
    return tc_fail(err, TC_ERR_PARSE, "report_length_invalid",
                   "SNP evidence is %zu bytes, an ATTESTATION_REPORT is 0x%x", len,
                   TC_SNP_REPORT_SIZE);
  /* The TCB layout as virtee/sev decides it (the broker's decoder asks the same function). */
  tc_snp_tcb_layout layout;
  tc_status st = tc_snp_wire_tcb_layout(tc_le32(report), report[0x188], report[0x189],
                                        report + 0x1A0, &layout, err);
  if (st != TC_OK)
    return st;
  tc_snp_cert certs[16];
  size_t n = 0;
  st = tc_snp_cert_table_parse(aux, aux_len, certs, 16, &n, err);
  if (st != TC_OK)
    return st;
  json_t *chain = n ? json_array() : json_null();
  for (size_t i = 0; chain && i < n; i++) {
    if (!certs[i].type)
      continue; /* a GUID the verifier has no use for (the agent sends it as OTHER) */
    json_t *e = json_pack("{s:s, s:o}", "cert_type", certs[i].type, "data",
                          byte_list(certs[i].der, certs[i].len));
    if (!e || json_array_append_new(chain, e) != 0) {
      json_decref(chain);
      chain = NULL;
    }
  }
  json_t *rep = report_json(report, layout == TC_SNP_TCB_TURIN);
  if (rep && chain)
    *out = json_pack("{s:o, s:o}", "attestation_report", rep, "cert_chain", chain);
  else {
    json_decref(rep);
    json_decref(chain);
  }
  if (!*out)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "SNP evidence JSON");
  return TC_OK;
}
