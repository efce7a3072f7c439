package io.multiplicity.host;

import io.multiplicity.common.ApiException;
import io.multiplicity.common.SqlInstants;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Chooses the host of a new instance: a ready, uncordoned host that runs its kind, whose allocatable
 * capacity (physical × overcommit ratio − reserve) still holds it and, for an instance of an
 * anti-affinity group, that holds no live instance of the tenant's group yet; among those, the one
 * the {@link PlacementPolicy} puts first. Candidates are read without locks; only the chosen host's
 * admission lock is taken, and the choice checked again under it, so concurrent creates on different
 * hosts never wait for each other while two cannot both take the last room on one host (or both
 * place members of one group on it). The lock lasts until the caller's transaction ends.
 *
 * <p>A host's admission lock is its row of {@code host_allocations} ({@link HostAllocation}), which
 * holds what its live instances hold and which a trigger on {@code instances} keeps in the
 * transaction of every change: reading it is one row, however many instances the host has. The
 * host's own row is not locked, so heartbeats (which write it) never wait for admissions; the host's
 * state, cordon and last heartbeat are re-read after the lock is taken.
 */
@ApplicationScoped
@Transactional(Transactional.TxType.MANDATORY)
public class Placement {

    @Inject
    EntityManager em;

    @Inject
    HostsConfig config;

    @Inject
    HostDrivers drivers;

    /** Capacity of one host in use by its live instances. */
    public record Allocated(long vcpus, long memoryMiB, long diskGiB) {

        public Allocated plus(Allocated more) {
            return new Allocated(vcpus + more.vcpus, memoryMiB + more.memoryMiB, diskGiB + more.diskGiB);
        }
    }

    /**
     * What a new instance needs of a host.
     *
     * @param avoidHost      a host not to choose (the one a moving instance leaves); null for none
     * @param preferredHosts hosts tried before the others that fit as well (those that hold the
     *                       instance's image version already), each group in the policy's order
     */
    public record Request(UUID tenantId, String placementGroup, String kind, int vcpus, int memoryMiB, int diskGiB,
                          boolean running, UUID avoidHost, Set<UUID> preferredHosts) {

        public Request {
            preferredHosts = preferredHosts == null ? Set.of() : Set.copyOf(preferredHosts);
        }

        public Request(UUID tenantId, String placementGroup, String kind, int vcpus, int memoryMiB, int diskGiB,
                       boolean running, UUID avoidHost) {
            this(tenantId, placementGroup, kind, vcpus, memoryMiB, diskGiB, running, avoidHost, Set.of());
        }

        public Request(UUID tenantId, String placementGroup, String kind, int vcpus, int memoryMiB, int diskGiB,
                       boolean running) {
            this(tenantId, placementGroup, kind, vcpus, memoryMiB, diskGiB, running, null);
        }
    }

    /**
     * The host for a new instance, its row locked until the transaction ends; 409 when none can
     * hold it ({@code no_host_for_kind}, {@code insufficient_capacity}, {@code anti_affinity_unsatisfiable}).
     */
    public Host choose(Request request) {
        Choice choice = attempt(request);
        if (choice.refusal() != null) {
            throw choice.refusal();
        }
        return choice.host();
    }

    /** A host, or why none: the refusal choose would throw. */
    public record Choice(Host host, ApiException refusal) {
    }

    /**
     * As {@link #choose}, but answers a refusal instead of throwing it, for a caller that goes on in
     * the same transaction (a drain placing many instances): an exception leaving this bean would
     * mark the whole transaction for rollback.
     */
    public Choice attempt(Request request) {
        return attempt(request, Map.of());
    }

    /**
     * As {@link #attempt(Request)}, counting on each host, beside what it holds, what the caller's
     * earlier choices promised it and will admit only later (a drain's moves, each admitted when its
     * instance lands): so that one drain does not send more to a host than it can hold.
     */
    public Choice attempt(Request request, Map<UUID, Allocated> promised) {
        try {
            return new Choice(admit(plan(request, promised), promised), null);
        } catch (ApiException refusal) {
            return new Choice(null, refusal);
        }
    }

