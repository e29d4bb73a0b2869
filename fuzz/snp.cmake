# SPDX-License-Identifier: Apache-2.0
# AMD SEV-SNP harnesses. The SNP sources are compiled into each harness so that they get
# the fuzzer's coverage instrumentation.
set(_snp_src ${PROJECT_SOURCE_DIR}/src/evidence/snp_report.c
    ${PROJECT_SOURCE_DIR}/src/verifier/snp_verify.c)
teectl_fuzzer(fuzz_snp_parse SOURCES fuzz_snp_parse.c ${_snp_src}
  LIBS teectl_base PkgConfig::OPENSSL PkgConfig::JANSSON)
teectl_fuzzer(fuzz_snp_verify SOURCES fuzz_snp_verify.c ${_snp_src}
  LIBS teectl_snp_forge teectl_base PkgConfig::OPENSSL PkgConfig::JANSSON)
