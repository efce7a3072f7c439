package io.multiplicity.accounting;

import io.multiplicity.common.ApiException;
import io.multiplicity.common.QueryInstants;
import io.multiplicity.host.Host;
import io.multiplicity.host.Placement;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What a tenant or a host held and used over time, for the portal's charts: allocation from the
 * allocation periods (exact, the same ones billing rates), use from the metering samples and, for
 * a tenant's older stretches, the hourly rollups. A point stands for its bucket: allocation as at
 * the bucket's start, use as the sum over instances of each one's mean in the bucket; use is null
 * where nothing was measured (a gap, not a zero).
 */
@ApplicationScoped
@Transactional
public class CapacityHistory {

    /** At most this many points per series: the bucket grows with the range. */
    static final int MAX_POINTS = 240;

    /** The longest range one request may cover. */
    static final Duration LONGEST = Duration.ofDays(93);

    /**
     * One bucket.
     *
     * @param vcpus        vCPUs of the instances meant to run
     * @param memoryMiB    memory of the instances meant to run
     * @param diskGiB      disk of every live instance
     * @param memoryUsedMiB measured resident memory, null where nothing was measured
     * @param diskUsedGiB  measured ZFS used, null where nothing was measured
     */
    @Schema(requiredProperties = {"at", "vcpus", "memoryMiB", "diskGiB"})
    public record Point(Instant at, long vcpus, long memoryMiB, long diskGiB, Long memoryUsedMiB, Double diskUsedGiB) {
    }

    /** The most the series may reach: a tenant's limits or a host's allocatable capacity (null: none). */
    public record Ceiling(Long vcpus, Long memoryMiB, Long diskGiB) {
    }

    @Schema(requiredProperties = {"from", "to", "stepSeconds", "ceiling", "points"})
    public record Series(Instant from, Instant to, long stepSeconds, Ceiling ceiling, List<Point> points) {
    }

    /**
     * A host as a tenant may see it: not its name, only the overcommit it runs at.
     *
     * @param label            a stable pseudonym ("host-" and the start of its id)
     * @param instances        the tenant's live instances on it
     * @param cpuRatio         vCPUs the provider lets it promise per physical core
     * @param memoryRatio      memory it may promise per physical MiB
     * @param vcpusCommitted   vCPUs every tenant's running instances hold there, per physical core
     * @param memoryCommitted  memory they hold there, per physical MiB
     */
    @Schema(requiredProperties = {"label", "instances", "cpuRatio", "memoryRatio", "vcpusCommitted", "memoryCommitted"})
    public record HostCommitment(String label, long instances, BigDecimal cpuRatio, BigDecimal memoryRatio,
                                 double vcpusCommitted, double memoryCommitted) {
    }

    @Inject
    EntityManager em;

    @Inject
    Quotas quotas;

    @Inject
    Placement placement;

