/* SPDX-License-Identifier: Apache-2.0 */
/* SEV-SNP launch digest: the PAGE_INFO chain of SNP_LAUNCH_UPDATE (AMD SEV-SNP Firmware ABI
 * Specification, pub. 56860, SNP_LAUNCH_UPDATE "Measurement Calculation" and the PAGE_INFO
 * structure table) over the pages a VMM adds at launch: OVMF, its SEV metadata sections, the
 * SEV hash table for measured direct boot, and one VMSA per vCPU. */
#include <string.h>

#include "measure/ovmf.h"
#include "teectl/bytes.h"
#include "teectl/crypto.h"
#include "teectl/measure.h"

/* PAGE_TYPE values of PAGE_INFO (SNP Firmware ABI, SNP_LAUNCH_UPDATE PAGE_TYPE field). */
enum {
  PT_NORMAL = 1,
  PT_VMSA = 2,
  PT_ZERO = 3,
  PT_UNMEASURED = 4,
  PT_SECRETS = 5,
  PT_CPUID = 6,
};

/* KVM records VMSA pages at GPA "-1", page-aligned and cut to 48 address bits. */
#define VMSA_GPA 0xFFFFFFFFF000ull
#define FOUR_GIB 0x100000000ull
#define BSP_EIP 0xFFFFFFF0u

typedef struct chain {
  uint8_t ld[TC_SNP_DIGEST_LEN];
  json_t *regions; /* NULL: no region list */
} chain;

static const char *page_type_name(int t) {
  static const char *const names[] = {"",           "normal",  "vmsa", "zero",
                                      "unmeasured", "secrets", "cpuid"};
  return names[t];
}

/* One PAGE_INFO (0x70 bytes): DIGEST_CUR[48], CONTENTS[48], LENGTH u16 = 0x70, PAGE_TYPE u8,
 * IMI_PAGE u8 = 0, VMPL3/2/1_PERMS u8 = 0, reserved u8, GPA u64; DIGEST_CUR := SHA-384 of it. */
static tc_status chain_add(chain *c, int type, uint64_t gpa, const uint8_t contents[48],
                           tc_error *err) {
  uint8_t info[0x70] = {0};
  memcpy(info, c->ld, 48);
  if (contents)
    memcpy(info + 48, contents, 48);
  info[96] = 0x70;
  info[98] = (uint8_t)type;
  for (int i = 0; i < 8; i++)
    info[104 + i] = (uint8_t)(gpa >> (8 * i));
  return tc_sha384(info, sizeof info, c->ld, err);
}

static void region_note(chain *c, const char *name, int type, uint64_t gpa, uint64_t size,
                        json_t *extra) {
  if (c->regions == NULL) {
    json_decref(extra);
    return;
  }
  char gpa_hex[24], ld_hex[2 * TC_SNP_DIGEST_LEN + 1];
  snprintf(gpa_hex, sizeof gpa_hex, "0x%llx", (unsigned long long)gpa);
  json_t *r = json_pack("{s:s, s:s, s:s, s:I, s:I}", "region", name, "page_type",
                        page_type_name(type), "gpa", gpa_hex, "size", (json_int_t)size, "pages",
                        (json_int_t)((size + MS_PAGE - 1) / MS_PAGE));
  if (r && extra)
    json_object_update(r, extra);
  json_decref(extra);
  if (r) {
    json_object_set_new(r, "digest_after", json_string(tc_hex_encode(c->ld, 48, ld_hex)));
    json_array_append_new(c->regions, r);
  }
}

/* size bytes of pages from gpa: NORMAL with contents SHA-384(page) from data, or data NULL and
 * CONTENTS zero (ZERO, UNMEASURED). */
