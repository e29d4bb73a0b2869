# SPDX-License-Identifier: Apache-2.0
# Intel DCAP harnesses: quote parsing, verification against forged hierarchies, collateral.
# Harnesses link the area libraries: with TEECTL_FUZZ every library is built with
# -fsanitize=fuzzer-no-link (top-level CMakeLists.txt), so it has coverage instrumentation.
teectl_fuzzer(fuzz_dcap_parse SOURCES fuzz_dcap_parse.c LIBS teectl_dcap)
teectl_fuzzer(fuzz_dcap_verify SOURCES fuzz_dcap_verify.c LIBS teectl_dcap_forge teectl_dcap)
teectl_fuzzer(fuzz_dcap_collateral SOURCES fuzz_dcap_collateral.c LIBS teectl_dcap)
