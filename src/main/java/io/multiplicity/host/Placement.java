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

    /**
     * @param running whether the instance is to run at once; vCPUs and memory are held on a host
     *                only by instances meant to run, disk by every live instance
     */
    public Host choose(String kind, int vcpus, int memoryMiB, int diskGiB, boolean running) {
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
            int needVcpus = running ? vcpus : 0;
            int needMemory = running ? memoryMiB : 0;
            // A host an admin has squeezed below what it holds still takes instances that need
            // none of what it lacks.
            boolean vcpusFit = needVcpus == 0 || freeVcpus >= needVcpus;
            boolean memoryFits = needMemory == 0 || freeMemory >= needMemory;
            if (vcpusFit && memoryFits && freeDisk >= diskGiB) {
                if (freeMemory > bestFree) {
                    best = host;
                    bestFree = freeMemory;
                }
            } else if (shortest == null) {
                shortest = new LinkedHashMap<>();
                shortest.put("host", host.name);
                if (!vcpusFit) {
                    shortest.put("vcpus", Map.of("requested", vcpus, "free", freeVcpus));
                }
                if (!memoryFits) {
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

    /**
     * Locks the instance's host and refuses if starting it (vCPUs and memory) passes the host's
     * allocatable capacity.
     */
    public void admitStart(UUID hostId, int vcpus, int memoryMiB) {
        admitGrowth(hostId, vcpus, memoryMiB, 0);
    }

    /**
     * Locks the host and refuses if adding {@code vcpus}, {@code memoryMiB} and {@code diskGiB} to
     * what it holds passes its allocatable capacity. Zero or negative amounts are not checked.
     */
    public void admitGrowth(UUID hostId, int vcpus, int memoryMiB, int diskGiB) {
        Host host = em.find(Host.class, hostId, LockModeType.PESSIMISTIC_WRITE);
        if (host == null) {
            throw ApiException.conflict("host_gone", "the instance's host no longer exists", null);
        }
        Allocated used = allocated(List.of(hostId)).getOrDefault(hostId, new Allocated(0, 0, 0));
        long freeVcpus = host.allocatableVcpus() - used.vcpus();
        long freeMemory = host.allocatableMemoryMiB() - used.memoryMiB();
        long freeDisk = host.allocatableStorageGiB() - used.diskGiB();
        boolean vcpusFit = vcpus <= 0 || freeVcpus >= vcpus;
        boolean memoryFits = memoryMiB <= 0 || freeMemory >= memoryMiB;
        boolean diskFits = diskGiB <= 0 || freeDisk >= diskGiB;
        if (vcpusFit && memoryFits && diskFits) {
            return;
        }
        Map<String, Object> shortage = new LinkedHashMap<>();
        shortage.put("host", host.name);
        if (!vcpusFit) {
            shortage.put("vcpus", Map.of("requested", vcpus, "free", freeVcpus, "over", vcpus - freeVcpus));
        }
        if (!memoryFits) {
            shortage.put("memoryMiB", Map.of("requested", memoryMiB, "free", freeMemory, "over", memoryMiB - freeMemory));
        }
        if (!diskFits) {
            shortage.put("diskGiB", Map.of("requested", diskGiB, "free", freeDisk, "over", diskGiB - freeDisk));
        }
        throw ApiException.conflict("insufficient_capacity", "host " + host.name + " has no room for "
                + Math.max(vcpus, 0) + " vCPUs, " + Math.max(memoryMiB, 0) + " MiB and " + Math.max(diskGiB, 0)
                + " GiB more", shortage);
    }

    /**
     * What the live instances on each host hold: vCPUs and memory of the instances meant to run, and
     * disk of all of them.
     */
    @Transactional(Transactional.TxType.SUPPORTS)
    public Map<UUID, Allocated> allocated(List<UUID> hostIds) {
        Map<UUID, Allocated> result = new HashMap<>();
        if (hostIds.isEmpty()) {
            return result;
        }
        List<Object[]> rows = em.createQuery("select i.hostId,"
                        + " sum(case when i.desiredState = 'running' then i.vcpus else 0 end),"
                        + " sum(case when i.desiredState = 'running' then i.memoryMiB else 0 end), sum(i.diskGiB)"
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
