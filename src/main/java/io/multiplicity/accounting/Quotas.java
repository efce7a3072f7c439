package io.multiplicity.accounting;

import io.multiplicity.common.ApiException;
import io.multiplicity.tenant.Tenant;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Tenant quotas and admission. Admission locks the tenant's row, computes what its live instances
 * hold from the instances themselves (so the figures can never drift from what exists), and refuses
 * a request that would pass a limit, naming the limit and by how much. The caller then locks hosts
 * and records the instance in the same transaction, so no race of concurrent requests overshoots.
 * Lock order everywhere: tenant, then hosts by id.
 */
@ApplicationScoped
@Transactional
public class Quotas {

    @Inject
    EntityManager em;

    @Transactional(Transactional.TxType.SUPPORTS)
    public QuotaLimits limits(UUID tenantId) {
        Tenant tenant = em.find(Tenant.class, tenantId);
        Plan plan = tenant == null || tenant.planId == null ? null : em.find(Plan.class, tenant.planId);
        return QuotaLimits.of(plan, em.find(TenantQuota.class, tenantId));
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public Allocation allocation(UUID tenantId) {
        long[] held = instancesHold(tenantId);
        // Open sessions and tickets on their way to becoming one (issued, neither redeemed nor expired).
        long consoleSessions = em.createQuery("select count(s) from ConsoleSession s where s.tenantId = :tenant"
                        + " and s.endedAt is null", Long.class)
                .setParameter("tenant", tenantId)
                .getSingleResult()
                + em.createQuery("select count(t) from ConsoleTicket t where t.tenantId = :tenant and t.usedAt is null"
                        + " and t.expiresAt > :now", Long.class)
                .setParameter("tenant", tenantId)
                .setParameter("now", io.multiplicity.common.Clock.now())
                .getSingleResult();
        long snapshots = em.createQuery("select count(s) from InstanceSnapshot s where s.tenantId = :tenant"
                        + " and s.deletedAt is null", Long.class)
                .setParameter("tenant", tenantId)
                .getSingleResult();
        long privateImages = em.createQuery("select count(i) from Image i where i.tenantId = :tenant"
                        + " and i.deletedAt is null", Long.class)
                .setParameter("tenant", tenantId)
                .getSingleResult();
        return new Allocation(held[0], held[1], held[2], held[3], held[4], held[5], publicAddresses(em, tenantId),
                snapshots, 0, privateImages, ceilMiB(imageBytes(tenantId)), consoleSessions);
    }

    /** What the tenant's live instances hold: count, vCPUs, memory, disk, and vCPUs and memory of those meant to run. */
    private long[] instancesHold(UUID tenantId) {
        Object[] row = em.createQuery("select count(i), coalesce(sum(i.vcpus), 0), coalesce(sum(i.memoryMiB), 0),"
                        + " coalesce(sum(i.diskGiB), 0),"
                        + " coalesce(sum(case when i.desiredState = 'running' then i.vcpus else 0 end), 0),"
                        + " coalesce(sum(case when i.desiredState = 'running' then i.memoryMiB else 0 end), 0)"
                        + " from Instance i where i.tenantId = :tenant and i.deletedAt is null", Object[].class)
                .setParameter("tenant", tenantId)
                .getSingleResult();
        return new long[] {number(row[0]), number(row[1]), number(row[2]), number(row[3]), number(row[4]),
                number(row[5])};
    }

    /** Bytes the tenant's live private image versions unpacked to. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public long imageBytes(UUID tenantId) {
        return em.createQuery("select coalesce(sum(v.unpackedBytes), 0) from ImageVersion v, Image i"
                        + " where v.imageId = i.id and i.tenantId = :tenant and i.deletedAt is null"
                        + " and v.deletedAt is null", Long.class)
                .setParameter("tenant", tenantId)
                .getSingleResult();
    }

    /**
     * Locks the tenant and refuses {@code bytes} more of image data past its image quota (the
     * check an import makes before it writes into the pool, and again when it records the version).
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void admitImageBytes(UUID tenantId, long bytes) {
        em.find(Tenant.class, tenantId, LockModeType.PESSIMISTIC_WRITE);
        Long limit = limits(tenantId).imageMiB();
        long held = imageBytes(tenantId);
        if (limit == null || bytes <= 0 || held + bytes <= limit << 20) {
            return;
        }
        throw imageQuotaExceeded(limit, held, bytes);
    }

    /** The 409 refusal of {@code bytes} more image data where {@code held} of {@code limitMiB} are taken. */
    public static ApiException imageQuotaExceeded(long limitMiB, long held, long bytes) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("resource", "imageMiB");
        details.put("limit", limitMiB);
        details.put("allocated", ceilMiB(held));
        details.put("requested", ceilMiB(bytes));
        details.put("over", ceilMiB(held + bytes - (limitMiB << 20)));
        return ApiException.conflict("quota_exceeded", "the private image storage quota would be exceeded: "
                + ceilMiB(bytes) + " MiB requested, " + ceilMiB(held) + " of " + limitMiB + " MiB allocated; delete"
                + " image versions to make room", details);
    }

