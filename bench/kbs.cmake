# SPDX-License-Identifier: Apache-2.0
# bench_kbs: full KBS round trips (auth + attest + resource) per second over HTTP against an
# in-process `teectl serve --resources`, as a ratio to the in-process verify rate of the same
# evidence measured in the same run (SNP, test hierarchy). Run: build/bench/bench_kbs
add_executable(bench_kbs ${CMAKE_CURRENT_LIST_DIR}/bench_kbs.c)
target_link_libraries(bench_kbs PRIVATE teectl_core teectl_snp_forge PkgConfig::CURL
                      PkgConfig::JOSE PkgConfig::JANSSON Threads::Threads)