static tc_status chain_pages(chain *c, const char *name, int type, uint64_t gpa,
                             const uint8_t *data, uint64_t size, json_t *extra, tc_error *err) {
  uint8_t h[48];
  for (uint64_t off = 0; off < size; off += MS_PAGE) {
    tc_status st = data ? tc_sha384(data + off, MS_PAGE, h, err) : TC_OK;
    if (st == TC_OK)
      st = chain_add(c, type, gpa + off, data ? h : NULL, err);
    if (st != TC_OK) {
      json_decref(extra);
      return st;
    }
  }
  region_note(c, name, type, gpa, size, extra);
  return TC_OK;
}

/* ---- the SEV hash table page (QEMU target/i386/sev.c, SevHashTable; OVMF BlobVerifierSevHashes)
 */

static const uint8_t guid_ht_header[16] = {0x06, 0xd6, 0x38, 0x94, 0x22, 0x4f, 0xc9, 0x4c,
                                           0xb4, 0x79, 0xa7, 0x93, 0xd4, 0x11, 0xfd, 0x21};
static const uint8_t guid_ht_cmdline[16] = {0xd8, 0x2d, 0xd0, 0x97, 0x20, 0xbd, 0x94, 0x4c,
                                            0xaa, 0x78, 0xe7, 0x71, 0x4d, 0x36, 0xab, 0x2a};
static const uint8_t guid_ht_initrd[16] = {0x31, 0xf7, 0xba, 0x44, 0x2f, 0x3a, 0xd7, 0x4b,
                                           0x9a, 0xf1, 0x41, 0xe2, 0x91, 0x69, 0x78, 0x1d};
static const uint8_t guid_ht_kernel[16] = {0x37, 0x94, 0xe7, 0x4d, 0xd2, 0xab, 0x7f, 0x42,
                                           0xb8, 0x35, 0xd5, 0xb1, 0x72, 0xd2, 0x04, 0x5b};

#define HT_ENTRY 50u                        /* GUID, u16 length, SHA-256 */
#define HT_TABLE (18u + 3u * HT_ENTRY)      /* 168: GUID, u16 length, cmdline, initrd, kernel */
#define HT_PADDED ((HT_TABLE + 15u) & ~15u) /* 176: padded to 16 bytes with zeros */

static uint8_t *ht_entry(uint8_t *p, const uint8_t guid[16], const uint8_t hash[32]) {
  memcpy(p, guid, 16);
  p[16] = HT_ENTRY;
  memcpy(p + 18, hash, 32);
  return p + HT_ENTRY;
}

/* The page holding the table at offset (the SEV hash table GPA's offset in its page). */
static void ht_page(uint8_t page[MS_PAGE], size_t offset, const tc_snp_kernel_hashes *h) {
  memset(page, 0, MS_PAGE);
  uint8_t *p = page + offset;
  memcpy(p, guid_ht_header, 16);
  p[16] = HT_TABLE;
  p = ht_entry(p + 18, guid_ht_cmdline, h->cmdline);
  p = ht_entry(p, guid_ht_initrd, h->initrd);
  ht_entry(p, guid_ht_kernel, h->kernel);
}

static tc_status kernel_hashes_section(chain *c, const ms_image *ovmf, ms_section s,
                                       const tc_snp_kernel_hashes *h, tc_error *err) {
  if (h == NULL)
    return chain_pages(c, "snp_kernel_hashes", PT_ZERO, s.gpa, NULL, s.size, NULL, err);
  const ms_entry *rv = ms_image_find(ovmf, ms_guid_hash_table_rv);
  if (rv == NULL || rv->len < 4)
    return tc_fail(err, TC_ERR_PARSE, "ovmf_no_kernel_hashes",
                   "OVMF has no SEV hash table GUID 7255371f-3a3b-4b04-927b-1da6efa8d454: it "
                   "cannot verify a kernel, initrd and command line (measured direct boot)");
  size_t offset = tc_le32(rv->data) & (MS_PAGE - 1);
  if (s.size != MS_PAGE || offset + HT_PADDED > MS_PAGE)
    return tc_fail(err, TC_ERR_PARSE, "ovmf_section_invalid",
                   "OVMF SNP_KERNEL_HASHES section of %u bytes at 0x%x cannot hold the SEV hash "
                   "table at page offset %zu (one 4096-byte page expected)",
                   s.size, s.gpa, offset);
  uint8_t page[MS_PAGE];
  ht_page(page, offset, h);
  char k[65], i[65], l[65];
  json_t *extra =
      json_pack("{s:s, s:s, s:s, s:I}", "kernel_sha256", tc_hex_encode(h->kernel, 32, k),
                "initrd_sha256", tc_hex_encode(h->initrd, 32, i), "cmdline_sha256",
                tc_hex_encode(h->cmdline, 32, l), "table_offset", (json_int_t)offset);
  return chain_pages(c, "snp_kernel_hashes", PT_NORMAL, s.gpa, page, MS_PAGE, extra, err);
}

