/* SPDX-License-Identifier: Apache-2.0 */
/* AMD SEV-SNP ATTESTATION_REPORT parsing and claims (no cryptography).
 * Source: AMD SEV-SNP Firmware ABI Specification, Table "ATTESTATION_REPORT Structure",
 * "TCB_VERSION Structure", "Guest Policy Structure", PLATFORM_INFO. See teectl/snp.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "teectl/bytes.h"
#include "teectl/snp.h"

const char *tc_snp_product_name(tc_snp_product p) {
  switch (p) {
  case TC_SNP_MILAN:
    return "Milan";
  case TC_SNP_GENOA:
    return "Genoa";
  case TC_SNP_TURIN:
    return "Turin";
  default:
    return "unknown";
  }
}

tc_snp_product tc_snp_product_from_cpuid(uint8_t family, uint8_t model) {
  if (family == 0x19) {
    if (model <= 0x0F)
      return TC_SNP_MILAN;
    if ((model >= 0x10 && model <= 0x1F) || (model >= 0xA0 && model <= 0xAF))
      return TC_SNP_GENOA;
  }
  if (family == 0x1A && model <= 0x1F)
    return TC_SNP_TURIN;
  return TC_SNP_PRODUCT_UNKNOWN;
}

static const struct {
  const char *name;
  tc_snp_product p;
} product_names[] = {{"Milan", TC_SNP_MILAN}, {"Genoa", TC_SNP_GENOA}, {"Turin", TC_SNP_TURIN}};

/* The product of the n bytes at w, spelled exactly (case included). */
static tc_snp_product product_word(const char *w, size_t n) {
  for (size_t i = 0; i < sizeof product_names / sizeof product_names[0]; i++)
    if (strlen(product_names[i].name) == n && memcmp(product_names[i].name, w, n) == 0)
      return product_names[i].p;
  return TC_SNP_PRODUCT_UNKNOWN;
}

tc_snp_product tc_snp_product_parse(const char *name) {
  for (size_t i = 0; name != NULL && i < sizeof product_names / sizeof product_names[0]; i++)
    if (strcasecmp(product_names[i].name, name) == 0)
      return product_names[i].p;
  return TC_SNP_PRODUCT_UNKNOWN;
}

tc_snp_product tc_snp_product_from_name(const char *name) {
  if (name == NULL)
    return TC_SNP_PRODUCT_UNKNOWN;
  /* productName "Milan-B0": the part before the first '-'. */
  const char *dash = strchr(name, '-');
  tc_snp_product p = product_word(name, dash ? (size_t)(dash - name) : strlen(name));
  if (p != TC_SNP_PRODUCT_UNKNOWN)
    return p;
  /* CN "ARK-Milan", "SEV-VLEK-Genoa": the part after the last '-'. */
  const char *last = strrchr(name, '-');
  return last ? product_word(last + 1, strlen(last + 1)) : TC_SNP_PRODUCT_UNKNOWN;
}

tc_snp_tcb_layout tc_snp_tcb_layout_of(tc_snp_product p) {
  return p == TC_SNP_TURIN ? TC_SNP_TCB_TURIN : TC_SNP_TCB_MILAN_GENOA;
}

void tc_snp_tcb_decode(uint64_t raw, tc_snp_tcb_layout layout, tc_snp_tcb *out) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (uint8_t)(raw >> (8 * i));
  memset(out, 0, sizeof *out);
  out->raw = raw;
  if (layout == TC_SNP_TCB_TURIN) {
    out->fmc = b[0];
    out->bootloader = b[1];
    out->tee = b[2];
    out->snp = b[3];
    out->microcode = b[7];
    out->reserved_nonzero = (b[4] | b[5] | b[6]) != 0;
  } else {
    out->bootloader = b[0];
    out->tee = b[1];
    out->snp = b[6];
    out->microcode = b[7];
    out->reserved_nonzero = (b[2] | b[3] | b[4] | b[5]) != 0;
  }
}

static tc_status unknown_product(uint8_t family, uint8_t model, tc_error *err) {
  return tc_fail(err, TC_ERR_PARSE, "unsupported_product",
                 "CPUID family 0x%02x model 0x%02x (offsets 0x188, 0x189) is no known SEV-SNP "
                 "product line (Milan, Genoa, Turin)",
                 family, model);
}

