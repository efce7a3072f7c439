#!/bin/sh
# Builds the files of the "tiny-linux" VM image from Debian packages:
#
#   OUT/kernel   Debian's kernel (linux-image-amd64), as shipped
#   OUT/initrd   a busybox initramfs (busybox-static) with the virtio modules the kernel builds
#                as modules; its init brings up eth0 from the kernel command line and runs a
#                shell on ttyS0
#
# Usage: scripts/build-vm-image.sh OUT
#
# Kernel command line understood by the init:
#   mp.hostname=NAME  mp.ip=ADDRESS/PREFIX  mp.gw=GATEWAY
# The ACPI power button (QEMU's system_powerdown) powers the guest off.
#
# Needs apt-get (for `apt-get download`), dpkg-deb and cpio (or busybox); runs as root (it creates the
# initramfs's /dev/console node). The host agent imports OUT into images/tiny-linux@v1.
set -eu

out="${1:?usage: build-vm-image.sh OUT}"
# cpio: the cpio package, else the applet of the host's busybox.
if command -v cpio >/dev/null 2>&1; then cpio=cpio; elif busybox cpio --help >/dev/null 2>&1; then cpio="busybox cpio"; else
    echo "build-vm-image: no cpio (install cpio or busybox)" >&2; exit 1; fi
for tool in apt-get dpkg-deb gzip; do
    command -v "$tool" >/dev/null 2>&1 || { echo "build-vm-image: $tool not found" >&2; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
    echo "build-vm-image: run as root (the initramfs needs a /dev/console node)" >&2
    exit 1
fi

mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The versioned kernel package the metapackage points at, and the static busybox.
kernel_package="$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n 1)"
[ -n "$kernel_package" ] || { echo "build-vm-image: apt knows no linux-image-amd64 (apt-get update?)" >&2; exit 1; }
echo "build-vm-image: $kernel_package + busybox-static"
(cd "$work" && apt-get download -q "$kernel_package" busybox-static >/dev/null 2>&1) || {
    echo "build-vm-image: apt-get download $kernel_package busybox-static failed" >&2; exit 1; }
mkdir "$work/kernel" "$work/busybox"
dpkg-deb -x "$work"/linux-image-*.deb "$work/kernel"
dpkg-deb -x "$work"/busybox-static_*.deb "$work/busybox"

modules_root="$(echo "$work"/kernel/lib/modules/*)"
release="$(basename "$modules_root")"

# Staging tree of the initramfs.
root="$work/root"
mkdir -p "$root/bin" "$root/sbin" "$root/etc/acpi/PWRF" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" \
    "$root/root" "$root/run" "$root/var/log" "$root/lib/modules"
cp "$work/busybox/bin/busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
ln -sf bin/busybox "$root/init"
mknod -m 600 "$root/dev/console" c 5 1

# Modules and their dependencies, in load order. The package ships no modules.dep (depmod runs
# at install), so dependencies come from each module's own .modinfo "depends=" entry.
loaded=""
add_module() {
    local name path dependency
    name="$1"
    path="$(find "$modules_root/kernel" -name "$name.ko" | head -n 1)"
    [ -n "$path" ] || { echo "build-vm-image: module $name is built in or missing" >&2; return 0; }
    case " $loaded " in *" $name "*) return 0 ;; esac
    for dependency in $(tr '\0' '\n' < "$path" | sed -n 's/^depends=//p' | tr ',' ' '); do
        add_module "$dependency"
    done
    case " $loaded " in *" $name "*) return 0 ;; esac
    loaded="$loaded $name"
    cp "$path" "$root/lib/modules/"
    echo "$name.ko" >> "$root/etc/modules"
}
: > "$root/etc/modules"
for module in virtio virtio_ring virtio_pci virtio_mmio virtio_net virtio_blk virtio_console button evdev; do
    add_module "$module"
done

cat > "$root/etc/inittab" <<'EOF'
::sysinit:/etc/rc
::respawn:/bin/acpid -f -c /etc/acpi
ttyS0::respawn:-/bin/sh
::shutdown:/bin/echo "tiny-linux: powering off"
EOF

cat > "$root/etc/rc" <<'EOF'
#!/bin/sh
# Mounts the kernel file systems, loads the virtio drivers and configures eth0 from the kernel
# command line (mp.hostname, mp.ip, mp.gw).
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# insmod reads no /proc/cmdline: hand each module its "module.parameter=value" arguments (mvm
# lists its virtio-mmio devices as virtio_mmio.device=...).
for module in $(cat /etc/modules); do
    name="${module%.ko}"
    parameters=
    for argument in $(cat /proc/cmdline); do
        case "$argument" in "$name".*=*) parameters="$parameters ${argument#"$name".}" ;; esac
    done
    insmod "/lib/modules/$module" $parameters 2>/dev/null
done
name=tiny address= gateway=
for argument in $(cat /proc/cmdline); do
    case "$argument" in
        mp.hostname=*) name="${argument#mp.hostname=}" ;;
        mp.ip=*) address="${argument#mp.ip=}" ;;
        mp.gw=*) gateway="${argument#mp.gw=}" ;;
    esac
done
hostname "$name"
ip link set lo up
if [ -n "$address" ]; then
    tries=0
    while [ ! -e /sys/class/net/eth0 ] && [ "$tries" -lt 50 ]; do sleep 0.1; tries=$((tries + 1)); done
    ip addr add "$address" dev eth0
    ip link set eth0 up
    [ -n "$gateway" ] && ip route add default via "$gateway"
fi
echo "tiny-linux $(uname -r) up as $name${address:+ at $address}"
EOF
chmod 755 "$root/etc/rc"

cat > "$root/etc/acpi/PWRF/poweroff" <<'EOF'
#!/bin/sh
poweroff
EOF
chmod 755 "$root/etc/acpi/PWRF/poweroff"
printf 'PWRF PWRF/poweroff\n' > "$root/etc/acpid.conf"

cat > "$root/etc/profile" <<'EOF'
export PS1='\h:\w\$ '
export PATH=/bin:/sbin
EOF
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
printf 'NAME="Multiplicity tiny-linux"\nID=tiny-linux\nVERSION_ID=1\n' > "$root/etc/os-release"

(cd "$root" && find . | $cpio -o -H newc 2>/dev/null | gzip -9) > "$out/initrd.tmp"
cp "$work"/kernel/boot/vmlinuz-* "$out/kernel.tmp"
mv "$out/initrd.tmp" "$out/initrd"
mv "$out/kernel.tmp" "$out/kernel"
echo "$release" > "$out/release"
echo "build-vm-image: $out/kernel ($release) and $out/initrd ($(wc -c < "$out/initrd") bytes)"
