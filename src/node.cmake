# SPDX-License-Identifier: Apache-2.0
# Node side: the TEE capability probe (CPUID, /proc, /sys, device nodes; NFD and human
# output) and the Kata / containerd / RuntimeClass configuration generator.
teectl_area(teectl_node
  SOURCES node/parse.c node/cpuid.c node/rootfs.c node/attest_iface.c node/probe.c node/nfd.c node/kata.c
  DEPS teectl_toml teectl_base PkgConfig::JANSSON)
file(GLOB _configgen_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/config/generate*.c)
if(_configgen_sources)
  teectl_area(teectl_configgen SOURCES ${_configgen_sources} DEPS teectl_node teectl_base PkgConfig::JANSSON)
endif()
