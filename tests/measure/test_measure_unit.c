/* SPDX-License-Identifier: Apache-2.0 */
/* Rejections of src/measure on firmware images built here (no vectors needed): every
 * missing or malformed piece of the footer table and SEV metadata is named, never measured
 * around; and the vCPU signatures of the CPUID specification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "teectl/bytes.h"
#include "teectl/measure.h"

#define PAGE 4096

static void le16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void le32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* GUIDs in on-disk order, spelled here from their text forms (edk2 OvmfPkg/ResetVector). */
static const uint8_t g_footer[16] = {0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45,
                                     0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d};
static const uint8_t g_meta[16] = {0x66, 0x65, 0x88, 0xdc, 0x4a, 0x98, 0x98, 0x47,
                                   0xa7, 0x5e, 0x55, 0x85, 0xa7, 0xbf, 0x67, 0xcc};
static const uint8_t g_reset[16] = {0xde, 0x71, 0xf7, 0x00, 0x7e, 0x1a, 0xcb, 0x4f,
                                    0x89, 0x0e, 0x68, 0xc7, 0x7e, 0x2f, 0xb4, 0x4e};
static const uint8_t g_hashes[16] = {0x1f, 0x37, 0x55, 0x72, 0x3b, 0x3a, 0x04, 0x4b,
                                     0x92, 0x7b, 0x1d, 0xa6, 0xef, 0xa8, 0xd4, 0x54};

typedef struct img {
  uint8_t b[2 * PAGE];
  size_t meta_off; /* offset of the "ASEV" header */
} img;

/* A two-page image: SEV metadata at offset 0x100 with the given sections (gpa, size, type),
 * a footer table of reset block, hash table and metadata entries ending 32 bytes before the
 * end. with: bit 0 reset block, bit 1 hash table, bit 2 metadata entry. */
static void build(img *m, const uint32_t (*sec)[3], size_t n, int with) {
  memset(m->b, 0, sizeof m->b);
  m->meta_off = 0x100;
  uint8_t *h = m->b + m->meta_off;
  memcpy(h, "ASEV", 4);
  le32(h + 4, (uint32_t)(16 + 12 * n));
  le32(h + 8, 1);
  le32(h + 12, (uint32_t)n);
  for (size_t i = 0; i < n; i++)
    for (int k = 0; k < 3; k++)
      le32(h + 16 + 12 * i + 4 * (size_t)k, sec[i][k]);
  size_t end = sizeof m->b - 32, pos = end - 18; /* footer entry trailer at pos */
  size_t start = pos;
  struct {
    int bit;
    const uint8_t *guid;
    uint32_t value;
  } e[] = {{1, g_reset, 0x80b004}, {2, g_hashes, 0x80fc00}, {4, g_meta, 0}};
  e[2].value = (uint32_t)(sizeof m->b - m->meta_off);
  for (int i = 0; i < 3; i++) {
    if (!(with & e[i].bit))
      continue;
    start -= 4 + 18;
    le32(m->b + start, e[i].value);
    le16(m->b + start + 4, 22);
    memcpy(m->b + start + 6, e[i].guid, 16);
  }
  le16(m->b + pos, (uint16_t)(end - start));
  memcpy(m->b + pos + 2, g_footer, 16);
}

static const uint32_t std_sections[][3] = {
    {0x800000, 0x9000, 1}, {0x80d000, 0x1000, 2}, {0x80e000, 0x1000, 3}, {0x80f000, 0x1000, 0x10}};

static const char *digest_reason(const img *m, const tc_snp_kernel_hashes *h, unsigned vcpus) {
  static tc_error err;
  uint8_t d[48];
  tc_snp_launch l = {.ovmf = m->b,
                     .ovmf_len = sizeof m->b,
                     .hashes = h,
                     .vcpus = vcpus,
                     .vcpu_sig = 0xA00F11,
                     .guest_features = 1};
  tc_error_clear(&err);
  if (tc_snp_launch_digest(&l, d, NULL, &err) == TC_OK)
    return "ok";
  return err.reason;
}

static void test_well_formed(void **state) {
  (void)state;
  img m;
  tc_snp_kernel_hashes h;
  memset(&h, 0, sizeof h);
  build(&m, std_sections, 4, 7);
  assert_string_equal(digest_reason(&m, NULL, 2), "ok");
  assert_string_equal(digest_reason(&m, &h, 2), "ok");
}

