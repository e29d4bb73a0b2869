# SPDX-License-Identifier: Apache-2.0
# teectl exporter: Prometheus text exposition of TEE capacity (from the probe) and
# Kata sandboxes (from /proc and the runtimes' state directories), served over HTTP.
teectl_area(teectl_exporter
  SOURCES exporter/prom.c exporter/tee.c exporter/kata.c exporter/kata_proc.c exporter/scrape.c exporter/http.c
  DEPS teectl_base teectl_httpd teectl_node PkgConfig::MHD PkgConfig::JANSSON Threads::Threads m)
