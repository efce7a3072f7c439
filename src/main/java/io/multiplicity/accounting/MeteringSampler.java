package io.multiplicity.accounting;

import io.agroal.api.AgroalDataSource;
import io.multiplicity.common.Clock;
import io.multiplicity.host.HostDrivers;
import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.InstanceUsage;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Takes one sample per live instance of the local host per interval: what it holds (always) and
 * what it measurably uses (when the host measures it). Hosts are asked outside any transaction;
 * the samples of one pass are written in one.
 */
@ApplicationScoped
public class MeteringSampler {

    private static final Logger LOG = Logger.getLogger(MeteringSampler.class);

    @Inject
    EntityManager em;

    @Inject
    HostDrivers hosts;

    @Inject
    MeteringConfig config;

    @Inject
    AgroalDataSource dataSource;

    private record Held(UUID instanceId, UUID tenantId, UUID hostId, boolean running, int vcpus, int memoryMiB,
                        int diskGiB) {
    }

    /** What an instance holds and, when its host measures it, what it uses; usage may be null. */
    private record Reading(Held held, InstanceUsage usage) {
    }

    @Scheduled(every = "${multiplicity.metering.interval:1m}", delayed = "30s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        if (config.scheduled()) {
            try {
                // the hosts no replica has sampled for most of an interval: each instance is sampled
                // once an interval, however many replicas reach its host
                sample(hosts.due("meter", config.interval()));
            } catch (RuntimeException e) {
                LOG.warn("metering pass failed", e);
            }
        }
    }

    /** One pass over the live instances of every host this process reaches; returns how many samples were written. */
    public int sample() {
        return sample(hosts.reachable());
    }

    private int sample(Map<UUID, HostDriver> reachable) {
        Instant at = Clock.now();
        int written = 0;
        for (Map.Entry<UUID, HostDriver> host : reachable.entrySet()) {
            written += sample(host.getKey(), host.getValue(), at);
        }
        return written;
    }

    private int sample(UUID hostId, HostDriver driver, Instant at) {
        List<Held> held = QuarkusTransaction.requiringNew().call(() -> em.createQuery(
                        "select i.id, i.tenantId, i.hostId, i.actualState, i.vcpus, i.memoryMiB, i.diskGiB from Instance i"
                                + " where i.hostId = :host and i.deletedAt is null", Object[].class)
                .setParameter("host", hostId)
                .getResultList()
                .stream()
                .map(row -> new Held((UUID) row[0], (UUID) row[1], (UUID) row[2], "running".equals(row[3]),
                        (Integer) row[4], (Integer) row[5], (Integer) row[6]))
                .toList());
        // One call for the host's instances: an instance it cannot read, or a host that measures
        // nothing, gives samples that keep the allocation only.
        Map<UUID, InstanceUsage> usages;
        try {
            usages = held.isEmpty() ? Map.of() : driver.usageOf(held.stream().map(Held::instanceId).toList());
        } catch (UnsupportedOperationException e) {
            usages = Map.of();
        } catch (RuntimeException e) {
            LOG.debugf("no usage from host %s: %s", hostId, e.getMessage());
            usages = Map.of();
        }
        List<Reading> readings = new ArrayList<>(held.size());
        for (Held instance : held) {
            readings.add(new Reading(instance, usages.get(instance.instanceId())));
        }
        int seconds = (int) Math.max(1, config.interval().toSeconds());
        return QuarkusTransaction.requiringNew().call(() -> write(readings, at, seconds));
    }

    private int write(List<Reading> readings, Instant at, int seconds) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement insert = connection.prepareStatement("insert into metering_samples (instance_id,"
                     + " sampled_at, tenant_id, host_id, interval_seconds, running, vcpus, memory_mib, disk_gib, cpu_seconds,"
                     + " memory_bytes, disk_used_bytes, disk_referenced_bytes, snapshot_bytes, net_rx_bytes, net_tx_bytes,"
                     + " egress_total_bytes, egress_bytes)"
                     + " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing")) {
            OffsetDateTime time = at.atOffset(ZoneOffset.UTC);
            Map<UUID, Long> lastEgress = lastEgressReadings(connection, readings);
            Map<UUID, Instant> previous = previousSamples(connection, readings, at, seconds);
            for (Reading reading : readings) {
                Held held = reading.held();
                InstanceUsage usage = reading.usage();
                insert.setObject(1, held.instanceId());
                insert.setObject(2, time);
                insert.setObject(3, held.tenantId());
                insert.setObject(4, held.hostId());
                insert.setInt(5, standsFor(previous.get(held.instanceId()), at, seconds));
                insert.setBoolean(6, held.running());
                insert.setInt(7, held.vcpus());
                insert.setInt(8, held.memoryMiB());
                insert.setInt(9, held.diskGiB());
                insert.setObject(10, usage == null ? null : BigDecimal.valueOf(usage.cpuNanos()).movePointLeft(9),
                        Types.NUMERIC);
                insert.setObject(11, usage == null ? null : usage.memoryBytes(), Types.BIGINT);
                insert.setObject(12, usage == null ? null : usage.diskUsedBytes(), Types.BIGINT);
                insert.setObject(13, usage == null ? null : usage.diskReferencedBytes(), Types.BIGINT);
                insert.setObject(14, usage == null ? null : usage.snapshotBytes(), Types.BIGINT);
                insert.setObject(15, usage == null ? null : usage.networkRxBytes(), Types.BIGINT);
                insert.setObject(16, usage == null ? null : usage.networkTxBytes(), Types.BIGINT);
                Long egress = usage == null ? null : usage.egressBytes();
                Long before = lastEgress.get(held.instanceId());
                insert.setObject(17, egress, Types.BIGINT);
                // The increase since the previous reading; a lower reading is a counter that started again.
                insert.setObject(18, egress == null ? null : before == null || egress < before ? egress : egress - before,
                        Types.BIGINT);
                insert.addBatch();
            }
            int written = 0;
            for (int count : insert.executeBatch()) {
                written += Math.max(count, 0);
            }
            return written;
        }
    }

    /**
     * The seconds a sample at {@code at} stands for: the time since the instance's previous sample,
     * when that is recent, else one interval. Passes of several replicas, or a late one, may sample an
     * instance twice within an interval; each sample then counts only its own share of the time, so
     * what is billed from samples (snapshot space, running time) adds up to the time that passed.
     */
    static int standsFor(Instant previous, Instant at, int seconds) {
        if (previous == null) {
            return seconds;
        }
        long since = Math.round(java.time.Duration.between(previous, at).toMillis() / 1000.0);
        return (int) Math.max(1, Math.min(since, 2L * seconds));
    }

    /** Each instance's latest sample before {@code at} within two intervals, for those that have one. */
    private static Map<UUID, Instant> previousSamples(Connection connection, List<Reading> readings, Instant at,
                                                      int seconds) throws SQLException {
        Map<UUID, Instant> previous = new java.util.HashMap<>();
        if (readings.isEmpty()) {
            return previous;
        }
        // One index probe per instance (the key is instance, time): a range over "= any" of a whole
        // host's instances let the planner read every sample of the table instead.
        try (PreparedStatement query = connection.prepareStatement("select i.id, (select max(m.sampled_at)"
                + " from metering_samples m where m.instance_id = i.id and m.sampled_at < ? and m.sampled_at >= ?)"
                + " from unnest(?) as i(id)")) {
            query.setObject(1, at.atOffset(ZoneOffset.UTC));
            query.setObject(2, at.minusSeconds(2L * seconds).atOffset(ZoneOffset.UTC));
            query.setArray(3, connection.createArrayOf("uuid",
                    readings.stream().map(reading -> reading.held().instanceId()).toArray()));
            try (java.sql.ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    OffsetDateTime time = rows.getObject(2, OffsetDateTime.class);
                    if (time != null) {
                        previous.put(rows.getObject(1, UUID.class), time.toInstant());
                    }
                }
            }
        }
        return previous;
    }

    /** Each instance's latest egress reading, for those that have one now. */
    private static Map<UUID, Long> lastEgressReadings(Connection connection, List<Reading> readings)
            throws SQLException {
        List<UUID> measured = readings.stream()
                .filter(reading -> reading.usage() != null && reading.usage().egressBytes() != null)
                .map(reading -> reading.held().instanceId())
                .toList();
        Map<UUID, Long> last = new java.util.HashMap<>();
        if (measured.isEmpty()) {
            return last;
        }
        // The newest reading of each, found from the newest sample back (one index probe apiece), not
        // every sample the instance ever had.
        try (PreparedStatement query = connection.prepareStatement("select i.id, (select m.egress_total_bytes"
                + " from metering_samples m where m.instance_id = i.id and m.egress_total_bytes is not null"
                + " order by m.sampled_at desc limit 1) from unnest(?) as i(id)")) {
            query.setArray(1, connection.createArrayOf("uuid", measured.toArray()));
            try (java.sql.ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    long reading = rows.getLong(2);
                    if (!rows.wasNull()) {
                        last.put(rows.getObject(1, UUID.class), reading);
                    }
                }
            }
        }
        return last;
    }
}
