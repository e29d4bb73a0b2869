# SPDX-License-Identifier: Apache-2.0
# Appraisal policy parsing / appraisal and EAR token verification.
# Harnesses link the area libraries: with TEECTL_FUZZ every library is built with
# -fsanitize=fuzzer-no-link (top-level CMakeLists.txt), so it has coverage instrumentation.
teectl_fuzzer(fuzz_appraisal SOURCES fuzz_appraisal.c LIBS teectl_appraisal teectl_result)
