# SPDX-License-Identifier: Apache-2.0
# The attester's parsers of host-controlled bytes: SNP certificate table, report -> KBS JSON.
teectl_fuzzer(fuzz_attester_wire SOURCES fuzz_attester_wire.c LIBS teectl_attester)
