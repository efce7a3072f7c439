package io.multiplicity.agent.vm;

import io.multiplicity.agent.support.InstanceDirectories;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

/**
 * Gives each VM's monitor a host uid (and the gid of the same number) of its own, from a configured
 * range: the lowest id no other VM of this host holds. The id is kept in the VM's directory
 * ({@code monitor-id}) for as long as the VM exists, so every start of the VM runs as the same id and
 * no two VMs ever share one; it is free again once the VM is destroyed and its directory gone. The id
 * owns nothing on the host: the monitor opens what it needs as root before it switches to it.
 */
final class MonitorIds {

    static final String FILE = "monitor-id";

    private final InstanceDirectories<?> directories;
    private final int first;
    private final int count;

    /**
     * @param directories the VMs' directories
     * @param first       the range's first id (not 0)
     * @param count       how many ids it holds: how many VMs the host can have
     */
    MonitorIds(InstanceDirectories<?> directories, int first, int count) {
        if (first <= 0 || count <= 0 || (long) first + count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("monitor ids must be a range of positive ids: " + first + "+" + count);
        }
        this.directories = directories;
        this.first = first;
        this.count = count;
    }

    /** The VM's id, allocated on its first call. */
    synchronized int of(UUID vm) {
        Integer kept = held(vm);
        if (kept != null) {
            return kept;
        }
        Set<Integer> taken = new HashSet<>();
        for (UUID other : directories.ids(false)) {
            Integer id = held(other);
            if (id != null) {
                taken.add(id);
            }
        }
        for (int candidate = first; candidate < first + count; candidate++) {
            if (!taken.contains(candidate)) {
                InstanceDirectories.writeText(directories.of(vm).resolve(FILE), candidate + "\n");
                return candidate;
            }
        }
        throw new IllegalStateException("no monitor id left: all " + count + " ids from " + first
                + " belong to VMs of this host");
    }

    /** The id the VM holds, null when it has none yet. */
    Integer held(UUID vm) {
        Path file = directories.of(vm).resolve(FILE);
        try {
            return Files.exists(file) ? Integer.valueOf(Files.readString(file).strip()) : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NumberFormatException e) {
            throw new IllegalStateException(file + " holds no id", e);
        }
    }

    /** Whether this process may give monitors other ids: it runs as root. */
    static boolean agentIsRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
