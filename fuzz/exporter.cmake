# SPDX-License-Identifier: Apache-2.0
# Exporter parsers.
# Harnesses link the area libraries: with TEECTL_FUZZ every library is built with
# -fsanitize=fuzzer-no-link (top-level CMakeLists.txt), so it has coverage instrumentation.
teectl_fuzzer(fuzz_exporter_parse SOURCES fuzz_exporter_parse.c
  LIBS teectl_exporter teectl_node)