    /**
     * The hosts that may take a request, best first, read without locks: what {@link #admit} tries in
     * turn under each one's admission lock. A caller can prepare what depends only on the likely host
     * (the tenant's network and address on it) before it takes that lock, so the lock is held for as
     * short a time as possible.
     *
     * @param hosts      the candidates, best first; empty when none has room
     * @param horizon    hosts not heard from since are silent
     * @param refusal    makes the refusal {@link #admit} throws when no candidate holds the request
     *                   (made only then: an exception's stack costs every create that needs none)
     */
    public record Plan(Request request, List<Host> hosts, Instant horizon,
                       java.util.function.Supplier<ApiException> refusal) {

        /** The host the request most likely lands on; null when none may take it. */
        public Host likely() {
            return hosts.isEmpty() ? null : hosts.get(0);
        }
    }

    /** As {@link #choose}, in two steps: see {@link Plan}. Refusals that need no lock are thrown here. */
    public Plan plan(Request request) {
        return plan(request, Map.of());
    }

    private Plan plan(Request request, Map<UUID, Allocated> promised) {
        // Snapshots no session manages (see the constructor), not entities: admit() reads the one it
        // takes again under that host's lock.
        List<Host> ready = em.createQuery("select new io.multiplicity.host.Host(h.id, h.name, h.state, h.cordoned,"
                        + " h.kinds, h.cpus, h.memoryMiB, h.storageGiB, h.cpuRatio, h.memoryRatio, h.diskRatio,"
                        + " h.reservedCpus, h.reservedMemoryMiB, h.reservedStorageGiB, h.lastSeen)"
                        + " from Host h where h.state = 'ready' order by h.name", Host.class)
                .getResultList();
        List<Host> capable = ready.stream().filter(host -> host.kindSet().contains(request.kind())).toList();
        // A host that stopped reporting would leave the new instance waiting for it: it takes none.
        Instant horizon = Instant.now().minus(config.unknownAfter());  // wall time, as heartbeats record
        List<Host> open = capable.stream().filter(host -> !host.cordoned && !silent(host, horizon)
                && !host.id.equals(request.avoidHost())).toList();
        if (open.isEmpty()) {
            Map<String, Object> why = new LinkedHashMap<>();
            // the refusal names each host's problems, from its facts: the entities, on this rare path
            for (Host host : em.createQuery("from Host h where h.state = 'ready' order by h.name", Host.class)
                    .getResultList()) {
                Object problems = host.facts == null ? null : host.facts.get("problems");
                if (host.cordoned && host.kindSet().contains(request.kind())) {
                    why.put(host.name, "cordoned");
                } else if (silent(host, horizon) && host.kindSet().contains(request.kind())) {
                    why.put(host.name, "has not reported since " + host.lastSeen);
                } else if (problems instanceof Map<?, ?> map && map.get(request.kind()) != null) {
                    why.put(host.name, map.get(request.kind()));
                }
            }
            throw ApiException.conflict("no_host_for_kind", "no ready host can run instances of kind " + request.kind()
                    + (capable.isEmpty() ? "" : ": every host that could is cordoned or silent"),
                    why.isEmpty() ? null : Map.of("hosts", why));
        }
        Set<UUID> groupHosts = groupHosts(request);
        Map<UUID, Allocated> allocated = new HashMap<>(allocated(open.stream().map(host -> host.id).toList()));
        promised.forEach((hostId, more) -> allocated.merge(hostId, more, Allocated::plus));
        List<PlacementPolicy.Candidate> candidates = new ArrayList<>();
        Map<String, Object> shortest = null;
        List<String> heldByGroup = new ArrayList<>();
        for (Host host : open) {
            Map<String, Object> shortage = shortage(host, allocated.get(host.id), request);
            if (shortage != null) {
                if (shortest == null) {
                    shortest = shortage;
                }
            } else if (groupHosts.contains(host.id)) {
                heldByGroup.add(host.name);
            } else {
                long allocatable = Math.max(host.allocatableMemoryMiB(), 1);
                long used = allocated.getOrDefault(host.id, NOTHING).memoryMiB();
                candidates.add(new PlacementPolicy.Candidate(host, (double) (allocatable - used) / allocatable));
            }
        }
        candidates.sort(config.placementPolicy().order(request.preferredHosts()));
        Map<String, Object> shortestFound = shortest;
        java.util.function.Supplier<ApiException> refusal = () -> !heldByGroup.isEmpty() && shortestFound == null
                ? ApiException.conflict("anti_affinity_unsatisfiable", "every host with room for the instance"
                        + " already holds an instance of group " + request.placementGroup(),
                        Map.of("group", request.placementGroup(), "hosts", heldByGroup))
                : ApiException.conflict("insufficient_capacity", "no host has room for " + request.vcpus()
                        + " vCPUs, " + request.memoryMiB() + " MiB and " + request.diskGiB() + " GiB"
                        + (heldByGroup.isEmpty() ? "" : " outside the hosts of group " + request.placementGroup()),
                        shortestFound);
        return new Plan(request, candidates.stream().map(PlacementPolicy.Candidate::host).toList(), horizon, refusal);
    }