static tc_status one_section(chain *c, const ms_image *im, size_t idx, ms_section s,
                             const tc_snp_launch *in, tc_error *err) {
  const char *name = ms_section_name(s.type);
  if (name == NULL || s.gpa % MS_PAGE || s.size % MS_PAGE || s.size == 0)
    return tc_fail(err, TC_ERR_PARSE, "ovmf_section_invalid",
                   "SEV metadata section %zu (GPA 0x%x, size %u, type %u): %s", idx, s.gpa, s.size,
                   s.type,
                   name ? "GPA and size must be non-zero multiples of 4096" : "unknown type");
  switch (s.type) {
  case MS_SEC_SNP_SEC_MEM:
    return chain_pages(c, name, in->vmm == TC_SNP_VMM_GCE ? PT_UNMEASURED : PT_ZERO, s.gpa, NULL,
                       s.size, NULL, err);
  case MS_SEC_SNP_SECRETS:
    return chain_pages(c, name, PT_SECRETS, s.gpa, NULL, MS_PAGE, NULL, err);
  case MS_SEC_CPUID: /* EC2 adds the CPUID page after all other sections */
    return in->vmm == TC_SNP_VMM_EC2
               ? TC_OK
               : chain_pages(c, name, PT_CPUID, s.gpa, NULL, MS_PAGE, NULL, err);
  case MS_SEC_SNP_KERNEL_HASHES:
    return kernel_hashes_section(c, im, s, in->svsm ? NULL : in->hashes, err);
  default: /* MS_SEC_SVSM_CAA */
    return chain_pages(c, name, PT_ZERO, s.gpa, NULL, s.size, NULL, err);
  }
}

static tc_status metadata_sections(chain *c, const ms_image *im, const tc_snp_launch *in,
                                   tc_error *err) {
  int has_hashes_section = 0;
  for (size_t i = 0; i < im->n_sections; i++) {
    ms_section s = ms_image_section(im, i);
    has_hashes_section |= s.type == MS_SEC_SNP_KERNEL_HASHES;
    tc_status st = one_section(c, im, i, s, in, err);
    if (st != TC_OK)
      return st;
  }
  for (size_t i = 0; in->vmm == TC_SNP_VMM_EC2 && i < im->n_sections; i++) {
    ms_section s = ms_image_section(im, i);
    tc_status st = s.type != MS_SEC_CPUID
                       ? TC_OK
                       : chain_pages(c, "cpuid", PT_CPUID, s.gpa, NULL, MS_PAGE, NULL, err);
    if (st != TC_OK)
      return st;
  }
  if (in->hashes && !in->svsm && !has_hashes_section)
    return tc_fail(err, TC_ERR_PARSE, "ovmf_no_kernel_hashes",
                   "OVMF SEV metadata has no SNP_KERNEL_HASHES section: this firmware does not "
                   "measure a kernel, initrd and command line (use an AmdSev build)");
  return TC_OK;
}

/* ---- VMSA pages (AMD APM Vol. 2, Table B-4, VMSA layout of the SEV-ES save area) */

