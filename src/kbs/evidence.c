/* SPDX-License-Identifier: Apache-2.0 */
/* teectl — evidence in the wire forms a Confidential Containers guest sends as KBS
 * primary evidence (guest-components attestation-agent attester/):
 *   snp: {"attestation_report": <virtee/sev AttestationReport serde form>,
 *         "cert_chain": [{"cert_type", "data"}] | null}
 *   tdx: {"quote": base64, "cc_eventlog": base64 | null}
 *   sgx: {"quote": base64}
 * The SNP form is rebuilt byte for byte into the ATTESTATION_REPORT (SEV-SNP Firmware ABI
 * spec, table "ATTESTATION_REPORT Structure"); the one verification path then judges the
 * binary report, so a rebuilt report that differs from what the firmware signed fails its
 * signature check.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "teectl/base64.h"
#include "teectl/kbs.h"
#include "teectl/snp.h"

enum kind { U32, U64, BYTES, TCB, VER, OPT_U8, OPT_U64, SIG };

typedef struct field {
  const char *name;
  size_t off;
  enum kind kind;
  size_t len; /* BYTES: length */
} field;

/* virtee/sev AttestationReport, in declaration (= serde) order. */
static const field fields[] = {
    {"version", 0x000, U32, 0},
    {"guest_svn", 0x004, U32, 0},
    {"policy", 0x008, U64, 0},
    {"family_id", 0x010, BYTES, 16},
    {"image_id", 0x020, BYTES, 16},
    {"vmpl", 0x030, U32, 0},
    {"sig_algo", 0x034, U32, 0},
    {"current_tcb", 0x038, TCB, 0},
    {"plat_info", 0x040, U64, 0},
    {"key_info", 0x048, U32, 0},
    {"report_data", 0x050, BYTES, 64},
    {"measurement", 0x090, BYTES, 48},
    {"host_data", 0x0C0, BYTES, 32},
    {"id_key_digest", 0x0E0, BYTES, 48},
    {"author_key_digest", 0x110, BYTES, 48},
    {"report_id", 0x140, BYTES, 32},
    {"report_id_ma", 0x160, BYTES, 32},
    {"reported_tcb", 0x180, TCB, 0},
    {"cpuid_fam_id", 0x188, OPT_U8, 0},
    {"cpuid_mod_id", 0x189, OPT_U8, 0},
    {"cpuid_step", 0x18A, OPT_U8, 0},
    {"chip_id", 0x1A0, BYTES, 64},
    {"committed_tcb", 0x1E0, TCB, 0},
    {"current", 0x1E8, VER, 0},
    {"committed", 0x1EC, VER, 0},
    {"launch_tcb", 0x1F0, TCB, 0},
    {"launch_mit_vector", 0x1F8, OPT_U64, 0},
    {"current_mit_vector", 0x200, OPT_U64, 0},
    {"signature", TC_SNP_SIGNATURE_OFFSET, SIG, 0},
};
#define N_FIELDS (sizeof fields / sizeof fields[0])

static tc_status inval(tc_error *err, const char *name, const char *what) {
  return tc_fail(err, TC_ERR_PARSE, "snp_evidence_invalid", "attestation_report.%s: %s", name,
                 what);
}

