# Appraisal policy (src/appraisal) and attestation results: EAR tokens, JWKS (src/result).
teectl_area(teectl_appraisal
  SOURCES appraisal/policy.c appraisal/appraise.c
  DEPS teectl_base PkgConfig::JANSSON PkgConfig::OPENSSL)
