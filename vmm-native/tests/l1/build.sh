#!/bin/sh
# Assembles the L1: a machine with /dev/kvm for hosts that have none. Debian's kernel runs
# under QEMU's software emulation (TCG), whose `-cpu max` emulates AMD-V with nested paging;
# its initramfs loads Debian's kvm-amd module and runs mvm's guest tests on the /dev/kvm that
# appears. Intel's VMX is not emulated by TCG: the AMD route is the only one.
#
# Usage: tests/l1/build.sh CACHE STATIC_BUILD STOCK OUT [DEBIAN_VM]
#        tests/l1/build.sh --payload PAYLOAD CACHE OUT
#   STATIC_BUILD  mvm, tests/guest_tests and guests/ linked statically (the L1 has no libc)
#   STOCK         what tests/stock/build.sh made (the stock-kernel guest test), or "" for none
#   DEBIAN_VM     the Debian VM image (scripts/build-image.sh debian-vm: kernel, initrd,
#                 disk.raw) for the Debian VM guest test, or "" for none. Its kernel and initrd
#                 go into the initramfs; its 2 GiB disk does not: OUT/disk names it, and run.sh
#                 gives it to the L1 as a virtio disk (/dev/vda there)
#   OUT           gets vmlinuz and initrd (and a file "payload" in the second form)
#   PAYLOAD       a directory to run in the L1 instead of the guest tests: it is copied to
#                 /payload, and the L1's init runs /payload/run there (TMPDIR=/tmp) and reports
#                 "l1: payload exited with status N"; what it needs, it brings (static
#                 programs, or libraries and their loader)
set -eu
debian_tool=l1-build
. "$(dirname "$0")/../debian.sh"

usage="usage: build.sh CACHE STATIC_BUILD STOCK OUT [DEBIAN_VM] | build.sh --payload PAYLOAD CACHE OUT"
payload=
debian_vm=
if [ "${1:-}" = --payload ]; then
    payload="${2:?$usage}"
    cache="${3:?$usage}"
    out="${4:?$usage}"
    [ -x "$payload/run" ] || debian_fail "$payload/run is not an executable"
else
    cache="${1:?$usage}"
    static="${2:?$usage}"
    stock="${3?$usage}"
    out="${4:?$usage}"
    debian_vm="${5:-}"
fi
mkdir -p "$cache" "$out"
rm -f "$out/disk"
debian_fetch "$cache"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

root="$work/root"
debian_busybox_root "$root"
for module in kvm-amd tun; do
    debian_module "$root" "$module"
done
if [ -n "$payload" ]; then
    cp -a "$payload" "$root/payload"
    echo payload > "$out/payload"
    # shellcheck disable=SC2016 # expanded by the L1's shell
    run='cd /payload
TMPDIR=/tmp ./run
echo "l1: payload exited with status $?"'
else
    # The guest tests find mvm and the test guests in one build directory.
    mkdir -p "$root/mvm/tests" "$root/mvm/guests"
    cp "$static/mvm" "$root/mvm/mvm"
    cp "$static/tests/guest_tests" "$root/mvm/tests/guest_tests"
    cp "$static"/guests/*.elf "$static"/guests/*.bzimage "$root/mvm/guests/"
    if [ -n "$stock" ]; then
        mkdir -p "$root/mvm/stock"
        cp "$stock/vmlinuz" "$stock/initrd" "$stock/root.img" "$root/mvm/stock/"
    fi
    rm -f "$out/payload"
    guest_tests_environment=
    if [ -n "$debian_vm" ]; then
        for file in kernel initrd disk.raw; do
            [ -s "$debian_vm/$file" ] || debian_fail "$debian_vm/$file is missing (scripts/build-image.sh debian-vm builds it)"
        done
        for module in virtio_pci virtio_blk; do
            debian_module "$root" "$module"
        done
        mkdir -p "$root/mvm/debian-vm"
        cp "$debian_vm/kernel" "$debian_vm/initrd" "$root/mvm/debian-vm/"
        echo "$(cd "$debian_vm" && pwd)/disk.raw" > "$out/disk"
        guest_tests_environment="MVM_DEBIAN_VM_IMAGE=/mvm/debian-vm MVM_DEBIAN_VM_DISK=/dev/vda "
    fi
    # shellcheck disable=SC2016 # expanded by the L1's shell
    run="cd /mvm
${guest_tests_environment}TMPDIR=/tmp ./tests/guest_tests /mvm"'
echo "l1: guest tests exited with status $?"'
fi
# A host has one; the jail guest test shows that a confined monitor cannot open it.
printf 'root:*:19000:0:99999:7:::\n' > "$root/etc/shadow"
chmod 600 "$root/etc/shadow"
mkdir -p "$root/l1root"
cat > "$root/init" <<'INIT'
#!/bin/sh
# PID 1 of the L1: load KVM, run the guest tests (or a payload), report, power off.
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
INIT
printf '%s\npoweroff -f\n' "$run" >> "$root/init"
chmod 755 "$root/init"
debian_cpio "$root" "$out/initrd"
cp "$debian_kernel/boot/vmlinuz-$debian_release" "$out/vmlinuz"
echo "l1-build: $(basename "$debian_kernel") with kvm-amd${payload:+ and a payload} in $out"