    private static long ceilMiB(long bytes) {
        return (bytes + (1L << 20) - 1) >> 20;
    }

    /** Public addresses held: each given whole to an instance, and each port forward, counts one. */
    static long publicAddresses(EntityManager em, UUID tenantId) {
        return em.createQuery("select count(a) from AddressAssignment a where a.tenantId = :tenant"
                        + " and a.releasedAt is null", Long.class)
                .setParameter("tenant", tenantId)
                .getSingleResult()
                + em.createQuery("select count(f) from PortForward f where f.tenantId = :tenant"
                        + " and f.releasedAt is null", Long.class)
                .setParameter("tenant", tenantId)
                .getSingleResult();
    }

    /** Locks the tenant and refuses the demand if it passes a limit. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void admit(UUID tenantId, Demand demand) {
        em.find(Tenant.class, tenantId, LockModeType.PESSIMISTIC_WRITE);
        QuotaLimits limits = limits(tenantId);
        // Only what the demand's checks read: an instance's admission counts no console sessions,
        // snapshots or images, and public addresses only when it asks for one under a limit.
        long[] held = demand.instances() > 0 || demand.vcpus() > 0 || demand.memoryMiB() > 0 || demand.diskGiB() > 0
                ? instancesHold(tenantId) : new long[6];
        long addresses = demand.addresses() > 0 && limits.addresses() != null ? publicAddresses(em, tenantId) : 0;
        Allocation allocation = new Allocation(held[0], held[1], held[2], held[3], held[4], held[5], addresses, 0, 0,
                0, 0, 0);
        check("instances", "instances", limits.instances(), allocation.instances(), demand.instances(), "");
        boolean runningOnly = limits.runningOnly();
        long vcpusHeld = runningOnly ? allocation.runningVcpus() : allocation.vcpus();
        long memoryHeld = runningOnly ? allocation.runningMemoryMiB() : allocation.memoryMiB();
        boolean adds = runningOnly ? demand.running() : demand.counted();
        check("vcpus", "vCPUs" + (runningOnly ? " of running instances" : ""), limits.vcpus(), vcpusHeld,
                adds ? demand.vcpus() : 0, "");
        check("memoryMiB", "memory" + (runningOnly ? " of running instances" : ""), limits.memoryMiB(), memoryHeld,
                adds ? demand.memoryMiB() : 0, " MiB");
        check("diskGiB", "disk", limits.diskGiB(), allocation.diskGiB(), demand.diskGiB(), " GiB");
        check("addresses", "public addresses", limits.addresses(), allocation.addresses(), demand.addresses(), "");
    }

    @Inject
    UsageReadings usage;

    /**
     * Locks the tenant and refuses one more snapshot past its snapshots limit, or while what its
     * snapshots hold (ZFS {@code usedbysnapshots}, as metering last measured it) is at its
     * snapshot GiB limit or over it: a new snapshot can only grow it.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void admitSnapshot(UUID tenantId) {
        em.find(Tenant.class, tenantId, LockModeType.PESSIMISTIC_WRITE);
        QuotaLimits limits = limits(tenantId);
        check("snapshots", "snapshots", limits.snapshots(), allocation(tenantId).snapshots(), 1, "");
        requireSnapshotRoom(tenantId, limits);
    }

    /**
     * Refuses what would grow snapshot space while the tenant's snapshots hold their GiB limit or
     * more (a rollback keeps the snapshots it rolls back to; a new snapshot starts to hold what
     * changes after it). Space is known only where metering measures it.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void requireSnapshotRoom(UUID tenantId, QuotaLimits limits) {
        Long limit = limits.snapshotGiB();
        Long used = limit == null ? null : usage.current(tenantId).get("snapshotGiB");
        if (limit == null || used == null || used < limit) {
            return;
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("resource", "snapshotGiB");
        details.put("limit", limit);
        details.put("used", used);
        throw ApiException.conflict("quota_exceeded", "the snapshot space quota is used up: the tenant's snapshots"
                + " hold " + used + " GiB of " + limit + " GiB; delete snapshots to make room", details);
    }

    /** Locks the tenant and refuses one more private image past its limit. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void admitPrivateImage(UUID tenantId) {
        em.find(Tenant.class, tenantId, LockModeType.PESSIMISTIC_WRITE);
        check("privateImages", "private images", limits(tenantId).privateImages(), allocation(tenantId).privateImages(),
                1, "");
    }

    private static void check(String resource, String label, Long limit, long held, long requested, String unit) {
        if (limit == null || requested <= 0 || held + requested <= limit) {
            return;
        }
        long over = held + requested - limit;
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("resource", resource);
        details.put("limit", limit);
        details.put("allocated", held);
        details.put("requested", requested);
        details.put("over", over);
        throw ApiException.conflict("quota_exceeded",
                "the " + label + " quota would be exceeded: " + requested + unit + " requested, " + held + " of " + limit
                        + unit + " allocated, " + over + unit + " over",
                details);
    }

    private static long number(Object value) {
        return value == null ? 0 : ((Number) value).longValue();
    }
}
