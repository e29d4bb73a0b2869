# SPDX-License-Identifier: Apache-2.0
# bench_snp: SEV-SNP verifications/s in process, cold (no cache) and hot (the chain cached in
# a tc_verifier; also on one verifier shared by every CPU), as ratios to the OpenSSL P-384,
# Nettle P-384 and OpenSSL P-256 verify rates of the same run, best of N rounds.
# Run: build/bench/bench_snp [--case NAME] [--rounds N] [--seconds S]
add_executable(bench_snp ${CMAKE_CURRENT_LIST_DIR}/bench_snp.c)
target_link_libraries(bench_snp PRIVATE teectl_core PkgConfig::OPENSSL PkgConfig::JANSSON
                      PkgConfig::NETTLE Threads::Threads)
