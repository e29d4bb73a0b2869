/* SPDX-License-Identifier: Apache-2.0 */
/* OVMF and SVSM image layout for SEV-SNP measurement: the GUIDed footer table that edk2's
 * ResetVector (OvmfPkg/ResetVector/Ia16/ResetVectorVtf0.asm, "OVMF GUIDed structure table")
 * places so that it ends 32 bytes before the end of the image, read backwards from its footer
 * entry; and the SEV metadata it points to (OvmfPkg/ResetVector/X64/OvmfSevMetadata.asm:
 * "ASEV" signature, length, version 1, count, then 12-byte section descriptors). */
#include <string.h>

#include "measure/ovmf.h"
#include "teectl/bytes.h"

/* GUIDs in on-disk byte order (the first three fields little-endian). */
/* 96b582de-1fb2-45f7-baea-a366c55a082d: OVMF table footer */
const uint8_t ms_guid_footer[16] = {0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45,
                                    0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d};
/* dc886566-984a-4798-a75e-5585a7bf67cc: SEV metadata offset (from the end of the image) */
const uint8_t ms_guid_sev_metadata[16] = {0x66, 0x65, 0x88, 0xdc, 0x4a, 0x98, 0x98, 0x47,
                                          0xa7, 0x5e, 0x55, 0x85, 0xa7, 0xbf, 0x67, 0xcc};
/* 7255371f-3a3b-4b04-927b-1da6efa8d454: SEV hash table reserved area (GPA u32, size u32) */
const uint8_t ms_guid_hash_table_rv[16] = {0x1f, 0x37, 0x55, 0x72, 0x3b, 0x3a, 0x04, 0x4b,
                                           0x92, 0x7b, 0x1d, 0xa6, 0xef, 0xa8, 0xd4, 0x54};
/* 00f771de-1a7e-4fcb-890e-68c77e2fb44e: SEV-ES AP reset block (reset EIP u32) */
const uint8_t ms_guid_reset_block[16] = {0xde, 0x71, 0xf7, 0x00, 0x7e, 0x1a, 0xcb, 0x4f,
                                         0x89, 0x0e, 0x68, 0xc7, 0x7e, 0x2f, 0xb4, 0x4e};
/* a789a612-0597-4c4b-a49f-cbb1fe9d1ddd: Coconut SVSM info (entry offset u32) */
const uint8_t ms_guid_svsm_info[16] = {0x12, 0xa6, 0x89, 0xa7, 0x97, 0x05, 0x4b, 0x4c,
                                       0xa4, 0x9f, 0xcb, 0xb1, 0xfe, 0x9d, 0x1d, 0xdd};

#define ENTRY_TRAILER 18u /* u16 size + GUID */
#define META_HEADER 16u   /* "ASEV", size u32, version u32, count u32 */
#define META_DESC 12u

static tc_status parse_table(const uint8_t *img, size_t len, const char *what, ms_image *out,
                             tc_error *err) {
  if (len < 32 + ENTRY_TRAILER)
    return tc_fail(err, TC_ERR_PARSE, "ovmf_no_footer_table",
                   "%s image of %zu bytes is too short for a GUIDed footer table", what, len);
  size_t end = len - 32; /* the table ends 32 bytes before the end of the image */
  const uint8_t *foot = img + end - ENTRY_TRAILER;
  if (memcmp(foot + 2, ms_guid_footer, 16) != 0)
    return tc_fail(err, TC_ERR_PARSE, "ovmf_no_footer_table",
                   "%s image has no OVMF table footer GUID 96b582de-1fb2-45f7-baea-a366c55a082d "
                   "at offset %zu (not an OVMF/SVSM build with SEV support)",
                   what, end - 16);
  size_t tsize = tc_le16(foot);
  if (tsize < ENTRY_TRAILER || tsize > end)
    return tc_fail(err, TC_ERR_PARSE, "ovmf_footer_table_invalid",
                   "%s footer table size %zu at offset %zu out of range", what, tsize,
                   end - ENTRY_TRAILER);
  size_t start = end - tsize, pos = end - ENTRY_TRAILER; /* entries lie in [start, pos) */
  while (pos > start) {
    if (pos - start < ENTRY_TRAILER)
      return tc_fail(err, TC_ERR_PARSE, "ovmf_footer_table_invalid",
                     "%s footer table has %zu stray bytes at offset %zu", what, pos - start, start);
    size_t esize = tc_le16(img + pos - ENTRY_TRAILER);
    if (esize < ENTRY_TRAILER || esize > pos - start)
      return tc_fail(err, TC_ERR_PARSE, "ovmf_footer_table_invalid",
                     "%s footer table entry size %zu at offset %zu out of range", what, esize,
                     pos - ENTRY_TRAILER);
    const uint8_t *guid = img + pos - 16;
    for (size_t i = 0; i < out->n_entries; i++)
      if (memcmp(out->entries[i].guid, guid, 16) == 0)
        return tc_fail(err, TC_ERR_PARSE, "ovmf_footer_table_invalid",
                       "%s footer table has a second entry with the GUID at offset %zu", what,
                       pos - 16);
    if (out->n_entries == MS_MAX_ENTRIES)
      return tc_fail(err, TC_ERR_PARSE, "ovmf_footer_table_invalid",
                     "%s footer table has more than %d entries", what, MS_MAX_ENTRIES);
    ms_entry *e = &out->entries[out->n_entries++];
    memcpy(e->guid, guid, 16);
    e->data = img + pos - esize;
    e->len = esize - ENTRY_TRAILER;
    pos -= esize;
  }
  return TC_OK;
}