    @Transactional(Transactional.TxType.SUPPORTS)
    public Series ofTenant(UUID tenant, String from, String to) {
        Range range = Range.parse(from, to);
        QuotaLimits limits = quotas.limits(tenant);
        return new Series(range.from(), range.to(), range.step().toSeconds(),
                new Ceiling(limits.vcpus(), limits.memoryMiB(), limits.diskGiB()),
                points(range, "tenant_id", tenant, true));
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public Series ofHost(UUID hostId, String from, String to) {
        Host host = em.find(Host.class, hostId);
        if (host == null) {
            throw ApiException.notFound("host", hostId);
        }
        Range range = Range.parse(from, to);
        return new Series(range.from(), range.to(), range.step().toSeconds(),
                new Ceiling(host.allocatableVcpus(), host.allocatableMemoryMiB(), host.allocatableStorageGiB()),
                points(range, "host_id", hostId, false));
    }

    /** The hosts a tenant's live instances run on, with the overcommit each one runs at now. */
    public List<HostCommitment> hostsOf(UUID tenant) {
        List<Object[]> rows = em.createQuery("select i.hostId, count(i) from Instance i"
                        + " where i.tenantId = :tenant and i.deletedAt is null and i.hostId is not null"
                        + " group by i.hostId order by i.hostId", Object[].class)
                .setParameter("tenant", tenant)
                .getResultList();
        Map<UUID, Long> counts = new LinkedHashMap<>();
        for (Object[] row : rows) {
            counts.put((UUID) row[0], ((Number) row[1]).longValue());
        }
        Map<UUID, Placement.Allocated> held = placement.allocated(List.copyOf(counts.keySet()));
        List<HostCommitment> hosts = new ArrayList<>();
        for (Map.Entry<UUID, Long> entry : counts.entrySet()) {
            Host host = em.find(Host.class, entry.getKey());
            if (host == null) {
                continue;
            }
            Placement.Allocated allocated = held.getOrDefault(host.id, new Placement.Allocated(0, 0, 0));
            hosts.add(new HostCommitment("host-" + host.id.toString().substring(0, 8), entry.getValue(),
                    host.cpuRatio, host.memoryRatio,
                    host.cpus <= 0 ? 0 : (double) allocated.vcpus() / host.cpus,
                    host.memoryMiB <= 0 ? 0 : (double) allocated.memoryMiB() / host.memoryMiB));
        }
        return hosts;
    }

    private List<Point> points(Range range, String owner, UUID id, boolean withRollups) {
        // the owner column is one of two constants, never input
        String allocationSql = "select b.at,"
                + " coalesce(sum(case when p.running then p.vcpus else 0 end), 0),"
                + " coalesce(sum(case when p.running then p.memory_mib else 0 end), 0),"
                + " coalesce(sum(p.disk_gib), 0)"
                + " from generate_series(?1, ?2, ?3 * interval '1 second') as b(at)"
                + " left join allocation_periods p on p." + owner + " = ?4"
                + " and p.started_at <= b.at and (p.ended_at is null or p.ended_at > b.at)"
                + " group by b.at order by b.at";
        Instant last = range.to().minus(range.step());
        @SuppressWarnings("unchecked")
        List<Object[]> allocation = em.createNativeQuery(allocationSql)
                .setParameter(1, range.from()).setParameter(2, last.isBefore(range.from()) ? range.from() : last)
                .setParameter(3, range.step().toSeconds()).setParameter(4, id)
                .getResultList();

        String usedSql = "with measured as ("
                + " select s.sampled_at as at, s.instance_id, s.memory_bytes, s.disk_used_bytes"
                + " from metering_samples s"
                + " where s." + owner + " = ?4 and s.sampled_at >= ?1 and s.sampled_at < ?2"
                + (withRollups
                        ? " union all select r.bucket_start, r.instance_id, r.memory_bytes_avg, r.disk_used_bytes_avg"
                        + " from metering_rollups r, metering_watermarks w where r.tenant_id = ?4"
                        + " and r.granularity = 'hour' and r.bucket_start >= ?1 and r.bucket_start < least(?2, w.raw_from)"
                        : "")
                + "), per_instance as ("
                + " select date_bin(?3 * interval '1 second', at, ?1) as bucket, instance_id,"
                + " avg(memory_bytes) as memory, avg(disk_used_bytes) as disk from measured group by 1, 2)"
                + " select bucket, sum(memory), sum(disk) from per_instance group by bucket";
        @SuppressWarnings("unchecked")
        List<Object[]> used = em.createNativeQuery(usedSql)
                .setParameter(1, range.from()).setParameter(2, range.to())
                .setParameter(3, range.step().toSeconds()).setParameter(4, id)
                .getResultList();
        Map<Instant, Object[]> usedByBucket = new LinkedHashMap<>();
        for (Object[] row : used) {
            usedByBucket.put(instant(row[0]), row);
        }

        List<Point> points = new ArrayList<>(allocation.size());
        for (Object[] row : allocation) {
            Instant at = instant(row[0]);
            Object[] measured = usedByBucket.get(at);
            Long memoryUsed = measured == null || measured[1] == null ? null
                    : Math.round(((Number) measured[1]).doubleValue() / (1024 * 1024));
            Double diskUsed = measured == null || measured[2] == null ? null
                    : ((Number) measured[2]).doubleValue() / (1L << 30);
            points.add(new Point(at, ((Number) row[1]).longValue(), ((Number) row[2]).longValue(),
                    ((Number) row[3]).longValue(), memoryUsed, diskUsed));
        }
        return points;
    }

    private static Instant instant(Object value) {
        if (value instanceof OffsetDateTime offset) {
            return offset.toInstant();
        }
        if (value instanceof java.sql.Timestamp timestamp) {
            return timestamp.toInstant();
        }
        return (Instant) value;
    }

    /** A requested range (default: the last day) and the bucket that keeps it within {@link #MAX_POINTS}. */
    record Range(Instant from, Instant to, Duration step) {

        static Range parse(String from, String to) {
            Instant end = QueryInstants.parse("to", to, Instant.now());
            Instant start = QueryInstants.parse("from", from, end.minus(Duration.ofDays(1)));
            if (!start.isBefore(end) || Duration.between(start, end).compareTo(LONGEST) > 0) {
                throw ApiException.badRequest("invalid_range", "from must be before to, at most "
                        + LONGEST.toDays() + " days apart", Map.of("from", start.toString(), "to", end.toString()));
            }
            long seconds = Duration.between(start, end).toSeconds();
            long step = 60;
            for (long candidate : new long[] {60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400}) {
                step = candidate;
                if (seconds / candidate <= MAX_POINTS) {
                    break;
                }
            }
            // buckets start on whole multiples of the step, so that charts of one range line up
            Instant aligned = Instant.ofEpochSecond(Math.floorDiv(start.getEpochSecond(), step) * step);
            return new Range(aligned, end, Duration.ofSeconds(step));
        }
    }
}
