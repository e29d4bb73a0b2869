# SPDX-License-Identifier: Apache-2.0
# The TOML reader and the config linter.
# Harnesses link the area libraries: with TEECTL_FUZZ every library is built with
# -fsanitize=fuzzer-no-link (top-level CMakeLists.txt), so it has coverage instrumentation.
teectl_fuzzer(fuzz_toml_parse SOURCES fuzz_toml_parse.c LIBS teectl_toml)
teectl_fuzzer(fuzz_config_lint SOURCES fuzz_config_lint.c LIBS teectl_lint teectl_toml)
