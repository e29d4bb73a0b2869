# SPDX-License-Identifier: Apache-2.0
# Appraisal policy parsing / appraisal and EAR token verification (sources compiled into
# the harness for coverage instrumentation).
teectl_fuzzer(fuzz_appraisal
  SOURCES fuzz_appraisal.c ${PROJECT_SOURCE_DIR}/src/appraisal/policy.c
          ${PROJECT_SOURCE_DIR}/src/appraisal/policy_yaml.c
          ${PROJECT_SOURCE_DIR}/src/appraisal/appraise.c ${PROJECT_SOURCE_DIR}/src/result/keyset.c
          ${PROJECT_SOURCE_DIR}/src/result/ear.c
  LIBS teectl_base PkgConfig::JANSSON PkgConfig::JOSE PkgConfig::OPENSSL PkgConfig::YAML)
