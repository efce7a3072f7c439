package io.multiplicity.agent.jail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The kind of init a jail's image runs as PID 1, which decides what the jail is given and how it
 * is asked to stop. Read from the image itself ({@link #of}), so a tenant's own upload of a
 * systemd distribution is treated like the built-in Debian image.
 */
public enum JailInit {

    /** The image's own {@code /sbin/init} (busybox init, a script): asked to stop with SIGTERM. */
    PLAIN("TERM"),

    /**
     * systemd: it takes SIGRTMIN+3 as "halt" (SIGTERM only makes it re-execute itself), and is
     * given a writable cgroup of its own, tmpfs on {@code /run}, {@code /run/lock} and
     * {@code /tmp}, and (in a user namespace) the capabilities and system calls it needs to set up
     * its services' sandboxes.
     */
    SYSTEMD("37");

    private final String stopSignal;

    JailInit(String stopSignal) {
        this.stopSignal = stopSignal;
    }

    /** The signal (name or number, as the OCI runtime's {@code kill} takes it) that asks init to shut down. */
    public String stopSignal() {
        return stopSignal;
    }

    /** What the root file system at {@code root} runs: systemd where {@code /sbin/init} links to it. */
    public static JailInit of(Path root) {
        Path init = root.resolve("sbin/init");
        try {
            if (Files.isSymbolicLink(init)) {
                Path target = Files.readSymbolicLink(init).getFileName();
                if (target != null && target.toString().equals("systemd")) {
                    return SYSTEMD;
                }
            }
        } catch (IOException e) {
            return PLAIN;
        }
        return PLAIN;
    }
}
