package io.multiplicity.agent.jail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * What a jail's cgroup says it uses, on cgroup v1 (a hierarchy per controller) and v2 (one unified
 * hierarchy) alike. Every jail's cgroup is {@link #path(UUID)} below each hierarchy's root.
 */
final class CgroupReadings {

    private static final Path ROOT = Path.of("/sys/fs/cgroup");

    private CgroupReadings() {
    }

    /** The jail's cgroup, relative to each hierarchy's root. */
    static String path(UUID id) {
        return "/multiplicity/" + id;
    }

    /** Memory in use now, in bytes; 0 when the jail has no cgroup. */
    static long memoryBytes(UUID id) {
        return firstNumber(List.of(ROOT.resolve("memory/multiplicity").resolve(id.toString()).resolve("memory.usage_in_bytes"),
                ROOT.resolve("multiplicity").resolve(id.toString()).resolve("memory.current")));
    }

    /** CPU time the jail consumed, in nanoseconds; 0 when the jail has no cgroup. */
    static long cpuNanos(UUID id) {
        long v1 = firstNumber(List.of(ROOT.resolve("cpuacct/multiplicity").resolve(id.toString()).resolve("cpuacct.usage")));
        return v1 != 0 ? v1 : cpuStatMicros(id) * 1000;
    }

    /** {@code usage_usec} of cgroup v2's {@code cpu.stat}. */
    private static long cpuStatMicros(UUID id) {
        try {
            for (String line : Files.readAllLines(ROOT.resolve("multiplicity").resolve(id.toString()).resolve("cpu.stat"))) {
                if (line.startsWith("usage_usec ")) {
                    return Long.parseLong(line.substring("usage_usec ".length()).strip());
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    private static long firstNumber(List<Path> candidates) {
        for (Path candidate : candidates) {
            try {
                return Long.parseLong(Files.readString(candidate).strip());
            } catch (IOException | NumberFormatException e) {
                // try the next layout
            }
        }
        return 0;
    }
}
