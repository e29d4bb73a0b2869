# SPDX-License-Identifier: Apache-2.0
# bench_measure: SEV-SNP launch digest of a 4 MiB firmware with kernel hashes (the issue's
# budget: under 50 ms), as a ratio to one SHA-384 pass over the same image measured in the
# same run. Run: build/bench/bench_measure
add_executable(bench_measure ${CMAKE_CURRENT_LIST_DIR}/bench_measure.c)
target_link_libraries(bench_measure PRIVATE teectl_measure teectl_base)
