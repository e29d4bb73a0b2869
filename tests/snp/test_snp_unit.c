/* SPDX-License-Identifier: Apache-2.0 */
/* SEV-SNP parser and verifier against hierarchies and reports forged at test time
 * (tests/common/snp_forge): every rejection path, one thing broken at a time, each
 * asserting its reason code; plus valid reports of every version and product line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <pthread.h>

#include "snp_forge.h"
#include "teectl/rfc3339.h"
#include "teectl/snp.h"

/* Base hierarchies (RSA keys reused by the broken variants, for speed). */
static snp_forge *g_milan, *g_milan_vlek, *g_genoa, *g_turin;
/* A Milan hierarchy with its own RSA keys (same names as g_milan, other keys). */
static snp_forge *g_other;
/* One chain cache for every test: each verification is repeated warm (expect_col). */
static tc_snp_chain_cache *g_cache;

static snp_forge *forge(tc_snp_product p, int vlek, snp_forge_break b) {
  snp_forge_opts o;
  snp_forge_opts_init(&o, p, vlek);
  o.breakage = b;
  o.reuse_keys = g_milan; /* any base forge: only its RSA keys are taken */
  snp_forge *f = snp_forge_new(&o);
  assert_non_null(f);
  return f;
}

static int64_t at_default(void) {
  return tc_utc_seconds(2025, 1, 1, 0, 0, 0);
}

/* Verify rep with f's collateral (ARK trusted as operator root); expect `reason`
 * (NULL: valid). Also checks the result object agrees with the status. */
static void expect_col(const uint8_t *rep, size_t len, const tc_collateral *col, int64_t at,
                       const char *reason) {
  json_t *res = NULL;
  tc_error err;
  tc_status st = tc_snp_verify(rep, len, col, at, &res, &err);
  assert_non_null(res);
  if (reason == NULL) {
    if (st != TC_OK)
      fail_msg("expected valid, got %s: %s", err.reason, err.detail);
    assert_string_equal(json_string_value(json_object_get(res, "verdict")), "valid");
    assert_null(json_object_get(res, "reason"));
    /* The forged ARK is trusted only as an operator root (snp_forge_collateral). */
    assert_string_equal(json_string_value(json_object_get(res, "trust_anchor")),
                        "operator_trust_root");
  } else {
    if (st == TC_OK)
      fail_msg("expected %s, got valid", reason);
    if (strcmp(err.reason, reason) != 0)
      fail_msg("expected %s, got %s: %s", reason, err.reason, err.detail);
    assert_true(st == TC_ERR_VERIFY || st == TC_ERR_PARSE);
    assert_true(err.detail[0] != '\0');
    assert_string_equal(json_string_value(json_object_get(res, "verdict")), "invalid");
    assert_string_equal(json_string_value(json_object_get(res, "reason")), reason);
    assert_null(json_object_get(res, "trust_anchor"));
  }
  assert_string_equal(json_string_value(json_object_get(res, "tee")), "snp");
  /* The same answer, to the byte, through the shared chain cache, twice: a chain that
   * verified is a hit the second time, and a failure was not kept. */
  for (int k = 0; k < 2; k++) {
    json_t *warm = NULL;
    tc_error werr;
    tc_status wst = tc_snp_verify_cached(rep, len, col, at, g_cache, &warm, &werr);
    assert_int_equal(wst, st);
    if (st != TC_OK) {
      assert_string_equal(werr.reason, err.reason);
      assert_string_equal(werr.detail, err.detail);
    }
    assert_true(json_equal(warm, res));
    json_decref(warm);
  }
  json_decref(res);
}

static void expect(const snp_forge *f, const uint8_t *rep, const char *reason) {
  tc_collateral col;
  snp_forge_collateral(f, &col);
  expect_col(rep, TC_SNP_REPORT_SIZE, &col, at_default(), reason);
}

static void sign(const snp_forge *f, const tc_snp_report *r, uint8_t *rep) {
  assert_int_equal(snp_forge_sign_report(f, r, rep), 0);
}

static void make(const snp_forge *f, uint32_t version, uint8_t *rep) {
  tc_snp_report r;
  snp_forge_report_init(f, version, &r);
  sign(f, &r, rep);
}

/* ---------- valid ---------- */

static void valid_every_version_and_product(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  snp_forge *all[] = {g_milan, g_genoa, g_turin, g_milan_vlek};
  uint32_t versions[] = {2, 3, 4, 5};
  for (size_t i = 0; i < 4; i++)
    for (size_t v = 0; v < 4; v++) {
      make(all[i], versions[v], rep);
      expect(all[i], rep, NULL);
    }
}

static void valid_claims_values(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  tc_snp_report r;
  snp_forge_report_init(g_turin, 2, &r); /* v2: product only from the chain */
  for (int i = 0; i < 64; i++)
    r.report_data[i] = (uint8_t)(0xA0 + i);
  r.policy = 0x30000 | TC_SNP_POLICY_DEBUG | 0x1f;
  r.vmpl = 2;
  sign(g_turin, &r, rep);
  tc_collateral col;
  snp_forge_collateral(g_turin, &col);
  json_t *res = NULL;
  tc_error err;
  assert_int_equal(tc_snp_verify(rep, sizeof rep, &col, at_default(), &res, &err), TC_OK);
  assert_string_equal(json_string_value(json_object_get(res, "product")), "Turin");
  assert_string_equal(json_string_value(json_object_get(res, "signing_key")), "VCEK");
  assert_string_equal(json_string_value(json_object_get(res, "verified_at")),
                      "2025-01-01T00:00:00Z");
  assert_true(json_is_true(json_object_get(json_object_get(res, "policy_flags"), "debug")));
  json_t *cl = json_object_get(res, "claims");
  assert_int_equal(json_integer_value(json_object_get(cl, "version")), 2);
  assert_int_equal(json_integer_value(json_object_get(cl, "vmpl")), 2);
  assert_string_equal(json_string_value(json_object_get(cl, "policy")), "0x00000000000b001f");
  assert_true(json_is_null(json_object_get(cl, "product_from_report")));
  assert_null(json_object_get(cl, "cpuid_fam_id"));
  assert_string_equal(json_string_value(json_object_get(cl, "report_data")),
                      "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
                      "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf");
  /* Turin layout of opts_init: fmc 2, bl 1, tee 4, snp 3, ucode 71. */
  json_t *t = json_object_get(cl, "reported_tcb");
  assert_string_equal(json_string_value(json_object_get(t, "hex")), "0x4700000003040102");
  assert_int_equal(json_integer_value(json_object_get(t, "fmc")), 2);
  assert_int_equal(json_integer_value(json_object_get(t, "bootloader")), 1);
  assert_int_equal(json_integer_value(json_object_get(t, "tee")), 4);
  assert_int_equal(json_integer_value(json_object_get(t, "snp")), 3);
  assert_int_equal(json_integer_value(json_object_get(t, "microcode")), 71);
  assert_string_equal(json_string_value(json_object_get(t, "layout")), "turin");
  json_decref(res);
}

