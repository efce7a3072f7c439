package io.multiplicity.agent.jail;

import io.multiplicity.agent.support.Command;
import io.multiplicity.agent.support.Command.Result;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The one way onto a jail's root file system from the host, for the jail itself only.
 *
 * <p>Instance datasets are mounted below a directory only host root may enter (mode 0700, set
 * when the pool is prepared), so no other host user (a VM monitor's uid, a service account, a
 * process that left another jail) can run a set-user-ID program or open a device node in a
 * jail's root. The runtime needs a path the jail's own root can walk, though: in a user
 * namespace, runc sets the root up as the jail's root (its range's first host id), which host
 * root's 0700 directory would stop. So while a jail runs, its dataset is bind-mounted at
 * {@code <jail directory>/rootfs/root}, whose {@code rootfs} directory is owned by the jail's
 * root alone, mode 0700: the jail reaches its own root there and nobody else but host root
 * does. Unlike mounting the datasets {@code nosuid}, this keeps {@code sudo} and other
 * set-user-ID programs working inside the jail (a user namespace cannot lift a {@code nosuid}
 * it inherited).
 */
final class JailRootGate {

    private static final String GATE = "rootfs";
    private static final String ROOT = "root";

    private JailRootGate() {
    }

    /** Where the runtime finds the jail's root (the {@code root.path} of its bundle). */
    static Path path(Path jailDirectory) {
        return jailDirectory.resolve(GATE).resolve(ROOT);
    }

    /** The bind mount that opens a gate: the dataset's mountpoint at the gate's root. */
    record Bind(Path source, Path target) {
    }

    /**
     * Prepares the gate: the directory owned by {@code rootId} (host root when the jail has no user
     * namespace) where the dataset's mountpoint {@code datasetRoot} is to be bound at
     * {@link #path}. Returns that bind, which the jail's console keeper makes just before the
     * runtime runs (a mount(2) of its own, where a mount(8) process would cost the start a process
     * of its own); empty when the gate is open already.
     */
    static java.util.Optional<Bind> prepare(Path jailDirectory, Path datasetRoot, int rootId) {
        Path gate = jailDirectory.resolve(GATE);
        Path target = gate.resolve(ROOT);
        try {
            Files.createDirectories(target);
            int owner = Math.max(0, rootId);
            Files.setAttribute(gate, "unix:uid", owner, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(gate, "unix:gid", owner, LinkOption.NOFOLLOW_LINKS);
            Files.setPosixFilePermissions(gate, PosixFilePermissions.fromString("rwx------"));
            // Walked by the jail's root on its way to the gate, never listed.
            Files.setPosixFilePermissions(jailDirectory, PosixFilePermissions.fromString("rwx--x--x"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the root of the jail in " + jailDirectory, e);
        }
        return isMounted(target) ? java.util.Optional.empty() : java.util.Optional.of(new Bind(datasetRoot, target));
    }

    /** Closes the gate (the jail no longer runs); its dataset stays mounted where it was. */
    static void close(Path jailDirectory) {
        Path target = path(jailDirectory);
        if (!isMounted(target)) {
            return;
        }
        Result unmounted = Command.run("umount", target.toString());
        if (!unmounted.ok() && isMounted(target)) {
            // Still busy (a process that entered the jail's root from the host): detach it now, so
            // that removing the jail's directory can never reach into its files.
            Command.run("umount", "-l", target.toString()).check();
        }
    }

    /** Whether something is mounted at {@code path} (the host's mount table lists it). */
    static boolean isMounted(Path path) {
        String target = " " + path.toAbsolutePath() + " ";
        try (var lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
            return lines.anyMatch(line -> line.contains(target));
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }
}
