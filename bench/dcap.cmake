# SPDX-License-Identifier: Apache-2.0
# bench_dcap: DCAP quotes verified per second in process (TDX v4, SGX v3 vector cases) as a
# ratio to OpenSSL's ECDSA P-256 verify rate measured in the same run (best of N
# alternating rounds). Run: build/bench/bench_dcap
add_executable(bench_dcap ${CMAKE_CURRENT_LIST_DIR}/bench_dcap.c)
target_link_libraries(bench_dcap PRIVATE teectl_dcap teectl_verify PkgConfig::OPENSSL
                      PkgConfig::JANSSON)
