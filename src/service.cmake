# SPDX-License-Identifier: Apache-2.0
# The attestation service (`teectl serve`): HTTP API over libmicrohttpd, nonces,
# binding, metrics, audit, policy reload. Verification goes through teectl_verify
# (tc_verify_evidence), appraisal through teectl_appraisal, tokens through teectl_result;
# missing collateral comes from a teectl_collateral provider (cache / AMD KDS / Intel PCS).
teectl_area(teectl_service
  SOURCES service/nonce.c service/metrics.c service/audit.c service/options.c
          service/request.c service/attest.c service/kbs.c service/ratelimit.c service/policy.c service/routes.c
          service/http.c service/server.c service/ready.c
  DEPS teectl_base teectl_httpd teectl_kbs teectl_verify teectl_collateral teectl_appraisal teectl_result PkgConfig::MHD PkgConfig::JANSSON
       PkgConfig::OPENSSL Threads::Threads)