tc_status tc_snp_wire_tcb_layout(uint32_t version, uint8_t cpuid_fam_id, uint8_t cpuid_mod_id,
                                 const uint8_t chip_id[64], tc_snp_tcb_layout *out, tc_error *err) {
  *out = TC_SNP_TCB_MILAN_GENOA;
  if (version == 2) {
    if (tc_all_zero(chip_id, 64))
      return tc_fail(err, TC_ERR_PARSE, "chip_id_masked",
                     "version 2 report with CHIP_ID (offset 0x1A0) all zeros (MASK_CHIP_ID): "
                     "no field names the CPU, so its TCB_VERSION layout (Milan/Genoa or Turin) "
                     "is unknown");
    *out = tc_all_zero(chip_id + 8, 56) ? TC_SNP_TCB_TURIN : TC_SNP_TCB_MILAN_GENOA;
    return TC_OK;
  }
  if (version < 3 || version > 5)
    return tc_fail(err, TC_ERR_PARSE, "unsupported_report_version",
                   "report VERSION is %u; supported: 2, 3, 4, 5", version);
  tc_snp_product p = tc_snp_product_from_cpuid(cpuid_fam_id, cpuid_mod_id);
  if (p == TC_SNP_PRODUCT_UNKNOWN)
    return unknown_product(cpuid_fam_id, cpuid_mod_id, err);
  *out = tc_snp_tcb_layout_of(p);
  return TC_OK;
}

/* Must-be-zero byte ranges, [start, end) — report version dependent ones handled below. */
static tc_status check_zero(const uint8_t *rep, size_t start, size_t end, const char *field,
                            tc_error *err) {
  for (size_t i = start; i < end; i++)
    if (rep[i] != 0)
      return tc_fail(err, TC_ERR_PARSE, "reserved_nonzero",
                     "report byte 0x%03zx (%s, 0x%03zx..0x%03zx) must be zero, is 0x%02x", i, field,
                     start, end - 1, rep[i]);
  return TC_OK;
}

static void be_from_le72(const uint8_t *le, uint8_t be[48]) {
  for (int i = 0; i < 48; i++)
    be[i] = le[47 - i];
}

