# SPDX-License-Identifier: Apache-2.0
# SEV-SNP launch digest (src/measure): OVMF footer table and SEV metadata, SEV hash table,
# VMSA pages, PAGE_INFO chaining; reference values for appraisal policies.
teectl_area(teectl_measure
  SOURCES measure/ovmf.c measure/digest.c measure/vcpu.c measure/sha256.c measure/kata.c
  DEPS teectl_toml teectl_base PkgConfig::OPENSSL PkgConfig::JANSSON m)
