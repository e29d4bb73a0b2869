#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The CLI's three programs (src/cli/main.c): teectl runs probe, config, verify and measure
# with a small link set, hands token to teectl-token and every other command to teectl-full
# by exec.
#  - teectl's ELF NEEDED list has libcrypto and jansson but none of libcurl, libmicrohttpd,
#    libjose or GnuTLS; teectl-token's adds libjose, still without libcurl, libmicrohttpd or
#    GnuTLS; teectl-full's has libcurl, libmicrohttpd and libjose (so the check sees what it
#    looks for);
#  - a forwarded command works through teectl and through a teectl-<command> symlink;
#    token verify --jwks URL goes on to teectl-full (libcurl);
#  - teectl without the other two beside it: core commands still run, a forwarded command
#    (and verify --fetch) exits 2 with one line naming the missing file; a program that
#    cannot be executed is named the same way.
# Usage: cli_link_set.sh TEECTL TEECTL_TOKEN TEECTL_FULL
set -u
BIN=$1
TOKEN=$2
FULL=$3
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
needed "$BIN" >"$tmp/core.needed"
needed "$TOKEN" >"$tmp/token.needed"
needed "$FULL" >"$tmp/full.needed"
for lib in libcrypto.so libjansson.so; do
  grep -q "^$lib" "$tmp/core.needed" || { echo "FAIL: teectl does not link $lib:"; cat "$tmp/core.needed"; fail=1; }
done
for lib in libcurl.so libmicrohttpd.so libjose.so libgnutls.so; do
  if grep -q "^$lib" "$tmp/core.needed"; then echo "FAIL: teectl links $lib"; fail=1; fi
done
grep -q "^libjose.so" "$tmp/token.needed" || { echo "FAIL: teectl-token does not link libjose"; fail=1; }
for lib in libcurl.so libmicrohttpd.so libgnutls.so; do
  if grep -q "^$lib" "$tmp/token.needed"; then echo "FAIL: teectl-token links $lib"; fail=1; fi
done
for lib in libcurl.so libmicrohttpd.so libjose.so; do
  grep -q "^$lib" "$tmp/full.needed" || { echo "FAIL: teectl-full does not link $lib"; fail=1; }
done

# Forwarded commands, directly and through a symlink named teectl-<command>.
for cmd in serve token collateral exporter attest; do
  out=$("$BIN" "$cmd" --help 2>&1); rc=$?
  [ "$rc" = 0 ] && printf '%s\n' "$out" | grep -q "Usage: teectl $cmd" ||
    { echo "FAIL: teectl $cmd --help through teectl-full: exit $rc: $out"; fail=1; }
done
mkdir "$tmp/sym"
ln -s "$BIN" "$tmp/sym/teectl-serve"
out=$("$tmp/sym/teectl-serve" --help 2>&1); rc=$?
[ "$rc" = 0 ] && printf '%s\n' "$out" | grep -q "Usage: teectl serve" ||
  { echo "FAIL: teectl-serve symlink --help: exit $rc: $out"; fail=1; }
# The forwarded command's own answer and exit code come back unchanged (here: usage error 2).
"$BIN" token verify --jwks "$tmp/no-such-jwks.json" abc >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" = 2 ] && grep -q "no-such-jwks.json" "$tmp/err" ||
  { echo "FAIL: token verify with a missing JWKS: exit $rc:"; cat "$tmp/err"; fail=1; }

# A JWKS URL is fetched by teectl-full: nothing listens on port 1 of loopback, so libcurl's
# connection error is the answer (teectl-token alone would not know the URL form).
"$BIN" token verify --jwks http://127.0.0.1:1/jwks.json abc >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" = 2 ] && grep -q "cannot fetch JWKS http://127.0.0.1:1/jwks.json" "$tmp/err" ||
  { echo "FAIL: token verify --jwks URL: exit $rc:"; cat "$tmp/err"; fail=1; }

# Without /proc (a mount namespace where it is unmounted; only where unshare is allowed), the
# programs are found through the path teectl was started by. Not in a sanitizer build, whose
# LeakSanitizer stops a process that has no /proc.
if ! grep -q '^lib[a-z]*san\.so' "$tmp/core.needed" && unshare --mount --propagation private true 2>/dev/null; then
  out=$(unshare --mount --propagation private sh -c "umount -l /proc && \"$BIN\" serve --help" 2>&1); rc=$?
  [ "$rc" = 0 ] && printf '%s\n' "$out" | grep -q "Usage: teectl serve" ||
    { echo "FAIL: serve --help without /proc: exit $rc: $out"; fail=1; }
fi

# teectl alone, without teectl-token and teectl-full at ../libexec/teectl.
mkdir -p "$tmp/alone/bin"
cp "$BIN" "$tmp/alone/bin/teectl"
want="$tmp/alone/bin/../libexec/teectl/teectl-full"
"$tmp/alone/bin/teectl" probe --help >/dev/null 2>&1 || { echo "FAIL: probe --help without teectl-full"; fail=1; }
for args in "serve --help" "verify --fetch $tmp/no-evidence.bin" "token verify --help"; do
  case $args in token*) w="$tmp/alone/bin/../libexec/teectl/teectl-token" ;; *) w=$want ;; esac
  # shellcheck disable=SC2086
  "$tmp/alone/bin/teectl" $args >/dev/null 2>"$tmp/err"; rc=$?
  if [ "$rc" != 2 ] || [ "$(wc -l <"$tmp/err")" != 1 ] || ! grep -qF "$w, which is missing" "$tmp/err"; then
    echo "FAIL: teectl $args without its program: exit $rc (want 2, one line naming $w):"
    cat "$tmp/err"; fail=1
  fi
done
mkdir -p "$tmp/alone/libexec/teectl"
cp "$FULL" "$want"
chmod 0644 "$want"
"$tmp/alone/bin/teectl" serve --help >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" = 2 ] && grep -qF "$want, which cannot be started" "$tmp/err" ||
  { echo "FAIL: non-executable teectl-full: exit $rc:"; cat "$tmp/err"; fail=1; }
chmod 0755 "$want"
"$tmp/alone/bin/teectl" serve --help 2>&1 | grep -q "Usage: teectl serve" ||
  { echo "FAIL: teectl-full copied to ../libexec/teectl is not found"; fail=1; }
exit $fail
