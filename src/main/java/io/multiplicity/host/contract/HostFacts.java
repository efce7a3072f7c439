package io.multiplicity.host.contract;

import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * What a host reports of itself.
 *
 * @param hostId       the host's stable identity (its id in the control plane), kept on the host;
 *                     null until the host is enrolled ({@link HostDriver#enroll})
 * @param hostname     the host's name
 * @param cpus         physical (logical) CPUs
 * @param memoryMiB    physical memory
 * @param storageGiB   size of the instance storage pool
 * @param kinds        instance kinds this host can run ("jail", "vm")
 * @param runtimes     runtime name to version, e.g. "runc" → "1.1.5", "zfs" → "0.7.2"
 * @param problems     why a kind is missing, e.g. "jail" → "no OCI runtime found"
 */
public record HostFacts(
        UUID hostId,
        String hostname,
        int cpus,
        long memoryMiB,
        long storageGiB,
        Set<String> kinds,
        Map<String, String> runtimes,
        Map<String, String> problems) {
}