static void valid_extra_certs_sorted_by_role(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  make(g_milan, 3, rep);
  tc_buf extras[3] = {*snp_forge_leaf_der(g_milan), *snp_forge_ark_pem(g_milan),
                      *snp_forge_ask_pem(g_milan)};
  tc_collateral col = {0};
  col.extra_certs = extras;
  col.n_extra_certs = 3;
  col.trust_roots = (tc_buf *)snp_forge_ark_pem(g_milan);
  col.n_trust_roots = 1;
  expect_col(rep, sizeof rep, &col, at_default(), NULL);
  /* VLEK hierarchy the same way. */
  make(g_milan_vlek, 3, rep);
  tc_buf extras2[3] = {*snp_forge_ask_pem(g_milan_vlek), *snp_forge_leaf_der(g_milan_vlek),
                       *snp_forge_ark_pem(g_milan_vlek)};
  col.extra_certs = extras2;
  col.trust_roots = (tc_buf *)snp_forge_ark_pem(g_milan_vlek);
  expect_col(rep, sizeof rep, &col, at_default(), NULL);
}

static void valid_reused_chain(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  make(g_genoa, 5, rep);
  tc_collateral col;
  snp_forge_collateral(g_genoa, &col);
  tc_snp_chain *ch = NULL;
  tc_error err;
  assert_int_equal(tc_snp_chain_verify(&col, TC_SNP_SIGNING_KEY_VCEK, at_default(), &ch, &err),
                   TC_OK);
  assert_int_equal(tc_snp_chain_product(ch), TC_SNP_GENOA);
  json_t *res = NULL;
  assert_int_equal(tc_snp_verify_with_chain(rep, sizeof rep, ch, &res, &err), TC_OK);
  assert_string_equal(json_string_value(json_object_get(res, "trust_anchor")),
                      "operator_trust_root");
  json_decref(res);
  rep[0x90] ^= 1;
  assert_int_equal(tc_snp_verify_with_chain(rep, sizeof rep, ch, NULL, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "report_signature_invalid");
  tc_snp_chain_free(ch);
  assert_int_equal(tc_snp_chain_verify(&col, 5, at_default(), &ch, &err), TC_ERR_USAGE);
  assert_null(ch);
}

/* ---------- parse: format ---------- */

static void parse_lengths(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE + 1];
  make(g_milan, 3, rep);
  rep[TC_SNP_REPORT_SIZE] = 0;
  tc_collateral col;
  snp_forge_collateral(g_milan, &col);
  expect_col(rep, 1000, &col, at_default(), "report_truncated");
  expect_col(rep, 0, &col, at_default(), "report_truncated");
  expect_col(NULL, 0, &col, at_default(), "report_truncated");
  expect_col(rep, TC_SNP_REPORT_SIZE - 1, &col, at_default(), "report_truncated");
  expect_col(rep, TC_SNP_REPORT_SIZE + 1, &col, at_default(), "report_length_invalid");
}

static void parse_versions_and_algo(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  tc_snp_report r;
  uint32_t bad[] = {0, 1, 6, 7, 99, 0x02000000};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snp_forge_report_init(g_milan, 3, &r);
    r.version = bad[i];
    sign(g_milan, &r, rep);
    if (bad[i] < 3) /* the encoder writes no CPUID for v<3 */
      memset(rep + 0x188, 0, 3);
    expect(g_milan, rep, "unsupported_report_version");
  }
  uint32_t algos[] = {0, 2, 0x100};
  for (size_t i = 0; i < 3; i++) {
    snp_forge_report_init(g_milan, 5, &r);
    r.signature_algo = algos[i];
    sign(g_milan, &r, rep);
    expect(g_milan, rep, "unsupported_signature_algo");
  }
}

/* Set one byte in a signed range, re-sign, expect reserved_nonzero. */
static void reserved_signed(snp_forge *f, uint32_t version, size_t off, uint8_t v) {
  uint8_t rep[TC_SNP_REPORT_SIZE];
  make(f, version, rep);
  rep[off] = v;
  assert_int_equal(snp_forge_resign(f, rep), 0);
  expect(f, rep, "reserved_nonzero");
}

static void parse_reserved_ranges(void **state) {
  (void)state;
  /* 0x4C..0x4F, flags bits 31:5 */
  reserved_signed(g_milan, 3, 0x4C, 1);
  reserved_signed(g_milan, 3, 0x4F, 0x80);
  reserved_signed(g_milan, 3, 0x48, 0x20);
  reserved_signed(g_milan, 3, 0x4B, 0x80);
  /* CPUID area: all reserved in v2, after CPUID_STEP in v3/v5 */
  reserved_signed(g_milan, 2, 0x188, 0x19);
  reserved_signed(g_milan, 2, 0x19F, 1);
  reserved_signed(g_milan, 3, 0x18B, 1);
  reserved_signed(g_genoa, 5, 0x19F, 1);
  /* 0x1EB, 0x1EF */
  reserved_signed(g_milan, 3, 0x1EB, 1);
  reserved_signed(g_milan, 5, 0x1EF, 1);
  /* 0x1F8..0x29F for v2/v3 (mitigation vectors only in v5), 0x208..0x29F for v5 */
  reserved_signed(g_milan, 2, 0x1F8, 1);
  reserved_signed(g_milan, 3, 0x207, 1);
  reserved_signed(g_milan, 3, 0x29F, 1);
  reserved_signed(g_turin, 5, 0x208, 1);
  reserved_signed(g_turin, 5, 0x29F, 0x40);
  /* policy bits 63:26 */
  reserved_signed(g_milan, 3, 0x0B, 0x04 | 0x03); /* bit 26 plus bits 25:24 kept legal */
  reserved_signed(g_milan, 3, 0x0F, 0x80);        /* bit 63 */
}

static void parse_unsigned_area(void **state) {
  (void)state;
  size_t offs[] = {0x2A0 + 48, 0x2A0 + 71, 0x2E8 + 48, 0x2E8 + 71, 0x330, 0x400, 0x49F};
  for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
    uint8_t rep[TC_SNP_REPORT_SIZE];
    make(g_genoa, 3, rep);
    rep[offs[i]] = 0x01;
    expect(g_genoa, rep, "reserved_nonzero");
  }
}

static void parse_policy_vmpl_signing_key_product(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  tc_snp_report r;
  snp_forge_report_init(g_milan, 3, &r);
  r.policy = 0x10000; /* bit 17 clear */
  sign(g_milan, &r, rep);
  expect(g_milan, rep, "policy_reserved_one_clear");

  snp_forge_report_init(g_milan, 3, &r);
  r.vmpl = 4;
  sign(g_milan, &r, rep);
  expect(g_milan, rep, "vmpl_invalid");

  for (uint8_t k = 2; k <= 6; k++) {
    snp_forge_report_init(g_milan, 3, &r);
    r.signing_key = k;
    sign(g_milan, &r, rep);
    expect(g_milan, rep, "signing_key_invalid");
  }
  snp_forge_report_init(g_milan, 3, &r);
  r.signing_key = TC_SNP_SIGNING_KEY_NONE;
  sign(g_milan, &r, rep);
  expect(g_milan, rep, "report_unsigned");

  uint8_t fam_mod[][2] = {{0x17, 0x31}, {0x19, 0x21}, {0x1A, 0x20}, {0x00, 0x00}};
  for (size_t i = 0; i < 4; i++) {
    snp_forge_report_init(g_milan, 3, &r);
    r.cpuid_fam_id = fam_mod[i][0];
    r.cpuid_mod_id = fam_mod[i][1];
    sign(g_milan, &r, rep);
    expect(g_milan, rep, "unsupported_product");
  }
}

