#!/usr/bin/env bash
# Builds the built-in images from Debian packages, with a progress display:
#
#   bash scripts/build-image.sh debian-12     Debian 12 (bookworm) root file system by debootstrap
#                                             (minbase, with systemd as init, openssh-server,
#                                             cloud-init, iproute2, iputils-ping, procps, less, wget);
#                                             written to data/images/built-in/debian-12.tar.zst with a
#                                             description; the panel imports it at its next start, as
#                                             the provider's public image debian (channels 12,
#                                             12/stable, latest), through the same checks as an upload
#   bash scripts/build-image.sh debian-vm     Debian 12 VM disk (ext4 root, systemd, cloud-init, openssh-server)
#                                             with its kernel and initramfs (scripts/build-debian-vm-image.sh)
#                                             into data/vm-images/debian-vm; the agent imports it at its next
#                                             start as the provider's public image debian of kind vm
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

# What turns a debootstrapped Debian into a system container that systemd runs well in. The host
# agent sees systemd as /sbin/init and gives the jail what systemd needs (its own cgroup tree,
# tmpfs on /run, /run/lock and /tmp, a stop by SIGRTMIN+3, its network in
# /run/systemd/network/10-multiplicity.network, the tenant's resolver as /etc/resolv.conf).
configure_debian_jail() {
  local root="$1"
  # Units that cannot work in a container or must never run in one.
  #  - ctrl-alt-del.target: SIGINT to PID 1 means Ctrl-Alt-Del to systemd; no key or signal reboots a jail.
  #  - the kernel's file systems and devices belong to the host (udev is not installed).
  for unit in ctrl-alt-del.target systemd-remount-fs.service sys-kernel-config.mount sys-kernel-debug.mount \
      sys-kernel-tracing.mount sys-fs-fuse-connections.mount dev-hugepages.mount dev-mqueue.mount \
      systemd-sysctl.service systemd-modules-load.service systemd-udevd.service systemd-udev-trigger.service \
      systemd-hwdb-update.service getty@tty1.service systemd-journald-audit.socket; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
  done
  # The console (the jail's PTY): a root shell that owns the terminal (agetty makes it the
  # controlling tty, so Ctrl-C, Ctrl-Z and Ctrl-\ reach the program in the foreground). Only the
  # tenant's authorized users reach the console, through the panel.
  mkdir -p "$root/etc/systemd/system/console-getty.service.d"
  cat > "$root/etc/systemd/system/console-getty.service.d/autologin.conf" <<'UNIT'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --noclear --autologin root --keep-baud console 115200,38400,9600 $TERM
UNIT
  # The network: the host writes eth0's address and gateway for systemd-networkd; waiting for it
  # is bounded, so a jail without a network still finishes booting.
  chroot "$root" systemctl enable systemd-networkd.service >/dev/null 2>&1
  mkdir -p "$root/etc/systemd/system/systemd-networkd-wait-online.service.d"
  cat > "$root/etc/systemd/system/systemd-networkd-wait-online.service.d/any.conf" <<'UNIT'
[Service]
ExecStart=
ExecStart=/lib/systemd/systemd-networkd-wait-online --any --timeout=20
UNIT
  # SSH: every instance gets its own host keys at its first boot (cloud-init makes them; sshd
  # makes any still missing), and root logs in with keys only.
  rm -f "$root"/etc/ssh/ssh_host_*
  mkdir -p "$root/etc/systemd/system/ssh.service.d"
  cat > "$root/etc/systemd/system/ssh.service.d/host-keys.conf" <<'UNIT'
[Service]
ExecStartPre=/usr/bin/ssh-keygen -A
UNIT
  printf 'PermitRootLogin prohibit-password\nPasswordAuthentication no\n' > "$root/etc/ssh/sshd_config.d/multiplicity.conf"
  # cloud-init: the NoCloud layout of the host's metadata service (SSH keys for root, the
  # instance name as hostname, user-data at first boot); the host configures the network.
  cat > "$root/etc/cloud/cloud.cfg.d/90-multiplicity.cfg" <<'CFG'
# Written by the image build: instances learn who they are from the host's metadata service.
datasource_list: [ NoCloud, None ]
datasource:
  NoCloud:
    seedfrom: http://169.254.169.254/nocloud/
network:
  config: disabled
users: []
disable_root: false
ssh_pwauth: false
preserve_hostname: false
# The image has no locales but C.UTF-8; there is no locale to generate.
locale: false
CFG
  # ds-identify looks for a local seed only; the seed here is on the network, so cloud-init always runs.
  printf 'policy: enabled\n' > "$root/etc/cloud/ds-identify.cfg"
}

build_debian() {
  local out="$data_dir/images/built-in" version packages total=5
  command -v debootstrap >/dev/null || { say "installing debootstrap"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2; }
  command -v zstd >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q zstd >&2
  [ "$(id -u)" -eq 0 ] || die "run as root: debootstrap creates files owned by other users"
  mkdir -p "$out"
  work="$(mktemp -d "${TMPDIR:-/tmp}/debian-12.XXXXXX")"
  trap 'rm -rf "${work:-}"' EXIT
  # systemd is PID 1; openssh-server and cloud-init let the instance configure itself from the
  # metadata service (root's SSH keys, hostname, user-data); wget and ping to look around.
  packages="systemd,systemd-sysv,dbus,openssh-server,cloud-init,python3-cffi-backend,iproute2,iputils-ping,procps,less,ca-certificates,wget"

  step 1 $total "debootstrap bookworm (minbase + $packages) from $mirror"
  # debootstrap's own progress lines, one per package step, shortened to a running count.
  debootstrap --variant=minbase --include="$packages" bookworm "$work/root" "$mirror" 2>&1 \
    | awk '/^I: (Retrieving|Validating|Extracting|Unpacking|Configuring|Installing)/ { n++; printf "\r      %5d steps, %s                    ", n, $2 > "/dev/stderr"; fflush() } END { print "" > "/dev/stderr" }'
  [ -x "$work/root/bin/bash" ] || die "debootstrap did not produce a root file system"
  [ -L "$work/root/sbin/init" ] || die "debootstrap did not install systemd as /sbin/init"

  step 2 $total "making it a jail: systemd as PID 1, a root console, SSH, cloud-init from the metadata service"
  configure_debian_jail "$work/root"
  rm -f "$work/root/etc/hostname" "$work/root/etc/machine-id"
  # An empty machine-id: systemd makes one at first boot (from the jail's id, which the host passes).
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
{"name": "debian", "version": "$version", "kind": "jail", "os": "debian", "init": "systemd",
 "description": "Debian 12 (bookworm), minimal, from debootstrap: systemd, openssh-server, cloud-init",
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
