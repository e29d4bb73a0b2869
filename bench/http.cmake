# SPDX-License-Identifier: Apache-2.0
# bench_http: POST /v1/attest against the real `teectl serve` (own process, 2 threads) under
# wrk, for a real SNP report and a real TDX quote: requests/s, p50/p90/p99, server RSS and
# CPU per request, zero non-2xx answers asserted; ratios to OpenSSL's single-core P-384 /
# P-256 verify rates (openssl speed) and to the in-process rate on 2 threads, same run.
# --against OTHER_TEECTL also runs another build's server beside this one, alternated bursts:
# CPU per request of both, same load (before/after comparisons on a shared machine).
# Run: build/bench/bench_http [--seconds S] [--against OTHER_TEECTL [--rounds N]]
add_executable(bench_http ${CMAKE_CURRENT_LIST_DIR}/bench_http.c)
target_link_libraries(bench_http PRIVATE teectl_core PkgConfig::OPENSSL
                      PkgConfig::JANSSON Threads::Threads)
target_compile_definitions(bench_http PRIVATE TEECTL_BIN="$<TARGET_FILE:teectl>"
                           TEECTL_VECTORS_DEFAULT="${TEECTL_VECTORS_DIR}")
add_dependencies(bench_http teectl)
