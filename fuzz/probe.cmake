# SPDX-License-Identifier: Apache-2.0
# Probe text parsers (cpuid dump, DEVICES.txt, cpuinfo flags, misc cgroup lines, module
# parameters) and the consumers of a probe JSON (NFD/human text, platform choice).
# Harnesses link the area libraries: with TEECTL_FUZZ every library is built with
# -fsanitize=fuzzer-no-link (top-level CMakeLists.txt), so it has coverage instrumentation.
teectl_fuzzer(fuzz_probe_parsers SOURCES fuzz_probe_parsers.c
  LIBS teectl_node teectl_configgen)
