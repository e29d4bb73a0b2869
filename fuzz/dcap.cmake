# SPDX-License-Identifier: Apache-2.0
# Intel DCAP harnesses. The DCAP sources are compiled into each harness so that they get
# the fuzzer's coverage instrumentation.
set(_dcap_src ${PROJECT_SOURCE_DIR}/src/evidence/dcap_quote.c
    ${PROJECT_SOURCE_DIR}/src/verifier/dcap_pck.c ${PROJECT_SOURCE_DIR}/src/verifier/dcap_tcb_info.c
    ${PROJECT_SOURCE_DIR}/src/verifier/dcap_verify.c)
teectl_fuzzer(fuzz_dcap_parse SOURCES fuzz_dcap_parse.c ${_dcap_src}
  LIBS teectl_base PkgConfig::OPENSSL PkgConfig::JANSSON)
teectl_fuzzer(fuzz_dcap_verify SOURCES fuzz_dcap_verify.c ${_dcap_src}
  LIBS teectl_dcap_forge teectl_base PkgConfig::OPENSSL PkgConfig::JANSSON)
teectl_fuzzer(fuzz_dcap_collateral SOURCES fuzz_dcap_collateral.c ${_dcap_src}
  LIBS teectl_base PkgConfig::OPENSSL PkgConfig::JANSSON)
