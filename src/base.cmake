# SPDX-License-Identifier: Apache-2.0
# Shared helpers: error values, hex, RFC 3339 time, byte buffers, growing strings, file reading;
# and the one crypto module (src/crypto/, the only place that calls OpenSSL's primitives):
# digests, MACs, HKDF, AES-GCM, random bytes, token ids (teectl/crypto.h), base64
# (teectl/base64.h), JWK public-key operations (crypto/jwk.h), X.509 / CRL helpers and raw ECDSA
# verification shared by the SNP and DCAP verifiers (private crypto/*.h), ECDSA P-384 with a
# ready key on Nettle (crypto/p384.c: the SNP report signature); the bounded cache of
# verified objects (core/vcache.h).
teectl_area(teectl_base
  SOURCES core/error.c core/hex.c core/rfc3339.c core/file.c core/strbuf.c core/listen.c core/verdict.c
          core/vcache.c
          crypto/hash.c crypto/token_id.c crypto/x509.c crypto/x509_keyed.c crypto/ecdsa.c crypto/p384.c crypto/trust.c
          crypto/ossl.c crypto/symmetric.c crypto/jwk.c crypto/base64.c crypto/cert.c
  DEPS PkgConfig::OPENSSL PkgConfig::JANSSON PkgConfig::JOSE PkgConfig::NETTLE Threads::Threads)
# What the HTTP servers (service, exporter) share on libmicrohttpd (core/httpd.h).
teectl_area(teectl_httpd
  SOURCES core/httpd.c
  DEPS teectl_base PkgConfig::MHD)
