# SPDX-License-Identifier: Apache-2.0
# The one verification entry point (tc_verify_evidence) over the SNP and DCAP verifiers.
teectl_area(teectl_verify SOURCES verifier/verify.c
  DEPS teectl_snp teectl_dcap teectl_base PkgConfig::JANSSON)
