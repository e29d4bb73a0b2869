# SPDX-License-Identifier: Apache-2.0
# Collateral provider: AMD KDS and Intel PCS/PCCS clients (libcurl), on-disk cache,
# filling a tc_collateral for a piece of evidence. The evidence adapters use the SNP
# parser (whose product line type the KDS requests use) and, when that area is in the tree,
# the DCAP parser.
set(_collateral_deps teectl_base teectl_verify teectl_snp PkgConfig::CURL PkgConfig::JANSSON
    Threads::Threads)
set(_collateral_defs)
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/dcap.cmake)
  list(APPEND _collateral_deps teectl_dcap)
  list(APPEND _collateral_defs TEECTL_HAVE_DCAP=1)
endif()
teectl_area(teectl_collateral
  SOURCES collateral/object.c collateral/http.c collateral/cache.c collateral/provider.c
          collateral/fill.c collateral/folder.c
  DEPS ${_collateral_deps})
target_compile_definitions(teectl_collateral PRIVATE ${_collateral_defs})
target_link_libraries(teectl_collateral PRIVATE m)
