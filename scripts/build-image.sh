#!/usr/bin/env bash
# Builds the built-in images from Debian packages, with a progress display:
#
#   bash scripts/build-image.sh debian-12     Debian 12 (bookworm) root file system by debootstrap
#                                             (minbase, with iproute2, iputils-ping, procps, less);
#                                             written to data/images/built-in/debian-12.tar.zst with a
#                                             description; the panel imports it at its next start, as
#                                             the provider's public image debian (channels 12,
#                                             12/stable, latest), through the same checks as an upload
#   bash scripts/build-image.sh debian-vm     Debian 12 VM disk (ext4 root, systemd, cloud-init, openssh-server)
#                                             with its kernel and initramfs (scripts/build-debian-vm-image.sh)
#                                             into data/vm-images/debian-vm; the agent imports it at its next
#                                             start as the provider's public VM image debian-vm
#   bash scripts/build-image.sh tiny-linux    Debian's kernel and a busybox initramfs
#                                             (scripts/build-vm-image.sh) into data/vm-images/tiny-linux
#   bash scripts/build-image.sh busybox|mvm-test
#                                             built by the host agent itself on first run; this says so
#
# MULTIPLICITY_DATA_DIR sets the data directory (default data/), DEBIAN_MIRROR the mirror.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$PROJECT_ROOT"

data_dir="${MULTIPLICITY_DATA_DIR:-data}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
image="${1:-}"

step() { printf '\033[1m[%s/%s]\033[0m %s\n' "$1" "$2" "$3" >&2; }

build_debian() {
  local out="$data_dir/images/built-in" version packages total=5
  command -v debootstrap >/dev/null || { say "installing debootstrap"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2; }
  command -v zstd >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q zstd >&2
  [ "$(id -u)" -eq 0 ] || die "run as root: debootstrap creates files owned by other users"
  mkdir -p "$out"
  work="$(mktemp -d "${TMPDIR:-/tmp}/debian-12.XXXXXX")"
  trap 'rm -rf "${work:-}"' EXIT
  packages="iproute2,iputils-ping,procps,less,ca-certificates"

  step 1 $total "debootstrap bookworm (minbase + $packages) from $mirror"
  # debootstrap's own progress lines, one per package step, shortened to a running count.
  debootstrap --variant=minbase --include="$packages" bookworm "$work/root" "$mirror" 2>&1 \
    | awk '/^I: (Retrieving|Validating|Extracting|Unpacking|Configuring|Installing)/ { n++; printf "\r      %5d steps, %s                    ", n, $2 > "/dev/stderr"; fflush() } END { print "" > "/dev/stderr" }'
  [ -x "$work/root/bin/bash" ] || die "debootstrap did not produce a root file system"

  step 2 $total "making it a jail: an init that brings up the network and keeps a shell on the console"
  cat > "$work/root/sbin/init" <<'INIT'
#!/bin/sh
# PID 1 of a Debian jail: brings up the network the host gave in the environment, then keeps a
# login shell on the console. SIGTERM (a stop) ends it.
ip link set lo up
if [ -n "${MULTIPLICITY_ADDRESS:-}" ]; then
    ip addr add "$MULTIPLICITY_ADDRESS" dev eth0
    ip link set eth0 up
    [ -n "${MULTIPLICITY_GATEWAY:-}" ] && ip route add default via "$MULTIPLICITY_GATEWAY"
fi
echo "jail $(hostname) up${MULTIPLICITY_ADDRESS:+ at $MULTIPLICITY_ADDRESS}"
trap 'kill -TERM $shell 2>/dev/null; exit 0' TERM INT
while :; do
    /bin/bash -l &
    shell=$!
    wait $shell
done
INIT
  chmod 0755 "$work/root/sbin/init"
  rm -f "$work/root/etc/hostname" "$work/root/etc/machine-id"
  : > "$work/root/etc/machine-id"
  printf 'nameserver 9.9.9.9\n' > "$work/root/etc/resolv.conf"
  # Device nodes come from the runtime; the archive holds none.
  find "$work/root/dev" -mindepth 1 -delete
  rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*

  version="12-$(date -u +%Y%m%d)"
  step 3 $total "packing $(du -sh "$work/root" | cut -f1) into debian-12.tar.zst"
  tar --numeric-owner --one-file-system -C "$work/root" -cf - . | zstd -q -T0 -10 -o "$out/debian-12.tar.zst.part"
  mv "$out/debian-12.tar.zst.part" "$out/debian-12.tar.zst"

  step 4 $total "describing it"
  cat > "$out/debian-12.json" <<JSON
{"name": "debian", "version": "$version", "kind": "jail", "os": "debian",
 "description": "Debian 12 (bookworm), minimal, from debootstrap",
 "channels": ["12", "12/stable"], "archive": "debian-12.tar.zst"}
JSON
  step 5 $total "done: $out/debian-12.tar.zst ($(du -h "$out/debian-12.tar.zst" | cut -f1)), version $version; the panel imports it at its next start"
}

case "$image" in
  debian-12) build_debian ;;
  debian-vm)
    step 1 1 "Debian 12 cloud guest (systemd, cloud-init, openssh-server) into $data_dir/vm-images/debian-vm"
    bash scripts/build-debian-vm-image.sh "$data_dir/vm-images/debian-vm" ;;
  tiny-linux)
    step 1 1 "Debian's kernel and a busybox initramfs into $data_dir/vm-images/tiny-linux"
    sh scripts/build-vm-image.sh "$data_dir/vm-images/tiny-linux" ;;
  busybox|mvm-test)
    say "$image is built by the host agent itself on its first start (from the host's busybox-static, or vmm-native's test guest)" ;;
  *) die "usage: build-image.sh debian-12|debian-vm|tiny-linux|busybox|mvm-test" ;;
esac