    /**
     * The first host of the plan that still holds the request under its admission lock, which lasts
     * until the transaction ends; throws the plan's refusal when none does.
     */
    public Host admit(Plan plan) {
        return admit(plan, Map.of());
    }

    private Host admit(Plan plan, Map<UUID, Allocated> promised) {
        Request request = plan.request();
        for (Host candidate : plan.hosts()) {
            Locked locked = lockWithHost(candidate.id);
            Host host = locked.host();
            // Checked again under the lock, on the host's row as it is now: a create that committed
            // meanwhile counts, and so does a cordon or a change of capacity since the plan read it.
            if (!"ready".equals(host.state) || host.cordoned || !host.kindSet().contains(request.kind())
                    || (host.lastSeen == null || host.lastSeen.isBefore(plan.horizon()))
                    && !drivers.answeredHereSince(host.id, plan.horizon())
                    || shortage(host, locked.held().plus(promised.getOrDefault(host.id, NOTHING)), request) != null
                    || groupHosts(request).contains(host.id)) {
                continue;
            }
            return em.find(Host.class, host.id);
        }
        throw plan.refusal().get();
    }

    /** What a host holds, under its admission lock, and its row as read under it (a snapshot, without facts). */
    private record Locked(Allocated held, Host host) {
    }

    /** Takes the host's admission lock and, in the same statement, reads its row as it is now. */
    private Locked lockWithHost(UUID hostId) {
        List<?> rows = em.createNativeQuery("select a.vcpus, a.memory_mib, a.disk_gib, h.last_seen, h.state,"
                        + " h.cordoned, h.cpus, h.memory_mib, h.storage_gib, h.cpu_ratio, h.memory_ratio, h.disk_ratio,"
                        + " h.reserved_cpus, h.reserved_memory_mib, h.reserved_storage_gib, h.kinds, h.name"
                        + " from host_allocations a join hosts h on h.id = a.host_id where a.host_id = :host"
                        + " for no key update of a")
                .setParameter("host", hostId)
                .getResultList();
        if (rows.isEmpty()) {
            throw ApiException.conflict("host_gone", "the host no longer exists", Map.of("host", hostId.toString()));
        }
        Object[] row = (Object[]) rows.get(0);
        Host host = new Host(hostId, (String) row[16], (String) row[4], (Boolean) row[5], (String) row[15],
                ((Number) row[6]).intValue(), ((Number) row[7]).longValue(), ((Number) row[8]).longValue(),
                (java.math.BigDecimal) row[9], (java.math.BigDecimal) row[10], (java.math.BigDecimal) row[11],
                ((Number) row[12]).intValue(), ((Number) row[13]).longValue(), ((Number) row[14]).longValue(),
                SqlInstants.of(row[3]));
        return new Locked(new Allocated(((Number) row[0]).longValue(), ((Number) row[1]).longValue(),
                ((Number) row[2]).longValue()), host);
    }


    private Host chooseOrThrow(Request request) {
        return admit(plan(request), Map.of());
    }

    /**
     * Whether a host has gone silent: neither its last heartbeat in the database is recent, nor did
     * this replica see it answer itself lately (its in-process host). Placement skips such a host,
     * and readiness does not count it.
     */
    @Transactional(Transactional.TxType.SUPPORTS)
    public boolean silent(Host host) {
        return silent(host, Instant.now().minus(config.unknownAfter()));  // wall time, as heartbeats record
    }

    private boolean silent(Host host, Instant horizon) {
        return (host.lastSeen == null || host.lastSeen.isBefore(horizon)) && !drivers.answeredHereSince(host.id, horizon);
    }

    private static final Allocated NOTHING = new Allocated(0, 0, 0);

    /** The hosts that hold a live instance of the request's group; empty without a group. */
    private Set<UUID> groupHosts(Request request) {
        if (request.placementGroup() == null) {
            return Set.of();
        }
        return new HashSet<>(em.createQuery("select distinct i.hostId from Instance i where i.tenantId = :tenant"
                        + " and i.placementGroup = :group and i.deletedAt is null", UUID.class)
                .setParameter("tenant", request.tenantId())
                .setParameter("group", request.placementGroup())
                .getResultList());
    }

