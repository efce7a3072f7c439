package io.multiplicity.agent.vm;

import io.multiplicity.agent.support.InstanceDirectories;
import io.multiplicity.host.contract.InstanceSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;

/**
 * Where a VM's monitor finds and leaves things: its sockets
 * ({@code <data>/run/vm/<id>.serial|.vnc|.control}), and beside the driver's record in the VM's
 * directory its console log, monitor log and pid file; and what it is started with
 * ({@link Hypervisor.Launch}).
 */
final class VmFiles {

    private final Path socketDirectory;
    private final InstanceDirectories<?> directories;

    VmFiles(Path socketDirectory, InstanceDirectories<?> directories) {
        this.socketDirectory = socketDirectory;
        this.directories = directories;
    }

    Path socketDirectory() {
        return socketDirectory;
    }

    Path serialSocket(UUID id) {
        return socketDirectory.resolve(id + ".serial");
    }

    Path vncSocket(UUID id) {
        return socketDirectory.resolve(id + ".vnc");
    }

    Path controlSocket(UUID id) {
        return socketDirectory.resolve(id + ".control");
    }

    Path monitorLog(UUID id) {
        return directories.of(id).resolve("monitor.log");
    }

    /**
     * The monitor's pid: QEMU writes it (and removes it when it exits by itself), the agent writes
     * mvm's. It is alone in a directory of the monitor's own uid, so that a QEMU that dropped to
     * that uid can still remove it on its way out.
     */
    Path pidFile(UUID id) {
        return directories.of(id).resolve("monitor-pid").resolve("monitor.pid");
    }

    /** Makes {@link #pidFile}'s directory, owned by the monitor's uid and gid when it is confined. */
    private Path preparePidDirectory(UUID id, Hypervisor.Confinement confinement) {
        Path directory = pidFile(id).getParent();
        try {
            Files.createDirectories(directory);
            if (confinement != null) {
                Files.setAttribute(directory, "unix:uid", confinement.uid());
                Files.setAttribute(directory, "unix:gid", confinement.gid());
            }
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
            return directory;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path consoleLog(UUID id) {
        return directories.of(id).resolve("console.log");
    }

    /**
     * The empty directory mvm mounts its own root on, in its own mount namespace; it stays empty on
     * the host and goes with the VM's directory when the VM is destroyed.
     */
    Path monitorRoot(UUID id) {
        return directories.of(id).resolve("monitor-root");
    }

    /** Makes {@link #monitorRoot} (root's, mode 0755, empty). */
    Path prepareMonitorRoot(UUID id) {
        try {
            return Files.createDirectories(monitorRoot(id));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void clearSockets(UUID id) {
        try {
            Files.deleteIfExists(serialSocket(id));
            Files.deleteIfExists(vncSocket(id));
            Files.deleteIfExists(controlSocket(id));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What the VM's monitor is started with: its image's kernel command line plus the instance's
     * name, id and address ({@code mp.hostname=}, {@code mp.id=}, {@code mp.ip=}, {@code mp.gw=},
     * read by the built-in images' init), its disk, tap and sockets, and its confinement (or null).
     */
    Hypervisor.Launch launch(InstanceSpec spec, VmImage image, Path root, String tap, String accel,
            Hypervisor.Confinement confinement) {
        UUID id = spec.id();
        StringBuilder cmdline = new StringBuilder(image.cmdline() == null ? "" : image.cmdline());
        cmdline.append(" mp.hostname=").append(spec.name()).append(" mp.id=").append(id);
        if (spec.network() != null) {
            cmdline.append(" mp.ip=").append(spec.network().address()).append('/')
                    .append(spec.network().prefixLength());
            if (spec.network().gateway() != null && !spec.network().gateway().isBlank()) {
                cmdline.append(" mp.gw=").append(spec.network().gateway());
            }
        }
        preparePidDirectory(id, confinement);
        Path initrd = root.resolve("initrd");
        return new Hypervisor.Launch(id.toString(), spec.name(), spec.vcpus(), spec.memoryMiB(),
                image.directKernelBoot() ? root.resolve("kernel") : null,
                image.directKernelBoot() && Files.isRegularFile(initrd) ? initrd : null,
                cmdline.toString().strip(), root.resolve("disk.raw"), tap, TapDevice.mac(id),
                serialSocket(id), vncSocket(id), controlSocket(id), consoleLog(id),
                pidFile(id), accel, confinement);
    }

    /** What a running monitor's control calls need of its launch: its sockets. */
    Hypervisor.Launch controlOnly(UUID id) {
        return new Hypervisor.Launch(id.toString(), "", 0, 0, null, null, "", null, null, null, serialSocket(id),
                vncSocket(id), controlSocket(id), null, pidFile(id), null, null);
    }
}
