# Collateral provider: AMD KDS and Intel PCS/PCCS clients (libcurl), on-disk cache,
# filling a tc_collateral for a piece of evidence. The evidence adapters use the SNP and
# DCAP parsers when those areas are in the tree.
set(_collateral_deps teectl_base teectl_verify PkgConfig::CURL PkgConfig::JANSSON
    Threads::Threads)
set(_collateral_defs)
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/snp.cmake)
  list(APPEND _collateral_deps teectl_snp)
  list(APPEND _collateral_defs TEECTL_HAVE_SNP=1)
endif()
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/dcap.cmake)
  list(APPEND _collateral_deps teectl_dcap)
  list(APPEND _collateral_defs TEECTL_HAVE_DCAP=1)
endif()
teectl_area(teectl_collateral
  SOURCES collateral/object.c collateral/http.c collateral/cache.c collateral/provider.c
          collateral/fill.c
  DEPS ${_collateral_deps})
target_compile_definitions(teectl_collateral PRIVATE ${_collateral_defs})
target_link_libraries(teectl_collateral PRIVATE m)