static tc_status parse_metadata(ms_image *im, const char *what, tc_error *err) {
  const ms_entry *e = ms_image_find(im, ms_guid_sev_metadata);
  if (e->len < 4)
    return tc_fail(err, TC_ERR_PARSE, "ovmf_sev_metadata_invalid",
                   "%s SEV metadata table entry holds %zu bytes, 4 expected", what, e->len);
  size_t off = tc_le32(e->data);
  if (off < META_HEADER || off > im->len)
    return tc_fail(err, TC_ERR_PARSE, "ovmf_sev_metadata_invalid",
                   "%s SEV metadata offset %zu from the end is outside the %zu-byte image", what,
                   off, im->len);
  const uint8_t *h = im->img + im->len - off;
  if (memcmp(h, "ASEV", 4) != 0)
    return tc_fail(err, TC_ERR_PARSE, "ovmf_sev_metadata_invalid",
                   "%s SEV metadata at offset %zu lacks the signature \"ASEV\"", what,
                   im->len - off);
  uint32_t size = tc_le32(h + 4), version = tc_le32(h + 8), count = tc_le32(h + 12);
  if (version != 1)
    return tc_fail(err, TC_ERR_PARSE, "ovmf_sev_metadata_invalid",
                   "%s SEV metadata version %u is not supported (1 expected)", what, version);
  if (size > off || size < META_HEADER || (size - META_HEADER) / META_DESC < count)
    return tc_fail(err, TC_ERR_PARSE, "ovmf_sev_metadata_invalid",
                   "%s SEV metadata of %u bytes at offset %zu cannot hold %u sections", what, size,
                   im->len - off, count);
  im->sections = h + META_HEADER;
  im->n_sections = count;
  return TC_OK;
}

tc_status ms_image_parse(const uint8_t *img, size_t len, const char *what, int need_metadata,
                         ms_image *out, tc_error *err) {
  memset(out, 0, sizeof *out);
  out->img = img;
  out->len = len;
  tc_status st = parse_table(img, len, what, out, err);
  if (st != TC_OK)
    return st;
  if (ms_image_find(out, ms_guid_sev_metadata) == NULL) {
    if (!need_metadata)
      return TC_OK;
    return tc_fail(err, TC_ERR_PARSE, "ovmf_no_sev_metadata",
                   "%s footer table has no SEV metadata GUID dc886566-984a-4798-a75e-5585a7bf67cc "
                   "(not a build with SEV-SNP support)",
                   what);
  }
  return parse_metadata(out, what, err);
}

const ms_entry *ms_image_find(const ms_image *im, const uint8_t guid[16]) {
  for (size_t i = 0; i < im->n_entries; i++)
    if (memcmp(im->entries[i].guid, guid, 16) == 0)
      return &im->entries[i];
  return NULL;
}

ms_section ms_image_section(const ms_image *im, size_t i) {
  const uint8_t *d = im->sections + i * META_DESC;
  ms_section s = {tc_le32(d), tc_le32(d + 4), tc_le32(d + 8)};
  return s;
}

const char *ms_section_name(uint32_t type) {
  switch (type) {
  case MS_SEC_SNP_SEC_MEM:
    return "snp_sec_mem";
  case MS_SEC_SNP_SECRETS:
    return "snp_secrets";
  case MS_SEC_CPUID:
    return "cpuid";
  case MS_SEC_SVSM_CAA:
    return "svsm_caa";
  case MS_SEC_SNP_KERNEL_HASHES:
    return "snp_kernel_hashes";
  default:
    return NULL;
  }
}
