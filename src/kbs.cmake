# SPDX-License-Identifier: Apache-2.0
# Key broker (src/kbs): the Confidential Containers KBS protocol pieces that
# `teectl serve --resources` mounts: messages, RFC 8785 binding, sealed session cookies,
# evidence wire forms, init-data, resource store and policy, JWE (libjose), RFC 7807 bodies.
teectl_area(teectl_kbs
  SOURCES kbs/jcs.c kbs/hash.c kbs/binding.c kbs/protocol.c kbs/session.c kbs/evidence.c kbs/initdata.c
          kbs/resource.c kbs/rules.c kbs/jwe.c kbs/problem.c
  DEPS teectl_base teectl_snp teectl_verify teectl_toml PkgConfig::JANSSON PkgConfig::JOSE PkgConfig::OPENSSL)
