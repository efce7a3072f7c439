#!/bin/sh
# Assembles what the stock-kernel guest test boots on mvm, all from Debian's packages and
# unmodified: Debian's kernel (linux-image-amd64), a busybox initramfs that only loads
# Debian's own virtio and ext4 modules and mounts the root file system from the first
# virtio-blk disk, and that disk (ext4) whose init prints what it found and a marker.
# Nothing tells the kernel where the devices are: it must find them through ACPI.
#
# Usage: tests/stock/build.sh CACHE OUT   (OUT gets vmlinuz, initrd, root.img)
set -eu
debian_tool=stock-build
. "$(dirname "$0")/../debian.sh"

cache="${1:?usage: build.sh CACHE OUT}"
out="${2:?usage: build.sh CACHE OUT}"
command -v mke2fs >/dev/null 2>&1 || debian_fail "mke2fs not found (install e2fsprogs)"
mkdir -p "$cache" "$out"
debian_fetch "$cache"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The initramfs: Debian's modules, nothing of ours but this script.
initramfs="$work/initramfs"
debian_busybox_root "$initramfs"
mkdir -p "$initramfs/newroot"
for module in virtio_mmio virtio_blk virtio_net crc32c_generic ext4; do
    debian_module "$initramfs" "$module"
done
cat > "$initramfs/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for module in $(cat /etc/modules); do insmod "/lib/modules/$module"; done
for device in /sys/bus/platform/devices/LNRO0005:*; do
    [ -e "$device/driver" ] && echo "stock-initramfs: ACPI device $(basename "$device") bound to $(basename "$(readlink "$device/driver")")"
done
for device in /sys/bus/virtio/devices/*; do
    echo "stock-initramfs: $(basename "$device") features $(cat "$device/features")"
done
tries=0
while [ ! -b /dev/vda ] && [ "$tries" -lt 100 ]; do sleep 0.1; tries=$((tries + 1)); done
# what the kernel said about the disk and the interface (the command line says "quiet")
dmesg | grep -E 'virtio_blk|virtio_net|vda' | sed 's/^/stock-initramfs: kernel: /'
if ! mount -t ext4 -o ro /dev/vda /newroot; then
    echo "stock-initramfs: no root file system on /dev/vda"
    poweroff -f
fi
exec switch_root /newroot /sbin/init
INIT
chmod 755 "$initramfs/init"
debian_cpio "$initramfs" "$out/initrd"

# The root file system on the disk.
disk="$work/disk"
debian_busybox_root "$disk"
rm -f "$disk/dev/console"
cat > "$disk/sbin/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "stock-root: root file system $(awk '$2 == "/" { print $1 " " $3 }' /proc/mounts)"
for interface in /sys/class/net/*; do
    [ -e "$interface/device/driver" ] && echo "stock-root: interface $(basename "$interface") driver $(basename "$(readlink "$interface/device/driver")")"
done
echo "stock-root: command line $(cat /proc/cmdline)"
# 1 MiB to the host and 1 MiB back over TCP on virtio-net (the test's host end answers)
ip link set eth0 up
ip addr add 198.18.5.2/24 dev eth0
dd if=/dev/zero bs=65536 count=16 2>/dev/null | timeout 90 nc 198.18.5.1 7001
echo "stock-root: received $(timeout 90 nc -l -p 7002 </dev/null | wc -c) bytes over TCP"
echo "stock-root: init of the disk ran"
sleep 2
poweroff -f
INIT
chmod 755 "$disk/sbin/init"
rm -f "$out/root.img"
mke2fs -q -t ext4 -L stock-root -d "$disk" "$out/root.img" 16M >/dev/null
cp "$debian_kernel/boot/vmlinuz-$debian_release" "$out/vmlinuz"
echo "stock-build: $(basename "$debian_kernel") in $out"
