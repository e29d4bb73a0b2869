# SPDX-License-Identifier: Apache-2.0
# Collateral provider: AMD KDS and Intel PCS/PCCS clients (libcurl), on-disk cache,
# filling a tc_collateral for a piece of evidence. The evidence adapters use the SNP
# parser (whose product line type the KDS requests use) and the DCAP parser.
teectl_area(teectl_collateral
  SOURCES collateral/object.c collateral/http.c collateral/cache.c collateral/provider.c
          collateral/fill.c collateral/folder.c
  DEPS teectl_base teectl_verify teectl_snp teectl_dcap PkgConfig::CURL PkgConfig::JANSSON
       Threads::Threads)
target_link_libraries(teectl_collateral PRIVATE m)
