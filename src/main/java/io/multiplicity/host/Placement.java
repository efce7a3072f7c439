package io.multiplicity.host;

import io.multiplicity.common.ApiException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Chooses the host of a new instance: a ready host that runs its kind and whose allocatable
 * capacity (physical × overcommit ratio − reserve) still holds it; among those, the one with the
 * most free memory. The candidate hosts stay locked until the caller's transaction ends, so
 * concurrent placements cannot both take the last room on a host.
 */
@ApplicationScoped
@Transactional(Transactional.TxType.MANDATORY)
public class Placement {

    @Inject
    EntityManager em;

    /** Capacity of one host in use by its live instances. */
    public record Allocated(long vcpus, long memoryMiB, long diskGiB) {
    }

    public Host choose(String kind, int vcpus, int memoryMiB, int diskGiB) {
        List<Host> ready = em.createQuery("from Host h where h.state = 'ready' order by h.id", Host.class)
                .setLockMode(LockModeType.PESSIMISTIC_WRITE)
                .getResultList();
        List<Host> capable = ready.stream().filter(host -> host.kindSet().contains(kind)).toList();
        if (capable.isEmpty()) {
            Map<String, Object> why = new LinkedHashMap<>();
            for (Host host : ready) {
                Object problems = host.facts == null ? null : host.facts.get("problems");
                if (problems instanceof Map<?, ?> map && map.get(kind) != null) {
                    why.put(host.name, map.get(kind));
                }
            }
            throw ApiException.conflict("no_host_for_kind", "no ready host can run instances of kind " + kind,
                    why.isEmpty() ? null : Map.of("hosts", why));
        }
        Map<UUID, Allocated> allocated = allocated(capable.stream().map(host -> host.id).toList());
        Host best = null;
        long bestFree = Long.MIN_VALUE;
        Map<String, Object> shortest = null;
        for (Host host : capable) {
            Allocated used = allocated.getOrDefault(host.id, new Allocated(0, 0, 0));
            long freeVcpus = host.allocatableVcpus() - used.vcpus();
            long freeMemory = host.allocatableMemoryMiB() - used.memoryMiB();
            long freeDisk = host.allocatableStorageGiB() - used.diskGiB();
            if (freeVcpus >= vcpus && freeMemory >= memoryMiB && freeDisk >= diskGiB) {
                if (freeMemory > bestFree) {
                    best = host;
                    bestFree = freeMemory;
                }
            } else if (shortest == null) {
                shortest = new LinkedHashMap<>();
                shortest.put("host", host.name);
                if (freeVcpus < vcpus) {
                    shortest.put("vcpus", Map.of("requested", vcpus, "free", freeVcpus));
                }
                if (freeMemory < memoryMiB) {
                    shortest.put("memoryMiB", Map.of("requested", memoryMiB, "free", freeMemory));
                }
                if (freeDisk < diskGiB) {
                    shortest.put("diskGiB", Map.of("requested", diskGiB, "free", freeDisk));
                }
            }
        }
        if (best == null) {
            throw ApiException.conflict("insufficient_capacity",
                    "no host has room for " + vcpus + " vCPUs, " + memoryMiB + " MiB and " + diskGiB + " GiB",
                    shortest);
        }
        return best;
    }

    /** What the live instances on each host take. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public Map<UUID, Allocated> allocated(List<UUID> hostIds) {
        Map<UUID, Allocated> result = new HashMap<>();
        if (hostIds.isEmpty()) {
            return result;
        }
        List<Object[]> rows = em.createQuery("select i.hostId, sum(i.vcpus), sum(i.memoryMiB), sum(i.diskGiB)"
                        + " from Instance i where i.deletedAt is null and i.hostId in :hosts group by i.hostId",
                        Object[].class)
                .setParameter("hosts", hostIds)
                .getResultList();
        for (Object[] row : rows) {
            result.put((UUID) row[0], new Allocated(((Number) row[1]).longValue(), ((Number) row[2]).longValue(),
                    ((Number) row[3]).longValue()));
        }
        return result;
    }
}
