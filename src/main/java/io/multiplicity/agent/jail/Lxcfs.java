package io.multiplicity.agent.jail;

import io.multiplicity.agent.support.Command;
import io.multiplicity.agent.support.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * LXCFS, the FUSE file system that gives each container its own view of {@code /proc/meminfo},
 * {@code /proc/cpuinfo}, {@code /proc/stat}, {@code /proc/uptime} and friends, computed from the
 * cgroup of the process that reads them (Incus and LXD use it the same way). Jails get its files
 * bound over their own {@code /proc} files, so {@code free}, {@code top} and {@code uptime} in a
 * jail show its memory limit and its own uptime.
 *
 * <p>One LXCFS serves the whole host at {@link #MOUNTPOINT}. The agent uses the one already
 * mounted there (Debian's {@code lxcfs} service), else starts the daemon itself (it detaches and
 * outlives the agent: running jails keep reading it). Without LXCFS jails still start, with the
 * host's figures, and the agent says so.
 */
public final class Lxcfs {

    private static final Logger LOG = Logger.getLogger(Lxcfs.class);

    /** Where Debian's lxcfs service mounts it, and where the agent starts it. */
    public static final Path MOUNTPOINT = Path.of("/var/lib/lxcfs");

    /** The files of a jail's {@code /proc} (and {@code /sys}) that LXCFS answers for. */
    static final List<String> VIRTUALIZED = List.of("proc/cpuinfo", "proc/diskstats", "proc/meminfo", "proc/stat",
            "proc/swaps", "proc/uptime", "proc/loadavg", "sys/devices/system/cpu/online");

    private static final Duration MOUNT_WAIT = Duration.ofSeconds(10);

    private Lxcfs() {
    }

    /**
     * The mounted LXCFS, started if needed, or empty (with the reason in {@code problem}) when the
     * host has none.
     */
    public static Optional<Path> ensure(StringBuilder problem) {
        if (mounted()) {
            return Optional.of(MOUNTPOINT);
        }
        if (!Command.run("sh", "-c", "command -v lxcfs").ok()) {
            problem.append("lxcfs is not installed (scripts/host-deps.sh installs it): jails see the host's memory,"
                    + " CPUs and uptime");
            LOG.warn(problem);
            return Optional.empty();
        }
        if (listed()) {
            // an LXCFS whose daemon died leaves its mount behind ("Transport endpoint is not connected")
            LOG.warnf("LXCFS at %s no longer answers; unmounting it to start it again", MOUNTPOINT);
            Command.run("umount", "-l", MOUNTPOINT.toString());
        }
        try {
            Files.createDirectories(MOUNTPOINT);
        } catch (IOException e) {
            problem.append("cannot create ").append(MOUNTPOINT).append(": ").append(e.getMessage());
            LOG.warn(problem);
            return Optional.empty();
        }
        // --enable-cfs: /proc/cpuinfo, /proc/stat and cpu/online follow the jail's CPU quota;
        // -l: /proc/loadavg is the jail's own. The daemon forks into the background once mounted.
        Path log = Path.of("/run/lxcfs.log");
        try {
            new ProcessBuilder("lxcfs", "--enable-cfs", "-l", "--pidfile", "/run/lxcfs.pid", MOUNTPOINT.toString())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
        } catch (IOException e) {
            problem.append("cannot start lxcfs: ").append(e.getMessage());
            LOG.warn(problem);
            return Optional.empty();
        }
        long deadline = System.nanoTime() + MOUNT_WAIT.toNanos();
        while (!mounted() && System.nanoTime() < deadline) {
            Processes.sleep(50);
        }
        if (!mounted()) {
            problem.append("lxcfs did not mount ").append(MOUNTPOINT).append(" (its output is in ").append(log)
                    .append(")");
            LOG.warn(problem);
            return Optional.empty();
        }
        LOG.infof("started lxcfs on %s: jails see their own memory, CPUs and uptime", MOUNTPOINT);
        return Optional.of(MOUNTPOINT);
    }

    /** Whether LXCFS is mounted (and answering) at {@link #MOUNTPOINT}. */
    public static boolean mounted() {
        return listed() && Files.isReadable(MOUNTPOINT.resolve("proc/meminfo"));
    }

    /** Whether an LXCFS mount is listed at {@link #MOUNTPOINT}, answering or not. */
    private static boolean listed() {
        try {
            return Files.readAllLines(Path.of("/proc/self/mounts")).stream()
                    .map(line -> line.split(" "))
                    .anyMatch(fields -> fields.length > 2 && fields[1].equals(MOUNTPOINT.toString())
                            && fields[2].contains("lxcfs"));
        } catch (IOException e) {
            return false;
        }
    }
}
