# SPDX-License-Identifier: Apache-2.0
# Attestation service: request bodies (v1 and compat), nonces, base64 and the binding.
# Harnesses link the area libraries: with TEECTL_FUZZ every library is built with
# -fsanitize=fuzzer-no-link (top-level CMakeLists.txt), so it has coverage instrumentation.
teectl_fuzzer(fuzz_service_request SOURCES fuzz_service_request.c LIBS teectl_service)
