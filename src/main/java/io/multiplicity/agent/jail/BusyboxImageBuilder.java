package io.multiplicity.agent.jail;

import io.multiplicity.agent.storage.ZfsStorage;
import io.multiplicity.agent.support.Command;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

/**
 * Builds the first jail image, {@code images/busybox@v<VERSION>}, from the host's statically linked
 * busybox (Debian's {@code busybox-static}): busybox and its applet links, busybox {@code init}
 * as PID 1, an {@code rcS} that brings up {@code lo} and {@code eth0} from the
 * {@code MULTIPLICITY_ADDRESS} / {@code MULTIPLICITY_GATEWAY} variables the jail's process
 * environment carries and then takes root's SSH keys and a user-data script from the metadata
 * service, and a login shell respawned on the console.
 */
public final class BusyboxImageBuilder {

    public static final String IMAGE = "busybox";
    /**
     * 2: the console's shell owns the terminal (Ctrl-C reaches it, not init); no Ctrl-Alt-Del action.
     * 3: root's SSH keys and a user-data script from the metadata service.
     * 4: {@code free} reads {@code /proc/meminfo} (the jail's own, from LXCFS).
     */
    public static final int VERSION = 4;

    /**
     * busybox init opens the console for the shell of a {@code console::} entry, which makes it the
     * shell's controlling terminal (init gave it up: {@link #INIT}), so job control works and Ctrl-C,
     * Ctrl-Z and Ctrl-\ reach the program in the foreground. No {@code ctrlaltdel} entry: no
     * keystroke reboots the jail.
     */
    private static final String INITTAB = """
            ::sysinit:/etc/init.d/rcS
            console::respawn:-/bin/sh
            """;

    /**
     * The jail's {@code /sbin/init}: gives up the console the runtime made init's controlling
     * terminal, then becomes busybox init (named {@code init}, so that is what {@code ps} shows).
     */
    private static final String INIT = """
            #!/bin/sh
            exec /sbin/release-tty /lib/multiplicity/init
            """;

    private static final String RC_S = """
            #!/bin/sh
            # Brings up the jail's network from the environment its host gave init.
            ip link set lo up
            if [ -n "$MULTIPLICITY_ADDRESS" ]; then
                ip addr add "$MULTIPLICITY_ADDRESS" dev eth0
                ip link set eth0 up
                if [ -n "$MULTIPLICITY_GATEWAY" ]; then
                    ip route add default via "$MULTIPLICITY_GATEWAY"
                fi
            fi
            # What the metadata service says: root's SSH keys at every boot, and a user-data script
            # (one that starts with #!) run once per instance, in the background, logged. (Answers go
            # to files: a watcher of timeout that held a command substitution's pipe would hold up
            # the boot until it ends.)
            if [ -n "$MULTIPLICITY_GATEWAY" ]; then
                md=http://169.254.169.254/latest
                got=/run/metadata
                mkdir -p $got
                if timeout 3 wget -q -O $got/keys "$md/meta-data/public-keys/" 2>/dev/null; then
                    mkdir -p /root/.ssh && chmod 700 /root/.ssh
                    : > /root/.ssh/authorized_keys.new
                    for entry in $(cat $got/keys); do
                        timeout 3 wget -q -O $got/key "$md/meta-data/public-keys/${entry%%=*}/openssh-key" 2>/dev/null &&
                            cat $got/key >> /root/.ssh/authorized_keys.new
                    done
                    chmod 600 /root/.ssh/authorized_keys.new && mv /root/.ssh/authorized_keys.new /root/.ssh/authorized_keys
                fi
                if timeout 3 wget -q -O $got/instance-id "$md/meta-data/instance-id" 2>/dev/null; then
                    id=$(cat $got/instance-id)
                    if [ ! -e "/var/lib/multiplicity/user-data.$id" ] &&
                            timeout 3 wget -q -O $got/user-data "$md/user-data" 2>/dev/null &&
                            [ "$(head -c 2 $got/user-data)" = "#!" ]; then
                        mkdir -p /var/lib/multiplicity
                        mv $got/user-data /var/lib/multiplicity/user-data && chmod 700 /var/lib/multiplicity/user-data
                        touch "/var/lib/multiplicity/user-data.$id"
                        /var/lib/multiplicity/user-data > /var/log/user-data.log 2>&1 &
                    fi
                fi
                rm -rf $got
            fi
            echo "jail $(hostname) up${MULTIPLICITY_ADDRESS:+ at $MULTIPLICITY_ADDRESS}"
            """;

    /**
     * The image's {@code free}: busybox's applet takes totals from sysinfo(2), which tells the
     * host's memory whatever LXCFS serves; this one reads {@code /proc/meminfo}, as procps does, so
     * a jail sees its memory limit. Takes -b, -k (default), -m and -g.
     */
    private static final String FREE = """
            #!/bin/sh
            # free from /proc/meminfo (LXCFS makes it the jail's own); sizes in KiB unless -b, -m or -g.
            unit=1
            case "$1" in
                -b) unit=b ;;
                -m) unit=1024 ;;
                -g) unit=1048576 ;;
            esac
            exec awk -v unit="$unit" '
                /^MemTotal:/ { total = $2 } /^MemFree:/ { free = $2 } /^MemAvailable:/ { available = $2 }
                /^Buffers:/ { buffers = $2 } /^Cached:/ { cached = $2 } /^SReclaimable:/ { reclaimable = $2 }
                /^Shmem:/ { shared = $2 } /^SwapTotal:/ { swap = $2 } /^SwapFree:/ { swapfree = $2 }
                function size(kib) { return unit == "b" ? kib * 1024 : int(kib / unit) }
                END {
                    cache = buffers + cached + reclaimable
                    printf "%15s%12s%12s%12s%12s%12s\\n", "total", "used", "free", "shared", "buff/cache", "available"
                    printf "Mem:%11d%12d%12d%12d%12d%12d\\n", size(total), size(total - free - cache), size(free),
                        size(shared), size(cache), size(available)
                    printf "Swap:%10d%12d%12d\\n", size(swap), size(swap - swapfree), size(swapfree)
                }' /proc/meminfo
            """;

