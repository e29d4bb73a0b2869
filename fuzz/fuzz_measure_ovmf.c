/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: SEV-SNP launch digest of an arbitrary firmware image (footer table, SEV
 * metadata, sections), with and without kernel hashes, on every VMM, and the same bytes as
 * an SVSM image. The input is padded with zeros at its front to whole pages, so that its end
 * (where the footer table lies) is kept. */
#include <stdlib.h>
#include <string.h>

#include "teectl/measure.h"

#define PAGE 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 64 * PAGE)
    return 0;
  size_t len = (size + PAGE - 1) / PAGE * PAGE;
  if (len == 0)
    len = PAGE;
  uint8_t *img = calloc(1, len);
  if (img == NULL)
    return 0;
  memcpy(img + len - size, data, size);
  tc_snp_kernel_hashes h;
  memset(&h, 0x5a, sizeof h);
  uint8_t d[TC_SNP_DIGEST_LEN];
  tc_error err;
  for (int v = TC_SNP_VMM_QEMU; v <= TC_SNP_VMM_GCE; v++) {
    tc_snp_launch l = {.ovmf = img,
                       .ovmf_len = len,
                       .hashes = v == 1 ? NULL : &h,
                       .vcpus = 3,
                       .vcpu_sig = 0xA00F11,
                       .guest_features = 1,
                       .vmm = (tc_snp_vmm)v};
    json_t *regions = json_array();
    (void)tc_snp_launch_digest(&l, d, regions, &err);
    json_decref(regions);
  }
  tc_snp_launch s = {.ovmf = img,
                     .ovmf_len = PAGE,
                     .svsm = img,
                     .svsm_len = len,
                     .vars_size = PAGE,
                     .vcpus = 2,
                     .vcpu_sig = 0x800F12};
  (void)tc_snp_launch_digest(&s, d, NULL, &err);
  free(img);
  return 0;
}
