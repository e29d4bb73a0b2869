/* SPDX-License-Identifier: Apache-2.0 */
/* OVMF and SVSM images for SEV-SNP measurement: footer table and SEV metadata (src/measure,
 * not a public API). */
#ifndef TEECTL_MEASURE_OVMF_H
#define TEECTL_MEASURE_OVMF_H

#include <stddef.h>
#include <stdint.h>

#include "teectl/error.h"

#define MS_PAGE 4096u
#define MS_MAX_ENTRIES 32

/* OVMF SEV metadata section types (edk2 OvmfPkg/ResetVector/X64/OvmfSevMetadata.asm). */
enum {
  MS_SEC_SNP_SEC_MEM = 1,
  MS_SEC_SNP_SECRETS = 2,
  MS_SEC_CPUID = 3,
  MS_SEC_SVSM_CAA = 4,
  MS_SEC_SNP_KERNEL_HASHES = 0x10,
};

/* One entry of the GUIDed footer table: its GUID (on-disk, little-endian byte order) and
 * the data before its 18-byte trailer (u16 size, GUID). */
typedef struct ms_entry {
  uint8_t guid[16];
  const uint8_t *data;
  size_t len;
} ms_entry;

/* One SEV metadata section descriptor (12 bytes: GPA u32, size u32, type u32, little-endian). */
typedef struct ms_section {
  uint32_t gpa, size, type;
} ms_section;

/* A firmware (OVMF) or SVSM image with its parsed footer table and SEV metadata. The
 * pointers point into the caller's image bytes. */
typedef struct ms_image {
  const uint8_t *img;
  size_t len;
  ms_entry entries[MS_MAX_ENTRIES];
  size_t n_entries;
  const uint8_t *sections; /* n_sections descriptors of 12 bytes, or NULL */
  size_t n_sections;
} ms_image;

/* GUIDs in on-disk byte order. */
extern const uint8_t ms_guid_footer[16];
extern const uint8_t ms_guid_sev_metadata[16];
extern const uint8_t ms_guid_hash_table_rv[16];
extern const uint8_t ms_guid_reset_block[16];
extern const uint8_t ms_guid_svsm_info[16];

/*
 * Parse the footer table of img (what = "OVMF" or "SVSM", for details) and, when present,
 * its SEV metadata. need_metadata: fail when the metadata GUID is absent.
 * Errors: TC_ERR_PARSE "<what>_no_footer_table" is "ovmf_no_footer_table" (also for SVSM:
 * the detail names which), "ovmf_footer_table_invalid", "ovmf_no_sev_metadata",
 * "ovmf_sev_metadata_invalid".
 */
tc_status ms_image_parse(const uint8_t *img, size_t len, const char *what, int need_metadata,
                         ms_image *out, tc_error *err);

/* The entry with this GUID, or NULL. */
const ms_entry *ms_image_find(const ms_image *im, const uint8_t guid[16]);

/* The i-th SEV metadata section (i < n_sections). */
ms_section ms_image_section(const ms_image *im, size_t i);

/* Name of a section type ("snp_sec_mem", ...) or NULL when unknown. */
const char *ms_section_name(uint32_t type);

#endif
