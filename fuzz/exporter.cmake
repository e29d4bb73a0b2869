# SPDX-License-Identifier: Apache-2.0
# Exporter parsers (compiled into the harness for coverage instrumentation).
teectl_fuzzer(fuzz_exporter_parse
  SOURCES fuzz_exporter_parse.c ${PROJECT_SOURCE_DIR}/src/exporter/prom.c
          ${PROJECT_SOURCE_DIR}/src/exporter/tee.c ${PROJECT_SOURCE_DIR}/src/exporter/kata.c
  LIBS teectl_node teectl_base PkgConfig::JANSSON m)
