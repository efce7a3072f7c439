package io.multiplicity.agent.jail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Which host CPUs a jail runs on. A jail with fewer vCPUs than the host has CPUs is pinned to that
 * many (as Incus does for {@code limits.cpu}), so {@code nproc} and every program that sizes its
 * threads from the CPUs it may use see its vCPUs; the CFS quota still bounds its time. Jails are
 * spread over the host's CPUs by their id.
 */
final class CpuPinning {

    private static final Path ONLINE = Path.of("/sys/devices/system/cpu/online");

    private CpuPinning() {
    }

    /** The cpuset of a jail with {@code vcpus} vCPUs ("1" or "0,1"), or null for all of the host's CPUs. */
    static String cpusFor(UUID id, int vcpus) {
        List<Integer> online = onlineCpus();
        if (online.isEmpty() || vcpus >= online.size()) {
            return null;
        }
        int first = Math.floorMod(id.hashCode(), online.size());
        List<Integer> chosen = new ArrayList<>();
        for (int i = 0; i < vcpus; i++) {
            chosen.add(online.get((first + i) % online.size()));
        }
        return chosen.stream().sorted().map(String::valueOf).collect(Collectors.joining(","));
    }

    /** The host's online CPUs, from a list like "0-3,6". */
    static List<Integer> onlineCpus() {
        try {
            return parse(Files.readString(ONLINE).strip());
        } catch (IOException | NumberFormatException e) {
            return List.of();
        }
    }

    static List<Integer> parse(String list) {
        List<Integer> cpus = new ArrayList<>();
        for (String part : list.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            String[] range = part.split("-");
            int from = Integer.parseInt(range[0].strip());
            int to = range.length > 1 ? Integer.parseInt(range[1].strip()) : from;
            for (int cpu = from; cpu <= to; cpu++) {
                cpus.add(cpu);
            }
        }
        return cpus;
    }
}
