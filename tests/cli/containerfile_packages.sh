#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The Containerfile installs what the build and the programs need (it cannot be built here:
# no container daemon in CI), checked against this Debian build:
#  - build stage: the -dev package of every pkg-config module the top CMakeLists.txt
#    requires (the package that holds its .pc file);
#  - runtime stage: the package of every shared library the installed programs load
#    directly (ELF NEEDED), except libc6, which every Debian image has, and a sanitizer
#    build's runtimes (libasan, libubsan).
# Skipped (77) without dpkg. Usage: containerfile_packages.sh CONTAINERFILE CMAKELISTS PROGRAM...
set -u
CF=$1
CMAKELISTS=$2
shift 2
command -v dpkg-query >/dev/null 2>&1 || { echo "skip: no dpkg"; exit 77; }
fail=0
# Packages of one stage's apt-get install lines (stage 1: build, 2: runtime).
stage_packages() {
  awk -v want="$1" '/^FROM /{n++} n==want' "$CF" | tr ' \\' '\n\n' |
    grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vxE 'apt-get|install|update|rm|RUN|FROM|AS|build|-y'
}
build=$(stage_packages 1)
run=$(stage_packages 2)
[ -n "$build" ] && [ -n "$run" ] || { echo "FAIL: no apt-get packages found in $CF"; exit 1; }

modules=$(sed -n 's/^pkg_check_modules([A-Z_]* REQUIRED IMPORTED_TARGET \(.*\))/\1/p' "$CMAKELISTS" |
  tr ' ' '\n' | sed 's/[<>=].*//' | grep -v '^$')
[ -n "$modules" ] || { echo "FAIL: no required pkg-config modules in $CMAKELISTS"; exit 1; }
pcs=$(for m in $modules; do echo "$(pkg-config --variable=pcfiledir "$m")/$m.pc"; done)
# shellcheck disable=SC2086
pc_owners=$(dpkg-query -S $pcs 2>/dev/null)
for m in $modules; do
  pc="$(pkg-config --variable=pcfiledir "$m")/$m.pc"
  pkg=$(echo "$pc_owners" | grep ": $pc\$" | head -1 | cut -d: -f1)
  if [ -z "$pkg" ]; then echo "FAIL: no package holds $pc (module $m)"; fail=1; continue; fi
  echo "$build" | grep -qx "$pkg" ||
    { echo "FAIL: build stage of $CF does not install $pkg (pkg-config module $m)"; fail=1; }
done

# (a sanitizer build's own runtime libraries are not the image's business)
libs=$(for prog in "$@"; do readelf -d "$prog" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; done |
  grep -v '^lib[a-z]*san\.so' | sort -u)
# one dpkg-query for all of them (each call reads every package's file list)
owners=$(dpkg-query -S $(for lib in $libs; do printf '*/%s ' "$lib"; done) 2>/dev/null |
  grep -v -- '-i386\|lib32')
for lib in $libs; do
  pkg=$(echo "$owners" | grep "/$lib\$" | head -1 | cut -d: -f1)
  if [ -z "$pkg" ]; then echo "FAIL: no package holds $lib"; fail=1; continue; fi
  [ "$pkg" = libc6 ] && continue
  echo "$run" | grep -qx "$pkg" ||
    { echo "FAIL: runtime stage of $CF does not install $pkg ($lib, needed by teectl's programs)"; fail=1; }
done
exit $fail
