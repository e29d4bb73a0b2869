# AMD SEV-SNP: attestation report parsing (evidence/) and verification (verifier/):
# ARK -> ASK/ASVK -> VCEK/VLEK chain with pinned AMD roots, CRL, report signature.
teectl_area(teectl_snp
  SOURCES evidence/snp_report.c verifier/snp_verify.c
  DEPS teectl_base PkgConfig::OPENSSL PkgConfig::JANSSON)