static void test_footer_and_metadata(void **state) {
  (void)state;
  img m;
  build(&m, std_sections, 4, 7);
  m.b[sizeof m.b - 32 - 16] ^= 1; /* footer GUID */
  assert_string_equal(digest_reason(&m, NULL, 1), "ovmf_no_footer_table");
  build(&m, std_sections, 4, 3);
  assert_string_equal(digest_reason(&m, NULL, 1), "ovmf_no_sev_metadata");
  build(&m, std_sections, 4, 6);
  assert_string_equal(digest_reason(&m, NULL, 1), "ovmf_no_reset_block");
  build(&m, std_sections, 4, 7);
  le16(m.b + sizeof m.b - 32 - 18, 0xFFFF); /* table larger than the image */
  assert_string_equal(digest_reason(&m, NULL, 1), "ovmf_footer_table_invalid");
  build(&m, std_sections, 4, 7);
  le16(m.b + sizeof m.b - 32 - 18 - 18, 3); /* last entry's size below its trailer */
  assert_string_equal(digest_reason(&m, NULL, 1), "ovmf_footer_table_invalid");
  build(&m, std_sections, 4, 7);
  m.b[m.meta_off] = 'X';
  assert_string_equal(digest_reason(&m, NULL, 1), "ovmf_sev_metadata_invalid");
  build(&m, std_sections, 4, 7);
  le32(m.b + m.meta_off + 8, 2); /* version */
  assert_string_equal(digest_reason(&m, NULL, 1), "ovmf_sev_metadata_invalid");
  build(&m, std_sections, 4, 7);
  le32(m.b + m.meta_off + 12, 1000000); /* more sections than bytes */
  assert_string_equal(digest_reason(&m, NULL, 1), "ovmf_sev_metadata_invalid");
}

static void test_sections(void **state) {
  (void)state;
  img m;
  tc_snp_kernel_hashes h;
  memset(&h, 0, sizeof h);
  const uint32_t unknown[][3] = {{0x800000, 0x1000, 7}};
  build(&m, unknown, 1, 7);
  assert_string_equal(digest_reason(&m, NULL, 1), "ovmf_section_invalid");
  const uint32_t unaligned[][3] = {{0x800010, 0x1000, 1}};
  build(&m, unaligned, 1, 7);
  assert_string_equal(digest_reason(&m, NULL, 1), "ovmf_section_invalid");
  const uint32_t empty[][3] = {{0x800000, 0, 1}};
  build(&m, empty, 1, 7);
  assert_string_equal(digest_reason(&m, NULL, 1), "ovmf_section_invalid");
  /* kernel hashes asked for: no SNP_KERNEL_HASHES section (an OvmfPkgX64-like build) */
  build(&m, std_sections, 3, 7);
  assert_string_equal(digest_reason(&m, NULL, 1), "ok");
  assert_string_equal(digest_reason(&m, &h, 1), "ovmf_no_kernel_hashes");
  /* ... or no SEV hash table GUID */
  build(&m, std_sections, 4, 5);
  assert_string_equal(digest_reason(&m, &h, 1), "ovmf_no_kernel_hashes");
  const uint32_t big[][3] = {{0x80f000, 0x2000, 0x10}};
  build(&m, big, 1, 7);
  assert_string_equal(digest_reason(&m, &h, 1), "ovmf_section_invalid");
}

