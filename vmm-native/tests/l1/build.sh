#!/bin/sh
# Assembles the L1: a machine with /dev/kvm for hosts that have none. Debian's kernel runs
# under QEMU's software emulation (TCG), whose `-cpu max` emulates AMD-V with nested paging;
# its initramfs loads Debian's kvm-amd module and runs mvm's guest tests on the /dev/kvm that
# appears. Intel's VMX is not emulated by TCG: the AMD route is the only one.
#
# Usage: tests/l1/build.sh CACHE STATIC_BUILD STOCK OUT
#   STATIC_BUILD  mvm, tests/guest_tests and guests/ linked statically (the L1 has no libc)
#   STOCK         what tests/stock/build.sh made (the stock-kernel guest test), or "" for none
#   OUT           gets vmlinuz and initrd
set -eu
debian_tool=l1-build
. "$(dirname "$0")/../debian.sh"

cache="${1:?usage: build.sh CACHE STATIC_BUILD STOCK OUT}"
static="${2:?usage: build.sh CACHE STATIC_BUILD STOCK OUT}"
stock="${3?usage: build.sh CACHE STATIC_BUILD STOCK OUT}"
out="${4:?usage: build.sh CACHE STATIC_BUILD STOCK OUT}"
mkdir -p "$cache" "$out"
debian_fetch "$cache"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

root="$work/root"
debian_busybox_root "$root"
for module in kvm-amd tun; do
    debian_module "$root" "$module"
done
# The guest tests find mvm and the test guests in one build directory.
mkdir -p "$root/mvm/tests" "$root/mvm/guests"
cp "$static/mvm" "$root/mvm/mvm"
cp "$static/tests/guest_tests" "$root/mvm/tests/guest_tests"
cp "$static"/guests/*.elf "$static"/guests/*.bzimage "$root/mvm/guests/"
if [ -n "$stock" ]; then
    mkdir -p "$root/mvm/stock"
    cp "$stock/vmlinuz" "$stock/initrd" "$stock/root.img" "$root/mvm/stock/"
fi
# A host has one; the jail guest test shows that a confined monitor cannot open it.
printf 'root:*:19000:0:99999:7:::\n' > "$root/etc/shadow"
chmod 600 "$root/etc/shadow"
mkdir -p "$root/l1root"
cat > "$root/init" <<'INIT'
#!/bin/sh
# PID 1 of the L1: load KVM, run the guest tests, report, power off.
# The initramfs is the one root that pivot_root(2) cannot leave, and a host's root is a mount
# of its own: move a bind mount of the initramfs over / first, as switch_root does, so that
# mvm's --jail (pivot_root) runs here as it does on a host.
if [ "$1" != on-own-mount ]; then
    mount -o bind / /l1root && cd /l1root && mount -o move . / && exec chroot . /init on-own-mount
    echo "l1: cannot put the root on a mount of its own"
fi
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
for module in $(cat /etc/modules); do
    insmod "/lib/modules/$module" || echo "l1: insmod $module failed"
done
ip link set lo up
tries=0
while [ ! -c /dev/kvm ] && [ "$tries" -lt 50 ]; do sleep 0.1; tries=$((tries + 1)); done
echo "l1: $(uname -r), $(nproc) vCPUs, /dev/kvm $([ -c /dev/kvm ] && echo present || echo MISSING)"
cd /mvm
TMPDIR=/tmp ./tests/guest_tests /mvm
echo "l1: guest tests exited with status $?"
poweroff -f
INIT
chmod 755 "$root/init"
debian_cpio "$root" "$out/initrd"
cp "$debian_kernel/boot/vmlinuz-$debian_release" "$out/vmlinuz"
echo "l1-build: $(basename "$debian_kernel") with kvm-amd in $out"