static void parse_every_field(void **state) {
  (void)state;
  /* Distinct values in every field, encoded by the forge, decoded by the parser. */
  tc_snp_report in, out;
  snp_forge_report_init(g_genoa, 5, &in);
  in.guest_svn = 0x01020304;
  in.policy = 0x0000000003ff1234ull | TC_SNP_POLICY_RESERVED_ONE;
  for (int i = 0; i < 16; i++)
    in.family_id[i] = (uint8_t)(0x10 + i), in.image_id[i] = (uint8_t)(0x20 + i);
  in.vmpl = 3;
  in.current_tcb = 0x0a0b00000000c0d0ull;
  in.platform_info = 0x1122334455667788ull;
  in.author_key_en = 1;
  in.mask_chip_key = 1;
  for (int i = 0; i < 64; i++)
    in.report_data[i] = (uint8_t)(i * 3);
  for (int i = 0; i < 48; i++) {
    in.measurement[i] = (uint8_t)(0x30 + i);
    in.id_key_digest[i] = (uint8_t)(0x60 + i);
    in.author_key_digest[i] = (uint8_t)(0x90 + i);
  }
  for (int i = 0; i < 32; i++) {
    in.host_data[i] = (uint8_t)(0xC0 + i);
    in.report_id[i] = (uint8_t)(0xE0 - i);
    in.report_id_ma[i] = (uint8_t)(0x50 + i);
  }
  in.cpuid_step = 0x02;
  in.committed_tcb = 0x1100000000000022ull;
  in.current_build = 7, in.current_minor = 8, in.current_major = 9;
  in.committed_build = 10, in.committed_minor = 11, in.committed_major = 12;
  in.launch_tcb = 0x3300000000000044ull;
  in.launch_mit_vector = 0x0102030405060708ull;
  in.current_mit_vector = 0x8070605040302010ull;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  sign(g_genoa, &in, rep);
  tc_error err;
  assert_int_equal(tc_snp_parse(rep, sizeof rep, &out, &err), TC_OK);
  assert_int_equal(out.version, 5);
  assert_int_equal(out.guest_svn, 0x01020304);
  assert_int_equal(out.policy, in.policy);
  assert_memory_equal(out.family_id, in.family_id, 16);
  assert_memory_equal(out.image_id, in.image_id, 16);
  assert_int_equal(out.vmpl, 3);
  assert_int_equal(out.signature_algo, 1);
  assert_int_equal(out.current_tcb, in.current_tcb);
  assert_int_equal(out.platform_info, in.platform_info);
  assert_int_equal(out.flags, 0x3); /* author_key_en | mask_chip_key | VCEK (0) << 2 */
  assert_int_equal(out.author_key_en, 1);
  assert_int_equal(out.mask_chip_key, 1);
  assert_int_equal(out.signing_key, 0);
  assert_memory_equal(out.report_data, in.report_data, 64);
  assert_memory_equal(out.measurement, in.measurement, 48);
  assert_memory_equal(out.host_data, in.host_data, 32);
  assert_memory_equal(out.id_key_digest, in.id_key_digest, 48);
  assert_memory_equal(out.author_key_digest, in.author_key_digest, 48);
  assert_memory_equal(out.report_id, in.report_id, 32);
  assert_memory_equal(out.report_id_ma, in.report_id_ma, 32);
  assert_int_equal(out.reported_tcb, in.reported_tcb);
  assert_int_equal(out.cpuid_fam_id, 0x19);
  assert_int_equal(out.cpuid_mod_id, 0x11);
  assert_int_equal(out.cpuid_step, 0x02);
  assert_int_equal(out.product_from_report, TC_SNP_GENOA);
  assert_memory_equal(out.chip_id, in.chip_id, 64);
  assert_int_equal(out.committed_tcb, in.committed_tcb);
  assert_int_equal(out.current_build, 7);
  assert_int_equal(out.current_minor, 8);
  assert_int_equal(out.current_major, 9);
  assert_int_equal(out.committed_build, 10);
  assert_int_equal(out.committed_minor, 11);
  assert_int_equal(out.committed_major, 12);
  assert_int_equal(out.launch_tcb, in.launch_tcb);
  assert_int_equal(out.launch_mit_vector, in.launch_mit_vector);
  assert_int_equal(out.current_mit_vector, in.current_mit_vector);
  /* R and S: little-endian in the report, big-endian in the struct. */
  for (int i = 0; i < 48; i++) {
    assert_int_equal(out.signature_r[i], rep[0x2A0 + 47 - i]);
    assert_int_equal(out.signature_s[i], rep[0x2E8 + 47 - i]);
  }
}

static void product_and_tcb_helpers(void **state) {
  (void)state;
  assert_int_equal(tc_snp_product_from_cpuid(0x19, 0x01), TC_SNP_MILAN);
  assert_int_equal(tc_snp_product_from_cpuid(0x19, 0x11), TC_SNP_GENOA);
  assert_int_equal(tc_snp_product_from_cpuid(0x19, 0xA0), TC_SNP_GENOA);
  assert_int_equal(tc_snp_product_from_cpuid(0x1A, 0x02), TC_SNP_TURIN);
  assert_int_equal(tc_snp_product_from_cpuid(0x19, 0x21), TC_SNP_PRODUCT_UNKNOWN);
  assert_int_equal(tc_snp_product_from_cpuid(0x17, 0x01), TC_SNP_PRODUCT_UNKNOWN);
  assert_int_equal(tc_snp_product_from_name("Milan-B0"), TC_SNP_MILAN);
  assert_int_equal(tc_snp_product_from_name("SEV-VLEK-Genoa"), TC_SNP_GENOA);
  assert_int_equal(tc_snp_product_from_name("ARK-Turin"), TC_SNP_TURIN);
  assert_int_equal(tc_snp_product_from_name("Naples"), TC_SNP_PRODUCT_UNKNOWN);
  assert_int_equal(tc_snp_product_from_name("MilanX"), TC_SNP_PRODUCT_UNKNOWN);
  assert_int_equal(tc_snp_product_parse("Milan"), TC_SNP_MILAN);
  assert_int_equal(tc_snp_product_parse("genoa"), TC_SNP_GENOA);
  assert_int_equal(tc_snp_product_parse("TURIN"), TC_SNP_TURIN);
  assert_int_equal(tc_snp_product_parse("Milan-B0"), TC_SNP_PRODUCT_UNKNOWN);
  assert_int_equal(tc_snp_product_parse("ARK-Milan"), TC_SNP_PRODUCT_UNKNOWN);
  assert_int_equal(tc_snp_product_parse(""), TC_SNP_PRODUCT_UNKNOWN);
  assert_int_equal(tc_snp_product_parse(NULL), TC_SNP_PRODUCT_UNKNOWN);
  assert_string_equal(tc_snp_product_name(TC_SNP_MILAN), "Milan");
  assert_string_equal(tc_snp_product_name(TC_SNP_GENOA), "Genoa");
  assert_string_equal(tc_snp_product_name(TC_SNP_TURIN), "Turin");
  tc_snp_tcb t;
  /* The vectors' README: Milan/Genoa byte0 bl, byte1 tee, byte6 snp, byte7 ucode. */
  tc_snp_tcb_decode(0xce08000000000003ull, TC_SNP_TCB_MILAN_GENOA, &t);
  assert_int_equal(t.bootloader, 3);
  assert_int_equal(t.tee, 0);
  assert_int_equal(t.snp, 8);
  assert_int_equal(t.microcode, 206);
  assert_int_equal(t.reserved_nonzero, 0);
  tc_snp_tcb_decode(0x4700000002000100ull, TC_SNP_TCB_TURIN, &t);
  assert_int_equal(t.fmc, 0);
  assert_int_equal(t.bootloader, 1);
  assert_int_equal(t.tee, 0);
  assert_int_equal(t.snp, 2);
  assert_int_equal(t.microcode, 71);
  tc_snp_tcb_decode(0x4700010002000100ull, TC_SNP_TCB_TURIN, &t);
  assert_int_equal(t.reserved_nonzero, 1);
  tc_snp_tcb_decode(0x0000000100000000ull, TC_SNP_TCB_MILAN_GENOA, &t);
  assert_int_equal(t.reserved_nonzero, 1);
}