    /** What the host lacks for the request, or null when it holds it. */
    private static Map<String, Object> shortage(Host host, Allocated used, Request request) {
        Allocated held = used == null ? NOTHING : used;
        long freeVcpus = host.allocatableVcpus() - held.vcpus();
        long freeMemory = host.allocatableMemoryMiB() - held.memoryMiB();
        long freeDisk = host.allocatableStorageGiB() - held.diskGiB();
        int needVcpus = request.running() ? request.vcpus() : 0;
        int needMemory = request.running() ? request.memoryMiB() : 0;
        // A host an admin has squeezed below what it holds still takes instances that need
        // none of what it lacks.
        boolean vcpusFit = needVcpus == 0 || freeVcpus >= needVcpus;
        boolean memoryFits = needMemory == 0 || freeMemory >= needMemory;
        if (vcpusFit && memoryFits && freeDisk >= request.diskGiB()) {
            return null;
        }
        Map<String, Object> shortage = new LinkedHashMap<>();
        shortage.put("host", host.name);
        if (!vcpusFit) {
            shortage.put("vcpus", Map.of("requested", request.vcpus(), "free", freeVcpus));
        }
        if (!memoryFits) {
            shortage.put("memoryMiB", Map.of("requested", request.memoryMiB(), "free", freeMemory));
        }
        if (freeDisk < request.diskGiB()) {
            shortage.put("diskGiB", Map.of("requested", request.diskGiB(), "free", freeDisk));
        }
        return shortage;
    }

    /**
     * Takes the host's admission lock and refuses if starting the instance (vCPUs and memory) passes the host's
     * allocatable capacity.
     */
    public void admitStart(UUID hostId, int vcpus, int memoryMiB) {
        admitGrowth(hostId, vcpus, memoryMiB, 0);
    }

    /**
     * Takes the host's admission lock and refuses if adding {@code vcpus}, {@code memoryMiB} and {@code diskGiB} to
     * what it holds passes its allocatable capacity. Zero or negative amounts are not checked.
     */
    public void admitGrowth(UUID hostId, int vcpus, int memoryMiB, int diskGiB) {
        Host host = em.find(Host.class, hostId);
        if (host == null) {
            throw ApiException.conflict("host_gone", "the instance's host no longer exists", null);
        }
        Allocated used = lockAdmission(hostId);
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
     * Takes the host's admission lock (its {@code host_allocations} row, until the transaction ends)
     * and answers what its live instances hold, as committed before the lock was granted. Every
     * admission onto a host (create, start, growth) and every change of what the host holds goes
     * through this row, so two can never both take its last room.
     */
    public Allocated lockAdmission(UUID hostId) {
        List<?> rows = em.createNativeQuery("select vcpus, memory_mib, disk_gib from host_allocations"
                        + " where host_id = :host for no key update")
                .setParameter("host", hostId)
                .getResultList();
        if (rows.isEmpty()) {
            throw ApiException.conflict("host_gone", "the host no longer exists", Map.of("host", hostId.toString()));
        }
        Object[] row = (Object[]) rows.get(0);
        return new Allocated(((Number) row[0]).longValue(), ((Number) row[1]).longValue(),
                ((Number) row[2]).longValue());
    }

    /**
     * What the live instances on each host hold: vCPUs and memory of the instances meant to run, and
     * disk of all of them. Read from {@code host_allocations}, which a trigger on {@code instances}
     * keeps in the transaction of every change (one row per host, not a sum over its instances); a
     * projection, so a read under the host's lock sees what committed before it, never a copy this
     * transaction read earlier.
     */
    @Transactional(Transactional.TxType.SUPPORTS)
    public Map<UUID, Allocated> allocated(List<UUID> hostIds) {
        Map<UUID, Allocated> result = new HashMap<>();
        if (hostIds.isEmpty()) {
            return result;
        }
        // "= any" of one array parameter: one statement whatever the number of hosts, translated once
        // (a list bound to "in" makes a statement per list length, which is translated on every call).
        List<?> rows = em.createNativeQuery("select host_id, vcpus, memory_mib, disk_gib from host_allocations"
                        + " where host_id = any(?1)")
                .setParameter(1, hostIds.toArray(new UUID[0]))
                .getResultList();
        for (Object found : rows) {
            Object[] row = (Object[]) found;
            result.put((UUID) row[0], new Allocated(((Number) row[1]).longValue(), ((Number) row[2]).longValue(),
                    ((Number) row[3]).longValue()));
        }
        return result;
    }
}
