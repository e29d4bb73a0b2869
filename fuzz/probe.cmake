# SPDX-License-Identifier: Apache-2.0
# Probe text parsers (cpuid dump, DEVICES.txt, cpuinfo flags, misc cgroup lines, module
# parameters) and the consumers of a probe JSON (NFD/human text, platform choice). The
# sources are compiled into the harness so that they get coverage instrumentation.
teectl_fuzzer(fuzz_probe_parsers
  SOURCES fuzz_probe_parsers.c ${PROJECT_SOURCE_DIR}/src/node/parse.c
          ${PROJECT_SOURCE_DIR}/src/node/cpuid.c ${PROJECT_SOURCE_DIR}/src/node/probe.c
          ${PROJECT_SOURCE_DIR}/src/node/nfd.c ${PROJECT_SOURCE_DIR}/src/config/generate.c
  LIBS teectl_base PkgConfig::JANSSON)
