# SPDX-License-Identifier: Apache-2.0
# bench_service: verifications/s of the attestation service (in-process SNP and TDX, and
# over HTTP with wrk), each as a ratio to the ECDSA P-384 / P-256 verify rates measured in
# the same run; OpenSSL vs Nettle P-384 verify. Run: build/bench/bench_service
add_executable(bench_service ${CMAKE_CURRENT_LIST_DIR}/bench_service.c)
target_link_libraries(bench_service PRIVATE teectl_core PkgConfig::OPENSSL PkgConfig::JANSSON
                      PkgConfig::NETTLE)