    private static final String PROFILE = """
            export PS1='\\h:\\w\\$ '
            """;

    private final ZfsStorage storage;
    private final Path busybox;
    private final Path releaseTty;

    /**
     * @param busybox    the host's static busybox
     * @param releaseTty the static release-tty helper ({@code src/main/c})
     */
    public BusyboxImageBuilder(ZfsStorage storage, Path busybox, Path releaseTty) {
        this.storage = storage;
        this.busybox = busybox;
        this.releaseTty = releaseTty;
    }

    /** The host's static busybox, if there is one. */
    public static Optional<Path> findStaticBusybox() {
        for (String candidate : List.of("/bin/busybox", "/usr/bin/busybox", "/usr/local/bin/busybox")) {
            Path path = Path.of(candidate);
            if (Files.isExecutable(path) && isStaticElf(path)) {
                return Optional.of(path);
            }
        }
        return Optional.empty();
    }

    /** A static ELF executable has no PT_INTERP program header. */
    static boolean isStaticElf(Path path) {
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "r")) {
            byte[] header = new byte[64];
            file.readFully(header);
            if (header[0] != 0x7f || header[1] != 'E' || header[2] != 'L' || header[3] != 'F' || header[4] != 2) {
                return false;
            }
            ByteBuffer elf = ByteBuffer.wrap(header).order(header[5] == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
            long programHeaders = elf.getLong(0x20);
            int entrySize = elf.getShort(0x36) & 0xffff;
            int count = elf.getShort(0x38) & 0xffff;
            byte[] entry = new byte[4];
            for (int i = 0; i < count; i++) {
                file.seek(programHeaders + (long) i * entrySize);
                file.readFully(entry);
                int type = ByteBuffer.wrap(entry).order(elf.order()).getInt();
                if (type == 3) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Builds {@code images/busybox@v<VERSION>} unless it exists. Returns the image version.
     *
     * @param idBase the host id that is root in the user namespace of jails of this image: the
     *               files are owned by {@code idBase + id} (see {@link IdShift}); -1 for jails
     *               without a user namespace
     */
    public int ensure(int idBase) {
        if (storage.imageVersionExists(IMAGE, VERSION)) {
            return VERSION;
        }
        Path root = storage.createImageDataset(IMAGE);
        try {
            populate(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (idBase >= 0) {
            IdShift.shift(root, idBase);
            storage.setImageIdBase(IMAGE, idBase);
        }
        Command.run("sync");
        storage.snapshotImage(IMAGE, VERSION);
        return VERSION;
    }

    void populate(Path root) throws IOException {
        for (String directory : List.of("bin", "sbin", "usr/bin", "usr/sbin", "etc/init.d", "proc", "sys", "dev",
                "run", "tmp", "root", "var/log", "home")) {
            Files.createDirectories(root.resolve(directory));
        }
        Command.run("chmod", "1777", root.resolve("tmp").toString()).check();
        Files.setPosixFilePermissions(root.resolve("root"), PosixFilePermissions.fromString("rwx------"));
        Path target = root.resolve("bin/busybox");
        Files.copy(busybox, target, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String applet : Command.check(busybox.toString(), "--list-full").lines().toList()) {
            if (applet.isBlank() || applet.equals("bin/busybox") || applet.contains("..")) {
                continue;
            }
            Path link = root.resolve(applet);
            Files.createDirectories(link.getParent());
            if (Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                Files.delete(link);
            }
            Files.createSymbolicLink(link, Path.of("/bin/busybox"));
        }
        Files.deleteIfExists(root.resolve("usr/bin/free"));
        write(root.resolve("usr/bin/free"), FREE, "rwxr-xr-x");
        Files.deleteIfExists(root.resolve("sbin/init"));
        write(root.resolve("sbin/init"), INIT, "rwxr-xr-x");
        Files.copy(releaseTty, root.resolve("sbin/release-tty"), StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(root.resolve("sbin/release-tty"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(root.resolve("lib/multiplicity"));
        Files.deleteIfExists(root.resolve("lib/multiplicity/init"));
        Files.createSymbolicLink(root.resolve("lib/multiplicity/init"), Path.of("/bin/busybox"));
        write(root.resolve("etc/inittab"), INITTAB, "rw-r--r--");
        write(root.resolve("etc/init.d/rcS"), RC_S, "rwxr-xr-x");
        write(root.resolve("etc/profile"), PROFILE, "rw-r--r--");
        write(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
                "rw-r--r--");
        write(root.resolve("etc/group"), "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n", "rw-r--r--");
        write(root.resolve("etc/hosts"), "127.0.0.1\tlocalhost\n::1\tlocalhost\n", "rw-r--r--");
        write(root.resolve("etc/os-release"), "NAME=\"Multiplicity busybox\"\nID=busybox\nVERSION_ID=" + VERSION + "\n",
                "rw-r--r--");
    }

    private static void write(Path file, String text, String permissions) throws IOException {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
    }
}