/* ---------- verify: collateral and chain ---------- */

static void collateral_missing_and_unparsable(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  make(g_milan, 3, rep);
  tc_collateral col;
  expect_col(rep, sizeof rep, NULL, at_default(), "collateral_missing");
  snp_forge_collateral(g_milan, &col);
  col.ark.data = NULL;
  expect_col(rep, sizeof rep, &col, at_default(), "collateral_missing");
  snp_forge_collateral(g_milan, &col);
  col.ask.data = NULL;
  expect_col(rep, sizeof rep, &col, at_default(), "collateral_missing");
  snp_forge_collateral(g_milan, &col);
  col.vcek.data = NULL;
  expect_col(rep, sizeof rep, &col, at_default(), "collateral_missing");
  uint8_t junk[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  snp_forge_collateral(g_milan, &col);
  col.ask.data = junk;
  col.ask.len = sizeof junk - 1;
  expect_col(rep, sizeof rep, &col, at_default(), "cert_unparsable");
  snp_forge_collateral(g_milan, &col);
  col.vcek.data = junk + 5;
  col.vcek.len = 10;
  expect_col(rep, sizeof rep, &col, at_default(), "cert_unparsable");
  /* A good VCEK beside an unparsable VLEK, for a VLEK report (no leak under ASan). */
  make(g_milan_vlek, 3, rep);
  snp_forge_collateral(g_milan_vlek, &col);
  col.vcek = *snp_forge_leaf_der(g_milan);
  col.vlek.data = junk;
  col.vlek.len = sizeof junk - 1;
  expect_col(rep, sizeof rep, &col, at_default(), "cert_unparsable");
  /* An unparsable extra certificate. */
  snp_forge_collateral(g_milan_vlek, &col);
  tc_buf extra = {junk, sizeof junk - 1};
  col.extra_certs = &extra;
  col.n_extra_certs = 1;
  expect_col(rep, sizeof rep, &col, at_default(), "cert_unparsable");
  /* An unparsable operator trust root (the test ARK is not pinned, so roots are read). */
  snp_forge_collateral(g_milan_vlek, &col);
  col.trust_roots = &extra;
  expect_col(rep, sizeof rep, &col, at_default(), "cert_unparsable");
}

static void signing_key_mismatch(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  tc_snp_report r;
  /* Report says VLEK; the collateral holds a VCEK. */
  snp_forge_report_init(g_milan, 3, &r);
  r.signing_key = TC_SNP_SIGNING_KEY_VLEK;
  sign(g_milan, &r, rep);
  expect(g_milan, rep, "signing_key_mismatch");
  /* Report says VCEK; the collateral holds a VLEK (in the vcek slot even). */
  snp_forge_report_init(g_milan_vlek, 3, &r);
  r.signing_key = TC_SNP_SIGNING_KEY_VCEK;
  sign(g_milan_vlek, &r, rep);
  expect(g_milan_vlek, rep, "signing_key_mismatch");
  tc_collateral col;
  snp_forge_collateral(g_milan_vlek, &col);
  col.vcek = col.vlek;
  col.vlek.data = NULL;
  expect_col(rep, sizeof rep, &col, at_default(), "signing_key_mismatch");
  /* A cached VCEK chain given a VLEK report. */
  make(g_milan_vlek, 3, rep);
  snp_forge_collateral(g_milan, &col);
  tc_snp_chain *ch = NULL;
  tc_error err;
  assert_int_equal(tc_snp_chain_verify(&col, 0, at_default(), &ch, &err), TC_OK);
  assert_int_equal(tc_snp_verify_with_chain(rep, sizeof rep, ch, NULL, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "signing_key_mismatch");
  tc_snp_chain_free(ch);
}

static void ark_not_trusted(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  make(g_milan, 3, rep);
  tc_collateral col;
  snp_forge_collateral(g_milan, &col);
  col.n_trust_roots = 0; /* a test ARK is not AMD's pinned ARK */
  expect_col(rep, sizeof rep, &col, at_default(), "ark_not_trusted");
  /* trusting another hierarchy's root does not help */
  col.trust_roots = (tc_buf *)snp_forge_ark_pem(g_other);
  col.n_trust_roots = 1;
  expect_col(rep, sizeof rep, &col, at_default(), "ark_not_trusted");
  snp_forge *f = forge(TC_SNP_MILAN, 0, SNP_BREAK_ARK_NOT_SELF_SIGNED);
  make(f, 3, rep);
  expect(f, rep, "ark_not_trusted");
  snp_forge_free(f);
}

static void chain_invalid(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  snp_forge_break b[] = {SNP_BREAK_ASK_WRONG_SIGNER, SNP_BREAK_LEAF_WRONG_SIGNER,
                         SNP_BREAK_LEAF_RSA_KEY,     SNP_BREAK_ASK_PKCS1,
                         SNP_BREAK_LEAF_SHA256,      SNP_BREAK_ASK_NOT_CA,
                         SNP_BREAK_ARK_PATHLEN0};
  for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) {
    snp_forge *f = forge(TC_SNP_GENOA, 0, b[i]);
    make(f, 3, rep);
    expect(f, rep, "cert_chain_invalid");
    snp_forge_free(f);
  }
  /* VLEK presented with an ASK, VCEK presented with an ASVK. */
  tc_collateral col;
  make(g_milan_vlek, 3, rep);
  snp_forge_collateral(g_milan_vlek, &col);
  col.ask = *snp_forge_ask_pem(g_milan);
  expect_col(rep, sizeof rep, &col, at_default(), "cert_chain_invalid");
  make(g_milan, 3, rep);
  snp_forge_collateral(g_milan, &col);
  col.ask = *snp_forge_ask_pem(g_milan_vlek);
  expect_col(rep, sizeof rep, &col, at_default(), "cert_chain_invalid");
  /* Leaf of another hierarchy (same names, other keys), and its ASK. */
  snp_forge_collateral(g_milan, &col);
  col.vcek = *snp_forge_leaf_der(g_other);
  make(g_other, 3, rep);
  expect_col(rep, sizeof rep, &col, at_default(), "cert_chain_invalid");
  snp_forge_collateral(g_milan, &col);
  col.ask = *snp_forge_ask_pem(g_other);
  make(g_milan, 3, rep);
  expect_col(rep, sizeof rep, &col, at_default(), "cert_chain_invalid");
}

static void expired_each_cert(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  for (int which = 0; which < 3; which++) {
    for (int before = 0; before < 2; before++) {
      snp_forge_opts o;
      snp_forge_opts_init(&o, TC_SNP_MILAN, 0);
      o.reuse_keys = g_milan;
      if (before) /* not yet valid */
        o.not_before[which] = at_default() + 1;
      else /* expired one second before `at` */
        o.not_after[which] = at_default() - 1;
      snp_forge *f = snp_forge_new(&o);
      assert_non_null(f);
      make(f, 3, rep);
      expect(f, rep, "cert_expired_at_verify_at");
      snp_forge_free(f);
    }
  }
  /* Exactly at the window's ends: valid. */
  snp_forge_opts o;
  snp_forge_opts_init(&o, TC_SNP_MILAN, 0);
  o.reuse_keys = g_milan;
  o.not_before[2] = at_default();
  o.not_after[1] = at_default();
  snp_forge *f = snp_forge_new(&o);
  make(f, 3, rep);
  expect(f, rep, NULL);
  snp_forge_free(f);
}

static void crl_paths(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  make(g_genoa, 3, rep);
  tc_collateral col;
  snp_forge_collateral(g_genoa, &col);
  int64_t at = at_default();
  tc_buf crl;
  assert_int_equal(snp_forge_crl(g_genoa, 0, at - 3600, at + 3600, &crl), 0);
  col.amd_crl = crl;
  expect_col(rep, sizeof rep, &col, at, NULL);
  tc_buf_free(&crl);
  assert_int_equal(snp_forge_crl(g_genoa, SNP_FORGE_REVOKE_ASK, at - 3600, at + 3600, &crl), 0);
  col.amd_crl = crl;
  expect_col(rep, sizeof rep, &col, at, "cert_revoked");
  tc_buf_free(&crl);
  /* Serial 0 in the ARK's CRL names an ARK-issued certificate, not the ASK-issued VCEK. */
  assert_int_equal(snp_forge_crl(g_genoa, SNP_FORGE_REVOKE_SERIAL0, at - 3600, at + 3600, &crl), 0);
  col.amd_crl = crl;
  expect_col(rep, sizeof rep, &col, at, NULL);
  tc_buf_free(&crl);
  assert_int_equal(snp_forge_crl(g_genoa, 0, at - 7200, at - 3600, &crl), 0);
  col.amd_crl = crl;
  expect_col(rep, sizeof rep, &col, at, "crl_expired");
  tc_buf_free(&crl);
  /* Signed by another key (g_other's ARK, issuer "ARK-Milan"), and with that key under
   * the right issuer name. */
  assert_int_equal(snp_forge_crl(g_other, 0, at - 3600, at + 3600, &crl), 0);
  col.amd_crl = crl;
  expect_col(rep, sizeof rep, &col, at, "crl_invalid");
  make(g_milan, 3, rep);
  snp_forge_collateral(g_milan, &col);
  col.amd_crl = crl;
  expect_col(rep, sizeof rep, &col, at, "crl_invalid");
  tc_buf_free(&crl);
  uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};
  col.amd_crl.data = junk;
  col.amd_crl.len = sizeof junk;
  expect_col(rep, sizeof rep, &col, at, "crl_unparsable");
}

