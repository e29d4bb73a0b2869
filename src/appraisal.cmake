# SPDX-License-Identifier: Apache-2.0
# Appraisal policy (src/appraisal) and attestation results: EAR tokens, JWKS (src/result).
teectl_area(teectl_appraisal
  SOURCES appraisal/policy.c appraisal/policy_yaml.c appraisal/appraise.c
  DEPS teectl_base PkgConfig::JANSSON PkgConfig::OPENSSL PkgConfig::YAML)
teectl_area(teectl_result
  SOURCES result/keyset.c result/ear.c
  DEPS teectl_appraisal teectl_base PkgConfig::JANSSON PkgConfig::JOSE PkgConfig::OPENSSL)
