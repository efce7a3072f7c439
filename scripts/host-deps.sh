#!/bin/sh
# Installs the Debian packages the host agent needs to run jails: ZFS (OpenZFS when its kernel
# module loads, zfs-fuse otherwise), an OCI runtime (runc; crun for unified cgroup v2 hosts),
# a static busybox for the first jail image, networking tools, and a C compiler for the
# console keeper; LXCFS; QEMU for VMs.
set -eu

if [ "$(id -u)" -ne 0 ]; then
    echo "host-deps: run as root" >&2
    exit 1
fi

packages="runc crun busybox-static iproute2 iptables bridge-utils make gcc libc6-dev"
# Tenant networks: nftables (NAT, isolation, the host's protection) and dnsmasq (a resolver and DHCP per network).
packages="$packages nftables dnsmasq-base"
# Jails' own view of their memory, CPUs and uptime (free, top, uptime inside a jail).
packages="$packages lxcfs"
# The tests check SSH public keys and their fingerprints against OpenSSH's own ssh-keygen.
packages="$packages openssh-client"
# VMs: QEMU (any guest; TCG where KVM cannot run it) and cpio for the tiny-linux initramfs.
packages="$packages qemu-system-x86 cpio"
if ! command -v zfs >/dev/null 2>&1; then
    if [ -e /sys/module/zfs ] || modprobe -n zfs >/dev/null 2>&1; then
        packages="$packages zfsutils-linux"
    else
        packages="$packages zfs-fuse"
    fi
fi

missing=
for package in $packages; do
    if ! dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $package"
    fi
done

if [ -n "$missing" ]; then
    echo "host-deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing
else
    echo "host-deps: all present ($packages)"
fi
