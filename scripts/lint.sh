#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Style and static checks with the repo's .clang-format and .clang-tidy:
#   clang-format: any file that differs from its formatted form fails the run.
#   clang-tidy:   run over src/ with the build's compile_commands.json; findings are
#                 printed; with TIDY_STRICT=1 any finding fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h')
bad=0
for f in "${files[@]}"; do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "lint: $f is not clang-formatted (run: clang-format -i $f)" >&2
    bad=1
  fi
done
# One crypto module: OpenSSL headers only in src/crypto (and in the SNP and DCAP verifiers,
# which still hold OpenSSL certificate objects of their own; none in include/).
openssl_ok='^src/crypto/|^src/verifier/(snp|dcap)_[a-z_]+\.[ch]$'
while IFS= read -r f; do
  if ! [[ "$f" =~ $openssl_ok ]]; then
    echo "lint: $f includes an OpenSSL header; use teectl/crypto.h or a crypto/*.h helper" >&2
    bad=1
  fi
done < <(git grep -l -E '^#include <openssl/' -- 'src/*.[ch]' 'include/*.h' || true)
# One spelling per shared reason code: the retired ones listed in src/core/reason.h.
while IFS= read -r retired; do
  hits=$(git grep -n -F "\"$retired\"" -- 'src/*.[ch]' ':!src/core/reason.h' || true)
  if [ -n "$hits" ]; then
    echo "$hits" >&2
    echo "lint: reason code \"$retired\" is retired (see src/core/reason.h)" >&2
    bad=1
  fi
done < <(sed -n 's/^ \*   "\([a-z_]*\)" *-> .*/\1/p' src/core/reason.h)
if [ "${SKIP_TIDY:-0}" != 1 ]; then
  [ -f build/compile_commands.json ] || scripts/setup.sh
  mapfile -t srcs < <(git ls-files 'src/*.c')
  out=$(clang-tidy -p build --quiet "${srcs[@]}" 2>/dev/null | grep -E 'warning:|error:' || true)
  if [ -n "$out" ]; then
    echo "$out"
    echo "lint: clang-tidy reported $(echo "$out" | wc -l) finding(s)" >&2
    [ "${TIDY_STRICT:-0}" = 1 ] && bad=1
  fi
fi
exit $bad
