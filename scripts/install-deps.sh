#!/usr/bin/env bash
# Installs the Debian packages the platform needs, if any is missing: the host agent's (ZFS, the OCI
# runtime, QEMU, busybox: scripts/host-deps.sh) and what building and testing need besides.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "run as root: the host agent and its packages need it"
sh "$PROJECT_ROOT/scripts/host-deps.sh"

# curl for the scripts; qemu-utils for disk images; clang and its runtime for mvm's fuzz targets.
packages=(curl ca-certificates socat zstd xz-utils jq qemu-utils procps psmisc clang libclang-rt-14-dev "$@")
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