static void product_mismatch(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  snp_forge_break b[] = {SNP_BREAK_LEAF_PRODUCT, SNP_BREAK_ASK_PRODUCT};
  for (size_t i = 0; i < 2; i++) {
    snp_forge *f = forge(TC_SNP_MILAN, 0, b[i]);
    make(f, 2, rep);
    expect(f, rep, "product_mismatch");
    snp_forge_free(f);
  }
  /* Report CPUID says Genoa, the chain is Milan. */
  tc_snp_report r;
  snp_forge_report_init(g_milan, 3, &r);
  r.cpuid_mod_id = 0x11;
  sign(g_milan, &r, rep);
  expect(g_milan, rep, "product_mismatch");
  snp_forge_report_init(g_turin, 5, &r);
  r.cpuid_fam_id = 0x19;
  r.cpuid_mod_id = 0x01;
  sign(g_turin, &r, rep);
  expect(g_turin, rep, "product_mismatch");
}

/* ---------- verify: binding of the leaf to the report ---------- */

static void extension_invalid(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  snp_forge_break b[] = {SNP_BREAK_LEAF_NO_HWID, SNP_BREAK_LEAF_NO_SPL,
                         SNP_BREAK_LEAF_HWID_WRAPPED};
  for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) {
    snp_forge *f = forge(TC_SNP_MILAN, 0, b[i]);
    make(f, 3, rep);
    expect(f, rep, "vcek_extension_invalid");
    snp_forge_free(f);
    f = forge(TC_SNP_TURIN, 0, b[i]);
    make(f, 5, rep);
    expect(f, rep, "vcek_extension_invalid");
    snp_forge_free(f);
  }
}

static void chip_mismatch(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  snp_forge *f = forge(TC_SNP_GENOA, 0, SNP_BREAK_LEAF_HWID);
  make(f, 3, rep);
  expect(f, rep, "vcek_chip_mismatch");
  snp_forge_free(f);
  f = forge(TC_SNP_TURIN, 0, SNP_BREAK_LEAF_HWID);
  make(f, 5, rep);
  expect(f, rep, "vcek_chip_mismatch");
  snp_forge_free(f);
  tc_snp_report r;
  /* Turin: hwID is chip_id[0..7]; the rest of CHIP_ID must be zero. */
  snp_forge_report_init(g_turin, 5, &r);
  r.chip_id[8] = 1;
  sign(g_turin, &r, rep);
  expect(g_turin, rep, "vcek_chip_mismatch");
  snp_forge_report_init(g_turin, 5, &r);
  r.chip_id[63] = 0x80;
  sign(g_turin, &r, rep);
  expect(g_turin, rep, "vcek_chip_mismatch");
  /* A masked CHIP_ID (all zeros: MASK_CHIP_ID, or the host) cannot be bound to a VCEK: it is
   * refused as what it is, not as another chip (issue 13 item 2), on every product line. */
  snp_forge *masked[] = {g_milan, g_genoa, g_turin};
  for (size_t i = 0; i < 3; i++) {
    snp_forge_report_init(masked[i], 3, &r);
    r.mask_chip_key = 1;
    memset(r.chip_id, 0, 64);
    sign(masked[i], &r, rep);
    expect(masked[i], rep, "chip_id_masked");
  }
  snp_forge_report_init(g_milan, 5, &r);
  memset(r.chip_id, 0, 64); /* masked by the host, MASK_CHIP_KEY clear */
  sign(g_milan, &r, rep);
  expect(g_milan, rep, "chip_id_masked");
  /* The claim says whether CHIP_ID is masked. */
  tc_snp_report parsed;
  tc_error err;
  assert_int_equal(tc_snp_parse(rep, sizeof rep, &parsed, &err), TC_OK);
  json_t *claims = tc_snp_claims(&parsed, TC_SNP_MILAN);
  assert_true(json_is_true(json_object_get(claims, "chip_id_masked")));
  json_decref(claims);
  make(g_milan, 5, rep);
  assert_int_equal(tc_snp_parse(rep, sizeof rep, &parsed, &err), TC_OK);
  claims = tc_snp_claims(&parsed, TC_SNP_MILAN);
  assert_true(json_is_false(json_object_get(claims, "chip_id_masked")));
  json_decref(claims);
  /* VLEK: chip_id is not checked (zero, or anything). */
  snp_forge_report_init(g_milan_vlek, 3, &r);
  memset(r.chip_id, 0x5a, 64);
  sign(g_milan_vlek, &r, rep);
  expect(g_milan_vlek, rep, NULL);
}

/* Version 4 reports have the version 3 layout: CPUID fields, no mitigation vectors (their
 * bytes stay reserved); the TCB layout comes from CPUID, not from the version. */
