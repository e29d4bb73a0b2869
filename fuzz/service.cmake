# SPDX-License-Identifier: Apache-2.0
# Attestation service: request bodies (v1 and compat), nonces, base64 and the binding
# (the service sources compiled into the harness for coverage instrumentation).
teectl_fuzzer(fuzz_service_request
  SOURCES fuzz_service_request.c ${PROJECT_SOURCE_DIR}/src/service/request.c
          ${PROJECT_SOURCE_DIR}/src/service/b64.c ${PROJECT_SOURCE_DIR}/src/service/nonce.c
  LIBS teectl_base PkgConfig::JANSSON PkgConfig::OPENSSL)
