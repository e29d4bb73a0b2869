#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build the libFuzzer harnesses with clang + ASan/UBSan into build-fuzz/ and run each
# for FUZZ_SECONDS (default 60) seconds, seeded from fuzz/corpus/<name> when present
# and from the shared vectors. Any crash, leak or sanitizer report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
CC=clang BUILD_DIR=build-fuzz BUILD_TYPE=Debug scripts/setup.sh -DTEECTL_FUZZ=ON -DTEECTL_SANITIZE=ON
secs=${FUZZ_SECONDS:-60}
vec=${TEECTL_VECTORS_DIR:-../shared/vectors}
shopt -s nullglob
for f in build-fuzz/fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f")
  work=build-fuzz/corpus/$name
  mkdir -p "$work"
  seeds=("$work")
  [ -d "fuzz/corpus/$name" ] && seeds+=("fuzz/corpus/$name")
  # Harnesses name their seed folders in fuzz/<name>.seeds (paths relative to the vectors).
  # A pattern may name single files (e.g. dcap/*/quote.bin): libFuzzer only takes corpus
  # folders next to the working corpus, so those are gathered into build-fuzz/seeds/<name>.
  if [ -f "fuzz/$name.seeds" ] && [ -d "$vec" ]; then
    files=build-fuzz/seeds/$name
    rm -rf "$files"
    while read -r s; do
      [ -n "$s" ] && for p in $vec/$s; do
        if [ -d "$p" ]; then
          seeds+=("$p")
        elif [ -f "$p" ]; then
          mkdir -p "$files" && cp "$p" "$files/$(printf '%s' "${p#"$vec"/}" | tr '/' '_')"
        fi
      done
    done < "fuzz/$name.seeds"
    [ -d "$files" ] && seeds+=("$files")
  fi
  echo "fuzz: $name for ${secs}s" >&2
  log=build-fuzz/$name.log
  if ! "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix=build-fuzz/ "${seeds[@]}" >"$log" 2>&1; then
    cat "$log" >&2 # the whole report: stack, input, artifact path
    echo "fuzz: $name FAILED (reproduce: $f build-fuzz/crash-*)" >&2
    exit 1
  fi
  tail -n 5 "$log"
done