static void version4_like_3(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  tc_snp_report r, parsed;
  tc_error err;
  make(g_turin, 4, rep);
  assert_int_equal(tc_snp_parse(rep, sizeof rep, &parsed, &err), TC_OK);
  assert_int_equal(parsed.version, 4);
  assert_int_equal(parsed.product_from_report, TC_SNP_TURIN);
  json_t *claims = tc_snp_claims(&parsed, TC_SNP_TURIN);
  assert_string_equal(json_string_value(json_object_get(claims, "cpuid_fam_id")), "0x1a");
  assert_null(json_object_get(claims, "launch_mit_vector"));
  assert_null(json_object_get(claims, "current_mit_vector"));
  json_decref(claims);
  /* LAUNCH_MIT_VECTOR's bytes (0x1F8) are reserved in a version 4 report. */
  reserved_signed(g_milan, 4, 0x1F8, 1);
  reserved_signed(g_genoa, 4, 0x207, 1);
  /* The Turin TCB layout (FMC in byte 0) applies to a version 4 Turin report: an FMC SPL
   * the VCEK does not carry is a TCB mismatch. */
  snp_forge_report_init(g_turin, 4, &r);
  r.reported_tcb += 1;
  r.current_tcb = r.reported_tcb;
  sign(g_turin, &r, rep);
  expect(g_turin, rep, "tcb_mismatch");
}

/* Every SPL of every TCB_VERSION layout (AMD SEV-SNP Firmware ABI spec, TCB_VERSION):
 * Milan/Genoa byte 0 boot loader, 1 TEE, 6 SNP, 7 microcode; Turin byte 0 FMC, 1 boot
 * loader, 2 TEE, 3 SNP, 7 microcode. For each, a report whose TCB at `field` (an offset
 * into tc_snp_report) is CURRENT_TCB with that one SPL raised (delta +1) or lowered (-1)
 * must be refused with `reason`, the detail naming the SPL and `where`. */
static void expect_each_spl(size_t field, int delta, const char *reason, const char *where) {
  uint8_t rep[TC_SNP_REPORT_SIZE];
  tc_snp_report r;
  const struct {
    snp_forge **f;
    int byte;
    const char *spl;
  } spls[] = {{&g_milan, 0, "BOOT_LOADER"}, {&g_milan, 1, "TEE"}, {&g_milan, 6, "SNP"},
              {&g_milan, 7, "MICROCODE"},   {&g_genoa, 6, "SNP"}, {&g_turin, 0, "FMC"},
              {&g_turin, 1, "BOOT_LOADER"}, {&g_turin, 2, "TEE"}, {&g_turin, 3, "SNP"},
              {&g_turin, 7, "MICROCODE"}};
  for (size_t i = 0; i < sizeof spls / sizeof spls[0]; i++) {
    snp_forge *f = *spls[i].f;
    snp_forge_report_init(f, 5, &r);
    uint64_t bit = 1ull << (8 * spls[i].byte);
    uint64_t *tcb = (uint64_t *)((char *)&r + field);
    *tcb = delta > 0 ? r.current_tcb + bit : r.current_tcb - bit;
    sign(f, &r, rep);
    expect(f, rep, reason);
    tc_collateral col;
    snp_forge_collateral(f, &col);
    tc_error err;
    assert_int_equal(tc_snp_verify(rep, sizeof rep, &col, at_default(), NULL, &err), TC_ERR_VERIFY);
    assert_non_null(strstr(err.detail, spls[i].spl));
    assert_non_null(strstr(err.detail, where));
  }
}

/* Each SPL of REPORTED_TCB must be <= the same SPL of CURRENT_TCB (the host may report an
 * older TCB than the firmware runs, never a newer one), per component of the product
 * line's layout (issue 13 item 3): CURRENT_TCB one lower than REPORTED_TCB in one SPL. */
static void reported_tcb_above_current(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  tc_snp_report r;
  expect_each_spl(offsetof(tc_snp_report, current_tcb), -1, "reported_tcb_above_current",
                  "REPORTED_TCB (offset 0x180)");
  /* A CURRENT_TCB newer in every SPL (the host reports an older TCB): valid. */
  snp_forge_report_init(g_milan, 3, &r);
  r.current_tcb = r.reported_tcb + (1ull | 1ull << 8 | 1ull << 48 | 1ull << 56);
  sign(g_milan, &r, rep);
  expect(g_milan, rep, NULL);
  snp_forge_report_init(g_turin, 5, &r);
  r.current_tcb = r.reported_tcb + (1ull | 1ull << 8 | 1ull << 16 | 1ull << 24 | 1ull << 56);
  sign(g_turin, &r, rep);
  expect(g_turin, rep, NULL);
}

/* COMMITTED_TCB (0x1E0) is the TCB the firmware was committed at (SNP_COMMIT): it cannot run
 * below it, so each SPL of COMMITTED_TCB must be <= the same SPL of CURRENT_TCB. A
 * committed TCB below the current one (provisional firmware) is valid, and so is a
 * REPORTED_TCB below or above COMMITTED_TCB as long as it is <= CURRENT_TCB (SNP_CONFIG
 * may set it so; the real vector milan-v3-vlek-aws-trustee reports below its committed TCB). */
static void committed_tcb_above_current(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  tc_snp_report r;
  expect_each_spl(offsetof(tc_snp_report, committed_tcb), +1, "committed_tcb_above_current",
                  "COMMITTED_TCB (offset 0x1E0)");
  /* Provisional firmware: CURRENT_TCB above COMMITTED_TCB in every SPL, REPORTED_TCB at the
   * current level (above the committed one): valid. */
  snp_forge_report_init(g_milan, 3, &r);
  r.committed_tcb = r.reported_tcb - (1ull | 1ull << 8 | 1ull << 48 | 1ull << 56);
  sign(g_milan, &r, rep);
  expect(g_milan, rep, NULL);
  snp_forge_report_init(g_turin, 5, &r);
  r.committed_tcb = r.reported_tcb - (1ull | 1ull << 8 | 1ull << 16 | 1ull << 24 | 1ull << 56);
  r.launch_tcb = r.committed_tcb; /* LAUNCH_TCB is not compared with anything */
  sign(g_turin, &r, rep);
  expect(g_turin, rep, NULL);
  /* REPORTED_TCB below COMMITTED_TCB (the host reports an older TCB): valid too. */
  snp_forge_report_init(g_milan, 5, &r);
  r.committed_tcb = r.current_tcb = r.reported_tcb + (1ull << 56);
  sign(g_milan, &r, rep);
  expect(g_milan, rep, NULL);
}

static void tcb_mismatch(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  snp_forge_break b[] = {SNP_BREAK_LEAF_BLSPL, SNP_BREAK_LEAF_SNPSPL, SNP_BREAK_LEAF_UCODESPL,
                         SNP_BREAK_LEAF_TEESPL};
  tc_snp_product prods[] = {TC_SNP_MILAN, TC_SNP_TURIN};
  for (size_t p = 0; p < 2; p++)
    for (size_t i = 0; i < 4; i++) {
      snp_forge *f = forge(prods[p], 0, b[i]);
      make(f, 5, rep);
      expect(f, rep, "tcb_mismatch");
      snp_forge_free(f);
    }
  snp_forge *f = forge(TC_SNP_TURIN, 0, SNP_BREAK_LEAF_FMCSPL);
  make(f, 5, rep);
  expect(f, rep, "tcb_mismatch");
  snp_forge_free(f);
  f = forge(TC_SNP_MILAN, 1, SNP_BREAK_LEAF_SNPSPL);
  make(f, 3, rep);
  expect(f, rep, "tcb_mismatch");
  snp_forge_free(f);
  /* The report's REPORTED_TCB changed instead (signature still valid). */
  tc_snp_report r;
  snp_forge_report_init(g_genoa, 3, &r);
  r.reported_tcb += 1;            /* bootloader + 1 */
  r.current_tcb = r.reported_tcb; /* (not above CURRENT_TCB) */
  sign(g_genoa, &r, rep);
  expect(g_genoa, rep, "tcb_mismatch");
  /* CURRENT_TCB may differ from REPORTED_TCB: that is not a mismatch. */
  snp_forge_report_init(g_genoa, 3, &r);
  r.current_tcb += 1;
  sign(g_genoa, &r, rep);
  expect(g_genoa, rep, NULL);
}