static void put(uint8_t *page, size_t off, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++)
    page[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

/* A segment register (VMCB segment: selector u16, attrib u16, limit u32, base u64);
 * index: ES 0, CS 1, SS 2, DS 3, FS 4, GS 5, GDTR 6, LDTR 7, IDTR 8, TR 9. */
static void put_seg(uint8_t *page, int index, uint16_t sel, uint16_t attrib, uint32_t limit,
                    uint64_t base) {
  size_t o = (size_t)index * 16;
  put(page, o, sel, 2);
  put(page, o + 2, attrib, 2);
  put(page, o + 4, limit, 4);
  put(page, o + 8, base, 8);
}

typedef struct vmsa_regs {
  uint64_t rip, rdx, g_pat, sev_features, cr0;
  uint32_t mxcsr;
  uint16_t fcw;
} vmsa_regs;

/* The registers common to every VMM (KVM's reset state with EFER.SVME and CR4.MCE). */
static void vmsa_common(uint8_t page[MS_PAGE], const vmsa_regs *r) {
  put(page, 0xD0, 0x1000, 8);           /* EFER: SVME */
  put(page, 0x148, 0x40, 8);            /* CR4: MCE */
  put(page, 0x158, r->cr0, 8);          /* CR0 */
  put(page, 0x160, 0x400, 8);           /* DR7 */
  put(page, 0x168, 0xFFFF0FF0, 8);      /* DR6 */
  put(page, 0x170, 0x2, 8);             /* RFLAGS */
  put(page, 0x178, r->rip, 8);          /* RIP */
  put(page, 0x268, r->g_pat, 8);        /* G_PAT */
  put(page, 0x310, r->rdx, 8);          /* RDX: CPUID signature at reset */
  put(page, 0x3B0, r->sev_features, 8); /* SEV_FEATURES */
  put(page, 0x3E8, 0x1, 8);             /* XCR0 */
  put(page, 0x408, r->mxcsr, 4);        /* MXCSR */
  put(page, 0x410, r->fcw, 2);          /* x87 FCW */
}

/* The VMSA of a vCPU starting in real mode at eip, as QEMU, EC2 or GCE set it. */
static void vmsa_reset(uint8_t page[MS_PAGE], uint32_t eip, const tc_snp_launch *in) {
  int qemu = in->vmm == TC_SNP_VMM_QEMU, ec2 = in->vmm == TC_SNP_VMM_EC2;
  uint16_t cs_attr = ec2 && eip == BSP_EIP ? 0x9A : 0x9B;
  memset(page, 0, MS_PAGE);
  for (int s = 0; s < 6; s++)
    put_seg(page, s, 0, 0x93, 0xFFFF, 0);
  put_seg(page, 1, 0xF000, cs_attr, 0xFFFF, eip & 0xFFFF0000u);
  put_seg(page, 2, 0, ec2 ? 0x92 : 0x93, 0xFFFF, 0);
  put_seg(page, 6, 0, 0, 0xFFFF, 0);
  put_seg(page, 7, 0, 0x82, 0xFFFF, 0);
  put_seg(page, 8, 0, 0, 0xFFFF, 0);
  put_seg(page, 9, 0, ec2 ? 0x83 : 0x8B, 0xFFFF, 0);
  vmsa_regs r = {.rip = eip & 0xFFFF,
                 .rdx = qemu ? in->vcpu_sig : 0x600,
                 .g_pat = in->vmm == TC_SNP_VMM_GCE ? 0x70106 : 0x0007040600070406ull,
                 .sev_features = in->guest_features,
                 .cr0 = 0x10,
                 .mxcsr = qemu ? 0x1F80 : 0,
                 .fcw = qemu ? 0x37F : 0};
  vmsa_common(page, &r);
}

/* The VMSA of a vCPU entering a Coconut SVSM in 32-bit protected mode at eip (QEMU). */
static void vmsa_svsm(uint8_t page[MS_PAGE], uint32_t eip, uint32_t vcpu_sig) {
  memset(page, 0, MS_PAGE);
  for (int s = 0; s < 5; s++)
    put_seg(page, s, 16, 0xC93, 0xFFFFFFFF, 0);
  put_seg(page, 1, 8, 0xC9B, 0xFFFFFFFF, 0);
  put_seg(page, 5, 0, 0x93, 0xFFFF, 0);
  put_seg(page, 6, 0, 0, 0xFFFF, 0);
  put_seg(page, 7, 0, 0x82, 0xFFFF, 0);
  put_seg(page, 8, 0, 0, 0xFFFF, 0);
  put_seg(page, 9, 0, 0x8B, 0xFFFF, 0);
  vmsa_regs r = {.rip = eip,
                 .rdx = vcpu_sig,
                 .g_pat = 0x0007040600070406ull,
                 .sev_features = 0x1,
                 .cr0 = 0x11,
                 .mxcsr = 0x1F80,
                 .fcw = 0};
  vmsa_common(page, &r);
}

static tc_status add_vmsa(chain *c, unsigned index, const uint8_t page[MS_PAGE], tc_error *err) {
  uint8_t h[48];
  char hex[97];
  tc_status st = tc_sha384(page, MS_PAGE, h, err);
  if (st == TC_OK)
    st = chain_add(c, PT_VMSA, VMSA_GPA, h, err);
  if (st == TC_OK)
    region_note(
        c, "vmsa", PT_VMSA, VMSA_GPA, MS_PAGE,
        json_pack("{s:I, s:s}", "vcpu", (json_int_t)index, "sha384", tc_hex_encode(h, 48, hex)));
  return st;
}

/* ---- public entry points */

static tc_status check_ovmf_size(size_t len, const char *what, const char *reason, tc_error *err) {
  if (len == 0 || len % MS_PAGE || (uint64_t)len > FOUR_GIB)
    return tc_fail(err, TC_ERR_PARSE, reason,
                   "%s image is %zu bytes: a non-zero multiple of 4096 up to 4 GiB expected", what,
                   len);
  return TC_OK;
}

tc_status tc_snp_ovmf_hash(const uint8_t *ovmf, size_t len, uint8_t out[TC_SNP_DIGEST_LEN],
                           tc_error *err) {
  chain c = {{0}, NULL};
  tc_status st = check_ovmf_size(len, "OVMF", "ovmf_size_invalid", err);
  if (st == TC_OK)
    st = chain_pages(&c, "ovmf", PT_NORMAL, FOUR_GIB - len, ovmf, len, NULL, err);
  if (st == TC_OK)
    memcpy(out, c.ld, TC_SNP_DIGEST_LEN);
  return st;
}

static tc_status check_launch(const tc_snp_launch *in, tc_error *err) {
  if (in->vcpus == 0 || in->vcpus > TC_SNP_MAX_VCPUS)
    return tc_fail(err, TC_ERR_USAGE, "vcpus_invalid", "vCPU count %u is not in 1..%d", in->vcpus,
                   TC_SNP_MAX_VCPUS);
  if ((unsigned)in->vmm > TC_SNP_VMM_GCE || (in->svsm && in->vmm != TC_SNP_VMM_QEMU))
    return tc_fail(err, TC_ERR_USAGE, "vmm_invalid",
                   "the VMM type is unknown, or not QEMU in svsm mode (only QEMU launches a "
                   "Coconut SVSM)");
  if (in->svsm && (in->hashes || in->ovmf_hash))
    return tc_fail(err, TC_ERR_USAGE, "bad_option",
                   "svsm mode takes neither kernel hashes nor a precomputed OVMF hash");
  return check_ovmf_size(in->ovmf_len, "OVMF", "ovmf_size_invalid", err);
}

static tc_status start_chain(chain *c, const tc_snp_launch *in, tc_error *err) {
  if (in->ovmf_hash == NULL)
    return chain_pages(c, "ovmf", PT_NORMAL, FOUR_GIB - in->ovmf_len, in->ovmf, in->ovmf_len, NULL,
                       err);
  memcpy(c->ld, in->ovmf_hash, TC_SNP_DIGEST_LEN);
  region_note(c, "ovmf", PT_NORMAL, FOUR_GIB - in->ovmf_len, in->ovmf_len,
              json_pack("{s:b}", "precomputed", 1));
  return TC_OK;
}

static tc_status svsm_launch(chain *c, const tc_snp_launch *in, tc_error *err) {
  uint64_t below = (uint64_t)in->ovmf_len + in->vars_size + in->svsm_len;
  if (in->svsm_len == 0 || in->svsm_len % MS_PAGE || in->vars_size % MS_PAGE || below > FOUR_GIB)
    return tc_fail(err, TC_ERR_PARSE, "svsm_size_invalid",
                   "SVSM image of %zu bytes below OVMF (%zu bytes) and variables (%llu bytes): "
                   "sizes must be multiples of 4096 and fit below 4 GiB",
                   in->svsm_len, in->ovmf_len, (unsigned long long)in->vars_size);
  ms_image svsm;
  tc_status st = ms_image_parse(in->svsm, in->svsm_len, "SVSM", 1, &svsm, err);
  if (st != TC_OK)
    return st;
  const ms_entry *info = ms_image_find(&svsm, ms_guid_svsm_info);
  if (info == NULL || info->len < 4)
    return tc_fail(err, TC_ERR_PARSE, "svsm_no_info",
                   "SVSM footer table has no SVSM info GUID a789a612-0597-4c4b-a49f-cbb1fe9d1ddd "
                   "(entry point)");
  uint64_t gpa = FOUR_GIB - below;
  st = chain_pages(c, "svsm", PT_NORMAL, gpa, in->svsm, in->svsm_len, NULL, err);
  if (st == TC_OK)
    st = metadata_sections(c, &svsm, in, err);
  uint8_t page[MS_PAGE];
  vmsa_svsm(page, (uint32_t)(tc_le32(info->data) + gpa), in->vcpu_sig);
  for (unsigned i = 0; st == TC_OK && i < in->vcpus; i++)
    st = add_vmsa(c, i, page, err);
  return st;
}

static tc_status ovmf_launch(chain *c, const tc_snp_launch *in, tc_error *err) {
  ms_image ovmf;
  tc_status st = ms_image_parse(in->ovmf, in->ovmf_len, "OVMF", 1, &ovmf, err);
  if (st != TC_OK)
    return st;
  const ms_entry *reset = ms_image_find(&ovmf, ms_guid_reset_block);
  if (reset == NULL || reset->len < 4)
    return tc_fail(err, TC_ERR_PARSE, "ovmf_no_reset_block",
                   "OVMF footer table has no SEV-ES reset block GUID "
                   "00f771de-1a7e-4fcb-890e-68c77e2fb44e (where the APs start)");
  st = start_chain(c, in, err);
  if (st == TC_OK)
    st = metadata_sections(c, &ovmf, in, err);
  uint8_t page[MS_PAGE];
  for (unsigned i = 0; st == TC_OK && i < in->vcpus; i++) {
    if (i <= 1) /* the BSP's page, then the one every AP shares */
      vmsa_reset(page, i == 0 ? BSP_EIP : tc_le32(reset->data), in);
    st = add_vmsa(c, i, page, err);
  }
  return st;
}

tc_status tc_snp_launch_digest(const tc_snp_launch *in, uint8_t digest[TC_SNP_DIGEST_LEN],
                               json_t *regions, tc_error *err) {
  chain c = {{0}, json_is_array(regions) ? regions : NULL};
  tc_status st = check_launch(in, err);
  if (st != TC_OK)
    return st;
  if (in->svsm) {
    st = chain_pages(&c, "ovmf", PT_NORMAL, FOUR_GIB - in->ovmf_len, in->ovmf, in->ovmf_len, NULL,
                     err);
    if (st == TC_OK)
      st = svsm_launch(&c, in, err);
  } else {
    st = ovmf_launch(&c, in, err);
  }
  if (st == TC_OK)
    memcpy(digest, c.ld, TC_SNP_DIGEST_LEN);
  return st;
}
