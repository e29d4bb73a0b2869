/* SPDX-License-Identifier: Apache-2.0 */
/* Wire forms the Confidential Containers attestation-agent sends, and RFC 8785 canonical JSON.
 *
 * SNP primary evidence: {"attestation_report", "cert_chain"}, the report in the serde form of
 * virtee/sev's AttestationReport, made here from the ATTESTATION_REPORT bytes at the offsets of
 * the SEV-SNP Firmware ABI spec (table "ATTESTATION_REPORT Structure"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attester/internal.h"
#include "teectl/snp.h"
#include "teectl/strbuf.h"

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

static json_t *report_json(const uint8_t *r) {
  uint32_t version = tc_le32(r);
  int v3 = version >= 3, v5 = version >= 5;
  int turin = v3 && r[0x188] == 0x1A;
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
  tc_snp_cert certs[16];
  size_t n = 0;
  tc_status st = tc_snp_cert_table_parse(aux, aux_len, certs, 16, &n, err);
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
  json_t *rep = report_json(report);
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

/* ---- RFC 8785 ---- */

static int canon_string(tc_strbuf *b, const char *s, size_t n) {
  tc_strbuf_append(b, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    const char *esc = c == '"'    ? "\\\""
                      : c == '\\' ? "\\\\"
                      : c == '\b' ? "\\b"
                      : c == '\f' ? "\\f"
                      : c == '\n' ? "\\n"
                      : c == '\r' ? "\\r"
                      : c == '\t' ? "\\t"
                                  : NULL;
    if (esc)
      tc_strbuf_append(b, esc, 2);
    else if (c < 0x20)
      tc_strbuf_printf(b, "\\u%04x", c);
    else
      tc_strbuf_append(b, s + i, 1);
  }
  return tc_strbuf_append(b, "\"", 1);
}

/* Member names compared as UTF-16 code units (RFC 8785 section 3.2.3). For names that are all
 * below U+10000 this is code point order, which UTF-8 byte order keeps; names with
 * supplementary characters would need the surrogate order, and are refused. */
static int name_cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int canon(tc_strbuf *b, const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT: {
    size_t n = json_object_size(v), i = 0;
    const char **names = calloc(n ? n : 1, sizeof *names);
    if (!names)
      return -1;
    const char *k;
    const json_t *m;
    json_object_foreach((json_t *)v, k, m) {
      for (const unsigned char *p = (const unsigned char *)k; *p; p++)
        if (*p >= 0xF0) {
          free(names);
          return -1;
        }
      names[i++] = k;
    }
    qsort(names, n, sizeof *names, name_cmp);
    tc_strbuf_append(b, "{", 1);
    int rc = 0;
    for (i = 0; i < n && rc == 0; i++) {
      if (i)
        tc_strbuf_append(b, ",", 1);
      canon_string(b, names[i], strlen(names[i]));
      tc_strbuf_append(b, ":", 1);
      rc = canon(b, json_object_get(v, names[i]));
    }
    free(names);
    return rc ? rc : tc_strbuf_append(b, "}", 1);
  }
  case JSON_ARRAY: {
    tc_strbuf_append(b, "[", 1);
    for (size_t i = 0; i < json_array_size(v); i++) {
      if (i)
        tc_strbuf_append(b, ",", 1);
      if (canon(b, json_array_get(v, i)) != 0)
        return -1;
    }
    return tc_strbuf_append(b, "]", 1);
  }
  case JSON_STRING:
    return canon_string(b, json_string_value(v), json_string_length(v));
  case JSON_INTEGER: {
    json_int_t x = json_integer_value(v);
    if (x >= (1LL << 53) || x <= -(1LL << 53))
      return -1;
    return tc_strbuf_printf(b, "%lld", (long long)x);
  }
  case JSON_TRUE:
    return tc_strbuf_append(b, "true", 4);
  case JSON_FALSE:
    return tc_strbuf_append(b, "false", 5);
  case JSON_NULL:
    return tc_strbuf_append(b, "null", 4);
  default:
    return -1;
  }
}

char *tc_json_canonical(const json_t *v) {
  tc_strbuf b = {0};
  if (!v || canon(&b, v) != 0) {
    tc_strbuf_free(&b);
    return NULL;
  }
  return tc_strbuf_take(&b);
}
