# SPDX-License-Identifier: Apache-2.0
# AMD SEV-SNP: attestation report parsing (evidence/) and verification (verifier/):
# ARK -> ASK/ASVK -> VCEK/VLEK chain with pinned AMD roots, CRL, report signature.
teectl_area(teectl_snp
  SOURCES evidence/snp_report.c verifier/snp_chain.c verifier/snp_verify.c
  DEPS teectl_base PkgConfig::OPENSSL PkgConfig::JANSSON)

# tools/snp-demo-gen writes a TEST-ONLY hierarchy and report into <build>/demo-snp at build
# time (scripts/demo.sh verifies it when the shared vectors are absent).
add_executable(snp-demo-gen ${PROJECT_SOURCE_DIR}/tools/snp-demo-gen.c)
target_link_libraries(snp-demo-gen PRIVATE teectl_snp teectl_snp_forge)
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/demo-snp/report.bin
  COMMAND snp-demo-gen ${PROJECT_BINARY_DIR}/demo-snp
  DEPENDS snp-demo-gen
  COMMENT "Generating the TEST-ONLY SEV-SNP demo collateral and report (demo-snp/)")
add_custom_target(demo-snp ALL DEPENDS ${PROJECT_BINARY_DIR}/demo-snp/report.bin)
