# SPDX-License-Identifier: Apache-2.0
# Key broker harness: every parser of untrusted KBS input (Request, Attestation, SNP serde
# evidence, DCAP quote forms, init-data, session cookies, resource paths, resource rules).
# The kbs sources are compiled into the harness for the fuzzer's coverage instrumentation.
file(GLOB _kbs_src ${PROJECT_SOURCE_DIR}/src/kbs/*.c)
teectl_fuzzer(fuzz_kbs_messages SOURCES fuzz_kbs_messages.c ${_kbs_src}
  LIBS teectl_snp teectl_verify teectl_toml teectl_base PkgConfig::JOSE PkgConfig::OPENSSL
       PkgConfig::JANSSON)
