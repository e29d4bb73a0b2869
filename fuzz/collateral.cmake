# SPDX-License-Identifier: Apache-2.0
# Collateral: parsing of fetched bytes.
# Harnesses link the area libraries: with TEECTL_FUZZ every library is built with
# -fsanitize=fuzzer-no-link (top-level CMakeLists.txt), so it has coverage instrumentation.
teectl_fuzzer(fuzz_collateral_validity SOURCES fuzz_collateral_validity.c
  LIBS teectl_collateral teectl_snp)
