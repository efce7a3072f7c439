# Shared by tests/l1/build.sh and tests/stock/build.sh (sourced, POSIX sh): Debian's own kernel
# and busybox, fetched once per kernel version with `apt-get download`, and a copy of kernel
# modules with their dependencies.
#
# debian_fetch CACHE    sets debian_kernel (the unpacked linux-image package), debian_release
#                       (its modules directory name) and debian_busybox (a static busybox)
# debian_module ROOT M  copies module M and what it depends on into ROOT/lib/modules and lists
#                       them in load order in ROOT/etc/modules

debian_fail() {
    echo "$debian_tool: $*" >&2
    exit 1
}

debian_fetch() {
    mkdir -p "$1"
    cache="$(cd "$1" && pwd)"
    for tool in apt-cache apt-get dpkg-deb; do
        command -v "$tool" >/dev/null 2>&1 || debian_fail "$tool not found (a Debian host is needed)"
    done
    package="$(apt-cache depends linux-image-amd64 2>/dev/null \
        | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n 1)"
    [ -n "$package" ] || debian_fail "apt knows no linux-image-amd64 (run apt-get update)"
    debian_kernel="$cache/$package"
    debian_busybox="$cache/busybox/bin/busybox"
    if [ ! -d "$debian_kernel/lib/modules" ] || [ ! -x "$debian_busybox" ]; then
        mkdir -p "$cache/download"
        echo "$debian_tool: downloading $package and busybox-static"
        (cd "$cache/download" && rm -f ./*.deb && apt-get download -q "$package" busybox-static >/dev/null 2>&1) \
            || debian_fail "apt-get download $package busybox-static failed"
        rm -rf "$debian_kernel.partial" "$cache/busybox"
        dpkg-deb -x "$cache"/download/linux-image-*.deb "$debian_kernel.partial"
        dpkg-deb -x "$cache"/download/busybox-static_*.deb "$cache/busybox"
        rm -rf "$debian_kernel" "$cache/download"
        mv "$debian_kernel.partial" "$debian_kernel"
    fi
    debian_release="$(basename "$(echo "$debian_kernel"/lib/modules/*)")"
}

# The package ships no modules.dep (depmod runs at install): dependencies come from each
# module's own "depends=" entry.
debian_module() {
    local root name path dependency
    root="$1"
    name="$2"
    mkdir -p "$root/lib/modules" "$root/etc"
    touch "$root/etc/modules"
    grep -qx "$name.ko" "$root/etc/modules" && return 0
    path="$(find "$debian_kernel/lib/modules/$debian_release/kernel" -name "$name.ko" | head -n 1)"
    [ -n "$path" ] || debian_fail "module $name is not in $(basename "$debian_kernel")"
    for dependency in $(tr '\0' '\n' < "$path" | sed -n 's/^depends=//p' | tr ',' ' '); do
        debian_module "$root" "$dependency"
    done
    cp "$path" "$root/lib/modules/"
    echo "$name.ko" >> "$root/etc/modules"
}

# A busybox root: the binary, a link per applet, the directories an init needs.
debian_busybox_root() {
    local root="$1" applet
    mkdir -p "$root/bin" "$root/sbin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/etc"
    # the kernel opens /dev/console for init before anything mounts devtmpfs
    [ -c "$root/dev/console" ] || mknod -m 600 "$root/dev/console" c 5 1 \
        || debian_fail "cannot create dev/console (run as root)"
    cp "$debian_busybox" "$root/bin/busybox"
    for applet in $("$root/bin/busybox" --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
    done
}

# Packs ROOT into a gzip-compressed newc cpio archive OUT.
debian_cpio() {
    (cd "$1" && find . | sort | "$debian_busybox" cpio -o -H newc 2>/dev/null) | gzip -1 > "$2" \
        || debian_fail "cannot pack $1"
    [ "$(wc -c < "$2")" -gt 1024 ] || debian_fail "packing $1 gave an empty archive"
}