static void tcb_reserved_bytes(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  /* Milan/Genoa bytes 2..5 reserved; Turin bytes 4..6. At each TCB field. */
  size_t offs[] = {0x038, 0x180, 0x1E0, 0x1F0};
  for (size_t i = 0; i < 4; i++) {
    make(g_milan, 3, rep);
    rep[offs[i] + 3] = 1;
    assert_int_equal(snp_forge_resign(g_milan, rep), 0);
    expect(g_milan, rep, "reserved_nonzero");
    make(g_turin, 5, rep);
    rep[offs[i] + 5] = 1;
    assert_int_equal(snp_forge_resign(g_turin, rep), 0);
    expect(g_turin, rep, "reserved_nonzero");
  }
  /* v2 on Turin (layout from the chain): byte 6 is reserved there, SNP on Milan. */
  make(g_turin, 2, rep);
  rep[0x38 + 6] = 1;
  assert_int_equal(snp_forge_resign(g_turin, rep), 0);
  expect(g_turin, rep, "reserved_nonzero");
}

static void signature_invalid(void **state) {
  (void)state;
  uint8_t rep[TC_SNP_REPORT_SIZE];
  snp_forge *f = forge(TC_SNP_MILAN, 0, SNP_BREAK_REPORT_KEY);
  make(f, 3, rep);
  expect(f, rep, "report_signature_invalid");
  snp_forge_free(f);
  f = forge(TC_SNP_MILAN, 1, SNP_BREAK_REPORT_KEY);
  make(f, 3, rep);
  expect(f, rep, "report_signature_invalid");
  snp_forge_free(f);
  make(g_turin, 5, rep);
  rep[0x50] ^= 0x80; /* report_data, not re-signed */
  expect(g_turin, rep, "report_signature_invalid");
  make(g_turin, 5, rep);
  memset(rep + 0x2A0, 0, 48); /* R = 0 */
  expect(g_turin, rep, "report_signature_invalid");
  make(g_turin, 5, rep);
  memset(rep + 0x2E8, 0xff, 48); /* S >= n */
  expect(g_turin, rep, "report_signature_invalid");
}

/* ---------- a warm chain cache: what depends on the time, the CRL and the trust roots is
 * checked again for every report ---------- */

static void cache_counts(tc_snp_chain_cache *cc, uint64_t hits, uint64_t misses, size_t entries) {
  uint64_t h, m;
  size_t n;
  tc_snp_chain_cache_counts(cc, &h, &m, &n);
  assert_int_equal(h, hits);
  assert_int_equal(m, misses);
  assert_int_equal(n, entries);
}

static tc_status warm(tc_snp_chain_cache *cc, const uint8_t *rep, const tc_collateral *col,
                      int64_t at, tc_error *err) {
  return tc_snp_verify_cached(rep, TC_SNP_REPORT_SIZE, col, at, cc, NULL, err);
}

static tc_snp_chain_cache *new_cache(void) {
  tc_snp_chain_cache *cc = NULL;
  assert_int_equal(tc_snp_chain_cache_new(8, &cc, NULL), TC_OK);
  return cc;
}

