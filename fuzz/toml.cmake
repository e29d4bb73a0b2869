# SPDX-License-Identifier: Apache-2.0
# The reader's source is compiled into the harness so that it gets the fuzzer's coverage
# instrumentation (fuzz/CMakeLists.txt adds -fsanitize=fuzzer-no-link only in this folder).
teectl_fuzzer(fuzz_toml_parse
  SOURCES fuzz_toml_parse.c ${PROJECT_SOURCE_DIR}/src/config/toml.c
  LIBS teectl_base PkgConfig::JANSSON m)
teectl_fuzzer(fuzz_config_lint
  SOURCES fuzz_config_lint.c ${PROJECT_SOURCE_DIR}/src/config/toml.c
          ${PROJECT_SOURCE_DIR}/src/config/lint.c ${PROJECT_SOURCE_DIR}/src/config/lint_kata.c
          ${PROJECT_SOURCE_DIR}/src/config/lint_containerd.c
          ${PROJECT_SOURCE_DIR}/src/config/lint_runtimeclass.c
          ${PROJECT_SOURCE_DIR}/src/config/kata_schema.c
  LIBS teectl_base PkgConfig::JANSSON PkgConfig::YAML m)