tc_status tc_snp_parse(const uint8_t *rep, size_t len, tc_snp_report *out, tc_error *err) {
  memset(out, 0, sizeof *out);
  if (rep == NULL || len < TC_SNP_REPORT_SIZE)
    return tc_fail(err, TC_ERR_PARSE, "report_truncated",
                   "an SEV-SNP attestation report is %d bytes, got %zu", TC_SNP_REPORT_SIZE,
                   rep ? len : (size_t)0);
  if (len > TC_SNP_REPORT_SIZE)
    return tc_fail(err, TC_ERR_PARSE, "report_length_invalid",
                   "an SEV-SNP attestation report is %d bytes, got %zu (trailing data)",
                   TC_SNP_REPORT_SIZE, len);
  out->version = tc_le32(rep + 0x000);
  /* Version 4 has the version 3 layout (CPUID fields, no mitigation vectors); firmware emits
   * it on Milan and Genoa too, so the TCB layout always comes from CPUID, never from here. */
  if (out->version < 2 || out->version > 5)
    return tc_fail(err, TC_ERR_PARSE, "unsupported_report_version",
                   "report VERSION (offset 0x000) is %u; supported: 2, 3, 4, 5", out->version);
  out->signature_algo = tc_le32(rep + 0x034);
  if (out->signature_algo != 1)
    return tc_fail(err, TC_ERR_PARSE, "unsupported_signature_algo",
                   "SIGNATURE_ALGO (offset 0x034) is %u; only 1 (ECDSA P-384 with SHA-384) is "
                   "supported",
                   out->signature_algo);
  out->guest_svn = tc_le32(rep + 0x004);
  out->policy = tc_le64(rep + 0x008);
  memcpy(out->family_id, rep + 0x010, 16);
  memcpy(out->image_id, rep + 0x020, 16);
  out->vmpl = tc_le32(rep + 0x030);
  out->current_tcb = tc_le64(rep + 0x038);
  out->platform_info = tc_le64(rep + 0x040);
  out->flags = tc_le32(rep + 0x048);
  out->author_key_en = (uint8_t)(out->flags & 1);
  out->mask_chip_key = (uint8_t)((out->flags >> 1) & 1);
  out->signing_key = (uint8_t)((out->flags >> 2) & 7);
  memcpy(out->report_data, rep + 0x050, 64);
  memcpy(out->measurement, rep + 0x090, 48);
  memcpy(out->host_data, rep + 0x0C0, 32);
  memcpy(out->id_key_digest, rep + 0x0E0, 48);
  memcpy(out->author_key_digest, rep + 0x110, 48);
  memcpy(out->report_id, rep + 0x140, 32);
  memcpy(out->report_id_ma, rep + 0x160, 32);
  out->reported_tcb = tc_le64(rep + 0x180);
  memcpy(out->chip_id, rep + 0x1A0, 64);
  out->committed_tcb = tc_le64(rep + 0x1E0);
  out->current_build = rep[0x1E8];
  out->current_minor = rep[0x1E9];
  out->current_major = rep[0x1EA];
  out->committed_build = rep[0x1EC];
  out->committed_minor = rep[0x1ED];
  out->committed_major = rep[0x1EE];
  out->launch_tcb = tc_le64(rep + 0x1F0);
  be_from_le72(rep + 0x2A0, out->signature_r);
  be_from_le72(rep + 0x2E8, out->signature_s);

  tc_status st;
  if (out->flags >> 5)
    return tc_fail(err, TC_ERR_PARSE, "reserved_nonzero",
                   "reserved bits 31:5 of the flags word (offset 0x048) are set: 0x%08x",
                   out->flags);
  if ((st = check_zero(rep, 0x04C, 0x050, "reserved after flags", err)) != TC_OK)
    return st;
  if (out->version >= 3) {
    out->cpuid_fam_id = rep[0x188];
    out->cpuid_mod_id = rep[0x189];
    out->cpuid_step = rep[0x18A];
    st = check_zero(rep, 0x18B, 0x1A0, "reserved after CPUID_STEP", err);
  } else {
    st = check_zero(rep, 0x188, 0x1A0, "reserved after REPORTED_TCB (v2)", err);
  }
  if (st != TC_OK)
    return st;
  if ((st = check_zero(rep, 0x1EB, 0x1EC, "reserved after CURRENT_MAJOR", err)) != TC_OK ||
      (st = check_zero(rep, 0x1EF, 0x1F0, "reserved after COMMITTED_MAJOR", err)) != TC_OK)
    return st;
  if (out->version >= 5) {
    out->launch_mit_vector = tc_le64(rep + 0x1F8);
    out->current_mit_vector = tc_le64(rep + 0x200);
    st = check_zero(rep, 0x208, 0x2A0, "reserved after CURRENT_MIT_VECTOR", err);
  } else {
    st = check_zero(rep, 0x1F8, 0x2A0, "reserved after LAUNCH_TCB", err);
  }
  if (st != TC_OK)
    return st;
  if ((st = check_zero(rep, 0x2A0 + 48, 0x2A0 + 72, "SIGNATURE R upper bytes", err)) != TC_OK ||
      (st = check_zero(rep, 0x2E8 + 48, 0x2E8 + 72, "SIGNATURE S upper bytes", err)) != TC_OK ||
      (st = check_zero(rep, 0x330, TC_SNP_REPORT_SIZE, "reserved after SIGNATURE", err)) != TC_OK)
    return st;
  if (out->policy & TC_SNP_POLICY_RESERVED_MASK)
    return tc_fail(err, TC_ERR_PARSE, "reserved_nonzero",
                   "POLICY (offset 0x008) 0x%016llx sets reserved bits 63:26",
                   (unsigned long long)out->policy);
  if (!(out->policy & TC_SNP_POLICY_RESERVED_ONE))
    return tc_fail(err, TC_ERR_PARSE, "policy_reserved_one_clear",
                   "POLICY (offset 0x008) 0x%016llx: bit 17 must be one",
                   (unsigned long long)out->policy);
  if (out->vmpl > 3)
    return tc_fail(err, TC_ERR_PARSE, "vmpl_invalid", "VMPL (offset 0x030) is %u; must be 0..3",
                   out->vmpl);
  if (out->signing_key != TC_SNP_SIGNING_KEY_VCEK && out->signing_key != TC_SNP_SIGNING_KEY_VLEK &&
      out->signing_key != TC_SNP_SIGNING_KEY_NONE)
    return tc_fail(err, TC_ERR_PARSE, "signing_key_invalid",
                   "SIGNING_KEY (offset 0x048 bits 4:2) is %u; defined: 0 VCEK, 1 VLEK, 7 none",
                   out->signing_key);
  if (out->version >= 3) {
    out->product_from_report = tc_snp_product_from_cpuid(out->cpuid_fam_id, out->cpuid_mod_id);
    if (out->product_from_report == TC_SNP_PRODUCT_UNKNOWN)
      return unknown_product(out->cpuid_fam_id, out->cpuid_mod_id, err);
  }
  return TC_OK;
}

