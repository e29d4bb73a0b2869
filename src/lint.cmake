# SPDX-License-Identifier: Apache-2.0
# TOML 1.0 reader (teectl_toml) and the Kata / containerd / RuntimeClass linter (teectl_lint).
teectl_area(teectl_toml
  SOURCES config/toml.c config/toml_json.c
  DEPS teectl_base PkgConfig::JANSSON m)
teectl_area(teectl_lint
  SOURCES config/lint.c config/lint_kata.c config/lint_kata_platform.c config/lint_containerd.c config/lint_runtimeclass.c
          config/kata_schema.c config/lint_measure.c
  DEPS teectl_toml teectl_base PkgConfig::JANSSON PkgConfig::YAML m)
