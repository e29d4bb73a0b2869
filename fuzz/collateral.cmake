# SPDX-License-Identifier: Apache-2.0
# Collateral: parsing of fetched bytes (object.c compiled into the harness for coverage).
teectl_fuzzer(fuzz_collateral_validity
  SOURCES fuzz_collateral_validity.c ${PROJECT_SOURCE_DIR}/src/collateral/object.c
  LIBS teectl_snp teectl_base PkgConfig::OPENSSL PkgConfig::JANSSON)
