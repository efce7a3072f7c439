#!/bin/sh
# Runs mvm's guest tests where they can run, and says which route it took:
#   kvm   directly on this machine's /dev/kvm
#   l1    inside the L1 (tests/l1/): Debian's kernel under QEMU's software emulation, which
#         emulates AMD-V, with kvm-amd loaded; for machines without /dev/kvm
# MVM_GUEST_TESTS=auto (default: kvm where /dev/kvm works, else l1) | kvm | l1 | skip.
# Without a route the guest tests FAIL; only MVM_GUEST_TESTS=skip skips them, and says so.
#
# MVM_DEBIAN_VM_IMAGE: the directory of the Debian VM image (scripts/build-image.sh debian-vm)
# that the Debian VM guest test boots; unset or empty, that test says it skips.
#
# Usage: tests/run-guest-tests.sh BUILD   (make guest-test calls it after building)
set -eu
build="${1:?usage: run-guest-tests.sh BUILD}"
here="$(cd "$(dirname "$0")" && pwd)"
route="${MVM_GUEST_TESTS:-auto}"
debian_vm="${MVM_DEBIAN_VM_IMAGE:-}"
if [ -n "$debian_vm" ] && [ ! -s "$debian_vm/disk.raw" ]; then
    echo "guest tests: MVM_DEBIAN_VM_IMAGE=$debian_vm holds no disk.raw; the Debian VM test will skip"
    debian_vm=
fi
if [ -n "$debian_vm" ]; then debian_vm="$(cd "$debian_vm" && pwd)"; fi

case "$route" in
auto)
    if "$build/tests/guest_tests" --probe; then
        route=kvm
    else
        route=l1
    fi
    ;;
kvm | l1) ;;
skip)
    echo "*** MVM_GUEST_TESTS=skip: SKIPPING ALL GUEST TESTS; nothing was booted, this is not a pass ***"
    exit 0
    ;;
*)
    echo "run-guest-tests: MVM_GUEST_TESTS must be auto, kvm, l1 or skip, not '$route'" >&2
    exit 2
    ;;
esac

started="$(date +%s)"
if [ "$route" = kvm ]; then
    echo "guest tests: route kvm (this machine's /dev/kvm)"
    MVM_DEBIAN_VM_IMAGE="$debian_vm" MVM_BUSYBOX="$build/debian/busybox/bin/busybox" \
        "$build/tests/guest_tests" "$build"
else
    echo "guest tests: route l1 (no usable /dev/kvm here: inside Debian's kernel under QEMU's emulation of AMD-V)"
    make --no-print-directory -s BUILD="$build/static" LDFLAGS=-static \
        "$build/static/mvm" "$build/static/tests/guest_tests" guests-in-static
    sh "$here/l1/build.sh" "$build/debian" "$build/static" "$build/stock" "$build/l1" "$debian_vm"
    sh "$here/l1/run.sh" "$build/l1"
fi
echo "guest tests: route $route took $(($(date +%s) - started)) s"
