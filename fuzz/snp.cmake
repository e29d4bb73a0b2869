# SPDX-License-Identifier: Apache-2.0
# AMD SEV-SNP harnesses: report parsing and verification against forged hierarchies.
# Harnesses link the area libraries: with TEECTL_FUZZ every library is built with
# -fsanitize=fuzzer-no-link (top-level CMakeLists.txt), so it has coverage instrumentation.
teectl_fuzzer(fuzz_snp_parse SOURCES fuzz_snp_parse.c LIBS teectl_snp)
teectl_fuzzer(fuzz_snp_verify SOURCES fuzz_snp_verify.c LIBS teectl_snp_forge teectl_snp)