static void test_launch_inputs(void **state) {
  (void)state;
  img m;
  build(&m, std_sections, 4, 7);
  assert_string_equal(digest_reason(&m, NULL, 0), "vcpus_invalid");
  assert_string_equal(digest_reason(&m, NULL, TC_SNP_MAX_VCPUS + 1), "vcpus_invalid");
  uint8_t d[48];
  tc_error err;
  tc_snp_launch l = {.ovmf = m.b, .ovmf_len = 4095, .vcpus = 1};
  assert_int_equal(tc_snp_launch_digest(&l, d, NULL, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "ovmf_size_invalid");
  assert_int_equal(tc_snp_ovmf_hash(m.b, 0, d, &err), TC_ERR_PARSE);
  l.ovmf_len = sizeof m.b;
  l.svsm = m.b;
  l.svsm_len = sizeof m.b;
  l.vmm = TC_SNP_VMM_EC2;
  assert_int_equal(tc_snp_launch_digest(&l, d, NULL, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "vmm_invalid");
  l.vmm = TC_SNP_VMM_QEMU;
  l.vars_size = 100; /* not a multiple of 4096 */
  assert_int_equal(tc_snp_launch_digest(&l, d, NULL, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "svsm_size_invalid");
  l.vars_size = 0; /* an image without the SVSM info GUID */
  assert_int_equal(tc_snp_launch_digest(&l, d, NULL, &err), TC_ERR_PARSE);
  assert_string_equal(err.reason, "svsm_no_info");
}

/* A precomputed OVMF hash gives the same digest as hashing the pages. */
static void test_ovmf_hash_seed(void **state) {
  (void)state;
  img m;
  build(&m, std_sections, 4, 7);
  uint8_t a[48], b[48], seed[48];
  tc_error err;
  tc_snp_launch l = {
      .ovmf = m.b, .ovmf_len = sizeof m.b, .vcpus = 3, .vcpu_sig = 0xA10F10, .guest_features = 1};
  assert_int_equal(tc_snp_launch_digest(&l, a, NULL, &err), TC_OK);
  assert_int_equal(tc_snp_ovmf_hash(m.b, sizeof m.b, seed, &err), TC_OK);
  l.ovmf_hash = seed;
  assert_int_equal(tc_snp_launch_digest(&l, b, NULL, &err), TC_OK);
  assert_memory_equal(a, b, 48);
  seed[0] ^= 1;
  assert_int_equal(tc_snp_launch_digest(&l, b, NULL, &err), TC_OK);
  assert_memory_not_equal(a, b, 48);
}

/* CPUID Fn0000_0001_EAX values (AMD CPUID Specification pub. 25481: Milan family 19h model
 * 01h stepping 1 = 0x00A00F11; Genoa family 19h model 11h stepping 0 = 0x00A10F10; Naples
 * family 17h model 01h stepping 2 = 0x00800F12; Rome 17h/31h/0 = 0x00830F10). */
static void test_vcpu_sig(void **state) {
  (void)state;
  uint32_t s;
  tc_error err;
  assert_int_equal(tc_snp_vcpu_sig("EPYC-Milan", &s, &err), TC_OK);
  assert_int_equal(s, 0x00A00F11);
  assert_int_equal(tc_snp_vcpu_sig("EPYC-Genoa", &s, &err), TC_OK);
  assert_int_equal(s, 0x00A10F10);
  assert_int_equal(tc_snp_vcpu_sig("EPYC-v4", &s, &err), TC_OK);
  assert_int_equal(s, 0x00800F12);
  assert_int_equal(tc_snp_vcpu_sig("EPYC-Rome", &s, &err), TC_OK);
  assert_int_equal(s, 0x00830F10);
  assert_int_equal(tc_snp_vcpu_sig("EPYC-Turin", &s, &err), TC_OK);
  assert_int_equal(s, 0x00B00F00);
  assert_int_equal(tc_snp_vcpu_sig("epyc-milan", &s, &err), TC_ERR_USAGE);
  assert_string_equal(err.reason, "vcpu_type_unknown");
  assert_non_null(strstr(err.detail, "EPYC-Genoa"));
  assert_int_equal(tc_snp_cpu_sig(6, 0x55, 7, &s, &err), TC_OK); /* family below 0xf */
  assert_int_equal(s, 0x00050657);
  assert_int_equal(tc_snp_cpu_sig(25, 256, 0, &s, &err), TC_ERR_USAGE);
  tc_snp_vmm v;
  assert_int_equal(tc_snp_vmm_parse("QEMU", &v, &err), TC_OK);
  assert_int_equal(v, TC_SNP_VMM_QEMU);
  assert_int_equal(tc_snp_vmm_parse("xen", &v, &err), TC_ERR_USAGE);
}

/* SHA-256 of the command line includes its NUL (FIPS 180-4 value of the single byte 0x00). */
static void test_cmdline_hash(void **state) {
  (void)state;
  uint8_t h[32];
  char hex[65];
  tc_error err;
  assert_int_equal(tc_snp_cmdline_sha256("", h, &err), TC_OK);
  assert_string_equal(tc_hex_encode(h, 32, hex),
                      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  assert_int_equal(tc_measure_sha256_file("/nonexistent/kernel", h, &err), TC_ERR_IO);
  assert_string_equal(err.reason, "file_unreadable");
  assert_int_equal(tc_measure_sha256_file("/", h, &err), TC_ERR_IO);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_well_formed),    cmocka_unit_test(test_footer_and_metadata),
      cmocka_unit_test(test_sections),       cmocka_unit_test(test_launch_inputs),
      cmocka_unit_test(test_ovmf_hash_seed), cmocka_unit_test(test_vcpu_sig),
      cmocka_unit_test(test_cmdline_hash),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