static void put_le(uint8_t *p, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* An unsigned JSON integer <= max. */
static int get_uint(const json_t *v, uint64_t max, uint64_t *out) {
  if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
    return -1;
  *out = (uint64_t)json_integer_value(v);
  return 0;
}

static int get_bytes(const json_t *v, size_t len, uint8_t *out) {
  if (!json_is_array(v) || json_array_size(v) != len)
    return -1;
  for (size_t i = 0; i < len; i++) {
    uint64_t b;
    if (get_uint(json_array_get(v, i), 255, &b))
      return -1;
    out[i] = (uint8_t)b;
  }
  return 0;
}

static tc_status put_tcb(const json_t *v, tc_snp_tcb_layout layout, const char *name, uint8_t *p,
                         tc_error *err) {
  static const char *const keys[] = {"fmc", "bootloader", "tee", "snp", "microcode"};
  uint64_t c[5] = {0};
  if (!json_is_object(v) || json_object_size(v) != 5)
    return inval(err, name, "expected {fmc, bootloader, tee, snp, microcode}");
  for (size_t i = 0; i < 5; i++) {
    const json_t *x = json_object_get(v, keys[i]);
    int genoa_fmc = i == 0 && layout == TC_SNP_TCB_MILAN_GENOA;
    if (genoa_fmc && json_is_null(x))
      continue;
    if (!x || genoa_fmc || get_uint(x, 255, &c[i]))
      return inval(err, name,
                   i == 0 ? (layout == TC_SNP_TCB_TURIN ? "fmc must be 0..255 on Turin"
                                                        : "fmc must be null on Milan/Genoa")
                          : "components must be 0..255");
  }
  memset(p, 0, 8);
  if (layout == TC_SNP_TCB_TURIN) {
    p[0] = (uint8_t)c[0], p[1] = (uint8_t)c[1], p[2] = (uint8_t)c[2], p[3] = (uint8_t)c[3];
  } else {
    p[0] = (uint8_t)c[1], p[1] = (uint8_t)c[2], p[6] = (uint8_t)c[3];
  }
  p[7] = (uint8_t)c[4];
  return TC_OK;
}

/* The TCB layout as virtee/sev decides it (the attester's encoder asks the same function):
 * CPUID for version 3+, CHIP_ID for version 2, refused when a version 2 CHIP_ID is masked. */
static tc_status layout_of(const json_t *rep, uint64_t version, tc_snp_tcb_layout *layout,
                           tc_error *err) {
  uint64_t fam = 0, mod = 0;
  uint8_t chip[64];
  if (version >= 3 && (get_uint(json_object_get(rep, "cpuid_fam_id"), 255, &fam) ||
                       get_uint(json_object_get(rep, "cpuid_mod_id"), 255, &mod)))
    return inval(err, "cpuid_fam_id", "version 3+ needs cpuid_fam_id and cpuid_mod_id of 0..255");
  if (get_bytes(json_object_get(rep, "chip_id"), 64, chip))
    return inval(err, "chip_id", "expected a list of 64 numbers 0..255");
  tc_error e;
  if (tc_snp_wire_tcb_layout((uint32_t)version, (uint8_t)fam, (uint8_t)mod, chip, layout, &e) !=
      TC_OK)
    return tc_fail(err, TC_ERR_PARSE, "snp_evidence_invalid", "attestation_report: %s (%s)",
                   e.detail, e.reason);
  return TC_OK;
}

static tc_status put_field(const field *f, const json_t *v, uint64_t version,
                           tc_snp_tcb_layout layout, uint8_t *rep, tc_error *err) {
  uint64_t x = 0;
  uint8_t *p = rep + f->off;
  int absent = v == NULL || json_is_null(v);
  switch (f->kind) {
  case U32:
    if (get_uint(v, UINT32_MAX, &x))
      return inval(err, f->name, "expected an integer 0..2^32-1");
    put_le(p, x, 4);
    return TC_OK;
  case U64: /* jansson reads values over INT64_MAX as reals: refused (bit 63 of POLICY and
               PLATFORM_INFO is reserved) */
    if (get_uint(v, INT64_MAX, &x))
      return inval(err, f->name, "expected an integer 0..2^63-1");
    put_le(p, x, 8);
    return TC_OK;
  case BYTES:
    if (get_bytes(v, f->len, p))
      return tc_fail(err, TC_ERR_PARSE, "snp_evidence_invalid",
                     "attestation_report.%s: expected a list of %zu numbers 0..255", f->name,
                     f->len);
    return TC_OK;
  case TCB:
    return put_tcb(v, layout, f->name, p, err);
  case VER: {
    uint64_t maj, min, bld;
    if (!json_is_object(v) || json_object_size(v) != 3 ||
        get_uint(json_object_get(v, "major"), 255, &maj) ||
        get_uint(json_object_get(v, "minor"), 255, &min) ||
        get_uint(json_object_get(v, "build"), 255, &bld))
      return inval(err, f->name, "expected {major, minor, build} of 0..255");
    p[0] = (uint8_t)bld, p[1] = (uint8_t)min, p[2] = (uint8_t)maj;
    return TC_OK;
  }
  case OPT_U8:
    if (version < 3 ? !absent && (get_uint(v, 0, &x)) : !absent && get_uint(v, 255, &x))
      return inval(err, f->name,
                   version < 3 ? "must be null in a version 2 report" : "expected null or 0..255");
    p[0] = (uint8_t)x;
    return TC_OK;
  case OPT_U64:
    if (version < 5 ? !absent && get_uint(v, 0, &x) : !absent && get_uint(v, INT64_MAX, &x))
      return inval(err, f->name,
                   version < 5 ? "must be null before report version 5"
                               : "expected null or an integer");
    put_le(p, x, 8);
    return TC_OK;
  case SIG:
    if (!json_is_object(v) || json_object_size(v) != 2 ||
        get_bytes(json_object_get(v, "r"), 72, p) || get_bytes(json_object_get(v, "s"), 72, p + 72))
      return inval(err, f->name, "expected {r, s} of 72 numbers 0..255 each");
    return TC_OK;
  }
  return inval(err, f->name, "unknown field kind");
}

static void free_certs(tc_buf *certs, size_t n) {
  for (size_t i = 0; i < n; i++)
    tc_buf_free(&certs[i]);
  free(certs);
}

static tc_status take_certs(const json_t *chain, tc_buf **certs, size_t *n_certs, tc_error *err) {
  *certs = NULL;
  *n_certs = 0;
  if (!chain || json_is_null(chain))
    return TC_OK;
  if (!json_is_array(chain) || json_array_size(chain) > 8)
    return tc_fail(err, TC_ERR_PARSE, "snp_evidence_invalid",
                   "cert_chain: expected null or a list of at most 8 entries");
  tc_buf *out = calloc(json_array_size(chain) + 1, sizeof *out);
  if (!out)
    return tc_fail(err, TC_ERR_NOMEM, "out_of_memory", "cert_chain");
  size_t i, n = 0;
  json_t *e;
  json_array_foreach(chain, i, e) {
    const json_t *type = json_object_get(e, "cert_type");
    const json_t *data = json_object_get(e, "data");
    const char *t = json_string_value(type);
    if (!json_is_object(e) || !type || !json_is_array(data) || json_array_size(data) > 16384) {
      free_certs(out, n);
      return tc_fail(err, TC_ERR_PARSE, "snp_evidence_invalid",
                     "cert_chain[%zu]: expected {cert_type, data: [bytes] (<= 16 KiB)}", i);
    }
    if (!t || (strcmp(t, "VCEK") && strcmp(t, "VLEK") && strcmp(t, "ASK") && strcmp(t, "ARK")))
      continue; /* CRL, Empty, {"OTHER": uuid}: not certificates we use */
    out[n].len = json_array_size(data);
    out[n].data = malloc(out[n].len ? out[n].len : 1);
    if (!out[n].data || get_bytes(data, out[n].len, out[n].data)) {
      n += out[n].data != NULL;
      free_certs(out, n);
      return tc_fail(err, TC_ERR_PARSE, "snp_evidence_invalid",
                     "cert_chain[%zu].data: expected numbers 0..255", i);
    }
    n++;
  }
  *certs = out;
  *n_certs = n;
  return TC_OK;
}

tc_status tc_kbs_snp_evidence(const json_t *evidence, uint8_t report[0x4A0], tc_buf **certs,
                              size_t *n_certs, tc_error *err) {
  *certs = NULL;
  *n_certs = 0;
  memset(report, 0, TC_SNP_REPORT_SIZE);
  const json_t *rep = json_object_get(evidence, "attestation_report");
  if (!json_is_object(evidence) || !json_is_object(rep))
    return tc_fail(err, TC_ERR_PARSE, "snp_evidence_invalid",
                   "SNP evidence must be {\"attestation_report\": {...}, \"cert_chain\": ...}");
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)evidence, key, v) {
    if (strcmp(key, "attestation_report") && strcmp(key, "cert_chain"))
      return tc_fail(err, TC_ERR_PARSE, "snp_evidence_invalid", "unknown member \"%s\"", key);
  }
  json_object_foreach((json_t *)rep, key, v) {
    size_t i = 0;
    while (i < N_FIELDS && strcmp(key, fields[i].name) != 0)
      i++;
    if (i == N_FIELDS)
      return inval(err, key, "unknown member (not a field of the report)");
  }
  uint64_t version = 0;
  if (get_uint(json_object_get(rep, "version"), UINT32_MAX, &version) || version < 2 || version > 5)
    return inval(err, "version", "expected 2, 3, 4 or 5");
  tc_snp_tcb_layout layout;
  tc_status lst = layout_of(rep, version, &layout, err);
  if (lst != TC_OK)
    return lst;
  for (size_t i = 0; i < N_FIELDS; i++) {
    const json_t *fv = json_object_get(rep, fields[i].name);
    if (!fv && fields[i].kind != OPT_U8 && fields[i].kind != OPT_U64)
      return inval(err, fields[i].name, "missing");
    tc_status st = put_field(&fields[i], fv, version, layout, report, err);
    if (st != TC_OK)
      return st;
  }
  return take_certs(json_object_get(evidence, "cert_chain"), certs, n_certs, err);
}