/* ---- claims JSON ---- */

static int set_hex(json_t *o, const char *k, const uint8_t *b, size_t n) {
  char buf[2 * 64 + 1];
  return json_object_set_new(o, k, json_string(tc_hex_encode(b, n, buf)));
}

/* "0x" and v as lower-case hex zero-padded to digits. */
static int set_hexnum(json_t *o, const char *k, int digits, unsigned long long v) {
  char buf[32];
  snprintf(buf, sizeof buf, "0x%0*llx", digits, v);
  return json_object_set_new(o, k, json_string(buf));
}

static int set_int(json_t *o, const char *k, long long v) {
  return json_object_set_new(o, k, json_integer(v));
}

static json_t *tcb_json(uint64_t raw, tc_snp_tcb_layout layout) {
  tc_snp_tcb t;
  tc_snp_tcb_decode(raw, layout, &t);
  json_t *o = json_object();
  if (o == NULL)
    return NULL;
  int rc = set_hexnum(o, "hex", 16, raw);
  if (layout == TC_SNP_TCB_TURIN)
    rc |= set_int(o, "fmc", t.fmc);
  rc |= set_int(o, "bootloader", t.bootloader);
  rc |= set_int(o, "tee", t.tee);
  rc |= set_int(o, "snp", t.snp);
  rc |= set_int(o, "microcode", t.microcode);
  rc |= json_object_set_new(o, "layout",
                            json_string(layout == TC_SNP_TCB_TURIN ? "turin" : "milan_genoa"));
  if (rc != 0) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static json_t *policy_decoded(uint64_t p, int with_reserved) {
  json_t *o = json_object();
  if (o == NULL)
    return NULL;
  int rc = set_int(o, "abi_minor", (long long)(p & 0xff));
  rc |= set_int(o, "abi_major", (long long)((p >> 8) & 0xff));
  rc |= json_object_set_new(o, "smt", json_boolean(p & TC_SNP_POLICY_SMT));
  if (with_reserved)
    rc |= json_object_set_new(o, "reserved_bit17_must_be_1",
                              json_boolean(p & TC_SNP_POLICY_RESERVED_ONE));
  rc |= json_object_set_new(o, "migrate_ma", json_boolean(p & TC_SNP_POLICY_MIGRATE_MA));
  rc |= json_object_set_new(o, "debug", json_boolean(p & TC_SNP_POLICY_DEBUG));
  rc |= json_object_set_new(o, "single_socket", json_boolean(p & TC_SNP_POLICY_SINGLE_SOCKET));
  rc |= json_object_set_new(o, "cxl_allow", json_boolean(p & TC_SNP_POLICY_CXL_ALLOW));
  rc |= json_object_set_new(o, "mem_aes_256_xts", json_boolean(p & TC_SNP_POLICY_MEM_AES_256_XTS));
  rc |= json_object_set_new(o, "rapl_dis", json_boolean(p & TC_SNP_POLICY_RAPL_DIS));
  rc |= json_object_set_new(o, "ciphertext_hiding",
                            json_boolean(p & TC_SNP_POLICY_CIPHERTEXT_HIDING));
  rc |= json_object_set_new(o, "page_swap_disable",
                            json_boolean(p & TC_SNP_POLICY_PAGE_SWAP_DISABLE));
  if (rc != 0) {
    json_decref(o);
    return NULL;
  }
  return o;
}

json_t *tc_snp_policy_flags(uint64_t policy) {
  return policy_decoded(policy, 0);
}

static json_t *platform_info_decoded(uint64_t v) {
  static const char *const names[8] = {
      "smt_en", "tsme_en", "ecc_en", "rapl_dis", "ciphertext_hiding_en", "alias_check_complete",
      "bit6",   "tio_en"};
  json_t *o = json_object();
  if (o == NULL)
    return NULL;
  for (int i = 0; i < 8; i++)
    if (json_object_set_new(o, names[i], json_boolean((v >> i) & 1)) != 0) {
      json_decref(o);
      return NULL;
    }
  return o;
}

static const char *signing_key_name(uint8_t k) {
  return k == TC_SNP_SIGNING_KEY_VCEK   ? "VCEK"
         : k == TC_SNP_SIGNING_KEY_VLEK ? "VLEK"
         : k == TC_SNP_SIGNING_KEY_NONE ? "none"
                                        : "reserved";
}

json_t *tc_snp_claims(const tc_snp_report *r, tc_snp_product product) {
  tc_snp_tcb_layout layout = tc_snp_tcb_layout_of(product);
  json_t *o = json_object();
  if (o == NULL)
    return NULL;
  int rc = 0;
  rc |= set_int(o, "version", r->version);
  rc |= set_int(o, "guest_svn", r->guest_svn);
  rc |= set_hexnum(o, "policy", 16, r->policy);
  rc |= json_object_set_new(o, "policy_decoded", policy_decoded(r->policy, 1));
  rc |= set_hex(o, "family_id", r->family_id, 16);
  rc |= set_hex(o, "image_id", r->image_id, 16);
  rc |= set_int(o, "vmpl", r->vmpl);
  rc |= set_int(o, "signature_algo", r->signature_algo);
  if (r->version >= 3) {
    rc |= set_hexnum(o, "cpuid_fam_id", 2, r->cpuid_fam_id);
    rc |= set_hexnum(o, "cpuid_mod_id", 2, r->cpuid_mod_id);
    rc |= set_hexnum(o, "cpuid_step", 2, r->cpuid_step);
  }
  rc |= json_object_set_new(o, "product_from_report",
                            r->product_from_report == TC_SNP_PRODUCT_UNKNOWN
                                ? json_null()
                                : json_string(tc_snp_product_name(r->product_from_report)));
  rc |= json_object_set_new(o, "current_tcb", tcb_json(r->current_tcb, layout));
  rc |= set_hexnum(o, "platform_info", 16, r->platform_info);
  rc |= json_object_set_new(o, "platform_info_decoded", platform_info_decoded(r->platform_info));
  rc |= set_hexnum(o, "flags", 8, r->flags);
  rc |= set_int(o, "author_key_en", r->author_key_en);
  rc |= set_int(o, "mask_chip_key", r->mask_chip_key);
  rc |= set_int(o, "signing_key", r->signing_key);
  rc |= json_object_set_new(o, "signing_key_name", json_string(signing_key_name(r->signing_key)));
  rc |= set_hex(o, "report_data", r->report_data, 64);
  rc |= set_hex(o, "measurement", r->measurement, 48);
  rc |= set_hex(o, "host_data", r->host_data, 32);
  rc |= set_hex(o, "id_key_digest", r->id_key_digest, 48);
  rc |= set_hex(o, "author_key_digest", r->author_key_digest, 48);
  rc |= set_hex(o, "report_id", r->report_id, 32);
  rc |= set_hex(o, "report_id_ma", r->report_id_ma, 32);
  rc |= json_object_set_new(o, "reported_tcb", tcb_json(r->reported_tcb, layout));
  rc |= set_hex(o, "chip_id", r->chip_id, 64);
  rc |= json_object_set_new(o, "chip_id_masked", json_boolean(tc_all_zero(r->chip_id, 64)));
  rc |= json_object_set_new(o, "committed_tcb", tcb_json(r->committed_tcb, layout));
  rc |= set_int(o, "current_build", r->current_build);
  rc |= set_int(o, "current_minor", r->current_minor);
  rc |= set_int(o, "current_major", r->current_major);
  rc |= set_int(o, "committed_build", r->committed_build);
  rc |= set_int(o, "committed_minor", r->committed_minor);
  rc |= set_int(o, "committed_major", r->committed_major);
  rc |= json_object_set_new(o, "launch_tcb", tcb_json(r->launch_tcb, layout));
  if (r->version >= 5) {
    rc |= set_hexnum(o, "launch_mit_vector", 16, r->launch_mit_vector);
    rc |= set_hexnum(o, "current_mit_vector", 16, r->current_mit_vector);
  }
  if (rc != 0) {
    json_decref(o);
    return NULL;
  }
  return o;
}
