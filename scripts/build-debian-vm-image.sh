#!/usr/bin/env bash
# Builds the files of the "debian-vm" VM image: a stock Debian 12 (bookworm) cloud guest that
# configures itself the way Debian's own cloud images do, with nothing of the project inside.
#
#   OUT/disk.raw   an ext4 root file system (no partition table) holding Debian 12 with systemd,
#                  linux-image-cloud-amd64, openssh-server and cloud-init, made by debootstrap and
#                  `mkfs.ext4 -d` (no loop device, no mount)
#   OUT/kernel     the kernel and initramfs of that disk's /boot, copied out so a monitor can boot
#   OUT/initrd     them directly (QEMU and mvm alike; no boot loader on the disk)
#   OUT/release    the kernel release
#
# Usage: scripts/build-debian-vm-image.sh OUT
#
# The guest gets everything else at boot: its address, gateway and resolver by DHCP (cloud-init's
# fallback network configuration: DHCP on the first interface, rendered for ifupdown), its
# hostname, SSH keys and user-data from the NoCloud datasource at
# http://169.254.169.254/nocloud/ (the host names it in the SMBIOS serial number, as QEMU's
# `-smbios type=1,serial=ds=nocloud-net;s=...`, or on the kernel command line). The one setting
# the image adds to Debian's: cloud-init puts the instance's keys into root's authorized_keys
# (disable_root: false), as well as into the default user debian's.
#
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian), DEBIAN_VM_DISK_MIB (size of
# the root file system, default 2048; an instance's disk grows it at first boot),
# DEBOOTSTRAP_CACHE_DIR (keep the downloaded packages there for the next build).
# Runs as root (debootstrap makes files of other users).
set -euo pipefail

out="${1:?usage: build-debian-vm-image.sh OUT}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
disk_mib="${DEBIAN_VM_DISK_MIB:-2048}"
# debootstrap resolves no virtual packages: python3-cffi-backend provides what python3-cryptography
# (of cloud-init) needs through one.
packages="systemd-sysv,udev,dbus,linux-image-cloud-amd64,openssh-server,cloud-init,python3-cffi-backend"
packages="$packages,ifupdown,isc-dhcp-client"
packages="$packages,iproute2,iputils-ping,procps,less,ca-certificates,sudo,wget,bind9-dnsutils,netbase"

say() { printf '\033[1mbuild-debian-vm-image:\033[0m %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root: debootstrap creates files owned by other users"
for tool in debootstrap mkfs.ext4; do
    command -v "$tool" >/dev/null 2>&1 || {
        say "installing ${tool%%.*}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$([ "$tool" = debootstrap ] && echo debootstrap || echo e2fsprogs)" >&2
    }
done

mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/debian-vm.XXXXXX")"
trap 'rm -rf "$work"' EXIT
root="$work/root"

cache=()
if [ -n "${DEBOOTSTRAP_CACHE_DIR:-}" ]; then
    mkdir -p "$DEBOOTSTRAP_CACHE_DIR"
    cache=(--cache-dir="$(cd "$DEBOOTSTRAP_CACHE_DIR" && pwd)")
fi

say "[1/4] debootstrap bookworm (minbase + $packages) from $mirror"
# The initramfs holds only the modules a virtio guest needs to mount its root (listed below once
# the tree exists), so it stays small: it is decompressed at every boot, slowly under emulation.
# Set before debootstrap, the kernel's and the triggers' runs of mkinitramfs are quick too.
mkdir -p "$root/etc/initramfs-tools/conf.d"
printf 'MODULES=list\n' > "$root/etc/initramfs-tools/conf.d/virtio-guest.conf"
debootstrap --variant=minbase "${cache[@]}" --include="$packages" bookworm "$root" "$mirror" 2>&1 \
    | awk '/^I: (Retrieving|Validating|Extracting|Unpacking|Configuring|Installing)/ { n++; printf "\r      %5d steps, %s                    ", n, $2 > "/dev/stderr"; fflush() } /^[EW]: / { print "" > "/dev/stderr"; print > "/dev/stderr" } END { print "" > "/dev/stderr" }' \
    || { tail -n 40 "$root/debootstrap/debootstrap.log" >&2 2>/dev/null; die "debootstrap failed (its log's end is above)"; }
[ -x "$root/lib/systemd/systemd" ] && [ -x "$root/usr/bin/cloud-init" ] || die "debootstrap did not produce a Debian with systemd and cloud-init"
kernel="$(ls "$root"/boot/vmlinuz-* | head -n 1)"
release="${kernel##*/vmlinuz-}"
[ -s "$root/boot/initrd.img-$release" ] || die "no initramfs was made for $release"

printf '%s\n' virtio_pci virtio_blk virtio_scsi virtio_mmio virtio_net ext4 >> "$root/etc/initramfs-tools/modules"
chroot "$root" update-initramfs -u -k "$release" >/dev/null 2>"$work/initramfs.log" \
    || { cat "$work/initramfs.log" >&2; die "update-initramfs failed"; }

say "[2/4] configuring: root by label, no host keys or machine id of the build, cloud-init's keys for root"
printf 'LABEL=debian-root / ext4 defaults,errors=remount-ro 0 1\n' > "$root/etc/fstab"
# Each instance makes its own: systemd the machine id, cloud-init the SSH host keys.
rm -f "$root"/etc/ssh/ssh_host_*_key "$root"/etc/ssh/ssh_host_*_key.pub "$root/etc/hostname"
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
cat > "$root/etc/cloud/cloud.cfg.d/50-root-login.cfg" <<'EOF'
# The instance's SSH keys log in as root too (and as the default user, debian).
disable_root: false
# The image has no locales package: the system stays in the C locale (cloud-init would otherwise
# fail to generate en_US.UTF-8 and report an error).
locale: false
EOF
# The DHCP client configuration cloud-init renders goes to /etc/network/interfaces.d.
grep -q '^source /etc/network/interfaces.d/\*' "$root/etc/network/interfaces" 2>/dev/null \
    || printf 'source /etc/network/interfaces.d/*\n' >> "$root/etc/network/interfaces"
printf 'deb %s bookworm main\ndeb http://security.debian.org/debian-security bookworm-security main\n' "$mirror" \
    > "$root/etc/apt/sources.list"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log \
    "$root"/var/lib/cloud/* "$root/etc/resolv.conf"
: > "$root/etc/resolv.conf"

say "[3/4] an ext4 file system of $disk_mib MiB from the tree ($(du -sh "$root" | cut -f1)), without a loop device"
rm -f "$out/disk.raw.part"
mkfs.ext4 -q -L debian-root -d "$root" "$out/disk.raw.part" "${disk_mib}M"

say "[4/4] kernel $release and its initramfs"
cp "$kernel" "$out/kernel.part"
cp "$root/boot/initrd.img-$release" "$out/initrd.part"
mv "$out/disk.raw.part" "$out/disk.raw"
mv "$out/kernel.part" "$out/kernel"
mv "$out/initrd.part" "$out/initrd"
echo "$release" > "$out/release"
say "done: $out (disk $(du -h "$out/disk.raw" | cut -f1) used of $disk_mib MiB, initrd $(du -h "$out/initrd" | cut -f1))"