/* Standard base64 (RFC 4648 section 4, padded), strict: one text per byte string. */
static tc_status b64_std(const char *text, tc_buf *out, tc_error *err) {
  size_t n = strlen(text);
  if (n == 0 || n % 4 != 0 || n > (size_t)64 * 1024 * 1024)
    return tc_fail(err, TC_ERR_PARSE, "dcap_evidence_invalid",
                   "quote: not standard padded base64 (length %zu)", n);
  return tc_b64_decode(text, n, TC_B64_STD, "quote", "dcap_evidence_invalid", out, err);
}

tc_status tc_kbs_dcap_evidence(tc_tee tee, const json_t *evidence, tc_buf *quote, tc_error *err) {
  memset(quote, 0, sizeof *quote);
  const char *q = json_string_value(json_object_get(evidence, "quote"));
  if (!json_is_object(evidence) || !q)
    return tc_fail(err, TC_ERR_PARSE, "dcap_evidence_invalid",
                   "%s evidence must be an object with a base64 string \"quote\"",
                   tc_tee_name(tee));
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)evidence, key, v) {
    int ok = strcmp(key, "quote") == 0 || (tee == TC_TEE_TDX && strcmp(key, "cc_eventlog") == 0 &&
                                           (json_is_null(v) || json_is_string(v)));
    if (!ok)
      return tc_fail(err, TC_ERR_PARSE, "dcap_evidence_invalid",
                     "%s evidence: unexpected member \"%s\"", tc_tee_name(tee), key);
  }
  return b64_std(q, quote, err);
}
