# SPDX-License-Identifier: Apache-2.0
# The attester (guest side, `teectl attest`): evidence from configfs-tsm, /dev/sev-guest,
# /dev/tdx_guest or an evidence command; clients of teectl's /v1 API and of a KBS (libcurl for
# HTTP(S), libjose for the tee key and the JWE, jansson for JSON; the runtime-data binding and
# resource names from teectl_kbs, the broker's own code).
teectl_area(teectl_attester
  SOURCES attester/tsm.c attester/devices.c attester/evidence_cmd.c attester/evidence.c attester/aa.c
          attester/wire.c attester/http.c attester/service_client.c attester/kbs_client.c
  DEPS teectl_kbs teectl_node teectl_base PkgConfig::JOSE PkgConfig::CURL PkgConfig::JANSSON PkgConfig::OPENSSL)
