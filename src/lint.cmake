# TOML 1.0 reader (teectl_toml) and the Kata / containerd / RuntimeClass linter (teectl_lint).
teectl_area(teectl_toml
  SOURCES config/toml.c
  DEPS teectl_base PkgConfig::JANSSON m)
