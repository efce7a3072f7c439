#!/bin/sh
# Boots the L1 that tests/l1/build.sh assembled and relays its serial console; exits 0 only
# when the guest tests inside it ran and all passed (or, for an L1 with a payload, when the
# payload's run exited with status 0).
#
# Usage: tests/l1/run.sh L1_DIRECTORY [TIMEOUT_SECONDS [KERNEL_ARGUMENTS]]
#   KERNEL_ARGUMENTS  appended to the L1's command line (a payload reads them in /proc/cmdline)
set -eu
l1="${1:?usage: run.sh L1_DIRECTORY [TIMEOUT_SECONDS [KERNEL_ARGUMENTS]]}"
limit="${2:-1200}"
arguments="${3:-}"
command -v qemu-system-x86_64 >/dev/null 2>&1 || {
    echo "l1-run: qemu-system-x86_64 not found (install qemu-system-x86)" >&2; exit 1; }
log="$l1/console.log"
# -cpu max under TCG includes SVM and NPT. One vCPU under single-threaded TCG: two under
# multi-threaded TCG hung now and then. The guests' taps and sockets live inside the L1:
# nothing reaches the host's network (-nic none).
# The Debian VM image's disk (build.sh wrote its path to L1/disk) is the L1's virtio disk
# with snapshot=on: QEMU opens the image read-only and keeps what the guest writes in a
# temporary overlay that it deletes at exit, so the test boots a writable root without copying
# the image, and the image stays as built.
disk=
if [ -f "$l1/disk" ]; then disk="$(cat "$l1/disk")"; fi
boot_l1() {
    # shellcheck disable=SC2086 # the drive option is one word or none
    timeout "$limit" qemu-system-x86_64 -accel tcg,thread=single -cpu max -smp 1 -m 2048 \
        -nographic -no-reboot -nic none -monitor none \
        ${disk:+-drive file="$disk",format=raw,if=virtio,snapshot=on} \
        -kernel "$l1/vmlinuz" -initrd "$l1/initrd" \
        -append "console=ttyS0 panic=-1 reboot=t quiet loglevel=3${arguments:+ $arguments}" < /dev/null 2>&1 \
        | sed -u 's/\r//g; s/\x1b[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' | tee "$log"
}
boot_l1
# The emulated L1 itself, rarely, stops for good (no output, no CPU): then there is no verdict
# at all, which is not a test result. Boot it once more, and say so; a second stop fails.
if [ ! -f "$l1/payload" ] && ! grep -qE '^l1: guest tests exited with status [0-9]+$' "$log"; then
    echo "l1-run: the L1 gave no verdict within ${limit} s (it stopped responding); booting it once more" >&2
    cp "$log" "$log.stopped"
    boot_l1
fi
if [ -f "$l1/payload" ]; then
    status="$(sed -n 's/^l1: payload exited with status \([0-9]*\)$/\1/p' "$log" | tail -n 1)"
    if [ "$status" != 0 ]; then
        echo "l1-run: the payload did not end well in the L1 (status ${status:-none})" >&2
        exit 1
    fi
    exit 0
fi
summary="$(grep -E '^guest tests: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || true)"
status="$(sed -n 's/^l1: guest tests exited with status \([0-9]*\)$/\1/p' "$log" | tail -n 1)"
if [ -z "$summary" ] || [ "$status" != 0 ]; then
    echo "l1-run: the guest tests did not all pass in the L1 (${summary:-no summary}; status ${status:-none})" >&2
    exit 1
fi
