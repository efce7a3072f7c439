#!/usr/bin/env bash
# Installs the Debian packages the platform needs on a host, if any is missing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

packages=(curl ca-certificates iproute2 iptables bridge-utils zfs-fuse runc crun busybox-static
          qemu-system-x86 qemu-utils socat zstd xz-utils make gcc libc6-dev procps psmisc "$@")
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing packages ${missing[*]}; run as root to install them"
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
