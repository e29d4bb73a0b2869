# teectl exporter: Prometheus text exposition of TEE capacity (from the probe) and
# Kata sandboxes (from /proc and the runtimes' state directories), served over HTTP.
teectl_area(teectl_exporter
  SOURCES exporter/prom.c exporter/tee.c exporter/kata.c
  DEPS teectl_base PkgConfig::MHD PkgConfig::JANSSON)
