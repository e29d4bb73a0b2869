# SPDX-License-Identifier: Apache-2.0
# SEV-SNP launch digest: firmware/SVSM images (footer table, SEV metadata, sections) and Kata
# configurations. The measure sources are compiled into each harness for coverage.
set(_measure_src ${PROJECT_SOURCE_DIR}/src/measure/ovmf.c ${PROJECT_SOURCE_DIR}/src/measure/digest.c
    ${PROJECT_SOURCE_DIR}/src/measure/vcpu.c ${PROJECT_SOURCE_DIR}/src/measure/sha256.c
    ${PROJECT_SOURCE_DIR}/src/measure/kata.c)
teectl_fuzzer(fuzz_measure_ovmf SOURCES fuzz_measure_ovmf.c ${_measure_src}
  LIBS teectl_toml teectl_base PkgConfig::OPENSSL PkgConfig::JANSSON m)
teectl_fuzzer(fuzz_measure_kata SOURCES fuzz_measure_kata.c ${_measure_src}
  ${PROJECT_SOURCE_DIR}/src/config/toml.c
  LIBS teectl_base PkgConfig::OPENSSL PkgConfig::JANSSON m)
