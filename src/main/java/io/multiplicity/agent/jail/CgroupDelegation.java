package io.multiplicity.agent.jail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/**
 * Hands a jail its own cgroup v2 directory, the way a container manager delegates a subtree to
 * systemd: the jail's root owns the directory and the files that move processes and enable
 * controllers, so systemd inside can create a cgroup per service below it.
 *
 * <p>On a hybrid host (cgroup v1 controllers plus the v2 hierarchy at
 * {@code /sys/fs/cgroup/unified}) the OCI runtime still puts the jail into the v2 hierarchy, under
 * the same path as in the v1 ones; the v1 hierarchies keep enforcing memory, CPU and process
 * limits, and systemd in the jail sees a v2 tree without controllers, which is enough to track
 * its services. On a unified host the same directory also carries the controllers.
 */
final class CgroupDelegation {

    private static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");
    private static final List<String> DELEGATED_FILES = List.of("cgroup.procs", "cgroup.threads",
            "cgroup.subtree_control");

    private CgroupDelegation() {
    }

    /** The root of the host's cgroup v2 hierarchy, or null when the host has none. */
    static Path unifiedRoot() {
        if (Files.exists(CGROUP_ROOT.resolve("cgroup.controllers"))) {
            return CGROUP_ROOT;
        }
        Path hybrid = CGROUP_ROOT.resolve("unified");
        return Files.exists(hybrid.resolve("cgroup.controllers")) ? hybrid : null;
    }

    /** Whether this host can give a jail a cgroup v2 tree of its own. */
    static boolean available() {
        return unifiedRoot() != null;
    }

    /**
     * Gives the jail's v2 cgroup ({@code cgroupsPath} below the hierarchy's root, created by the
     * runtime) to the host id that is root in the jail.
     */
    static void delegate(String cgroupsPath, int rootId) {
        Path unified = unifiedRoot();
        if (unified == null) {
            return;
        }
        Path directory = unified.resolve(cgroupsPath.replaceFirst("^/+", ""));
        try {
            chown(directory, rootId);
            for (String file : DELEGATED_FILES) {
                Path path = directory.resolve(file);
                if (Files.exists(path)) {
                    chown(path, rootId);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delegate the cgroup " + directory + " to the jail", e);
        }
    }

    private static void chown(Path path, int id) throws IOException {
        Files.setAttribute(path, "unix:uid", id, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(path, "unix:gid", id, LinkOption.NOFOLLOW_LINKS);
    }
}
