# SPDX-License-Identifier: Apache-2.0
# bench_startup: whole-process start-up of `teectl probe` and `teectl verify` (SNP) as ratios
# to a program that only initialises libcrypto (bench_startup_floor), same run, best of N;
# also verify through teectl-full (every library) and a command forwarded to it.
# Run: build/bench/bench_startup [--runs N]
add_executable(bench_startup_floor ${CMAKE_CURRENT_LIST_DIR}/startup_floor.c)
target_link_libraries(bench_startup_floor PRIVATE PkgConfig::OPENSSL)
add_executable(bench_startup ${CMAKE_CURRENT_LIST_DIR}/bench_startup.c)
target_link_libraries(bench_startup PRIVATE PkgConfig::JANSSON)
target_compile_definitions(bench_startup PRIVATE
  TEECTL_BIN="$<TARGET_FILE:teectl>" TEECTL_FULL_BIN="$<TARGET_FILE:teectl-full>"
  FLOOR_BIN="$<TARGET_FILE:bench_startup_floor>" TEECTL_VECTORS_DEFAULT="${TEECTL_VECTORS_DIR}")
add_dependencies(bench_startup bench_startup_floor teectl)
