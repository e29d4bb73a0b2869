# SPDX-License-Identifier: Apache-2.0
# Shared helpers: error values, hex, RFC 3339 time, byte buffers, growing strings, file reading,
# X.509 / CRL helpers (OpenSSL) shared by the SNP and DCAP verifiers.
teectl_area(teectl_base
  SOURCES core/error.c core/hex.c core/rfc3339.c core/file.c core/strbuf.c core/x509.c core/listen.c
  DEPS PkgConfig::OPENSSL PkgConfig::JANSSON)
# What the HTTP servers (service, exporter) share on libmicrohttpd (core/httpd.h).
teectl_area(teectl_httpd
  SOURCES core/httpd.c
  DEPS teectl_base PkgConfig::MHD)