static void cache_rechecks_time_and_trust(void **state) {
  (void)state;
  tc_snp_chain_cache *cc = new_cache();
  uint8_t rep[TC_SNP_REPORT_SIZE];
  make(g_milan, 3, rep);
  tc_collateral col;
  snp_forge_collateral(g_milan, &col);
  tc_error err;
  int64_t at = at_default();
  assert_int_equal(warm(cc, rep, &col, at, &err), TC_OK);
  cache_counts(cc, 0, 1, 1);
  assert_int_equal(warm(cc, rep, &col, at, &err), TC_OK);
  cache_counts(cc, 1, 1, 1);
  /* the cached chain after the certificates' windows (the forge's: 2020..2040) and
   * before them: refused as cold */
  assert_int_equal(warm(cc, rep, &col, at + 20 * 366 * 86400LL, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "cert_expired_at_verify_at");
  assert_int_equal(warm(cc, rep, &col, 0, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "cert_expired_at_verify_at");
  /* the operator root (the forge's ARK) no longer trusted, or another one instead */
  col.n_trust_roots = 0;
  assert_int_equal(warm(cc, rep, &col, at, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "ark_not_trusted");
  col.trust_roots = (tc_buf *)snp_forge_ark_pem(g_other);
  col.n_trust_roots = 1;
  assert_int_equal(warm(cc, rep, &col, at, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "ark_not_trusted");
  cache_counts(cc, 5, 1, 1); /* all of them on the cached chain */
  /* and back: valid again */
  snp_forge_collateral(g_milan, &col);
  assert_int_equal(warm(cc, rep, &col, at, &err), TC_OK);
  /* a slot present but empty is not the slot absent: another key, verified in full */
  uint8_t none = 0;
  col.vlek.data = &none;
  col.vlek.len = 0;
  assert_int_equal(warm(cc, rep, &col, at, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "cert_unparsable");
  cache_counts(cc, 6, 2, 1);
  /* a report with a broken signature on the cached chain */
  rep[0x90] ^= 1; /* MEASUREMENT */
  snp_forge_collateral(g_milan, &col);
  assert_int_equal(warm(cc, rep, &col, at, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "report_signature_invalid");
  cache_counts(cc, 7, 2, 1);
  tc_snp_chain_cache_free(cc);
}

static void cache_rechecks_crl(void **state) {
  (void)state;
  tc_snp_chain_cache *cc = new_cache();
  uint8_t rep[TC_SNP_REPORT_SIZE];
  make(g_genoa, 3, rep);
  tc_collateral col;
  snp_forge_collateral(g_genoa, &col);
  int64_t at = at_default();
  tc_error err;
  tc_buf good, revoking;
  assert_int_equal(snp_forge_crl(g_genoa, 0, at - 3600, at + 3600, &good), 0);
  assert_int_equal(snp_forge_crl(g_genoa, SNP_FORGE_REVOKE_ASK, at - 3600, at + 3600, &revoking),
                   0);
  col.amd_crl = good;
  assert_int_equal(warm(cc, rep, &col, at, &err), TC_OK);
  assert_int_equal(warm(cc, rep, &col, at, &err), TC_OK);
  cache_counts(cc, 1, 1, 1);
  /* the CRL's window is checked for each report on the cached chain */
  assert_int_equal(warm(cc, rep, &col, at + 3601, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "crl_expired");
  assert_int_equal(warm(cc, rep, &col, at - 3601, &err), TC_ERR_VERIFY);
  assert_string_equal(err.reason, "crl_expired");
  cache_counts(cc, 3, 1, 1);
  /* a new CRL that revokes the ASK: other bytes, verified in full, refused, not kept */
  col.amd_crl = revoking;
  for (int k = 0; k < 2; k++) {
    assert_int_equal(warm(cc, rep, &col, at, &err), TC_ERR_VERIFY);
    assert_string_equal(err.reason, "cert_revoked");
  }
  cache_counts(cc, 3, 3, 1);
  /* the CRL left out: another key too (a chain checked against a CRL is not a chain
   * checked without one, nor the reverse) */
  col.amd_crl = (tc_buf){0};
  assert_int_equal(warm(cc, rep, &col, at, &err), TC_OK);
  cache_counts(cc, 3, 4, 2);
  tc_buf_free(&good);
  tc_buf_free(&revoking);
  tc_snp_chain_cache_free(cc);
}

/* Chains of two leaves, many reports each, in turns: each chain verified once. */
static void cache_two_chains(void **state) {
  (void)state;
  tc_snp_chain_cache *cc = new_cache();
  uint8_t a[TC_SNP_REPORT_SIZE], b[TC_SNP_REPORT_SIZE];
  tc_collateral ca, cb;
  snp_forge_collateral(g_milan, &ca);
  snp_forge_collateral(g_milan_vlek, &cb);
  tc_error err;
  for (uint32_t i = 0; i < 5; i++) {
    tc_snp_report r;
    snp_forge_report_init(g_milan, 3, &r);
    r.guest_svn = i;
    sign(g_milan, &r, a);
    snp_forge_report_init(g_milan_vlek, 3, &r);
    r.guest_svn = i;
    sign(g_milan_vlek, &r, b);
    assert_int_equal(warm(cc, a, &ca, at_default(), &err), TC_OK);
    assert_int_equal(warm(cc, b, &cb, at_default(), &err), TC_OK);
    /* crossed: the VLEK report with the VCEK chain (another key: the leaf kind) */
    assert_int_equal(warm(cc, b, &ca, at_default(), &err), TC_ERR_VERIFY);
    assert_string_equal(err.reason, "signing_key_mismatch");
  }
  cache_counts(cc, 8, 7, 2);
  tc_snp_chain_cache_free(cc);
}

/* Threads sharing one chain cache smaller than the chains in use (evictions while other
 * threads hold them), each verifying good reports, a tampered one and one at a time after
 * the certificates' windows, for a bounded time: every answer is the cold one. */
struct cache_worker {
  tc_snp_chain_cache *cc;
  const uint8_t *good[3], *tampered;
  tc_collateral col[3];
  struct timespec until;
  long ops, wrong;
};

static void *cache_work(void *arg) {
  struct cache_worker *w = arg;
  tc_error err;
  for (long i = 0;; i++) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > w->until.tv_sec ||
        (now.tv_sec == w->until.tv_sec && now.tv_nsec >= w->until.tv_nsec))
      break;
    int k = (int)(i % 3);
    if (warm(w->cc, w->good[k], &w->col[k], at_default(), &err) != TC_OK)
      w->wrong++;
    if (warm(w->cc, w->tampered, &w->col[0], at_default(), &err) != TC_ERR_VERIFY ||
        strcmp(err.reason, "report_signature_invalid") != 0)
      w->wrong++;
    if (warm(w->cc, w->good[k], &w->col[k], at_default() + 20 * 366 * 86400LL, &err) !=
            TC_ERR_VERIFY ||
        strcmp(err.reason, "cert_expired_at_verify_at") != 0)
      w->wrong++;
    w->ops += 3;
  }
  return NULL;
}

static void cache_shared_by_threads(void **state) {
  (void)state;
  tc_snp_chain_cache *cc = NULL;
  assert_int_equal(tc_snp_chain_cache_new(2, &cc, NULL), TC_OK);
  static uint8_t reps[3][TC_SNP_REPORT_SIZE], bad[TC_SNP_REPORT_SIZE];
  const snp_forge *f[3] = {g_milan, g_genoa, g_milan_vlek};
  struct cache_worker w[4];
  pthread_t t[4];
  for (int k = 0; k < 3; k++)
    make(f[k], 3, reps[k]);
  memcpy(bad, reps[0], sizeof bad);
  bad[0x50] ^= 0x80; /* REPORT_DATA */
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += 1;
  for (int i = 0; i < 4; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].cc = cc;
    w[i].tampered = bad;
    w[i].until = until;
    for (int k = 0; k < 3; k++) {
      w[i].good[k] = reps[k];
      snp_forge_collateral(f[k], &w[i].col[k]);
    }
    assert_int_equal(pthread_create(&t[i], NULL, cache_work, &w[i]), 0);
  }
  for (int i = 0; i < 4; i++) {
    assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(w[i].wrong, 0);
    assert_true(w[i].ops > 0);
  }
  uint64_t hits, misses;
  size_t entries;
  tc_snp_chain_cache_counts(cc, &hits, &misses, &entries);
  assert_true(entries <= 2);
  assert_true(hits > 0 && misses >= 3);
  tc_snp_chain_cache_free(cc);
}

static int setup(void **state) {
  (void)state;
  snp_forge_opts o;
  snp_forge_opts_init(&o, TC_SNP_MILAN, 0);
  g_milan = snp_forge_new(&o);
  if (g_milan == NULL)
    return -1;
  snp_forge_opts_init(&o, TC_SNP_MILAN, 1);
  o.reuse_keys = g_milan;
  g_milan_vlek = snp_forge_new(&o);
  snp_forge_opts_init(&o, TC_SNP_GENOA, 0);
  o.reuse_keys = g_milan;
  g_genoa = snp_forge_new(&o);
  snp_forge_opts_init(&o, TC_SNP_TURIN, 0);
  o.reuse_keys = g_milan;
  g_turin = snp_forge_new(&o);
  snp_forge_opts_init(&o, TC_SNP_MILAN, 0);
  g_other = snp_forge_new(&o);
  if (tc_snp_chain_cache_new(64, &g_cache, NULL) != TC_OK)
    return -1;
  return g_milan_vlek && g_genoa && g_turin && g_other ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  snp_forge_free(g_milan);
  snp_forge_free(g_milan_vlek);
  snp_forge_free(g_genoa);
  snp_forge_free(g_turin);
  snp_forge_free(g_other);
  tc_snp_chain_cache_free(g_cache);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(valid_every_version_and_product),
      cmocka_unit_test(valid_claims_values),
      cmocka_unit_test(valid_extra_certs_sorted_by_role),
      cmocka_unit_test(valid_reused_chain),
      cmocka_unit_test(parse_lengths),
      cmocka_unit_test(parse_versions_and_algo),
      cmocka_unit_test(parse_reserved_ranges),
      cmocka_unit_test(parse_unsigned_area),
      cmocka_unit_test(parse_policy_vmpl_signing_key_product),
      cmocka_unit_test(parse_every_field),
      cmocka_unit_test(product_and_tcb_helpers),
      cmocka_unit_test(collateral_missing_and_unparsable),
      cmocka_unit_test(signing_key_mismatch),
      cmocka_unit_test(ark_not_trusted),
      cmocka_unit_test(chain_invalid),
      cmocka_unit_test(expired_each_cert),
      cmocka_unit_test(crl_paths),
      cmocka_unit_test(product_mismatch),
      cmocka_unit_test(extension_invalid),
      cmocka_unit_test(chip_mismatch),
      cmocka_unit_test(tcb_mismatch),
      cmocka_unit_test(version4_like_3),
      cmocka_unit_test(reported_tcb_above_current),
      cmocka_unit_test(committed_tcb_above_current),
      cmocka_unit_test(tcb_reserved_bytes),
      cmocka_unit_test(signature_invalid),
      cmocka_unit_test(cache_rechecks_time_and_trust),
      cmocka_unit_test(cache_rechecks_crl),
      cmocka_unit_test(cache_two_chains),
      cmocka_unit_test(cache_shared_by_threads),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
